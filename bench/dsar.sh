#!/usr/bin/env bash
# dsar preview latency, two builds of privctl side by side on the same data (issue 12: the union of
# a table's routes to its tenant must cost no more than 20% over the single route of before).
# Needs a PostgreSQL superuser URL in BENCH_DATABASE_URL (a scratch server: it creates and drops
# the database privctl_bench_dsar) and two release builds:
#   BENCH_BEFORE=/path/privctl-before BENCH_AFTER=/path/privctl-after \
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/dsar.sh
# BENCH_AFTER defaults to target/release/privctl. Each binary runs `dsar preview --format json` for
# twelve subjects; BENCH_PAIRS (default 5) rounds of one run of each per subject, which one goes
# first alternating. Three passes, each with one map for both binaries: with a table of two
# nullable routes to its tenant, then with that table dropped (the fixture's map), then with the
# indexes `map check` proposes created. Each pass ends with p50/p95/max over every run.
# BENCH_KEEP=1 leaves the database (for EXPLAIN); BENCH_TIMES=PREFIX keeps every run's time.
# BENCH_SCALE=S (default 1) multiplies every table's rows and the number of small tenants by S
# (S=17: about 17M rows in 3,384 tenants); the big tenant holds 40,000 contacts times min(S, 2).
# BENCH_PASSES (default "union fixture indexed") picks the passes. Every pass also times a
# baseline in the same rounds: one psql process running hand-written SELECTs of the subject's
# rows (its contacts by the normalised email, phone or external id, and what hangs from them).
# The server keeps its own durability settings (the figures in BENCHMARKS.md: fsync on).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
before="${BENCH_BEFORE:?set BENCH_BEFORE to the privctl binary to compare against}"
after="${BENCH_AFTER:-$PWD/target/release/privctl}"
pairs="${BENCH_PAIRS:-5}"
keep="${BENCH_KEEP:-}"          # non-empty: leave the database for EXPLAIN
scale="${BENCH_SCALE:-1}"
passes=" ${BENCH_PASSES:-union fixture indexed} "
# Sizes: contacts C (B of them in `big`), T small tenants, conversations V, messages M.
C=$((100000 * scale)); B=$((40000 * (scale < 2 ? scale : 2))); T=$((199 * scale)); V=$((200000 * scale)); M=$((420000 * scale))
W=$(( T < 1000 ? 3 : 4 ))     # digits of a small tenant's number
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=privctl_bench_dsar
db="${base%/*}/$name"
# BENCH_REUSE=1 keeps the database an earlier run left (BENCH_KEEP=1) instead of generating it.
if [ -n "${BENCH_REUSE:-}" ] && psql -tA "$base" -c "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    echo "reusing $name"
else
psql -q "$base" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
psql -q "$db" -v ON_ERROR_STOP=1 -f fixtures/conversational-ai/schema.postgres.sql -f fixtures/conversational-ai/seed.sql

# One table with two nullable routes to its tenant and no tenant column: feedback left on a
# conversation, on a contact, or both. Before issue 12 privctl took one route (the first foreign
# key); now a row belongs to the tenant through either.
psql -q "$db" -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE feedback (
    id              BIGINT PRIMARY KEY,
    conversation_id BIGINT NULL REFERENCES conversations (id),
    contact_id      BIGINT NULL REFERENCES contacts (id),
    email           TEXT NULL,
    rating          INTEGER,
    comment         TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_feedback_conversation_id ON feedback (conversation_id);
CREATE INDEX idx_feedback_contact_id ON feedback (contact_id);
CREATE INDEX idx_feedback_email ON feedback (email);
CREATE INDEX idx_feedback_created_at ON feedback (created_at);
SQL

# ~1M rows over 200 tenants: `big` holds 40% of the contacts and everything hanging from them,
# t001..t199 about 300 contacts each. Contact g belongs to bench_tenant(g); a conversation, its
# messages and traces follow their contact's tenant.
psql -q "$db" -v ON_ERROR_STOP=1 <<SQL
CREATE FUNCTION bench_tenant(g bigint) RETURNS text IMMUTABLE LANGUAGE sql AS
  \$\$ SELECT CASE WHEN g <= $B THEN 'big' ELSE 't' || lpad((((g - $B - 1) % $T) + 1)::text, $W, '0') END \$\$;
INSERT INTO organizations (id, name, plan, legal_hold, created_at)
  SELECT 'big', 'Big Co', 'scale', false, timestamptz '2025-01-01T00:00:00Z'
  UNION ALL
  SELECT 't' || lpad(j::text, $W, '0'), 'Tenant ' || j, (ARRAY['free', 'starter', 'growth', 'scale', 'enterprise'])[1 + j % 5], false, timestamptz '2025-01-01T00:00:00Z'
  FROM generate_series(1, $T) j;
INSERT INTO members (id, org_id, email, name, role, created_at)
  SELECT 1000000 + o.n * 5 + r, o.id, 'm' || r || '@' || o.id || '.example', 'Member ' || r, (ARRAY['owner', 'admin', 'agent', 'viewer', 'agent'])[r + 1], '2025-01-01T00:00:00Z'
  FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM organizations WHERE id = 'big' OR id ~ '^t[0-9]+\$') o, generate_series(0, 4) r;
