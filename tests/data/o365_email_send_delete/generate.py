#!/usr/bin/env python3
"""Generate messagetrace.json and audit.json: synthetic Office 365 message-trace records
(sourcetype o365:reporting:messagetrace) and Office 365 Management Activity records
(sourcetype o365:management:activity) for the detection
"O365 Email Send and Hard Delete Exfiltration Behavior".

Deterministic (fixed seed, stdlib only). One JSON record per line, written with Python's
json.dumps defaults (", " / ": " separators, ASCII escapes), the way the Splunk Add-on for
Microsoft Office 365 writes them.

The records follow /work/shared/reference/event_schemas.md: §1.2 (Exchange mailbox records:
Send/SendAs/SendOnBehalf with Item.*, SoftDelete/HardDelete/MoveToDeletedItems group records
with Folder.Path and AffectedItems[]), §1.4 (background) and §2 (message trace). A message is
joinable across the two files: the trace's MessageId is the Send's Item.InternetMessageId
(sometimes in another letter case), the trace's SenderAddress is the Send's UserId (sometimes
in another letter case), and the trace row is received a few seconds after the Send.

The scenarios that matter to the detection are the functions tp_* (true positives) and nm_*
(near misses) below; README.md explains each one. expected.py does NOT read this file: it
recomputes the result from the JSON lines alone.

Usage: python3 generate.py   (writes messagetrace.json and audit.json next to this script)
"""

import calendar
import itertools
import json
import os
import random
import time
import uuid
from decimal import Decimal, ROUND_HALF_UP, localcontext

SEED = 20250310
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_TRACE = os.path.join(HERE, "messagetrace.json")
OUT_AUDIT = os.path.join(HERE, "audit.json")

TENANT = "6f1c8a52-3b2e-4c1d-9a7e-2d4b5c6e7f80"
ORG_NAME = "contoso.onmicrosoft.com"  # OrganizationName (audit) and Organization (trace)
START = calendar.timegm((2025, 3, 10, 0, 0, 0))  # 2025-03-10T00:00:00Z (Monday)
DAYS = 2  # window 2025-03-10T00:00 .. 2025-03-11T23:59:59 UTC

OWA = ("Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0;")
RPC = "Client=MSExchangeRPC"
REST = "Client=REST;Client=RESTSystem;;"
EAS = "Client=ActiveSync;Apple-iPhone16C2/2203.63;"
CLIENTS = [OWA, OWA, RPC, RPC, REST, EAS]

SENT = "\\Sent Items"
DELETIONS = "\\Recoverable Items\\Deletions"
DELETED = "\\Deleted Items"
INBOX = "\\Inbox"


def guid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def ts6(epoch):
    """Message-trace Received: UTC, no zone, 6-digit fraction (Splunk example event)."""
    whole, micro = divmod(int(round(epoch * 1e6)), 1000000)
    return ts(whole) + ".%06d" % micro


