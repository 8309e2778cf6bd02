#!/usr/bin/env bash
# tripline against DuckDB and jq on the same queries over the same data (docs/performance.md).
#
#   benches/compare.sh [--size 1G] [--runs 3] [--dir /tmp/tripline-bench] [--threads 2]
#
# Uses the datasets of benches/run.sh (generated when missing). Each tool is timed in the same
# run, best wall time of --runs, and its rows are compared with tripline's (sorted, as text):
# a tool whose rows differ is reported as DIFFERENT and its ratio is not a goal figure.
#
#   pst    the PST rule (rules/o365_pst_export_alert.yml) — tripline with --threads 1 and with
#          --threads N; DuckDB (Python package `duckdb`, N threads); `rg -i -F … | jq`
#   stats  `* | stats count by Operation` — tripline with --threads N; DuckDB (N threads);
#          plain jq
#
# A tool that is not installed is skipped with a message (DuckDB: `pip install duckdb`).
# DuckDB is timed inside Python around the query (its start-up is not counted); tripline, rg
# and jq are timed as whole processes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZE=1G
RUNS=3
DIR=${TRIPLINE_BENCH_DIR:-/tmp/tripline-bench}
THREADS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if ! command -v python3 > /dev/null; then
    echo "compare.sh: python3 is needed to compare rows (and to run DuckDB); skipping" >&2
    exit 0
fi

. benches/common.sh
OUT=$DIR/out/compare
mkdir -p "$OUT"

# best_ms NAME command...: run it $RUNS times (stdout to $OUT/NAME.out), print the best
# wall time in milliseconds.
best_ms() {
    local name=$1 best= i t0 t1 ms
    shift
    for ((i = 0; i < RUNS; i++)); do
        warm "$DATA"
        t0=$(NOW_NS)
        bash -c "$1" > "$OUT/$name.out" 2> "$OUT/$name.err" || true
        t1=$(NOW_NS)
        ms=$(((t1 - t0) / 1000000))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

# Rows as sorted tab-separated text, for comparison: tripline's ndjson, jq's and DuckDB's
# output are all brought to this form.
normalize() {
    python3 - "$@" <<'PY'
import json, sys
kind, fields, path = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
rows = []
with open(path, encoding="utf-8") as f:
    if kind == "jq-object":  # {"Operation": count, ...}
        for k, v in json.load(f).items():
            rows.append([k, str(v)])
    else:  # one JSON object per line (tripline ndjson: {"rule":…,"result":{…}} or bare rows)
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            o = o.get("result", o)
            rows.append(["" if o.get(k) is None else str(o.get(k)) for k in fields])
for r in sorted(rows):
    print("\t".join(r))
PY
}

PST_FIELDS=Source,Severity,AlertEntityId,Operation,Name,count,firstTime,lastTime
LIT='ediscovery search started or exported'
# What the PST rule means (docs/performance.md): Category and Name equal, case-insensitively,
# to the rule's values (a Name that is an array is the field `Name{}`, not `Name`); groups
# with a missing by-field are dropped, as Splunk's stats does; firstTime/lastTime are the
# earliest/latest CreationTime (whole seconds, UTC), printed as %Y-%m-%dT%H:%M:%S.
PST_JQ='select((.Category | strings | ascii_downcase) == "threatmanagement"
    and (.Name | strings | ascii_downcase) == "'"$LIT"'"
    and .Source != null and .Severity != null and .AlertEntityId != null and .Operation != null)
  | {Source, Severity, AlertEntityId, Operation, Name, t: .CreationTime}'
PST_JQ_GROUP='group_by([.Source, .Severity, .AlertEntityId, .Operation, .Name])[]
  | {Source: .[0].Source, Severity: .[0].Severity, AlertEntityId: .[0].AlertEntityId,
     Operation: .[0].Operation, Name: .[0].Name, count: length,
     firstTime: (map(.t) | min), lastTime: (map(.t) | max)}'
STATS_JQ='reduce (inputs | .Operation | select(. != null) | tostring) as $o ({}; .[$o] += 1)'