INSERT INTO addresses (id, org_id, line1, city, postcode, country, created_at)
  SELECT 1000000 + g, bench_tenant(g), g || ' Main Street', 'Berlin', '10115', 'DE', '2026-01-01T00:00:00Z'
  FROM generate_series(1, $C, 2) g;
INSERT INTO contacts (id, org_id, external_id, email, phone, name, address_id, created_at)
  SELECT 1000000 + g, bench_tenant(g), 'cust-' || g, 'c' || g || '@example.com', '+4930' || (1000000 + g), 'Contact ' || g,
         CASE WHEN g % 2 = 1 THEN 1000000 + g END, '2026-01-01T00:00:00Z'
  FROM generate_series(1, $C) g;
INSERT INTO conversations (id, org_id, contact_id, channel, language, assigned_member_id, created_at)
  SELECT 1000000 + g, bench_tenant((g - 1) % $C + 1), 1000000 + (g - 1) % $C + 1, 'web', 'de', NULL, '2026-01-01T00:00:00Z'
  FROM generate_series(1, $V) g;
INSERT INTO messages (id, conversation_id, sender, body, created_at)
  SELECT 1000000 + g, 1000000 + (g - 1) % $V + 1, CASE WHEN g % 2 = 0 THEN 'customer' ELSE 'bot' END,
         'Hello, I would like to know where my order ' || g || ' is.', '2026-01-01T00:00:00Z'
  FROM generate_series(1, $M) g;
INSERT INTO attachments (id, org_id, message_id, file_name, storage_key, created_at)
  SELECT 1000000 + g, bench_tenant(((g * 37 - 1) % $V) % $C + 1), 1000000 + (g * 37 - 1) % $V + 1, 'file' || g || '.pdf', 'att/' || g, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 10000 * $scale) g;
INSERT INTO recordings (id, org_id, conversation_id, storage_key, duration_seconds, created_at)
  SELECT 1000000 + g, bench_tenant(((g * 19 - 1) % $V) % $C + 1), 1000000 + (g * 19 - 1) % $V + 1, 'rec/' || g, 60, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 10000 * $scale) g;
INSERT INTO transcripts (id, org_id, recording_id, body, language, created_at)
  SELECT 1000000 + g, r.org_id, r.id, 'transcript ' || g, 'de', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 10000 * $scale) g JOIN recordings r ON r.id = 1000000 + g;
INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at)
  SELECT 1000000 + g, bench_tenant(((g * 4 - 1) % $V) % $C + 1), 1000000 + (g * 4 - 1) % $V + 1, 'order_status', '["search_orders"]', 'gpt-x', 420, 512, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 50000 * $scale) g;
INSERT INTO orders (id, org_id, contact_id, order_number, shipping_address_id, total_cents, created_at)
  SELECT 1000000 + g, bench_tenant((g * 5 - 1) % $C + 1), 1000000 + (g * 5 - 1) % $C + 1, 'ORD-' || g,
         CASE WHEN ((g * 5 - 1) % $C + 1) % 2 = 1 THEN 1000000 + (g * 5 - 1) % $C + 1 END, 4200, '2026-01-01T00:00:00Z'
  FROM generate_series(1, 40000 * $scale) g;
INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, amount_cents, currency, issued_at)
  SELECT 1000000 + g, bench_tenant((g * 5 - 1) % $C + 1), 1000000 + (g * 5 - 1) % $C + 1, 'c' || ((g * 5 - 1) % $C + 1) || '@example.com', 'Contact', 4200, 'EUR', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 20000 * $scale) g;
INSERT INTO consent_records (id, org_id, contact_id, purpose, granted, ip_address, recorded_at)
  SELECT 1000000 + g, bench_tenant((g * 5 - 1) % $C + 1), 1000000 + (g * 5 - 1) % $C + 1, 'marketing', true, '192.0.2.1', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 20000 * $scale) g;
