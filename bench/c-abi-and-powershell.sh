#!/usr/bin/env bash
# Paging usage through azs-billing beside the plain PowerShell baseline (Invoke-RestMethod following
# nextLink), measured in the same run against the same emulator and query:
#   1. 1M hourly provider rows through the C ABI (bench/c/usage_throughput.c), as JSON pages and as row
#      structs (azsb_usage_next_rows)                                            vs  Invoke-RestMethod, and
#                                                                                    the raw download
#   2. 100k rows through Get-AzsSubscriberUsage (when the module is built)       vs  Invoke-RestMethod
# Prints rows/s and peak RSS of each and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release -p azs-billing -p azs-emulator --locked >&2
pwsh=$(scripts/install-powershell)
work=$(mktemp -d)
trap 'kill "${emulator_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib/c-bench.sh
compile_c_bench bench/c/usage_throughput.c "$work/usage_throughput"

. bench/lib/emulator.sh
start_emulator --seed 11 --subscriptions 120 --resources-per-subscription 30 --days 14 --start-date 2026-01-01

run() { # label, end day, rows wanted
  local label=$1 end=$2
  local query="{\"api\":\"provider\",\"subscription_id\":\"$PROVIDER\",\"reported_start_time\":\"2026-01-01T00:00:00Z\",\"reported_end_time\":\"$end\",\"aggregation_granularity\":\"Hourly\"}"
  local url="${ADMIN}subscriptions/$PROVIDER/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00:00:00Z&reportedEndTime=$end&aggregationGranularity=Hourly"
  echo "== $label (window ending $end)"
  AZSB_QUERY=$query "$work/usage_throughput" | tee "$work/c.json"
  AZSB_QUERY=$query "$work/usage_throughput" rows | tee "$work/rows.json"
  "$pwsh" -NoProfile -File bench/irm-baseline.ps1 -Url "$url" -Token "$TOKEN" | tee "$work/irm.json"
  node bench/raw-download.mjs "$url" "$TOKEN" "$CA" | tee "$work/raw.json"
  node -e 'const [c,r,i,raw]=process.argv.slice(1).map(f=>JSON.parse(require("fs").readFileSync(f)));
    for (const x of [r, i, raw]) if (c.rows !== x.rows) { console.error(`row counts differ: ${c.rows} vs ${x.rows}`); process.exit(1); }
    console.log(`ratio rows/s C ABI JSON pages / Invoke-RestMethod: ${(c.rows_per_second/i.rows_per_second).toFixed(2)}; peak RSS Invoke-RestMethod / C ABI: ${(i.peak_rss_mb/c.peak_rss_mb).toFixed(2)}`);
    console.log(`ratio rows/s C ABI row structs / Invoke-RestMethod: ${(r.rows_per_second/i.rows_per_second).toFixed(2)}; row structs / JSON pages: ${(r.rows_per_second/c.rows_per_second).toFixed(2)}`);
    console.log(`ratio rows/s C ABI JSON pages / raw download: ${(c.rows_per_second/raw.rows_per_second).toFixed(2)}; row structs / raw download: ${(r.rows_per_second/raw.rows_per_second).toFixed(2)}`)' \
    "$work/c.json" "$work/rows.json" "$work/irm.json" "$work/raw.json"
}
# 2026-01-01 to 2026-01-09 holds just over 1M hourly rows for this data set (the totals route says how many).
run "1M provider rows through the C ABI" "2026-01-09T00:00:00Z"

# About 100k hourly rows: Get-AzsSubscriberUsage beside the same Invoke-RestMethod loop.
powershell/build.sh --release >&2
end=2026-01-01T20:00:00Z
url="${ADMIN}subscriptions/$PROVIDER/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00:00:00Z&reportedEndTime=$end&aggregationGranularity=Hourly"
module_pair() { # label; the environment of both runs is the caller's
  echo "== ~100k provider rows through Get-AzsSubscriberUsage (window ending $end)$1"
  "$pwsh" -NoProfile -File bench/module-usage.ps1 -ModulePath "$root/target/powershell/AzsBilling/AzsBilling.psd1" \
    -ReadyPath "$work/ready.json" -Start 2026-01-01T00:00:00Z -End "$end" | tee "$work/module.json"
  "$pwsh" -NoProfile -File bench/irm-baseline.ps1 -Url "$url" -Token "$TOKEN" | tee "$work/irm.json"
  node -e 'const [m,i]=process.argv.slice(1).map(f=>JSON.parse(require("fs").readFileSync(f)));
    if (m.rows !== i.rows) { console.error(`row counts differ: ${m.rows} vs ${i.rows}`); process.exit(1); }
    console.log(`ratio rows/s Get-AzsSubscriberUsage / Invoke-RestMethod: ${(m.rows_per_second/i.rows_per_second).toFixed(2)}; peak RSS Invoke-RestMethod / module: ${(i.peak_rss_mb/m.peak_rss_mb).toFixed(2)}`)' \
    "$work/module.json" "$work/irm.json"
}
module_pair ""
# .NET sizes its gen-0 budget from the L3 cache size the machine reports (300 MiB on some VMs), so both
# processes' peak working set mostly measures garbage not yet collected. With a fixed 8 MiB budget the peak
# shows what each really holds (the module: one page at a time).
DOTNET_GCgen0size=0x800000 module_pair " with DOTNET_GCgen0size=0x800000"