duckdb_query() { # NAME SQL: time the query in DuckDB; rows as JSON lines to $OUT/NAME.out
    python3 - "$OUT/$1.out" "$2" "$THREADS" "$RUNS" "$DATA" <<'PY'
import json, sys, time
out, sql, threads, runs, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
import duckdb
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
best = None
for _ in range(runs):
    with open(data, "rb") as f:  # a warm page cache, as for the other tools (see `warm`)
        while f.read(1 << 24):
            pass
    t0 = time.perf_counter()
    cur = con.execute(sql)
    rows = cur.fetchall()
    ms = (time.perf_counter() - t0) * 1000
    best = ms if best is None or ms < best else best
cols = [d[0] for d in cur.description]
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(dict(zip(cols, r))) + "\n")
print(int(best))
PY
}
HAVE_DUCKDB=0
if python3 -c 'import duckdb' 2> /dev/null; then
    HAVE_DUCKDB=1
    DUCKDB_VERSION=$(python3 -c 'import duckdb; print(duckdb.__version__)')
fi

echo
echo "data: $DATA ($DATA_BYTES bytes); best of $RUNS runs; $(nproc) cores; tripline and DuckDB on $THREADS threads"
echo
echo "| query | tool | wall s | GB/s | tripline is … × faster | rows | same rows as tripline |"
echo "|-------|------|-------:|-----:|-----------------------:|-----:|:----------------------|"

declare -A MS
row() { # QUERY TOOL NAME REF_NAME SAME
    local ms=${MS[$3]} ref=${MS[$4]}
    printf '| %s | %s | %.3f | %.2f | %s | %s | %s |\n' "$1" "$2" \
        "$(awk -v ms="$ms" 'BEGIN { print ms / 1000 }')" \
        "$(awk -v b="$DATA_BYTES" -v ms="$ms" 'BEGIN { print b / (ms / 1000) / 1e9 }')" \
        "$(if [ "$3" = "$4" ]; then echo -; else awk -v a="$ms" -v b="$ref" 'BEGIN { printf "%.2f", a / b }'; fi)" \
        "$(wc -l < "$OUT/$3.rows")" "$5"
}
same() { # NAME: compare $OUT/NAME.rows with the reference rows $REF
    if cmp -s "$OUT/$1.rows" "$REF"; then echo yes; else echo "DIFFERENT (diff $OUT/$1.rows $REF)"; fi
}

