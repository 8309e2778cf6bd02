//! Deterministic generator of large Office-365-like NDJSON datasets for benchmarks
//! (benches/run.sh, docs/performance.md). Not shipped: run it with
//!
//! ```text
//! cargo run --release --example gen_o365 -- [--size 1G] [--kind management|messagetrace]
//!                                            [--seed N] [--out FILE]
//! ```
//!
//! * `--kind management` (default): Office 365 Management Activity records
//!   (`sourcetype=o365:management:activity`, `_time` from `CreationTime`), shaped like
//!   `tests/data/o365_pst_export/`. Mix: SharePoint/OneDrive file operations 54 %, Exchange
//!   item operations (Send, SendAs, Create, Update) 12 %, MailItemsAccessed 11 %, Entra ID
//!   logons 9 %, item-group operations (MoveToDeletedItems, SoftDelete, HardDelete) 8 %,
//!   Security & Compliance alerts 3 %, eDiscovery (RecordType 24) 1.9 %, Exchange admin
//!   cmdlets 1 %. About 0.1 % of the records belong to the "eDiscovery search started or exported"
//!   alert policy (the PST rule); a few of those use another letter case or `\u` escapes, and
//!   near misses (other ThreatManagement alerts, the name inside `Comments`, a `Name` array, a
//!   missing `Source`, another `Category`) are mixed in. One user's display name has non-ASCII
//!   letters, written as `\u` escapes, as Python's `json.dumps` does (about 1 % of the lines).
//!   Average line ≈ 1.16 KB, so 1 GB ≈ 860,000 records.
//! * `--kind messagetrace`: message-trace rows (`sourcetype=o365:reporting:messagetrace`,
//!   `_time` from `Received`): one row in four is message *n* of a sequence shared with
//!   `management` (same sender, recipient, subject, `MessageId` and time for the same seed,
//!   so Send and HardDelete audit records join with it: the send/hard-delete rule); the others
//!   are inbound mail from outside. 150 MB of trace rows go with about 850 MB of management
//!   records.
//!
//! Sizes: `K`/`M`/`G` are powers of 1000, `Ki`/`Mi`/`Gi` powers of 1024. Output stops before
//! the line that would pass the size. The same arguments always give the same bytes (a
//! SplitMix64 stream; no clock, no hashing with random state). A summary goes to stderr.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const TENANT: &str = "6f1c8a52-3b2e-4c1d-9a7e-2d4b5c6e7f80";
/// 2025-03-01T00:00:00Z
const START: i64 = 1_740_787_200;
/// Seconds between two messages of the shared message sequence.
const MSG_STEP: i64 = 12;
const PST_NAME: &str = "eDiscovery search started or exported";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len() as u64) as usize)
            .copied()
            .unwrap_or("")
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016X}", self.next()));
        }
        s.truncate(n);
        s
    }
}

/// A deterministic hash of (seed, n) for the message sequence shared by both kinds.
fn mix(seed: u64, n: u64, salt: u64) -> u64 {
    let mut r = Rng(seed
        ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03)
        ^ salt.wrapping_mul(0xA24B_AED4_963E_E407));
    r.next()
}

// ---------------------------------------------------------------- time

fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn iso(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

// ---------------------------------------------------------------- JSON writing

/// Writes `s` as a JSON string the way Python's `json.dumps` does (ASCII only).
fn esc(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An object being written: `{"k": v, "k2": v2}` (Python layout).
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }
    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        esc(self.out, k);
        self.out.push_str(": ");
    }
    fn s(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        esc(self.out, v);
        self
    }
    /// A value already in JSON form (numbers, booleans, pre-escaped text).
    fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(v);
        self
    }
    fn n(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        self.out.push_str(&v.to_string());
        self
    }
    fn b(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }
    fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        self.key(k);
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.end();
        self
    }
    /// An array of objects.
    fn arr(&mut self, k: &str, n: usize, mut f: impl FnMut(usize, &mut Obj)) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for i in 0..n {
            if i > 0 {
                self.out.push_str(", ");
            }
            let mut o = Obj::new(self.out);
            f(i, &mut o);
            o.end();
        }
        self.out.push(']');
        self
    }
    /// `[{"Name": n, "Value": v}, …]`
    fn props(&mut self, k: &str, kv: &[(&str, &str)]) -> &mut Self {
        self.arr(k, kv.len(), |i, o| {
            if let Some((n, v)) = kv.get(i) {
                o.s("Name", n).s("Value", v);
            }
        })
    }
    fn end(self) {
        self.out.push('}');
    }
}

// ---------------------------------------------------------------- vocabulary

struct User {
    upn: String,
    display: String,
    key: String,
    sid: String,
    mailbox: String,
    aad: String,
}

