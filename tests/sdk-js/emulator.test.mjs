// Official Azure SDK clients against azs-emulator over HTTPS: the emulator is started from
// AZS_EMULATOR_BIN (default: the workspace's debug build), the client runs in a child process that trusts
// the emulator's generated CA, and the rows it pages through must equal the emulator's own totals.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startEmulator, totals as emulatorTotals } from "./emulator.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const START = "2026-01-05T00:00:00Z";
const END = "2026-01-12T00:00:00Z";
let emulator;
let ready;

before(async () => {
  emulator = await startEmulator([
    "--seed", "7", "--subscriptions", "6", "--resources-per-subscription", "8",
    "--start-date", "2026-01-05", "--days", "7", "--device-code-delay", "0.5",
  ], "sdk-js");
  ({ ready } = emulator);
});

after(() => emulator?.process.kill("SIGTERM"));

const totals = (query) => emulatorTotals(ready, query);

async function runClient(flow, granularity) {
  const { stdout } = await promisify(execFile)(process.execPath, [join(here, "sdk-client.mjs")], {
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: ready.ca_pem,
      AZS_READY: JSON.stringify(ready),
      AZS_FLOW: flow,
      AZS_START: START,
      AZS_END: END,
      AZS_GRANULARITY: granularity,
    },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop());
}

for (const [flow, granularity] of [["secret", "Hourly"], ["certificate", "Daily"], ["device-code", "Daily"]]) {
  test(`${flow} credential pages through ${granularity} tenant usage over HTTPS`, async () => {
    const expected = await totals({
      api: "tenant",
      subscription: ready.dataset.first_tenant_subscription_id,
      reportedStartTime: START,
      reportedEndTime: END,
      aggregationGranularity: granularity,
    });
    const result = await runClient(flow, granularity);
    assert.ok(expected.rows > 0, "the window holds usage");
    if (granularity === "Hourly") assert.ok(expected.pages > 1, "a multi-page query");
    assert.equal(result.rows, expected.rows, "every row once");
    if (granularity === "Hourly") {
      // Each hourly record is reported once, so (subscription, meter, hour, resource) is unique; daily rows
      // of one usage day can legitimately repeat that key (the late part is reported the next day).
      assert.equal(result.distinct, expected.rows, "no duplicates");
    }
    assert.equal(result.pages, expected.pages);
    assert.equal(result.sample.subscriptionId, ready.dataset.first_tenant_subscription_id);
    assert.equal(typeof result.sample.quantity, "number");
    assert.match(result.sample.type, /^Microsoft\.Commerce\/UsageAggregate$/);
  });
}
