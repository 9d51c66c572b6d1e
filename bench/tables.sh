#!/usr/bin/env bash
# dsar preview against the number of tables (issue 16: < 150 ms at 500 tables), builds of
# privctl and a hand-written baseline side by side in the same run.
# Needs a PostgreSQL superuser URL in BENCH_DATABASE_URL (a scratch server: it creates and drops
# the databases privctl_bench_tables_N), psql, jq and release builds:
#   BENCH_BEFORE=/path/privctl-before BENCH_AFTER=/path/privctl-after \
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/tables.sh
# BENCH_AFTER defaults to target/release/privctl; BENCH_BEFORE may be left out (then only the
# after build and the baseline are measured). BENCH_BUILDS="label=/path label=/path …" names
# any number of builds instead (the first is the one ratios are taken against). BENCH_TABLES
# (default "50 200 500"): the schema sizes. BENCH_PAIRS (default 5): rounds per size, each one
# run of the baseline and of each build, in an order that rotates from round to round. Every
# build must plan the same rows and digest (read back from the ledger entry of its preview).
#
# The schema of N tables: `tenants` (20 tenants), `contacts` (200, one email each, indexed on
# lower(trim(email))) and N-2 tables t_001… of rows of contacts (id, org_id, contact_id, body,
# created_at; indexed on org_id and contact_id; foreign keys to tenants and contacts), 6 rows each,
# two of them the subject's in tenant01 and the others other contacts', of tenant01 and of other
# tenants (the subject has a contact in tenant02 too). The data map names every table (tenant
# column org_id, identity email on contacts).
# The baseline is one psql process running the hand-written SELECT of the subject's keys of each
# table, in key order (the statements privctl's plan needs at least).
# BENCH_KEEP=DIR leaves the databases (for a statement log) and writes each size's map and
# baseline SQL into DIR; BENCH_TIMES=PREFIX keeps every run's time.
# The server keeps its own durability settings (the figures in BENCHMARKS.md: fsync on).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a scratch PostgreSQL server}"
before="${BENCH_BEFORE:-}"
after="${BENCH_AFTER:-$PWD/target/release/privctl}"
pairs="${BENCH_PAIRS:-5}"
sizes="${BENCH_TABLES:-50 200 500}"
keep="${BENCH_KEEP:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRIVCTL_LEDGER_KEY=bench
tenant=tenant01
email=subject@example.org # the synthetic subject of this benchmark

generate() { # number of tables, database URL, map path, baseline SQL path
    local n=$1 db=$2 map=$3 baseline=$4
    psql -q "$db" -v ON_ERROR_STOP=1 -v n="$n" <<'SQL'
CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL, legal_hold boolean NOT NULL DEFAULT false);
INSERT INTO tenants SELECT 'tenant' || lpad(j::text, 2, '0'), 'Tenant ' || j, false FROM generate_series(1, 20) j;
CREATE TABLE contacts (
    id         bigint PRIMARY KEY,
    org_id     text NOT NULL REFERENCES tenants (id),
    email      text,
    name       text,
    created_at timestamptz NOT NULL
);
CREATE INDEX contacts_org_id ON contacts (org_id);
CREATE INDEX contacts_email_norm ON contacts (lower(trim(email)));
-- Contact g is in tenant 1 + (g - 1) % 20. The subject: contacts 1 and 21 (tenant01, one stored
-- with spaces and capitals) and 2 (tenant02).
INSERT INTO contacts
  SELECT g, 'tenant' || lpad((1 + (g - 1) % 20)::text, 2, '0'),
         CASE WHEN g = 1 THEN ' Subject@Example.ORG ' WHEN g IN (2, 21) THEN 'subject@example.org' ELSE 'c' || g || '@example.com' END,
         'Contact ' || g, timestamptz '2026-01-01T00:00:00Z'
  FROM generate_series(1, 200) g;
SET bench.n TO :'n';
DO $$
DECLARE
    k int;
    t text;
