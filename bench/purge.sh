#!/usr/bin/env bash
# purge-retention on millions of expired rows, beside a plain DELETE of the same rows in the same
# run, and the partition path beside row deletes. Needs a PostgreSQL superuser URL in
# BENCH_DATABASE_URL (a scratch server: it creates and drops databases privctl_purge*) and a
# release build that reads PRIVCTL_NOW (cargo build --release --features test-clock).
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/purge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
bin="${BENCH_BIN:-$PWD/target/release/privctl}"  # BENCH_BIN: another build to measure
rows="${BENCH_ROWS:-4000000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="${base%/*}/privctl_purge"
export PRIVCTL_LEDGER_KEY=bench PRIVCTL_NOW=2026-11-30T00:00:00Z
# The benchmark fixes the clock (PRIVCTL_NOW), which only builds for tests read: a release build
# made with `cargo build --release --features test-clock` (the feature changes nothing else).
for b in "$bin"; do
    PRIVCTL_NOW=2026-11-30T00:00:00Z "$b" completions bash > /dev/null 2>&1 || { echo "$b refuses PRIVCTL_NOW: build it with cargo build --release --features test-clock" >&2; exit 2; }
done

# Two tenants, one row every few seconds over 400 days, ids rising with time; free keeps 30 days,
# growth 90: about 85% of the rows are past their window.
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_purge" -c "CREATE DATABASE privctl_purge"
psql -q "$db" -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE organizations (id text PRIMARY KEY, plan text NOT NULL, legal_hold boolean NOT NULL DEFAULT false);
INSERT INTO organizations VALUES ('free-co', 'free', false), ('growth-co', 'growth', false);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    kind text NOT NULL,
    payload text,
    created_at timestamptz NOT NULL
);
INSERT INTO events
  SELECT g, CASE WHEN g % 2 = 0 THEN 'free-co' ELSE 'growth-co' END, 'message',
         'customer said something about order ' || g,
         timestamptz '2026-11-30T00:00:00Z' - interval '400 days' + (g * (400 * 86400.0 / $rows)) * interval '1 second'
  FROM generate_series(1, $rows) g;
CREATE INDEX events_org_created ON events (org_id, created_at);
VACUUM ANALYZE;
SQL
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
conversation = { free = "30d", growth = "90d" }
[keys]
ledger = "env:PRIVCTL_LEDGER_KEY"
MAP
export PRIVCTL_MAP="$work/privctl.toml"
DATABASE_URL="$db" "$bin" init >/dev/null
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_purge_copy" -c "CREATE DATABASE privctl_purge_copy TEMPLATE privctl_purge"
copy="${base%/*}/privctl_purge_copy"
expired=$(psql -tA "$db" -c "SELECT count(*) FROM events WHERE (org_id = 'free-co' AND created_at < timestamptz '2026-10-31T00:00:00Z') OR (org_id = 'growth-co' AND created_at < timestamptz '2026-09-01T00:00:00Z')")
echo "rows: $rows, expired: $expired"

timed() { # label, command... (stdout to $work/out): prints seconds and rows/s
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out"
    read -r secs rss < "$work/time"
    printf '%-44s %8.2f s %10.0f rows/s  peak RSS %6.1f MiB' "$label" "$secs" "$(echo "$expired / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

timed "plain DELETE WHERE created_at < cutoff" psql -q "$copy" -c "BEGIN" \
    -c "DELETE FROM events WHERE org_id = 'free-co' AND created_at < timestamptz '2026-10-31T00:00:00Z'" \
    -c "DELETE FROM events WHERE org_id = 'growth-co' AND created_at < timestamptz '2026-09-01T00:00:00Z'" -c "COMMIT"
echo "  (one transaction)"
for batch in ${BENCH_BATCHES:-5000 20000}; do
    psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_purge_run" -c "CREATE DATABASE privctl_purge_run TEMPLATE privctl_purge"
    run="${base%/*}/privctl_purge_run"
    DATABASE_URL="$run" "$bin" --format json purge-retention --allow-large > "$work/plan.json"
    DATABASE_URL="$run" timed "privctl purge-retention --batch-size $batch" "$bin" --format json purge-retention --batch-size "$batch" --confirm - < "$work/plan.json"
    echo "  deleted $(jq .total_rows "$work/out"), batches $(jq '[.tables[].batches] | add' "$work/out"), in batches $(jq '[.tables[].seconds] | add' "$work/out") s, longest batch $(jq .longest_batch_ms "$work/out") ms"
done
psql -q "$base" -c "DROP DATABASE privctl_purge_run"

# The partition path: the same rows in a table partitioned by month; every expired row sits in a
# partition that ends on or before its tenant's cutoff (one tenant, 90 days: cutoff 2026-09-01).
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_purge_part" -c "CREATE DATABASE privctl_purge_part"
part="${base%/*}/privctl_purge_part"
{
    echo "CREATE TABLE organizations (id text PRIMARY KEY, plan text NOT NULL, legal_hold boolean NOT NULL DEFAULT false);"
    echo "INSERT INTO organizations VALUES ('growth-co', 'growth', false);"
    echo "CREATE TABLE events (id bigint, org_id text NOT NULL REFERENCES organizations (id), kind text NOT NULL, payload text, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);"
    for m in $(seq 0 13); do
        from=$(date -u -d "2025-10-01 +$m month" +%Y-%m-%d); to=$(date -u -d "2025-10-01 +$((m + 1)) month" +%Y-%m-%d)
        echo "CREATE TABLE events_${from//-/_} PARTITION OF events FOR VALUES FROM ('$from') TO ('$to');"
    done
    echo "INSERT INTO events SELECT g, 'growth-co', 'message', 'customer said something about order ' || g, timestamptz '2026-11-30T00:00:00Z' - interval '400 days' + (g * (400 * 86400.0 / $rows)) * interval '1 second' FROM generate_series(1, $rows) g;"
    echo "CREATE INDEX events_org_created ON events (org_id, created_at);"
    echo "VACUUM ANALYZE;"
} | psql -q "$part" -v ON_ERROR_STOP=1
DATABASE_URL="$part" "$bin" init >/dev/null
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_purge_part_copy" -c "CREATE DATABASE privctl_purge_part_copy TEMPLATE privctl_purge_part"
part_copy="${base%/*}/privctl_purge_part_copy"
expired=$(psql -tA "$part" -c "SELECT count(*) FROM events WHERE created_at < timestamptz '2026-09-01T00:00:00Z'")
echo "partitioned: rows $rows, expired: $expired"
timed "plain DELETE on the partitioned table" psql -q "$part_copy" -c "DELETE FROM events WHERE created_at < timestamptz '2026-09-01T00:00:00Z'"
echo
DATABASE_URL="$part" "$bin" --format json purge-retention --allow-large > "$work/plan.json"
DATABASE_URL="$part" timed "privctl purge-retention (partitions dropped)" "$bin" --format json purge-retention --confirm - < "$work/plan.json"
echo "  deleted $(jq .total_rows "$work/out"), partitions dropped $(jq '.partitions_dropped | length' "$work/out") in $(jq '[.tables[].seconds] | add' "$work/out") s, longest transaction $(jq .longest_batch_ms "$work/out") ms"
psql -q "$base" -c "DROP DATABASE privctl_purge" -c "DROP DATABASE privctl_purge_copy" -c "DROP DATABASE privctl_purge_part" -c "DROP DATABASE privctl_purge_part_copy"
