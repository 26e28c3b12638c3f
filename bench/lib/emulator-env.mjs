// Prints shell exports for a benchmark from an emulator's ready file: AZSB_OPTIONS (the operator's client
// options JSON), TOKEN (an operator access token for the admin endpoint), ADMIN, CA, PROVIDER.
import { readFileSync } from "node:fs";
import https from "node:https";

const ready = JSON.parse(readFileSync(process.argv[2], "utf8"));
const op = ready.service_principals.find((s) => s.name === "operator");
const q = (s) => "'" + s.replace(/'/g, "'\\''") + "'";
const options = { arm_endpoint: ready.admin_arm, tenant: ready.tenant_id, ca_bundle: ready.ca_pem,
  credential: { type: "client_secret", client_id: op.client_id, client_secret: op.client_secret } };
const form = new URLSearchParams({ grant_type: "client_credentials", client_id: op.client_id,
  client_secret: op.client_secret, resource: ready.audiences.admin }).toString();
const req = https.request(`${ready.login_endpoint}${ready.tenant_id}/oauth2/token`,
  { method: "POST", ca: readFileSync(ready.ca_pem), headers: { "content-type": "application/x-www-form-urlencoded" } },
  (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => {
    console.log(`export AZSB_OPTIONS=${q(JSON.stringify(options))}`);
    console.log(`export TOKEN=${q(JSON.parse(b).access_token)}`);
    console.log(`export ADMIN=${q(ready.admin_arm)}`);
    console.log(`export CA=${q(ready.ca_pem)}`);
    console.log(`export PROVIDER=${ready.default_provider_subscription_id}`);
  }); });
req.end(form);
