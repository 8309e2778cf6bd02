#!/usr/bin/env bash
# tripline throughput benchmarks (docs/performance.md).
#
#   benches/run.sh [--size 1G] [--runs 3] [--dir /tmp/tripline-bench] [--only NAME]
#
# Builds tripline and the data generator (examples/gen_o365.rs) in release mode, generates the
# datasets when they are missing (deterministic: the same bytes every time), then times each
# workload: best wall time of --runs runs, throughput (input bytes / best wall time) and the
# peak resident memory (/usr/bin/time). Results go to stdout as a Markdown table, followed by
# the goals of docs/performance.md with MET / MISSED. Each workload's output is kept in
# $DIR/out/ (benches/compare.sh reads it to check that other tools return the same rows).
#
# Workloads (DATA = management records of --size, MIXED = 85 % management + 15 % message
# trace of --size, read through a dataset manifest):
#   pst-1t        the PST rule over DATA on one thread (--threads 1)
#   pst           the PST rule over DATA, all cores
#   stats-1t      `* | stats count by Operation` over DATA on one thread (parses every event)
#   stats         the same, all cores
#   ten-rules     the PST rule and the nine O365 corpus rules of benches/rules/ in one run
#   parse-mixed   `* | stats count by Operation` over MIXED (a full parse, baseline of join)
#   join-mixed    the send/hard-delete rule over MIXED (a join with a subsearch)
#   corpus-check  `tripline check` over the security_content corpus (if present)
# and checks that the PST, stats and join outputs are the same on 1, 2 and 4 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZE=1G
RUNS=3
DIR=${TRIPLINE_BENCH_DIR:-/tmp/tripline-bench}
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

. benches/common.sh

HAVE_TIME=0
[ -x /usr/bin/time ] && HAVE_TIME=1
declare -A WALL RSS
# measure NAME BYTES -- command...: best wall time of $RUNS runs, largest peak RSS.
measure() {
    local name=$1 bytes=$2
    shift 3
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then return 0; fi
    local best= rss=0 i t0 t1 ms kb
    for ((i = 0; i < RUNS; i++)); do
        warm "${WARM[@]}"
        t0=$(NOW_NS)
        if [ $HAVE_TIME = 1 ]; then
            /usr/bin/time -f %M -o "$DIR/out/$name.rss" "$@" > "$DIR/out/$name.out" 2> "$DIR/out/$name.err" || true
        else
            "$@" > "$DIR/out/$name.out" 2> "$DIR/out/$name.err" || true
        fi
        t1=$(NOW_NS)
        ms=$(((t1 - t0) / 1000000))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
        if [ $HAVE_TIME = 1 ]; then
            kb=$(tail -n 1 "$DIR/out/$name.rss")
            [ "$kb" -gt "$rss" ] && rss=$kb
        fi
    done
    WALL[$name]=$best
    RSS[$name]=$rss
    local gbs=-
    [ "$bytes" -gt 0 ] && gbs=$(awk -v b="$bytes" -v ms="$best" 'BEGIN { printf "%.2f", b / (ms / 1000) / 1e9 }')
    local mib=-
    [ $HAVE_TIME = 1 ] && mib=$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')
    local rows
    rows=$(wc -l < "$DIR/out/$name.out")
    printf '| %-12s | %8.3f | %6s | %6s | %6s | %s |\n' "$name" "$(awk -v ms="$best" 'BEGIN { print ms / 1000 }')" \
        "$gbs" "$mib" "$rows" "$(tail -n 1 "$DIR/out/$name.err" | cut -c1-110)"
}

PST=(run rules/o365_pst_export_alert.yml --data "$DATA" --sourcetype o365:management:activity --format ndjson)
STATS=(query '* | stats count by Operation' --data "$DATA" --sourcetype o365:management:activity --format ndjson)
JOIN=(run rules/o365_email_send_and_hard_delete_exfiltration_behavior.yml --data "$MIXED/manifest.yml" --format ndjson)

echo
echo "data: $DATA ($DATA_BYTES bytes), $MIXED ($MIXED_BYTES bytes); best of $RUNS runs; $(nproc) cores"
echo
echo "| workload     |   wall s |   GB/s | RSS MiB |  rows | tripline's summary line |"
echo "|--------------|---------:|-------:|--------:|------:|-------------------------|"
# The files each workload reads (see `warm`).
WARM=("$DATA")
measure pst-1t "$DATA_BYTES" -- "$T" "${PST[@]}" --threads 1
measure pst "$DATA_BYTES" -- "$T" "${PST[@]}"
measure stats-1t "$DATA_BYTES" -- "$T" "${STATS[@]}" --threads 1
measure stats "$DATA_BYTES" -- "$T" "${STATS[@]}"
measure ten-rules "$DATA_BYTES" -- "$T" run rules/o365_pst_export_alert.yml benches/rules \
    --macros rules/macros.yml --data "$DATA" --sourcetype o365:management:activity --format ndjson
