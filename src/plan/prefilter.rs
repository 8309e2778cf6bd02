//! The literal prefilter (stage: plan; applied in read).
//!
//! From a scan predicate, derive literals that the raw text of every matching event must
//! contain (case-insensitively), so lines without them are skipped before JSON parsing.
//! Conservative by construction: only plain ASCII literals without characters JSON may escape
//! (`\`, `"`, `/`, control characters) are used, numbers are never used (JSON may write `5` as
//! `5.0` or `5e0`), metadata fields (`sourcetype`, `source`, `host`, `index`, `_time`, `_raw`)
//! are not in the raw text and give nothing, negations give nothing, and a line containing a
//! `\u` escape (or a letter whose lower case is ASCII) is always parsed. The prefilter may let extra lines through, never drop one that
//! matches.

use crate::plan::search::Pred;
use crate::syntax::ast::CmpOp;
use memchr::memmem;

/// Literal requirements: every clause must be met; a clause is met when the line contains any
/// one of its literals (lower-case ASCII), in any ASCII case: a line is checked folded
/// ([`fold_into`]) against the literals folded alike.
#[derive(Clone, Debug, Default)]
pub struct Prefilter {
    clauses: Vec<Vec<String>>,
    /// A searcher per clause, for its literals folded ([`fold`]), built once (building one
    /// per line cost more than the search).
    finders: Vec<ClauseFinder>,
}

/// The searcher of one clause: a `memmem` searcher per literal, or, for a clause of more than
/// [`EACH_MAX`] literals (a join's keys, see [`Prefilter::with_clauses`]), one aho-corasick
/// automaton for them all: a line of the send/hard-delete join's main search was checked
/// against its 1,820 message ids, 1,820 searches of the line one by one.
#[derive(Clone, Debug)]
enum ClauseFinder {
    Each(Vec<memmem::Finder<'static>>),
    Many(aho_corasick::AhoCorasick),
}

/// Most literals of a clause searched one by one (see [`ClauseFinder`]).
const EACH_MAX: usize = 8;

impl ClauseFinder {
    fn new(clause: &[String]) -> ClauseFinder {
        if clause.len() > EACH_MAX
            && let Ok(ac) = aho_corasick::AhoCorasick::new(clause.iter().map(|l| fold(l)))
        {
            return ClauseFinder::Many(ac);
        }
        ClauseFinder::Each(
            clause
                .iter()
                .map(|l| memmem::Finder::new(&fold(l)).into_owned())
                .collect(),
        )
    }

    /// Does the folded text hold one of the clause's literals?
    fn found_in(&self, folded: &[u8]) -> bool {
        match self {
            ClauseFinder::Each(each) => each.iter().any(|f| f.find(folded).is_some()),
            ClauseFinder::Many(ac) => ac.is_match(folded),
        }
    }
}

impl PartialEq for Prefilter {
    fn eq(&self, other: &Prefilter) -> bool {
        self.clauses == other.clauses
    }
}

/// Searchers for what makes a line always parsed (see [`must_parse`]).
static MUST_PARSE: std::sync::LazyLock<[memmem::Finder<'static>; 3]> =
    std::sync::LazyLock::new(|| {
        [
            memmem::Finder::new(b"\\u").into_owned(),
            memmem::Finder::new("\u{212A}".as_bytes()).into_owned(),
            memmem::Finder::new("\u{130}".as_bytes()).into_owned(),
        ]
    });

const META: &[&str] = &[
    "sourcetype",
    "source",
    "host",
    "index",
    "_time",
    "_raw",
    "eventtype",
    "splunk_server",
    "linecount",
];

/// Is `c` written as it is in any JSON string? (ASCII, and not a character JSON may escape:
/// a control character, `\`, `"` or `/`.)
fn plain(c: char) -> bool {
    c.is_ascii() && !c.is_ascii_control() && !matches!(c, '\\' | '"' | '/')
}

/// Can this literal be searched for in raw JSON text? (Only [`plain`] characters, at least 3
/// bytes, not a number.)
pub fn usable(lit: &str) -> bool {
    lit.len() >= 3 && lit.chars().all(plain) && crate::value::parse_number(lit).is_none()
}

/// The clause of literals a line must meet to hold a field whose text, lower-cased or as it
/// is, is one of `texts` (an inner join's keys: see `exec::key_clauses`): for each text, its
/// longest [`usable`] fragment, lower-cased. A text is cut at newlines (a multivalue key is its
/// values joined by one, each of them in the line) and at each character that is not [`plain`]:
/// what lies between them stands in the line as it is (a JSON string escapes only those, and a
/// `\u` escape makes the line always parsed, see [`must_parse`]). `None` when a text has no
/// usable fragment (a number, which JSON may write another way; a short text), when there is
/// no text, or when there are more than [`KEY_LITERALS_MAX`]: the line cannot be ruled out.
pub fn key_clause<'t>(texts: impl IntoIterator<Item = &'t str>) -> Option<Vec<String>> {
    let mut clause = Vec::new();
    for text in texts {
        let piece = text
            .split(|c: char| !plain(c))
            .filter(|p| usable(p))
            .max_by_key(|p| p.len())?;
        // Any part of the fragment is in the line too: a long one is cut, so that the
        // automata stay small (it is ASCII: any byte is a boundary).
        let piece = piece.get(..KEY_LITERAL_BYTES).unwrap_or(piece);
        clause.push(piece.to_ascii_lowercase());
    }
    clause.sort_unstable();
    clause.dedup();
    (!clause.is_empty() && clause.len() <= KEY_LITERALS_MAX).then_some(clause)
}

/// Most literals of a [`key_clause`]: each is a pattern of one automaton (which the chunk
/// search uses too), built before the data is read.
const KEY_LITERALS_MAX: usize = 4096;

/// Longest literal of a [`key_clause`] (the start of a longer fragment): with
/// [`KEY_LITERALS_MAX`], at most 512 KiB of patterns, whatever the subsearch's texts.
const KEY_LITERAL_BYTES: usize = 128;

/// Is a field of this name read from the event's document (its value is in the raw text), not
/// given by the input or computed (`sourcetype`, `_time`…)?
pub fn in_document(name: &str) -> bool {
    !META.contains(&name)
}

/// The longest wildcard-free piece of a pattern, if usable.
fn best_piece(pattern: &str) -> Option<String> {
    pattern
        .split('*')
        .filter(|p| usable(p))
        .max_by_key(|p| p.len())
        .map(|p| p.to_ascii_lowercase())
}

fn clauses(p: &Pred) -> Vec<Vec<String>> {
    match p {
        Pred::And(v) => v.iter().flat_map(clauses).collect(),
        Pred::Or(v) => {
            // A matching line meets one branch, so it contains a literal of that branch's
            // first clause: the union of those is one clause.
            let mut union = Vec::new();
            for b in v {
                match clauses(b).into_iter().next() {
                    Some(c) => union.extend(c),
                    None => return Vec::new(),
                }
            }
            if union.is_empty() {
                Vec::new()
            } else {
                union.sort();
                union.dedup();
                vec![union]
            }
        }
        Pred::Cmp {
            field,
            op: CmpOp::Eq,
            value,
        } if !META.contains(&field.name()) => best_piece(&value.text)
            .map(|l| vec![vec![l]])
            .unwrap_or_default(),
        Pred::Term(t) => best_piece(&t.text)
            .map(|l| vec![vec![l]])
            .unwrap_or_default(),
        Pred::Custom(m) => m.literals(),
        _ => Vec::new(),
    }
}

impl Prefilter {
    /// Derive the prefilter of a scan predicate (empty: every line passes).
    pub fn from_pred(p: &Pred) -> Prefilter {
        let mut c = clauses(p);
        // Longer literals first: they are rarer, so lines fail sooner.
        for clause in &mut c {
            clause.sort_by_key(|l| std::cmp::Reverse(l.len()));
        }
        Prefilter::of(c)
    }

