/*
 * The C API against a running emulator, and its misuse: NULL arguments, invalid UTF-8, malformed JSON,
 * bad time ranges, wrong credentials. Run by tests/c/run.sh under valgrind. `usage_test resume` runs only
 * the retry test, against an emulator whose fault plan run.sh has set to fail some usage pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"
#include "test_support.h"

static char *query_json(const char *start, const char *end, const char *token) {
  static char buffer[1024];
  snprintf(buffer, sizeof buffer,
           "{\"api\":\"provider\",\"subscription_id\":\"%s\",\"reported_start_time\":\"%s\",\"reported_end_time\":\"%s\","
           "\"aggregation_granularity\":\"Hourly\",\"continuation_token\":%s%s%s}",
           env("AZSB_PROVIDER_SUBSCRIPTION"), start, end, token ? "\"" : "", token ? token : "null", token ? "\"" : "");
  return buffer;
}

/* Counts the rows of every remaining page; returns -1 on error. */
static long count_rows(azsb_usage_query *query, int max_pages) {
  long rows = 0;
  for (int pages = 0; max_pages < 0 || pages < max_pages; pages++) {
    char *page = NULL;
    azsb_error *error = NULL;
    azsb_status status = azsb_usage_next_page(query, &page, &error);
    if (status != AZSB_STATUS_OK) {
      fprintf(stderr, "next_page: %s\n", azsb_error_message(error));
      azsb_error_free(error);
      return -1;
    }
    if (page == NULL) {
      break;
    }
    cJSON *records = cJSON_Parse(page);
    CHECK(cJSON_IsArray(records), "a page is a JSON array");
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    if (first != NULL) {
      CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(first, "quantity")), "quantity is a number");
      CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(first, "instance")), "instanceData is parsed");
    }
    rows += cJSON_GetArraySize(records);
    cJSON_Delete(records);
    azsb_string_free(page);
  }
  return rows;
}

static void test_versions(void) {
  CHECK(azsb_abi_version() == AZSB_ABI_VERSION, "ABI version %u", azsb_abi_version());
  CHECK(strlen(azsb_version()) > 0, "version string");
  CHECK(strcmp(azsb_status_name(AZSB_STATUS_SERVICE), "AZSB_STATUS_SERVICE") == 0, "status names");
  CHECK(strcmp(azsb_status_name(12345), "AZSB_STATUS_UNKNOWN") == 0, "unknown status name");
}

static void test_misuse(void) {
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_status status = azsb_client_new(NULL, NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL options: %u", status);
  CHECK(strstr(azsb_error_message(error), "options_json") != NULL, "names the argument: %s", azsb_error_message(error));
  CHECK(azsb_error_status(error) == AZSB_STATUS_NULL_POINTER, "error status");
  CHECK(client == NULL, "no output on failure");
  azsb_error_free(error);

  error = NULL;
  status = azsb_client_new("{\"cloud\":\"\xff\xfe\"}", NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_INVALID_UTF8, "invalid UTF-8: %u", status);
  azsb_error_free(error);

  error = NULL;
  status = azsb_client_new("{not json", NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "malformed JSON: %u", status);
  CHECK(strstr(azsb_error_message(error), "JSON") != NULL, "says JSON: %s", azsb_error_message(error));
  azsb_error_free(error);

  /* error_out may be NULL. */
  status = azsb_client_new("{}", NULL, NULL, &client, NULL);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "options without credential: %u", status);
  status = azsb_client_new("{\"cloud\":\"AzureCloud\",\"credential\":{\"type\":\"access_token\",\"access_token\":\"t\"}}",
                           NULL, NULL, NULL, NULL);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL client_out: %u", status);

  char *page = (char *)1;
  status = azsb_usage_next_page(NULL, &page, NULL);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL query: %u", status);
  CHECK(page == (char *)1, "outputs untouched on failure");

  /* Every free accepts NULL; getters on NULL are safe. */
  azsb_client_free(NULL);
  azsb_usage_free(NULL);
  azsb_error_free(NULL);
  azsb_string_free(NULL);
  CHECK(strcmp(azsb_error_message(NULL), "") == 0, "message of NULL");
  CHECK(azsb_error_code(NULL) == NULL && azsb_error_http_status(NULL) == 0, "getters of NULL");
}

