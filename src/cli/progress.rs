//! The progress line on stderr for long runs (stage: report).
//!
//! Shown when stderr is a terminal (or with `--progress`), never on stdout: bytes read, events
//! seen, throughput, and the share of the input when its size is known. The reader tells it how
//! far it got once per block and per chunk of lines ([`Observer`]); the line is redrawn at most
//! ten times a second, from that one place, and erased when the pass ends, so the summary line
//! and diagnostics print as usual.

use crate::event::reader::Observer;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time between two redraws.
const EVERY: Duration = Duration::from_millis(100);
/// Nothing is drawn for passes shorter than this (a short run stays quiet).
const QUIET: Duration = Duration::from_millis(300);
/// Width of the bar.
const BAR: usize = 20;

/// The progress line.
#[derive(Debug)]
pub struct Progress {
    state: Mutex<State>,
    /// Draw even the shortest pass (`--progress`).
    forced: bool,
}

#[derive(Debug)]
struct State {
    pass: u32,
    start: Instant,
    last: Option<Instant>,
    total: Option<u64>,
    bytes: u64,
    events: u64,
    shown: bool,
}

impl Progress {
    /// A progress line; `forced` draws it even for short passes (`--progress` on a pipe).
    pub fn new(forced: bool) -> Progress {
        Progress {
            state: Mutex::new(State {
                pass: 0,
                start: Instant::now(),
                last: None,
                total: None,
                bytes: 0,
                events: 0,
                shown: false,
            }),
            forced,
        }
    }

    fn draw(&self, s: &mut State, now: Instant) {
        let secs = now.duration_since(s.start).as_secs_f64();
        let mut line = String::from("tripline: ");
        if let Some(t) = s.total.filter(|t| *t > 0) {
            let share = (s.bytes as f64 / t as f64).min(1.0);
            let full = (share * BAR as f64).round() as usize;
            line.push_str(&format!(
                "[{}{}] {:.0}% of {}",
                "#".repeat(full),
                ".".repeat(BAR - full),
                share * 100.0,
                human_bytes(t)
            ));
        } else {
            line.push_str(&human_bytes(s.bytes));
        }
        line.push_str(&format!(", {} events", thousands(s.events)));
        if secs > 0.0 {
            line.push_str(&format!(
                ", {}/s, {} events/s",
                human_bytes((s.bytes as f64 / secs) as u64),
                thousands((s.events as f64 / secs) as u64)
            ));
        }
        if s.pass > 1 {
            line.push_str(&format!(" (pass {})", s.pass));
        }
        // `\r` and erase-line: the next draw (or the summary) replaces this one.
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        s.shown = true;
        s.last = Some(now);
    }
}

impl Observer for Progress {
    fn pass(&self, total: Option<u64>) {
        if let Ok(mut s) = self.state.lock() {
            s.pass += 1;
            s.start = Instant::now();
            s.last = None;
            s.total = total;
            s.bytes = 0;
            s.events = 0;
        }
    }

    fn advance(&self, bytes: u64, events: u64) {
        let Ok(mut s) = self.state.lock() else { return };
        s.bytes += bytes;
        s.events += events;
        let now = Instant::now();
        let due = match s.last {
            Some(last) => now.duration_since(last) >= EVERY,
            None => self.forced || now.duration_since(s.start) >= QUIET,
        };
        if due {
            self.draw(&mut s, now);
        }
    }

    fn done(&self) {
        let Ok(mut s) = self.state.lock() else { return };
        if self.forced {
            // The final figures of the pass, so that even a short run shows one line.
            let now = Instant::now();
            self.draw(&mut s, now);
        }
        if s.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            s.shown = false;
        }
    }
}

/// `1.25 GB`, `312.4 MB`, `18.0 kB`, `512 B` (powers of 1000, like the figures in
/// docs/performance.md).
fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.2} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{n} B")
    }
}

/// `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_readable() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(18_000), "18.0 kB");
        assert_eq!(human_bytes(312_400_000), "312.4 MB");
        assert_eq!(human_bytes(1_250_000_000), "1.25 GB");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
