//! Parsing only the fields a plan reads (stage: read).
//!
//! When a plan can tell which event fields it reads (`plan::Plan::reads_with`: a transforming
//! command such as `stats` comes before any step that reads every field), an event is parsed
//! into a document holding only the top-level keys those fields start from; the values of the
//! other keys are skipped. Skipping is still parsing: a skipped value goes through the same
//! deserializer as a kept one (strings unescaped, numbers read, nesting counted), so a line is
//! malformed — and reported with the same message — exactly when the whole-document parse
//! would reject it. What changes is only that no `Value` is built for what nobody reads.
//!
//! The same holds below the top level: a field is a leaf (a lookup that ends at an object or
//! an array finds nothing), so a kept value is pruned to the members and elements some field
//! goes through ([`Shape`]): `Item.Subject` keeps `Item` as an object holding only `Subject`,
//! `AffectedItems{}.Subject` each element of `AffectedItems` holding only its `Subject`. Every
//! lookup of a field the plan reads finds in the pruned value what it finds in the whole one.

use super::FieldPath;
use super::path::Seg;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::fmt;
use wide::{CmpEq, CmpLt, i8x16};

/// The top-level keys to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Projection {
    keys: Vec<&'static str>,
    /// What is read of each kept key's value (`shapes[i]` for `keys[i]`).
    shapes: Vec<Shape>,
    /// Bit `n % 64` of word `n / 64` set: some key has `n` bytes (`n` < 128); a quick no
    /// for most keys when few are kept.
    lens: [u64; 2],
    /// Some key has 128 bytes or more.
    long: bool,
    /// Bit `s % 64` of word `s / 64` set: some kept key has the signature `s` ([`signature`]:
    /// its length and its first and last bytes); the next no, when many keys are kept (the
    /// lengths alone let through most keys of a management event for the send/hard-delete
    /// join's kept ones, each then compared with every kept key of its length).
    sigs: [u64; 4],
}

/// A key's signature, 0–255, from its length and its first and last bytes: keys of one
/// length in an event mostly differ in one or the other.
#[inline(always)]
fn signature(key: &[u8]) -> usize {
    let (first, last) = match key {
        [] => (0, 0),
        [f, .., l] => (*f, *l),
        [f] => (*f, *f),
    };
    (key.len().wrapping_mul(37) ^ usize::from(first).wrapping_mul(5) ^ usize::from(last)) & 255
}

/// What of a kept value the fields read: the members of an object (each with what is read of
/// its value) and the elements of an array. A value is built pruned to it — an object with
/// only those members, an array with only those elements, an object or array nothing goes
/// into empty — since fields are leaves: a lookup that ends at an object or an array finds
/// nothing, in the whole value as in the pruned one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// The members read of an object; `None`: none.
    members: Option<Box<Projection>>,
    /// What is read of each element of an array; `None`: nothing.
    each: Option<Box<Shape>>,
    /// The value is kept whole (see [`MAX_RUN`]); `members` and `each` are then unused.
    whole: bool,
}

/// Longest run of keys (between `{}`s) whose ways of being read are worked out: `k` keys
/// can be read as `2^(k-1)` sequences of keys joined by `.` (`a.b.c` is `a`→`b`→`c`,
/// `a.b`→`c`, `a`→`b.c` or `a.b.c`), each a branch of the shape; a value a longer run goes
/// into is kept whole instead.
const MAX_RUN: usize = 8;

impl Shape {
    /// Also read what the path `rest` reaches from this value (the walk of
    /// `FieldPath::lookup`: an object's member for a key, every element for `{}`).
    fn read(&mut self, rest: &[Seg]) {
        if self.whole {
            return;
        }
        match rest.split_first() {
            None => {}
            Some((Seg::Each, after)) => self.each.get_or_insert_default().read(after),
            Some((Seg::Key(_), _)) => {
                if rest.iter().take_while(|s| matches!(s, Seg::Key(_))).count() > MAX_RUN {
                    *self = Shape {
                        whole: true,
                        ..Shape::default()
                    };
                    return;
                }
                self.members.get_or_insert_default().path(rest);
            }
        }
    }

    /// How many shapes this one holds, itself included (for tests).
    #[cfg(test)]
    fn size(&self) -> usize {
        1 + self.each.as_ref().map_or(0, |e| e.size())
            + self
                .members
                .as_ref()
                .map_or(0, |p| p.shapes.iter().map(Shape::size).sum())
    }

    /// `v` pruned to this shape: the reference the builders below are tested against.
    #[cfg(test)]
    fn prune(&self, v: &Json) -> Json {
        if self.whole {
            return v.clone();
        }
        match v {
            Json::Object(map) => Json::Object(match &self.members {
                Some(p) => map
                    .iter()
                    .filter_map(|(k, v)| {
                        let i = p.wanted(k.as_bytes())?;
                        Some((k.clone(), p.shapes.get(i)?.prune(v)))
                    })
                    .collect(),
                None => serde_json::Map::new(),
            }),
            Json::Array(items) => Json::Array(match &self.each {
                Some(s) => items.iter().map(|v| s.prune(v)).collect(),
                None => Vec::new(),
            }),
            other => other.clone(),
        }
    }
}

