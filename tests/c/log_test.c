/*
 * azsb_set_log_callback against the emulator, whose fault plan run.sh has set to fail the next usage request
 * with a 503: the retry reaches the callback at info level with the status in its message, pages arrive at
 * debug, nothing finer than the level set, and nothing at all once the callback is NULL. Run by
 * tests/c/run.sh under valgrind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azs_billing.h"
#include "test_support.h"

#define MAX_RECORDS 256

/* Copies of the records: the library's pointers are valid only during the callback. */
struct log {
  int count;
  azsb_log_level level[MAX_RECORDS];
  char *target[MAX_RECORDS];
  char *message[MAX_RECORDS];
};

static char *copy(const char *text, size_t len) {
  char *out = malloc(len + 1);
  if (out != NULL) {
    memcpy(out, text, len);
    out[len] = '\0';
  }
  return out;
}

static void on_log(void *userdata, const azsb_log_params *params) {
  struct log *log = userdata;
  CHECK(strlen(params->message) == params->message_len, "message_len");
  CHECK(strlen(params->target) == params->target_len, "target_len");
  if (log->count < MAX_RECORDS) {
    log->level[log->count] = params->level;
    log->target[log->count] = copy(params->target, params->target_len);
    log->message[log->count] = copy(params->message, params->message_len);
    log->count++;
  }
}

/* The first record at `level` from `target` whose message contains `text`, or -1. */
static int find(const struct log *log, azsb_log_level level, const char *target, const char *text) {
  for (int i = 0; i < log->count; i++) {
    if (log->level[i] == level && strcmp(log->target[i], target) == 0 && strstr(log->message[i], text) != NULL) {
      return i;
    }
  }
  return -1;
}

static long page_all(azsb_client *client) {
  char query_json[512];
  snprintf(query_json, sizeof query_json,
           "{\"api\":\"provider\",\"subscriptionId\":\"%s\",\"reportedStartTime\":\"2026-01-06T00:00:00Z\","
           "\"reportedEndTime\":\"2026-01-08T00:00:00Z\",\"aggregationGranularity\":\"Hourly\"}",
           env("AZSB_PROVIDER_SUBSCRIPTION"));
  azsb_usage_query *query = NULL;
  azsb_error *error = NULL;
  if (azsb_usage_open(client, query_json, &query, &error) != AZSB_STATUS_OK) {
    fprintf(stderr, "open: %s\n", azsb_error_message(error));
    azsb_error_free(error);
    return -1;
  }
  long pages = 0;
  char *page = NULL;
  azsb_status status;
  while ((status = azsb_usage_next_page(query, &page, &error)) == AZSB_STATUS_OK && page != NULL) {
    pages++;
    azsb_string_free(page);
  }
  if (status != AZSB_STATUS_OK) {
    fprintf(stderr, "next_page: %s\n", azsb_error_message(error));
    azsb_error_free(error);
    pages = -1;
  }
  azsb_usage_free(query);
  return pages;
}

int main(void) {
  struct log log = {0};
  CHECK(azsb_set_log_callback(0, on_log, &log) == AZSB_STATUS_INVALID_ARGUMENT, "level 0 refused");
  CHECK(azsb_set_log_callback(AZSB_LOG_LEVEL_TRACE + 1, on_log, &log) == AZSB_STATUS_INVALID_ARGUMENT,
        "level 6 refused");
  CHECK(azsb_set_log_callback(AZSB_LOG_LEVEL_DEBUG, on_log, &log) == AZSB_STATUS_OK, "set");

  azsb_client *client = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &client, &error);
  CHECK(status == AZSB_STATUS_OK, "client: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (status == AZSB_STATUS_OK) {
    long pages = page_all(client);
    CHECK(pages > 1, "every page despite the 503: %ld", pages);

    int retry = find(&log, AZSB_LOG_LEVEL_INFO, "azs_billing_core::retry", "HTTP 503");
    CHECK(retry >= 0, "a retry record with the status among %d records", log.count);
    if (retry >= 0) {
      CHECK(strstr(log.message[retry], "retry 1 of 2 in ") != NULL, "the delay: %s", log.message[retry]);
      CHECK(strstr(log.message[retry], "continuationToken") == NULL, "no query: %s", log.message[retry]);
    }
    CHECK(find(&log, AZSB_LOG_LEVEL_DEBUG, "azs_billing_core::usage::pager", "usage page 1: 1000 rows") >= 0,
          "a page record");
    CHECK(find(&log, AZSB_LOG_LEVEL_DEBUG, "azs_billing_core::credential", "requesting a token") >= 0,
          "a token record");
    for (int i = 0; i < log.count; i++) {
      CHECK(log.level[i] >= AZSB_LOG_LEVEL_ERROR && log.level[i] <= AZSB_LOG_LEVEL_DEBUG, "level %u: %s",
            (unsigned)log.level[i], log.message[i]);
      CHECK(strncmp(log.target[i], "azs_billing", 11) == 0, "the library's own: %s", log.target[i]);
    }

    /* Off: another query logs nothing. */
    CHECK(azsb_set_log_callback(AZSB_LOG_LEVEL_TRACE, NULL, NULL) == AZSB_STATUS_OK, "off");
    int before = log.count;
    CHECK(page_all(client) > 1, "paging with logging off");
    CHECK(log.count == before, "%d records after turning it off", log.count - before);
    azsb_client_free(client);
  }
  for (int i = 0; i < log.count; i++) {
    free(log.target[i]);
    free(log.message[i]);
  }
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c log callback: all checks passed\n");
  return 0;
}
