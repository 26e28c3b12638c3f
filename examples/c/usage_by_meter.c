/*
 * Prints usage per subscription and meter, with meter names, through the azs-billing C API.
 *
 *   AZSB_OPTIONS='{"arm_endpoint":"https://adminmanagement.local.azurestack.external/","tenant":"…",
 *                  "credential":{"type":"client_secret","client_id":"…","client_secret":"…"}}'
 *   AZSB_QUERY='{"api":"provider","subscription_id":"…","reported_start_time":"2026-01-05T00:00:00Z",
 *                "reported_end_time":"2026-01-12T00:00:00Z","aggregation_granularity":"Daily"}'
 *   ./usage_by_meter
 *
 * Build: cc -Wall -Wextra -Werror -Iinclude examples/c/usage_by_meter.c -Ltarget/debug -lazs_billing -lcjson
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"

struct total {
  char key[160];
  char meter_name[96];
  char unit[48];
  double quantity;
};

static int fail(const char *what, azsb_status status, azsb_error *error) {
  fprintf(stderr, "%s failed: %s (%s)", what, azsb_error_message(error), azsb_status_name(status));
  if (azsb_error_request_id(error) != NULL) {
    fprintf(stderr, " request id %s", azsb_error_request_id(error));
  }
  fputc('\n', stderr);
  azsb_error_free(error);
  return 1;
}

static const char *text(const cJSON *object, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsString(item) ? item->valuestring : "";
}

int main(void) {
  const char *options = getenv("AZSB_OPTIONS");
  const char *query_json = getenv("AZSB_QUERY");
  if (options == NULL || query_json == NULL) {
    fprintf(stderr, "set AZSB_OPTIONS (client options JSON) and AZSB_QUERY (usage query JSON)\n");
    return 2;
  }

  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_status status = azsb_client_new(options, NULL, NULL, &client, &error);
  if (status != AZSB_STATUS_OK) {
    return fail("azsb_client_new", status, error);
  }
  azsb_usage_query *query = NULL;
  status = azsb_usage_open(client, query_json, &query, &error);
  if (status != AZSB_STATUS_OK) {
    azsb_client_free(client);
    return fail("azsb_usage_open", status, error);
  }

  size_t count = 0, capacity = 64, rows = 0;
  struct total *totals = calloc(capacity, sizeof *totals);
  char *page = NULL;
  while ((status = azsb_usage_next_page(query, &page, &error)) == AZSB_STATUS_OK && page != NULL) {
    cJSON *records = cJSON_Parse(page);
    azsb_string_free(page);
    const cJSON *record = NULL;
    cJSON_ArrayForEach(record, records) {
      char key[160];
      snprintf(key, sizeof key, "%s  %s", text(record, "subscription_id"), text(record, "meter_id"));
      size_t i = 0;
      while (i < count && strcmp(totals[i].key, key) != 0) {
        i++;
      }
      if (i == count) {
        if (count == capacity) {
          struct total *grown = realloc(totals, 2 * capacity * sizeof *totals);
          if (grown == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
          }
          totals = grown;
          capacity *= 2;
        }
        memset(&totals[count], 0, sizeof totals[count]);
        snprintf(totals[count].key, sizeof totals[count].key, "%s", key);
        snprintf(totals[count].meter_name, sizeof totals[count].meter_name, "%s", text(record, "meter_name"));
        snprintf(totals[count].unit, sizeof totals[count].unit, "%s", text(record, "unit"));
        count++;
      }
      totals[i].quantity += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(record, "quantity"));
      rows++;
    }
    cJSON_Delete(records);
  }
  azsb_usage_free(query);
  azsb_client_free(client);
  if (status != AZSB_STATUS_OK) {
    free(totals);
    return fail("azsb_usage_next_page", status, error);
  }

  printf("%zu rows\n", rows);
  for (size_t i = 0; i < count; i++) {
    printf("%-72s %-34s %14.3f %s\n", totals[i].key, totals[i].meter_name[0] ? totals[i].meter_name : "(unknown meter)",
           totals[i].quantity, totals[i].unit);
  }
  free(totals);
  return 0;
}
