#!/usr/bin/env bash
# dsar scan (issue 13) on a generated ~10M-row database of the conversational-ai schema, beside
# baselines in the same run:
#   a) `dsar scan --tenant big` (a tenant of ~100,000 rows; target under 2 s) beside psql
#      `\copy (SELECT * … WHERE <tenant>) TO /dev/null` of the same tenant's rows of the same
#      tables (reading the tenant once: what any scan of its content has to do at least);
#   b) `dsar scan --all-tenants` (every row; target: faster than the pipeline) beside
#      `pg_dump --data-only | grep -cF <email>`.
# Needs a PostgreSQL superuser URL in BENCH_DATABASE_URL (a scratch server: it creates and drops
# the database privctl_bench_scan) and a release build (cargo build --release):
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/scan.sh
# BENCH_BIN: the privctl binary (default target/release/privctl, or $CARGO_TARGET_DIR's);
# BENCH_BEFORE: another build to measure in the same rounds (e.g. the tree before a change).
# BENCH_PAIRS (default 5): rounds of one run of the baseline and of each binary for the tenant
# scan, the order rotating by round; BENCH_FULL_PAIRS (default 3) the same for the full scan.
# Each command runs once untimed first (it warms the cache and shows what it finds).
# BENCH_KEEP=1 leaves the database (for EXPLAIN); BENCH_REUSE=1 uses it if it is there instead of
# generating it again (generation takes minutes). The server keeps its own durability settings
# (the figures in BENCHMARKS.md: fsync on).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
bin="${BENCH_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/privctl}"
before="${BENCH_BEFORE:-}"
pairs="${BENCH_PAIRS:-5}"
full_pairs="${BENCH_FULL_PAIRS:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=privctl_bench_scan
db="${base%/*}/$name"
# The subject (synthetic). Planted below in several spellings; never printed by this script.
email=subject.bench@example.org
phone=+49305550123

exists=$(psql -tA "$base" -c "SELECT count(*) FROM pg_database WHERE datname = '$name'")
if [ -n "${BENCH_REUSE:-}" ] && [ "$exists" = 1 ]; then
    echo "reusing the database $name"
else
psql -q "$base" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
psql -q "$db" -v ON_ERROR_STOP=1 -f fixtures/conversational-ai/schema.postgres.sql -f fixtures/conversational-ai/seed.sql

# ~10M rows in 1,000 tenants (and the fixture's five): `big` holds 1% of the contacts and
# everything hanging from them (~100,000 rows), t001..t999 ~1,000 contacts (~10,000 rows) each.
# Contact g belongs to bench_tenant(g); conversation v is contact bench_conv_contact(v)'s, message
# m is conversation bench_msg_conv(m)'s (so message g is big's when (g - 1) % 1,000,000 < 10,000).
psql -q "$db" -v ON_ERROR_STOP=1 <<'SQL'
CREATE FUNCTION bench_tenant(g bigint) RETURNS text IMMUTABLE LANGUAGE sql AS
  $$ SELECT CASE WHEN g <= 10000 THEN 'big' ELSE 't' || lpad((((g - 10001) % 999) + 1)::text, 3, '0') END $$;
