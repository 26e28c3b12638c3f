#!/usr/bin/env bash
# Instruction counts of a warehouse sync (examples/sync_store, release) under callgrind: 12 reported hours of
# a 120-tenant stamp (about 49k hourly rows) into SQLite, two requests at once. Prints the rows, the total
# instructions per row, and the inclusive counts of the functions that matter (the writer's insert, SQLite,
# the workers' paging and parsing). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p azs-emulator --locked >&2
cargo build --release -p azs-billing --example sync_store --locked >&2
work=$(mktemp -d)
. bench/lib/emulator.sh
trap 'kill "${emulator_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_emulator --seed 11 --subscriptions 120 --resources-per-subscription 30 --days 3 --start-date 2026-01-01
echo "$AZSB_OPTIONS" > "$work/client.json"
options="{\"api\":\"provider\",\"subscription_id\":\"$PROVIDER\",\"granularity\":\"Hourly\",\"start_time\":\"2026-01-01T00:00:00Z\",\"until\":\"2026-01-01T12:00:00Z\",\"concurrency\":2}"
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  target/release/examples/sync_store "$work/client.json" "$options" "sqlite:$work/profile.db" 2>/dev/null | tail -1 > "$work/report.json"
rows=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).rows)' "$work/report.json")
callgrind_annotate --inclusive=yes "$work/callgrind.out" > "$work/annotated.txt"
total=$(grep 'PROGRAM TOTALS' "$work/annotated.txt" | awk '{gsub(",", "", $1); print $1}')
echo "rows $rows, instructions $total, per row $((total / rows))"
for f in 'warehouse::rows::insert' 'sqlite3_step' 'UsagePager::next_page' 'UsageRecord::from_wire' 'record::instance_data' 'enter_runtime'; do
  line=$(grep -m1 "$f" "$work/annotated.txt" || true)
  [ -n "$line" ] && echo "$(echo "$line" | awk '{gsub(",", "", $1); print $1}') / $rows per row: $f" | awk '{printf "%8d per row  %s\n", $1/$3, $6}'
done
