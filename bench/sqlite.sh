#!/usr/bin/env bash
# SQLite export-tenant and dsar preview (issue 16), each beside sqlite3 reading the same rows in
# the same run. Generates a SQLite database from fixtures/conversational-ai (schema.sqlite.sql,
# seed.sql, then bench/sqlite_gen.sql: tenant `big` of 1,000,001 rows, 199 small tenants of
# ~1,350 rows, eight subjects), then measures in alternating pairs:
#   (a) privctl export-tenant --tenant big (JSON) vs sqlite3 -json of the same rows to a file;
#   (b) privctl dsar preview for eight subjects (four in big) vs sqlite3 running the
#       hand-written SQL of the same rows.
# Needs sqlite3, jq and a release build:
#   bench/sqlite.sh
#   BENCH_BEFORE=/path/privctl-before bench/sqlite.sh   # that build measured too, in the same pairs
# BENCH_BIN: the build to measure (default target/release/privctl); BENCH_PAIRS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BENCH_BIN:-$PWD/target/release/privctl}"
before="${BENCH_BEFORE:-}"
pairs="${BENCH_PAIRS:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/bench.sqlite3"
cat fixtures/conversational-ai/schema.sqlite.sql fixtures/conversational-ai/seed.sql bench/sqlite_gen.sql \
    | sqlite3 "$db" > /dev/null
export DATABASE_URL="sqlite://$db" PRIVCTL_MAP="$PWD/fixtures/conversational-ai/privctl.toml" PRIVCTL_LEDGER_KEY=bench
"$bin" init > /dev/null
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM contacts WHERE org_id = 'big') + (SELECT count(*) FROM conversations WHERE org_id = 'big') + (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.org_id = 'big') + (SELECT count(*) FROM agent_traces WHERE org_id = 'big') + 1")
echo "tenant big: $rows rows; database: $(sqlite3 "$db" "SELECT count(*) FROM organizations") tenants, $(du -m "$db" | cut -f1) MB"

seconds() { # command...: wall seconds
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" > /dev/null
    t1=$EPOCHREALTIME
    echo "scale = 3; (${t1/./} - ${t0/./}) / 1000000" | bc
}
stats() { # label, times...: best and median
    local label=$1; shift
    printf '%s\n' "$@" | sort -n | awk -v l="$label" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%-34s best %8.3f  median %8.3f  (%d runs)\n", l, v[1], m, NR }'
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# (a) The baseline: the shell writes each table's rows of the tenant as JSON, the statements
# privctl runs for them.
cat > "$work/export.sql" <<SQL
.mode json
.output $work/baseline.json
SELECT * FROM organizations WHERE id = 'big';
SELECT * FROM contacts WHERE org_id = 'big';
SELECT * FROM conversations WHERE org_id = 'big';
SELECT * FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE org_id = 'big');
SELECT * FROM agent_traces WHERE org_id = 'big';
SQL
baseline_export() { sqlite3 "$db" < "$work/export.sql"; }
privctl_export() { "$1" -q export-tenant --tenant big --out "$work/big.json" --force; }
echo "== export-tenant --tenant big, JSON ($pairs pairs; seconds)"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -a base=() new=() old=()
for round in $(seq 1 "$pairs"); do
    if (( round % 2 )); then
        base+=("$(seconds baseline_export)"); new+=("$(seconds privctl_export "$bin")")
        [ -z "$before" ] || old+=("$(seconds privctl_export "$before")")
    else
        [ -z "$before" ] || old+=("$(seconds privctl_export "$before")")
        new+=("$(seconds privctl_export "$bin")"); base+=("$(seconds baseline_export)")
    fi
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
stats "sqlite3 -json" "${base[@]}"
stats "privctl export-tenant" "${new[@]}"
[ -z "$before" ] || stats "privctl export-tenant (before)" "${old[@]}"
echo "privctl vs sqlite3 (baseline / privctl, medians): $(echo "scale = 2; $(median "${base[@]}") / $(median "${new[@]}")" | bc)x"
[ -z "$before" ] || echo "before vs sqlite3: $(echo "scale = 2; $(median "${base[@]}") / $(median "${old[@]}")" | bc)x"
echo "rows written: $(jq '[.tables[] | length] | add' "$work/big.json"), by sqlite3: $(grep -c '^\[\?{' "$work/baseline.json" || true) lines"

