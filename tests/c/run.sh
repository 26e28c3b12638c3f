#!/usr/bin/env bash
# Builds the C tests and the C example with -Wall -Wextra -Werror against the committed header and the
# library, starts an emulator, and runs both under valgrind (errors or leaks fail the run).
# Needs: a C compiler, valgrind, libcjson-dev, node; `cargo build` done (debug).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
lib_dir=$root/target/debug
build=$(mktemp -d)
trap 'kill "${emulator_pid:-}" 2>/dev/null || true; rm -rf "$build"' EXIT

cc=${CC:-cc}
flags=(-std=c11 -Wall -Wextra -Werror -g -I"$root/include")
link=(-L"$lib_dir" -lazs_billing -lcjson -Wl,-rpath,"$lib_dir")
"$cc" "${flags[@]}" tests/c/usage_test.c "${link[@]}" -o "$build/usage_test"
"$cc" "${flags[@]}" tests/c/registration_test.c "${link[@]}" -o "$build/registration_test"
"$cc" "${flags[@]}" tests/c/log_test.c "${link[@]}" -o "$build/log_test"
"$cc" "${flags[@]}" -pthread tests/c/warehouse_test.c "${link[@]}" -o "$build/warehouse_test"
"$cc" "${flags[@]}" examples/c/usage_by_meter.c "${link[@]}" -o "$build/usage_by_meter"

"$lib_dir/azs-emulator" --seed 7 --subscriptions 6 --resources-per-subscription 8 --days 7 \
  --start-date 2026-01-05 --state-dir "$build/state" --ready-file "$build/ready.json" > /dev/null &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$build/ready.json" ] && break; sleep 0.1; done
[ -s "$build/ready.json" ] || { echo "the emulator did not become ready" >&2; exit 1; }

# Options and expectations from the ready document (and the emulator's own totals for the test window).
eval "$(node - "$build/ready.json" <<'JS'
const fs = require("fs"), https = require("https");
const ready = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const op = ready.service_principals.find((s) => s.name === "operator");
const base = { arm_endpoint: ready.admin_arm, tenant: ready.tenant_id, ca_bundle: ready.ca_pem,
               retry: { max_retries: 2, initial_delay: 50, max_delay: 200, max_total: 2000 } };
const options = { ...base, credential: { type: "client_secret", client_id: op.client_id, client_secret: op.client_secret } };
const bad = { ...base, credential: { type: "client_secret", client_id: op.client_id, client_secret: "wrong-secret-value" } };
const noRetry = { ...options, retry: { ...base.retry, max_retries: 0 } };
const tenantSp = ready.service_principals.find((s) => s.name === "tenant");
const tenant = { ...base, arm_endpoint: ready.tenant_arm,
                 credential: { type: "client_secret", client_id: tenantSp.client_id, client_secret: tenantSp.client_secret } };
const query = { api: "provider", subscription_id: ready.default_provider_subscription_id,
                reported_start_time: "2026-01-05T00:00:00Z", reported_end_time: "2026-01-12T00:00:00Z", aggregation_granularity: "Daily" };