WARM=("$MIXED"/*.json)
measure parse-mixed "$MIXED_BYTES" -- "$T" query '* | stats count by Operation' --data "$MIXED/manifest.yml" --format ndjson
measure join-mixed "$MIXED_BYTES" -- "$T" "${JOIN[@]}"
CORPUS=$ROOT/../shared/corpus/security_content
if [ -d "$CORPUS/detections" ]; then
    WARM=()
    measure corpus-check 0 -- "$T" check "$CORPUS/detections" --macros "$CORPUS/macros" --format json
fi

echo
echo "Same output whatever the thread count:"
same_threads() {
    local name=$1
    shift
    local ref=
    for n in 1 2 4; do
        "$T" "$@" --threads "$n" > "$DIR/out/threads-$name-$n.out" 2> /dev/null || true
        if [ -z "$ref" ]; then
            ref=$DIR/out/threads-$name-$n.out
        elif ! cmp -s "$ref" "$DIR/out/threads-$name-$n.out"; then
            echo "  $name: DIFFERENT on $n threads (see $DIR/out/threads-$name-*.out)"
            return 0
        fi
    done
    echo "  $name: identical on 1, 2 and 4 threads ($(wc -l < "$ref") rows)"
}
if [ -z "$ONLY" ]; then
    same_threads pst "${PST[@]}"
    same_threads stats "${STATS[@]}"
    same_threads join "${JOIN[@]}"
fi

# goal NAME TEXT CONDITION (awk expression over the variables given after it)
goal() {
    local text=$1 expr=$2
    shift 2
    local verdict
    verdict=$(awk "$@" "BEGIN { print (($expr) ? \"MET\" : \"MISSED\") }")
    echo "  $verdict  $text"
}
gbs() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.2f", b / (ms / 1000) / 1e9 }'; }

echo
echo "Goals (docs/performance.md):"
if [ -n "${WALL[pst-1t]:-}" ]; then
    goal "PST rule on one core: $(gbs "$DATA_BYTES" "${WALL[pst-1t]}") GB/s (goal >= 4)" "b / (ms / 1000) / 1e9 >= 4" -v b="$DATA_BYTES" -v ms="${WALL[pst-1t]}"
fi
if [ -n "${RSS[pst]:-}" ] && [ $HAVE_TIME = 1 ]; then
    goal "PST rule peak memory: $((RSS[pst] / 1024)) MiB (goal < 64)" "kb < 65536" -v kb="${RSS[pst]}"
fi
if [ -n "${WALL[stats-1t]:-}" ]; then
    goal "stats count by Operation on one core: $(gbs "$DATA_BYTES" "${WALL[stats-1t]}") GB/s (goal >= 0.9)" "b / (ms / 1000) / 1e9 >= 0.9" -v b="$DATA_BYTES" -v ms="${WALL[stats-1t]}"
fi
if [ -n "${WALL[ten-rules]:-}" ] && [ -n "${WALL[pst]:-}" ]; then
    goal "ten literal rules in one run: $(awk -v a="${WALL[ten-rules]}" -v b="${WALL[pst]}" 'BEGIN { printf "%.2f", a / b }')x one rule (goal <= 1.5)" "a / b <= 1.5" -v a="${WALL[ten-rules]}" -v b="${WALL[pst]}"
fi
if [ -n "${WALL[join-mixed]:-}" ] && [ -n "${WALL[parse-mixed]:-}" ]; then
    goal "join rule: $(awk -v a="${WALL[join-mixed]}" -v b="${WALL[parse-mixed]}" 'BEGIN { printf "%.2f", a / b }')x a full parse of the same data (goal <= 1.2)" "a / b <= 1.2" -v a="${WALL[join-mixed]}" -v b="${WALL[parse-mixed]}"
fi
if [ -n "${WALL[corpus-check]:-}" ]; then
    goal "check of the corpus: $(awk -v ms="${WALL[corpus-check]}" 'BEGIN { printf "%.2f", ms / 1000 }') s (goal < 0.5)" "ms < 500" -v ms="${WALL[corpus-check]}"
fi
echo
echo "The DuckDB and jq comparisons: benches/compare.sh (same --size and --dir)."
