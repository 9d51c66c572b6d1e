#!/usr/bin/env bash
# purge-retention's partition path on a big table (issue 16: whole-partition purges whose cost
# does not grow with the partition's size, at least 20x faster than a plain DELETE of the same
# rows on a 40M-row table). Needs a PostgreSQL superuser URL in BENCH_DATABASE_URL (a scratch
# server: it creates and drops databases privctl_part*; about 6 GB of disk at 40M rows) and a
# release build that reads PRIVCTL_NOW (cargo build --release --features test-clock):
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/partitions.sh
# BENCH_AFTER (default target/release/privctl) is measured; BENCH_BEFORE, if set, is another
# build measured in the same pairs. BENCH_ROWS (default 40,000,000) rows over 400 days in 14
# monthly partitions, one tenant keeping 90 days: 11 partitions (about 31M rows) go whole.
# BENCH_PAIRS (default 3) rounds; each round runs the plain DELETE and each build on a fresh
# copy of one template database, the order alternating. Times are whole-process wall clock
# (psql or privctl's confirmed run; the dry run that issues the token is not timed).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
after="${BENCH_AFTER:-$PWD/target/release/privctl}"
before="${BENCH_BEFORE:-}"
rows="${BENCH_ROWS:-40000000}"
pairs="${BENCH_PAIRS:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url() { echo "${base%/*}/$1"; }
export PRIVCTL_LEDGER_KEY=bench PRIVCTL_NOW=2026-11-30T00:00:00Z
# The benchmark fixes the clock (PRIVCTL_NOW), which only builds for tests read: a release build
# made with `cargo build --release --features test-clock` (the feature changes nothing else).
for b in "$after" ${before:+"$before"}; do
    PRIVCTL_NOW=2026-11-30T00:00:00Z "$b" completions bash > /dev/null 2>&1 || { echo "$b refuses PRIVCTL_NOW: build it with cargo build --release --features test-clock" >&2; exit 2; }
done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# BENCH_REUSE=1 keeps a privctl_part database left by an earlier run (BENCH_KEEP=1) instead of
# generating it again.
if [ -n "${BENCH_REUSE:-}" ] && psql -tA "$base" -c "SELECT 1 FROM pg_database WHERE datname = 'privctl_part'" | grep -q 1; then
    echo "reusing privctl_part"
else
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_part" -c "CREATE DATABASE privctl_part"
{
    echo "CREATE TABLE organizations (id text PRIMARY KEY, plan text NOT NULL, legal_hold boolean NOT NULL DEFAULT false);"
    echo "INSERT INTO organizations VALUES ('growth-co', 'growth', false);"
    echo "CREATE TABLE events (id bigint, org_id text NOT NULL REFERENCES organizations (id), kind text NOT NULL, payload text, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);"
    for m in $(seq 0 13); do
        from=$(date -u -d "2025-10-01 +$m month" +%Y-%m-%d); to=$(date -u -d "2025-10-01 +$((m + 1)) month" +%Y-%m-%d)
        echo "CREATE TABLE events_${from//-/_} PARTITION OF events FOR VALUES FROM ('$from') TO ('$to');"
    done
    echo "INSERT INTO events SELECT g, 'growth-co', 'message', 'order ' || g, timestamptz '2026-11-30T00:00:00Z' - interval '400 days' + (g * (400 * 86400.0 / $rows)) * interval '1 second' FROM generate_series(1, $rows) g;"
    echo "CREATE INDEX events_org_created ON events (org_id, created_at);"
    echo "VACUUM ANALYZE;"
} | psql -q "$(url privctl_part)" -v ON_ERROR_STOP=1
fi
cat > "$work/privctl.toml" <<'MAP'
version = 1
[tenant]
table = "organizations"
id = "id"
plan = "plan"
legal_hold = "legal_hold"
[tables.events]
tenant = "org_id"
category = "conversation"
timestamp = "created_at"
[retention]
conversation = { growth = "90d" }
[keys]
ledger = "env:PRIVCTL_LEDGER_KEY"
MAP
export PRIVCTL_MAP="$work/privctl.toml"
DATABASE_URL=$(url privctl_part) "$after" init > /dev/null
expired=$(psql -tA "$(url privctl_part)" -c "SELECT count(*) FROM events WHERE created_at < timestamptz '2026-09-01T00:00:00Z'")
echo "rows: $rows in 14 partitions; expired (in 11 whole partitions): $expired; database $(psql -tA "$(url privctl_part)" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"

fresh() { # a file copy of the template (its own checkpoints: no WAL of the copy to flush later)
    psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_part_run" -c "CREATE DATABASE privctl_part_run TEMPLATE privctl_part STRATEGY FILE_COPY"
}
seconds() { # command...: wall seconds
    /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out"
    cat "$work/time"
}
plain() {
    fresh
    seconds psql -q "$(url privctl_part_run)" -c "DELETE FROM events WHERE created_at < timestamptz '2026-09-01T00:00:00Z'"
}
# The floor: the same 11 partitions detached and dropped by hand (psql, one transaction each).
hand_drop() {
    fresh
    psql -tA "$(url privctl_part_run)" -c "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass AND pg_get_expr(c.relpartbound, c.oid) < 'FOR VALUES FROM (''2026-09'" \
        | sed 's/.*/BEGIN; ALTER TABLE events DETACH PARTITION &; DROP TABLE &; COMMIT;/' > "$work/drops.sql"
    seconds psql -q "$(url privctl_part_run)" -f "$work/drops.sql"
}
purge() { # binary, label
    fresh
    DATABASE_URL=$(url privctl_part_run) "$1" --format json purge-retention --allow-large > "$work/plan.json"
    DATABASE_URL=$(url privctl_part_run) seconds sh -c "'$1' --format json purge-retention --confirm - < '$work/plan.json'"
    jq -c '{deleted: .total_rows, partitions: (.partitions_dropped | length), estimated: ([.partitions_dropped[].rows_estimated] | all), longest_batch_ms}' "$work/out" >> "$work/$2.runs"
}
: > "$work/hand"; : > "$work/plain"; : > "$work/after"; : > "$work/before"; : > "$work/after.runs"; : > "$work/before.runs"
for i in $(seq 1 "$pairs"); do
    order=(plain hand after before)
    (( i % 2 )) || order=(before after hand plain)
    for what in "${order[@]}"; do
        case $what in
            plain) plain >> "$work/plain" ;;
            hand) hand_drop >> "$work/hand" ;;
            after) purge "$after" after >> "$work/after" ;;
            before) [ -z "$before" ] || purge "$before" before >> "$work/before" ;;
        esac
    done
done
report() { # label, file of seconds
    sort -n "$2" | awk -v label="$1" -v rows="$expired" '{ t[NR] = $1 } END { if (NR) printf "%-40s best %7.2f s  median %7.2f s  %12.0f rows/s (median)  (%d runs)\n", label, t[1], t[int((NR + 1) / 2)], rows / t[int((NR + 1) / 2)], NR }'
    [ ! -s "$2" ] || echo "    in run order: $(tr '\n' ' ' < "$2")"
}
report "plain DELETE, one statement" "$work/plain"
report "DETACH and DROP by hand (psql)" "$work/hand"
report "privctl (after)" "$work/after"
echo "    $(tr '\n' ' ' < "$work/after.runs")"
if [ -n "$before" ]; then
    report "privctl (before)" "$work/before"
    echo "    $(tr '\n' ' ' < "$work/before.runs")"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_part_run"
[ -n "${BENCH_KEEP:-}" ] || psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_part"