const q = (s) => "'" + s.replace(/'/g, "'\\''") + "'";
const url = `${ready.admin_arm}_emulator/usage/totals?api=provider&reportedStartTime=2026-01-06T00:00:00Z&reportedEndTime=2026-01-08T00:00:00Z&aggregationGranularity=Hourly`;
const syncUrl = `${ready.admin_arm}_emulator/usage/totals?api=provider&reportedStartTime=2026-01-05T00:00:00Z&reportedEndTime=2026-01-13T00:00:00Z&aggregationGranularity=Hourly`;
const get = (u) => new Promise((resolve, reject) => https.get(u, { ca: fs.readFileSync(ready.ca_pem) }, (res) => {
  let body = ""; res.on("data", (c) => (body += c)); res.on("end", () => resolve(body));
}).on("error", reject));
Promise.all([get(url), get(syncUrl)]).then(([body, syncBody]) => {
  {
    console.log(`export AZSB_OPTIONS=${q(JSON.stringify(options))}`);
    console.log(`export AZSB_BAD_OPTIONS=${q(JSON.stringify(bad))}`);
    console.log(`export AZSB_NO_RETRY_OPTIONS=${q(JSON.stringify(noRetry))}`);
    console.log(`export AZSB_TENANT_OPTIONS=${q(JSON.stringify(tenant))}`);
    console.log(`export AZSB_ADMIN_ARM=${ready.admin_arm}`);
    console.log(`export AZSB_CA_PEM=${q(ready.ca_pem)}`);
    console.log(`export AZSB_QUERY=${q(JSON.stringify(query))}`);
    console.log(`export AZSB_PROVIDER_SUBSCRIPTION=${ready.default_provider_subscription_id}`);
    console.log(`export AZSB_FIRST_TENANT_SUBSCRIPTION=${ready.dataset.first_tenant_subscription_id}`);
    console.log(`export AZSB_EXPECTED_ROWS=${JSON.parse(body).rows}`);
    console.log(`export AZSB_EXPECTED_SYNC_ROWS=${JSON.parse(syncBody).rows}`);
    // The Azure side and the PEP model (docs/registration.md).
    const azure = ready.azure, pep = ready.pep;
    const sp = azure.service_principals.find((s) => s.name === "azure-operator");
    const azureOptions = { arm_endpoint: azure.arm, tenant: azure.tenant_id, ca_bundle: ready.ca_pem, retry: base.retry,
      credential: { type: "client_secret", client_id: sp.client_id, client_secret: sp.client_secret } };
    const pepOptions = { url: pep.url, username: pep.username, password: pep.password, ca_bundle: ready.ca_pem };
    console.log(`export AZSB_AZURE_OPTIONS=${q(JSON.stringify(azureOptions))}`);
    console.log(`export AZSB_AZURE_SUBSCRIPTION=${azure.subscription_id}`);
    console.log(`export AZSB_PEP_OPTIONS=${q(JSON.stringify(pepOptions))}`);
    console.log(`export AZSB_BAD_PEP_OPTIONS=${q(JSON.stringify({ ...pepOptions, password: "wrong-pep-password" }))}`);
  }
});
JS
)"

# What a user's CI runs: valgrind's own defaults (definite and possible leaks are errors) with
# --leak-check=full, --error-exitcode and the suppression file shipped beside the header, nothing else.
valgrind=(valgrind --quiet --error-exitcode=99 --leak-check=full --suppressions="$root/include/azs_billing.supp")
# Replaces the emulator's fault plan with the rule given, or with none for "" (README, "Faults").
set_fault() {
  node - "$1" <<'JS'
const fs = require("fs"), https = require("https");
const body = JSON.stringify({ rules: process.argv[2] ? [process.argv[2]] : [] });
const req = https.request(`${process.env.AZSB_ADMIN_ARM}_emulator/faults`,
  { method: "PUT", ca: fs.readFileSync(process.env.AZSB_CA_PEM), headers: { "content-type": "application/json" } },
  (res) => { res.resume(); if (res.statusCode >= 300) { console.error(`fault plan refused: ${res.statusCode}`); process.exit(1); } });
req.end(body);
JS
}

echo "== C API tests under valgrind"
"${valgrind[@]}" "$build/usage_test"
echo "== C API: a failed page is fetched again (every 2nd usage request fails, twice; retries off)"
set_fault "503:every=2,count=2,path=usage"
AZSB_EXPECTED_ERRORS=2 "${valgrind[@]}" "$build/usage_test" resume
echo "== C API: the log callback sees the retry of one injected 503"
set_fault "503:count=1,path=usage"
"${valgrind[@]}" "$build/log_test"
echo "== C warehouse: sync, cancel from another thread, resume, aggregates (under valgrind)"
set_fault ""
AZSB_STORE_DIR="$build" "${valgrind[@]}" "$build/warehouse_test"
echo "== C registration tests under valgrind"
"${valgrind[@]}" "$build/registration_test"
echo "== C example under valgrind"
"${valgrind[@]}" "$build/usage_by_meter" > "$build/example.txt"
head -5 "$build/example.txt"
grep -q "Base VM Size Hours" "$build/example.txt" || { echo "the example printed no meter names" >&2; exit 1; }
echo "c: 6 passed, 0 failed"