-- Feedback: a third on a conversation only, a third on a contact only, a third on both, and
-- 1% on neither (a row of no tenant).
INSERT INTO feedback (id, conversation_id, contact_id, email, rating, comment, created_at)
  SELECT 1000000 + g,
         CASE WHEN g % 100 <> 0 AND g % 3 <> 1 THEN 1000000 + (g * 3 - 1) % $V + 1 END,
         CASE WHEN g % 100 <> 0 AND g % 3 <> 0 THEN 1000000 + (g * 3 - 1) % $V % $C + 1 END,
         'f' || g || '@example.net', 1 + g % 5, 'thanks', '2026-01-01T00:00:00Z'
  FROM generate_series(1, 60000 * $scale) g;

-- Twelve subjects: 1-4 in big, 5-12 in small tenants; each is five contacts (one stored with
-- spaces and capitals), with what hangs from them, and two feedback rows by email on another
-- conversation of the tenant (reached through the conversation route only).
CREATE TABLE bench_subjects (k int PRIMARY KEY, tenant text NOT NULL, email text NOT NULL);
INSERT INTO bench_subjects SELECT k, CASE WHEN k <= 4 THEN 'big' ELSE 't' || lpad(((k - 4) * 20)::text, $W, '0') END, 'subject' || k || '@example.org'
  FROM generate_series(1, 12) k;
UPDATE contacts c SET email = CASE WHEN s.n = 0 THEN ' Subject' || s.k || '@Example.ORG ' ELSE s.email END
  FROM (SELECT b.k, b.email, n, CASE WHEN b.k <= 4 THEN b.k * 1000 + n * 7 ELSE $B + (b.k - 4) * 20 + $T * n * 3 END AS g
        FROM bench_subjects b, generate_series(0, 4) n) s
  WHERE c.id = 1000000 + s.g;
INSERT INTO feedback (id, conversation_id, contact_id, email, rating, comment, created_at)
  SELECT 900000000 + b.k * 10 + n, (SELECT v.id FROM conversations v WHERE v.org_id = b.tenant ORDER BY v.id OFFSET 10 + n LIMIT 1), NULL, b.email, 1, 'slow', '2026-01-01T00:00:00Z'
  FROM bench_subjects b, generate_series(0, 1) n;
