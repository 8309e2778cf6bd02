//! The `tripline` binary: see `tripline --help` and docs/cli.md.

mod allocator;

/// mimalloc instead of the system allocator: parsing an event builds many small values, and
/// glibc's malloc/free took ~40 % of a full-parse run (docs/performance.md).
#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

fn main() -> std::process::ExitCode {
    tripline::cli::main()
}
