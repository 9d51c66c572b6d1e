#!/usr/bin/env bash
# Two builds of privctl side by side on the same data, for the commands a refactor touched:
# export-tenant and delete-tenant (1M rows), purge-retention (4M rows, 3.4M expired) and dsar
# delete, beside their plain-SQL baselines, in alternating pairs (which build goes first alternates), each run on a
# fresh copy of one template database. Needs a PostgreSQL superuser URL (a scratch server: it
# creates and drops databases privctl_cmp*) and two release builds (made with --features test-clock:
# the purge fixes the clock with PRIVCTL_NOW):
#   BENCH_BEFORE=/path/privctl-before BENCH_AFTER=/path/privctl-after \
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/compare.sh
# BENCH_PAIRS (default 3) pairs per command. The server keeps its own durability settings.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
before="${BENCH_BEFORE:?set BENCH_BEFORE to the privctl binary to compare against}"
after="${BENCH_AFTER:-$PWD/target/release/privctl}"
pairs="${BENCH_PAIRS:-3}"
only="${BENCH_ONLY:-export delete-tenant dsar purge}" # a subset of: export delete-tenant dsar purge
wants() { [[ " $only " == *" $1 "* ]]; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRIVCTL_MAP="$PWD/fixtures/conversational-ai/privctl.toml" PRIVCTL_LEDGER_KEY=bench
# The benchmark fixes the clock (PRIVCTL_NOW), which only builds for tests read: a release build
# made with `cargo build --release --features test-clock` (the feature changes nothing else).
for b in "$before" "$after"; do
    PRIVCTL_NOW=2026-11-30T00:00:00Z "$b" completions bash > /dev/null 2>&1 || { echo "$b refuses PRIVCTL_NOW: build it with cargo build --release --features test-clock" >&2; exit 2; }
done
url() { echo "${base%/*}/$1"; }
fresh() { # name, template
    psql -q "$base" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE $2"
}
seconds() { # command...: wall seconds
    /usr/bin/time -f "%e" -o "$work/time" "$@" > /dev/null
    cat "$work/time"
}
report() { # label, file of seconds
    sort -n "$2" | awk -v label="$1" '{ t[NR] = $1 } END { printf "%-34s best %6.2f s  median %6.2f s  (%d runs)\n", label, t[1], t[int((NR + 1) / 2)], NR }'
    echo "    in run order: $(tr '\n' ' ' < "$2")"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- delete-tenant: the conversational-ai fixture with a tenant of 1,000,001 rows.
if wants export || wants delete-tenant || wants dsar; then
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_cmp_tenant" -c "CREATE DATABASE privctl_cmp_tenant"
psql -q "$(url privctl_cmp_tenant)" -v ON_ERROR_STOP=1 -f fixtures/conversational-ai/schema.postgres.sql -f fixtures/conversational-ai/seed.sql
psql -q "$(url privctl_cmp_tenant)" -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO organizations (id, name, plan, legal_hold, created_at) VALUES ('big', 'Big Co', 'scale', false, '2025-01-01T00:00:00Z');
INSERT INTO contacts (id, org_id, email, phone, name, created_at)
  SELECT 1000000 + g, 'big', 'c' || g || '@big.example', '+4930' || (1000000 + g), 'Contact ' || g, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 50000) g;
INSERT INTO conversations (id, org_id, contact_id, channel, language, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % 50000) + 1, 'web', 'de', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000) g;
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 1000000 + g, 1000000 + (g % 100000) + 1, 'customer', 'Hello, I would like to know where my order ' || g || ' is.', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 800000) g;
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 1000000 + g, 'big', 1000000 + (g % 100000) + 1, 'order_status', '["search_orders"]', 'gpt-x', 420, 512, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 50000) g;
VACUUM ANALYZE;
SQL
cat > "$work/plain.sql" <<'PLAIN'
BEGIN;
DELETE FROM agent_traces WHERE org_id = 'big';
DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big');
DELETE FROM conversations WHERE org_id = 'big';
DELETE FROM contacts WHERE org_id = 'big';
COMMIT;
PLAIN
delete_tenant() { # binary, label: the confirmed run's seconds on a fresh copy; its batches and
    # longest batch (from its JSON output) go to $work/dt.<label>.batches
    fresh privctl_cmp_run privctl_cmp_tenant
    export DATABASE_URL; DATABASE_URL=$(url privctl_cmp_run)
    "$1" init > /dev/null
    "$1" --format json delete-tenant --tenant big > "$work/plan.json"
    seconds sh -c "'$1' --format json delete-tenant --tenant big --confirm - < '$work/plan.json' > '$work/done.json'"
    tr -d ' \n' < "$work/done.json" | grep -o '"\(batches\|longest_batch_ms\)":[0-9]*' | tr '\n' ' ' >> "$work/dt.$2.batches"
    echo >> "$work/dt.$2.batches"
    unset DATABASE_URL
}
plain_delete() {
    fresh privctl_cmp_run privctl_cmp_tenant
    seconds psql -q "$(url privctl_cmp_run)" -f "$work/plain.sql"
}
: > "$work/dt.before"; : > "$work/dt.after"; : > "$work/dt.plain"; : > "$work/dt.before.batches"; : > "$work/dt.after.batches"
fi
if wants export; then
# export-tenant, json, of the same tenant (read only: one copy per build, each initialised by
# its own build, serves every run; the baseline reads the same rows).
fresh privctl_cmp_ex_before privctl_cmp_tenant
fresh privctl_cmp_ex_after privctl_cmp_tenant
DATABASE_URL=$(url privctl_cmp_ex_before) "$before" init > /dev/null
DATABASE_URL=$(url privctl_cmp_ex_after) "$after" init > /dev/null
cat > "$work/copy.sql" <<COPY
\copy (SELECT row_to_json(t) FROM organizations t WHERE id = 'big') TO '$work/o.json'
\copy (SELECT row_to_json(t) FROM contacts t WHERE org_id = 'big') TO '$work/c.json'
\copy (SELECT row_to_json(t) FROM conversations t WHERE org_id = 'big') TO '$work/v.json'
\copy (SELECT row_to_json(m) FROM messages m WHERE m.conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big')) TO '$work/m.json'
\copy (SELECT row_to_json(t) FROM agent_traces t WHERE org_id = 'big') TO '$work/a.json'
COPY
export_tenant() { # binary, database
    DATABASE_URL=$(url "$2") seconds "$1" -q export-tenant --tenant big --out "$work/big.json" --force
}
: > "$work/ex.before"; : > "$work/ex.after"; : > "$work/ex.plain"
for i in $(seq 1 "$pairs"); do
    seconds psql -q "$(url privctl_cmp_ex_after)" -f "$work/copy.sql" >> "$work/ex.plain"
    if (( i % 2 )); then
        export_tenant "$before" privctl_cmp_ex_before >> "$work/ex.before"; export_tenant "$after" privctl_cmp_ex_after >> "$work/ex.after"
    else
        export_tenant "$after" privctl_cmp_ex_after >> "$work/ex.after"; export_tenant "$before" privctl_cmp_ex_before >> "$work/ex.before"
    fi
done
echo "== export-tenant, json, 1,000,001 rows"
report "psql \\copy row_to_json" "$work/ex.plain"
report "before" "$work/ex.before"
report "after" "$work/ex.after"
fi
if wants delete-tenant; then
for i in $(seq 1 "$pairs"); do
    plain_delete >> "$work/dt.plain"
    if (( i % 2 )); then
        delete_tenant "$before" before >> "$work/dt.before"; delete_tenant "$after" after >> "$work/dt.after"
    else
        delete_tenant "$after" after >> "$work/dt.after"; delete_tenant "$before" before >> "$work/dt.before"
    fi
done
echo "== delete-tenant, 1,000,001 rows, each build's default batches"
report "plain DELETE, one transaction" "$work/dt.plain"
report "before" "$work/dt.before"
report "after" "$work/dt.after"
echo "    before, each run: $(tr '\n' ';' < "$work/dt.before.batches")"
echo "    after, each run:  $(tr '\n' ';' < "$work/dt.after.batches")"
fi

# --- dsar delete: one subject per run (each run its own contact of tenant big, on one copy).
if wants dsar; then
fresh privctl_cmp_dsar_before privctl_cmp_tenant
fresh privctl_cmp_dsar_after privctl_cmp_tenant
DATABASE_URL=$(url privctl_cmp_dsar_before) "$before" init > /dev/null
DATABASE_URL=$(url privctl_cmp_dsar_after) "$after" init > /dev/null
fresh privctl_cmp_dsar_plain privctl_cmp_tenant
# BENCH_DSAR_FLAGS: flags of both builds' confirmed runs (e.g. --no-scan, to compare the erasure
# alone with the hand-written one; by default each run ends with its residue scan of the tenant).
dsar_flags="${BENCH_DSAR_FLAGS:-}"
dsar_delete() { # binary, database, contact number
    export DATABASE_URL; DATABASE_URL=$(url "$2")
    "$1" --format json dsar delete --tenant big --email "c$3@big.example" > "$work/dsar.json"
    seconds sh -c "'$1' --format json dsar delete --tenant big --email 'c$3@big.example' $dsar_flags --confirm - < '$work/dsar.json'"
}
# The hand-written erase of the same rows (what the map says for such a contact: its
# conversations' messages and traces, its conversations, the contact; matched on the normalised
# email as privctl matches), one transaction, one psql process.
hand_erase() { # contact number
    local who="SELECT id FROM contacts WHERE org_id = 'big' AND lower(trim(email)) = 'c$1@big.example'"
    local talks="SELECT id FROM conversations WHERE org_id = 'big' AND contact_id IN ($who)"
    seconds psql -q "$(url privctl_cmp_dsar_plain)" -c "BEGIN" \
        -c "DELETE FROM messages WHERE conversation_id IN ($talks)" \
        -c "DELETE FROM agent_traces WHERE org_id = 'big' AND conversation_id IN ($talks)" \
        -c "DELETE FROM conversations WHERE id IN ($talks)" \
        -c "DELETE FROM contacts WHERE id IN ($who)" -c "COMMIT"
}
: > "$work/dd.before"; : > "$work/dd.after"; : > "$work/dd.plain"
for i in $(seq 1 $((pairs * 3))); do
    hand_erase "$i" >> "$work/dd.plain"
    if (( i % 2 )); then
        dsar_delete "$before" privctl_cmp_dsar_before "$i" >> "$work/dd.before"; dsar_delete "$after" privctl_cmp_dsar_after "$i" >> "$work/dd.after"
    else
        dsar_delete "$after" privctl_cmp_dsar_after "$i" >> "$work/dd.after"; dsar_delete "$before" privctl_cmp_dsar_before "$i" >> "$work/dd.before"
    fi
done
unset DATABASE_URL
echo "== dsar delete ${dsar_flags:-(with its residue scan)}, one subject of tenant big (1 contact, 2 conversations, 16 messages, 1 trace)"
report "hand-written erase, one transaction" "$work/dd.plain"
report "before" "$work/dd.before"
report "after" "$work/dd.after"
fi

# --- purge-retention: 4,000,000 events over 400 days, two tenants of 30 and 90 days.
if wants purge; then
psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_cmp_purge" -c "CREATE DATABASE privctl_cmp_purge"
psql -q "$(url privctl_cmp_purge)" -v ON_ERROR_STOP=1 <<'SQL'
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
         timestamptz '2026-11-30T00:00:00Z' - interval '400 days' + (g * (400 * 86400.0 / 4000000)) * interval '1 second'
  FROM generate_series(1, 4000000) g;
CREATE INDEX events_org_created ON events (org_id, created_at);
VACUUM ANALYZE;
SQL
cat > "$work/purge.toml" <<'MAP'
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
purge() { # binary
    fresh privctl_cmp_run privctl_cmp_purge
    export DATABASE_URL; DATABASE_URL=$(url privctl_cmp_run)
    "$1" init > /dev/null
    PRIVCTL_MAP="$work/purge.toml" PRIVCTL_NOW=2026-11-30T00:00:00Z "$1" --format json purge-retention --allow-large > "$work/purge.json"
    PRIVCTL_MAP="$work/purge.toml" PRIVCTL_NOW=2026-11-30T00:00:00Z seconds sh -c "'$1' --format json purge-retention --confirm - < '$work/purge.json'"
    unset DATABASE_URL
}
plain_purge() {
    fresh privctl_cmp_run privctl_cmp_purge
    seconds psql -q "$(url privctl_cmp_run)" -c "BEGIN" \
        -c "DELETE FROM events WHERE org_id = 'free-co' AND created_at < timestamptz '2026-10-31T00:00:00Z'" \
        -c "DELETE FROM events WHERE org_id = 'growth-co' AND created_at < timestamptz '2026-09-01T00:00:00Z'" -c "COMMIT"
}
: > "$work/p.before"; : > "$work/p.after"; : > "$work/p.plain"
for i in $(seq 1 "$pairs"); do
    plain_purge >> "$work/p.plain"
    if (( i % 2 )); then
        purge "$before" >> "$work/p.before"; purge "$after" >> "$work/p.after"
    else
        purge "$after" >> "$work/p.after"; purge "$before" >> "$work/p.before"
    fi
done
echo "== purge-retention, 3,400,000 of 4,000,000 rows expired, each build's default batches"
report "plain DELETE, one transaction" "$work/p.plain"
report "before" "$work/p.before"
report "after" "$work/p.after"
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in run tenant ex_before ex_after dsar_before dsar_after dsar_plain purge; do
    psql -q "$base" -c "DROP DATABASE IF EXISTS privctl_cmp_$name"
done
