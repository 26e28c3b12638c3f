#!/usr/bin/env bash
# Exporting 1M hourly provider rows to CSV through the C ABI (azsb_usage_export, straight from the API)
# beside two baselines measured in the same run against the same emulator and query:
#   - a plain PowerShell Invoke-RestMethod loop following nextLink, piped to Export-Csv (target: >= 20x);
#   - the raw download of the same pages over one keep-alive connection, bodies discarded (target: >= 0.5x);
# and the export's peak RSS for 1M against 5M rows (target: flat within 10 MB, under 64 MB).
# Prints each run as a JSON line, then the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p azs-billing -p azs-emulator --locked >&2
pwsh=$(scripts/install-powershell)
work=$(mktemp -d)
trap 'kill "${emulator_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib/c-bench.sh
compile_c_bench bench/c/export_throughput.c "$work/export_throughput"

. bench/lib/emulator.sh
start_emulator --seed 11 --subscriptions 120 --resources-per-subscription 30 --days 44 --start-date 2026-01-01

query() { echo "{\"api\":\"provider\",\"subscription_id\":\"$PROVIDER\",\"reported_start_time\":\"2026-01-01T00:00:00Z\",\"reported_end_time\":\"$1\",\"aggregation_granularity\":\"Hourly\"}"; }
url() { echo "${ADMIN}subscriptions/$PROVIDER/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00:00:00Z&reportedEndTime=$1&aggregationGranularity=Hourly"; }
export_c() { AZSB_QUERY=$(query "$1") AZSB_EXPORT="{\"format\":\"csv\",\"path\":\"$work/$2.csv\"}" "$work/export_throughput"; }

# 2026-01-01 to 2026-01-09 holds just over 1M hourly rows of this data set, to 2026-02-10 about 5M.
one=2026-01-09T00:00:00Z
five=2026-02-10T00:00:00Z
echo "== 1M rows: raw download of the pages (one keep-alive connection)"
node bench/raw-download.mjs "$(url $one)" "$TOKEN" "$CA" | tee "$work/raw.json"
echo "== 1M rows: CSV export through the C ABI (azsb_usage_export)"
export_c "$one" one | tee "$work/c1.json"
echo "== 1M rows: Invoke-RestMethod loop piped to Export-Csv"
"$pwsh" -NoProfile -File bench/irm-export-baseline.ps1 -Url "$(url $one)" -Token "$TOKEN" -Path "$work/irm.csv" | tee "$work/irm.json"
echo "== 5M rows: CSV export through the C ABI (peak RSS against 1M)"
export_c "$five" five | tee "$work/c5.json"

node -e 'const [raw,c1,irm,c5]=process.argv.slice(1).map(f=>JSON.parse(require("fs").readFileSync(f)));
  for (const [n, r] of [["raw download", raw], ["Export-Csv loop", irm]]) {
    if (r.rows !== c1.rows) { console.error(`row counts differ: C ABI ${c1.rows}, ${n} ${r.rows}`); process.exit(1); } }
  console.log(`ratio rows/s C ABI export / Invoke-RestMethod + Export-Csv: ${(c1.rows_per_second/irm.rows_per_second).toFixed(2)} (target >= 20)`);
  console.log(`ratio rows/s C ABI export / raw download: ${(c1.rows_per_second/raw.rows_per_second).toFixed(2)} (target >= 0.5)`);
  console.log(`peak RSS C ABI export: ${c1.peak_rss_mb} MB at ${c1.rows} rows, ${c5.peak_rss_mb} MB at ${c5.rows} rows (target: within 10 MB, under 64 MB)`);
  console.log(`peak RSS Export-Csv loop / C ABI export: ${(irm.peak_rss_mb/c1.peak_rss_mb).toFixed(2)}`)' \
  "$work/raw.json" "$work/c1.json" "$work/irm.json" "$work/c5.json"
