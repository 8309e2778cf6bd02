#!/usr/bin/env python3
"""Compute expected.ndjson for rules/o365_email_send_and_hard_delete_exfiltration_behavior.yml
over messagetrace.json (sourcetype o365:reporting:messagetrace) and audit.json
(sourcetype o365:management:activity).

Independent of generate.py: reads only the JSON lines and applies, step by step, the
semantics of the seed search (macros expanded, see README.md "The query") as described in
/work/shared/reference/spl_semantics.md (§2 search, §3 eval, §4 where, §5 stats, §6 bin,
§7 join, §8 convert, §9 JSON fields) and event_schemas.md §4(b). Every choice the reference
leaves open is marked CHOICE below and explained in README.md.

Representation: a field value is None (null), a str (one value) or a list of str/float
(multivalue, >= 2 values). Event fields from JSON are strings (numbers as written, JSON null
as the string "null", booleans "true"/"false").

Usage: python3 expected.py   (writes expected.ndjson next to this script)
"""

import calendar
import itertools
import json
import math
import os
import re
import time
from decimal import Decimal, ROUND_HALF_UP

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE = os.path.join(HERE, "messagetrace.json")
AUDIT = os.path.join(HERE, "audit.json")
OUT = os.path.join(HERE, "expected.ndjson")

RULE = "O365 Email Send and Hard Delete Exfiltration Behavior"
COLUMNS = ["subject", "user", "recipient", "Organization", "sender", "http_user_agent", "signature",
           "file_name", "file_size", "firstTime", "lastTime", "count", "externalRecipient"]


