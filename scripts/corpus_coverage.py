#!/usr/bin/env python3
"""Corpus coverage figures from `tripline check --format json` (docs/coverage.md).

Usage (from the repo root, after `cargo build --release`):
  python3 scripts/corpus_coverage.py [CORPUS_DIR]      # default ../shared/corpus/security_content

Runs `target/release/tripline check DETECTIONS --macros MACROS --macros MACROS_CIM
--lookups LOOKUPS --format json` (the lookups option only when this build has it), then
prints: parse %, plan % over all detections; run % over the detections that use none of
tstats/mstats/iplocation/apply/map, and over those that use tstats; and the reasons that stop
the others, by count. A rule "uses" a command when its search, or the definition of a macro it
names (recursively), has `| command` (or starts with it). Needs PyYAML.
"""
import collections, glob, json, os, re, subprocess, sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "corpus", "security_content")
BIN = os.path.join(ROOT, "target", "release", "tripline")

help_text = subprocess.run([BIN, "check", "--help"], capture_output=True, text=True).stdout
cmd = [BIN, "check", os.path.join(C, "detections"), "--format", "json"]
for m in ("macros", "macros_cim"):
    if os.path.isdir(os.path.join(C, m)):
        cmd += ["--macros", os.path.join(C, m)]
if "--lookups" in help_text and os.path.isdir(os.path.join(C, "lookups")):
    cmd += ["--lookups", os.path.join(C, "lookups")]
out = subprocess.run(cmd, capture_output=True, text=True)
doc = json.loads(out.stdout)

macros = {}
for p in glob.glob(os.path.join(C, "macros*", "*.yml")):
    try:
        m = yaml.safe_load(open(p))
        macros[m["name"].split("(")[0]] = str(m.get("definition", ""))
    except Exception:
        pass

SPECIAL = ["tstats", "mstats", "iplocation", "apply", "map"]
CMD = re.compile(r"(?:^|\|)\s*(" + "|".join(SPECIAL) + r")\b")
MACRO = re.compile(r"`([A-Za-z0-9_]+)")


def uses(text, seen=None):
    seen = seen if seen is not None else set()
    found = set(CMD.findall(text.lstrip()))
    for name in MACRO.findall(text):
        if name not in seen and name in macros:
            seen.add(name)
            found |= uses(macros[name], seen)
    return found


rows = []
for r in doc["rules"]:
    try:
        search = str(yaml.safe_load(open(r["file"])).get("search", ""))
    except Exception:
        search = ""
    rows.append((r, uses(search)))

n = len(rows)
pct = lambda a, b: f"{a}/{b} = {100.0 * a / b:.1f} %" if b else "n/a"
parse = sum(r["parse"] for r, _ in rows)
plan = sum(r["plan"] for r, _ in rows)
plain = [(r, u) for r, u in rows if not u]
tstats = [(r, u) for r, u in rows if "tstats" in u]
print(f"detections:                         {n}")
print(f"parse:                              {pct(parse, n)}")
print(f"plan:                               {pct(plan, n)}")
print(f"run, without {'/'.join(SPECIAL)}: {pct(sum(r['run'] for r, _ in plain), len(plain))}")
print(f"run, with tstats:                   {pct(sum(r['run'] for r, _ in tstats), len(tstats))}")
print(f"run, all:                           {pct(sum(r['run'] for r, _ in rows), n)}")
print(f"status: {json.dumps({k: v for k, v in doc['summary'].items()})}")
reasons = collections.Counter()
for r, _ in rows:
    if not r["run"] and r.get("reason"):
        first = r["reason"].splitlines()[0]
        reason = first if "unsupported_command" in first else re.sub(r"`[^`]*`", "`…`", first)
        reasons[reason] += 1
print("\nwhy the others cannot run (first problem of each rule):")
for k, v in reasons.most_common(40):
    print(f"{v:5d}  {k}")
