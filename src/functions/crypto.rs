//! Hash functions: md5, sha1, sha256, sha512 (lower-case hex digests of the text).

use super::{Call, FunctionDef, single_text};
use crate::value::Value;
use md5::Digest as _;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(c: &Call, f: fn(&[u8]) -> Vec<u8>) -> Value {
    single_text(c.arg(0)).map_or(Value::Null, |t| Value::Str(hex(&f(t.as_bytes()))))
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "md5",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`md5(s)`: the MD5 digest of `s`, lower-case hex.",
        examples: &[
            ("md5(\"abc\")", "\"900150983cd24fb0d6963f7d28e17f72\""),
            ("md5(missing_field)", "null"),
        ],
        imp: |c| hash(c, |b| md5::Md5::digest(b).to_vec()),
    },
    FunctionDef {
        name: "sha1",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`sha1(s)`: the SHA-1 digest of `s`, lower-case hex.",
        examples: &[
            (
                "sha1(\"abc\")",
                "\"a9993e364706816aba3e25717850c26c9cd0d89d\"",
            ),
            ("sha1(\"\")", "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\""),
        ],
        imp: |c| hash(c, |b| sha1::Sha1::digest(b).to_vec()),
    },
    FunctionDef {
        name: "sha256",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`sha256(s)`: the SHA-256 digest of `s`, lower-case hex.",
        examples: &[
            (
                "sha256(\"abc\")",
                "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
            ),
            ("sha256(missing_field)", "null"),
        ],
        imp: |c| hash(c, |b| sha2::Sha256::digest(b).to_vec()),
    },
    FunctionDef {
        name: "sha512",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`sha512(s)`: the SHA-512 digest of `s`, lower-case hex.",
        examples: &[
            (
                "sha512(\"abc\")",
                "\"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f\"",
            ),
            ("sha512(missing_field)", "null"),
        ],
        imp: |c| hash(c, |b| sha2::Sha512::digest(b).to_vec()),
    },
];
