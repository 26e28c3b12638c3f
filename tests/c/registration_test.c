/*
 * Registration through the C API: the disconnected Azure-side flow against the emulator's Azure side and PEP
 * model (token from the emulated PEP -> create -> activation key -> decode -> activation -> CSP cycle ->
 * removal), and misuse (NULL, invalid UTF-8, malformed JSON, unknown fields, wrong credentials).
 * Run by tests/c/run.sh under valgrind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"
#include "test_support.h"

/* The outcome of one call: status, parsed output (NULL on failure), error (NULL on success). */
typedef struct {
  azsb_status status;
  cJSON *json;
  azsb_error *error;
} outcome;

/* Takes ownership of `text` (freed with azsb_string_free) and parses it. */
static outcome finish(azsb_status status, char *text, azsb_error *error) {
  outcome out = {status, NULL, error};
  if (status == AZSB_STATUS_OK) {
    out.json = cJSON_Parse(text);
    CHECK(out.json != NULL, "output is JSON: %s", text ? text : "(null)");
  }
  azsb_string_free(text);
  return out;
}

static void release(outcome *out) {
  cJSON_Delete(out->json);
  azsb_error_free(out->error);
  out->json = NULL;
  out->error = NULL;
}

static const char *message(const outcome *out) { return out->error ? azsb_error_message(out->error) : ""; }

static const char *code(const outcome *out) {
  const char *c = out->error ? azsb_error_code(out->error) : NULL;
  return c ? c : "";
}

/* ASCII case-insensitive equality (GUIDs may come back in either case). */
static int same_text(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return 0;
  }
  return *a == *b;
}

static const char *text(const cJSON *object, const char *name) {
  const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
  return value ? value : "";
}

/* Calls an azsb_azure_* function with `args` (a cJSON object, deleted here). */
typedef azsb_status (*client_fn)(const azsb_client *, const char *, char **, azsb_error **);

static outcome azure_text(client_fn fn, const azsb_client *client, const char *args) {
  char *out = NULL;
  azsb_error *error = NULL;
  azsb_status status = fn(client, args, &out, &error);
  return finish(status, out, error);
}

static outcome azure(client_fn fn, const azsb_client *client, cJSON *args) {
  char *args_text = cJSON_PrintUnformatted(args);
  cJSON_Delete(args);
  outcome out = azure_text(fn, client, args_text);
  cJSON_free(args_text);
  return out;
}

static outcome pep(const char *command, cJSON *parameters) {
  char *parameters_text = parameters ? cJSON_PrintUnformatted(parameters) : NULL;
  cJSON_Delete(parameters);
  char *out = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_pep_invoke(env("AZSB_PEP_OPTIONS"), command, parameters_text, &out, &error);
  cJSON_free(parameters_text);
  return finish(status, out, error);
}

/* {subscription_id, resource_group, name|registration_name}: names one registration. */
static cJSON *registration_args(const char *name_field, const char *name) {
  cJSON *args = cJSON_CreateObject();
  cJSON_AddStringToObject(args, "subscription_id", env("AZSB_AZURE_SUBSCRIPTION"));
  cJSON_AddStringToObject(args, "resource_group", "azurestack");
  cJSON_AddStringToObject(args, name_field, name);
  return args;
}

/* The stamp's activation through its admin endpoint: expected status, and the registration it names. */
static void check_stamp_activation(azsb_status expected, const char *registration_name) {
  azsb_client *admin = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &admin, &error);
  CHECK(status == AZSB_STATUS_OK, "admin client: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (status != AZSB_STATUS_OK) {
    return;
  }
  char *json = NULL;
  error = NULL;
  status = azsb_stamp_activation_get(admin, &json, &error);
  outcome activation = finish(status, json, error);
  CHECK(activation.status == expected, "stamp activation: %u %s", activation.status, message(&activation));
  if (registration_name != NULL && activation.json != NULL) {
    cJSON *properties = cJSON_GetObjectItemCaseSensitive(activation.json, "properties");
    CHECK(strstr(text(properties, "azureRegistrationResourceIdentifier"), registration_name) != NULL,
          "the activation names the registration: %s", text(properties, "azureRegistrationResourceIdentifier"));
  }
  release(&activation);
  azsb_client_free(admin);
}