    /// A prefilter of these clauses (literals lower-case, each clause's longest first).
    fn of(mut clauses: Vec<Vec<String>>) -> Prefilter {
        clauses.sort_by_key(|clause| {
            std::cmp::Reverse(clause.iter().map(String::len).min().unwrap_or(0))
        });
        let finders = clauses.iter().map(|c| ClauseFinder::new(c)).collect();
        Prefilter { clauses, finders }
    }

    /// This prefilter with `more` clauses, each met by a line holding one of its literals
    /// (see [`key_clause`]): a line that lacks them all cannot make a result, for a reason
    /// other than the search's predicate (an inner join's keys).
    pub fn with_clauses(self, more: Vec<Vec<String>>) -> Prefilter {
        if more.is_empty() {
            return self;
        }
        let mut all = self.clauses;
        all.extend(more);
        Prefilter::of(all)
    }

    /// No requirement at all.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The clauses, for `explain`.
    pub fn clauses(&self) -> &[Vec<String>] {
        &self.clauses
    }

    /// May this raw line match? `scratch` is reused for the folded copy.
    pub fn may_match(&self, line: &[u8], scratch: &mut Vec<u8>) -> bool {
        if self.clauses.is_empty() || must_parse(line) {
            return true;
        }
        fold_into(line, scratch);
        self.matches_folded(scratch)
    }