const FIRST: &[&str] = &[
    "priya", "marcus", "lena", "kenji", "ana", "dmitri", "tomasz", "noah", "sofia", "omar",
    "grace", "liam", "ines", "ravi", "yusuf", "hana", "zara", "felix", "sara", "daniel", "chen",
    "emma", "nina", "olga", "pedro", "aisha", "jonas", "mei", "tariq", "lucia", "erik", "fatima",
    "hugo", "keiko", "mateo", "nadia", "oscar", "rosa", "samir", "vera",
];
const LAST: &[&str] = &[
    "shah",
    "oyelaran",
    "fischer",
    "watanabe",
    "ribeiro",
    "kaur",
    "nowak",
    "bergstrom",
    "marin",
    "haddad",
    "okafor",
    "cho",
    "duarte",
    "menon",
    "demir",
    "sato",
    "ali",
    "braun",
    "lindqvist",
    "okoro",
    "wei",
    "larsen",
    "petrova",
    "ivanova",
    "santos",
    "khan",
    "weber",
    "lin",
    "aziz",
    "moreno",
    "berg",
    "zahra",
    "laurent",
    "tanaka",
    "rossi",
    "haidari",
    "nilsson",
    "garcia",
    "farouk",
    "novak",
];

fn title(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn users(rng: &mut Rng) -> Vec<User> {
    let mut v = Vec::new();
    for (i, (f, l)) in FIRST.iter().zip(LAST.iter()).enumerate() {
        let sid = format!(
            "S-1-5-21-{}-{}-{}-{}",
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1000, 60_000)
        );
        v.push(User {
            upn: format!("{f}.{l}@contoso.com"),
            display: format!("{} {}", title(f), title(l)),
            key: format!("1003{}", rng.hex(12)),
            sid,
            mailbox: rng.guid(),
            aad: rng.guid(),
        });
        if i == 0 {
            // One display name with non-ASCII letters: json.dumps writes `\u00e9`, so lines of
            // this user carry `\u` escapes (a prefilter must parse those lines).
            v.push(User {
                upn: "jose.alvarez@contoso.com".into(),
                display: "Jos\u{e9} \u{c1}lvarez".into(),
                key: format!("1003{}", rng.hex(12)),
                sid: format!(
                    "S-1-5-21-2126447444-2868118585-2564497383-{}",
                    rng.range(1000, 60_000)
                ),
                mailbox: rng.guid(),
                aad: rng.guid(),
            });
        }
    }
    v
}

const SUBJECTS: &[&str] = &[
    "Vendor contract renewal",
    "Re: onboarding checklist",
    "Lunch on Friday?",
    "Q1 forecast",
    "Meeting notes",
    "Board deck draft",
    "Invoice 4471",
    "Re: travel approval",
    "Out of office",
    "Payroll update",
    "Customer escalation",
    "FW: pricing sheet",
    "Webinar invitation",
    "Project Falcon status",
    "Security training reminder",
    "Re: candidate interview",
];
const EXTERNAL: &[&str] = &[
    "support@northwindtraders.com",
    "billing@fabrikam.com",
    "j.doe@gmail.com",
    "partners@adatum.com",
    "sales@tailspintoys.com",
    "hr@wingtiptoys.com",
    "m.kowalski@outlook.com",
];
const CLIENTS: &[&str] = &[
    "Client=MSExchangeRPC",
    "Client=MSExchangeRPC",
    "Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0;",
    "Client=MSExchangeRPC",
    "Client=REST;Client=RESTSystem;;",
    "Client=OutlookService;Outlook-iOS/2.0;",
];
const UA: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
    "OneDriveMpc-Transform_Thumbnail/1.0",
];
const SITES: &[&str] = &[
    "Legal",
    "Finance",
    "HR",
    "Engineering",
    "Marketing",
    "Sales",
    "Exec",
];
const FILES: &[&str] = &[
    "design (draft).vsdx",
    "Q1 budget.xlsx",
    "contract-2025.docx",
    "roadmap.pptx",
    "notes.txt",
    "payroll_march.xlsx",
    "customer list.csv",
    "architecture.pdf",
    "offer letter.docx",
];
const FOLDERS: &[&str] = &[
    "Contracts",
    "Reports",
    "Shared",
    "Archive",
    "Drafts",
    "2025",
];

fn ip(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("198.51.100.{}", rng.range(1, 254)),
        1 => format!("203.0.113.{}", rng.range(1, 254)),
        2 => format!("40.126.28.{}", rng.range(1, 254)),
        _ => format!("52.96.{}.{}", rng.range(1, 254), rng.range(1, 254)),
    }
}

fn server(rng: &mut Rng) -> String {
    format!("PH0PR08MB{:04}", rng.below(10_000))
}

/// Message `n` of the sequence shared by `management` (Send/HardDelete) and `messagetrace`.
struct Msg {
    user: usize,
    subject: &'static str,
    recipient: String,
    id: String,
    time: i64,
    size: i64,
}

