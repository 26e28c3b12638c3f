// A Parquet export read by an independent reader: the emulator binary serves a stamp, the library's example
// programs sync it into a store and export the store as a Hive-partitioned Parquet dataset, and DuckDB
// (@duckdb/node-api) reads the dataset back. Its row count and exact quantity sum must equal the emulator's
// own totals for the synced reported window, and its partitions the usage days.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { startEmulator, targetDir, totals } from "./emulator.mjs";

const syncStore = join(targetDir, "examples", "sync_store");
const exportStore = join(targetDir, "examples", "export_store");
const START = "2026-01-05T00:00:00Z";
const UNTIL = "2026-01-12T00:00:00Z";
let emulator;
let ready;
let work;

before(async () => {
  for (const program of [syncStore, exportStore]) {
    assert.ok(existsSync(program), `build the workspace first (cargo build --workspace --all-targets): ${program} is missing`);
  }
  emulator = await startEmulator([
    "--seed", "11", "--subscriptions", "5", "--resources-per-subscription", "6", "--start-date", "2026-01-05", "--days", "7",
  ], "parquet");
  ({ ready, workDir: work } = emulator);
});

after(() => emulator?.process.kill("SIGTERM"));

test("DuckDB reads the Parquet export with the emulator's exact row count and quantity sum", async () => {
  const run = promisify(execFile);
  const operator = ready.service_principals.find((sp) => sp.name === "operator");
  const clientFile = join(work, "client.json");
  writeFileSync(clientFile, JSON.stringify({
    arm_endpoint: ready.admin_arm, tenant: ready.tenant_id, ca_bundle: ready.ca_pem,
    credential: { type: "client_secret", client_id: operator.client_id, client_secret: operator.client_secret },
  }));
  const store = `sqlite:${join(work, "usage.db")}`;
  const provider = ready.default_provider_subscription_id;
  await run(syncStore, [clientFile, JSON.stringify({
    api: "provider", subscription_id: provider, granularity: "Hourly", start_time: START, until: UNTIL,
  }), store]);
  const dataset = join(work, "dataset");
  const { stdout } = await run(exportStore, [store,
    JSON.stringify({ from: "2025-12-01T00:00:00Z", to: "2026-03-01T00:00:00Z", granularity: "Hourly" }),
    JSON.stringify({ format: "parquet", path: dataset })]);
  const report = JSON.parse(stdout);

  const expected = await totals(ready, {
    api: "provider", subscription: provider, reportedStartTime: START, reportedEndTime: UNTIL,
    aggregationGranularity: "Hourly",
  });
  assert.ok(expected.rows > 1000, `the emulator reports ${expected.rows} rows`);
  assert.equal(report.rows, expected.rows);

  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const files = `${dataset.replaceAll("'", "''")}/**/*.parquet`;
  // quantity is DECIMAL(38, 18): summed exactly, then scaled to the totals route's integer micro-units.
  const result = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT AS n, (sum(quantity) * 1000000)::HUGEINT::VARCHAR AS micros,
            count(DISTINCT usage_date)::BIGINT AS days, min(granularity) AS granularity,
            bool_and(usage_date = CAST(usage_start AT TIME ZONE 'UTC' AS DATE)) AS dated
     FROM read_parquet('${files}', hive_partitioning = true)`);
  const [row] = result.getRowObjects();
  assert.equal(Number(row.n), expected.rows);
  assert.equal(row.micros, expected.quantity_micros);
  assert.equal(Number(row.days), report.files);
  assert.equal(row.granularity, "Hourly");
  assert.equal(row.dated, true, "each row is in its usage day's partition");
  const types = await connection.runAndReadAll(
    `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${files}', hive_partitioning = true))`);
  const byName = Object.fromEntries(types.getRowObjects().map((r) => [r.column_name, r.column_type]));
  assert.equal(byName.quantity, "DECIMAL(38,18)");
  assert.equal(byName.usage_start, "TIMESTAMP WITH TIME ZONE");
  assert.equal(byName.cursor_id, "BIGINT");
  connection.closeSync();
});
