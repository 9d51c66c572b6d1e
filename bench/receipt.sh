#!/usr/bin/env bash
# Erasure receipts (issue 17): what `dsar delete --receipt` adds to the erasure, and how long
# `privctl receipt verify` takes, on the SQLite demo (`privctl demo`) with a ledger of
# BENCH_LEDGER entries (default 100000) ahead of the erasure, so the proof has a real depth.
# Alternating: a delete without a receipt, then one with (or the other way round), each on a
# fresh copy of the same database; verify beside `privctl --version` (the process floor).
#   bench/receipt.sh        (BENCH_BIN another build; BENCH_PAIRS, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BENCH_BIN:-$PWD/target/release/privctl}"
pairs="${BENCH_PAIRS:-5}"
ledger="${BENCH_LEDGER:-100000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" demo --dir demo > /dev/null
export DATABASE_URL="sqlite://$work/base.db" PRIVCTL_MAP="$work/demo/privctl.toml"
"$bin" audit keygen --name bench.example/ledger --out demo/log.key > log.vkey
sed -i '0,/^ledger = /s|^ledger = .*|&\nsigning = "file:log.key"|' demo/privctl.toml
printf '\n[ledger]\norigin = "bench.example/ledger"\n' >> demo/privctl.toml
cp demo/demo.db base.db
# A long ledger before the erasure: generated entries, then the tree built by init.
python3 - "$work/base.db" "$ledger" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM privctl_ledger"); db.execute("DELETE FROM privctl_ledger_tree")
db.execute("DELETE FROM privctl_ledger_meta"); db.commit()
EOF
PRIVCTL_LEDGER_KEY="$(cat demo/ledger.key)" python3 "$OLDPWD/bench/ledger_gen.py" "$ledger" \
    --key-env PRIVCTL_LEDGER_KEY --format sqlite --out base.db
"$bin" init > /dev/null
who=(--tenant acme --email jane.doe@example.com --phone +49301234567 --on-behalf-of owner@acme.example)

ms() { date +%s%N; }
: > plain; : > with
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$pairs"); do
    if (( i % 2 )); then order=(plain with); else order=(with plain); fi
    for side in "${order[@]}"; do
        cp base.db run.db
        token=$(DATABASE_URL="sqlite://$work/run.db" "$bin" --format json dsar delete "${who[@]}" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")
        extra=(); [ "$side" = with ] && extra=(--receipt "$work/r.json")
        t0=$(ms)
        DATABASE_URL="sqlite://$work/run.db" "$bin" dsar delete "${who[@]}" --confirm "$token" --no-scan "${extra[@]}" > /dev/null 2>&1
        echo $(( ($(ms) - t0) / 1000000 )) >> "$side"
    done
done
median() { sort -n "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
echo "dsar delete without a receipt: median $(median plain) ms, best $(sort -n plain | head -1) ms (run order: $(tr '\n' ' ' < plain))"
echo "dsar delete with a receipt:    median $(median with) ms, best $(sort -n with | head -1) ms (run order: $(tr '\n' ' ' < with))"
: > verify; : > floor
for i in $(seq 1 20); do
    t0=$(ms); env -i "$bin" --version > /dev/null; echo $(( ($(ms) - t0) / 100000 )) >> floor
    t0=$(ms); env -i "$bin" receipt verify --vkey log.vkey --email jane.doe@example.com --phone +49301234567 r.json > /dev/null
    echo $(( ($(ms) - t0) / 100000 )) >> verify
done
echo "receipt verify (whole process): median $(median verify)/10 ms; privctl --version: median $(median floor)/10 ms"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