CREATE FUNCTION bench_conv_contact(v bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$ SELECT (v - 1) % 1000000 + 1 $$;
CREATE FUNCTION bench_msg_conv(m bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$ SELECT (m - 1) % 2000000 + 1 $$;
INSERT INTO organizations (id, name, plan, legal_hold, created_at)
  SELECT 'big', 'Big Co', 'scale', false, timestamptz '2025-01-01T00:00:00Z'
  UNION ALL
  SELECT 't' || lpad(j::text, 3, '0'), 'Tenant ' || j, (ARRAY['free', 'starter', 'growth', 'scale', 'enterprise'])[1 + j % 5], false, timestamptz '2025-01-01T00:00:00Z'
  FROM generate_series(1, 999) j;
INSERT INTO members (id, org_id, email, name, role, created_at)
  SELECT 1000000 + o.n * 5 + r, o.id, 'm' || r || '@' || o.id || '.example', 'Member ' || r, (ARRAY['owner', 'admin', 'agent', 'viewer', 'agent'])[r + 1], '2025-01-01T00:00:00Z'
  FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM organizations WHERE id = 'big' OR id ~ '^t[0-9]{3}$') o, generate_series(0, 4) r;
INSERT INTO addresses (id, org_id, line1, city, postcode, country, created_at)
  SELECT 1000000 + g, bench_tenant(g), g || ' Main Street', (ARRAY['Berlin', 'Hamburg', 'München', 'Köln'])[1 + g % 4], lpad((10000 + g % 89999)::text, 5, '0'), 'DE', timestamptz '2025-01-01T00:00:00Z' + g * interval '29 seconds'
  FROM generate_series(1, 1000000, 2) g;
INSERT INTO contacts (id, org_id, external_id, email, phone, name, address_id, created_at)
  SELECT 1000000 + g, bench_tenant(g), 'cust-' || g, 'c' || g || '@example.com', '+4930' || (1000000 + g), 'Contact ' || g,
         CASE WHEN g % 2 = 1 THEN 1000000 + g END, timestamptz '2025-01-01T00:00:00Z' + g * interval '29 seconds'
  FROM generate_series(1, 1000000) g;
INSERT INTO conversations (id, org_id, contact_id, channel, language, assigned_member_id, created_at)
  SELECT 1000000 + g, bench_tenant(bench_conv_contact(g)), 1000000 + bench_conv_contact(g),
         (ARRAY['web', 'whatsapp', 'telegram', 'instagram', 'voice', 'email'])[1 + g % 6], (ARRAY['de', 'en', 'fr'])[1 + g % 3], NULL,
         timestamptz '2025-01-01T00:00:00Z' + g * interval '14 seconds'
  FROM generate_series(1, 2000000) g;
-- Message bodies of 30-110 characters; every 97th gives someone else's email address.
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 1000000 + g, 1000000 + bench_msg_conv(g), (ARRAY['customer', 'bot', 'agent'])[1 + g % 3],
         CASE WHEN g % 97 = 0 THEN 'You can reach me at c' || bench_conv_contact(bench_msg_conv(g)) || '@example.com, thanks!'
              ELSE (ARRAY['Hello, I would like to know where my order ' || g || ' is.',
                          'Your order ORD-' || g || ' has been shipped and should arrive within three to five working days.',
                          'Thanks!',
                          'Can I change the delivery address of order ' || g || ' to my office? It is the same city.',
                          'I am sorry to hear that. Let me check the status of your parcel for you.'])[1 + g % 5] END,
         timestamptz '2025-01-01T00:00:00Z' + g * interval '6 seconds'
  FROM generate_series(1, 5000000) g;
INSERT INTO attachments (id, org_id, message_id, file_name, storage_key, created_at)
  SELECT 1000000 + g, bench_tenant(bench_conv_contact(bench_msg_conv((g * 37 - 1) % 5000000 + 1))), 1000000 + (g * 37 - 1) % 5000000 + 1,
         'file' || g || '.pdf', 'att/' || g, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000) g;
INSERT INTO recordings (id, org_id, conversation_id, storage_key, duration_seconds, created_at)
  SELECT 1000000 + g, bench_tenant(bench_conv_contact((g * 19 - 1) % 2000000 + 1)), 1000000 + (g * 19 - 1) % 2000000 + 1, 'rec/' || g, 60 + g % 600, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000) g;
INSERT INTO transcripts (id, org_id, recording_id, body, language, created_at)
  SELECT 1000000 + g, r.org_id, r.id,
         'Agent: Thank you for calling, how can I help? Customer: I am calling about order ' || g || ', it has not arrived yet.', 'de', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000) g JOIN recordings r ON r.id = 1000000 + g;
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 1000000 + g, bench_tenant(bench_conv_contact((g * 4 - 1) % 2000000 + 1)), 1000000 + (g * 4 - 1) % 2000000 + 1,
         (ARRAY['order_status', 'refund', 'address_change'])[1 + g % 3],
         jsonb_build_array(jsonb_build_object('tool', 'search_orders', 'args', jsonb_build_object('order', 'ORD-' || g, 'limit', 5))),
         'gpt-x', 100 + g % 900, 200 + g % 1000, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 500000) g;
