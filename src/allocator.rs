//! The binary's global allocator (not part of the library): mimalloc, asked for a plain block
//! whenever a plain block is aligned enough.
//!
//! The `mimalloc` crate passes every Rust allocation to `mi_malloc_aligned`. mimalloc v3 takes
//! that call's fast path only while the size class has a free block at hand; otherwise it
//! serves it as a plain allocation only if the block size is a power of two, and over-allocates
//! every other size into a larger class (a 48-byte request with alignment 8 gets a 64-byte
//! block, and the 48-byte class is never refilled). One event of the send/hard-delete join makes
//! dozens of such requests; the slow paths were a sixth of its time (docs/performance.md,
//! thirteenth sitting). Every mimalloc block of `size` bytes is aligned to
//! `min(size, MI_MAX_ALIGN_SIZE)` rounded down to a power of two (`MI_MAX_ALIGN_SIZE` is 16: block
//! sizes are multiples of 16 above 8 bytes and pages start 16-aligned), so a request whose
//! alignment is at most 16 and at most its size can be a plain `mi_malloc` — the rule the
//! `mimalloc` crate itself followed before mimalloc v3, on its author's advice
//! (microsoft/mimalloc#314).
//!
//! This module holds tripline's only `unsafe` code: the library forbids it.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// The alignment mimalloc guarantees for every block of at least that many bytes.
const MAX_PLAIN_ALIGN: usize = 16;

/// mimalloc, called without an alignment whenever the plain call is aligned enough.
pub struct MiMalloc;

/// Whether a plain block of `size` bytes is aligned to `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= MAX_PLAIN_ALIGN && align <= size
}

/// A new block for `layout` from mimalloc's `plain_call`, or its `aligned_call` when a plain
/// block is not aligned enough (the pair for fresh or for zeroed memory; always inlined, so
/// each is a direct call).
///
/// # Safety
/// The calls must be mimalloc's allocation functions, which accept any size and alignment.
#[inline(always)]
unsafe fn new_block(
    layout: Layout,
    plain_call: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned_call: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: as the caller promises.
    let block = unsafe {
        if plain(layout.size(), layout.align()) {
            plain_call(layout.size())
        } else {
            aligned_call(layout.size(), layout.align())
        }
    };
    block.cast()
}

// SAFETY: every method returns a block from mimalloc of at least the requested size (or null
// when out of memory), aligned to the layout's alignment: by `plain` when the plain call is
// used, by mimalloc's aligned call otherwise; `dealloc` and `realloc` receive blocks that came
// from this allocator, and `mi_free`/`mi_realloc` accept any mimalloc block, aligned or not.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation calls accept any size and power-of-two alignment.
        unsafe { new_block(layout, mi_malloc, mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { new_block(layout, mi_zalloc, mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a block this allocator returned.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller passes a block this allocator returned and a nonzero size; the
        // alignment is the block's own, and is checked against the new size.
        let block = unsafe {
            if plain(new_size, layout.align()) {
                mi_realloc(ptr.cast::<c_void>(), new_size)
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align())
            }
        };
        block.cast()
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::MiMalloc;

    /// Sizes around every block size the plain rule relies on, and alignments up to a page.
    fn layouts() -> Vec<Layout> {
        let sizes = (1..=160).chain([191, 200, 255, 256, 257, 1000, 4095, 4096, 4097, 20_000]);
        let mut all = Vec::new();
        for size in sizes {
            for shift in 0..=12 {
                if let Ok(layout) = Layout::from_size_align(size, 1 << shift) {
                    all.push(layout);
                }
            }
        }
        all
    }

    fn aligned(ptr: *mut u8, layout: Layout) -> bool {
        !ptr.is_null() && ptr.addr().is_multiple_of(layout.align())
    }

    #[test]
    fn every_block_has_its_layouts_alignment_and_size() {
        for layout in layouts() {
            // Many blocks at once, so that they come from several places in a page and from
            // fresh pages, not only the block just freed.
            let blocks: Vec<*mut u8> = (0..40)
                // SAFETY: the layouts have nonzero sizes.
                .map(|_| unsafe { MiMalloc.alloc(layout) })
                .collect();
            for (n, &block) in blocks.iter().enumerate() {
                assert!(aligned(block, layout), "{layout:?} gave {block:?}");
                // SAFETY: the block holds `layout.size()` bytes.
                unsafe { block.write_bytes(n as u8, layout.size()) };
            }
            for (n, &block) in blocks.iter().enumerate() {
                // SAFETY: as above; the blocks do not overlap if every byte kept its value.
                let bytes = unsafe { std::slice::from_raw_parts(block, layout.size()) };
                assert!(
                    bytes.iter().all(|&b| b == n as u8),
                    "{layout:?}: blocks overlap"
                );
            }
            for block in blocks {
                // SAFETY: the block came from `alloc` with this layout.
                unsafe { MiMalloc.dealloc(block, layout) };
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_and_aligned() {
        for layout in layouts() {
            // Dirty a block of the same class first, so that a reused block must be cleared.
            // SAFETY: nonzero sizes; each block is freed with the layout it was made with.
            unsafe {
                let dirty = MiMalloc.alloc(layout);
                dirty.write_bytes(0xAB, layout.size());
                MiMalloc.dealloc(dirty, layout);
                let block = MiMalloc.alloc_zeroed(layout);
                assert!(aligned(block, layout), "{layout:?} gave {block:?}");
                let bytes = std::slice::from_raw_parts(block, layout.size());
                assert!(bytes.iter().all(|&b| b == 0), "{layout:?}: not zeroed");
                MiMalloc.dealloc(block, layout);
            }
        }
    }

    #[test]
    fn reallocated_blocks_keep_their_bytes_and_alignment() {
        for layout in layouts() {
            for new_size in [
                1,
                layout.size() / 2 + 1,
                layout.size() + 1,
                layout.size() * 3,
            ] {
                // SAFETY: nonzero sizes; the block is reallocated and freed with its layout.
                unsafe {
                    let block = MiMalloc.alloc(layout);
                    for i in 0..layout.size() {
                        block.add(i).write(i as u8);
                    }
                    let grown = MiMalloc.realloc(block, layout, new_size);
                    let after = Layout::from_size_align_unchecked(new_size, layout.align());
                    assert!(
                        aligned(grown, after),
                        "{layout:?} -> {new_size} gave {grown:?}"
                    );
                    let kept = new_size.min(layout.size());
                    let bytes = std::slice::from_raw_parts(grown, kept);
                    assert!(
                        bytes.iter().enumerate().all(|(i, &b)| b == i as u8),
                        "{layout:?} -> {new_size}: bytes lost"
                    );
                    MiMalloc.dealloc(grown, after);
                }
            }
        }
    }
}