impl Projection {
    /// Keep what the fields `names` (Splunk names, as a plan reads them) can be looked up in.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Projection {
        let mut p = Projection::default();
        for n in names {
            p.add_field(&FieldPath::new(n));
        }
        p
    }

    /// Also keep what the field `f` can be looked up in.
    pub fn add_field(&mut self, f: &FieldPath) {
        self.path(f.segs());
    }

    /// Keep what the path `segs` reaches from an object: the first key, and the first keys
    /// joined by `.` while no `{}` intervenes (`Folder.Path` → `Folder`, then `Path` in it, and
    /// the key `Folder.Path`; `AffectedItems{}.Subject` → `AffectedItems`, then `Subject` in
    /// each element), as the lookup's walk tries them.
    fn path(&mut self, segs: &[Seg]) {
        let mut key = String::new();
        for (i, seg) in segs.iter().enumerate() {
            let Seg::Key(k) = seg else { break };
            if i > 0 {
                key.push('.');
            }
            key.push_str(k);
            let at = self.add(&key);
            if let Some(shape) = self.shapes.get_mut(at) {
                shape.read(segs.get(i + 1..).unwrap_or_default());
            }
        }
    }

    /// Keep the key `k`; its index in `keys`.
    fn add(&mut self, k: &str) -> usize {
        let k = super::intern(k);
        if let Some(at) = self.keys.iter().position(|&have| have == k) {
            return at;
        }
        match k.len() {
            n @ 0..128 => {
                if let Some(w) = self.lens.get_mut(n / 64) {
                    *w |= 1 << (n % 64);
                }
            }
            _ => self.long = true,
        }
        let s = signature(k.as_bytes());
        if let Some(w) = self.sigs.get_mut(s / 64) {
            *w |= 1 << (s % 64);
        }
        self.keys.push(k);
        self.shapes.push(Shape::default());
        self.keys.len() - 1
    }

    /// How many top-level keys are kept.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No key is kept.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Which of the kept keys `key` is (its text as written, without escapes), if any.
    fn wanted(&self, key: &[u8]) -> Option<usize> {
        let n = key.len();
        if n < 128 {
            if self.lens.get(n / 64).is_none_or(|w| w >> (n % 64) & 1 == 0) {
                return None;
            }
        } else if !self.long {
            return None;
        }
        let s = signature(key);
        if self.sigs.get(s / 64).is_none_or(|w| w >> (s % 64) & 1 == 0) {
            return None;
        }
        self.keys.iter().position(|k| k.as_bytes() == key)
    }

    /// Parse `text` as a JSON document keeping only the wanted top-level keys. `Ok(None)`: the
    /// text is valid JSON but not an object. Errors are the deserializer's, as for a whole parse.
    pub fn parse(&self, text: &str) -> Result<Option<Json>, serde_json::Error> {
        if let Some(doc) = self.scan(text.as_bytes()) {
            return Ok(Some(Json::Object(
                doc.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            )));
        }
        self.parse_serde(text)
    }

    /// The fast path alone, on a line not known to be UTF-8: the wanted members when the line
    /// is certainly a valid JSON object in valid UTF-8 (the scanner validates every non-ASCII
    /// character of its strings, and JSON allows no other), and exactly what
    /// [`Projection::parse`] would give; `None` when it cannot tell — the caller then checks the
    /// UTF-8 and asks [`Projection::parse_serde`], which reports the errors.
    pub fn scan(&self, line: &[u8]) -> Option<Vec<(&'static str, Json)>> {
        Scan::new(line).object(self)
    }

    /// The deserializer path: exact for every input, and the one whose errors are reported.
    pub fn parse_serde(&self, text: &str) -> Result<Option<Json>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let doc = Doc(self).deserialize(&mut de)?;
        de.end()?;
        Ok(doc)
    }
}

/// The fast path: a byte scanner that validates JSON and skips unwanted values without the
/// deserializer's per-value calls, finding the end of a string through a bit mask per 64 bytes
/// ([`specials`]).
///
/// It answers only when the answer is certainly the deserializer's: it accepts a subset of what
/// serde_json accepts, and gives up (`None`, and the line goes through
/// [`Projection::parse_serde`]) on anything else — every error, escapes in a wanted key, a
/// `\u` surrogate, a number with an exponent or of more than 300 characters (the only numbers
/// that can be out of range are read by serde_json itself), nesting deeper than 100 (serde_json
/// stops at 128), a document that is not an object. Kept values are built as a whole parse
/// builds them: a string without escapes, `true`, `false`, `null` and a non-negative integer of
/// at most 18 digits directly from the text the scanner delimited, anything else by serde_json
/// from that slice.
struct Scan<'t> {
    b: &'t [u8],
    i: usize,
    /// The 64-byte block of `b` (counted from the line's start) whose [`specials`] are in
    /// `mask`; `usize::MAX` before the first.
    blk: usize,
    /// Bit `k` set when byte `64 * blk + k` is special (bytes past the end count as special).
    mask: u64,
}

thread_local! {
    /// The kept members of the line being scanned ([`Scan::object`]), reused from line to line.
    static KEPT: std::cell::RefCell<Vec<(usize, Json)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Deeper nesting is left to serde_json, whose own limit (128) decides.
const MAX_DEPTH: usize = 100;
/// Longer numbers are read by serde_json (they may be out of range).
const MAX_NUMBER: usize = 300;

/// Bytes of a block that end a run of plain string bytes: `"`, `\`, a control character or a
/// byte above 0x7F (a non-ASCII character, validated on its own), as bit `k` for byte `k`;
/// a block shorter than 64 bytes counts the missing bytes as special. Sixteen bytes are
/// compared at a time (`wide`: SSE2 on x86-64, NEON on AArch64, plain code elsewhere): a
/// signed comparison with 0x20 finds both the control characters and the bytes above 0x7F.
#[inline(always)]
fn specials(block: &[u8]) -> u64 {
    match block.first_chunk::<64>() {
        Some(full) => specials_of(full),
        None => specials_short(block),
    }
}

/// [`specials`] of a line's last, short block: padded with zero bytes (special), out of the
/// string loop so that the padding is not set up for every block.
#[cold]
#[inline(never)]
fn specials_short(block: &[u8]) -> u64 {
    let mut padded = [0u8; 64];
    padded.iter_mut().zip(block).for_each(|(p, &b)| *p = b);
    specials_of(&padded)
}

#[inline(always)]
fn specials_of(full: &[u8; 64]) -> u64 {
    let (quote, backslash, space) = (
        i8x16::splat(b'"' as i8),
        i8x16::splat(b'\\' as i8),
        i8x16::splat(0x20),
    );
    full.chunks_exact(16).enumerate().fold(0u64, |m, (k, c)| {
        let mut lanes = [0i8; 16];
        lanes.iter_mut().zip(c).for_each(|(l, &b)| *l = b as i8);
        let v = i8x16::new(lanes);
        let hit = v.cmp_eq(quote) | v.cmp_eq(backslash) | v.cmp_lt(space);
        m | u64::from(hit.move_mask() as u16) << (16 * k)
    })
}

/// A value the scanner delimited (and validated), as serde_json builds it: the literals and
/// a non-negative integer of at most 18 digits (serde_json's `u64`) directly, anything else by
/// serde_json. (A string without escapes is built by the caller.)
fn leaf(text: &str) -> Option<Json> {
    Some(match text {
        "true" => Json::Bool(true),
        "false" => Json::Bool(false),
        "null" => Json::Null,
        t if (1..=18).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) => {
            Json::Number(t.parse::<u64>().ok()?.into())
        }
        t => super::json::from_str(t).ok()?,
    })
}

