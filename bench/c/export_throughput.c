/*
 * Exports a usage query straight from the API to a CSV file through the azs-billing C API
 * (azsb_usage_export) and reports rows, seconds, rows/s, peak RSS and the file's size as one JSON line.
 * AZSB_OPTIONS, AZSB_QUERY and AZSB_EXPORT hold the client options, the usage query and the export options.
 * Used by bench/export.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
  const char *options = getenv("AZSB_OPTIONS"), *query = getenv("AZSB_QUERY"), *export = getenv("AZSB_EXPORT");
  if (options == NULL || query == NULL || export == NULL) {
    fprintf(stderr, "set AZSB_OPTIONS, AZSB_QUERY and AZSB_EXPORT\n");
    return 2;
  }
  azsb_error *error = NULL;
  azsb_client *client = NULL;
  char *report = NULL;
  double started = now();
  if (azsb_client_new(options, NULL, NULL, &client, &error) != AZSB_STATUS_OK ||
      azsb_usage_export(client, query, export, &report, &error) != AZSB_STATUS_OK) {
    fprintf(stderr, "%s\n", azsb_error_message(error));
    azsb_error_free(error);
    azsb_client_free(client);
    return 1;
  }
  double seconds = now() - started;
  cJSON *parsed = cJSON_Parse(report);
  double rows = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(parsed, "rows"));
  double bytes = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(parsed, "bytes"));
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("{\"rows\":%.0f,\"seconds\":%.3f,\"rows_per_second\":%.0f,\"peak_rss_mb\":%.1f,\"file_mb\":%.1f}\n", rows,
         seconds, rows / seconds, (double)usage.ru_maxrss / 1024.0, bytes / 1048576.0);
  cJSON_Delete(parsed);
  azsb_string_free(report);
  azsb_client_free(client);
  return 0;
}
