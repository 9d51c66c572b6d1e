#!/usr/bin/env bash
# The Merkle tree's cost (issue 17): audit-verify of a million entries and appends to that
# ledger, by this build against an earlier one (BENCH_BEFORE, a release build from before the
# tree) on the same entries, alternating; and the one-off build of the tree by `privctl init`
# over an existing ledger. SQLite always; PostgreSQL when BENCH_DATABASE_URL is a superuser URL
# of a scratch server (it creates and drops privctl_tree_bench_old and privctl_tree_bench_new).
#   BENCH_BEFORE=/path/to/old/privctl BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres \
#     bench/ledger_tree.sh
# BENCH_PAIRS (default 3) verify pairs; BENCH_APPENDS (default 100) appends per side and pair.
set -euo pipefail
cd "$(dirname "$0")/.."
new="${BENCH_BIN:-$PWD/target/release/privctl}"
old="${BENCH_BEFORE:?BENCH_BEFORE: a release build of privctl from before the Merkle tree}"
entries="${BENCH_ENTRIES:-1000000}"
pairs="${BENCH_PAIRS:-3}"
appends="${BENCH_APPENDS:-100}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRIVCTL_LEDGER_KEY=bench-ledger-key PRIVCTL_MAP="$work/privctl.toml" PRIVCTL_ACTOR=bench
printf 'version = 1\n[keys]\nledger = "env:PRIVCTL_LEDGER_KEY"\n' > "$PRIVCTL_MAP"

timed() { # file, command...: appends the wall seconds to file
    local file=$1
    shift
    /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
    cat "$work/time" >> "$file"
}
median() { sort -n "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
best() { sort -n "$1" | head -1; }
report() { # label, file
    printf '%-44s best %7.3f s  median %7.3f s   (in run order: %s)\n' "$1" "$(best "$2")" "$(median "$2")" "$(tr '\n' ' ' < "$2")"
}
ratio() { # label, before file, after file
    printf '  %s: after/before %.2fx (medians), %.2fx (bests)\n' "$1" \
        "$(echo "$(median "$3") / $(median "$2")" | bc -l)" "$(echo "$(best "$3") / $(best "$2")" | bc -l)"
}
# $appends runs of a command that does little but append one entry (a dry-run purge, empty map).
append_loop='for _ in $(seq 1 "$3"); do DATABASE_URL="$1" "$2" purge-retention > /dev/null; done'

compare() { # label, old url, new url
    local label=$1 old_url=$2 new_url=$3
    : > "$work/vo"; : > "$work/vn"; : > "$work/ao"; : > "$work/an"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    for i in $(seq 1 "$pairs"); do
        if (( i % 2 )); then order=(old new); else order=(new old); fi
        for side in "${order[@]}"; do
            if [ "$side" = old ]; then
                timed "$work/vo" env DATABASE_URL="$old_url" "$old" audit-verify
                timed "$work/ao" bash -c "$append_loop" _ "$old_url" "$old" "$appends"
            else
                timed "$work/vn" env DATABASE_URL="$new_url" "$new" audit-verify
                grep -q "entries verified" "$work/out" || { cat "$work/out"; exit 1; }
                timed "$work/an" bash -c "$append_loop" _ "$new_url" "$new" "$appends"
            fi
        done
    done
    report "$label audit-verify, before the tree" "$work/vo"
    report "$label audit-verify, with the tree" "$work/vn"
    ratio "verify" "$work/vo" "$work/vn"
    report "$label $appends appends, before the tree" "$work/ao"
    report "$label $appends appends, with the tree" "$work/an"
    ratio "append" "$work/ao" "$work/an"
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "entries: $entries ($(nproc) cores); before: $old; after: $new"
# SQLite: the same entries, as /1 for the earlier build and /2 (with the tree) for this one.
: > "$work/old.sqlite3"; : > "$work/new.sqlite3"
DATABASE_URL="sqlite://$work/old.sqlite3" "$old" init > /dev/null
DATABASE_URL="sqlite://$work/new.sqlite3" "$new" init > /dev/null
python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format sqlite --entry-version 1 --out "$work/old.sqlite3"
python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format sqlite --out "$work/new.sqlite3"
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('DELETE FROM privctl_ledger_meta'); d.commit()" "$work/new.sqlite3"
: > "$work/build"
timed "$work/build" env DATABASE_URL="sqlite://$work/new.sqlite3" "$new" init
report "SQLite: privctl init building the tree" "$work/build"
compare "SQLite:" "sqlite://$work/old.sqlite3" "sqlite://$work/new.sqlite3"

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    base=$BENCH_DATABASE_URL
    for v in old new; do
        psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_tree_bench_$v" -c "CREATE DATABASE privctl_tree_bench_$v"
    done
    old_db="${base%/*}/privctl_tree_bench_old"
    new_db="${base%/*}/privctl_tree_bench_new"
    DATABASE_URL="$old_db" "$old" init > /dev/null
    DATABASE_URL="$new_db" "$new" init > /dev/null
    python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format csv --entry-version 1 --out "$work/old.csv"
    python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format csv --out "$work/new.csv"
    psql -q "$old_db" -c "\\copy privctl_ledger FROM '$work/old.csv' WITH (FORMAT csv, HEADER true)" -c "VACUUM ANALYZE privctl_ledger"
    psql -q "$new_db" -c "\\copy privctl_ledger FROM '$work/new.csv' WITH (FORMAT csv, HEADER true)" -c "DELETE FROM privctl_ledger_meta"
    : > "$work/build"
    timed "$work/build" env DATABASE_URL="$new_db" "$new" init
    psql -q "$new_db" -c "VACUUM ANALYZE"
    report "PostgreSQL: privctl init building the tree" "$work/build"
    compare "PostgreSQL:" "$old_db" "$new_db"
    for v in old new; do psql -q "$base" -c "DROP DATABASE privctl_tree_bench_$v"; done
fi