    /// Does an already folded line (see [`fold_into`]) meet every clause?
    pub fn matches_folded(&self, folded: &[u8]) -> bool {
        self.finders.iter().all(|clause| clause.found_in(folded))
    }
}

/// Every prefilter, as a line's mask of [`candidates`]: all bits.
pub const ALL: u64 = u64::MAX;

/// The mask of the prefilters an already folded line ([`fold_into`]) meets: bit `i` for
/// `prefilters[i]`
/// (every bit from 63 on is bit 63's: more than 64 prefilters share it, so it means "one of
/// the prefilters from the 64th on").
pub fn passing(prefilters: &[&Prefilter], folded: &[u8]) -> u64 {
    prefilters
        .iter()
        .enumerate()
        .filter(|(_, p)| p.matches_folded(folded))
        .fold(0, |mask, (i, _)| mask | bit(i))
}

/// Prefilter `i`'s bit in a mask (see [`passing`]).
pub fn bit(i: usize) -> u64 {
    1u64 << i.min(63)
}

/// Which of `lines` (byte ranges `(start, end)` of `block`, in order) may match, and which of
/// `prefilters` each may match: a line's mask has bit `i` ([`bit`]) when the line meets every
/// clause of `prefilters[i]`, and is [`ALL`] when it must always be parsed ([`must_parse`]);
/// 0 means the line is skipped. The block is searched once for the first clauses' literals (the
/// raw text for a few, a copy folded by [`fold_into`] for more); only lines with a hit are
/// checked further, so most lines cost no work of their own. An empty `prefilters`, or an
/// empty one in it, passes all lines with [`ALL`].
pub fn candidates(
    prefilters: &[&Prefilter],
    literals: &LiteralSet,
    block: &[u8],
    lines: &[(usize, usize)],
) -> Vec<u64> {
    let n = lines.len();
    let (Some(&(lo, _)), Some(&(_, hi))) = (lines.first(), lines.last()) else {
        return Vec::new();
    };
    if prefilters.is_empty() || prefilters.iter().any(|p| p.is_empty()) || hi < lo {
        return vec![ALL; n];
    }
    let seg = block.get(lo..hi).unwrap_or_default();
    let mut out = vec![0u64; n];
    // The line holding block offset `pos` (relative to `lo`), if any.
    let line_at = |pos: usize| -> Option<usize> {
        let abs = pos + lo;
        let i = lines.partition_point(|&(s, _)| s <= abs).checked_sub(1)?;
        let &(s, e) = lines.get(i)?;
        (abs >= s && abs < e).then_some(i)
    };
    // Mark the line of each match `find(from)` reports (a position in `seg` at or after
    // `from`), one per line: after a hit the search resumes at the end of that line. (A
    // position before `from` ends the search, so that the loop always ends.)
    let each_line_hit = |find: &dyn Fn(usize) -> Option<usize>, mark: &mut dyn FnMut(usize)| {
        let mut from = 0;
        while from < seg.len() {
            let Some(pos) = find(from).filter(|&p| p >= from) else {
                break;
            };
            match line_at(pos) {
                Some(idx) => {
                    mark(idx);
                    from = lines.get(idx).map_or(pos + 1, |&(_, e)| e - lo + 1);
                }
                None => from = pos + 1,
            }
        }
    };
    // The two non-ASCII letters need a non-ASCII byte: an ASCII chunk is not searched for them.
    let must = if is_ascii(seg) {
        MUST_PARSE.get(..1).unwrap_or_default()
    } else {
        &MUST_PARSE[..]
    };
    for f in must {
        let find = |from: usize| seg.get(from..).and_then(|t| f.find(t)).map(|i| from + i);
        each_line_hit(&find, &mut |i| {
            if let Some(c) = out.get_mut(i) {
                *c = ALL;
            }
        });
    }
    // Lines holding any prefilter's first-clause literal. Literals have no newline, so a line
    // with an occurrence always gets a reported match (a leftmost match never reaches across
    // lines).
    // A line's hits: bit `k` for `few[k]`'s literal; with one search for all, bit 0.
    let mut hit = vec![0u8; n];
    let exact = literals.few.is_some() && literals.searched.len() == prefilters.len();
    FOLDED.with(|cell| {
        let mut folded = cell.borrow_mut();
        // With few literals the raw chunk is searched case-insensitively, a pass per literal;
        // with more, it is folded (see [`fold_into`]) once for one aho-corasick pass. Only the
        // lines with a hit are looked at below, for the clause checks.
        match (&literals.few, &literals.ac) {
            (Some(few), _) => {
                for (k, f) in few.iter().enumerate() {
                    each_line_hit(&|from| f.find(seg, from), &mut |i| {
                        if let Some(h) = hit.get_mut(i) {
                            *h |= 1 << k;
                        }
                    });
                }
            }
            (None, Some(ac)) => {
                fold_into(seg, &mut folded);
                let text: &[u8] = &folded;
                each_line_hit(
                    &|from| {
                        ac.find(aho_corasick::Input::new(text).span(from..text.len()))
                            .map(|m| m.start())
                    },
                    &mut |i| {
                        if let Some(h) = hit.get_mut(i) {
                            *h = 1;
                        }
                    },
                );
            }
            (None, None) => hit.fill(1),
        }
        let mut scratch = Vec::new();
        for (i, &h) in hit.iter().enumerate() {
            if h == 0 || out.get(i).is_none_or(|&c| c != 0) {
                continue;
            }
            let Some(&(s, e)) = lines.get(i) else {
                continue;
            };
            let line = block.get(s..e).unwrap_or_default();
            let mask = if exact {
                passing_searched(prefilters, &literals.searched, h, line, &mut scratch)
            } else {
                fold_into(line, &mut scratch);
                passing(prefilters, &scratch)
            };
            if let Some(c) = out.get_mut(i) {
                *c = mask;
            }
        }
    });
    out
}

/// [`passing`] for a line whose hits among the few searched literals are `hits` (see
/// [`LiteralSet::searched`]): a prefilter none of whose searched literals the line holds
/// fails, and one that holds one meets that clause, so only its other clauses are checked —
/// and the line is folded ([`fold_into`]) only when some prefilter has any.
fn passing_searched(
    prefilters: &[&Prefilter],
    searched: &[(usize, u8)],
    hits: u8,
    line: &[u8],
    scratch: &mut Vec<u8>,
) -> u64 {
    let mut folded = false;
    let mut mask = 0;
    for (i, (p, &(clause, bits))) in prefilters.iter().zip(searched).enumerate() {
        if hits & bits == 0 {
            continue;
        }
        let others = p.finders.iter().enumerate().filter(|(c, _)| *c != clause);
        let mut others = others.map(|(_, f)| f).peekable();
        if others.peek().is_some() {
            if !folded {
                fold_into(line, scratch);
                folded = true;
            }
            if !others.all(|clause| clause.found_in(scratch)) {
                continue;
            }
        }
        mask |= bit(i);
    }
    mask
}

/// The first-clause literals of a set of prefilters, for one search pass over a chunk.
#[derive(Debug, Default)]
pub struct LiteralSet {
    /// More than [`FEW`] literals: one pass over a folded copy of the chunk ([`fold_into`]).
    /// `None` (and `few` too): no literal to search for (every line is a candidate for the
    /// clause check).
    ac: Option<aho_corasick::AhoCorasick>,
    /// With few literals: a case-insensitive searcher each, run over the raw chunk, so the
    /// chunk is not copied (`None`: fold the chunk and search it with `ac`).
    few: Option<Vec<CiFinder>>,
    /// With `few`: for each prefilter, its searched clause and which of `few` search that
    /// clause's literals (bit `k` for `few[k]`). The raw search finds whole literals and
    /// marks every line holding one, so a line's hits tell whether it meets that clause; only
    /// the other clauses are checked on the line.
    searched: Vec<(usize, u8)>,
}

/// Up to this many first-clause literals are searched one by one in the raw text; more go
/// through one aho-corasick pass over a folded copy.
const FEW: usize = 4;
// A line's hits among the few literals are bits of a `u8`.
const _: () = assert!(FEW <= 8);

/// An ASCII case-insensitive substring searcher for raw bytes. Like `memchr`'s packed-pair
/// searcher: two bytes of the needle, chosen rare, are compared at every position of a
/// [`SPAN`]-byte block at once (a letter after folding case with `| 0x20`, which maps exactly
/// `A`–`Z` onto `a`–`z` among the bytes that can equal a lower-case letter); the rare positions
/// where both agree are verified with `eq_ignore_ascii_case`. The block loop works on
/// fixed-size arrays so that the compiler vectorises it (about 10 GB/s on one core here,
/// against about 1.2 GB/s for lower-casing a copy and searching that).
#[derive(Clone, Debug)]
pub struct CiFinder {
    /// Lower-case ASCII, at least two bytes.
    needle: Vec<u8>,
    i1: usize,
    i2: usize,
    n1: u8,
    n2: u8,
    /// `0x20` when the byte at `i1` / `i2` is a letter (compare case-folded), else 0.
    f1: u8,
    f2: u8,
}

/// Positions [`CiFinder::find`] compares per step: the loop's own work (bounds, the test of
/// the block's answer) is paid once per block, so longer blocks cost less per byte, until the
/// blocks that hold a candidate, looked at again, and the tail of each search, compared one
/// position at a time, cost more. PST rule over 200 MB, one thread, with [`PART`] = 32:
/// 373.9 M instructions with 128, 356.5 M with 256, 382.0 M with 512 (444.9 M with 64 and
/// no parts); the join, whose `exchange` is in nearly every management event, 2,813 M, 2,817 M
/// and 2,856 M (2,879 M).
const SPAN: usize = 256;
/// A block with a candidate position is looked at again in parts of this many bytes.
const PART: usize = 32;
// `locate` looks at every part of a block: the parts must tile it.
const _: () = assert!(SPAN.is_multiple_of(PART));

impl CiFinder {
    /// A searcher for `needle` (ASCII); `None` for a needle shorter than two bytes.
    pub fn new(needle: &str) -> Option<CiFinder> {
        let needle = needle.as_bytes().to_ascii_lowercase();
        let pair = memchr::arch::all::packedpair::Pair::new(&needle)?;
        let (i1, i2) = (usize::from(pair.index1()), usize::from(pair.index2()));
        let (n1, n2) = (*needle.get(i1)?, *needle.get(i2)?);
        let fold = |b: u8| if b.is_ascii_lowercase() { 0x20 } else { 0 };
        Some(CiFinder {
            f1: fold(n1),
            f2: fold(n2),
            i1,
            i2,
            n1,
            n2,
            needle,
        })
    }

