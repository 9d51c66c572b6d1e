#!/usr/bin/env bash
# audit-verify over a ledger of a million entries, on SQLite and PostgreSQL, beside sha256sum over
# a file of the same entries' canonical bytes in the same run (the hashing floor). Needs a release
# build (cargo build --release), python3, and for PostgreSQL a superuser URL of a scratch server in
# BENCH_DATABASE_URL (it creates and drops the database privctl_ledger_bench).
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/ledger.sh
# BENCH_PAIRS (default 3) alternating rounds of the baseline and privctl (best and median of each);
# BENCH_BIN another build; BENCH_PYTHON=1 also times the stdlib Python verifier once.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BENCH_BIN:-$PWD/target/release/privctl}"
entries="${BENCH_ENTRIES:-1000000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRIVCTL_LEDGER_KEY=bench-ledger-key PRIVCTL_MAP="$work/privctl.toml"
printf 'version = 1\n[keys]\nledger = "env:PRIVCTL_LEDGER_KEY"\n' > "$PRIVCTL_MAP"

pairs="${BENCH_PAIRS:-3}"
timed() { # file, command...: appends the wall seconds to file (the command's output in $work/out)
    local file=$1
    shift
    /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out"
    cat "$work/time" >> "$file"
}
report() { # label, file of seconds: best and median, entries/s at the median
    sort -n "$2" | awk -v label="$1" -v n="$entries" '{ t[NR] = $1 } END { m = t[int((NR + 1) / 2)]; printf "%-48s best %6.2f s  median %6.2f s %10.0f entries/s (median)\n", label, t[1], m, n / m }'
    echo "    in run order: $(tr '\n' ' ' < "$2")"
}
median() { sort -n "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
ratio() { # baseline file, privctl file: medians, and bests
    printf '  privctl at %.2fx of the hashing baseline (medians; bests %.2fx)\n' \
        "$(echo "$(median "$1") / $(median "$2")" | bc -l)" \
        "$(echo "$(sort -n "$1" | head -1) / $(sort -n "$2" | head -1)" | bc -l)"
}
check() { grep -q "^$entries entries verified" "$work/out" || { cat "$work/out"; exit 1; }; }

echo "entries: $entries ($(nproc) cores, $(uname -m))"
sqlite="$work/ledger.sqlite3"
: > "$sqlite"
DATABASE_URL="sqlite://$sqlite" "$bin" init > /dev/null
python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format sqlite --out "$sqlite"
# The entries went in behind privctl's back: their Merkle tree is built as an upgrade builds it.
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('DELETE FROM privctl_ledger_meta'); d.commit()" "$sqlite"
DATABASE_URL="sqlite://$sqlite" "$bin" init > /dev/null
python3 tests/verifier/privctl_ledger_verify.py --sqlite "$sqlite" --key-env PRIVCTL_LEDGER_KEY \
    --dump-canonical "$work/canonical" > /dev/null
echo "canonical bytes: $(stat -c %s "$work/canonical") ($(( $(stat -c %s "$work/canonical") / entries )) per entry)"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$work/sha"; : > "$work/sqlite"
for i in $(seq 1 "$pairs"); do # alternating: which goes first changes every pair
    if (( i % 2 )); then
        timed "$work/sha" sha256sum "$work/canonical"
        timed "$work/sqlite" env DATABASE_URL="sqlite://$sqlite" "$bin" audit-verify; check
    else
        timed "$work/sqlite" env DATABASE_URL="sqlite://$sqlite" "$bin" audit-verify; check
        timed "$work/sha" sha256sum "$work/canonical"
    fi
done
report "sha256sum over the canonical bytes" "$work/sha"
report "privctl audit-verify (SQLite)" "$work/sqlite"
ratio "$work/sha" "$work/sqlite"
if [ -n "${BENCH_PYTHON:-}" ]; then
    : > "$work/py"
    timed "$work/py" python3 tests/verifier/privctl_ledger_verify.py --sqlite "$sqlite" --key-env PRIVCTL_LEDGER_KEY
    report "python3 third-party verifier (SQLite)" "$work/py"
fi

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    base=$BENCH_DATABASE_URL
    db="${base%/*}/privctl_ledger_bench"
    psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_ledger_bench" -c "CREATE DATABASE privctl_ledger_bench"
    DATABASE_URL="$db" "$bin" init > /dev/null
    python3 bench/ledger_gen.py "$entries" --key-env PRIVCTL_LEDGER_KEY --format csv --out "$work/ledger.csv"
    psql -q "$db" -c "\\copy privctl_ledger FROM '$work/ledger.csv' WITH (FORMAT csv, HEADER true)" -c "DELETE FROM privctl_ledger_meta"
    DATABASE_URL="$db" "$bin" init > /dev/null
    psql -q "$db" -c "VACUUM ANALYZE"
    : > "$work/sha"; : > "$work/pg"; : > "$work/copy"
    for i in $(seq 1 "$pairs"); do
        order=(sha pg copy)
        (( i % 2 )) || order=(copy pg sha)
        for what in "${order[@]}"; do
            case $what in
                sha) timed "$work/sha" sha256sum "$work/canonical" ;;
                pg) timed "$work/pg" env DATABASE_URL="$db" "$bin" audit-verify; check ;;
                copy) timed "$work/copy" psql -q "$db" -c "\\copy (SELECT * FROM privctl_ledger ORDER BY seq) TO '/dev/null'" ;;
            esac
        done
    done
    report "sha256sum over the canonical bytes" "$work/sha"
    report "psql \\copy (SELECT … ORDER BY seq) TO /dev/null" "$work/copy"
    report "privctl audit-verify (PostgreSQL)" "$work/pg"
    ratio "$work/sha" "$work/pg"
    psql -q "$base" -c "DROP DATABASE privctl_ledger_bench"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
