#!/usr/bin/env python3
"""Regenerate fuzz/seeds/<target>/ from ../shared/corpus and tests/data.

Usage (from the repo root):  python3 fuzz/scripts/make_seeds.py [CORPUS_DIR]
Deterministic: the same corpus gives the same seeds.
"""
import glob, gzip, hashlib, json, os, random, re, sys

import yaml  # PyYAML

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "corpus")
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
N = 300
rng = random.Random(8)


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def load_macros():
    macros = {}
    for p in glob.glob(os.path.join(CORPUS, "security_content", "macros*", "*.yml")):
        try:
            m = yaml.safe_load(open(p))
        except Exception:
            continue
        if not isinstance(m, dict) or "name" not in m:
            continue
        args = m.get("arguments") or []
        name = m["name"]
        key = f"{name}({len(args)})" if args and not name.endswith(")") else name
        macros[key] = (name, args, str(m.get("definition", "")))
    return macros


MACRO_REF = re.compile(r"`([A-Za-z0-9_]+)(?:\(([^`]*)\))?`")


def macro_lines(search, macros):
    """`@name(a,b)=definition` lines for every macro reachable from `search`."""
    out, seen, todo = [], set(), [search]
    while todo:
        text = todo.pop()
        for m in MACRO_REF.finditer(text):
            name, args = m.group(1), m.group(2)
            n = len([a for a in args.split(",")]) if args is not None and args.strip() else 0
            key = f"{name}({n})" if n else name
            if key in seen:
                continue
            seen.add(key)
            if key in macros:
                mname, margs, definition = macros[key]
                definition = definition.replace("\n", " ")
                head = mname.split("(")[0]
                head += "(" + ",".join(margs) + ")" if margs else ""
                out.append(f"@{head}={definition}")
                todo.append(definition)
            elif name.endswith("_filter"):
                out.append(f"@{name}=search *")
    return out


def detections():
    rules = []
    for p in sorted(glob.glob(os.path.join(CORPUS, "security_content", "detections", "**", "*.yml"), recursive=True)):
        try:
            d = yaml.safe_load(open(p))
        except Exception:
            continue
        if isinstance(d, dict) and isinstance(d.get("search"), str):
            rules.append(d["search"].strip())
    return rules


def events():
    lines = []
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "**", "*.json"), recursive=True)):
        with open(p, "rb") as f:
            lines.extend(l for l in f.read().split(b"\n") if l.strip())
    return lines


macros = load_macros()
rules = detections()
sample = rng.sample(rules, min(N, len(rules)))

# spl_parse_plan: macros first (as @ lines), then the raw query; some with no macros at all.
for i, s in enumerate(sample):
    ms = macro_lines(s, macros)
    put("spl_parse_plan", "\n".join(ms + [s]) if i % 10 else s)
for s in ["`a`", "`b(1)`", "search x=1 | eval y=if(a>1, \"x\", 2) | stats count by y",
          "index=* [search index=x | fields a] | where len(a) > 3 | rex field=a \"(?<b>\\d+)\"",
          "| makeresults count=3 | eval x=mvappend(1,2) | mvexpand x | sort - x | head 2"]:
    put("spl_parse_plan", "@a=`b`\n@b=`a`\n" + s if s.startswith("`a") else s)

# kql_parse: raw queries.
kql = [json.loads(l)["query"] for l in open(os.path.join(CORPUS, "detection_rules_kql.jsonl")) if l.strip()]
for q in rng.sample(kql, min(N, len(kql))):
    put("kql_parse", q)

# event_reader: chunks of real lines, plus hostile shapes.
ev = events()
for i in range(150):
    k = rng.randint(1, 6)
    start = rng.randrange(0, max(1, len(ev) - k))
    put("event_reader", b"\n".join(ev[start:start + k]) + b"\n")
for data in [b"\xef\xbb\xbf{\"a\":1}\r\n{\"b\":2}\r\n", b"{\"a\":1}\n\n\x00\n[1,2]\n\"x\"\n",
             b"{\"a\":1,\"a\":2}\n{\"n\":1e999}\n{\"n\":123456789012345678901234567890}\n",
             b"[" * 200 + b"]" * 200 + b"\n", b"[{\"a\":1},{\"b\":2}]\n", b"{\"a\":\xff}\n",
             gzip.compress(b"{\"a\":1}\n{\"b\":2}\n", mtime=0), gzip.compress(b"{\"a\":1}\n", mtime=0)[:15]]:
    put("event_reader", data)

# rule_exec: a one-line query (from small detections, macros stripped, or hand-made), then events.
small = []
for s in rules:
    one = " ".join(MACRO_REF.sub("", s).split())
    if 0 < len(one) < 400:
        small.append(one)
hand = [
    "search Operation=* | stats count by Operation, UserId",
    "Workload=Exchange | eval u=lower(UserId) | table _time u Operation",
    "* | stats values(Operation) as ops dc(UserId) as users by Workload | where users > 0",
    "* | rex field=_raw \"\\\"Operation\\\":\\\"(?<op>[^\\\"]+)\\\"\" | dedup op | sort op",
    "* | eval t=strftime(_time, \"%Y-%m-%d\") | bin _time span=1h | stats count by _time",
    "* | spath | fillnull value=x | rename UserId as user | fields user Operation | head 5",
    "* | join type=left Operation [search * | stats count as n by Operation] | table Operation n",
    "| makeresults count=2 | eval a=split(\"a,b,c\", \",\") | mvexpand a | stats list(a) as l",
    "* | tstats count where index=* by host",
    "* | eval h=md5(_raw), s=substr(_raw, 1, 10), n=tonumber(\"0x1F\", 16) | convert ctime(_time)",
]
evs_for_exec = ev[:2000]
for q in rng.sample(small, min(200, len(small))) + hand * 5:
    k = rng.randint(1, 4)
    start = rng.randrange(0, max(1, len(evs_for_exec) - k))
    put("rule_exec", q.encode() + b"\n" + b"\n".join(evs_for_exec[start:start + k]) + b"\n")

for t in sorted(os.listdir(SEEDS)):
    print(t, len(os.listdir(os.path.join(SEEDS, t))))