static void test_meters(void) {
  char *json = NULL;
  CHECK(azsb_meter_lookup("f271a8a3-88c4-4d93-956a-063e1d2fa80b", &json, NULL) == AZSB_STATUS_OK, "lookup");
  CHECK(json != NULL && strstr(json, "Static IP Address Usage") != NULL, "name: %s", json ? json : "(null)");
  azsb_string_free(json);
  json = (char *)1;
  CHECK(azsb_meter_lookup("00000000-0000-0000-0000-000000000000", &json, NULL) == AZSB_STATUS_OK, "unknown");
  CHECK(json == NULL, "unknown meter gives NULL");
  CHECK(azsb_meters(&json, NULL) == AZSB_STATUS_OK && json != NULL, "catalogue");
  cJSON *all = cJSON_Parse(json);
  CHECK(cJSON_GetArraySize(all) > 50, "catalogue size %d", cJSON_GetArraySize(all));
  cJSON_Delete(all);
  azsb_string_free(json);
}

static void test_usage(void) {
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_status status = azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "client: %s", azsb_error_message(error));
  if (status != AZSB_STATUS_OK) {
    azsb_error_free(error);
    return;
  }
  char *environment = NULL;
  CHECK(azsb_client_environment(client, &environment, NULL) == AZSB_STATUS_OK, "environment");
  CHECK(environment != NULL && strstr(environment, "audience") != NULL, "environment JSON");
  azsb_string_free(environment);

  const char *start = "2026-01-06T00:00:00Z", *end = "2026-01-08T00:00:00Z";
  azsb_usage_query *query = NULL;
  status = azsb_usage_open(client, query_json(start, end, NULL), &query, &error);
  CHECK(status == AZSB_STATUS_OK, "open: %s", azsb_error_message(error));
  long expected = atol(env("AZSB_EXPECTED_ROWS"));
  if (status == AZSB_STATUS_OK) {
    char *token = NULL;
    CHECK(azsb_usage_continuation_token(query, &token, NULL) == AZSB_STATUS_OK && token == NULL, "no token yet");
    long first = count_rows(query, 1);
    CHECK(first == 1000, "a full first page: %ld", first);
    CHECK(azsb_usage_continuation_token(query, &token, NULL) == AZSB_STATUS_OK && token != NULL, "token after page 1");
    long rest = count_rows(query, -1);
    CHECK(first + rest == expected, "every row once: %ld + %ld != %ld", first, rest, expected);
    azsb_usage_free(query);

    /* Resuming from the token in a new query yields exactly the remaining rows. */
    if (token != NULL) {
      status = azsb_usage_open(client, query_json(start, end, token), &query, &error);
      CHECK(status == AZSB_STATUS_OK, "resume: %s", azsb_error_message(error));
      if (status == AZSB_STATUS_OK) {
        long resumed = count_rows(query, -1);
        CHECK(resumed == expected - 1000, "resumed %ld, expected %ld", resumed, expected - 1000);
        azsb_usage_free(query);
      }
    }
    azsb_string_free(token);
  }
  azsb_error_free(error);
  error = NULL;

  /* A bad range is refused before anything is sent. */
  query = NULL;
  status = azsb_usage_open(client, query_json(end, start, NULL), &query, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "end before start: %u", status);
  CHECK(query == NULL, "no query on failure");
  CHECK(azsb_error_http_status(error) == 0, "nothing was sent");
  azsb_error_free(error);
  error = NULL;
  status = azsb_usage_open(client, query_json("2026-01-06T00:30:00Z", end, NULL), &query, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "unaligned start: %u", status);
  azsb_error_free(error);
  azsb_client_free(client);
}

static int same_text(const char *row_field, const cJSON *json_field) {
  if (row_field == NULL) {
    return json_field == NULL || cJSON_IsNull(json_field);
  }
  return cJSON_IsString(json_field) && strcmp(row_field, json_field->valuestring) == 0;
}