    /// 1 when `a` and `b`, at the needle's two chosen positions, agree with it.
    #[inline(always)]
    fn pair(&self, a: u8, b: u8) -> u8 {
        u8::from((a | self.f1) == self.n1) & u8::from((b | self.f2) == self.n2)
    }

    /// Whether any position of a block agrees ([`CiFinder::pair`]); fixed-size arrays, so that
    /// the loop vectorises.
    #[inline(always)]
    fn any<const N: usize>(&self, w1: &[u8; N], w2: &[u8; N]) -> bool {
        w1.iter()
            .zip(w2)
            .fold(0u8, |x, (&a, &b)| x | self.pair(a, b))
            != 0
    }

    /// The first position at or after `from` where `hay` holds the needle, ignoring ASCII case.
    pub fn find(&self, hay: &[u8], mut from: usize) -> Option<usize> {
        let n = self.needle.len();
        while from + n <= hay.len() {
            let block = |i: usize| {
                hay.get(from + i..from + i + SPAN)
                    .and_then(|w| <&[u8; SPAN]>::try_from(w).ok())
            };
            let (Some(w1), Some(w2)) = (block(self.i1), block(self.i2)) else {
                // The last bytes: one position at a time.
                return (from..=hay.len() - n).find(|&p| self.verify(hay, p));
            };
            // Whether any position agrees, without keeping which: the rare block that has
            // one is looked at again out of this loop.
            if self.any(w1, w2)
                && let Some(at) = self.locate(hay, from, w1, w2)
            {
                return Some(at);
            }
            from += SPAN;
        }
        None
    }

    /// The first match in the block of `hay` starting at `from` (`w1`, `w2`: its bytes at the
    /// two chosen positions), looked for a [`PART`] at a time and, in a part where a position
    /// agrees, position by position.
    #[inline(never)]
    fn locate(&self, hay: &[u8], from: usize, w1: &[u8; SPAN], w2: &[u8; SPAN]) -> Option<usize> {
        let parts = w1.chunks_exact(PART).zip(w2.chunks_exact(PART));
        for (p, (p1, p2)) in parts.enumerate() {
            let (Ok(p1), Ok(p2)) = (<&[u8; PART]>::try_from(p1), p2.try_into()) else {
                continue;
            };
            if !self.any(p1, p2) {
                continue;
            }
            for (k, (&a, &b)) in p1.iter().zip(p2).enumerate() {
                let at = from + p * PART + k;
                if self.pair(a, b) != 0 && self.verify(hay, at) {
                    return Some(at);
                }
            }
        }
        None
    }

    /// Whether `hay` holds the needle at `p`, ignoring ASCII case.
    fn verify(&self, hay: &[u8], p: usize) -> bool {
        hay.get(p..p + self.needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(&self.needle))
    }
}

impl LiteralSet {
    /// Are the literals searched in the raw text, without folding a copy?
    pub fn searches_raw(&self) -> bool {
        self.few.is_some()
    }

    /// The union of the first clauses of `prefilters` (each prefilter needs one of its first
    /// clause's literals, so a line with none of the union's literals passes none of them).
    pub fn new(prefilters: &[&Prefilter]) -> LiteralSet {
        LiteralSet::of_clauses(prefilters, &vec![0; prefilters.len()])
    }

    /// Like [`LiteralSet::new`], but each prefilter's searched clause is the one whose
    /// literals occur least often in `sample` (the start of the data), ties going to the
    /// clause [`Prefilter::from_pred`] put first (the one with the longest shortest literal).
    /// Any clause will do — every line that may match meets all of them — but lines with a
    /// hit are checked against every clause, so the rarer the searched one, the fewer lines
    /// cost work: `Workload=SecurityComplianceCenter Operation=SearchExported` searches
    /// `searchexported` (0.5 % of the benchmark's management events) rather than the longer
    /// `securitycompliancecenter` (5 %). Only clauses whose literals are all at least
    /// [`SAMPLED_MIN`] bytes long (or as long as the first clause's shortest) are candidates:
    /// a short literal of common letters is found by chance at many positions, each looked at
    /// again, which costs more than checking extra lines (the send/hard-delete join searched
    /// `send` and `harddelete` rather than `exchange`, three times rarer in its sample, and
    /// executed 4 % more instructions).
    pub fn sampled(prefilters: &[&Prefilter], sample: &[u8]) -> LiteralSet {
        let count = |lit: &str| -> usize {
            let Some(f) = CiFinder::new(lit) else {
                return 0;
            };
            let mut n = 0;
            let mut from = 0;
            while let Some(at) = f.find(sample, from) {
                n += 1;
                from = at + lit.len();
            }
            n
        };
        // A clause of many literals (a join's keys) is counted in one pass of its automaton
        // over the folded sample, not a search per literal (1,820 message ids: 1,820 passes).
        let mut folded = None;
        let mut count_clause = |c: &Vec<String>, finder: Option<&ClauseFinder>| -> usize {
            let Some(ClauseFinder::Many(ac)) = finder else {
                return c.iter().map(|l| count(l)).sum();
            };
            let text = folded.get_or_insert_with(|| {
                let mut out = Vec::new();
                fold_into(sample, &mut out);
                out
            });
            ac.find_iter(text.as_slice()).count()
        };
        let chosen: Vec<usize> = prefilters
            .iter()
            .map(|p| {
                if p.clauses.len() < 2 {
                    return 0;
                }
                let shortest = |c: &Vec<String>| c.iter().map(String::len).min().unwrap_or(0);
                let least = p.clauses.first().map_or(0, shortest).min(SAMPLED_MIN);
                // the first of the rarest
                p.clauses
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| shortest(c) >= least)
                    .map(|(i, c)| (count_clause(c, p.finders.get(i)), i))
                    .min()
                    .map_or(0, |(_, i)| i)
            })
            .collect();
        LiteralSet::of_clauses(prefilters, &chosen)
    }