def at(text):
    """'2025-03-10T09:14:22' (UTC) -> epoch seconds."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))


def puid():
    return "1003%012X" % rng.getrandbits(48)


def sid():
    return "S-1-5-21-%d-%d-%d-%d" % (rng.randrange(10 ** 9, 4 * 10 ** 9), rng.randrange(10 ** 9, 4 * 10 ** 9),
                                     rng.randrange(10 ** 9, 4 * 10 ** 9), rng.randrange(1000, 99999))


def ip():
    return rng.choice(["203.0.113.%d", "198.51.100.%d", "192.0.2.%d", "20.190.151.%d",
                       "40.126.28.%d", "52.96.164.%d"]) % rng.randrange(2, 254)


def folder_id():
    return "LgAAAAB%032X" % rng.getrandbits(128)


def store_id():
    return "RgAAAAB%040X" % rng.getrandbits(160)


def msg_id():
    """Internet Message-ID as Exchange Online writes it (server name upper case, domain lower)."""
    srv = "PH0PR08MB%04d" % rng.randrange(10000)
    return "<%s%024X@%s.namprd06.prod.outlook.com>" % (srv, rng.getrandbits(96), srv)


# ---------------------------------------------------------------- people
# UPNs as stored in Entra ID (Dmitri's has capitals: the search lower-cases both sides).
USER_NAMES = [
    # true positives
    "priya.shah", "marcus.oyelaran", "Dmitri.Kaur", "lena.fischer", "tomasz.nowak", "ana.ribeiro",
    "kenji.watanabe", "noah.bergstrom", "sofia.marin", "grace.okafor", "omar.haddad", "liam.cho",
    "ines.duarte", "ravi.menon", "hana.sato",
    # near misses
    "zara.ali", "jose.alvarez", "emma.larsen", "chen.wei", "fatima.zahra", "lucas.moreau",
    "mia.kowalski", "samuel.adeyemi", "olivia.bennett", "arjun.nair", "sara.lindqvist", "nina.petrova",
    "yusuf.demir", "victor.hale", "paula.reyes", "rosa.kim", "quentin.ross", "sven.berg", "amy.tan",
    "daniel.okoro",
    # background only
    "felix.braun", "chloe.martin", "ben.carter", "isabel.gomez", "leo.schmidt",
]
SHARED = ["finance-shared", "CEO.Office", "hr-shared"]
DISPLAY = {"jose.alvarez": "Jos\u00e9 \u00c1lvarez", "ines.duarte": "In\u00eas Duarte",
           "finance-shared": "Finance (shared)", "CEO.Office": "CEO Office", "hr-shared": "HR (shared)"}
USERS = {}
for n in USER_NAMES + SHARED:
    USERS[n.lower()] = {
        "upn": n + "@contoso.com",
        "puid": puid(),
        "sid": sid(),
        "mbx": guid(),
        "ip": ip(),
        "display": DISPLAY.get(n, " ".join(p.capitalize() for p in n.split("."))),
    }
PEOPLE = [USERS[n.lower()] for n in USER_NAMES]


def U(name):
    return USERS[name.lower()]


audit = []  # (delivery_key, seq, record)
trace = []  # (delivery_key, seq, record)


def add_audit(rec, t, delay=None):
    """The audit file is ordered by delivery time (CreationTime plus an API delay)."""
    if delay is None:
        delay = rng.randrange(30, 1800)
    audit.append((t + delay, len(audit), rec))


def add_trace(rec, t):
    """The trace file is ordered by when the add-on polled the row (Received plus 5-90 min)."""
    trace.append((t + rng.randrange(300, 5400), len(trace), rec))


def common(t, op, rtype, workload, actor, user_type=0, result="Succeeded", object_id=None):
    r = {"CreationTime": ts(t), "Id": guid(), "Operation": op, "OrganizationId": TENANT, "RecordType": rtype}
    if result is not None:
        r["ResultStatus"] = result
    r["UserKey"] = actor["puid"]
    r["UserType"] = user_type
    r["Version"] = 1
    r["Workload"] = workload
    r["ClientIP"] = actor["ip"]
    if object_id is not None:
        r["ObjectId"] = object_id
    r["UserId"] = actor["upn"]
    return r


def mailbox_part(actor, owner, client):
    delegate = actor is not owner
    return {
        "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "",
        "ClientIPAddress": actor["ip"],
        "ClientInfoString": client,
        "ExternalAccess": False,
        "InternalLogonType": 0,
        "LogonType": 2 if delegate else 0,
        "LogonUserSid": actor["sid"],
        "MailboxGuid": owner["mbx"],
        "MailboxOwnerSid": owner["sid"],
        "MailboxOwnerUPN": owner["upn"],
        "OrganizationName": ORG_NAME,
        "OriginatingServer": "PH0PR08MB%04d (15.20.8489.020)\r\n" % rng.randrange(10000),
        "SessionId": guid(),
        "LogonUserDisplayName": actor["display"],
    }


# ---------------------------------------------------------------- messages
def new_msg(subject, atts=(), body=(9000, 60000)):
    """A message: atts is a list of (name, (lo, hi)) size ranges in bytes."""
    drawn = [(name, rng.randrange(lo, hi)) for name, (lo, hi) in atts]
    return {"store": store_id(), "imid": msg_id(), "subject": subject, "atts": drawn,
            "size": sum(b for _, b in drawn) + rng.randrange(*body)}


def att_text(atts):
    return "; ".join("%s (%db)" % (n, b) for n, b in atts)


def emit_send(t, actor, msg, op="Send", owner=None, client=OWA, as_smtp=None, obo_smtp=None):
    owner = owner or actor
    r = common(t, op, 2, "Exchange", actor)
    r.update(mailbox_part(actor, owner, client))
    item = {"Id": msg["store"], "InternetMessageId": msg["imid"], "Subject": msg["subject"],
            "SizeInBytes": msg["size"]}
    if msg["atts"]:
        item["Attachments"] = att_text(msg["atts"])
    item["ParentFolder"] = {"Id": folder_id(), "Path": SENT}
    r["Item"] = item
    if as_smtp:
        r["SendAsUserSmtp"] = as_smtp
        r["SendAsUserMailboxGuid"] = guid()
    if obo_smtp:
        r["SendOnBehalfOfUserSmtp"] = obo_smtp
        r["SendOnBehalfOfUserMailboxGuid"] = guid()
    add_audit(r, t)
    return r


def emit_group(t, op, actor, folder, items, owner=None, client=OWA, subject_override=None):
    """MoveToDeletedItems / SoftDelete / HardDelete group record (RecordType 3)."""
    owner = owner or actor
    r = common(t, op, 3, "Exchange", actor)
    r.update(mailbox_part(actor, owner, client))
    r["CrossMailboxOperation"] = False
    if op == "MoveToDeletedItems":
        r["DestFolder"] = {"Id": folder_id(), "Path": DELETED}
    elif op == "SoftDelete":
        r["DestFolder"] = {"Id": folder_id(), "Path": DELETIONS}
    r["Folder"] = {"Id": folder_id(), "Path": folder}
    affected = []
    for i, m in enumerate(items):
        a = {"Id": m["store"], "InternetMessageId": m["imid"],
             "Subject": subject_override[i] if subject_override else m["subject"]}
        if m["atts"]:
            a["Attachments"] = att_text(m["atts"])
        a["ParentFolder"] = {"Id": folder_id(), "Path": folder}
        affected.append(a)
    r["AffectedItems"] = affected
    add_audit(r, t)
    return r


MX = ["142.250.%d.%d", "2607:f8b0:4004:c1b::%x", "40.93.%d.%d", "67.195.%d.%d", "185.70.%d.%d"]


def to_ip(addr):
    if addr.lower().endswith("@contoso.com"):
        return None
    pat = rng.choice(MX)
    if "::" in pat:
        return pat % rng.randrange(16, 255)
    return pat % (rng.randrange(1, 255), rng.randrange(1, 255))


def emit_trace(t, msg, sender, rcpts, msgid=Ellipsis, subject=Ellipsis, sender_ip=None):
    """One trace row per recipient; rcpts is a list of (address, Status). msgid/subject default
    to the message's own; None writes JSON null."""
    rows = []
    for addr, status in rcpts:
        r = {"Organization": ORG_NAME,
             "MessageId": msg["imid"] if msgid is Ellipsis else msgid,
             "Received": ts6(t + rng.uniform(0, 0.9)),
             "SenderAddress": sender,
             "RecipientAddress": addr,
             "Subject": msg["subject"] if subject is Ellipsis else subject,
             "Status": status,
             "ToIP": to_ip(addr),
             "FromIP": sender_ip or rng.choice(["40.107.%d.%d" % (rng.randrange(1, 255), rng.randrange(1, 255)),
                                                "52.101.%d.%d" % (rng.randrange(1, 255), rng.randrange(1, 255))]),
             "Size": msg["size"] + rng.randrange(2000, 9000),
             "MessageTraceId": guid(),
             "Index": 0}
        add_trace(r, t)
        rows.append(r)
    return rows


