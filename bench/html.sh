#!/usr/bin/env bash
# The HTML export (issue 18, part 2) beside the JSON bundle it is made from: `dsar export
# --output-format html` and `--output-format json` for one subject with BENCH_MESSAGES messages
# (default 50000, added to her first conversation) on the SQLite demo (`privctl demo`), and
# `export-tenant --output-format csv` of her tenant (the other export that needs values, not
# text): wall time and peak memory (the page is held in memory until written), alternating the
# order each round, BENCH_PAIRS rounds (default 5), and the files' sizes. BENCH_BEFORE, another
# build, is measured in the same rounds (html and csv).
#   bench/html.sh        (BENCH_BIN the build to measure, default target/release/privctl)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BENCH_BIN:-$PWD/target/release/privctl}"
before="${BENCH_BEFORE:-}"
pairs="${BENCH_PAIRS:-5}"
messages="${BENCH_MESSAGES:-50000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" demo --dir demo > /dev/null 2>&1
export DATABASE_URL="sqlite://$work/demo/demo.db" PRIVCTL_MAP="$work/demo/privctl.toml"
sqlite3 demo/demo.db <<EOF
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $messages)
INSERT INTO messages (id, conversation_id, sender, body, created_at)
SELECT 100000 + i, 1, CASE i % 2 WHEN 0 THEN 'customer' ELSE 'bot' END,
       'Message ' || i || ': where is my order? It was due on Tuesday & I have heard nothing <since>.',
       '2026-10-12T09:' || printf('%02d', i % 60) || ':00Z'
FROM n;
EOF
who=(--tenant acme --email jane.doe@example.com --phone +49301234567 --on-behalf-of owner@acme.example)

# side: what runs, as "<build> <kind>"; kind json|html (dsar export) or csv (export-tenant).
sides=("after json" "after html" "after csv")
[ -n "$before" ] && sides+=("before html" "before csv")
command_for() { # build kind: sets cmd
    local b=$bin; [ "$1" = before ] && b=$before
    case $2 in
        csv) cmd=("$b" export-tenant --tenant acme --output-format csv --out "out-$1.csv" --force) ;;
        *) cmd=("$b" dsar export "${who[@]}" --output-format "$2" --out "out-$1.$2" --force) ;;
    esac
}
for side in "${sides[@]}"; do : > "${side/ /-}.ms"; : > "${side/ /-}.kb"; done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$pairs"); do
    order=("${sides[@]}")
    if (( i % 2 == 0 )); then mapfile -t order < <(printf '%s\n' "${sides[@]}" | tac); fi
    for side in "${order[@]}"; do
        # shellcheck disable=SC2086
        command_for $side
        t0=$(date +%s%N)
        /usr/bin/time -f %M -o rss "${cmd[@]}" > /dev/null
        echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "${side/ /-}.ms"
        cat rss >> "${side/ /-}.kb"
    done
done
median() { sort -n "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
for side in "${sides[@]}"; do
    f=${side/ /-}
    echo "$side: median $(median "$f.ms") ms, best $(sort -n "$f.ms" | head -1) ms (runs: $(tr '\n' ' ' < "$f.ms")); peak RSS median $(median "$f.kb") KiB"
done
ls -l out-after.json out-after.html | awk '{ print $9 ": " $5 " bytes" }'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