/* azsb_usage_next_rows hands out the same records as azsb_usage_next_page, as plain fields: two queries of
 * the same window, read side by side, agree field by field, and both end together with every row once. */
static void test_rows_without_json(void) {
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  CHECK(azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &client, &error) == AZSB_STATUS_OK, "client");
  const char *start = "2026-01-06T00:00:00Z", *end = "2026-01-08T00:00:00Z";
  azsb_usage_query *by_rows = NULL, *by_json = NULL;
  CHECK(azsb_usage_open(client, query_json(start, end, NULL), &by_rows, &error) == AZSB_STATUS_OK, "open rows");
  CHECK(azsb_usage_open(client, query_json(start, end, NULL), &by_json, &error) == AZSB_STATUS_OK, "open json");
  long total = 0, with_resource = 0;
  for (;;) {
    const azsb_usage_row *rows = NULL;
    size_t count = 0;
    azsb_status status = azsb_usage_next_rows(by_rows, &rows, &count, &error);
    CHECK(status == AZSB_STATUS_OK, "next_rows: %s", azsb_error_message(error));
    char *page = NULL;
    CHECK(azsb_usage_next_page(by_json, &page, &error) == AZSB_STATUS_OK, "next_page");
    if (status != AZSB_STATUS_OK || rows == NULL) {
      CHECK(rows == NULL && count == 0 && page == NULL, "both end after the last page");
      azsb_string_free(page);
      break;
    }
    cJSON *records = cJSON_Parse(page);
    CHECK((size_t)cJSON_GetArraySize(records) == count, "the same rows per page: %zu", count);
    for (size_t i = 0; i < count && i < (size_t)cJSON_GetArraySize(records); i++) {
      const azsb_usage_row *r = &rows[i];
      const cJSON *j = cJSON_GetArrayItem(records, (int)i);
      const cJSON *instance = cJSON_GetObjectItemCaseSensitive(j, "instance");
      CHECK(same_text(r->subscription_id, cJSON_GetObjectItemCaseSensitive(j, "subscription_id")), "subscription");
      CHECK(same_text(r->meter_id, cJSON_GetObjectItemCaseSensitive(j, "meter_id")), "meter id");
      CHECK(same_text(r->meter_name, cJSON_GetObjectItemCaseSensitive(j, "meter_name")), "meter name");
      CHECK(r->quantity == cJSON_GetObjectItemCaseSensitive(j, "quantity")->valuedouble, "quantity");
      CHECK(strtod(r->quantity_text, NULL) == r->quantity, "quantity text %s", r->quantity_text);
      CHECK(r->usage_end - r->usage_start == 3600, "an hourly row: %lld", (long long)(r->usage_end - r->usage_start));
      CHECK(same_text(r->resource_uri, cJSON_GetObjectItemCaseSensitive(instance, "resource_uri")), "resource uri");
      CHECK(same_text(r->instance_data, cJSON_GetObjectItemCaseSensitive(j, "instance_data_raw")), "raw instanceData");
      with_resource += r->resource_uri != NULL;
    }
    total += (long)count;
    cJSON_Delete(records);
    azsb_string_free(page);
  }
  CHECK(total == atol(env("AZSB_EXPECTED_ROWS")), "every row once: %ld", total);
  CHECK(with_resource > 0, "instanceData parsed into the rows");
  const azsb_usage_row *rows = NULL;
  size_t count = 0;
  CHECK(azsb_usage_next_rows(by_rows, NULL, &count, &error) == AZSB_STATUS_NULL_POINTER, "NULL rows_out");
  azsb_error_free(error);
  error = NULL;
  CHECK(azsb_usage_next_rows(NULL, &rows, &count, &error) == AZSB_STATUS_NULL_POINTER, "NULL query");
  azsb_error_free(error);
  azsb_usage_free(by_rows);
  azsb_usage_free(by_json);
  azsb_client_free(client);
}

