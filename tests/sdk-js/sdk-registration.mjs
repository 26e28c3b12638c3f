// Creates, reads and deletes a registration and customer subscriptions on the emulated Azure with the
// official Azure SDK for JavaScript (@azure/arm-azurestack, ms-rest-js based), unmodified: only the public
// options a user would set (authority host, base URI). Prints one JSON result line.
// Run by registration.test.mjs with NODE_EXTRA_CA_CERTS pointing at the emulator's CA.
import { ClientSecretCredential } from "@azure/identity";
import { AzureStackManagementClient } from "@azure/arm-azurestack";

const ready = JSON.parse(process.env.AZS_READY);
const registrationToken = process.env.AZS_REGISTRATION_TOKEN;
const azure = ready.azure;
const operator = azure.service_principals.find((sp) => sp.name === "azure-operator");
const credential = new ClientSecretCredential(azure.tenant_id, operator.client_id, operator.client_secret, {
  authorityHost: azure.login_endpoint,
  disableInstanceDiscovery: true,
});
const client = new AzureStackManagementClient(credential, azure.subscription_id, {
  baseUri: azure.arm.replace(/\/$/, ""),
});

const group = "azurestack";
const name = `azurestack-${ready.pep.cloud_id}`;
const customers = ["e09a4e93-29a7-4eba-a6d4-76202383f07f", "0f7e2c4b-1d5a-4a8e-9b3c-6e2f1a7d9c40"];
const tenantId = "dbab3982-796f-4d03-9908-044c08aef8a2";
const result = {};

const created = await client.registrations.createOrUpdate(group, name, { location: "global", registrationToken });
result.created = { status: created._response.status, id: created.id, cloudId: created.cloudId, billingModel: created.billingModel };
const read = await client.registrations.get(group, name);
result.read = { name: read.name, objectId: read.objectId, etag: read.etag, location: read.location };
result.listed = (await client.registrations.list(group)).map((r) => r.name);
result.activationKeyParts = (await client.registrations.getActivationKey(group, name)).activationKey.split(".").length;

for (const customer of customers) {
  await client.customerSubscriptions.create(group, name, customer, { tenantId });
}
const mapping = await client.customerSubscriptions.get(group, name, customers[0]);
result.customer = { name: mapping.name, type: mapping.type, tenantId: mapping.tenantId };
result.customers = (await client.customerSubscriptions.list(group, name)).map((c) => c.name).sort();
for (const customer of customers) {
  await client.customerSubscriptions.deleteMethod(group, name, customer);
}
result.customersAfterDelete = (await client.customerSubscriptions.list(group, name)).length;

const deleted = await client.registrations.deleteMethod(group, name);
result.deleteStatus = deleted._response.status;
try {
  await client.registrations.get(group, name);
  result.afterDelete = "still there";
} catch (error) {
  result.afterDelete = { statusCode: error.statusCode, code: error.code };
}
console.log(JSON.stringify(result));