BEGIN
    FOR k IN 1 .. current_setting('bench.n')::int - 2 LOOP
        t := format('t_%s', lpad(k::text, 3, '0'));
        EXECUTE format('CREATE TABLE %I (
            id         bigint PRIMARY KEY,
            org_id     text NOT NULL REFERENCES tenants (id),
            contact_id bigint REFERENCES contacts (id),
            body       text,
            created_at timestamptz NOT NULL)', t);
        EXECUTE format('CREATE INDEX %I ON %I (org_id)', t || '_org_id', t);
        EXECUTE format('CREATE INDEX %I ON %I (contact_id)', t || '_contact_id', t);
        -- Six rows: the subject's two in tenant01 (contacts 1, 21), her row in tenant02
        -- (contact 2), and three of other contacts (tenant01's 41 and others).
        EXECUTE format('INSERT INTO %I SELECT row_number() OVER (ORDER BY c.id), c.org_id, c.id, %L, timestamptz ''2026-01-01T00:00:00Z''
                        FROM contacts c WHERE c.id IN (1, 21, 2, 41, %s, %s)', t, 'note ' || k, 3 + k % 17, 61 + k % 120);
    END LOOP;
END $$;
VACUUM ANALYZE;
SQL
    {
        cat <<'MAP'
version = 1

[tenant]
table = "tenants"
id = "id"
legal_hold = "legal_hold"

[identities]
email = { kind = "email" }

[tables.contacts]
tenant = "org_id"
identities = { email = "email" }
erase = "delete"

[keys]
ledger = "env:PRIVCTL_LEDGER_KEY"
MAP
        for k in $(seq 1 $((n - 2))); do
            printf '\n[tables.t_%03d]\ntenant = "org_id"\n' "$k"
        done
    } > "$map"
    {
        echo "SELECT c.id FROM contacts c WHERE c.org_id = '$tenant' AND lower(trim(c.email)) = '$email' ORDER BY c.id;"
        for k in $(seq 1 $((n - 2))); do
            printf "SELECT t.id FROM t_%03d t WHERE t.org_id = '%s' AND t.contact_id IN (SELECT c.id FROM contacts c WHERE c.org_id = '%s' AND lower(trim(c.email)) = '%s') ORDER BY t.id;\n" "$k" "$tenant" "$tenant" "$email"
        done
    } > "$baseline"
}

ms() { # command...: wall milliseconds, output discarded
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    t1=$EPOCHREALTIME
    echo "$(( (${t1/./} - ${t0/./}) / 1000 ))"
}
stats() { # label, file of milliseconds: best and median
    sort -n "$2" | awk -v l="$1" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "  %-26s best %5d ms  median %7.1f ms  (%d runs)\n", l, v[1], m, NR }'
    echo "      in run order: $(tr '\n' ' ' < "$2")"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A bin
builds=()
if [ -n "${BENCH_BUILDS:-}" ]; then
    for spec in $BENCH_BUILDS; do builds+=("${spec%%=*}"); bin[${spec%%=*}]=${spec#*=}; done
else
    [ -z "$before" ] || { builds+=(before); bin[before]=$before; }
    builds+=(after); bin[after]=$after
fi
first=${builds[0]}
for n in $sizes; do
    name=privctl_bench_tables_$n
    db="${base%/*}/$name"
    psql -q "$base" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    generate "$n" "$db" "$work/map.$n.toml" "$work/baseline.$n.sql"
    export DATABASE_URL="$db" PRIVCTL_MAP="$work/map.$n.toml"
    "${bin[$first]}" init > /dev/null
    for b in "${builds[@]}"; do
        "${bin[$b]}" -q map check > "$work/check" 2>&1 || { echo "map check with the $b build:"; cat "$work/check"; exit 1; }
    done
    rows=$((20 + 200 + 6 * (n - 2)))
    preview=(--format json dsar preview --tenant "$tenant" --email "$email")
    # The same plan from each build (rows per table and the digest over the keys), and the rows
    # the baseline reads.
    for b in "${builds[@]}"; do
        "${bin[$b]}" "${preview[@]}" | jq -c '[.tables[] | "\(.table)=\(.rows)"]' > "$work/plan.$b"
        psql -X -tA "$db" -c "SELECT (details::json)->>'plan_digest' FROM privctl_ledger ORDER BY seq DESC LIMIT 1" >> "$work/plan.$b"
        cmp -s "$work/plan.$first" "$work/plan.$b" || { echo "the $b build's plan differs from the $first build's at $n tables"; exit 1; }
    done
    planned=$(head -1 "$work/plan.$first" | jq '[.[] | split("=")[1] | tonumber] | add')
    read_rows=$(psql -X -tA "$db" -f "$work/baseline.$n.sql" | grep -c .)
    [ "$planned" = "$read_rows" ] || { echo "privctl plans $planned rows, the baseline reads $read_rows"; exit 1; }
    echo "== $n tables: $rows rows; the subject's rows in $tenant: $planned"
    echo "  load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    kinds=(baseline "${builds[@]}")
    for k in "${kinds[@]}"; do : > "$work/t.$n.$k"; done
    for round in $(seq 1 "$pairs"); do
        # Rotate the order: each of the two or three goes first in turn.
        order=()
        for i in "${!kinds[@]}"; do order+=("${kinds[$(( (i + round) % ${#kinds[@]} ))]}"); done
        for k in "${order[@]}"; do
            case $k in
                baseline) ms psql -X -q "$db" -f "$work/baseline.$n.sql" >> "$work/t.$n.$k" ;;
                *) ms "${bin[$k]}" "${preview[@]}" >> "$work/t.$n.$k" ;;
            esac
        done
    done
    echo "  load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    stats "psql, per-table SELECTs" "$work/t.$n.baseline"
    for b in "${builds[@]}"; do stats "privctl $b" "$work/t.$n.$b"; done
    for b in "${builds[@]}"; do
        ratio="$(echo "scale = 2; $(median "$work/t.$n.$b") / $(median "$work/t.$n.baseline")" | bc -l)x the baseline"
        [ "$b" = "$first" ] || ratio="$ratio, $(echo "scale = 2; $(median "$work/t.$n.$b") / $(median "$work/t.$n.$first")" | bc -l)x $first"
        echo "  median $b: $ratio"
    done
    [ -z "${BENCH_TIMES:-}" ] || for k in "${kinds[@]}"; do cp "$work/t.$n.$k" "$BENCH_TIMES.$n.$k"; done
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp "$work/map.$n.toml" "$work/baseline.$n.sql" "$keep/"
    else
        psql -q "$base" -c "DROP DATABASE $name"
    fi
done