# ---------------------------------------------------------------- file_size bookkeeping
# The detection sums round(bytes/1024/1024, 2) values. The generator only keeps size draws
# whose every partial sum is an exact two-decimal float in any order, whose rounding is never a
# tie (x.xx5 exactly) and whose printed total has a non-zero second decimal, so that the
# expected file_size prints the same whatever rounding/summation/printing details an engine
# (or Splunk) uses. See README "file_size".
def r2(b):
    with localcontext() as c:
        c.prec = 60
        exact = Decimal(b) / Decimal(1048576)
        if (exact * 1000) == (exact * 1000).to_integral_value() and int(exact * 1000) % 10 == 5:
            return None  # exact tie
        a = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        via_repr = Decimal(repr(b / 1024 / 1024)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return a if a == via_repr else None


def clean_sum(parts):
    """parts: Decimals; True when every order of float addition gives float(sum)."""
    total = sum(parts, Decimal(0))
    for perm in itertools.permutations(parts):
        acc = 0.0
        for p in perm:
            acc += float(p)
        if acc != float(total):
            return False
    return True


def clean(groups, joined):
    """groups: per subsearch row, the byte counts that contribute a file_size; joined: the
    indexes of the subsearch rows that end up in one output row (with repetition)."""
    sums = []
    for g in groups:
        parts = [r2(b) for b in g]
        if any(p is None for p in parts) or not clean_sum(parts):
            return False
        sums.append(sum(parts, Decimal(0)))
    outer = [sums[i] for i in joined]
    total = sum(outer, Decimal(0))
    if not clean_sum(outer) or total <= 0 or (total * 100) % 10 == 0:
        return False
    return True


def pick(make, groups_of, joined):
    """Draw messages with make() until their file sizes are clean (deterministic)."""
    for _ in range(10000):
        msgs = make()
        if clean(groups_of(msgs), joined):
            return msgs
    raise RuntimeError("no clean draw")


SCENARIO_SUBJECTS = set()


def subj(s):
    SCENARIO_SUBJECTS.add(s.strip(" \t"))
    return s


# ---------------------------------------------------------------- true positives
def tp_basic():
    """priya: Send to one external recipient, HardDelete from Sent Items 17 min later."""
    u = U("priya.shah")
    m = pick(lambda: new_msg(subj("Customer master list Q1"),
                             [("customer_master_q1.csv", (900000, 6000000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-10T09:14:22")
    emit_send(t, u, m)
    emit_trace(t + 3, m, u["upn"], [("j.smith.consulting@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T09:31:05"), "HardDelete", u, SENT, [m])


def tp_multi_recipient():
    """marcus: one message, six recipients (3 external delivered, 1 internal, 1 external whose
    domain contains 'contoso', 1 external Failed); SoftDelete then purge (HardDelete) from
    Recoverable Items\\Deletions; two attachments -> the delete's file_size is null."""
    u = U("marcus.oyelaran")
    m = pick(lambda: new_msg(subj("Pricing model v4 - confidential"),
                             [("pricing model (v4).xlsx", (400000, 3000000)), ("assumptions.txt", (2000, 9000))]),
             lambda m: [[m["size"]]], [0])
    t = at("2025-03-10T14:02:10")
    emit_send(t, u, m, client=RPC)
    emit_trace(t + 4, m, u["upn"], [("a.petrov@fabrikam.com", "Delivered"),
                                    ("pricing-team@northwindtraders.com", "Delivered"),
                                    ("M.Oyelaran.Private@outlook.com", "Delivered"),
                                    ("ops@contoso.com", "Delivered"),
                                    ("deals@contoso-partners.com", "Delivered"),
                                    ("k.lee@tailspintoys.com", "Failed")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T14:20:41"), "SoftDelete", u, SENT, [m], client=RPC)
    emit_group(at("2025-03-10T14:21:03"), "HardDelete", u, DELETIONS, [m], client=RPC)


def tp_case_differences():
    """Dmitri: UserId 'Dmitri.Kaur@contoso.com', trace SenderAddress 'Dmitri.Kaur@Contoso.com',
    trace MessageId fully upper case; attachment name with nested parentheses; deleted via REST."""
    u = U("Dmitri.Kaur")
    m = pick(lambda: new_msg(subj("Merger term sheet"),
                             [("Term Sheet (draft 3) (final).docx", (150000, 1500000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-10T16:40:09")
    emit_send(t, u, m)
    emit_trace(t + 5, m, "Dmitri.Kaur@Contoso.com", [("counsel@litware-legal.com", "Delivered")],
               msgid=m["imid"].upper(), sender_ip=u["ip"])
    emit_group(at("2025-03-10T16:52:30"), "HardDelete", u, SENT, [m], client=REST)


def tp_sendas():
    """lena sends as the shared finance mailbox (SendAsUserSmtp, logged on the shared mailbox,
    UserId lena) and hard-deletes her own Sent Items copy. Synthetic on one point: the trace's
    SenderAddress is lena (see README: real traces show the sent-as address, cf. nm_sendas)."""
    u = U("lena.fischer")
    shared = U("finance-shared")
    m = pick(lambda: new_msg(subj("Vendor bank details update"), [("bank_details.pdf", (60000, 400000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-11T08:05:44")
    emit_send(t, u, m, op="SendAs", owner=shared, as_smtp="Finance-Shared@contoso.com")
    emit_trace(t + 2, m, u["upn"], [("accounts@fabrikam.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T08:07:02"), "HardDelete", u, SENT, [m])


def tp_sendonbehalf():
    """tomasz sends on behalf of the CEO office mailbox (trace SenderAddress = tomasz, assumed
    to be the envelope sender of send-on-behalf mail -- not confirmed) and hard-deletes the copy in the CEO office's Sent
    Items (MailboxOwnerUPN CEO.Office@...). No attachments. Two external recipients."""
    u = U("tomasz.nowak")
    ceo = U("CEO.Office")
    m = pick(lambda: new_msg(subj("Wire approval - urgent"), [], body=(9000, 90000)),
             lambda m: [[m["size"]]], [0])
    t = at("2025-03-11T10:12:18")
    emit_send(t, u, m, op="SendOnBehalf", owner=ceo, obo_smtp="ceo.office@contoso.com", client=OWA)
    emit_trace(t + 3, m, u["upn"], [("treasury@woodgrovebank.com", "Delivered"),
                                    ("cfo.assistant.2025@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T10:14:51"), "HardDelete", u, SENT, [m], owner=ceo)


def tp_parentheses_unicode_subject():
    """ana: subject with an en dash, one attachment whose name contains parentheses."""
    u = U("ana.ribeiro")
    m = pick(lambda: new_msg(subj("Board pack (March) \u2013 final"),
                             [("Board pack (March) (v2).pdf", (2000000, 9000000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-10T11:22:40")
    emit_send(t, u, m)
    emit_trace(t + 6, m, u["upn"], [("ana.r.home@protonmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T11:48:13"), "HardDelete", u, SENT, [m])


def tp_hour_edges_inside():
    """kenji: send at 11:00:00, HardDelete at 11:59:59 -> same hour bucket. No attachments."""
    u = U("kenji.watanabe")
    m = pick(lambda: new_msg(subj("Design spec export"), [], body=(9000, 90000)),
             lambda m: [[m["size"]]], [0])
    t = at("2025-03-11T11:00:00")
    emit_send(t, u, m, client=EAS)
    emit_trace(t + 2, m, u["upn"], [("k.watanabe.dev@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T11:59:59"), "HardDelete", u, SENT, [m], client=EAS)


def tp_trace_next_hour():
    """noah: send 12:59:41, delete 12:59:58 (same bucket); the trace row is received at 13:00:06
    (another bucket) -- the trace's _time is not a join key."""
    u = U("noah.bergstrom")
    m = pick(lambda: new_msg(subj("Salary bands 2025"), [("salary_bands_2025.xlsx", (50000, 700000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-10T12:59:41")
    emit_send(t, u, m)
    emit_trace(at("2025-03-10T13:00:06"), m, u["upn"], [("noah.b@outlook.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T12:59:58"), "HardDelete", u, SENT, [m])


def tp_subject_whitespace():
    """sofia: Item.Subject has leading/trailing spaces, the deleted item's Subject a trailing
    TAB; trim() makes both 'Offer letter - R. Gomez'. Two attachments."""
    u = U("sofia.marin")
    m = pick(lambda: new_msg(subj("  Offer letter - R. Gomez  "),
                             [("offer_letter.pdf", (80000, 300000)), ("benefits (2025).pdf", (80000, 900000))]),
             lambda m: [[m["size"]]], [0])
    t = at("2025-03-11T15:30:12")
    emit_send(t, u, m)
    emit_trace(t + 3, m, u["upn"], [("rgomez.hr@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T15:33:40"), "HardDelete", u, SENT, [m],
               subject_override=["Offer letter - R. Gomez\t"])


def tp_multivalue_lasttime():
    """grace: in one hour, HardDelete of last week's copy (same subject) at 09:03, Send at 09:20,
    HardDelete of the new copy at 09:41 -> lastTime is multivalue (09:03, 09:41) and
    firstTime < lastTime holds for one pair."""
    u = U("grace.okafor")

    def make():
        old = new_msg(subj("Weekly KPI report"), [("kpi_week09.xlsx", (100000, 900000))])
        new = new_msg("Weekly KPI report", [("kpi_week10.xlsx", (100000, 900000))])
        return old, new

    old, new = pick(make, lambda ms: [[ms[1]["size"], ms[0]["atts"][0][1], ms[1]["atts"][0][1]]], [0])
    emit_group(at("2025-03-10T09:03:11"), "HardDelete", u, DELETIONS, [old])
    t = at("2025-03-10T09:20:45")
    emit_send(t, u, new)
    emit_trace(t + 4, new, u["upn"], [("grace.okafor.personal@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T09:41:27"), "HardDelete", u, SENT, [new])


def tp_two_messages_one_row():
    """omar: the same subject sent and deleted on both days to the same recipient (written in
    another case the second time; second trace MessageId lower case) -> one row, count 2."""
    u = U("omar.haddad")

    def make():
        return (new_msg(subj("Pipeline export"), [("pipeline_0310.csv", (200000, 2000000))]),
                new_msg("Pipeline export", [("pipeline_0311.csv", (200000, 2000000))]))

    m1, m2 = pick(make, lambda ms: [[ms[0]["size"], ms[0]["atts"][0][1]], [ms[1]["size"], ms[1]["atts"][0][1]]],
                  [0, 1])
    t1 = at("2025-03-10T10:10:05")
    emit_send(t1, u, m1)
    emit_trace(t1 + 3, m1, u["upn"], [("omar.h@yahoo.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T10:25:33"), "HardDelete", u, SENT, [m1])
    t2 = at("2025-03-11T14:05:50")
    emit_send(t2, u, m2, client=RPC)
    emit_trace(t2 + 5, m2, u["upn"], [("Omar.H@Yahoo.com", "Delivered"), ("sales-ops@contoso.com", "Delivered")],
               msgid=m2["imid"].lower(), sender_ip=u["ip"])
    emit_group(at("2025-03-11T14:50:02"), "HardDelete", u, SENT, [m2], client=RPC)


def tp_resubmitted():
    """liam: the same message (same InternetMessageId) is submitted twice (16:05 and 17:02,
    e.g. a client retry), delivered twice (two trace rows), and its Sent Items copy hard-deleted
    after each submission -> two subsearch rows with the same key; join max=0 gives
    2 trace rows x 2 subsearch rows = 4 joined rows -> count 4."""
    u = U("liam.cho")
    m = pick(lambda: new_msg(subj("Source code archive"), [("src-archive.zip", (1000000, 9000000))]),
             lambda m: [[m["size"], m["atts"][0][1]], [m["size"], m["atts"][0][1]]], [0, 0, 1, 1])
    t1 = at("2025-03-10T16:05:12")
    emit_send(t1, u, m, client=EAS)
    emit_trace(t1 + 3, m, u["upn"], [("liam.cho.dev@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T16:20:40"), "HardDelete", u, SENT, [m], client=EAS)
    t2 = at("2025-03-10T17:02:09")
    emit_send(t2, u, m, client=EAS)
    emit_trace(t2 + 3, m, u["upn"], [("liam.cho.dev@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T17:30:18"), "HardDelete", u, SENT, [m], client=EAS)


def tp_unicode():
    """ines: non-ASCII subject and attachment name (written with \\u escapes by json.dumps)."""
    u = U("ines.duarte")
    m = pick(lambda: new_msg(subj("\u00dcberweisungsliste M\u00e4rz"),
                             [("\u00fcberweisungen_m\u00e4rz.csv", (30000, 600000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-11T13:14:15")
    emit_send(t, u, m)
    emit_trace(t + 4, m, u["upn"], [("i.duarte@gmx.de", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T13:20:00"), "HardDelete", u, SENT, [m], client=REST)


def tp_recipient_case():
    """ravi: recipient written 'Ravi.Menon.Home@Gmail.COM' in the trace (lower-cased by the
    search); sent from ActiveSync, deleted from OWA."""
    u = U("ravi.menon")
    m = pick(lambda: new_msg(subj("Customer escalations export"), [("escalations.xlsx", (100000, 1500000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-10T15:45:00")
    emit_send(t, u, m, client=EAS)
    emit_trace(t + 3, m, u["upn"], [("Ravi.Menon.Home@Gmail.COM", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T15:58:19"), "HardDelete", u, SENT, [m], client=OWA)


def tp_trace_subject_null():
    """hana: the trace row's Subject is JSON null -- the output subject comes from the subsearch."""
    u = U("hana.sato")
    m = pick(lambda: new_msg(subj("Patent draft claims"), [("claims_v7.docx", (40000, 500000))]),
             lambda m: [[m["size"], m["atts"][0][1]]], [0])
    t = at("2025-03-11T09:09:09")
    emit_send(t, u, m)
    emit_trace(t + 2, m, u["upn"], [("hsato.ip@outlook.jp", "Delivered")], subject=None, sender_ip=u["ip"])
    emit_group(at("2025-03-11T09:40:00"), "HardDelete", u, DELETIONS, [m])


# ---------------------------------------------------------------- near misses (no row)
def simple(user, subject, t_send, t_del, rcpts, folder=SENT, op="HardDelete", atts=(("notes.pdf", (30000, 300000)),)):
    u = U(user)
    m = new_msg(subj(subject), list(atts))
    t = at(t_send)
    emit_send(t, u, m)
    if rcpts:
        emit_trace(t + 3, m, u["upn"], rcpts, sender_ip=u["ip"])
    if t_del:
        emit_group(at(t_del), op, u, folder, [m])
    return u, m


def nm_hour_split():
    simple("zara.ali", "Client contacts export", "2025-03-10T10:55:12", "2025-03-10T11:05:40",
           [("zara.a@gmail.com", "Delivered")])


def nm_hour_split_edge():
    simple("jose.alvarez", "Supplier price list", "2025-03-11T16:59:59", "2025-03-11T17:00:00",
           [("jalvarez.personal@hotmail.com", "Delivered")])


def nm_delete_before_send():
    u = U("emma.larsen")
    old = new_msg(subj("Daily sales extract"), [("sales_0307.csv", (30000, 300000))])
    emit_group(at("2025-03-10T13:05:10"), "HardDelete", u, SENT, [old])
    m = new_msg("Daily sales extract", [("sales_0310.csv", (30000, 300000))])
    t = at("2025-03-10T13:40:22")
    emit_send(t, u, m)
    emit_trace(t + 3, m, u["upn"], [("emma.l.home@gmail.com", "Delivered")], sender_ip=u["ip"])


def nm_same_second():
    simple("chen.wei", "Firmware signing keys", "2025-03-11T12:30:30", "2025-03-11T12:30:30",
           [("chen.w@163.com", "Delivered")])


def nm_internal_only():
    simple("fatima.zahra", "Headcount plan FY26", "2025-03-10T11:11:11", "2025-03-10T11:30:00",
           [("ops@contoso.com", "Delivered"), ("Legal@Contoso.com", "Delivered")])


def nm_lookalike_external():
    simple("lucas.moreau", "Deal room access list", "2025-03-11T14:14:14", "2025-03-11T14:44:44",
           [("deals@contoso-capital.com", "Delivered"), ("m.contoso@gmail.com", "Delivered")])


def nm_soft_delete_only():
    simple("mia.kowalski", "Payroll register March", "2025-03-10T15:05:00", "2025-03-10T15:20:00",
           [("mia.k@outlook.com", "Delivered")], op="SoftDelete")


def nm_move_to_deleted():
    simple("samuel.adeyemi", "Roadmap slides external", "2025-03-11T09:30:00", "2025-03-11T09:35:00",
           [("samuel.a@gmail.com", "Delivered")], op="MoveToDeletedItems")


def nm_harddelete_deleted_items():
    u, m = simple("olivia.bennett", "Customer NPS raw data", "2025-03-10T10:12:00", None,
                  [("olivia.b@icloud.com", "Delivered")])
    emit_group(at("2025-03-10T10:20:00"), "MoveToDeletedItems", u, SENT, [m])
    emit_group(at("2025-03-10T10:22:30"), "HardDelete", u, DELETED, [m])


def nm_harddelete_inbox():
    """arjun Bcc's himself and hard-deletes the copy that landed in his Inbox."""
    u, m = simple("arjun.nair", "Org chart draft", "2025-03-11T10:40:00", None,
                  [("arjun.nair.99@gmail.com", "Delivered"), ("arjun.nair@contoso.com", "Delivered")])
    emit_group(at("2025-03-11T10:47:00"), "HardDelete", u, INBOX, [m])


def nm_undelivered():
    simple("sara.lindqvist", "Bid strategy", "2025-03-10T08:30:00", "2025-03-10T08:45:00",
           [("s.lindqvist@proton.me", "Failed")])


def nm_bulk_delete():
    """nina hard-deletes the sent item together with another item in one record:
    AffectedItems{}.Subject is multivalue, trim() of it is null, the delete has no subject."""
    u = U("nina.petrova")
    m = new_msg(subj("Investor list"), [("investors.xlsx", (30000, 300000))])
    other = new_msg(subj("Old notes"), [])
    t = at("2025-03-10T17:10:00")
    emit_send(t, u, m)
    emit_trace(t + 3, m, u["upn"], [("nina.p@yandex.ru", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T17:25:00"), "HardDelete", u, SENT, [m, other])


def nm_two_sends_same_key():
    """yusuf sends two different messages with the same subject in one hour, then hard-deletes
    one: the subsearch row's InternetMessageId is multivalue and matches no trace row."""
    u = U("yusuf.demir")
    m1 = new_msg(subj("Contract draft"), [("contract_v1.docx", (30000, 300000))])
    m2 = new_msg("Contract draft", [("contract_v2.docx", (30000, 300000))])
    t1, t2 = at("2025-03-11T15:10:00"), at("2025-03-11T15:22:00")
    emit_send(t1, u, m1)
    emit_trace(t1 + 3, m1, u["upn"], [("buyer@adventure-works.com", "Delivered")], sender_ip=u["ip"])
    emit_send(t2, u, m2)
    emit_trace(t2 + 3, m2, u["upn"], [("legal@adventure-works.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T15:40:00"), "HardDelete", u, SENT, [m2])


def nm_sendas_delegate():
    """victor sends as hr-shared; the trace's SenderAddress is the sent-as address, not victor."""
    u = U("victor.hale")
    shared = U("hr-shared")
    m = new_msg(subj("Employee records export"), [("employees.csv", (30000, 300000))])
    t = at("2025-03-10T12:10:00")
    emit_send(t, u, m, op="SendAs", owner=shared, as_smtp="hr-shared@contoso.com")
    emit_trace(t + 3, m, "hr-shared@contoso.com", [("vhale.private@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-10T12:25:00"), "HardDelete", u, SENT, [m])


def nm_no_trace():
    simple("paula.reyes", "Patient intake forms", "2025-03-11T08:20:00", "2025-03-11T08:35:00", [])


def nm_trace_msgid_null():
    u, m = simple("rosa.kim", "Lab results batch 12", "2025-03-10T14:30:00", "2025-03-10T14:50:00", [])
    emit_trace(at("2025-03-10T14:30:03"), m, u["upn"], [("rosa.kim.lab@gmail.com", "Delivered")], msgid=None,
               sender_ip=u["ip"])


def nm_other_subject_deleted():
    u, m = simple("quentin.ross", "Q2 roadmap", "2025-03-11T11:15:00", None,
                  [("q.ross@fastmail.com", "Delivered")])
    other = new_msg(subj("Team offsite agenda"), [])
    emit_group(at("2025-03-11T11:30:00"), "HardDelete", u, SENT, [other])


def nm_deleted_by_delegate():
    """sven sends; his assistant amy hard-deletes the copy from sven's Sent Items (UserId amy)."""
    sven, amy = U("sven.berg"), U("amy.tan")
    m = new_msg(subj("Acquisition shortlist"), [("shortlist.pdf", (30000, 300000))])
    t = at("2025-03-10T13:13:00")
    emit_send(t, sven, m)
    emit_trace(t + 3, m, sven["upn"], [("advisor@proseware.com", "Delivered")], sender_ip=sven["ip"])
    emit_group(at("2025-03-10T13:30:00"), "HardDelete", amy, SENT, [m], owner=sven)


def nm_sent_from_alias():
    """daniel sends from his proxy address d.okoro@contoso.com: trace SenderAddress != UserId."""
    u = U("daniel.okoro")
    m = new_msg(subj("Compensation review"), [("comp_review.xlsx", (30000, 300000))])
    t = at("2025-03-11T16:05:00")
    emit_send(t, u, m)
    emit_trace(t + 3, m, "d.okoro@contoso.com", [("dokoro@gmail.com", "Delivered")], sender_ip=u["ip"])
    emit_group(at("2025-03-11T16:20:00"), "HardDelete", u, SENT, [m])


TRUE_POSITIVES = [tp_basic, tp_multi_recipient, tp_case_differences, tp_sendas, tp_sendonbehalf,
                  tp_parentheses_unicode_subject, tp_hour_edges_inside, tp_trace_next_hour,
                  tp_subject_whitespace, tp_multivalue_lasttime, tp_two_messages_one_row, tp_resubmitted,
                  tp_unicode, tp_recipient_case, tp_trace_subject_null]
NEAR_MISSES = [nm_hour_split, nm_hour_split_edge, nm_delete_before_send, nm_same_second, nm_internal_only,
               nm_lookalike_external, nm_soft_delete_only, nm_move_to_deleted, nm_harddelete_deleted_items,
               nm_harddelete_inbox, nm_undelivered, nm_bulk_delete, nm_two_sends_same_key, nm_sendas_delegate,
               nm_no_trace, nm_trace_msgid_null, nm_other_subject_deleted, nm_deleted_by_delegate,
               nm_sent_from_alias]


# ---------------------------------------------------------------- background
BG_SUBJECTS = ["Weekly status", "Re: onboarding checklist", "Q1 budget review", "Lunch on Friday?",
               "Invoice 2025-0311", "Release notes 7.2", "Fwd: travel itinerary", "Meeting notes",
               "Re: vendor contract renewal", "Team offsite logistics", "Re: Re: access request",
               "Timesheet reminder", "Draft press release", "Training schedule", "Re: customer call recap",
               "Quarterly newsletter", "Out of office", "Re: parking permits"]
BG_ATTS = [("agenda.docx", (12000, 90000)), ("photo.jpg", (80000, 900000)), ("invoice (copy).pdf", (40000, 250000)),
           ("minutes.pdf", (20000, 200000)), ("logo.png", (2000, 9000))]
EXTERNAL = ["partner@fabrikam.com", "support@northwindtraders.com", "info@adatum.com", "hello@litwareinc.com",
            "billing@wingtiptoys.com", "team@tailspintoys.com", "contact@woodgrovebank.com",
            "newsletter@graphicdesigninstitute.com"]
INBOUND_SENDERS = ["noreply@fabrikam.com", "alerts@adatum.com", "marketing@wingtiptoys.com",
                   "j.doe@litwareinc.com", "ceo@northwindtraders.com", "service@woodgrovebank.com",
                   "no-reply@accounts.example.net"]
SEND_KEYS = set()  # (lower(UserId), trimmed subject, hour) of every send


def biz_time():
    day = rng.randrange(DAYS)
    if rng.random() < 0.85:
        sec = rng.randrange(7 * 3600, 19 * 3600)
    else:
        sec = rng.randrange(86400)
    return START + day * 86400 + sec


def bg_send():
    u = rng.choice(PEOPLE)
    t = biz_time()
    subject = rng.choice(BG_SUBJECTS)
    atts = rng.sample(BG_ATTS, rng.choice([0, 0, 0, 1, 1, 2]))
    m = new_msg(subject, atts)
    rcpts = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        addr = rng.choice(PEOPLE)["upn"] if rng.random() < 0.55 else rng.choice(EXTERNAL)
        status = "Delivered" if rng.random() < 0.93 else rng.choice(["Failed", "Pending", "FilteredAsSpam"])
        if addr not in [a for a, _ in rcpts]:
            rcpts.append((addr, status))
    op, owner, as_smtp = "Send", None, None
    sender = u["upn"]
    if rng.random() < 0.05:
        op, owner, as_smtp = "SendAs", U("finance-shared"), "finance-shared@contoso.com"
        sender = as_smtp
    emit_send(t, u, m, op=op, owner=owner, as_smtp=as_smtp, client=rng.choice(CLIENTS))
    SEND_KEYS.add((u["upn"].lower(), subject.strip(" \t"), t // 3600))
    if rng.random() < 0.97:  # a few messages have no trace row (trace delayed past the window)
        emit_trace(t + rng.uniform(1, 9), m, sender, rcpts, sender_ip=u["ip"])


def bg_inbound():
    to = rng.choice(PEOPLE)
    t = biz_time()
    m = new_msg(rng.choice(["Your invoice is ready", "Security alert", "Webinar invitation", "Re: proposal",
                            "Shipment confirmation", "Password expiry notice"]), [])
    status = rng.choice(["Delivered"] * 12 + ["FilteredAsSpam", "Quarantined"])
    emit_trace(t, m, rng.choice(INBOUND_SENDERS), [(to["upn"], status)])


def bg_delete():
    u = rng.choice(PEOPLE)
    client = rng.choice(CLIENTS)
    for _ in range(100):
        t = biz_time()
        op = rng.choice(["MoveToDeletedItems", "MoveToDeletedItems", "SoftDelete", "SoftDelete", "HardDelete"])
        if op == "HardDelete":
            folder = rng.choice([DELETED, DELETED, INBOX, DELETIONS, SENT])
        elif op == "SoftDelete":
            folder = rng.choice([INBOX, DELETED, SENT])
        else:
            folder = rng.choice([INBOX, INBOX, SENT])
        items = [new_msg(rng.choice(BG_SUBJECTS), rng.sample(BG_ATTS, rng.choice([0, 0, 1])))
                 for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        if (op == "HardDelete" and folder in (SENT, DELETIONS)
                and any((u["upn"].lower(), i["subject"], t // 3600) in SEND_KEYS for i in items)):
            # would pair with a background send (for a multi-item delete: only if trim() worked
            # per value): keep the background silent
            continue
        emit_group(t, op, u, folder, items, client=client)
        return
    raise RuntimeError("no silent delete found")


def bg_mailitemsaccessed():
    u = rng.choice(PEOPLE)
    t = biz_time()
    r = common(t, "MailItemsAccessed", 50, "Exchange", u)
    r.update(mailbox_part(u, u, rng.choice(CLIENTS)))
    r["OperationProperties"] = [{"Name": "MailAccessType", "Value": rng.choice(["Bind", "Sync"])},
                                {"Name": "IsThrottled", "Value": "False"}]
    r["Folders"] = [{"Id": folder_id(), "Path": rng.choice([INBOX, SENT, "\\Archive"]),
                     "FolderItems": [{"InternetMessageId": msg_id(), "SizeInBytes": rng.randrange(4000, 90000)}
                                     for _ in range(rng.randrange(1, 4))]}]
    r["OperationCount"] = sum(len(f["FolderItems"]) for f in r["Folders"])
    add_audit(r, t)


def bg_create_update():
    u = rng.choice(PEOPLE)
    t = biz_time()
    op = rng.choice(["Create", "Update"])
    r = common(t, op, 2, "Exchange", u)
    r.update(mailbox_part(u, u, rng.choice(CLIENTS)))
    r["Item"] = {"Id": store_id(), "InternetMessageId": msg_id(), "Subject": rng.choice(BG_SUBJECTS),
                 "SizeInBytes": rng.randrange(4000, 90000),
                 "ParentFolder": {"Id": folder_id(), "Path": rng.choice(["\\Drafts", "\\Calendar", INBOX])}}
    if op == "Update":
        r["ModifiedProperties"] = ["IsRead", "Categories"]
    add_audit(r, t)


def bg_logon():
    u = rng.choice(PEOPLE)
    t = biz_time()
    failed = rng.random() < 0.1
    r = common(t, "UserLoginFailed" if failed else "UserLoggedIn", 15, "AzureActiveDirectory", u,
               result="Failed" if failed else "Success", object_id="00000002-0000-0ff1-ce00-000000000000")
    r["AzureActiveDirectoryEventType"] = 1
    r["ExtendedProperties"] = [{"Name": "ResultStatusDetail", "Value": "UserError" if failed else "Success"},
                               {"Name": "UserAgent", "Value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
                               {"Name": "RequestType", "Value": "OAuth2:Authorize"}]
    r["Actor"] = [{"ID": guid(), "Type": 0}, {"ID": u["upn"], "Type": 5}]
    r["ActorContextId"] = TENANT
    r["ActorIpAddress"] = u["ip"]
    r["ApplicationId"] = "00000002-0000-0ff1-ce00-000000000000"
    r["ErrorNumber"] = "50126" if failed else "0"
    r["InterSystemsId"] = guid()
    r["IntraSystemId"] = guid()
    r["Target"] = [{"ID": "00000002-0000-0ff1-ce00-000000000000", "Type": 0}]
    r["TargetContextId"] = TENANT
    add_audit(r, t)


def bg_sharepoint():
    u = rng.choice(PEOPLE)
    t = biz_time()
    op = rng.choice(["FileAccessed", "FileModified", "FileDownloaded", "FileUploaded"])
    fname = rng.choice(["FY25 forecast.xlsx", "NDA - Fabrikam.docx", "design (draft).vsdx", "headcount.csv"])
    site = "https://contoso.sharepoint.com/sites/" + rng.choice(["Finance", "Legal", "Engineering"])
    r = common(t, op, 6, "SharePoint", u, result=None, object_id=site + "/Shared Documents/" + fname)
    r["UserKey"] = "i:0h.f|membership|%s@live.com" % u["puid"].lower()
    r["EventSource"] = "SharePoint"
    r["ItemType"] = "File"
    r["ListId"] = guid()
    r["Site"] = guid()
    r["SiteUrl"] = site + "/"
    r["SourceFileExtension"] = fname.rsplit(".", 1)[1]
    r["SourceFileName"] = fname
    r["SourceRelativeUrl"] = "Shared Documents"
    r["UserAgent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    add_audit(r, t)


# ---------------------------------------------------------------- build
def build():
    for f in TRUE_POSITIVES + NEAR_MISSES:
        f()
    assert not SCENARIO_SUBJECTS & set(BG_SUBJECTS), SCENARIO_SUBJECTS & set(BG_SUBJECTS)
    for _ in range(190):
        bg_send()
    for _ in range(150):
        bg_inbound()
    for _ in range(130):
        bg_delete()
    for _ in range(110):
        bg_mailitemsaccessed()
    for _ in range(50):
        bg_create_update()
    for _ in range(90):
        bg_logon()
    for _ in range(70):
        bg_sharepoint()


def write(path, rows, index=False):
    rows.sort(key=lambda x: (x[0], x[1]))
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for i, (_, _, rec) in enumerate(rows):
            if index:
                rec["Index"] = i
            f.write(json.dumps(rec) + "\n")
    print("wrote %d records to %s" % (len(rows), path))


def main():
    build()
    write(OUT_TRACE, trace, index=True)
    write(OUT_AUDIT, audit)


if __name__ == "__main__":
    main()