VACUUM ANALYZE;
SQL
fi
rows=$(psql -tA "$db" -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE relname <> 'bench_subjects'")
big=$(psql -tA "$db" -c "SELECT (SELECT count(*) FROM contacts WHERE org_id = 'big') * 100 / (SELECT count(*) FROM contacts)")
echo "rows (the statistics' count): $rows in $(psql -tA "$db" -c "SELECT count(*) FROM organizations") tenants; big holds ${big}% of the contacts"

# Two passes, each with one map for both binaries. `union`: the fixture's map plus the feedback
# table (no tenant column, identity email, both links are foreign keys found in the catalog):
# before takes one route for it, after the union of both. `fixture`: the feedback table dropped
# and the fixture's map as it is, so no table has more than one route and any difference is the
# rest of issue 12's changes.
cp fixtures/conversational-ai/privctl.toml "$work/fixture.toml"
cat >> "$work/fixture.toml" <<'MAP'

[tables.bench_subjects]
ignore = true
reason = "the benchmark's list of subjects"
MAP
cp "$work/fixture.toml" "$work/union.toml"
cat >> "$work/union.toml" <<'MAP'

[tables.feedback]
identities = { email = "email" }
category = "contact"
timestamp = "created_at"
erase = "delete"
MAP
export DATABASE_URL="$db" PRIVCTL_LEDGER_KEY=bench
PRIVCTL_MAP="$work/union.toml" "$after" init >/dev/null

# The subjects: email only for most, email and phone for two (phones make the match normalise
# every stored phone of the tenant).
# Two more (2, 6) also by external id.
mapfile -t subjects < <(psql -tA -F ' ' "$db" -c "SELECT tenant, email, CASE WHEN k IN (3, 7) THEN (SELECT phone FROM contacts WHERE id = 1000000 + CASE WHEN k <= 4 THEN k * 1000 ELSE $B + (k - 4) * 20 END) ELSE '-' END, CASE WHEN k IN (2, 6) THEN (SELECT external_id FROM contacts WHERE id = 1000000 + CASE WHEN k <= 4 THEN k * 1000 + 7 ELSE $B + (k - 4) * 20 + 3 * $T END) ELSE '-' END FROM bench_subjects ORDER BY k")

run() { # binary, subject index: prints milliseconds; the JSON plan in $work/out
    local bin=$1 i=$2 t0 t1 tenant email phone external
    read -r tenant email phone external <<< "${subjects[$i]}"
    local args=(--format json dsar preview --tenant "$tenant" --email "$email")
    [ "$phone" != - ] && args+=(--phone "$phone")
    [ "$external" != - ] && args+=(--identity "external_id=$external")
    t0=$EPOCHREALTIME
    "$bin" "${args[@]}" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    t1=$EPOCHREALTIME
    echo "$(( (${t1/./} - ${t0/./}) / 1000 ))"
}
# The baseline: one psql process, hand-written SELECTs of the same subject's rows (the contacts
# matched as privctl matches them, normalised, and the rows that hang from them), to /dev/null.
hand_sql() { # with feedback? (yes/no)
    local who="SELECT id, address_id FROM contacts WHERE org_id = :'t' AND (lower(trim(email)) = :'e' OR replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', '') = :'p' OR external_id = :'x')"
    local talks="SELECT v.id FROM conversations v WHERE v.org_id = :'t' AND v.contact_id IN (SELECT id FROM s)"
    cat <<HAND
\\o /dev/null
WITH s AS ($who) SELECT c.* FROM contacts c WHERE c.id IN (SELECT id FROM s);
WITH s AS ($who) SELECT a.* FROM addresses a WHERE a.org_id = :'t' AND (a.id IN (SELECT address_id FROM s) OR a.id IN (SELECT o.shipping_address_id FROM orders o WHERE o.contact_id IN (SELECT id FROM s)));
WITH s AS ($who) SELECT v.* FROM conversations v WHERE v.id IN ($talks);
WITH s AS ($who) SELECT m.* FROM messages m WHERE m.conversation_id IN ($talks);
WITH s AS ($who) SELECT a.* FROM attachments a WHERE a.org_id = :'t' AND a.message_id IN (SELECT m.id FROM messages m WHERE m.conversation_id IN ($talks));
WITH s AS ($who) SELECT r.* FROM recordings r WHERE r.org_id = :'t' AND r.conversation_id IN ($talks);
WITH s AS ($who) SELECT x.* FROM transcripts x WHERE x.org_id = :'t' AND x.recording_id IN (SELECT r.id FROM recordings r WHERE r.conversation_id IN ($talks));
WITH s AS ($who) SELECT g.* FROM agent_traces g WHERE g.org_id = :'t' AND g.conversation_id IN ($talks);
WITH s AS ($who) SELECT o.* FROM orders o WHERE o.org_id = :'t' AND o.contact_id IN (SELECT id FROM s);
WITH s AS ($who) SELECT i.* FROM invoices i WHERE i.org_id = :'t' AND (i.contact_id IN (SELECT id FROM s) OR lower(trim(i.customer_email)) = :'e');
WITH s AS ($who) SELECT k.* FROM consent_records k WHERE k.org_id = :'t' AND k.contact_id IN (SELECT id FROM s);
SELECT m.* FROM members m WHERE m.org_id = :'t' AND lower(trim(m.email)) = :'e';
HAND
    if [ "$1" = yes ]; then
        echo "WITH s AS ($who) SELECT f.* FROM feedback f WHERE lower(trim(f.email)) = :'e' OR f.contact_id IN (SELECT id FROM s) OR f.conversation_id IN ($talks);"
    fi
}
hand() { # subject index: prints milliseconds
    local i=$1 t0 t1 tenant email phone external
    read -r tenant email phone external <<< "${subjects[$i]}"
    t0=$EPOCHREALTIME
    psql -q -X "$db" -v ON_ERROR_STOP=1 -v t="$tenant" -v e="$email" -v p="$phone" -v x="$external" -f "$work/hand.sql" > /dev/null
    t1=$EPOCHREALTIME
    echo "$(( (${t1/./} - ${t0/./}) / 1000 ))"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

pass() { # map name
    [[ "$passes" == *" $1 "* ]] || return 0
    export PRIVCTL_MAP="$work/$1.toml"
    echo "== map: $1"
    hand_sql "$([ "$1" = union ] && echo yes || echo no)" > "$work/hand.sql"
    for bin in "$before" "$after"; do
        "$bin" -q map check > "$work/check" 2>&1 || { echo "map check with $bin:"; cat "$work/check"; }
    done
    # Same rows? Each binary's rows per table, per subject (they differ where before missed a route).
    for i in "${!subjects[@]}"; do
        run "$before" "$i" > /dev/null; jq -c '[.tables[] | select(.rows > 0) | "\(.table)=\(.rows)"]' "$work/out" > "$work/b.$i"
        run "$after" "$i" > /dev/null; jq -c '[.tables[] | select(.rows > 0) | "\(.table)=\(.rows)"]' "$work/out" > "$work/a.$i"
        if ! cmp -s "$work/b.$i" "$work/a.$i"; then
            echo "subject $((i + 1)) (${subjects[$i]%% *}) rows differ: before $(jq -r 'map(select(startswith("feedback"))) | join(",")' "$work/b.$i"), after $(jq -r 'map(select(startswith("feedback"))) | join(",")' "$work/a.$i") (other tables: $(diff <(jq -r '.[]' "$work/b.$i" | grep -v ^feedback) <(jq -r '.[]' "$work/a.$i" | grep -v ^feedback) > /dev/null && echo same || echo DIFFERENT))"
        fi
    done
    : > "$work/times.$1"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    for round in $(seq 1 "$pairs"); do
        for i in "${!subjects[@]}"; do
            if (( (round + i) % 2 )); then order=(hand before after); else order=(after before hand); fi
            for which in "${order[@]}"; do
                if [ "$which" = hand ]; then
                    echo "$round $i hand $(hand "$i")" >> "$work/times.$1"
                    continue
                fi
                bin=$before; [ "$which" = after ] && bin=$after
                echo "$round $i $which $(run "$bin" "$i")" >> "$work/times.$1"
            done
        done
    done
    echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-8s %-6s %12s %12s %12s %12s %7s %12s %9s\n' subject tenant "before best" "before med" "after best" "after med" "ratio" "psql med" "vs psql"
    for i in "${!subjects[@]}"; do
        b=$(awk -v i="$i" '$2 == i && $3 == "before" { print $4 }' "$work/times.$1" | sort -n)
        a=$(awk -v i="$i" '$2 == i && $3 == "after" { print $4 }' "$work/times.$1" | sort -n)
        h=$(awk -v i="$i" '$2 == i && $3 == "hand" { print $4 }' "$work/times.$1" | sort -n)
        bmed=$(echo "$b" | median); amed=$(echo "$a" | median); hmed=$(echo "$h" | median)
        echo "$i $bmed $amed" >> "$work/medians.$1"
        printf '%-8s %-6s %9s ms %9s ms %9s ms %9s ms %6.2fx %9s ms %8.2fx\n' "$((i + 1))" "${subjects[$i]%% *}" "$(echo "$b" | head -1)" "$bmed" "$(echo "$a" | head -1)" "$amed" "$(echo "$amed / $bmed" | bc -l)" "$hmed" "$(echo "$hmed / $amed" | bc -l)"
    done
    awk '{ b += $2; a += $3; if ($1 < 4) { bb += $2; ab += $3 } else { bs += $2; as += $3 } }
         END { printf "sum of medians: before %d ms, after %d ms, ratio %.2fx (big: %.2fx, small tenants: %.2fx)\n", b, a, a / b, ab / bb, as / bs }' "$work/medians.$1"
    for which in hand before after; do # every run of every subject: the latency an operator sees
        awk -v w="$which" '$3 == w { print $4 }' "$work/times.$1" | sort -n |
            awk -v w="$which" '{ v[NR] = $1 } END { printf "%-6s all %d runs: p50 %d ms, p95 %d ms, max %d ms\n", w, NR, v[int(NR * 0.50 + 0.5)], v[int(NR * 0.95 + 0.5)], v[NR] }'
    done
    [ -z "${BENCH_TIMES:-}" ] || cp "$work/times.$1" "$BENCH_TIMES.$1"
}
pass union
psql -q "$db" -c "DROP TABLE IF EXISTS feedback"
pass fixture
# The same with the indexes `map check` proposes (an expression index per normalised identity):
# what an operator who followed its advice gets.
cp "$work/fixture.toml" "$work/indexed.toml"
{ PRIVCTL_MAP="$work/indexed.toml" "$after" map check 2>/dev/null || true; } | { grep '^CREATE INDEX' || true; } | sed 's/ CONCURRENTLY//' | psql -q -v ON_ERROR_STOP=1 "$db"
psql -q "$db" -c "ANALYZE"
pass indexed
if [ -z "$keep" ]; then
    psql -q "$base" -c "DROP DATABASE $name"
fi
