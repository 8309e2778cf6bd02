# Shared by benches/run.sh and benches/compare.sh (sourced, from the repository root): sizes,
# the release build, the datasets. Expects ROOT, SIZE and DIR; sets T, GEN, DATA, MIXED,
# DATA_BYTES and MIXED_BYTES.

# Bytes of a size with K/M/G (powers of 1000) or Ki/Mi/Gi (powers of 1024).
bytes_of() {
    awk -v s="$1" 'BEGIN {
        m = 1
        if (s ~ /Gi$/) { m = 1024^3; sub(/Gi$/, "", s) }
        else if (s ~ /Mi$/) { m = 1024^2; sub(/Mi$/, "", s) }
        else if (s ~ /Ki$/) { m = 1024; sub(/Ki$/, "", s) }
        else if (s ~ /[Gg]$/) { m = 1e9; sub(/[Gg]$/, "", s) }
        else if (s ~ /[Mm]$/) { m = 1e6; sub(/[Mm]$/, "", s) }
        else if (s ~ /[Kk]$/) { m = 1e3; sub(/[Kk]$/, "", s) }
        printf "%d\n", s * m
    }'
}
TOTAL=$(bytes_of "$SIZE")
MGMT_MIXED=$((TOTAL * 85 / 100))
TRACE_MIXED=$((TOTAL - MGMT_MIXED))

echo "building (release) ..." >&2
cargo build --release --quiet --bin tripline --example gen_o365
T=$ROOT/target/release/tripline
GEN=$ROOT/target/release/examples/gen_o365

# warm FILE...: read the files into the page cache before a timed run. The benchmark VM does
# not always keep them there (profiles of runs after other work showed the kernel re-reading
# part of the file from disk: `filemap_add_folio`, `workingset_refault`, and the copy into
# the read buffer five times slower), so every tool's every run starts from a warm cache.
warm() {
    [ $# -gt 0 ] && cat "$@" > /dev/null
    return 0
}

# Datasets are generated once per size (the generator is deterministic, so a file left by an
# earlier run is the same data).
mkdir -p "$DIR/out"
DATA=$DIR/management-$TOTAL.json
MIXED=$DIR/mixed-$TOTAL
[ -s "$DATA" ] || "$GEN" --size "$TOTAL" --out "$DATA"
mkdir -p "$MIXED"
[ -s "$MIXED/management.json" ] || "$GEN" --size "$MGMT_MIXED" --out "$MIXED/management.json"
[ -s "$MIXED/messagetrace.json" ] ||
    "$GEN" --size "$TRACE_MIXED" --kind messagetrace --out "$MIXED/messagetrace.json"
cat > "$MIXED/manifest.yml" <<EOF
name: tripline benchmark, mixed Office 365 data
datasets:
  - name: management
    path: management.json
    sourcetype: o365:management:activity
    source: o365
  - name: messagetrace
    path: messagetrace.json
    sourcetype: o365:reporting:messagetrace
    source: o365
EOF
DATA_BYTES=$(stat -c %s "$DATA")
MIXED_BYTES=$(($(stat -c %s "$MIXED/management.json") + $(stat -c %s "$MIXED/messagetrace.json")))
# Warm the page cache: every figure is for data already in memory.
cat "$DATA" "$MIXED/management.json" "$MIXED/messagetrace.json" > /dev/null

NOW_NS() { date +%s%N; }