/* A registration token from the emulated PEP for these settings; NULL on failure. Free with free(). */
static char *registration_token(const char *stamp_version, const char *settings) {
  char *resolved = NULL, *parameters = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_registration_settings_resolve(settings, &resolved, &error);
  CHECK(status == AZSB_STATUS_OK, "resolve %s: %s", settings, azsb_error_message(error));
  azsb_error_free(error);
  error = NULL;
  if (status != AZSB_STATUS_OK) {
    return NULL;
  }
  status = azsb_registration_token_parameters(stamp_version, resolved, &parameters, &error);
  CHECK(status == AZSB_STATUS_OK, "token parameters: %s", azsb_error_message(error));
  azsb_error_free(error);
  azsb_string_free(resolved);
  if (status != AZSB_STATUS_OK) {
    return NULL;
  }
  outcome token = pep("New-RegistrationToken", cJSON_Parse(parameters));
  azsb_string_free(parameters);
  CHECK(token.status == AZSB_STATUS_OK, "New-RegistrationToken: %s", message(&token));
  char *copy = NULL;
  const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(token.json, "output"));
  if (value != NULL) {
    copy = malloc(strlen(value) + 1);
    if (copy != NULL) {
      strcpy(copy, value);
    }
  }
  CHECK(copy != NULL, "the token is a string");
  release(&token);
  return copy;
}

static outcome create(const azsb_client *client, const char *name, const char *location, const char *token) {
  cJSON *args = registration_args("name", name);
  cJSON_AddStringToObject(args, "location", location);
  cJSON_AddStringToObject(args, "token", token);
  return azure(azsb_azure_registration_create, client, args);
}

static cJSON *customer_args(const char *customer) {
  cJSON *args = registration_args("registration_name", "c-registration");
  cJSON_AddStringToObject(args, "customer_subscription_id", customer);
  cJSON_AddStringToObject(args, "tenant_id", "dbab3982-796f-4d03-9908-044c08aef8a2");
  return args;
}

static void test_csp_cycle(const azsb_client *client) {
  const char *customer = "e09a4e93-29a7-4eba-a6d4-76202383f07f";
  outcome out = azure(azsb_azure_customer_subscription_put, client, customer_args(customer));
  CHECK(out.status == AZSB_STATUS_OK, "CSP put: %s", message(&out));
  cJSON *properties = cJSON_GetObjectItemCaseSensitive(out.json, "properties");
  CHECK(strcmp(text(properties, "tenantId"), "dbab3982-796f-4d03-9908-044c08aef8a2") == 0, "tenant mapped");
  release(&out);
  out = azure(azsb_azure_customer_subscription_list, client, registration_args("registration_name", "c-registration"));
  CHECK(out.status == AZSB_STATUS_OK && cJSON_GetArraySize(out.json) == 1, "CSP list: %s", message(&out));
  release(&out);
  out = azure(azsb_azure_customer_subscription_get, client, customer_args(customer));
  CHECK(out.status == AZSB_STATUS_OK, "CSP get: %s", message(&out));
  release(&out);
  out = azure(azsb_azure_customer_subscription_remove, client, customer_args(customer));
  CHECK(out.status == AZSB_STATUS_OK && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out.json, "removed")),
        "CSP remove: %s", message(&out));
  release(&out);
  out = azure(azsb_azure_customer_subscription_remove, client, customer_args(customer));
  CHECK(out.status == AZSB_STATUS_OK && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(out.json, "removed")),
        "CSP remove again: %s", message(&out));
  release(&out);
  out = azure(azsb_azure_customer_subscription_get, client, customer_args(customer));
  CHECK(out.status == AZSB_STATUS_NOT_FOUND, "CSP get after remove: %u", out.status);
  CHECK(strcmp(code(&out), "CustomerSubscriptionNotFound") == 0, "code %s", code(&out));
  CHECK(azsb_error_http_status(out.error) == 404, "HTTP %u", azsb_error_http_status(out.error));
  release(&out);
  out = azure(azsb_azure_customer_subscription_put, client, customer_args("not-a-guid"));
  CHECK(out.status == AZSB_STATUS_SERVICE && strcmp(code(&out), "InvalidCustomerSubscriptionId") == 0,
        "non-GUID customer subscription: %u %s", out.status, code(&out));
  release(&out);
}