fn msg(seed: u64, users: &[User], n: u64) -> Msg {
    let h = mix(seed, n, 1);
    let h2 = mix(seed, n, 2);
    let user = (h % users.len() as u64) as usize;
    let subject = SUBJECTS
        .get((h >> 20) as usize % SUBJECTS.len())
        .copied()
        .unwrap_or("");
    let recipient = if (h >> 40).is_multiple_of(3) {
        EXTERNAL
            .get((h >> 44) as usize % EXTERNAL.len())
            .copied()
            .unwrap_or("")
            .to_string()
    } else {
        users
            .get(((h >> 44) as usize) % users.len())
            .map(|u| u.upn.clone())
            .unwrap_or_default()
    };
    let id = format!(
        "<PH0PR08MB{:04}{:020X}@PH0PR08MB{:04}.namprd06.prod.outlook.com>",
        h2 % 10_000,
        (u128::from(h2) << 16 | u128::from(h >> 48)) & 0xFFFF_FFFF_FFFF_FFFF_FFFF,
        (h2 >> 32) % 10_000
    );
    Msg {
        user,
        subject,
        recipient,
        id,
        time: START + n as i64 * MSG_STEP,
        size: 8_000 + (h2 >> 40) as i64 % 900_000,
    }
}

// ---------------------------------------------------------------- management records

struct Gen {
    seed: u64,
    rng: Rng,
    users: Vec<User>,
    /// Index of the next message of the shared sequence (advances with every Send).
    next_msg: u64,
    /// Current delivery time: records are roughly but not strictly chronological.
    now: i64,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    records: u64,
    bytes: u64,
    /// PST-policy AlertEntityGenerated records that the rule counts.
    pst_hits: u64,
    /// Records of the PST policy (all lifecycle stages) and near misses.
    pst_related: u64,
    escaped_lines: u64,
}

fn common(o: &mut Obj, rng: &mut Rng, t: i64, op: &str, rt: i64) {
    let id = rng.guid();
    o.s("CreationTime", &iso(t))
        .s("Id", &id)
        .s("Operation", op)
        .s("OrganizationId", TENANT)
        .n("RecordType", rt);
}

impl Gen {
    fn user(&mut self) -> usize {
        // Skewed: a few users produce much of the activity.
        let n = self.users.len() as u64;
        let a = self.rng.below(n);
        let b = self.rng.below(n);
        a.min(b) as usize
    }

    fn exchange_head(&mut self, o: &mut Obj, t: i64, op: &str, rt: i64, u: usize) {
        let rng = &mut self.rng;
        common(o, rng, t, op, rt);
        let Some(usr) = self.users.get(u) else { return };
        let ipa = ip(rng);
        o.s("ResultStatus", "Succeeded")
            .s("UserKey", &usr.key)
            .n("UserType", 0)
            .n("Version", 1)
            .s("Workload", "Exchange")
            .s("ClientIP", &ipa)
            .s("UserId", &usr.upn)
            .s("AppId", "00000002-0000-0ff1-ce00-000000000000")
            .s("ClientAppId", "")
            .s("ClientIPAddress", &ipa)
            .s("ClientInfoString", rng.pick(CLIENTS))
            .b("ExternalAccess", false)
            .n("InternalLogonType", 0)
            .n("LogonType", 0)
            .s("LogonUserSid", &usr.sid)
            .s("MailboxGuid", &usr.mailbox)
            .s("MailboxOwnerSid", &usr.sid)
            .s("MailboxOwnerUPN", &usr.upn)
            .s("OrganizationName", "contoso.onmicrosoft.com")
            .s(
                "OriginatingServer",
                &format!("{} (15.20.8466.017)\r\n", server(rng)),
            )
            .s("SessionId", &rng.guid())
            .s("LogonUserDisplayName", &usr.display);
    }

    fn exchange_item(&mut self, out: &mut String) {
        let ops = ["Send", "Send", "Send", "SendAs", "Create", "Update"];
        let op = self.rng.pick(&ops);
        let n = self.next_msg;
        let (u, subject, id, t, size) = if op.starts_with("Send") {
            self.next_msg += 1;
            let m = msg(self.seed, &self.users, n);
            (
                m.user,
                m.subject,
                m.id,
                m.time + self.rng.range(0, 2),
                m.size,
            )
        } else {
            let u = self.user();
            let s = self.rng.pick(SUBJECTS);
            let id = format!("<{}@contoso.com>", self.rng.hex(24));
            (u, s, id, self.now, self.rng.range(2_000, 400_000))
        };
        let mut o = Obj::new(out);
        self.exchange_head(&mut o, t, op, 2, u);
        let rng = &mut self.rng;
        let item_id = format!("RgAAAAB{}", rng.hex(40));
        let folder_id = format!("LgAAAAB{}", rng.hex(32));
        let att = if rng.below(3) == 0 {
            Some(format!(
                "{} ({}b)",
                rng.pick(FILES),
                rng.range(1_000, 900_000)
            ))
        } else {
            None
        };
        if op == "SendAs"
            && let Some(other) = self.users.get((u + 1) % self.users.len())
        {
            o.s("SendAsUserSmtp", &other.upn)
                .s("SendAsUserMailboxGuid", &other.mailbox);
        }
        o.obj("Item", |i| {
            i.s("Id", &item_id)
                .s("InternetMessageId", &id)
                .obj("ParentFolder", |p| {
                    p.s("Id", &folder_id).s(
                        "Path",
                        if op.starts_with("Send") {
                            "\\Sent Items"
                        } else {
                            "\\Drafts"
                        },
                    );
                })
                .n("SizeInBytes", size)
                .s("Subject", subject);
            if let Some(a) = &att {
                i.s("Attachments", a);
            }
        });
        o.end();
    }

