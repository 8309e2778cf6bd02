#!/usr/bin/env python3
"""Compute expected.ndjson for rules/o365_pst_export_alert.yml over o365_pst_export.json.

Independent of generate.py: reads only the JSON lines and applies the semantics of

  sourcetype=o365:management:activity Category=ThreatManagement
      Name="eDiscovery search started or exported"
  | stats count earliest(_time) as firstTime latest(_time) as lastTime
          by Source Severity AlertEntityId Operation Name
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)
  | search *

as described in /work/shared/reference/spl_semantics.md (§2, §5, §8, §9, §10):

* every event is given sourcetype o365:management:activity on the command line, so the
  sourcetype term keeps all of them;
* a search-time field `F` exists only when the top-level JSON key `F` holds a scalar.
  A JSON array under `F` is the field `F{}` and an object is `F.sub`, so neither gives `F`;
  JSON null is the string "null", true/false the strings "true"/"false";
* `F=value` compares the whole value, case-insensitively (no wildcard in these values);
* `_time` = CreationTime read as UTC; a fractional part is kept, a trailing `Z` means UTC;
* stats drops an event when any BY field is missing; groups are keyed by the exact strings;
  rows come out sorted by the BY values, byte-wise;
* earliest/latest = `_time` of the chronologically earliest/latest event of the group;
* ctime renders with %Y-%m-%dT%H:%M:%S in UTC, i.e. the epoch is truncated to the second;
* `search *` keeps every row.

Usage: python3 expected.py   (writes expected.ndjson next to this script)
"""

import calendar
import json
import math
import os
import re
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "o365_pst_export.json")
OUT = os.path.join(HERE, "expected.ndjson")

RULE = "O365 PST export alert"
TERMS = [("Category", "ThreatManagement"), ("Name", "eDiscovery search started or exported")]
BY = ["Source", "Severity", "AlertEntityId", "Operation", "Name"]

TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z?$")


def field(event, name):
    """Value of the Splunk field `name` as a string, or None when the event has no such field.
    Only top-level scalar keys are considered: nothing in this query names a dotted or {} path."""
    if name not in event:
        return None
    v = event[name]
    if isinstance(v, (list, dict)):
        return None
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def matches(event):
    for name, want in TERMS:
        got = field(event, name)
        if got is None or got.lower() != want.lower():
            return False
    return True


def event_time(event):
    m = TIME_RE.match(event["CreationTime"])
    if not m:
        raise ValueError("unreadable CreationTime %r" % event["CreationTime"])
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = float(m.group(7)) if m.group(7) else 0.0
    return calendar.timegm((y, mo, d, h, mi, s)) + frac


def ctime(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(math.floor(epoch)))


def main():
    groups = {}
    with open(DATA, encoding="utf-8") as f:
        for line in f:
            event = json.loads(line)
            if not matches(event):
                continue
            key = tuple(field(event, b) for b in BY)
            if None in key:
                continue
            t = event_time(event)
            g = groups.setdefault(key, {"count": 0, "first": t, "last": t})
            g["count"] += 1
            g["first"] = min(g["first"], t)
            g["last"] = max(g["last"], t)

    rows = []
    for key in sorted(groups, key=lambda k: [v.encode("utf-8") for v in k]):
        g = groups[key]
        result = dict(zip(BY, key))
        result["count"] = g["count"]
        result["firstTime"] = ctime(g["first"])
        result["lastTime"] = ctime(g["last"])
        rows.append(json.dumps({"rule": RULE, "result": result}, separators=(",", ":"), ensure_ascii=False))

    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(r + "\n")
    print("wrote %d rows to %s" % (len(rows), OUT))


if __name__ == "__main__":
    main()