impl<'t> Scan<'t> {
    fn new(b: &'t [u8]) -> Scan<'t> {
        Scan {
            b,
            i: 0,
            blk: usize::MAX,
            mask: 0,
        }
    }

    /// The text between two positions the scanner delimited.
    fn text(&self, from: usize, to: usize) -> Option<&'t str> {
        std::str::from_utf8(self.b.get(from..to)?).ok()
    }

    /// Moves the cursor to the first special byte (see [`specials`]) at or after it, or to
    /// the end. Each block's mask is worked out once, when the cursor first needs it. Always
    /// inline: it is the string loop (out of line, after an unrelated change moved code
    /// between codegen units, `stats count by Operation` cost 4 % more instructions).
    #[inline(always)]
    fn skip_plain(&mut self) {
        while self.i < self.b.len() {
            let blk = self.i / 64;
            if blk != self.blk {
                self.mask = specials(self.b.get(blk * 64..).unwrap_or_default());
                self.blk = blk;
            }
            let m = self.mask >> (self.i % 64);
            if m != 0 {
                self.i = (self.i + m.trailing_zeros() as usize).min(self.b.len());
                return;
            }
            self.i = (blk + 1) * 64;
        }
        self.i = self.i.min(self.b.len());
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        let end = self.i + w.len();
        (self.b.get(self.i..end)? == w).then(|| self.i = end)
    }

    /// The whole line as a projected object's members, in document order (see
    /// [`super::Doc::Members`]). The kept members are gathered first and the list is built
    /// once, at its final size.
    fn object(mut self, p: &Projection) -> Option<Vec<(&'static str, Json)>> {
        KEPT.with(|kept| {
            // (never in use here, as a scan does not nest; if it were, the deserializer answers)
            let mut kept = kept.try_borrow_mut().ok()?;
            kept.clear();
            self.members(p, &mut kept)?;
            // At its final size (collecting `Option`s would grow it step by step), with the
            // projection's own text of each key (the line's is the same, unescaped).
            let mut out = Vec::with_capacity(kept.len());
            for (k, v) in kept.drain(..) {
                out.push((*p.keys.get(k)?, v));
            }
            Some(out)
        })
    }