    fn exchange_group(&mut self, out: &mut String) {
        let ops = [
            "MoveToDeletedItems",
            "MoveToDeletedItems",
            "SoftDelete",
            "HardDelete",
        ];
        let op = self.rng.pick(&ops);
        // Deletes of recently sent mail (joinable with the trace rows), or of other mail.
        let sent = self.next_msg > 0 && self.rng.below(10) == 0;
        let (u, t, items): (usize, i64, Vec<(String, &str)>) = if sent {
            let back = self.rng.below(self.next_msg.min(20));
            let m = msg(self.seed, &self.users, self.next_msg - 1 - back);
            let t = m.time + self.rng.range(30, 3000);
            (m.user, t, vec![(m.id, m.subject)])
        } else {
            let u = self.user();
            let k = 1 + self.rng.below(2) as usize;
            let items = (0..k)
                .map(|_| {
                    (
                        format!("<{}@contoso.com>", self.rng.hex(24)),
                        self.rng.pick(SUBJECTS),
                    )
                })
                .collect();
            (u, self.now, items)
        };
        let folder = if sent {
            "\\Sent Items"
        } else {
            self.rng
                .pick(&["\\Inbox", "\\Deleted Items", "\\Sent Items"])
        };
        let dest = if op == "MoveToDeletedItems" {
            "\\Deleted Items"
        } else {
            "\\Recoverable Items\\Deletions"
        };
        let mut o = Obj::new(out);
        self.exchange_head(&mut o, t, op, 3, u);
        let rng = &mut self.rng;
        let (f1, f2) = (rng.hex(32), rng.hex(32));
        let ids: Vec<(String, String)> = items.iter().map(|_| (rng.hex(40), rng.hex(32))).collect();
        o.b("CrossMailboxOperation", false)
            .obj("DestFolder", |d| {
                d.s("Id", &format!("LgAAAAB{f1}")).s("Path", dest);
            })
            .obj("Folder", |d| {
                d.s("Id", &format!("LgAAAAB{f2}")).s("Path", folder);
            })
            .arr("AffectedItems", items.len(), |i, a| {
                if let (Some((mid, subj)), Some((iid, pid))) = (items.get(i), ids.get(i)) {
                    a.s("Id", &format!("RgAAAAB{iid}"))
                        .s("InternetMessageId", mid)
                        .obj("ParentFolder", |p| {
                            p.s("Id", &format!("LgAAAAB{pid}")).s("Path", folder);
                        })
                        .s("Subject", subj);
                }
            });
        o.end();
    }

    fn mail_items_accessed(&mut self, out: &mut String) {
        let u = self.user();
        let t = self.now;
        let mut o = Obj::new(out);
        self.exchange_head(&mut o, t, "MailItemsAccessed", 50, u);
        let rng = &mut self.rng;
        let k = if rng.below(4) == 0 { 2 } else { 1 };
        let items: Vec<(String, i64)> = (0..k)
            .map(|_| {
                (
                    format!(
                        "<PH0PR08MB{}@PH0PR08MB{:04}.namprd06.prod.outlook.com>",
                        rng.hex(28),
                        rng.below(10_000)
                    ),
                    rng.range(2_000, 300_000),
                )
            })
            .collect();
        let fid = rng.hex(32);
        let access = rng.pick(&["Bind", "Sync"]);
        o.props(
            "OperationProperties",
            &[("MailAccessType", access), ("IsThrottled", "False")],
        )
        .arr("Folders", 1, |_, f| {
            f.s("Id", &format!("LgAAAAB{fid}"))
                .s("Path", "\\Inbox")
                .arr("FolderItems", items.len(), |i, it| {
                    if let Some((id, sz)) = items.get(i) {
                        it.s("InternetMessageId", id).n("SizeInBytes", *sz);
                    }
                });
        })
        .n("OperationCount", k as i64);
        o.end();
    }

    fn exchange_admin(&mut self, out: &mut String) {
        let ops = [
            "Set-Mailbox",
            "Add-MailboxPermission",
            "Set-InboxRule",
            "New-InboxRule",
        ];
        let op = self.rng.pick(&ops);
        let u = self.user();
        let target = self.user();
        let t = self.now;
        let mut o = Obj::new(out);
        let rng = &mut self.rng;
        common(&mut o, rng, t, op, 1);
        let (Some(usr), Some(tgt)) = (self.users.get(u), self.users.get(target)) else {
            return o.end();
        };
        o.s("ResultStatus", "True")
            .s("UserKey", &usr.key)
            .n("UserType", 2)
            .n("Version", 1)
            .s("Workload", "Exchange")
            .s(
                "ClientIP",
                &format!("{}:{}", ip(rng), rng.range(1024, 65_000)),
            )
            .s("ObjectId", &tgt.upn)
            .s("UserId", &usr.upn)
            .s("AppId", "fb78d390-0c51-40cd-8e17-fdbfab77341b")
            .b("ExternalAccess", false)
            .s("OrganizationName", "contoso.onmicrosoft.com")
            .s(
                "OriginatingServer",
                &format!("{} (15.20.8466.017)", server(rng)),
            )
            .props(
                "Parameters",
                &[
                    ("Identity", &tgt.upn),
                    ("ErrorAction", "Stop"),
                    ("AuditEnabled", "True"),
                ],
            );
        o.end();
    }

