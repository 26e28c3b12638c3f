/*
 * Pages a usage query through the azs-billing C API and reports rows, seconds, rows/s and peak RSS as one
 * JSON line. AZSB_OPTIONS and AZSB_QUERY hold the client options and query JSON; with the argument "rows"
 * it reads plain row structs (azsb_usage_next_rows) instead of parsing each JSON page (azsb_usage_next_page).
 * Used by bench/c-abi-and-powershell.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int plain_rows = argc > 1 && strcmp(argv[1], "rows") == 0;
  const char *options = getenv("AZSB_OPTIONS"), *query_json = getenv("AZSB_QUERY");
  if (options == NULL || query_json == NULL) {
    fprintf(stderr, "set AZSB_OPTIONS and AZSB_QUERY\n");
    return 2;
  }
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  azsb_usage_query *query = NULL;
  double started = now();
  if (azsb_client_new(options, NULL, NULL, &client, &error) != AZSB_STATUS_OK ||
      azsb_usage_open(client, query_json, &query, &error) != AZSB_STATUS_OK) {
    fprintf(stderr, "%s\n", azsb_error_message(error));
    return 1;
  }
  long rows = 0, pages = 0;
  double quantity = 0;
  char *page = NULL;
  azsb_status status;
  const azsb_usage_row *batch = NULL;
  size_t count = 0;
  while (plain_rows && (status = azsb_usage_next_rows(query, &batch, &count, &error)) == AZSB_STATUS_OK &&
         batch != NULL) {
    for (size_t i = 0; i < count; i++) {
      quantity += batch[i].quantity;
    }
    rows += (long)count;
    pages++;
  }
  while (!plain_rows && (status = azsb_usage_next_page(query, &page, &error)) == AZSB_STATUS_OK && page != NULL) {
    cJSON *records = cJSON_Parse(page);
    const cJSON *record = NULL;
    cJSON_ArrayForEach(record, records) {
      quantity += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(record, "quantity"));
      rows++;
    }
    cJSON_Delete(records);
    azsb_string_free(page);
    pages++;
  }
  if (status != AZSB_STATUS_OK) {
    fprintf(stderr, "%s\n", azsb_error_message(error));
    return 1;
  }
  double seconds = now() - started;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("{\"rows\":%ld,\"pages\":%ld,\"seconds\":%.3f,\"rows_per_second\":%.0f,\"peak_rss_mb\":%.1f,\"quantity\":%.3f}\n",
         rows, pages, seconds, rows / seconds, usage.ru_maxrss / 1024.0, quantity);
  azsb_usage_free(query);
  azsb_client_free(client);
  return 0;
}