static void test_disconnected_flow(void) {
  /* Near the stamp: stamp information and a Capacity token, disconnected. */
  outcome info = pep("Get-AzureStackStampInformation", NULL);
  CHECK(info.status == AZSB_STATUS_OK, "stamp information: %s", message(&info));
  cJSON *stamp = cJSON_GetObjectItemCaseSensitive(info.json, "output");
  char version[64], cloud_id[64];
  snprintf(version, sizeof version, "%s", text(stamp, "StampVersion"));
  snprintf(cloud_id, sizeof cloud_id, "%s", text(stamp, "CloudID"));
  release(&info);
  char *token = registration_token(
      version, "{\"billing_model\":\"Capacity\",\"connected\":false,\"agreement_number\":\"EA-C-1\"}");
  if (token == NULL) {
    return;
  }
  char *decoded_text = NULL;
  /* Two statements: C leaves the order of a call's argument evaluations open. */
  azsb_status decode_status = azsb_registration_token_decode(token, &decoded_text, NULL);
  outcome decoded = finish(decode_status, decoded_text, NULL);
  CHECK(decoded.status == AZSB_STATUS_OK, "token decodes");
  CHECK(same_text(text(decoded.json, "cloud_id"), cloud_id), "cloud id %s", text(decoded.json, "cloud_id"));
  CHECK(strcmp(text(decoded.json, "billing_model"), "Capacity") == 0, "billing model");
  CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(decoded.json, "marketplace_syndication_enabled")),
        "no syndication when disconnected");
  release(&decoded);

  /* Elsewhere, in Azure: create, key. */
  azsb_client *client = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_client_new(env("AZSB_AZURE_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "Azure client: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (status != AZSB_STATUS_OK) {
    free(token);
    return;
  }
  cJSON *subscription = cJSON_CreateObject();
  cJSON_AddStringToObject(subscription, "subscription_id", env("AZSB_AZURE_SUBSCRIPTION"));
  outcome locations = azure(azsb_azure_locations, client, subscription);
  CHECK(locations.status == AZSB_STATUS_OK && cJSON_GetArraySize(locations.json) > 0, "locations: %s",
        message(&locations));
  char location[64];
  snprintf(location, sizeof location, "%s", text(cJSON_GetArrayItem(locations.json, 0), "name"));
  release(&locations);

  outcome created = create(client, "c-registration", location, token);
  free(token);
  CHECK(created.status == AZSB_STATUS_OK, "create: %s", message(&created));
  cJSON *properties = cJSON_GetObjectItemCaseSensitive(created.json, "properties");
  CHECK(strcmp(text(properties, "billingModel"), "Capacity") == 0, "registered as Capacity");
  release(&created);

  outcome key = azure(azsb_azure_activation_key, client, registration_args("name", "c-registration"));
  CHECK(key.status == AZSB_STATUS_OK, "activation key: %s", message(&key));
  const char *key_text = text(key.json, "activation_key");
  char *claims_text = NULL;
  azsb_status claims_status = azsb_activation_key_decode(key_text, &claims_text, NULL);
  outcome claims = finish(claims_status, claims_text, NULL);
  CHECK(claims.status == AZSB_STATUS_OK, "the key decodes");
  CHECK(strcmp(text(claims.json, "registration_name"), "c-registration") == 0, "key names the registration");
  CHECK(same_text(text(claims.json, "cloud_id"), cloud_id), "key carries the cloud id");
  release(&claims);

  /* Back at the stamp: activate with the key. */
  cJSON *activation = cJSON_CreateObject();
  cJSON_AddStringToObject(activation, "ActivationKey", key_text);
  outcome activated = pep("New-AzureStackActivation", activation);
  CHECK(activated.status == AZSB_STATUS_OK, "activation: %s", message(&activated));
  release(&activated);
  check_stamp_activation(AZSB_STATUS_OK, "c-registration");
  release(&key);

  /* A Capacity registration takes no customer subscriptions. */
  outcome refused = azure(azsb_azure_customer_subscription_put, client,
                          customer_args("e09a4e93-29a7-4eba-a6d4-76202383f07f"));
  CHECK(refused.status == AZSB_STATUS_SERVICE && strcmp(code(&refused), "CustomerSubscriptionsNotAllowed") == 0,
        "CSP on Capacity: %u %s", refused.status, code(&refused));
  release(&refused);

  /* Re-registering the same name as PayAsYouUse converges (renewed) and allows CSP tenants. */
  token = registration_token(version, "{\"billing_model\":\"PayAsYouUse\",\"connected\":true}");
  if (token != NULL) {
    created = create(client, "c-registration", location, token);
    free(token);
    CHECK(created.status == AZSB_STATUS_OK, "re-create: %s", message(&created));
    properties = cJSON_GetObjectItemCaseSensitive(created.json, "properties");
    CHECK(strcmp(text(properties, "billingModel"), "PayAsYouUse") == 0, "now PayAsYouUse");
    release(&created);
    test_csp_cycle(client);
  }

  /* Found by cloud id alone. */
  cJSON *find = cJSON_CreateObject();
  cJSON_AddStringToObject(find, "subscription_id", env("AZSB_AZURE_SUBSCRIPTION"));
  cJSON_AddStringToObject(find, "cloud_id", cloud_id);
  outcome found = azure(azsb_azure_registration_find, client, find);
  CHECK(found.status == AZSB_STATUS_OK && strcmp(text(found.json, "name"), "c-registration") == 0,
        "find by cloud id: %s", message(&found));
  release(&found);

  /* Deactivate, remove (lock first, verified), and the second removal finds nothing. */
  outcome removed_activation = pep("Remove-AzureStackActivation", NULL);
  CHECK(removed_activation.status == AZSB_STATUS_OK, "deactivate: %s", message(&removed_activation));
  release(&removed_activation);
  check_stamp_activation(AZSB_STATUS_NOT_FOUND, NULL);
  cJSON *other_cloud = registration_args("name", "c-registration");
  cJSON_AddStringToObject(other_cloud, "cloud_id", "00000000-0000-0000-0000-000000000001");
  outcome refused_removal = azure(azsb_azure_registration_remove, client, other_cloud);
  CHECK(refused_removal.status == AZSB_STATUS_INVALID_ARGUMENT, "another cloud's registration: %u", refused_removal.status);
  release(&refused_removal);
  cJSON *own_cloud = registration_args("name", "c-registration");
  cJSON_AddStringToObject(own_cloud, "cloud_id", cloud_id);
  outcome removed = azure(azsb_azure_registration_remove, client, own_cloud);
  CHECK(removed.status == AZSB_STATUS_OK && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(removed.json, "removed")),
        "remove: %s", message(&removed));
  release(&removed);
  outcome gone = azure(azsb_azure_registration_get, client, registration_args("name", "c-registration"));
  CHECK(gone.status == AZSB_STATUS_NOT_FOUND, "get after remove: %u", gone.status);
  release(&gone);
  removed = azure(azsb_azure_registration_remove, client, registration_args("name", "c-registration"));
  CHECK(removed.status == AZSB_STATUS_OK && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(removed.json, "removed")),
        "remove again: %s", message(&removed));
  release(&removed);
  azsb_client_free(client);
}