    fn sharepoint(&mut self, out: &mut String) {
        let ops = [
            "FileAccessed",
            "FileAccessed",
            "FileAccessed",
            "FileModified",
            "FileDownloaded",
            "FileUploaded",
            "FilePreviewed",
        ];
        let u = self.user();
        let t = self.now;
        let rng = &mut self.rng;
        let op = rng.pick(&ops);
        let onedrive = rng.below(4) == 0;
        let file = rng.pick(FILES);
        let folder = rng.pick(FOLDERS);
        let Some(usr) = self.users.get(u) else { return };
        let site = if onedrive {
            format!(
                "https://contoso-my.sharepoint.com/personal/{}/",
                usr.upn.replace(['.', '@'], "_")
            )
        } else {
            format!("https://contoso.sharepoint.com/sites/{}/", rng.pick(SITES))
        };
        let lib = if onedrive {
            "Documents"
        } else {
            "Shared Documents"
        };
        let ext = file.rsplit('.').next().unwrap_or("");
        let mut o = Obj::new(out);
        common(&mut o, rng, t, op, 6);
        o.s(
            "UserKey",
            &format!("i:0h.f|membership|{}@live.com", usr.key.to_lowercase()),
        )
        .n("UserType", 0)
        .n("Version", 1)
        .s("Workload", if onedrive { "OneDrive" } else { "SharePoint" })
        .s("ClientIP", &ip(rng))
        .s("ObjectId", &format!("{site}{lib}/{folder}/{file}"))
        .s("UserId", &usr.upn)
        .s("CorrelationId", &rng.guid())
        .s("EventSource", "SharePoint")
        .s("ItemType", "File")
        .s("ListId", &rng.guid())
        .s("Site", &rng.guid())
        .s("UserAgent", rng.pick(UA))
        .s("SourceFileExtension", ext)
        .s("SiteUrl", &site)
        .s("SourceFileName", file)
        .s("SourceRelativeUrl", &format!("{lib}/{folder}"));
        o.end();
    }

    fn logon(&mut self, out: &mut String) {
        let u = self.user();
        let t = self.now;
        let rng = &mut self.rng;
        let failed = rng.below(8) == 0;
        let op = if failed {
            "UserLoginFailed"
        } else {
            "UserLoggedIn"
        };
        let Some(usr) = self.users.get(u) else { return };
        let ipa = ip(rng);
        let mut o = Obj::new(out);
        common(&mut o, rng, t, op, 15);
        o.s("ResultStatus", if failed { "Failed" } else { "Success" })
            .s("UserKey", &usr.aad)
            .n("UserType", 0)
            .n("Version", 1)
            .s("Workload", "AzureActiveDirectory")
            .s("ClientIP", &ipa)
            .s("ObjectId", "00000003-0000-0000-c000-000000000000")
            .s("UserId", &usr.upn)
            .n("AzureActiveDirectoryEventType", 1)
            .props(
                "ExtendedProperties",
                &[
                    (
                        "ResultStatusDetail",
                        if failed { "UserError" } else { "Success" },
                    ),
                    ("UserAgent", rng.pick(UA)),
                    (
                        "RequestType",
                        rng.pick(&["OAuth2:Token", "OAuth2:Authorize", "Login:login"]),
                    ),
                ],
            )
            .raw("ModifiedProperties", "[]")
            .arr("Actor", 2, |i, a| {
                if i == 0 {
                    a.s("ID", &usr.aad).n("Type", 0);
                } else {
                    a.s("ID", &usr.upn).n("Type", 5);
                }
            })
            .s("ActorContextId", TENANT)
            .s("ActorIpAddress", &ipa)
            .s("InterSystemsId", &rng.guid())
            .s("IntraSystemId", &rng.guid())
            .s("SupportTicketId", "")
            .arr("Target", 1, |_, a| {
                a.s("ID", "00000003-0000-0000-c000-000000000000")
                    .n("Type", 0);
            })
            .s("TargetContextId", TENANT)
            .s("ApplicationId", "d3590ed6-52b3-4102-aeff-aad2292ab01c")
            .props(
                "DeviceProperties",
                &[
                    ("OS", rng.pick(&["Windows10", "MacOs", "Ios", "Android"])),
                    ("BrowserType", rng.pick(&["Edge", "Chrome", "Safari"])),
                ],
            )
            .s("ErrorNumber", if failed { "50126" } else { "0" });
        if failed {
            o.s("LogonError", "InvalidUserNameOrPassword");
        }
        o.end();
    }