    /// The members of the object at the cursor, the wanted ones (which kept key, value) into
    /// `kept` (a repeated key keeps its first position and its last value, as in a map);
    /// `Some` when the line is exactly the object.
    fn members(&mut self, p: &Projection, kept: &mut Vec<(usize, Json)>) -> Option<()> {
        self.ws();
        self.each_member(p, 1, |scan, k, _| {
            let v = scan.kept(p.shapes.get(k)?, 1)?;
            match kept.iter_mut().find(|(i, _)| *i == k) {
                Some(slot) => slot.1 = v,
                None => kept.push((k, v)),
            }
            Some(())
        })?;
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    /// The members of the object at the cursor, `depth` levels deep: `keep(self, k, key)` reads
    /// the value of each member `p` keeps (`k`: which kept key; `key`: its text as written),
    /// the others are skipped; the cursor ends after the closing brace.
    #[inline(always)]
    fn each_member(
        &mut self,
        p: &Projection,
        depth: usize,
        mut keep: impl FnMut(&mut Self, usize, &'t [u8]) -> Option<()>,
    ) -> Option<()> {
        let mut more = self.open(b'{', b'}')?;
        while more {
            let (key, escaped) = self.key()?;
            if escaped {
                // compared unescaped by the deserializer; rare enough to leave to it
                return None;
            }
            match p.wanted(key) {
                Some(k) => keep(self, k, key)?,
                None if self.peek()? == b'"' => self.string().map(drop)?,
                None => self.value(depth)?,
            }
            more = self.more(b'}')?;
        }
        Some(())
    }

    /// The value at the cursor, `depth` levels deep, built pruned to `shape` (see [`Shape`]):
    /// the members and elements nothing reads are skipped as [`Scan::value`] skips them.
    fn kept(&mut self, shape: &Shape, depth: usize) -> Option<Json> {
        let at = self.i;
        match self.peek()? {
            b'"' => {
                let (start, escaped) = self.string()?;
                if escaped {
                    return leaf(self.text(at, self.i)?);
                }
                Some(Json::String(self.text(start, self.i - 1)?.to_string()))
            }
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' | b'[' if shape.whole => {
                self.value(depth)?;
                leaf(self.text(at, self.i)?)
            }
            b'{' => {
                let Some(p) = &shape.members else {
                    self.value(depth)?;
                    return Some(Json::Object(serde_json::Map::new()));
                };
                let mut out = serde_json::Map::new();
                self.each_member(p, depth + 1, |scan, k, key| {
                    let key = std::str::from_utf8(key).ok()?;
                    let v = scan.kept(p.shapes.get(k)?, depth + 1)?;
                    // a repeated key: first position, last value
                    out.insert(key.to_string(), v);
                    Some(())
                })?;
                Some(Json::Object(out))
            }
            b'[' => {
                let Some(each) = &shape.each else {
                    self.value(depth)?;
                    return Some(Json::Array(Vec::new()));
                };
                let mut out = Vec::new();
                let mut more = self.open(b'[', b']')?;
                while more {
                    out.push(self.kept(each, depth + 1)?);
                    more = self.more(b']')?;
                }
                Some(Json::Array(out))
            }
            _ => {
                self.value(depth)?;
                leaf(self.text(at, self.i)?)
            }
        }
    }

    /// The opening bracket `open` at the cursor: whether members follow (`false`: it closes
    /// with `close` at once).
    fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.eat(open)?;
        self.ws();
        Some(self.eat(close).is_none())
    }

    /// After a member: whether another follows (`,`) or the container ends (`close`).
    fn more(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        self.i += 1;
        self.ws();
        match c {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// An object key and its colon: the key's text as written, and whether it has escapes.
    #[inline(always)]
    fn key(&mut self) -> Option<(&'t [u8], bool)> {
        let (start, escaped) = self.string()?;
        let key = self.b.get(start..self.i - 1)?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some((key, escaped))
    }

    /// A string starting at the cursor; returns where its content starts and whether it has
    /// escapes, with the cursor after the closing quote. Always inline, like [`Scan::key`]
    /// and [`Scan::skip_plain`]: the compiler drops a plain hint when code moves.
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        // Most strings end at the first special byte.
        self.skip_plain();
        if self.peek() == Some(b'"') {
            self.i += 1;
            return Some((start, false));
        }
        self.string_rest(start)
    }

    /// The rest of a string that starts at `start`, from a special byte that is not its end.
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Option<(usize, bool)> {
        let mut escaped = false;
        loop {
            self.skip_plain();
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some((start, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            // four hex digits, not a surrogate (serde_json judges pairs)
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            let code = hex.iter().try_fold(0u32, |n, &h| {
                                Some(n * 16 + char::from(h).to_digit(16)?)
                            })?;
                            if (0xD800..=0xDFFF).contains(&code) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                0x80.. => self.utf8_char()?,
                _ => return None, // a control character
            }
        }
    }

    /// The non-ASCII character at the cursor, if it is valid UTF-8 (std judges overlong forms,
    /// surrogates and code points above U+10FFFF), the cursor after it.
    fn utf8_char(&mut self) -> Option<()> {
        let len = match self.peek()? {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        std::str::from_utf8(self.b.get(self.i..self.i + len)?).ok()?;
        self.i += len;
        Some(())
    }

    /// Any value starting at the cursor, nested `depth` levels deep. One loop, not a call per
    /// nested value: the containers open inside it are a bit stack (object: 1), at most
    /// [`MAX_DEPTH`] of them, so a `u128` holds them.
    fn value(&mut self, depth: usize) -> Option<()> {
        const _: () = assert!(MAX_DEPTH <= 128);
        let mut stack = 0u128;
        let mut open = 0usize;
        loop {
            // A value at the cursor.
            match self.peek()? {
                b'"' => self.string().map(drop)?,
                b'{' | b'[' if depth + open >= MAX_DEPTH => return None,
                c @ (b'{' | b'[') => {
                    let object = c == b'{';
                    if self.open(c, if object { b'}' } else { b']' })? {
                        stack = stack << 1 | u128::from(object);
                        open += 1;
                        if object {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'n' => self.word(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a complete value: the containers it completes close, then the next value
            // of the innermost one still open (after its key, in an object).
            loop {
                if open == 0 {
                    return Some(());
                }
                let object = stack & 1 == 1;
                if self.more(if object { b'}' } else { b']' })? {
                    if object {
                        self.key()?;
                    }
                    break;
                }
                stack >>= 1;
                open -= 1;
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`; with an exponent or long, serde_json reads it.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let _ = self.eat(b'+').or_else(|| self.eat(b'-'));
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        } else if self.i - start <= MAX_NUMBER {
            return Some(());
        }
        let n = super::json::from_str(self.text(start, self.i)?).ok()?;
        n.is_number().then_some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }
}

/// The top-level value: an object is projected, anything else is read and reported as such.
struct Doc<'p>(&'p Projection);

impl<'de> DeserializeSeed<'de> for Doc<'_> {
    type Value = Option<Json>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_> {
    type Value = Option<Json>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        kept_members(self.0, map).map(|m| Some(Json::Object(m)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The members of an object the projection `p` keeps, each pruned to its shape, the others
/// read through ([`Skip`]): the document's own members and a kept object's alike.
fn kept_members<'de, A: MapAccess<'de>>(
    p: &Projection,
    mut map: A,
) -> Result<serde_json::Map<String, Json>, A::Error> {
    let mut out = serde_json::Map::new();
    while let Some(key) = map.next_key_seed(Key)? {
        match p.wanted(key.as_bytes()).and_then(|k| p.shapes.get(k)) {
            Some(shape) => {
                // A repeated key keeps its first position and its last value, as in a whole
                // parse.
                let v = map.next_value_seed(Pruned(shape))?;
                out.insert(key.into_owned(), v);
            }
            None => map.next_value_seed(Skip)?,
        }
    }
    Ok(out)
}

/// A kept value, built pruned to its shape ([`Shape`]; what is not kept is read through as
/// [`Skip`] reads it), scalars as [`super::json::Plain`] builds them.
struct Pruned<'s>(&'s Shape);

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Json;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        if self.0.whole {
            return super::json::Plain.deserialize(d);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Json, A::Error> {
        match &self.0.members {
            Some(p) => kept_members(p, map).map(Json::Object),
            None => Skip
                .visit_map(map)
                .map(|()| Json::Object(serde_json::Map::new())),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let Some(each) = &self.0.each else {
            Skip.visit_seq(seq)?;
            return Ok(Json::Array(Vec::new()));
        };
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Pruned(each))? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
        super::json::Plain.visit_bool(b)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
        super::json::Plain.visit_i64(n)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
        super::json::Plain.visit_u64(n)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
        super::json::Plain.visit_f64(n)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        super::json::Plain.visit_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        super::json::Plain.visit_string(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        super::json::Plain.visit_unit()
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A value read through (validated exactly as when it is kept) and dropped.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `deserialize_any`, not `deserialize_ignored_any`: the latter does not check that
        // numbers are in range, and a whole parse does.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::intern;

    /// An object's members in its order (a scan's answer is a list: comparing lists also
    /// compares the order, which comparing `serde_json` maps does not).
    fn in_order(doc: Json) -> Vec<(&'static str, Json)> {
        match doc {
            Json::Object(map) => map.into_iter().map(|(k, v)| (intern(&k), v)).collect(),
            other => vec![("", other)],
        }
    }

    fn whole(text: &str) -> Result<Option<Json>, String> {
        crate::event::json::from_str(text)
            .map(|v| v.is_object().then_some(v))
            .map_err(|e| e.to_string())
    }

    fn projected(names: &[&str], text: &str) -> Result<Option<Json>, String> {
        Projection::new(names.iter().copied())
            .parse(text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn keeps_the_keys_a_field_starts_from() {
        let p = Projection::new(["Folder.Path", "AffectedItems{}.Subject", "x"]);
        assert_eq!(p.keys, ["Folder", "Folder.Path", "AffectedItems", "x"]);
        let text = r#"{"a": {"b": [1, 2]}, "Folder": {"Path": "\\Sent"}, "Folder.Path": 1, "AffectedItems": [{"Subject": "s"}], "x": null, "y": "z"}"#;
        let want = serde_json::json!({
            "Folder": {"Path": "\\Sent"},
            "Folder.Path": 1,
            "AffectedItems": [{"Subject": "s"}],
            "x": null
        });
        assert_eq!(p.parse(text).unwrap(), Some(want));
        // keys with escapes are compared unescaped; a repeated key keeps its last value
        let p = Projection::new(["Name"]);
        assert_eq!(
            p.parse(r#"{"N\u0061me": 1, "b": 2, "Name": 3}"#).unwrap(),
            Some(serde_json::json!({"Name": 3}))
        );
        // Keys are sifted by length (a two-word bit set below 128 bytes, a flag above), then
        // by a signature of their length and first and last bytes, then compared: keys of 3,
        // 63, 64, 100 and 130 bytes are kept; others of the same lengths are not, whether
        // their signature differs (other letters) or is the same (the same first and last
        // letters, another in between).
        let key = |c: char, n: usize| c.to_string().repeat(n);
        let kept: Vec<String> = [3, 63, 64, 100, 130].map(|n| key('k', n)).into();
        let p = Projection::new(kept.iter().map(String::as_str));
        let mut doc = serde_json::Map::new();
        let mut want = serde_json::Map::new();
        for (i, k) in kept.iter().enumerate() {
            doc.insert(k.clone(), i.into());
            doc.insert(key('o', k.len()), "other".into());
            let same_ends = format!("k{}k", key('o', k.len() - 2));
            assert_eq!(signature(same_ends.as_bytes()), signature(k.as_bytes()));
            doc.insert(same_ends, "other".into());
            want.insert(k.clone(), i.into());
        }
        doc.insert(key('o', 65), "other".into());
        let text = serde_json::Value::Object(doc).to_string();
        assert_eq!(
            p.parse(&text).unwrap(),
            Some(serde_json::Value::Object(want))
        );
    }

    /// Whatever is kept, a line is rejected exactly when the whole parse rejects it, with the
    /// same message (the messages below are serde_json's, which the whole parse reports).
    #[test]
    fn rejects_what_a_whole_parse_rejects() {
        let cases = [
            r#"{"a": 1, "b": 1e999}"#,      // number out of range in a skipped value
            r#"{"a": 1, "b": "\ud800"}"#,   // lone surrogate
            r#"{"a": 1, "b": "\x"}"#,       // bad escape
            r#"{"a": 1, "b": [1, 2,]}"#,    // trailing comma
            r#"{"a": 1, "b": {"c": tru}}"#, // bad literal
            r#"{"a": 1} {"b": 2}"#,         // trailing characters
            r#"{"a": 1, "b": 2"#,           // EOF inside the object
            "{\"a\": 1, \"b\": \"x\ty\"}",  // control character in a string
            r#"{"a": 1, "b": 123456789012345678901234}"#, // beyond u64: read as a float, fine
            r#"{"a": 1, "a": 2}"#,          // repeated key, fine
            r#"[1, {"a": 2}]"#,             // not an object
            // found by the `projection` fuzz target (serde_json's `Value` with `raw_value`
            // gave "invalid type: sequence, expected raw value" for this key)
            "{\"$serde_json::private::RawValue\": [{\"ib:\": [{ 070120pe%rtiesb:\":  ",
            r#"{"$serde_json::private::RawValue": 5, "a": 1}"#,
            r#""text""#,
            "42",
            "null",
        ];
        for text in cases {
            let w = whole(text);
            for names in [&[][..], &["a"][..], &["b"][..], &["a", "b"][..]] {
                let got = projected(names, text);
                assert_eq!(
                    got.is_err(),
                    w.is_err(),
                    "{text} with {names:?}: {got:?} vs {w:?}"
                );
                if let (Err(g), Err(w)) = (&got, &w) {
                    assert_eq!(g, w, "{text}");
                }
                if let (Ok(g), Ok(w)) = (&got, &w) {
                    assert_eq!(g.is_some(), w.is_some(), "{text}");
                }
            }
        }
        assert!(whole(r#"{"a": 1, "b": 1e999}"#).is_err_and(|e| e.contains("out of range")));
        let deep = format!(
            "{{\"a\": 1, \"b\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(projected(&["a"], &deep).is_err_and(|e| e.contains("recursion limit")));
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    const KEYS: &[&str] = &[
        "a",
        "b",
        "Operation",
        "N\\u0061me",
        "Name",
        "x y",
        "",
        "a.b",
    ];
    const STRINGS: &[&str] = &[
        "plain",
        "with \\\"quote\\\" and \\\\ and \\/",
        "\\r\\n\\t\\b\\f",
        "\\u00e9\\u20AC",
        "\\ud83d\\ude00", // a surrogate pair
        "\\ud800",        // a lone surrogate
        "\\udc00x",       // a lone trailing surrogate
        "\\uZZZZ",        // bad hex
        "\\u12",          // short escape
        "\\q",            // bad escape
        "tab\there",      // a raw control character
        "nul\u{0}",       // a raw NUL
        "é€😀 non-ASCII",
        "a long string that crosses several eight-byte words without anything special in it",
    ];
    const NUMBERS: &[&str] = &[
        "0",
        "-0",
        "7",
        "-12",
        "3.25",
        "-0.5",
        "1e5",
        "1E-5",
        "2.5e+3",
        "1e999",
        "-1e999",
        "1e-999",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "1e+",
        "123456789012345678901234567890",
        "18446744073709551616",
        "-9223372036854775809",
        "0.1234567890123456789",
        // around the integers built without serde_json (at most 18 digits)
        "123456789012345678",
        "1234567890123456789",
        "9007199254740993",
        "-123456789012345678",
    ];

    fn value(r: &mut Rng, depth: usize, out: &mut String) {
        let k = if depth > 3 { r.below(4) } else { r.below(7) };
        match k {
            0 => {
                out.push('"');
                out.push_str(r.pick(STRINGS));
                out.push('"');
            }
            1 => out.push_str(r.pick(NUMBERS)),
            2 => out.push_str(r.pick(&["true", "false", "null", "tru", "nul", "falsey"])),
            3 => out.push_str(r.pick(&["\"\"", "[]", "{}", "[ ]", "{ }"])),
            4 | 5 => {
                out.push('{');
                for n in 0..r.below(4) {
                    if n > 0 {
                        out.push_str(r.pick(&[",", ", ", " ,"]));
                    }
                    out.push('"');
                    out.push_str(r.pick(KEYS));
                    out.push_str(r.pick(&["\":", "\" : ", "\":\n"]));
                    value(r, depth + 1, out);
                }
                out.push('}');
            }
            _ => {
                out.push('[');
                for n in 0..r.below(4) {
                    if n > 0 {
                        out.push_str(r.pick(&[",", ", "]));
                    }
                    value(r, depth + 1, out);
                }
                out.push(']');
            }
        }
    }

    fn document(r: &mut Rng) -> String {
        let mut out = String::new();
        out.push_str(r.pick(&["", " ", "\t", "\r\n "]));
        out.push('{');
        for n in 0..r.below(6) {
            // Mostly the usual separators, and the others JSON allows.
            if n > 0 {
                out.push_str(r.pick(&[",", ", ", ", ", ",  ", " ,", ",\n"]));
            }
            out.push('"');
            out.push_str(r.pick(KEYS));
            out.push_str(r.pick(&["\": ", "\": ", "\":", "\":  ", "\":\t", "\" : "]));
            value(r, 0, &mut out);
        }
        out.push('}');
        out.push_str(r.pick(&["", " ", "\n", " x", ",", "}"]));
        // Sometimes deeply nested, sometimes mutated: a character deleted or repeated.
        if r.below(20) == 0 {
            let n = 90 + r.below(60);
            out = format!("{{\"a\": {}1{}}}", "[".repeat(n), "]".repeat(n));
        }
        if r.below(3) == 0 && !out.is_empty() {
            let cut = r.below(out.len());
            if out.is_char_boundary(cut) {
                let c = out[cut..].chars().next().unwrap_or('x');
                if r.below(2) == 0 {
                    out.remove(cut);
                } else {
                    out.insert(cut, c);
                }
            }
        }
        out
    }

    /// [`specials`] against its definition, byte by byte: every byte value at every offset of a
    /// full block and of a block cut short just after it (the missing bytes count as special).
    #[test]
    fn specials_marks_quotes_backslashes_controls_and_other_than_ascii() {
        let special = |b: u8| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b);
        for b in 0..=255u8 {
            for at in 0..64 {
                for len in [at + 1, 64] {
                    let mut block = vec![b'a'; len];
                    block[at] = b;
                    let want: u64 = (0..64)
                        .filter(|&k| k >= len || (k == at && special(b)))
                        .fold(0, |m, k| m | 1 << k);
                    assert_eq!(specials(&block), want, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(specials(b""), u64::MAX);
        assert_eq!(specials(&[b' '; 80]), 0, "only the first 64 bytes count");
    }

    /// The scanner reads lines not known to be UTF-8: it accepts a non-ASCII character only
    /// when it is valid UTF-8, wherever it stands in a string (at every offset of the first
    /// two 64-byte blocks it reads, whose special bytes it finds sixteen at a time), and
    /// rejects a non-ASCII byte outside strings. Worked by
    /// hand: the bad sequences are a lone continuation byte, a lead byte cut short, overlong
    /// forms of `/`, a surrogate (U+D800), a code point above U+10FFFF, and bytes that never
    /// occur in UTF-8; the good ones are the first and last code points of each length.
    #[test]
    fn the_scanner_validates_utf8_in_strings() {
        let p = Projection::new(["a", "k\u{e9}"]);
        let bad: [&[u8]; 10] = [
            b"\x80",
            b"\xC3",
            b"\xE2\x82",
            b"\xC0\xAF",
            b"\xE0\x80\xAF",
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"\xF5\x80\x80\x80",
            b"\xFE",
            b"\xFF",
        ];
        let good = [
            "\u{80}",
            "\u{7FF}",
            "\u{800}",
            "\u{FFFF}",
            "\u{10000}",
            "\u{10FFFF}",
            "é€😀",
        ];
        let lines = |piece: &[u8]| -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            // every offset of the first two 64-byte blocks the scanner looks at, and lines that
            // end inside, or just after, the second
            for pad in 0..140 {
                let x = "x".repeat(pad);
                for (pre, post) in [
                    (format!("{{\"a\":\"{x}"), "y\",\"b\":1}".to_string()),
                    (format!("{{\"b\":\"{x}"), "\",\"a\":1}".to_string()),
                    (format!("{{\"b\":[\"{x}"), "\"],\"a\":1}".to_string()),
                    (format!("{{\"{x}"), "\":1,\"a\":2}".to_string()),
                ] {
                    let mut l = pre.into_bytes();
                    l.extend_from_slice(piece);
                    l.extend_from_slice(post.as_bytes());
                    out.push(l);
                }
            }
            // outside any string
            let mut l = b"{\"a\":1".to_vec();
            l.extend_from_slice(piece);
            l.extend_from_slice(b"}");
            out.push(l);
            out
        };
        for piece in bad {
            for line in lines(piece) {
                assert!(std::str::from_utf8(&line).is_err(), "{line:?} is not bad");
                assert_eq!(p.scan(&line), None, "{line:?}");
            }
        }
        let mut accepted = 0;
        for piece in good {
            for line in lines(piece.as_bytes()) {
                let text = std::str::from_utf8(&line).unwrap();
                let serde = p.parse_serde(text).map_err(|e| e.to_string());
                match p.scan(&line) {
                    Some(doc) => {
                        accepted += 1;
                        assert_eq!(serde.map(|d| d.map(in_order)), Ok(Some(doc)), "{text}");
                    }
                    // only the line with the character outside a string is not JSON
                    None => assert!(serde.is_err(), "{text}"),
                }
            }
        }
        assert_eq!(accepted, good.len() * 4 * 140);
        // A control character is not allowed in a string, wherever it falls in a block; its
        // escaped form is.
        for c in [0x00u8, 0x01, 0x0A, 0x1F] {
            // (the last line has the character outside a string: a newline is white space there)
            for line in lines(&[c]).iter().take(4 * 140) {
                assert_eq!(p.scan(line), None, "{line:?}");
            }
            let escaped = format!("\\u{c:04x}");
            for line in lines(escaped.as_bytes()).iter().take(4 * 140) {
                let text = std::str::from_utf8(line).unwrap();
                let serde = p.parse_serde(text).map_err(|e| e.to_string());
                assert!(serde.is_ok(), "{text}");
                // a key with an escape is left to the deserializer
                if let Some(doc) = p.scan(line) {
                    assert_eq!(serde.map(|d| d.map(in_order)), Ok(Some(doc)), "{text}");
                }
            }
        }
        // A kept key with a non-ASCII character is found and kept.
        assert_eq!(
            p.scan("{\"ké\":\"€\"}".as_bytes()),
            Some(vec![("ké", Json::from("€"))])
        );
    }

    /// Names that go into the generated documents' objects and arrays, and through keys with
    /// dots.
    const NESTED: [&str; 8] = [
        "a.b",
        "b{}.a",
        "a.a.Operation",
        "b{}{}",
        "Name.x y",
        "a{}.b{}.a",
        "a.b.Name",
        "Operation",
    ];

    /// A kept value holds what some field reads in it and nothing else, worked out by hand on
    /// the shape of an Exchange audit event.
    #[test]
    fn kept_values_are_pruned_to_what_the_fields_read() {
        let p = Projection::new([
            "Item.Subject",
            "Item.Attachments",
            "AffectedItems{}.Subject",
            "Folder.Path",
            "Tags{}",
            "Operation",
        ]);
        let text = r#"{"Operation": "Send", "Item": {"Id": "R1", "ParentFolder": {"Id": "L1", "Path": "\\Sent Items"}, "Subject": "hi", "SizeInBytes": 7},
            "Folder": {"Id": "L2", "Path": "\\Inbox"}, "AffectedItems": [{"Id": "R2", "Subject": "a"}, {"Subject": "b", "Attachments": "x.txt"}, 3, ["c"]],
            "Tags": ["t", {"k": 1}, [2]], "Other": {"Subject": "no"}}"#;
        let text = text.replace('\n', " ");
        let want = serde_json::json!({
            "Operation": "Send",
            "Item": {"Subject": "hi"},
            "Folder": {"Path": "\\Inbox"},
            "AffectedItems": [{"Subject": "a"}, {"Subject": "b"}, 3, []],
            "Tags": ["t", {}, []],
        });
        let serde = p.parse_serde(&text).unwrap().unwrap();
        assert_eq!(in_order(serde), in_order(want.clone()));
        assert_eq!(p.scan(text.as_bytes()), Some(in_order(want)));
        // An object or array nothing goes into is kept empty: `Operation` is read as a leaf.
        let p = Projection::new(["Operation", "x"]);
        let doc = p.scan(br#"{"Operation": {"a": [1]}, "x": [{"b": 2}]}"#);
        let want = serde_json::json!({"Operation": {}, "x": []});
        assert_eq!(doc, Some(in_order(want)));
    }

    /// A field of many dotted keys keeps the value a long run of them goes into whole, instead of
    /// a shape branch per way of reading the run (2^39 for 40 keys); lookups still find what
    /// the whole document holds, by either way of reading it.
    #[test]
    fn long_runs_of_keys_keep_their_value_whole() {
        let name = ["a"; 40].join(".");
        let p = Projection::new([name.as_str(), "b.c"]);
        // 40 top-level keys (a, a.a, …), each value whole; b, b.c
        assert_eq!(p.keys.len(), 42);
        // the keys before the last nine have more than eight keys after them: whole, one shape
        // each (31); a key with r ≤ 8 keys after it holds 2^r shapes (511 for r = 0..=8);
        // `b` holds `c` (2), `b.c` is one
        let total: usize = p.shapes.iter().map(Shape::size).sum();
        assert_eq!(total, 31 + 511 + 2 + 1);
        assert_eq!(p.shapes.iter().filter(|s| s.whole).count(), 31);
        // a run of eight keys is still worked out: 2^7 ways, 1 + 2 + … shapes
        let eight = ["a"; 8].join(".");
        let q = Projection::new([eight.as_str()]);
        assert!(q.shapes.iter().all(|s| !s.whole));
        assert_eq!(q.shapes.iter().map(Shape::size).sum::<usize>(), 255);
        // `a` holding 39 more levels of `a`: the 40 keys lead to "v"
        let nested = format!("{}\"v\"{}", "{\"a\": ".repeat(39), "}".repeat(39));
        let doc =
            format!(r#"{{"a": {nested}, "a.a": {{"x": 1}}, "b": {{"c": 2, "d": 3}}, "z": 0}}"#);
        let whole = whole(&doc).unwrap().unwrap();
        let Json::Object(map) = &whole else { panic!() };
        let want: Vec<(&'static str, Json)> = map
            .iter()
            .filter(|(k, _)| k.as_str() != "z")
            .map(|(k, v)| {
                let v = if k == "b" {
                    serde_json::json!({"c": 2})
                } else {
                    v.clone()
                };
                (intern(k), v)
            })
            .collect();
        assert_eq!(p.scan(doc.as_bytes()), Some(want.clone()));
        assert_eq!(p.parse_serde(&doc).unwrap().map(in_order), Some(want));
        let f = FieldPath::new(&name);
        let projected = crate::event::Doc::Members(p.scan(doc.as_bytes()).unwrap());
        assert_eq!(f.lookup_in(&projected), crate::value::Value::str("v"));
        assert_eq!(f.lookup(&whole), crate::value::Value::str("v"));
    }

    /// Every lookup of a field the projection was made for finds in the pruned document what
    /// it finds in the whole one, and the pruned document is the whole one pruned by
    /// [`Shape::prune`] (the plain recursive definition).
    #[test]
    fn pruned_documents_answer_every_lookup_as_the_whole() {
        use crate::event::Doc;
        let p = Projection::new(NESTED);
        let paths: Vec<FieldPath> = NESTED.iter().map(|n| FieldPath::new(n)).collect();
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let (mut found, mut smaller) = (0, 0);
        for _ in 0..40_000 {
            let text = document(&mut r);
            let Ok(Some(whole)) = whole(&text) else {
                continue;
            };
            let Json::Object(map) = &whole else { continue };
            let want: Vec<(&'static str, Json)> = map
                .iter()
                .filter_map(|(k, v)| {
                    let i = p.wanted(k.as_bytes())?;
                    Some((intern(k), p.shapes[i].prune(v)))
                })
                .collect();
            let Some(Json::Object(got)) = p.parse(&text).unwrap() else {
                panic!("{text:?}");
            };
            let got: Vec<(&'static str, Json)> =
                got.into_iter().map(|(k, v)| (intern(&k), v)).collect();
            assert_eq!(got, want, "{text:?}");
            if Json::Object(map.clone()).to_string().len()
                > Json::Object(
                    got.iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                )
                .to_string()
                .len()
            {
                smaller += 1;
            }
            let (projected, whole) = (Doc::Members(got), Doc::Whole(whole));
            // (A member named "" adds nothing to the names of the leaves under it, so
            // `{"": {"a.b": 1}}` lists a leaf `a.b` that no lookup reaches: such documents
            // differ in `has_leaf` whether pruned or not, top-level members included.)
            let empty_key = text.contains("\"\":") || text.contains("\"\" :");
            for (path, name) in paths.iter().zip(NESTED) {
                let v = path.lookup_in(&whole);
                found += usize::from(!v.is_null());
                assert_eq!(path.lookup_in(&projected), v, "{name} in {text:?}");
                if empty_key {
                    continue;
                }
                assert_eq!(
                    crate::event::path::has_leaf_doc(&projected, name),
                    crate::event::path::has_leaf_doc(&whole, name),
                    "{name} in {text:?}"
                );
            }
        }
        // not vacuous: fields were found, and documents lost what no field reads
        assert!(
            found > 400 && smaller > 1_500,
            "found {found}, smaller {smaller}"
        );
    }

    /// The fast scanner and the deserializer agree: whenever the scanner answers, the
    /// deserializer accepts the line and builds the same document. (Where the scanner does not
    /// answer, `parse` is the deserializer itself.)
    #[test]
    fn the_scanner_agrees_with_the_deserializer() {
        let projections = [
            Projection::new(Vec::<&str>::new()),
            Projection::new(["a"]),
            Projection::new(["Name", "b"]),
            Projection::new(["a", "b", "Operation", "x y"]),
            Projection::new(NESTED),
        ];
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut fast, mut slow) = (0, 0);
        for _ in 0..40_000 {
            let text = document(&mut r);
            for p in &projections {
                let serde = p.parse_serde(&text).map_err(|e| e.to_string());
                match p.scan(text.as_bytes()) {
                    Some(doc) => {
                        fast += 1;
                        assert_eq!(
                            serde.clone().map(|d| d.map(in_order)),
                            Ok(Some(doc)),
                            "{text:?}"
                        );
                    }
                    None => slow += 1,
                }
                // and `parse` is the deserializer's answer, whichever path gave it
                assert_eq!(p.parse(&text).map_err(|e| e.to_string()), serde, "{text:?}");
            }
        }
        // Both paths are exercised (the generator makes valid and invalid lines).
        assert!(fast > 20_000 && slow > 20_000, "fast {fast}, slow {slow}");
    }
}
