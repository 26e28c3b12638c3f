// Pages through tenant usage with the official Azure SDK for JavaScript, unmodified: only the public
// options a user would set (authority host, ARM endpoint, token scope). Prints one JSON result line.
// Run by emulator.test.mjs with NODE_EXTRA_CA_CERTS pointing at the emulator's CA.
import {
  ClientSecretCredential,
  ClientCertificateCredential,
  DeviceCodeCredential,
} from "@azure/identity";
import { UsageManagementClient } from "@azure/arm-commerce-profile-2020-09-01-hybrid";
import { readFileSync } from "node:fs";

const ready = JSON.parse(process.env.AZS_READY);
const flow = process.env.AZS_FLOW;
const [start, end] = [new Date(process.env.AZS_START), new Date(process.env.AZS_END)];
const subscription = ready.dataset.first_tenant_subscription_id;
const authority = { authorityHost: ready.login_endpoint, disableInstanceDiscovery: true };

function credential() {
  const tenantSp = ready.service_principals.find((sp) => sp.name === "tenant");
  const certSp = ready.service_principals.find((sp) => sp.certificate_path);
  switch (flow) {
    case "secret":
      return new ClientSecretCredential(ready.tenant_id, tenantSp.client_id, tenantSp.client_secret, authority);
    case "certificate": {
      const pem = readFileSync(certSp.certificate_path, "utf8") + readFileSync(certSp.private_key_path, "utf8");
      return new ClientCertificateCredential(ready.tenant_id, certSp.client_id, { certificate: pem }, authority);
    }
    case "device-code":
      return new DeviceCodeCredential({
        ...authority,
        tenantId: ready.tenant_id,
        clientId: "1950a258-227b-4e31-a9cf-717495945fc2",
        userPromptCallback: () => {},
      });
    default:
      throw new Error(`unknown AZS_FLOW ${flow}`);
  }
}

const client = new UsageManagementClient(credential(), subscription, {
  endpoint: ready.tenant_arm.replace(/\/$/, ""),
  credentialScopes: [`${ready.audiences.tenant}/.default`],
  retryOptions: { maxRetries: 5, retryDelayInMs: 50, maxRetryDelayInMs: 2000 },
});

let rows = 0;
let pages = 0;
const keys = new Set();
let sample;
const iterator = client.usageAggregates.list(start, end, { aggregationGranularity: process.env.AZS_GRANULARITY });
for await (const page of iterator.byPage()) {
  pages += 1;
  for (const row of page) {
    rows += 1;
    sample ??= row;
    const instance = JSON.parse(row.instanceData);
    keys.add([row.subscriptionId, row.meterId, row.usageStartTime.toISOString(), instance["Microsoft.Resources"].resourceUri, row.quantity].join("|"));
  }
}
console.log(JSON.stringify({ rows, pages, distinct: keys.size, sample }));