INSERT INTO orders (id, org_id, contact_id, order_number, shipping_address_id, total_cents, created_at)
  SELECT 1000000 + g, bench_tenant((g * 5 - 1) % 1000000 + 1), 1000000 + (g * 5 - 1) % 1000000 + 1, 'ORD-' || g,
         CASE WHEN ((g * 5 - 1) % 1000000 + 1) % 2 = 1 THEN 1000000 + (g * 5 - 1) % 1000000 + 1 END, 1000 + g % 90000, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 400000) g;
INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, amount_cents, currency, issued_at)
  SELECT 1000000 + g, bench_tenant((g * 5 - 1) % 1000000 + 1), 1000000 + (g * 5 - 1) % 1000000 + 1,
         'c' || ((g * 5 - 1) % 1000000 + 1) || '@example.com', 'Contact ' || ((g * 5 - 1) % 1000000 + 1), 1000 + g % 90000, 'EUR', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 200000) g;
INSERT INTO consent_records (id, org_id, contact_id, purpose, granted, ip_address, recorded_at)
  SELECT 1000000 + g, bench_tenant((g * 7 - 1) % 1000000 + 1), 1000000 + (g * 7 - 1) % 1000000 + 1, 'marketing', g % 2 = 0,
         '192.0.2.' || (g % 250 + 1), '2026-01-01T00:00:00Z'
  FROM generate_series(1, 100000) g;
SQL

# The subject: contact 5000 of `big` (email stored as ' Subject.Bench@Example.ORG ', a phone),
# an invoice of theirs (retained with a legal basis), and where the map is silent: a message in
# another contact's conversation (upper case), a JSON tool call of the agent, a transcript with
# the address URL-encoded. A decoy that contains the address but is someone else's
# ('xsubject.bench@…'), and the same address in tenant t500 (read only by the full scan).
psql -q "$db" -v ON_ERROR_STOP=1 <<'SQL'
UPDATE contacts SET email = ' Subject.Bench@Example.ORG ', phone = '+49 30 555 0123' WHERE id = 1005000;
UPDATE invoices SET customer_email = 'subject.bench@example.org' WHERE id = (SELECT min(id) FROM invoices WHERE contact_id = 1005000);
UPDATE messages SET body = 'Please send the receipt to SUBJECT.BENCH@example.org as well.' WHERE id = 1000000 + 7001;
UPDATE messages SET body = 'My login is xsubject.bench@example.org, not the other one.' WHERE id = 1000000 + 7003;
UPDATE agent_traces SET tools_called = '[{"tool": "send_email", "args": {"to": ["subject.bench@example.org"], "template": "receipt"}}]'
  WHERE id = (SELECT min(id) FROM agent_traces WHERE org_id = 'big');
UPDATE transcripts SET body = 'Customer: my address is subject.bench%40example.org, the link had it like that.'
  WHERE id = (SELECT min(id) FROM transcripts WHERE org_id = 'big');
UPDATE contacts SET email = 'subject.bench@example.org' WHERE id = (SELECT min(id) FROM contacts WHERE org_id = 't500');
UPDATE messages SET body = 'Write to subject.bench@example.org please.' WHERE id = (SELECT min(m.id) FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE v.org_id = 't500');
VACUUM ANALYZE;
CHECKPOINT;
SQL
fi

export DATABASE_URL="$db" PRIVCTL_MAP="$PWD/fixtures/conversational-ai/privctl.toml" PRIVCTL_LEDGER_KEY=bench
"$bin" -q init >/dev/null
"$bin" -q map check > "$work/check" 2>&1 || { echo "map check:"; cat "$work/check"; }

tables="organizations members addresses contacts conversations messages attachments recordings transcripts agent_traces orders invoices consent_records"
total=0; big=0
for t in $tables; do
    n=$(psql -tA "$db" -c "SELECT count(*) FROM $t")
    if [ "$t" = messages ]; then
        b=$(psql -tA "$db" -c "SELECT count(*) FROM messages m WHERE m.conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big')")
    elif [ "$t" = organizations ]; then b=1
    else b=$(psql -tA "$db" -c "SELECT count(*) FROM $t WHERE org_id = 'big'"); fi
    total=$((total + n)); big=$((big + b))
done
echo "rows: $total in $(psql -tA "$db" -c "SELECT count(*) FROM organizations") tenants; tenant big: $big rows; database $(psql -tA "$db" -c "SELECT pg_size_pretty(pg_database_size('$name'))")"

