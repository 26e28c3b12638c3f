// The official @azure/arm-azurestack client against the emulated Azure over HTTPS: the emulator binary is
// started from AZS_EMULATOR_BIN (default: the workspace's debug build), its PEP model mints the registration
// token, and a child process that trusts the emulator's CA creates, reads and deletes a registration and
// customer subscriptions with the SDK.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import https from "node:https";
import { startEmulator } from "./emulator.mjs";

const here = dirname(fileURLToPath(import.meta.url));
let emulator;
let ready;

before(async () => {
  emulator = await startEmulator(["--seed", "7", "--subscriptions", "2", "--days", "1"], "sdk-js-registration");
  ({ ready } = emulator);
});

after(() => emulator?.process.kill("SIGTERM"));

/** A request to the emulator that must succeed; resolves with the parsed JSON body. */
function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolveRequest, reject) => {
    const req = https.request(new URL(url), { method, headers, ca: readFileSync(ready.ca_pem) }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () =>
        res.statusCode < 300 ? resolveRequest(text ? JSON.parse(text) : null) : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`)),
      );
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function registrationToken() {
  const credentials = Buffer.from(`${ready.pep.username}:${ready.pep.password}`).toString("base64");
  const reply = await request("POST", `${ready.pep.url}commands/New-RegistrationToken`, {
    headers: { authorization: `Basic ${credentials}`, "content-type": "application/json" },
    body: JSON.stringify({ BillingModel: "PayAsYouUse", UsageReportingEnabled: true, MarketplaceSyndicationEnabled: true }),
  });
  return reply.output;
}

/** What Set-AzsRegistration does before the SDK's part: register the provider, create the group. */
async function prepareSubscription() {
  const operator = ready.azure.service_principals.find((sp) => sp.name === "azure-operator");
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: operator.client_id,
    client_secret: operator.client_secret,
    resource: "https://management.azure.com/",
  });
  const token = await request("POST", `${ready.azure.login_endpoint}${ready.azure.tenant_id}/oauth2/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const headers = { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" };
  const subscription = `${ready.azure.arm}subscriptions/${ready.azure.subscription_id}`;
  await request("POST", `${subscription}/providers/Microsoft.AzureStack/register?api-version=2021-04-01`, { headers });
  await request("PUT", `${subscription}/resourcegroups/azurestack?api-version=2021-04-01`, {
    headers,
    body: JSON.stringify({ location: "westcentralus" }),
  });
}

test("@azure/arm-azurestack creates, reads and deletes a registration and customer subscriptions", async () => {
  const token = await registrationToken();
  await prepareSubscription();
  const { stdout } = await promisify(execFile)(process.execPath, [join(here, "sdk-registration.mjs")], {
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: ready.ca_pem,
      AZS_READY: JSON.stringify(ready),
      AZS_REGISTRATION_TOKEN: token,
    },
    timeout: 120_000,
  });
  const result = JSON.parse(stdout.trim().split("\n").pop());
  const name = `azurestack-${ready.pep.cloud_id}`;
  assert.equal(result.created.status, 201);
  assert.equal(result.created.cloudId, ready.pep.cloud_id);
  assert.equal(result.created.billingModel, "PayAsYouUse");
  assert.match(result.created.id, new RegExp(`/registrations/${name}$`));
  assert.equal(result.read.name, name);
  assert.equal(result.read.location, "global");
  assert.equal(typeof result.read.objectId, "string");
  assert.deepEqual(result.listed, [name]);
  assert.equal(result.activationKeyParts, 3, "a compact JWS");
  assert.deepEqual(result.customer, {
    name: `${name}/e09a4e93-29a7-4eba-a6d4-76202383f07f`,
    type: "Microsoft.AzureStack/registrations/customerSubscriptions",
    tenantId: "dbab3982-796f-4d03-9908-044c08aef8a2",
  });
  assert.equal(result.customers.length, 2);
  assert.equal(result.customersAfterDelete, 0);
  assert.equal(result.deleteStatus, 200);
  assert.deepEqual(result.afterDelete, { statusCode: 404, code: "ResourceNotFound" });
});