# --- the PST rule
MS[pst-tripline-1t]=$(best_ms pst-tripline-1t "'$T' run rules/o365_pst_export_alert.yml --data '$DATA' --sourcetype o365:management:activity --format ndjson --threads 1")
MS[pst-tripline]=$(best_ms pst-tripline "'$T' run rules/o365_pst_export_alert.yml --data '$DATA' --sourcetype o365:management:activity --format ndjson --threads $THREADS")
normalize lines "$PST_FIELDS" "$OUT/pst-tripline.out" > "$OUT/pst-tripline.rows"
normalize lines "$PST_FIELDS" "$OUT/pst-tripline-1t.out" > "$OUT/pst-tripline-1t.rows"
REF=$OUT/pst-tripline.rows
row pst "tripline, $THREADS threads" pst-tripline pst-tripline "(reference)"
row pst "tripline, 1 thread" pst-tripline-1t pst-tripline-1t "$(same pst-tripline-1t)"
if [ $HAVE_DUCKDB = 1 ]; then
    MS[pst-duckdb]=$(duckdb_query pst-duckdb "SELECT Source, Severity, AlertEntityId, Operation, Name,
        count(*) AS count, min(CreationTime) AS firstTime, max(CreationTime) AS lastTime
      FROM read_ndjson('$DATA', columns = {'CreationTime': 'VARCHAR', 'Category': 'VARCHAR',
        'Name': 'VARCHAR', 'Source': 'VARCHAR', 'Severity': 'VARCHAR',
        'AlertEntityId': 'VARCHAR', 'Operation': 'VARCHAR'})
      WHERE lower(Category) = 'threatmanagement' AND lower(Name) = '$LIT'
        AND Source IS NOT NULL AND Severity IS NOT NULL AND AlertEntityId IS NOT NULL
        AND Operation IS NOT NULL
      GROUP BY ALL")
    normalize lines "$PST_FIELDS" "$OUT/pst-duckdb.out" > "$OUT/pst-duckdb.rows"
    row pst "DuckDB $DUCKDB_VERSION" pst-duckdb pst-tripline "$(same pst-duckdb)"
else
    echo "| pst | DuckDB | skipped: the Python package duckdb is not installed (pip install duckdb) | | | | |"
fi
if command -v rg > /dev/null && command -v jq > /dev/null; then
    # rg keeps the lines with the literal and, like tripline's prefilter, every line with a
    # \u escape (an escape can spell the literal); jq does the rest.
    MS[pst-rg-jq]=$(best_ms pst-rg-jq "rg -i -F -e '$LIT' -e '\\u' '$DATA' | jq -c '$PST_JQ' | jq -c -s '$PST_JQ_GROUP'")
    normalize lines "$PST_FIELDS" "$OUT/pst-rg-jq.out" > "$OUT/pst-rg-jq.rows"
    row pst "rg $(rg --version 2> /dev/null | sed -n '1s/^ripgrep \([^ ]*\).*/\1/p') \\| jq" pst-rg-jq pst-tripline "$(same pst-rg-jq)"
else
    echo "| pst | rg \\| jq | skipped: rg or jq is not installed | | | | |"
fi

# --- stats count by Operation
MS[stats-tripline]=$(best_ms stats-tripline "'$T' query '* | stats count by Operation' --data '$DATA' --format ndjson --threads $THREADS")
normalize lines Operation,count "$OUT/stats-tripline.out" > "$OUT/stats-tripline.rows"
REF=$OUT/stats-tripline.rows
row stats "tripline, $THREADS threads" stats-tripline stats-tripline "(reference)"
if [ $HAVE_DUCKDB = 1 ]; then
    MS[stats-duckdb]=$(duckdb_query stats-duckdb "SELECT Operation, count(*) AS count
      FROM read_ndjson('$DATA', columns = {'Operation': 'VARCHAR'})
      WHERE Operation IS NOT NULL GROUP BY Operation")
    normalize lines Operation,count "$OUT/stats-duckdb.out" > "$OUT/stats-duckdb.rows"
    row stats "DuckDB $DUCKDB_VERSION" stats-duckdb stats-tripline "$(same stats-duckdb)"
else
    echo "| stats | DuckDB | skipped: the Python package duckdb is not installed (pip install duckdb) | | | | |"
fi
if command -v jq > /dev/null; then
    MS[stats-jq]=$(best_ms stats-jq "jq -n -c '$STATS_JQ' '$DATA'")
    normalize jq-object Operation,count "$OUT/stats-jq.out" > "$OUT/stats-jq.rows"
    row stats "jq $(jq --version | sed 's/^jq-//')" stats-jq stats-tripline "$(same stats-jq)"
else
    echo "| stats | jq | skipped: jq is not installed | | | | |"
fi

echo
echo "Goals (docs/performance.md):"
ratio_goal() { # TEXT NAME REF MIN
    [ -n "${MS[$2]:-}" ] || return 0
    awk -v a="${MS[$2]}" -v b="${MS[$3]}" -v min="$4" -v text="$1" \
        'BEGIN { r = a / b; printf "  %s  %s: %.2fx (goal >= %s)\n", (r >= min ? "MET" : "MISSED"), text, r, min }'
}
ratio_goal "PST rule, tripline vs DuckDB" pst-duckdb pst-tripline 5
ratio_goal "PST rule, tripline vs rg | jq" pst-rg-jq pst-tripline 1.3
ratio_goal "stats count by Operation, tripline vs DuckDB ($THREADS threads each)" stats-duckdb stats-tripline 1.5
