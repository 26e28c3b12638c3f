// What the Node tests share: starting the emulator binary (AZS_EMULATOR_BIN, default the workspace's debug
// build) with a private state directory, and asking its control route for the exact totals of a usage query.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import https from "node:https";

const here = dirname(fileURLToPath(import.meta.url));
export const targetDir = resolve(here, "../../target/debug");
const binary = process.env.AZS_EMULATOR_BIN ?? join(targetDir, "azs-emulator");

/** Starts an emulator with `args`; resolves with { process, ready, workDir } once its ready line came. */
export async function startEmulator(args, name) {
  assert.ok(existsSync(binary), `build the emulator first (cargo build -p azs-emulator): ${binary} is missing`);
  const workDir = mkdtempSync(join(tmpdir(), `azs-${name}-`));
  const child = spawn(binary, [...args, "--state-dir", join(workDir, "state")], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise((resolveReady, reject) => {
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code} before it was ready`)));
    lines.once("line", (line) => resolveReady(JSON.parse(line)));
  });
  return { process: child, ready, workDir };
}

/** The emulator's exact totals ({rows, quantity_micros, pages}) of a usage query. */
export function totals(ready, query) {
  const url = new URL(`_emulator/usage/totals?${new URLSearchParams(query)}`, ready.admin_arm);
  return new Promise((resolveTotals, reject) => {
    https.get(url, { ca: readFileSync(ready.ca_pem) }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => (res.statusCode === 200 ? resolveTotals(JSON.parse(body)) : reject(new Error(body))));
    }).on("error", reject);
  });
}