/* The Default Provider Subscription is found by its name: the operator gets it, a tenant principal (which
 * sees exactly one subscription, its own) gets AZSB_STATUS_NOT_FOUND. */
static void test_default_provider_subscription(void) {
  const char *cases[] = {"AZSB_OPTIONS", "AZSB_TENANT_OPTIONS"};
  for (int i = 0; i < 2; i++) {
    azsb_client *client = NULL;
    azsb_error *error = NULL;
    azsb_status status = azsb_client_new(env(cases[i]), NULL, NULL, &client, &error);
    CHECK(status == AZSB_STATUS_OK, "%s client: %s", cases[i], azsb_error_message(error));
    azsb_error_free(error);
    error = NULL;
    if (status != AZSB_STATUS_OK) {
      continue;
    }
    char *id = (char *)1;
    status = azsb_default_provider_subscription(client, &id, &error);
    if (i == 0) {
      CHECK(status == AZSB_STATUS_OK, "operator: %s", azsb_error_message(error));
      CHECK(status == AZSB_STATUS_OK && strcmp(id, env("AZSB_PROVIDER_SUBSCRIPTION")) == 0, "the provider's id");
      if (status == AZSB_STATUS_OK) {
        azsb_string_free(id);
      }
    } else {
      CHECK(status == AZSB_STATUS_NOT_FOUND, "tenant principal: %u (%s)", status, azsb_error_message(error));
      CHECK(id == (char *)1, "no output on failure");
      CHECK(strstr(azsb_error_message(error), "connect to the admin endpoint") != NULL, "says what to do: %s",
            azsb_error_message(error));
      CHECK(azsb_error_http_status(error) == 0, "a search that matched nothing, not a 404");
    }
    azsb_error_free(error);
    azsb_client_free(client);
  }
}

