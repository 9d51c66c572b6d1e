#!/usr/bin/env bash
# audit-verify over a ledger of a million entries, on SQLite and PostgreSQL, beside sha256sum over
# a file of the same entries' canonical bytes in the same run (the hashing floor). Needs a release
# build (cargo build --release), python3, and for PostgreSQL a superuser URL of a scratch server in
# BENCH_DATABASE_URL (it creates and drops the database privctl_ledger_bench).
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/ledger.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/target/release/privctl"
entries="${BENCH_ENTRIES:-1000000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRIVCTL_LEDGER_KEY=bench-ledger-key PRIVCTL_MAP="$work/privctl.toml"
printf 'version = 1\n[keys]\nledger = "env:PRIVCTL_LEDGER_KEY"\n' > "$PRIVCTL_MAP"

best() { # label, command...: the best wall time of three runs, and entries/s
    local label=$1 secs best=
    shift
    for _ in 1 2 3; do
        /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out"
        secs=$(cat "$work/time")
        if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc -l)" = 1 ]; then best=$secs; fi
    done
    printf '%-48s %7.2f s %10.0f entries/s\n' "$label" "$best" "$(echo "$entries / $best" | bc -l)"
    echo "$best" > "$work/best"
}

ratio() { # baseline seconds file, privctl seconds file
    printf '  privctl at %.2fx of the hashing baseline\n' "$(echo "$(cat "$1") / $(cat "$2")" | bc -l)"
}

echo "entries: $entries ($(nproc) cores, $(uname -m))"
sqlite="$work/ledger.sqlite3"
: > "$sqlite"
DATABASE_URL="sqlite://$sqlite" "$bin" init > /dev/null
python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format sqlite --out "$sqlite"
python3 tests/verifier/privctl_ledger_verify.py --sqlite "$sqlite" --key-env PRIVCTL_LEDGER_KEY \
    --dump-canonical "$work/canonical" > /dev/null
echo "canonical bytes: $(stat -c %s "$work/canonical") ($(( $(stat -c %s "$work/canonical") / entries )) per entry)"

best "sha256sum over the canonical bytes" sha256sum "$work/canonical"
cp "$work/best" "$work/baseline"
best "privctl audit-verify (SQLite)" env DATABASE_URL="sqlite://$sqlite" "$bin" audit-verify
grep -q "^$entries entries verified" "$work/out" || { cat "$work/out"; exit 1; }
ratio "$work/baseline" "$work/best"
best "python3 third-party verifier (SQLite)" python3 tests/verifier/privctl_ledger_verify.py \
    --sqlite "$sqlite" --key-env PRIVCTL_LEDGER_KEY

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    base=$BENCH_DATABASE_URL
    db="${base%/*}/privctl_ledger_bench"
    psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_ledger_bench" -c "CREATE DATABASE privctl_ledger_bench"
    DATABASE_URL="$db" "$bin" init > /dev/null
    python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format csv --out "$work/ledger.csv"
    psql -q "$db" -c "\\copy privctl_ledger FROM '$work/ledger.csv' WITH (FORMAT csv, HEADER true)" -c "VACUUM ANALYZE privctl_ledger"
    best "psql \\copy (SELECT … ORDER BY seq) TO /dev/null" psql -q "$db" -c "\\copy (SELECT * FROM privctl_ledger ORDER BY seq) TO '/dev/null'"
    best "privctl audit-verify (PostgreSQL)" env DATABASE_URL="$db" "$bin" audit-verify
    grep -q "^$entries entries verified" "$work/out" || { cat "$work/out"; exit 1; }
    ratio "$work/baseline" "$work/best"
    psql -q "$base" -c "DROP DATABASE privctl_ledger_bench"
fi