    fn discovery(&mut self, out: &mut String) {
        let u = self.user();
        let t = self.now;
        let rng = &mut self.rng;
        let op = rng.pick(&[
            "SearchCreated",
            "SearchStarted",
            "SearchExported",
            "SearchPreviewed",
        ]);
        let Some(usr) = self.users.get(u) else { return };
        let mut o = Obj::new(out);
        common(&mut o, rng, t, op, 24);
        o.s("UserKey", &usr.key)
            .n("UserType", 2)
            .n("Version", 1)
            .s("Workload", "SecurityComplianceCenter")
            .s("ClientIP", &ip(rng))
            .s(
                "ObjectId",
                rng.pick(&[
                    "All mailboxes - keyword sweep",
                    "Legal hold 7",
                    "Finance export",
                ]),
            )
            .s("UserId", &usr.upn)
            .s("Case", &format!("Case-{}", rng.range(1000, 9999)))
            .s("CaseId", &rng.guid())
            .s(
                "Cmdlet",
                if op == "SearchExported" {
                    "New-ComplianceSearchAction"
                } else {
                    "Start-ComplianceSearch"
                },
            )
            .s("CmdletVersion", "1.0.0")
            .s("ClientRequestId", &rng.guid())
            .raw("ExchangeLocations", "[\"All\"]")
            .raw("SharepointLocations", "[]")
            .s("Query", "(c:c)(subject:\"contract\")")
            .s("StartTime", &iso(t - 170))
            .s("UserServicePlan", "FirstParty");
        o.end();
    }

    /// A Security & Compliance alert record (RecordType 40). `pst`: the eDiscovery policy.
    fn alert(&mut self, out: &mut String, pst: bool) {
        const POLICIES: &[(&str, &str, &str)] = &[
            (
                "Suspicious email sending patterns detected",
                "ThreatManagement",
                "Office 365 Security & Compliance",
            ),
            (
                "Unusual external user file activity",
                "ThreatManagement",
                "Cloud App Security",
            ),
            (
                "Creation of forwarding/redirect rule",
                "ThreatManagement",
                "Office 365 Security & Compliance",
            ),
            (
                "Email messages containing malicious URL removed after delivery",
                "ThreatManagement",
                "Office 365 Security & Compliance",
            ),
            (
                "eDiscovery search started or exported by admin",
                "ThreatManagement",
                "Office 365 Security & Compliance",
            ),
            (
                "eDiscovery search started",
                "ThreatManagement",
                "Office 365 Security & Compliance",
            ),
            (
                "eDiscovery search started or exported",
                "DataGovernance",
                "Office 365 Security & Compliance",
            ),
            (
                "Elevation of Exchange admin privilege",
                "AccessGovernance",
                "Office 365 Security & Compliance",
            ),
            (
                "Messages have been delayed",
                "MailFlow",
                "Office 365 Security & Compliance",
            ),
            (
                "DLP policy match",
                "DataLossPrevention",
                "Office 365 Security & Compliance",
            ),
            (
                "Mass download by a single user",
                "ThreatManagement",
                "Cloud App Security",
            ),
        ];
        let u = self.user();
        let t = self.now;
        let rng = &mut self.rng;
        let stage = match rng.below(10) {
            0..=2 => "AlertTriggered",
            3..=6 => "AlertEntityGenerated",
            _ => "AlertUpdated",
        };
        let (mut name, mut category, mut source) = if pst {
            (
                PST_NAME.to_string(),
                "ThreatManagement".to_string(),
                rng.pick(&[
                    "Office 365 Security & Compliance",
                    "Office 365 Security & Compliance",
                    "Cloud App Security",
                ])
                .to_string(),
            )
        } else {
            let p = POLICIES
                .get(rng.below(POLICIES.len() as u64) as usize)
                .copied()
                .unwrap_or(("", "", ""));
            (p.0.to_string(), p.1.to_string(), p.2.to_string())
        };
        let severity = rng.pick(&["Informational", "Low", "Medium", "High"]);
        let mut name_json = None;
        let mut cat_json: Option<String> = None;
        let mut drop_source = false;
        if pst {
            self.counts.pst_related += 1;
            match rng.below(100) {
                0..=3 => name = "eDiscovery Search Started or Exported".into(),
                4..=6 => name = PST_NAME.to_uppercase(),
                7..=8 => category = "threatmanagement".into(),
                9 => {
                    name_json = Some(
                        "\"\\u0065Discovery search st\\u0061rted or \\u0065xported\"".to_string(),
                    )
                }
                10 => cat_json = Some("\"Thre\\u0061tManagement\"".to_string()),
                11 => drop_source = true,
                12 => name_json = Some(format!("[\"{PST_NAME}\"]")), // the field is Name{}, not Name
                _ => {}
            }
            if stage == "AlertEntityGenerated"
                && !drop_source
                && !name_json.as_deref().is_some_and(|j| j.starts_with('['))
            {
                self.counts.pst_hits += 1;
            }
        } else if rng.below(200) == 0 {
            source = "Cloud App Security".into();
        }
        let Some(usr) = self.users.get(u) else { return };
        let alert_id = rng.guid();
        let policy = rng.guid();
        let ts = iso(t - 300);
        let comments = if !pst && rng.below(50) == 0 {
            format!("Reviewed: not an {PST_NAME} case")
        } else {
            "New alert".into()
        };
        let data = if stage == "AlertEntityGenerated" {
            format!(
                "{{\"etype\":\"User\",\"eid\":\"{}\",\"tid\":\"{TENANT}\",\"ts\":\"{ts}.{:07}Z\",\"te\":\"{}.{:07}Z\",\"op\":\"Search\",\"tdc\":\"1\",\"suid\":\"{}\",\"ut\":\"Regular\",\"ssic\":\"0\",\"lon\":\"Search\"}}",
                usr.upn,
                rng.below(10_000_000),
                iso(t),
                rng.below(10_000_000),
                usr.upn
            )
        } else {
            format!(
                "{{\"f3u\":\"{}\",\"ts\":\"{ts}.{:07}Z\",\"te\":\"{}.{:07}Z\",\"op\":\"Search\",\"wl\":\"SecurityComplianceCenter\",\"tid\":\"{TENANT}\",\"tdc\":\"1\",\"reid\":\"{}\",\"rid\":\"{}\",\"cid\":\"{policy}\",\"ad\":\"\",\"lon\":\"Search\",\"an\":\"{name}\",\"sev\":\"{severity}\"}}",
                usr.upn,
                rng.below(10_000_000),
                iso(t),
                rng.below(10_000_000),
                rng.guid(),
                rng.guid()
            )
        };
        let mut o = Obj::new(out);
        common(&mut o, rng, t, stage, 40);
        o.s("ResultStatus", "Succeeded")
            .s("UserKey", "SecurityComplianceAlerts")
            .n("UserType", 4)
            .n("Version", 1)
            .s("Workload", "SecurityComplianceCenter")
            .s(
                "ObjectId",
                if stage == "AlertEntityGenerated" {
                    &usr.upn
                } else {
                    &alert_id
                },
            )
            .s("UserId", "SecurityComplianceAlerts")
            .s("AlertId", &alert_id)
            .raw("AlertLinks", "[{\"AlertLinkHref\": \"\"}]")
            .s("AlertType", "System");
        match &cat_json {
            Some(j) => o.raw("Category", j),
            None => o.s("Category", &category),
        };
        o.s("Comments", &comments).s("Data", &data);
        if stage == "AlertEntityGenerated" {
            o.s("EntityType", "User").s("AlertEntityId", &usr.upn);
        }
        match &name_json {
            Some(j) => o.raw("Name", j),
            None => o.s("Name", &name),
        };
        o.s("PolicyId", &policy).s("Severity", severity);
        if !drop_source {
            o.s("Source", &source);
        }
        o.s(
            "Status",
            if stage == "AlertUpdated" {
                "Investigating"
            } else {
                "Active"
            },
        );
        o.end();
    }