/* A string field of a JSON object, or NULL (also for a JSON null). */
static const char *text_field(const cJSON *object, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* What the library decides for every binding: the endpoint's type, the working subscription, one tenant
 * subscription by its id (a 404 is AZSB_STATUS_NOT_FOUND). */
static void test_subscriptions(void) {
  const char *cases[] = {"AZSB_OPTIONS", "AZSB_TENANT_OPTIONS"};
  const char *types[] = {"admin", "tenant"};
  azsb_client *clients[2] = {NULL, NULL};
  for (int i = 0; i < 2; i++) {
    azsb_error *error = NULL;
    CHECK(azsb_client_new(env(cases[i]), NULL, NULL, &clients[i], &error) == AZSB_STATUS_OK, "%s client: %s", cases[i],
          azsb_error_message(error));
    azsb_error_free(error);
    if (clients[i] == NULL) {
      return;
    }
    char *environment = NULL;
    CHECK(azsb_client_environment(clients[i], &environment, NULL) == AZSB_STATUS_OK, "environment");
    cJSON *parsed = cJSON_Parse(environment);
    const char *type = text_field(parsed, "endpoint_type");
    CHECK(type != NULL && strcmp(type, types[i]) == 0, "%s endpoint_type: %s", cases[i], environment);
    CHECK(text_field(parsed, "audience") != NULL, "the other fields stay: %s", environment);
    cJSON_Delete(parsed);
    azsb_string_free(environment);
  }

  /* The tenant principal sees one subscription: that is the working one, with its directory. */
  char *visible = NULL;
  CHECK(azsb_client_subscriptions(clients[1], &visible, NULL) == AZSB_STATUS_OK, "visible subscriptions");
  cJSON *list = cJSON_Parse(visible);
  const char *only = text_field(cJSON_GetArrayItem(list, 0), "subscriptionId");
  CHECK(cJSON_GetArraySize(list) == 1 && only != NULL, "one visible: %s", visible);
  char *json = NULL;
  azsb_error *error = NULL;
  CHECK(azsb_working_subscription(visible, NULL, &json, &error) == AZSB_STATUS_OK, "working: %s",
        azsb_error_message(error));
  cJSON *working = cJSON_Parse(json);
  CHECK(only != NULL && text_field(working, "subscription_id") != NULL &&
            strcmp(text_field(working, "subscription_id"), only) == 0,
        "the only one visible: %s", json);
  CHECK(text_field(working, "tenant_id") != NULL, "with its directory: %s", json);
  cJSON_Delete(working);
  azsb_string_free(json);
  json = (char *)1;
  azsb_status status =
      azsb_working_subscription(visible, "0d1e2f3a-0000-4000-8000-000000000000", &json, &error);
  CHECK(status == AZSB_STATUS_NOT_FOUND, "a subscription the account does not see: %u", status);
  CHECK(only != NULL && strstr(azsb_error_message(error), only) != NULL, "names those it sees: %s",
        azsb_error_message(error));
  CHECK(json == (char *)1, "no output on failure");
  azsb_error_free(error);
  error = NULL;
  cJSON_Delete(list);
  azsb_string_free(visible);

  /* Nothing known of what the account sees (an admin endpoint): the named one as is; none named, none. */
  CHECK(azsb_working_subscription("[]", "0D1E2F3A-0000-4000-8000-000000000000", &json, NULL) == AZSB_STATUS_OK &&
            strstr(json, "\"subscription_id\":\"0D1E2F3A-0000-4000-8000-000000000000\"") != NULL,
        "named: %s", json);
  azsb_string_free(json);
  CHECK(azsb_working_subscription("[{\"subscriptionId\":\"a\"},{\"subscriptionId\":\"b\"}]", NULL, &json, NULL) ==
                AZSB_STATUS_OK &&
            strstr(json, "\"subscription_id\":null") != NULL,
        "several, none named: %s", json);
  azsb_string_free(json);
  CHECK(azsb_working_subscription("{", NULL, &json, NULL) == AZSB_STATUS_INVALID_ARGUMENT, "malformed list");
  CHECK(azsb_working_subscription("[]", "my-subscription", &json, NULL) == AZSB_STATUS_INVALID_ARGUMENT, "not a GUID");
  CHECK(azsb_working_subscription(NULL, NULL, &json, NULL) == AZSB_STATUS_NULL_POINTER, "NULL list");

  /* One tenant subscription by its id, as the operator. */
  const char *provider = env("AZSB_PROVIDER_SUBSCRIPTION"), *first = env("AZSB_FIRST_TENANT_SUBSCRIPTION");
  json = NULL;
  status = azsb_user_subscription_get(clients[0], provider, first, &json, &error);
  CHECK(status == AZSB_STATUS_OK, "get one: %s", azsb_error_message(error));
  cJSON *one = cJSON_Parse(json);
  CHECK(text_field(one, "subscriptionId") != NULL && strcmp(text_field(one, "subscriptionId"), first) == 0,
        "that one: %s", json);
  CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(one, "isDirectTenant")), "judged: %s", json);
  cJSON_Delete(one);
  azsb_string_free(json);
  azsb_error_free(error);
  error = NULL;
  json = (char *)1;
  status = azsb_user_subscription_get(clients[0], provider, "0d1e2f3a-0000-4000-8000-000000000000", &json, &error);
  CHECK(status == AZSB_STATUS_NOT_FOUND, "unknown subscription: %u (%s)", status, azsb_error_message(error));
  CHECK(azsb_error_http_status(error) == 404, "the service's 404: %u", azsb_error_http_status(error));
  CHECK(json == (char *)1, "no output on failure");
  azsb_error_free(error);
  error = NULL;
  status = azsb_user_subscription_get(clients[0], provider, "../x", &json, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT && azsb_error_http_status(error) == 0, "not a GUID: %u", status);
  azsb_error_free(error);
  CHECK(azsb_user_subscription_get(clients[0], provider, NULL, &json, NULL) == AZSB_STATUS_NULL_POINTER, "NULL id");
  azsb_client_free(clients[0]);
  azsb_client_free(clients[1]);
}

/* With retries off and every few usage requests failing (run.sh's fault plan), a caller that just calls
 * azsb_usage_next_page again after an error gets every row exactly once: the failed page is fetched again,
 * never reported as the end. */
