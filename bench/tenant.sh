#!/usr/bin/env bash
# export-tenant and delete-tenant on a generated tenant of ~1M rows, beside psql baselines in the
# same run. Needs a PostgreSQL superuser URL in BENCH_DATABASE_URL (a scratch server: it creates
# and drops the database `privctl_bench`) and a release build (cargo build --release).
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/tenant.sh
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
bin="${BENCH_BIN:-$PWD/target/release/privctl}"  # BENCH_BIN: another build to measure
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="${base%/*}/privctl_bench"
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_bench" -c "CREATE DATABASE privctl_bench"
psql -q "$db" -v ON_ERROR_STOP=1 -f fixtures/conversational-ai/schema.postgres.sql -f fixtures/conversational-ai/seed.sql
scale="${BENCH_SCALE:-1}"
psql -q "$db" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO organizations (id, name, plan, legal_hold, created_at) VALUES ('big', 'Big Co', 'scale', false, '2025-01-01T00:00:00Z');
INSERT INTO contacts (id, org_id, email, phone, name, created_at)
  SELECT 1000000 + g, 'big', 'c' || g || '@big.example', '+4930' || (1000000 + g), 'Contact ' || g, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 50000 * $scale) g;
INSERT INTO conversations (id, org_id, contact_id, channel, language, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % (50000 * $scale)) + 1, 'web', 'de', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000 * $scale) g;
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 1000000 + g, 1000000 + (g % (100000 * $scale)) + 1, 'customer', 'Hello, I would like to know where my order ' || g || ' is.', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 800000 * $scale) g;
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % (100000 * $scale)) + 1, 'order_status', '["search_orders"]', 'gpt-x', 420, 512, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 50000 * $scale) g;
VACUUM ANALYZE;
SQL
export DATABASE_URL="$db" PRIVCTL_MAP="$PWD/fixtures/conversational-ai/privctl.toml" PRIVCTL_LEDGER_KEY=bench
"$bin" init >/dev/null
rows=$(psql -tA "$db" -c "SELECT (SELECT count(*) FROM contacts WHERE org_id='big') + (SELECT count(*) FROM conversations WHERE org_id='big') + (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.org_id='big') + (SELECT count(*) FROM agent_traces WHERE org_id='big') + 1")
echo "tenant rows: $rows"

measure() { # label, command...: wall seconds and peak RSS (KiB)
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
    read -r secs rss < "$work/time"
    printf '%-28s %8.2f s %10.0f rows/s  peak RSS %6.1f MiB\n' "$label" "$secs" "$(echo "$rows / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

# Baseline: psql renders each table's rows of the tenant as JSON and copies them out.
cat > "$work/copy.sql" <<COPY
\copy (SELECT row_to_json(t) FROM organizations t WHERE id = 'big') TO '$work/o.json'
\copy (SELECT row_to_json(t) FROM contacts t WHERE org_id = 'big') TO '$work/c.json'
\copy (SELECT row_to_json(t) FROM conversations t WHERE org_id = 'big') TO '$work/v.json'
\copy (SELECT row_to_json(m) FROM messages m WHERE m.conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big')) TO '$work/m.json'
\copy (SELECT row_to_json(t) FROM agent_traces t WHERE org_id = 'big') TO '$work/a.json'
COPY
for run in 1 2; do
    measure "psql \\copy row_to_json #$run" psql -q "$db" -f "$work/copy.sql"
    rm -f "$work"/*.json
    measure "privctl export-tenant #$run" "$bin" -q export-tenant --tenant big --out "$work/big.json" --force
done
measure "privctl export-tenant ndjson" "$bin" -q export-tenant --tenant big --out "$work/big.ndjson" --output-format ndjson
measure "privctl export --encrypt" sh -c "head -c 32 /dev/urandom > $work/k && $bin -q export-tenant --tenant big --out $work/big.enc --encrypt --key-file $work/k"

# delete-tenant: the batched, resumable path, beside one plain DELETE per table in one transaction
# on a copy of the same data.
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_bench_copy" -c "CREATE DATABASE privctl_bench_copy TEMPLATE privctl_bench"
copy="${base%/*}/privctl_bench_copy"
cat > "$work/plain.sql" <<PLAIN
BEGIN;
DELETE FROM agent_traces WHERE org_id = 'big';
DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big');
DELETE FROM conversations WHERE org_id = 'big';
DELETE FROM contacts WHERE org_id = 'big';
COMMIT;
PLAIN
measure "plain DELETE, one tx" psql -q "$copy" -f "$work/plain.sql"
"$bin" --format json delete-tenant --tenant big > "$work/plan.json"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" --format json delete-tenant --tenant big --confirm - < "$work/plan.json" > "$work/done.json"
read -r secs rss < "$work/time"
printf '%-28s %8.2f s %10.0f rows/s  peak RSS %6.1f MiB  batches %s, longest batch %s ms\n' "privctl delete-tenant" "$secs" \
    "$(echo "$rows / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(jq .batches "$work/done.json")" "$(jq .longest_batch_ms "$work/done.json")"
psql -q "$base" -c "DROP DATABASE privctl_bench" -c "DROP DATABASE privctl_bench_copy"