# Baseline of (a): the same tenant's rows of the same tables, read once and thrown away: the
# floor for anything that looks at every row of the tenant.
{
    echo "\\copy (SELECT * FROM organizations WHERE id = 'big') TO /dev/null"
    for t in $tables; do
        case $t in
            organizations) ;;
            messages) echo "\\copy (SELECT * FROM messages m WHERE m.conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big')) TO /dev/null" ;;
            *) echo "\\copy (SELECT * FROM $t WHERE org_id = 'big') TO /dev/null" ;;
        esac
    done
} > "$work/copy.sql"

ms() { # command...: runs it, prints wall milliseconds (whole process)
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    t1=$EPOCHREALTIME
    echo "$(( (${t1/./} - ${t0/./}) / 1000 ))"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
baseline_copy() { psql -q "$db" -f "$work/copy.sql"; }
dump_grep() { pg_dump --data-only "$db" | grep -cF "$email" || true; }
tenant() { "$1" --format json dsar scan --tenant big --email "$email"; }
tenant_phone() { "$1" --format json dsar scan --tenant big --email "$email" --phone "$phone"; }
all_tenants() { "$1" --format json dsar scan --all-tenants --email "$email"; }
hits() { jq -r '[.hits[] | "\(.table).\(.column)\(if .selected then "" else " (not selected)" end)\(if .effect == "retain" then " (retained)" else "" end)"] | join(", ")' "$work/out"; }

# The commands of a comparison: "label::command..." (the first is the baseline).
runs() { # scan function, baseline label, baseline command
    local f=$1 label=$2; shift 2
    echo "$label::$*"
    [ -z "$before" ] || echo "privctl before, $f::$f $before"
    echo "privctl, $f::$f $bin"
}

rounds() { # name, pairs, then runs' lines on stdin: each round runs every command once, rotating
    local name=$1 n=$2 cmds=() i j k
    mapfile -t cmds
    for i in "${!cmds[@]}"; do # untimed: warm the cache, show what each finds
        read -ra c <<< "${cmds[$i]##*::}"
        ms "${c[@]}" > /dev/null
        case ${c[0]} in
            dump_grep) echo "  ${cmds[$i]%%::*}: $(cat "$work/out") lines" ;;
            baseline_copy) ;;
            *) echo "  ${cmds[$i]%%::*}: $(hits)"; jq -S .hits "$work/out" > "$work/hits.$i" ;;
        esac
    done
    if [ -n "$before" ] && ! cmp -s "$work/hits.1" "$work/hits.2"; then
        echo "  the two builds report DIFFERENT hits"
    fi
    echo "  load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    : > "$work/times.$name"
    for k in $(seq 1 "$n"); do
        for j in "${!cmds[@]}"; do
            i=$(( (j + k) % ${#cmds[@]} ))
            read -ra c <<< "${cmds[$i]##*::}"
            echo "$i $(ms "${c[@]}")" >> "$work/times.$name"
        done
    done
    echo "  load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    local base_med
    base_med=$(awk '$1 == 0 { print $2 }' "$work/times.$name" | median)
    for i in "${!cmds[@]}"; do
        local t med
        t=$(awk -v i="$i" '$1 == i { print $2 }' "$work/times.$name" | sort -n)
        med=$(echo "$t" | median)
        printf '  %-44s best %7s ms  median %7s ms  %10.0f rows/s  %5.2fx the baseline'"'"'s time\n' "${cmds[$i]%%::*}" \
            "$(echo "$t" | head -1)" "$med" "$(echo "$rows * 1000 / $med" | bc -l)" "$(echo "$med / $base_med" | bc -l)"
    done
}

echo "== (a) one tenant ($big rows), $pairs rounds"
rows=$big
runs tenant "psql \\copy of the tenant's rows" baseline_copy | rounds tenant "$pairs"
echo "== (a') the same with --phone too, $pairs rounds"
runs tenant_phone "psql \\copy of the tenant's rows" baseline_copy | rounds phone "$pairs"
echo "== (b) every row ($total rows), $full_pairs rounds"
rows=$total
runs all_tenants "pg_dump --data-only | grep -cF" dump_grep | rounds full "$full_pairs"

if [ -z "${BENCH_KEEP:-}" ]; then
    psql -q "$base" -c "DROP DATABASE $name"
fi