# ------------------------------------------------------------------ JSON -> Splunk fields
def scalar_text(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def flatten(obj, prefix, out):
    """KV_MODE=json naming: objects join with '.', arrays add '{}'; arrays of objects give one
    multivalue field per leaf path, values in document order."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, prefix + "." + k if prefix else k, out)
    elif isinstance(obj, list):
        for v in obj:
            flatten(v, prefix + "{}", out)
    else:
        out.setdefault(prefix, []).append(scalar_text(obj))


def fields_of(line):
    raw = {}
    flatten(json.loads(line), "", raw)
    return {k: (v[0] if len(v) == 1 else v) for k, v in raw.items()}


def parse_time(text):
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z?$", text)
    if not m:
        return None
    whole = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    return whole + (float(m.group(7)) if m.group(7) else 0.0)


# ------------------------------------------------------------------ eval helpers
def values_of(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def is_mv(v):
    return isinstance(v, list)


def lower(v):
    """lower() works per value on multivalue fields (reference §3.4)."""
    if v is None:
        return None
    if is_mv(v):
        return [x.lower() for x in v]
    return v.lower()


def trim(v):
    """trim(): default set = space and tab. CHOICE: multivalue input -> null (§3.4: trim does not
    support multivalue input; recommended null)."""
    if v is None:
        return None
    if is_mv(v):
        return [x.strip(" \t") for x in v] if "trim_per_value" in ALT else None
    return v.strip(" \t")


def split(v, delim):
    """split(): single value -> its pieces (one piece = a single value). CHOICE: multivalue input
    -> null (only reached by bulk deletes, whose subject is null anyway, so it has no effect)."""
    if v is None or is_mv(v):
        return None
    parts = v.split(delim)
    return parts[0] if len(parts) == 1 else parts


REPLACE_RE = re.compile(r"(.+)\s\((\d+)(b\)$)")


def replace_size(v):
    """replace(file_name, "(.+)\\s\\((\\d+)(b\\)$)", "\\2"). CHOICE: multivalue input -> null
    (§3.4: replace does not support multivalue input). No match -> the string unchanged."""
    if v is None or is_mv(v):
        return None
    return REPLACE_RE.sub(lambda m: m.group(2), v)


def tonumber(v):
    """Base 10; the whole string must be a number (no spaces)."""
    if v is None or is_mv(v):
        return None
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v):
        return None
    return float(v)


def splunk_round(x, n):
    """round(x, n): round the decimal representation half up (round(2.555,2)=2.56). CHOICE: the
    data never contains an exact tie, asserted here, so half-up vs half-even does not matter."""
    if x is None:
        return None
    d = Decimal(repr(x))
    q = d.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    exact = Decimal(x)  # the binary value, exactly
    assert (exact * 10 ** (n + 1)) % 10 != 5 or (exact * 10 ** (n + 1)) % 1 != 0, ("rounding tie", x)
    return float(q)


# Alternative readings of the points the reference leaves open (README "Choices"); the
# shipped expected.ndjson uses none of them. `python3 expected.py --alt NAME` prints the rows
# that would change under one alternative instead of writing the file.
ALT = set()

SENDS = ("Send", "SendAs", "SendOnBehalf")
DELETES = ("SoftDelete", "HardDelete")


# ------------------------------------------------------------------ search-command matching
def term_eq(v, want):
    """field=value in the search command: whole value, case-insensitive, any value of a mv field."""
    return any(x.lower() == want.lower() for x in values_of(v))


def term_glob(v, pattern):
    rx = re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.I | re.S)
    return any(rx.match(x) for x in values_of(v))


# ------------------------------------------------------------------ subsearch
def subsearch(events):
    """search `o365_management_activity` Workload=Exchange (Operation IN ("Send*")) OR
       (Operation IN ("HardDelete") AND Folder.Path IN ("\\Sent Items","\\Recoverable Items\\Deletions"))
    | eval ... | eval sendtime | eval deltime | bin _time span=1hr
    | stats ... by _time,subject,user | where opcount > 1 AND firstTime < lastTime"""
    groups = {}
    for e in events:
        if e["sourcetype"] != "o365:management:activity":
            continue
        f = e["fields"]
        if not term_eq(f.get("Workload"), "Exchange"):
            continue
        op = f.get("Operation")
        a = term_glob(op, "Send*")
        b = term_eq(op, "HardDelete") and (term_eq(f.get("Folder.Path"), "\\Sent Items")
                                           or term_eq(f.get("Folder.Path"), "\\Recoverable Items\\Deletions"))
        if not (a or b):
            continue
        t = e["_time"]
        # eval, left to right; Operation IN (...) in eval is exact and case-sensitive
        is_send = (not is_mv(op)) and op in SENDS
        is_del = (not is_mv(op)) and op in DELETES
        user = lower(f.get("UserId"))
        if f.get("SendAsUserSmtp") is not None:
            sender = lower(f["SendAsUserSmtp"])
        elif f.get("SendOnBehalfOfUserSmtp") is not None:
            sender = lower(f["SendOnBehalfOfUserSmtp"])
        else:
            sender = lower(f.get("MailboxOwnerUPN"))
        if is_send:
            subject = trim(f.get("Item.Subject"))
            file_name = split(f.get("Item.Attachments"), "; ")
        elif is_del:
            subject = trim(f.get("AffectedItems{}.Subject"))
            file_name = split(f.get("AffectedItems{}.Attachments"), "; ")
        else:
            subject = None
            file_name = None
        if is_send:
            n = tonumber(f.get("Item.SizeInBytes"))
            file_size = splunk_round(n / 1024 / 1024, 2) if n is not None else None
        else:
            n = tonumber(replace_size(file_name))
            file_size = splunk_round(n / 1024 / 1024, 2) if n is not None else None
        imid = lower(f.get("Item.InternetMessageId"))
        sendtime = t if is_send else None
        deltime = t if is_del else None
        bucket = math.floor(t / 3600) * 3600 if t is not None else None
        if bucket is None or subject is None or user is None or is_mv(user):
            continue  # stats drops events with a null BY field
        # a multivalue BY field puts the event in one group per value (only reachable with
        # --alt trim_per_value)
        for subj in dict.fromkeys(values_of(subject)):
            key = (bucket, subj, user)
            if key not in groups:
                groups[key] = {"sender": [], "ua": [], "imid": [], "file_name": [], "file_size": [],
                               "send": [], "del": [], "op": [], "count": 0}
            g = groups[key]
            g["sender"] += values_of(sender)
            g["ua"] += values_of(f.get("ClientInfoString"))
            g["imid"] += values_of(imid)
            g["file_name"] += values_of(file_name)
            if file_size is not None:
                g["file_size"].append(file_size)
            if sendtime is not None:
                g["send"].append(sendtime)
            if deltime is not None:
                g["del"].append(deltime)
            g["op"] += values_of(op)
            g["count"] += 1

    rows = []
    for key in sorted(groups, key=lambda k: (k[0], k[1].encode("utf-8"), k[2].encode("utf-8"))):
        g = groups[key]
        opcount = len(set(g["op"]))
        # where opcount > 1 AND firstTime < lastTime: multivalue comparison true if any pair is
        # (CHOICE, reference §3.3); a null side -> not true
        if "where_all_pairs" in ALT:
            ok = bool(g["send"]) and bool(g["del"]) and all(s < d for s in g["send"] for d in g["del"])
        else:
            ok = any(s < d for s in g["send"] for d in g["del"])
        if not (opcount > 1 and ok):
            continue
        rows.append({
            "_time": key[0], "subject": key[1], "user": key[2],
            "sender": distinct(g["sender"]),
            "http_user_agent": distinct(g["ua"]),
            "InternetMessageId": distinct(g["imid"]),
            "file_name": distinct(g["file_name"]),
            "file_size": fsum(g["file_size"], check=False),
            "firstTime": distinct_num(g["send"]),
            "lastTime": distinct_num(g["del"]),
            "signature": distinct(g["op"]),
            "opcount": opcount,
            "count": g["count"],
            "__fs_parts": g["file_size"],
        })
    return rows


def distinct(vals):
    """values(): distinct, lexicographic (byte-wise) order; one value -> plain value."""
    out = sorted(set(vals), key=lambda s: s.encode("utf-8"))
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def distinct_num(vals):
    out = sorted(set(vals))  # all epochs have 10 digits: numeric order = lexicographic order
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def fsum(vals, check=True):
    """sum(): null when no numeric value. The data is built so that, for every row that reaches
    the output, every order of float additions gives the same clean two-decimal value; asserted
    (check=True) when the sum is used."""
    if not vals:
        return None
    acc = 0.0
    for v in vals:
        acc += v
    if check:
        assert_clean(vals)
    return acc


def assert_clean(vals):
    exact = sum((Decimal(repr(v)) for v in vals), Decimal(0))
    for perm in itertools.permutations(vals):
        acc = 0.0
        for v in perm:
            acc += v
        assert acc == float(exact), ("float sum artefact", vals, acc)


# ------------------------------------------------------------------ main search
def main_search(events, sub_rows):
    """`o365_messagetrace` Status=Delivered | eval mailtime | bin | eval user, recipient
    | eval InternetMessageId | join InternetMessageId, user, max=0 [subsearch] | stats ... by
    subject,user,recipient,Organization | eval externalRecipient | where externalRecipient = 1
    | convert ctime(firstTime) | convert ctime(lastTime) | search *"""
    joined = []
    for e in events:
        if e["sourcetype"] != "o365:reporting:messagetrace":
            continue
        f = e["fields"]
        if not term_eq(f.get("Status"), "Delivered"):
            continue
        row = dict(f)
        row["user"] = lower(f.get("SenderAddress"))
        row["recipient"] = lower(f.get("RecipientAddress"))
        row["InternetMessageId"] = lower(f.get("MessageId"))
        # join InternetMessageId, user max=0: inner, case-sensitive, one output row per matching
        # subsearch row; null keys never match; a multivalue key only matches an identical value
        # set (CHOICE, reference §7) -- the main side is always single-valued here.
        k_id, k_user = row["InternetMessageId"], row["user"]
        if k_id is None or k_user is None:
            continue
        for s in sub_rows:
            if "join_mv_any" in ALT:
                hit = k_id in values_of(s["InternetMessageId"])
            else:
                hit = values_of(s["InternetMessageId"]) == values_of(k_id)
            if hit and values_of(s["user"]) == values_of(k_user):
                out = dict(row)
                out.update({k: v for k, v in s.items() if v is not None})  # overwrite=true
                joined.append(out)

    groups = {}
    for r in joined:
        key = tuple(r.get(k) for k in ("subject", "user", "recipient", "Organization"))
        if any(k is None or is_mv(k) for k in key):
            continue
        g = groups.setdefault(key, {"sender": [], "ua": [], "sig": [], "fn": [], "fs": [], "first": [], "last": [],
                                    "count": 0, "parts": []})
        g["parts"].append(r["__fs_parts"])
        g["sender"] += values_of(r.get("sender"))
        g["ua"] += values_of(r.get("http_user_agent"))
        g["sig"] += values_of(r.get("signature"))
        g["fn"] += values_of(r.get("file_name"))
        g["fs"] += values_of(r.get("file_size"))
        g["first"] += values_of(r.get("firstTime"))
        g["last"] += values_of(r.get("lastTime"))
        g["count"] += 1

    out = []
    for key in sorted(groups, key=lambda k: tuple(x.encode("utf-8") for x in k)):
        g = groups[key]
        subject, user, recipient, org = key
        # externalRecipient = if(match(lower(recipient), mvindex(split(lower(Organization),"."),0)),0,1)
        prefix = org.lower().split(".")[0]
        external = 0 if re.search(prefix, recipient.lower()) else 1
        if external != 1:
            continue
        for parts in g["parts"]:  # the subsearch sums behind this row are clean too
            assert_clean(parts)
        res = {
            "subject": subject, "user": user, "recipient": recipient, "Organization": org,
            "sender": distinct(g["sender"]),
            "http_user_agent": distinct(g["ua"]),
            "signature": distinct(g["sig"]),
            "file_name": distinct(g["fn"]),
            "file_size": fsum(g["fs"]),
            "firstTime": ctime(min(g["first"])) if g["first"] else None,
            "lastTime": ctime(max(g["last"])) if g["last"] else None,
            "count": g["count"],
            "externalRecipient": external,
        }
        out.append({k: res[k] for k in COLUMNS if res[k] is not None})
    return out


def ctime(epoch):
    """convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(): UTC, fraction truncated."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(math.floor(epoch)))


def json_number(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def load(path, sourcetype, time_field):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            flds = fields_of(line)
            t = flds.get(time_field)
            events.append({"sourcetype": sourcetype, "fields": flds,
                           "_time": parse_time(t) if isinstance(t, str) else None})
    return events


def main():
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--alt":
        shipped = [json.loads(x)["result"] for x in open(OUT, encoding="utf-8")]
        ALT.add(sys.argv[2])
        events = load(TRACE, "o365:reporting:messagetrace", "Received") + \
            load(AUDIT, "o365:management:activity", "CreationTime")
        alt = main_search(events, subsearch(events))
        for r in alt:
            if r not in shipped:
                print("+", json.dumps(r, ensure_ascii=False))
        for r in shipped:
            if r not in alt:
                print("-", json.dumps(r, ensure_ascii=False))
        return
    events = load(TRACE, "o365:reporting:messagetrace", "Received") + \
        load(AUDIT, "o365:management:activity", "CreationTime")
    sub_rows = subsearch(events)
    rows = main_search(events, sub_rows)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            r = {k: json_number(v) if k == "file_size" else v for k, v in r.items()}
            f.write(json.dumps({"rule": RULE, "result": r}, separators=(",", ":"), ensure_ascii=False) + "\n")
    print("%d subsearch rows, %d result rows -> %s" % (len(sub_rows), len(rows), OUT))


if __name__ == "__main__":
    main()
