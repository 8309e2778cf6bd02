//! The event reader over arbitrary bytes: once as a plain NDJSON file, once as a `.gz` file
//! (the bytes themselves, so the gzip decoder sees arbitrary/truncated streams) and once as
//! the gzip compression of the bytes (so the NDJSON parser runs behind the decoder).
//!
//! `Dataset` only reads files or stdin, so the input is written to a per-process file under
//! /dev/shm (falls back to the temp dir). Checks the accounting: read = parsed + malformed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::PathBuf;
use tripline::event::{Dataset, Input, InputPath, Meta, ReadConfig};

fn scratch(ext: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("tripline-fuzz-reader-{}.{ext}", std::process::id()))
}

fn read(path: PathBuf, meta: Meta) {
    let ds = Dataset::new(
        vec![Input {
            path: InputPath::File(path),
            meta,
        }],
        ReadConfig::default(),
    );
    let mut n: u64 = 0;
    let res = ds.for_each(&mut |_e| {
        n += 1;
        Ok(())
    });
    if let Ok(stats) = res {
        assert_eq!(stats.parsed, n, "events handed out != parsed: {stats:?}");
        assert_eq!(
            stats.read,
            stats.parsed + stats.malformed + stats.skipped,
            "accounting does not close: {stats:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let meta = Meta {
        sourcetype: Some("fuzz".into()),
        ..Meta::default()
    };
    let plain = scratch("json");
    std::fs::write(&plain, data).expect("write scratch file");
    read(plain, meta.clone());

    let raw_gz = scratch("gz");
    std::fs::write(&raw_gz, data).expect("write scratch file");
    read(raw_gz, meta.clone());

    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let real_gz = scratch("json.gz");
    std::fs::write(&real_gz, gz).expect("write scratch file");
    read(real_gz, meta);
});