static void test_resume_after_errors(void) {
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_status status = azsb_client_new(env("AZSB_NO_RETRY_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "client: %s", azsb_error_message(error));
  azsb_error_free(error);
  error = NULL;
  if (status != AZSB_STATUS_OK) {
    return;
  }
  azsb_usage_query *query = NULL;
  status = azsb_usage_open(client, query_json("2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z", NULL), &query, &error);
  CHECK(status == AZSB_STATUS_OK, "open: %s", azsb_error_message(error));
  azsb_error_free(error);
  error = NULL;
  long rows = 0, errors = 0, pages = 0;
  char *token_before = NULL;
  for (;;) {
    char *page = NULL;
    status = azsb_usage_next_page(query, &page, &error);
    if (status != AZSB_STATUS_OK) {
      errors++;
      CHECK(status == AZSB_STATUS_SERVICE && azsb_error_http_status(error) == 503, "the injected 503: %u %s", status,
            azsb_error_message(error));
      CHECK(page == NULL, "no page on failure");
      /* The token still names the failed page. */
      char *token = NULL;
      CHECK(azsb_usage_continuation_token(query, &token, NULL) == AZSB_STATUS_OK, "token after an error");
      CHECK((token == NULL) == (token_before == NULL) && (token == NULL || strcmp(token, token_before) == 0),
            "the token is the failed page's");
      azsb_string_free(token);
      azsb_error_free(error);
      error = NULL;
      if (errors > 10) {
        break; /* the page is not coming back; the checks below report it */
      }
      continue;
    }
    if (page == NULL) {
      break;
    }
    pages++;
    cJSON *records = cJSON_Parse(page);
    rows += cJSON_GetArraySize(records);
    cJSON_Delete(records);
    azsb_string_free(page);
    azsb_string_free(token_before);
    token_before = NULL;
    azsb_usage_continuation_token(query, &token_before, NULL);
  }
  azsb_string_free(token_before);
  long expected = atol(env("AZSB_EXPECTED_ROWS"));
  CHECK(errors == atol(env("AZSB_EXPECTED_ERRORS")), "%ld errors", errors);
  CHECK(rows == expected, "every row once after retries: %ld rows in %ld pages, expected %ld", rows, pages, expected);
  /* After the end, the end again. */
  char *page = (char *)1;
  CHECK(azsb_usage_next_page(query, &page, NULL) == AZSB_STATUS_OK && page == NULL, "NULL after the last page");
  azsb_usage_free(query);
  azsb_client_free(client);
}

static void test_wrong_secret(void) {
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_status status = azsb_client_new(env("AZSB_BAD_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "client (no sign-in yet): %s", azsb_error_message(error));
  azsb_error_free(error);
  error = NULL;
  if (status != AZSB_STATUS_OK) {
    return;
  }
  azsb_usage_query *query = NULL;
  status = azsb_usage_open(client, query_json("2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z", NULL), &query, &error);
  CHECK(status == AZSB_STATUS_OK, "open");
  char *page = NULL;
  status = azsb_usage_next_page(query, &page, &error);
  CHECK(status == AZSB_STATUS_AUTHENTICATION, "wrong secret: %u", status);
  CHECK(azsb_error_http_status(error) == 401, "HTTP %u", azsb_error_http_status(error));
  CHECK(azsb_error_code(error) != NULL && strcmp(azsb_error_code(error), "invalid_client") == 0, "code");
  CHECK(strstr(azsb_error_message(error), "wrong-secret") == NULL, "the secret is not in the message");
  azsb_error_free(error);
  azsb_usage_free(query);
  azsb_client_free(client);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "resume") == 0) {
    test_resume_after_errors();
    if (failures > 0) {
      fprintf(stderr, "%d check(s) failed\n", failures);
      return 1;
    }
    printf("c api (resume after errors): all checks passed\n");
    return 0;
  }
  test_versions();
  test_misuse();
  test_meters();
  test_usage();
  test_rows_without_json();
  test_default_provider_subscription();
  test_subscriptions();
  test_wrong_secret();
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c api: all checks passed\n");
  return 0;
}
