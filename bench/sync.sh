#!/usr/bin/env bash
# The warehouse sync (examples/sync_store, release build) against baselines measured in the same run:
#   1. throughput: 1M hourly provider rows synced into SQLite and into PostgreSQL (a private server), each
#      beside the raw download of the same pages over one keep-alive connection (bench/raw-download.mjs);
#   2. a latency-bound stamp (--fault latency:delay-ms=200 on every ARM request): a 30-day all-tenant hourly
#      sync with its parallel defaults and with concurrency 16, against sequential paging of the same query
#      (one query, one request at a time, the same client, faults and store) (target: >= 8x), once with a
#      429 (1 s Retry-After, which pauses every worker) on every 50th request and once without.
# Prints each run as a JSON line, then the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p azs-billing -p azs-emulator --locked >&2
cargo build --release -p azs-billing --example sync_store --locked >&2
work=$(mktemp -d)
. bench/lib/emulator.sh
. bench/lib/postgres.sh
trap 'kill "${emulator_pid:-}" 2>/dev/null || true; stop_postgres; rm -rf "$work"' EXIT

sync_run() { # label, store URL, sync options JSON -> one JSON line: rows, seconds, rows/s, windows, throttled
  local label=$1 store=$2 options=$3 started ended
  started=$(date +%s.%N)
  target/release/examples/sync_store "$work/client.json" "$options" "$store" > "$work/sync.out"
  ended=$(date +%s.%N)
  node -e 'const [label, s, e, out] = process.argv.slice(1);
    const lines = require("fs").readFileSync(out, "utf8").trim().split("\n");
    const r = JSON.parse(lines[lines.length - 1]); const seconds = e - s;
    console.log(JSON.stringify({ run: label, rows: r.rows, seconds: +seconds.toFixed(3),
      rows_per_second: Math.round(r.rows / seconds), windows: r.windows, throttled: r.throttled,
      lowest_concurrency: r.lowest_concurrency }))' "$label" "$started" "$ended" "$work/sync.out"
}
usage_url() { echo "${ADMIN}subscriptions/$PROVIDER/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=$1&reportedEndTime=$2&aggregationGranularity=Hourly"; }
sync_options() { # start, until, extra JSON members
  echo "{\"api\":\"provider\",\"subscription_id\":\"$PROVIDER\",\"granularity\":\"Hourly\",\"start_time\":\"$1\",\"until\":\"$2\"${3:-}}"
}

echo "== 1. throughput: 1M hourly rows (2026-01-01 to 2026-01-09 of a 120-tenant stamp)"
start_emulator --seed 11 --subscriptions 120 --resources-per-subscription 30 --days 10 --start-date 2026-01-01
echo "$AZSB_OPTIONS" > "$work/client.json"
start_postgres
node bench/raw-download.mjs "$(usage_url 2026-01-01T00:00:00Z 2026-01-09T00:00:00Z)" "$TOKEN" "$CA" | tee "$work/raw.json"
sync_run "sqlite" "sqlite:$work/usage.db" "$(sync_options 2026-01-01T00:00:00Z 2026-01-09T00:00:00Z)" | tee "$work/sqlite.json"
sync_run "postgresql" "$PG_URL" "$(sync_options 2026-01-01T00:00:00Z 2026-01-09T00:00:00Z)" | tee "$work/pg.json"
kill "$emulator_pid"; wait "$emulator_pid" 2>/dev/null || true

thirty="2026-01-01T00:00:00Z 2026-01-31T00:00:00Z"
latency_bound() { # label suffix, extra emulator faults...
  local suffix=$1
  shift
  start_emulator --seed 11 --subscriptions 20 --resources-per-subscription 10 --days 31 --start-date 2026-01-01 \
    --fault latency:delay-ms=200 "$@"
  echo "$AZSB_OPTIONS" > "$work/client.json"
  rm -f "$work"/latency-*.db
  sync_run "sequential$suffix" "sqlite:$work/latency-sequential.db" \
    "$(sync_options $thirty ',"concurrency":1,"window_hours":720,"slice_hours":720')" | tee "$work/sequential$suffix.json"
  sync_run "parallel defaults$suffix" "sqlite:$work/latency-defaults.db" "$(sync_options $thirty '')" | tee "$work/defaults$suffix.json"
  sync_run "parallel 16$suffix" "sqlite:$work/latency-sixteen.db" "$(sync_options $thirty ',"concurrency":16')" | tee "$work/sixteen$suffix.json"
  kill "$emulator_pid"; wait "$emulator_pid" 2>/dev/null || true
}
echo "== 2. latency-bound: 30 days of a 20-tenant stamp, 200 ms per ARM request, a 429 on every 50th"
latency_bound "" --fault 429:every=50,retry-after-ms=1000
echo "== 2b. the same without 429s"
latency_bound " no 429" 

node -e 'const [raw, sq, pg, seq, def, six, seq0, def0, six0] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f)));
  for (const r of [sq, pg]) if (r.rows !== raw.rows) { console.error(`row counts differ: ${r.run} ${r.rows}, raw ${raw.rows}`); process.exit(1); }
  for (const r of [def, six, seq0, def0, six0]) if (r.rows !== seq.rows) { console.error(`row counts differ: ${r.run} ${r.rows}, sequential ${seq.rows}`); process.exit(1); }
  console.log(`ratio rows/s sync into SQLite / raw download: ${(sq.rows_per_second / raw.rows_per_second).toFixed(2)}`);
  console.log(`ratio rows/s sync into PostgreSQL / raw download: ${(pg.rows_per_second / raw.rows_per_second).toFixed(2)}`);
  console.log(`latency-bound 30-day sync with 429s, speed-up over sequential paging: defaults (8) ${(seq.seconds / def.seconds).toFixed(2)}, concurrency 16 ${(seq.seconds / six.seconds).toFixed(2)} (target >= 8)`);
  console.log(`latency-bound 30-day sync without 429s, speed-up over sequential paging: defaults (8) ${(seq0.seconds / def0.seconds).toFixed(2)}, concurrency 16 ${(seq0.seconds / six0.seconds).toFixed(2)}`);' \
  "$work/raw.json" "$work/sqlite.json" "$work/pg.json" "$work/sequential.json" "$work/defaults.json" "$work/sixteen.json" \
  "$work/sequential no 429.json" "$work/defaults no 429.json" "$work/sixteen no 429.json"