    fn record(&mut self, out: &mut String) {
        self.now += self.rng.range(0, 2);
        // Delivery delay: CreationTime is up to 30 min before the record's place in the file.
        let delay = self.rng.range(30, 1800);
        let now = self.now;
        self.now -= delay;
        let r = self.rng.below(100_000);
        match r {
            0..=11_999 => self.exchange_item(out),
            12_000..=19_999 => self.exchange_group(out),
            20_000..=30_999 => self.mail_items_accessed(out),
            31_000..=31_999 => self.exchange_admin(out),
            32_000..=85_999 => self.sharepoint(out),
            86_000..=94_999 => self.logon(out),
            95_000..=96_899 => self.discovery(out),
            96_900..=99_899 => self.alert(out, false),
            _ => self.alert(out, true),
        }
        self.now = now;
        out.push('\n');
    }

    /// One message-trace row: message `next_msg` of the shared sequence (sent by a user of
    /// the tenant, so it can join with its Send record) or, three times out of four, inbound
    /// mail from outside (which joins with nothing).
    fn trace_row(&mut self, out: &mut String) {
        let inbound = self.rng.below(4) != 0;
        let n = self.next_msg;
        let m = msg(self.seed, &self.users, n);
        let row = self.counts.records;
        let rng = &mut self.rng;
        let (sender, recipient, id, subject, size) = if inbound {
            let to = self
                .users
                .get(rng.below(self.users.len() as u64) as usize)
                .map(|u| u.upn.clone())
                .unwrap_or_default();
            let from = rng.pick(EXTERNAL).to_string();
            let domain = from.rsplit('@').next().unwrap_or("example.com").to_string();
            let id = format!("<{}@{domain}>", rng.hex(32));
            (
                from,
                to,
                id,
                rng.pick(SUBJECTS),
                rng.range(3_000, 2_000_000),
            )
        } else {
            self.next_msg += 1;
            let sender = self
                .users
                .get(m.user)
                .map(|u| u.upn.clone())
                .unwrap_or_default();
            (sender, m.recipient.clone(), m.id.clone(), m.subject, m.size)
        };
        let mut o = Obj::new(out);
        o.s("Organization", "contoso.onmicrosoft.com")
            .s("MessageId", &id)
            .s(
                "Received",
                &format!(
                    "{}.{:06}",
                    iso(m.time + rng.range(0, MSG_STEP - 1)),
                    rng.below(1_000_000)
                ),
            )
            .s("SenderAddress", &sender)
            .s("RecipientAddress", &recipient)
            .s("Subject", subject)
            .s(
                "Status",
                rng.pick(&[
                    "Delivered",
                    "Delivered",
                    "Delivered",
                    "Delivered",
                    "Delivered",
                    "FilteredAsSpam",
                    "Failed",
                    "Pending",
                ]),
            )
            .raw("ToIP", "null")
            .s("FromIP", &ip(rng))
            .n("Size", size)
            .s("MessageTraceId", &rng.guid())
            .n("Index", row as i64);
        o.end();
        out.push('\n');
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = if let Some(p) = s.strip_suffix("Gi") {
        (p, 1u64 << 30)
    } else if let Some(p) = s.strip_suffix("Mi") {
        (p, 1 << 20)
    } else if let Some(p) = s.strip_suffix("Ki") {
        (p, 1 << 10)
    } else if let Some(p) = s.strip_suffix(['G', 'g']) {
        (p, 1_000_000_000)
    } else if let Some(p) = s.strip_suffix(['M', 'm']) {
        (p, 1_000_000)
    } else if let Some(p) = s.strip_suffix(['K', 'k']) {
        (p, 1_000)
    } else {
        (s, 1)
    };
    let f: f64 = num.parse().ok()?;
    (f >= 0.0).then_some((f * mult as f64) as u64)
}

const USAGE: &str =
    "usage: gen_o365 [--size 1G] [--kind management|messagetrace] [--seed N] [--out FILE]";

fn main() -> ExitCode {
    let mut size = 1_000_000_000u64;
    let mut kind = "management".to_string();
    let mut seed = 20_250_303u64;
    let mut out_path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (k, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        if k == "-h" || k == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(v) = inline.or_else(|| args.next()) else {
            eprintln!("gen_o365: {k} needs a value\n{USAGE}");
            return ExitCode::from(2);
        };
        match k.as_str() {
            "--size" => match parse_size(&v) {
                Some(n) => size = n,
                None => {
                    eprintln!("gen_o365: bad size {v:?}");
                    return ExitCode::from(2);
                }
            },
            "--kind" if v == "management" || v == "messagetrace" => kind = v,
            "--seed" => match v.parse() {
                Ok(n) => seed = n,
                Err(_) => {
                    eprintln!("gen_o365: bad seed {v:?}");
                    return ExitCode::from(2);
                }
            },
            "--out" | "-o" => out_path = Some(v),
            _ => {
                eprintln!("gen_o365: unknown argument {a:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(size, &kind, seed, out_path.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_o365: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(size: u64, kind: &str, seed: u64, out_path: Option<&str>) -> io::Result<()> {
    let sink: Box<dyn Write> = match out_path {
        Some(p) if p != "-" => Box::new(std::fs::File::create(p)?),
        _ => Box::new(io::stdout().lock()),
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let mut rng = Rng(seed);
    let users = users(&mut rng);
    let mut g = Gen {
        seed,
        rng: Rng(seed.wrapping_mul(31).wrapping_add(7)),
        users,
        next_msg: 0,
        now: START + 3600,
        counts: Counts::default(),
    };
    let mut line = String::with_capacity(4096);
    loop {
        line.clear();
        if kind == "messagetrace" {
            g.trace_row(&mut line);
        } else {
            let before = g.counts.clone_hits();
            g.record(&mut line);
            if g.counts.bytes + line.len() as u64 > size {
                g.counts.restore_hits(before);
            }
        }
        if g.counts.bytes + line.len() as u64 > size {
            break;
        }
        if line.contains("\\u") {
            g.counts.escaped_lines += 1;
        }
        w.write_all(line.as_bytes())?;
        g.counts.bytes += line.len() as u64;
        g.counts.records += 1;
    }
    w.flush()?;
    let c = &g.counts;
    eprintln!(
        "gen_o365: kind={kind} seed={seed}: {} records, {} bytes ({:.0} B/record), {} lines with \\u escapes, {} PST-policy records, {} counted PST AlertEntityGenerated events",
        c.records,
        c.bytes,
        c.bytes as f64 / c.records.max(1) as f64,
        c.escaped_lines,
        c.pst_related,
        c.pst_hits
    );
    Ok(())
}

impl Counts {
    fn clone_hits(&self) -> (u64, u64) {
        (self.pst_hits, self.pst_related)
    }
    fn restore_hits(&mut self, v: (u64, u64)) {
        (self.pst_hits, self.pst_related) = v;
    }
}
