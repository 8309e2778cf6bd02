#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 1800) one after the other, on one core.
# Usage (from the repo root): bash fuzz/scripts/run_all.sh [SECONDS] [TARGET...]
# Crashes are written to fuzz/artifacts/<target>/ and fuzzing goes on (-fork=1 with
# -ignore_crashes=1), so one run reports every crash it finds; the log of each target is
# fuzz/logs/<target>.log and its last "#N" line holds the exec count.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-1800}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(spl_parse_plan kql_parse event_reader rule_exec projection)
fi
mkdir -p fuzz/logs
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  echo "== $t for ${secs}s" >&2
  cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -timeout=20 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
    >"fuzz/logs/$t.log" 2>&1 || echo "$t exited with $?" >&2
  grep -E '^#[0-9]+' "fuzz/logs/$t.log" | tail -1 >&2 || true
done