    /// The union of clause `chosen[i]` of each `prefilters[i]`.
    fn of_clauses(prefilters: &[&Prefilter], chosen: &[usize]) -> LiteralSet {
        let mut pats: Vec<&str> = prefilters
            .iter()
            .zip(chosen)
            .filter_map(|(p, &i)| p.clauses.get(i))
            .flatten()
            .map(String::as_str)
            .collect();
        pats.sort_unstable();
        pats.dedup();
        if pats.is_empty() || prefilters.iter().any(|p| p.clauses.is_empty()) {
            return LiteralSet::default();
        }
        let few = if pats.len() <= FEW {
            pats.iter()
                .map(|p| CiFinder::new(p))
                .collect::<Option<Vec<_>>>()
        } else {
            None
        };
        if few.is_some() {
            let searched = prefilters
                .iter()
                .zip(chosen)
                .map(|(p, &i)| {
                    let clause = p.clauses.get(i).map_or(&[][..], Vec::as_slice);
                    let bits = pats
                        .iter()
                        .enumerate()
                        .filter(|(_, lit)| clause.iter().any(|l| l == *lit))
                        .fold(0u8, |m, (k, _)| m | 1 << k);
                    (i, bits)
                })
                .collect();
            return LiteralSet {
                ac: None,
                few,
                searched,
            };
        }
        // A line holding a literal holds each of its pieces: the one-pass search looks for the
        // piece of each literal that starts at its rarest letters, so that the packed search's
        // fingerprints (the first bytes of each pattern) rarely match by chance. Lines with a
        // hit are then checked against the whole literals (`candidates`).
        // Beyond [`PIECES_MAX`] literals (a join's keys) the automaton has no packed search;
        // it then finds the places to start matching by the literals' first or rarest bytes,
        // and whole literals serve it better than pieces starting at unlike letters (the
        // send/hard-delete join's 1,820 message ids over its 150 MB of message-trace data,
        // folded: 16 ms whole, all starting with `<`; 220 ms for their twelve bytes after it).
        // A clause's own automaton (for its whole literals) serves when the literals are
        // exactly that clause's: building one for 1,820 message ids takes about 10 ms.
        let whole = pats.len() > PIECES_MAX;
        if whole {
            let same = prefilters.iter().zip(chosen).find_map(|(p, &i)| {
                let mut lits: Vec<&str> = p.clauses.get(i)?.iter().map(String::as_str).collect();
                lits.sort_unstable();
                lits.dedup();
                match p.finders.get(i) {
                    Some(ClauseFinder::Many(ac)) if lits == pats => Some(ac.clone()),
                    _ => None,
                }
            });
            if let Some(ac) = same {
                return LiteralSet {
                    ac: Some(ac),
                    few: None,
                    searched: Vec::new(),
                };
            }
        }
        let mut keys: Vec<Vec<u8>> = pats
            .iter()
            .map(|p| fold(if whole { p } else { rare_piece(p) }))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&keys)
            .ok();
        LiteralSet {
            ac,
            few: None,
            searched: Vec::new(),
        }
    }
}

/// Most literals searched by their rarest pieces ([`rare_piece`]): the aho-corasick crate's
/// packed search (Teddy) takes up to 64 patterns.
const PIECES_MAX: usize = 64;

/// Shortest literal of a clause [`LiteralSet::sampled`] may choose over the first.
const SAMPLED_MIN: usize = 8;

/// Shortest piece kept of a literal searched by [`rare_piece`].
const MIN_PIECE: usize = 8;

/// The end of `lit` (lower-case ASCII) that is at least [`MIN_PIECE`] bytes long and starts
/// with the rarest three bytes in ordinary log text; `lit` itself when it is that short.
fn rare_piece(lit: &str) -> &str {
    /// How common a byte is in log text, higher for more common (a rough English letter
    /// order; digits and the punctuation of dates, GUIDs and addresses count as common).
    fn common(b: u8) -> u32 {
        const LETTERS: &[u8] = b"etaoinsrhldcumfpgwybvkxjqz";
        match b {
            b' ' | b'0'..=b'9' | b'-' | b':' | b'.' | b',' => 30,
            _ => LETTERS
                .iter()
                .position(|&l| l == b)
                .map_or(0, |i| 26 - i as u32),
        }
    }
    let b = lit.as_bytes();
    let Some(last) = b.len().checked_sub(MIN_PIECE) else {
        return lit;
    };
    let score = |i: usize| -> u32 { b.iter().skip(i).take(3).map(|&c| common(c)).sum() };
    let start = (0..=last).min_by_key(|&i| score(i)).unwrap_or(0);
    lit.get(start..).unwrap_or(lit)
}