static void test_misuse(void) {
  CHECK(strcmp(azsb_status_name(AZSB_STATUS_NOT_FOUND), "AZSB_STATUS_NOT_FOUND") == 0, "NOT_FOUND name");
  CHECK(strcmp(azsb_status_name(AZSB_STATUS_PEP_ERROR), "AZSB_STATUS_PEP_ERROR") == 0, "PEP_ERROR name");

  char *out = (char *)1;
  azsb_error *error = NULL;
  azsb_status status = azsb_registration_token_decode(NULL, &out, &error);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL token: %u", status);
  CHECK(strstr(azsb_error_message(error), "token") != NULL, "names the argument");
  CHECK(out == (char *)1, "outputs untouched on failure");
  azsb_error_free(error);

  error = NULL;
  status = azsb_activation_key_decode("\xff\xfe.a.b", &out, &error);
  CHECK(status == AZSB_STATUS_INVALID_UTF8, "invalid UTF-8: %u", status);
  azsb_error_free(error);

  error = NULL;
  status = azsb_registration_token_decode("bm90IGpzb24=", &out, &error); /* base64("not json") */
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "token that is not JSON: %u", status);
  CHECK(strstr(azsb_error_message(error), "not JSON") != NULL, "says why: %s", azsb_error_message(error));
  azsb_error_free(error);

  status = azsb_activation_key_decode("only.two", NULL, NULL);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL json_out: %u", status);

  error = NULL;
  status = azsb_registration_settings_resolve("{\"billing_model\":\"Custom\",\"connected\":true}", &out, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "Custom without asset tag: %u", status);
  CHECK(strstr(azsb_error_message(error), "ms_asset_tag") != NULL, "names the fix: %s", azsb_error_message(error));
  azsb_error_free(error);

  error = NULL;
  status = azsb_registration_token_parameters("1.1912.0.18", "{\"billing_model\":\"Custom\",\"connected\":true,"
                                              "\"ms_asset_tag\":\"T\"}", &out, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "Custom on 1.1912.0.18: %u", status);
  azsb_error_free(error);

  error = NULL;
  status = azsb_azure_registration_get(NULL, "{}", &out, &error);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL client: %u", status);
  azsb_error_free(error);

  /* A client of the stamp is enough for the checks made before anything is sent. */
  azsb_client *client = NULL;
  error = NULL;
  status = azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "client: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (status == AZSB_STATUS_OK) {
    outcome bad = azure_text(azsb_azure_registration_get, client, "{not json");
    CHECK(bad.status == AZSB_STATUS_INVALID_ARGUMENT && strstr(message(&bad), "JSON") != NULL, "malformed args: %s",
          message(&bad));
    release(&bad);
    bad = azure_text(azsb_azure_registration_get, client, "{\"subscription_id\":\"x\",\"nmae\":\"r\"}");
    CHECK(bad.status == AZSB_STATUS_INVALID_ARGUMENT && strstr(message(&bad), "nmae") != NULL,
          "unknown field: %s", message(&bad));
    release(&bad);
    bad = azure_text(azsb_azure_registration_find, client,
                     "{\"subscription_id\":\"dd8597b4-8739-4467-8b10-f8679f62bfbf\"}");
    CHECK(bad.status == AZSB_STATUS_INVALID_ARGUMENT, "find with nothing to go by: %u", bad.status);
    release(&bad);
    bad = azure_text(azsb_azure_registration_get, client, "{\"subscription_id\":\"\xff\"}");
    CHECK(bad.status == AZSB_STATUS_INVALID_UTF8, "invalid UTF-8 args: %u", bad.status);
    release(&bad);
    out = NULL;
    error = NULL;
    status = azsb_client_refresh_token(client, &out, &error);
    CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "no refresh token for a service principal: %u", status);
    CHECK(out == NULL, "no token");
    azsb_error_free(error);
    /* The library says so before anyone asks for the token. */
    out = NULL;
    error = NULL;
    status = azsb_client_credential(client, &out, &error);
    outcome credential = finish(status, out, error);
    CHECK(credential.status == AZSB_STATUS_OK, "credential: %s", message(&credential));
    CHECK(strcmp(text(credential.json, "type"), "client_secret") == 0, "its type");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(credential.json, "holds_refresh_token")),
          "a service principal holds no refresh token");
    release(&credential);
    out = NULL;
    error = NULL;
    azsb_client_free(client);
  }

  /* The long commands' timeout, for callers that reach the PEP themselves. */
  char *defaults = NULL;
  CHECK(azsb_pep_command_defaults("New-AzureStackActivation", &defaults, NULL) == AZSB_STATUS_OK &&
            strcmp(defaults, "{\"TimeoutInSeconds\":1800}") == 0,
        "activation defaults: %s", defaults ? defaults : "(null)");
  azsb_string_free(defaults);
  defaults = NULL;
  CHECK(azsb_pep_command_defaults("Get-AzureStackStampInformation", &defaults, NULL) == AZSB_STATUS_OK &&
            strcmp(defaults, "{}") == 0,
        "no defaults for a short command: %s", defaults ? defaults : "(null)");
  azsb_string_free(defaults);
  CHECK(azsb_pep_command_defaults("../x", &defaults, NULL) == AZSB_STATUS_INVALID_ARGUMENT, "not a command");

  outcome bad = pep("../Get-Secrets", NULL);
  CHECK(bad.status == AZSB_STATUS_INVALID_ARGUMENT, "bad command name: %u", bad.status);
  release(&bad);
  bad = pep("Get-Nothing", NULL);
  CHECK(bad.status == AZSB_STATUS_PEP_ERROR && strcmp(code(&bad), "CommandNotFoundException") == 0,
        "unknown command: %u %s", bad.status, code(&bad));
  release(&bad);
  out = NULL;
  error = NULL;
  status = azsb_pep_invoke(env("AZSB_BAD_PEP_OPTIONS"), "Get-AzureStackStampInformation", NULL, &out, &error);
  CHECK(status == AZSB_STATUS_AUTHENTICATION, "wrong PEP password: %u", status);
  CHECK(strstr(azsb_error_message(error), "wrong-pep-password") == NULL, "the password is not in the message");
  azsb_error_free(error);
  out = NULL;
  error = NULL;
  status = azsb_pep_invoke("{\"url\":\"https://127.0.0.1:1/\",\"username\":\"u\",\"password\":\"p\"}",
                           "Get-AzureStackStampInformation", "[1]", &out, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "parameters that are not an object: %u", status);
  azsb_error_free(error);
}

int main(void) {
  test_misuse();
  test_disconnected_flow();
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c registration api: all checks passed\n");
  return 0;
}