# (b) dsar preview of eight subjects (subject1-4 in big, 5-8 in t020, t040, t060, t080) vs the
# hand-written SQL of the same rows: the contact matched by email, its conversations, their
# messages and agent traces, and members of that email.
subjects=("big 1" "big 2" "big 3" "big 4" "t020 5" "t040 6" "t060 7" "t080 8")
hand() { # tenant, email
    sqlite3 "$db" <<SQL
SELECT id FROM contacts WHERE org_id = '$1' AND email = '$2';
SELECT id FROM members WHERE org_id = '$1' AND email = '$2';
SELECT id FROM conversations WHERE org_id = '$1' AND contact_id IN (SELECT id FROM contacts WHERE org_id = '$1' AND email = '$2');
SELECT id FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE org_id = '$1' AND contact_id IN (SELECT id FROM contacts WHERE org_id = '$1' AND email = '$2'));
SELECT id FROM agent_traces WHERE org_id = '$1' AND conversation_id IN (SELECT id FROM conversations WHERE org_id = '$1' AND contact_id IN (SELECT id FROM contacts WHERE org_id = '$1' AND email = '$2'));
SQL
}
preview() { "$1" --format json dsar preview --tenant "$2" --email "$3"; }
ms() { echo "scale = 1; $(seconds "$@") * 1000 / 1" | bc; }
echo "== dsar preview ($pairs pairs per subject; milliseconds)"
for s in "${subjects[@]}"; do
    read -r tenant k <<< "$s"
    email="subject$k@example.org"
    got=$(preview "$bin" "$tenant" "$email" | jq -c '[.tables[] | select(.rows > 0) | "\(.table)=\(.rows)"]')
    hand_rows=$(hand "$tenant" "$email" | wc -l)
    echo "subject$k ($tenant): privctl $got; hand-written SQL $hand_rows rows"
done
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A times=()
for round in $(seq 1 "$pairs"); do
    for i in "${!subjects[@]}"; do
        read -r tenant k <<< "${subjects[$i]}"
        email="subject$k@example.org"
        order=(hand new old)
        (( (round + i) % 2 )) || order=(old new hand)
        for which in "${order[@]}"; do
            case $which in
                hand) times[$i.hand]+=" $(ms hand "$tenant" "$email")" ;;
                new) times[$i.new]+=" $(ms preview "$bin" "$tenant" "$email")" ;;
                old) [ -z "$before" ] || times[$i.old]+=" $(ms preview "$before" "$tenant" "$email")" ;;
            esac
        done
    done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-6s %18s %18s %18s\n' subject tenant "sqlite3 best/med" "privctl best/med" "before best/med"
all_new=() all_hand=() big_new=()
for i in "${!subjects[@]}"; do
    read -r tenant k <<< "${subjects[$i]}"
    bm() { local v; v=$(printf '%s\n' $1 | sort -n); printf '%7s/%-8s' "$(echo "$v" | head -1)" "$(median $1)"; }
    old_col="-"; [ -z "$before" ] || old_col=$(bm "${times[$i.old]}")
    printf '%-10s %-6s %18s %18s %18s\n' "subject$k" "$tenant" "$(bm "${times[$i.hand]}")" "$(bm "${times[$i.new]}")" "$old_col"
    all_new+=(${times[$i.new]}); all_hand+=(${times[$i.hand]})
    [ "$tenant" != big ] || big_new+=(${times[$i.new]})
done
echo "p50 over every run: privctl $(median "${all_new[@]}") ms (big: $(median "${big_new[@]}") ms), hand-written SQL $(median "${all_hand[@]}") ms"
if [ -n "$before" ]; then
    all_old=(); big_old=()
    for i in "${!subjects[@]}"; do all_old+=(${times[$i.old]}); [ "${subjects[$i]%% *}" != big ] || big_old+=(${times[$i.old]}); done
    echo "p50 over every run, before: $(median "${all_old[@]}") ms (big: $(median "${big_old[@]}") ms)"
fi