thread_local! {
    static FOLDED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Lines that must always be parsed: a `\u` escape can spell any literal, and two non-ASCII
/// letters lower-case to ASCII ones (KELVIN SIGN → `k`, `İ` → `i̇`).
pub fn must_parse(line: &[u8]) -> bool {
    MUST_PARSE.iter().any(|f| f.find(line).is_some())
}

/// Whether `text` is ASCII: what `<[u8]>::is_ascii` answers, with the bytes of a 256-byte
/// block OR-ed together (a loop the compiler vectorises) and the block's top bit tested once
/// (PST rule, 200 MB, one thread: the chunk test took 43.8 M instructions with std's, which
/// tests every sixteen bytes).
fn is_ascii(text: &[u8]) -> bool {
    const BLOCK: usize = 256;
    let mut blocks = text.chunks_exact(BLOCK);
    let plain = blocks
        .by_ref()
        .all(|b| <&[u8; BLOCK]>::try_from(b).is_ok_and(|b| b.iter().fold(0, |x, &y| x | y) < 0x80));
    plain && blocks.remainder().is_ascii()
}

/// `line` with bit 0x20 set in every byte into `out`: coarser than lower-casing (it also maps
/// `@[\]^_` and control bytes onto other bytes) but cheaper, and the fold of a lower-cased text
/// is the fold of the text, so a line holding a literal in any ASCII case holds the literal's
/// fold in its fold. (The non-ASCII bytes of a fold stay non-ASCII, and a literal is ASCII.)
/// Checking a line's clauses on its fold, rather than on a lower-cased copy, halved what the
/// copy costs (the send/hard-delete join over 200 MB: 70 → 37 M instructions, about 0.6 a
/// byte): the loop is one OR per sixteen bytes, with no comparisons.
pub fn fold_into(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    // A mapped slice iterator has an exact length: `extend` writes without a check per byte,
    // and the loop vectorises.
    out.extend(line.iter().map(|&b| b | 0x20));
}

/// A literal folded as [`fold_into`] folds text.
fn fold(lit: &str) -> Vec<u8> {
    lit.bytes().map(|b| b | 0x20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(q: &str) -> Prefilter {
        Prefilter::from_pred(&crate::plan::search::tests::pred(q))
    }

    /// Worked by hand: each key gives its longest fragment of at least three plain bytes,
    /// lower-cased, cut at newlines (a multivalue's values), at `/`, `"` and `\` (which JSON
    /// may escape) and at non-ASCII letters, and its first 128 bytes when it is longer; a key
    /// with no such fragment — a number, which JSON may write another way, or a short text —
    /// or no key at all, or too many, gives no clause.
    #[test]
    fn key_clauses_hold_a_usable_fragment_of_each_key() {
        let clause = |keys: &[&str]| key_clause(keys.iter().copied());
        let owned = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            clause(&["send", "<Ab1@X.com>"]),
            owned(&["<ab1@x.com>", "send"])
        );
        assert_eq!(clause(&["Send", "send", "SEND"]), owned(&["send"]));
        assert_eq!(clause(&["a\nbcd"]), owned(&["bcd"]));
        assert_eq!(clause(&["1.50\nHardDelete"]), owned(&["harddelete"]));
        assert_eq!(clause(&["a/bcde\"fg\\hi"]), owned(&["bcde"]));
        assert_eq!(clause(&["Straße-mail"]), owned(&["e-mail"]));
        let long = format!("{}/{}", "a".repeat(50), "B".repeat(300));
        assert_eq!(clause(&[long.as_str()]), Some(vec!["b".repeat(128)]));
        assert_eq!(clause(&["send", "42"]), None);
        assert_eq!(clause(&["send", "ab"]), None);
        assert_eq!(clause(&["send", "a/b"]), None);
        assert_eq!(clause(&[]), None);
        let many: Vec<String> = (0..=KEY_LITERALS_MAX).map(|i| format!("key{i}")).collect();
        assert_eq!(key_clause(many.iter().map(String::as_str)), None);
        let enough = many.get(..KEY_LITERALS_MAX).unwrap_or_default();
        assert_eq!(
            key_clause(enough.iter().map(String::as_str)).map(|c| c.len()),
            Some(KEY_LITERALS_MAX)
        );
    }

    /// A clause of more literals than are searched one by one is met, like one of few, by a
    /// line holding any of them in any ASCII case, and only by such a line.
    #[test]
    fn many_literal_clauses_are_met_like_few_literal_ones() {
        let keys: Vec<String> = (0..20).map(|i| format!("<id{i:02}@x.com>")).collect();
        let many = Prefilter::default().with_clauses(vec![keys.clone()]);
        assert!(matches!(many.finders.first(), Some(ClauseFinder::Many(_))));
        let few =
            Prefilter::default().with_clauses(vec![keys.get(..8).unwrap_or_default().to_vec()]);
        assert!(matches!(few.finders.first(), Some(ClauseFinder::Each(_))));
        let mut scratch = Vec::new();
        for (line, in_many, in_few) in [
            (&br#"{"id":"<ID07@X.COM>"}"#[..], true, true),
            (br#"{"id":"<id19@x.com>"}"#, true, false),
            (br#"{"id":"<id20@x.com>"}"#, false, false),
            (br#"{"id":"<id1@x.com>"}"#, false, false),
        ] {
            assert_eq!(many.may_match(line, &mut scratch), in_many);
            assert_eq!(few.may_match(line, &mut scratch), in_few);
        }
    }

    /// Worked by hand from `common`: in `searchexported` the three bytes starting at `x`
    /// (x 4 + p 11 + o 23 = 38) are the rarest, but a piece keeps eight bytes, so the latest
    /// start is `e` (26 + 4 + 11 = 41, against 48 for `hex` and more for the others).
    #[test]
    fn pieces_start_at_rare_letters() {
        assert_eq!(rare_piece("searchexported"), "exported");
        // `set` 20 + 26 + 25 = 71, `et-` 81, `t-m` 68, `-ma` 30 + 13 + 24 = 67
        assert_eq!(rare_piece("set-mailbox"), "-mailbox");
        assert_eq!(rare_piece("short"), "short");
        assert_eq!(rare_piece("abcdefgh"), "abcdefgh");
    }

    /// The case-insensitive searcher finds what lower-casing both sides and searching finds,
    /// from every start: needles and haystacks over letters of both cases, the bytes that case
    /// folding with `| 0x20` would confuse with letters or each other (`@` and `` ` ``, `[` and
    /// `{`), non-ASCII bytes and newlines; haystacks longer and shorter than a block.
    #[test]
    fn ci_finder_agrees_with_lowercase_search() {
        let alphabet = b"aAbBzZ@`[{\n\xc4\xb0 ";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        for round in 0..400 {
            let nlen = 2 + next(4);
            let needle: Vec<u8> = (0..nlen)
                .map(|_| alphabet[next(10)]) // ASCII part of the alphabet
                .collect();
            let hlen = if round % 3 == 0 {
                next(70)
            } else {
                60 + next(3 * SPAN)
            };
            let mut hay: Vec<u8> = (0..hlen).map(|_| alphabet[next(alphabet.len())]).collect();
            // plant the needle, in a random case, now and then
            if hlen > nlen && next(2) == 0 {
                let at = next(hlen - nlen);
                for (k, &b) in needle.iter().enumerate() {
                    hay[at + k] = if next(2) == 0 {
                        b.to_ascii_uppercase()
                    } else {
                        b
                    };
                }
            }
            let needle = String::from_utf8(needle).unwrap();
            let f = CiFinder::new(&needle).unwrap();
            let lower_hay = hay.to_ascii_lowercase();
            let lower_needle = needle.to_ascii_lowercase();
            for from in 0..=hay.len() {
                let want = memmem::find(lower_hay.get(from..).unwrap(), lower_needle.as_bytes())
                    .map(|p| p + from);
                assert_eq!(
                    f.find(&hay, from),
                    want,
                    "needle {needle:?} in {:?} from {from}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    /// `lines` joined by newlines, with each line's span.
    fn block_of(lines: &[&[u8]]) -> (Vec<u8>, Vec<(usize, usize)>) {
        let mut block = Vec::new();
        let mut spans = Vec::new();
        for l in lines {
            let s = block.len();
            block.extend_from_slice(l);
            spans.push((s, block.len()));
            block.push(b'\n');
        }
        (block, spans)
    }

    /// The chunk-level search marks exactly the lines a per-line check would: overlapping
    /// literals of different rules, a line with a second clause missing, `\u` escapes (two, so
    /// that the search for them resumes after a hit), blanks — whichever clause is searched
    /// (`p4`'s first clause is `gammaray1`, the longer; the sample makes `alphabet`, its second,
    /// the searched one), so that a line holding only the searched clause's literal, or only
    /// the other's, is checked for the other, and a line holding another rule's literal
    /// (`alpha`) and `p4`'s first clause fails `p4`.
    #[test]
    fn chunk_candidates_agree_with_the_line_check() {
        let p1 = pf("foo=alpha");
        let p2 = pf("bar=alphabet baz=gamma");
        let p3 = pf("qux=zeta");
        let p4 = pf("bar=alphabet baz=gammaray1");
        assert_eq!(p4.clauses(), [vec!["gammaray1"], vec!["alphabet"]]);
        let lines: [&[u8]; 12] = [
            br#"{"foo":"ALPHA"}"#,
            br#"{"bar":"alphabet","baz":"gamma"}"#,
            br#"{"bar":"Alphabet"}"#,
            br#"{"x":"beta"}"#,
            br#"{"x":"\u0041lpha"}"#,
            b"",
            br#"{"qux":"ZETA"}"#,
            br#"{"y":"\u007aeta"}"#,
            br#"{"bar":"ALPHABET","baz":"GammaRay1"}"#,
            br#"{"baz":"gammaray1"}"#,
            br#"{"bar":"alphabet","baz":"gammaray2"}"#,
            br#"{"foo":"alpha","baz":"GAMMARAY1"}"#,
        ];
        let (block, spans) = block_of(&lines);
        let sample = b"gammaray1 gammaray1 alphabet";
        assert!(searched(&LiteralSet::sampled(&[&p4], sample)).contains(&"alphabet".to_string()));
        let sets = [
            vec![&p1, &p2],
            vec![&p2],
            vec![&p1, &p2, &p3],
            vec![&p3],
            vec![&p4],
            vec![&p4, &p1],
            vec![&p2, &p4],
        ];
        for (set, lits) in sets.iter().flat_map(|set| {
            [LiteralSet::new(set), LiteralSet::sampled(set, sample)].map(|l| (set, l))
        }) {
            let got = candidates(set, &lits, &block, &spans);
            let mut scratch = Vec::new();
            let want: Vec<u64> = lines
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        0
                    } else if must_parse(l) {
                        ALL
                    } else {
                        set.iter()
                            .enumerate()
                            .filter(|(_, p)| p.may_match(l, &mut scratch))
                            .fold(0, |m, (i, _)| m | (1 << i))
                    }
                })
                .collect();
            assert_eq!(
                got,
                want,
                "{:?}",
                set.iter().map(|p| p.clauses()).collect::<Vec<_>>()
            );
        }
    }

    /// More than [`FEW`] literals go through one search of the folded chunk; a line whose fold
    /// holds a literal's fold without holding the literal (`_` and DEL, `@` and `` ` `` fold
    /// alike) is a hit of that search but fails the exact check. Worked by hand: line 0 holds
    /// `x_y@z` in upper case, line 2 `five5` and `four`, line 4 `three`; line 1 only folds like
    /// `x_y@z`.
    #[test]
    fn many_literals_are_searched_folded_and_checked_whole() {
        let ps: Vec<Prefilter> = [
            "a=x_y@z",
            "b=one1",
            "c=two2",
            "d=three",
            "e=four",
            "f=five5",
            "g=searchexported",
        ]
        .iter()
        .map(|q| pf(q))
        .collect();
        let set: Vec<&Prefilter> = ps.iter().collect();
        let lits = LiteralSet::new(&set);
        assert!(
            !lits.searches_raw(),
            "seven literals are searched in one pass"
        );
        let lines: [&[u8]; 7] = [
            br#"{"a":"X_Y@Z"}"#,
            // the fold of `x_y@z`: let through (the search then rejects the event)
            b"{\"a\":\"x\x7fy`z\"}",
            br#"{"q":"FIVE5 and four"}"#,
            br#"{"q":"nothing"}"#,
            br#"{"q":"tHrEe"}"#,
            // the searched piece of `searchexported` (`exported`), not the whole literal
            br#"{"q":"EXPORTED only"}"#,
            br#"{"q":"SearchExported"}"#,
        ];
        let (block, spans) = block_of(&lines);
        assert_eq!(
            candidates(&set, &lits, &block, &spans),
            [1, 1, 1 << 4 | 1 << 5, 0, 1 << 3, 0, 1 << 6]
        );
    }

    /// The literals a set searches the raw text for (few literals only).
    fn searched(set: &LiteralSet) -> Vec<String> {
        let few = set.few.as_deref().unwrap_or_default();
        let mut v: Vec<String> = few
            .iter()
            .map(|f| String::from_utf8_lossy(&f.needle).into_owned())
            .collect();
        v.sort();
        v
    }

    /// Each prefilter's searched clause is the rarest in the sample (case ignored), among the
    /// first clause and those whose literals are at least eight bytes long; ties and an empty
    /// sample keep the first clause. Counted by hand in the samples below; whatever clause is
    /// searched, the lines' masks are the same.
    #[test]
    fn sampled_sets_search_the_rarest_long_enough_clause() {
        let compliance = pf("Workload=SecurityComplianceCenter Operation=SearchExported");
        assert_eq!(
            compliance.clauses(),
            [vec!["securitycompliancecenter"], vec!["searchexported"]]
        );
        let join = pf("Workload=Exchange (Operation=Send OR Operation=HardDelete)");
        assert_eq!(
            join.clauses(),
            [vec!["exchange"], vec!["harddelete", "send"]]
        );
        let sampled =
            |p: &Prefilter, sample: &str| searched(&LiteralSet::sampled(&[p], sample.as_bytes()));
        // 3 against 1: the rarer second clause
        let scc = r#"{"Workload":"SecurityComplianceCenter","Operation":"SEARCHEXPORTED"}
{"Workload":"securitycompliancecenter"}
{"Workload":"SecurityComplianceCenter"}"#;
        assert_eq!(sampled(&compliance, scc), ["searchexported"]);
        // 1 against 2: the first
        let se = r#"{"Operation":"SearchExported"} {"Operation":"searchexported"}
{"Workload":"SecurityComplianceCenter"}"#;
        assert_eq!(sampled(&compliance, se), ["securitycompliancecenter"]);
        // a tie, and nothing to count: the first
        let tie = r#"{"Workload":"SecurityComplianceCenter","Operation":"SearchExported"}"#;
        assert_eq!(sampled(&compliance, tie), ["securitycompliancecenter"]);
        assert_eq!(sampled(&compliance, ""), ["securitycompliancecenter"]);
        assert_eq!(
            searched(&LiteralSet::new(&[&compliance])),
            ["securitycompliancecenter"]
        );
        // `send` is shorter than eight bytes: `exchange` is searched though 4 against 1
        let ex = r#"{"Workload":"Exchange","Operation":"Send"} {"w":"exchange exchange exchange"}"#;
        assert_eq!(sampled(&join, ex), ["exchange"]);

        let lines: [&[u8]; 5] = [
            br#"{"Workload":"SecurityComplianceCenter","Operation":"SearchExported"}"#,
            br#"{"Workload":"SecurityComplianceCenter","Operation":"Other"}"#,
            br#"{"Workload":"Exchange","Operation":"searchexported"}"#,
            br#"{"Workload":"Exchange","Operation":"HardDelete"}"#,
            br#"{"Workload":"SharePoint","Operation":"send"}"#,
        ];
        let (block, spans) = block_of(&lines);
        let set = [&compliance, &join];
        let want = [1, 0, 0, 2, 0];
        assert_eq!(
            candidates(&set, &LiteralSet::new(&set), &block, &spans),
            want
        );
        let rare = LiteralSet::sampled(&set, scc.as_bytes());
        assert_eq!(searched(&rare), ["exchange", "searchexported"]);
        assert_eq!(candidates(&set, &rare, &block, &spans), want);
    }

    /// The block-wise ASCII test answers what std's does: texts shorter and longer than a block,
    /// ASCII throughout (0x7F included) and with one byte above 0x7F at each position.
    #[test]
    fn is_ascii_agrees_with_std() {
        for len in [0usize, 1, 255, 256, 257, 511, 512, 700] {
            let text: Vec<u8> = (0..len).map(|i| (i % 128) as u8).collect();
            assert!(is_ascii(&text), "{len} ASCII bytes");
            for at in 0..len {
                for b in [0x80, 0xC4, 0xFF] {
                    let mut t = text.clone();
                    t[at] = b;
                    assert!(!is_ascii(&t), "{len} bytes, {b:#x} at {at}");
                }
            }
        }
    }

    /// Lengths around the 64-byte blocks the loop may work in: every byte gets bit 0x20 (an
    /// upper-case letter becomes lower-case, a lower-case one and a digit stay, `@` and `[`
    /// become `` ` `` and `{`; `É`, 0xC3 0x89, becomes 0xE3 0xA9, still not ASCII), and what
    /// `out` held before is gone.
    #[test]
    fn fold_into_sets_bit_0x20_of_every_byte() {
        let mut out = vec![b'x'; 7];
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 127, 128, 130] {
            let text: Vec<u8> = (0..len).map(|i| b"AbZ@[`{9"[i % 8]).collect();
            let want: Vec<u8> = (0..len).map(|i| b"abz`{`{9"[i % 8]).collect();
            fold_into(&text, &mut out);
            assert_eq!(out, want, "{len} bytes");
            for at in [0, len / 2, len.saturating_sub(2)] {
                if len < 2 {
                    continue;
                }
                let mut text = text.clone();
                text.splice(at..at + 2, [0xC3, 0x89]);
                let mut want = want.clone();
                want.splice(at..at + 2, [0xE3, 0xA9]);
                fold_into(&text, &mut out);
                assert_eq!(out, want, "{len} bytes, É at {at}");
            }
        }
    }

    /// A line holding a clause's literal in any ASCII case is let through, whichever clause is
    /// searched and whichever is checked on the folded line; the fold lets through a few more
    /// (a byte of `@[\]^_` in a literal also matches the byte 0x20 above it) and never fewer.
    #[test]
    fn folded_checks_let_every_case_through() {
        let p =
            pf(r#"Workload="Exchange" Operation IN ("Send*", "HardDelete") UserId="Al@Ex.com""#);
        assert_eq!(
            p.clauses(),
            [
                vec!["al@ex.com".to_string()],
                vec!["exchange".to_string()],
                vec!["harddelete".to_string(), "send".to_string()],
            ]
        );
        let mut s = Vec::new();
        let line = |w: &str, o: &str, u: &str| {
            format!(r#"{{"Workload": "{w}", "Operation": "{o}", "UserId": "{u}"}}"#)
        };
        for (w, o, u) in [
            ("Exchange", "Send", "al@ex.com"),
            ("EXCHANGE", "SENDAS", "AL@EX.COM"),
            ("exchange", "hardDelete", "Al@eX.cOm"),
        ] {
            let l = line(w, o, u);
            assert!(p.may_match(l.as_bytes(), &mut s), "{l}");
            let (block, spans) = block_of(&[l.as_bytes()]);
            for set in [LiteralSet::new(&[&p]), LiteralSet::sampled(&[&p], &block)] {
                assert_eq!(candidates(&[&p], &set, &block, &spans), [1], "{l}");
            }
        }
        // a missing clause fails; a fold-alike of `@` passes the folded check
        assert!(!p.may_match(line("Exchange", "Receive", "al@ex.com").as_bytes(), &mut s));
        assert!(!p.may_match(line("Exch", "Send", "al@ex.com").as_bytes(), &mut s));
        assert!(p.may_match(line("Exchange", "Send", "al`ex.com").as_bytes(), &mut s));
    }

    #[test]
    fn derives_conservative_literals() {
        let p = pf(
            r#"sourcetype=x Category=ThreatManagement Name="eDiscovery search started or exported""#,
        );
        assert_eq!(
            p.clauses(),
            [
                vec!["ediscovery search started or exported".to_string()],
                vec!["threatmanagement".to_string()]
            ]
        );
        // wildcards: the longest piece; OR: any of the branches; NOT and != give nothing
        let p = pf(r#"Operation IN ("Send*", "HardDelete") NOT x=abc y!=def"#);
        assert_eq!(
            p.clauses(),
            [vec!["harddelete".to_string(), "send".to_string()]]
        );
        // backslashes, numbers and short literals are never used
        assert!(pf(r#"Folder.Path="\\Sent Items" n=12345 ab=cd"#).is_empty());
    }

    #[test]
    fn matching_is_case_insensitive_and_unicode_escapes_pass() {
        let p = pf("Name=Send");
        let mut s = Vec::new();
        assert!(p.may_match(br#"{"Name": "SEND"}"#, &mut s));
        assert!(!p.may_match(br#"{"Name": "Receive"}"#, &mut s));
        assert!(p.may_match(br#"{"Name": "S\u0045nd"}"#, &mut s));
    }
}
