/*
 * The usage warehouse through the C API: a sync with a progress callback matches the emulator's totals; a
 * sync cancelled from another thread keeps its committed windows and a resumed sync ends with the same
 * store; aggregates are exact decimal strings; misuse is named. Run by tests/c/run.sh under valgrind.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azs_billing.h"
#include "test_support.h"

static const char *START = "2026-01-05T00:00:00Z";
static const char *UNTIL = "2026-01-13T00:00:00Z";

static char *sync_options(int concurrency) {
  static char buffer[512];
  snprintf(buffer, sizeof buffer,
           "{\"api\":\"provider\",\"subscription_id\":\"%s\",\"granularity\":\"Hourly\",\"start_time\":\"%s\","
           "\"until\":\"%s\",\"concurrency\":%d}",
           env("AZSB_PROVIDER_SUBSCRIPTION"), START, UNTIL, concurrency);
  return buffer;
}

static azsb_store *open_store(const char *url) {
  azsb_store *store = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_store_open(url, &store, &error);
  CHECK(status == AZSB_STATUS_OK, "open %s: %s", url, azsb_error_message(error));
  azsb_error_free(error);
  return store;
}

static double number(const cJSON *object, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  CHECK(cJSON_IsNumber(item), "%s is a number", key);
  return cJSON_IsNumber(item) ? item->valuedouble : -1;
}

struct progress_seen {
  int calls;
  double last_windows_done;
  double last_rows;
};

static void count_progress(void *userdata, const char *progress_json) {
  struct progress_seen *seen = userdata;
  cJSON *progress = cJSON_Parse(progress_json);
  CHECK(cJSON_IsObject(progress), "progress is a JSON object");
  double done = number(progress, "windows_done");
  CHECK(done == seen->last_windows_done + 1, "windows in order: %g after %g", done, seen->last_windows_done);
  CHECK(number(progress, "rows") >= seen->last_rows, "rows grow");
  CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(progress, "watermark")), "watermark");
  seen->last_windows_done = done;
  seen->last_rows = number(progress, "rows");
  seen->calls++;
  cJSON_Delete(progress);
}

/* Runs one sync; returns its status and, on success, the report (cJSON, caller deletes). */
static azsb_status run_sync(azsb_client *client, azsb_store *store, const char *options, azsb_sync_progress_callback cb,
                            void *userdata, const azsb_cancel *cancel, cJSON **report_out, azsb_error **error_out) {
  char *report = NULL;
  azsb_status status = azsb_usage_sync(client, store, options, cb, userdata, cancel, &report, error_out);
  if (status == AZSB_STATUS_OK) {
    *report_out = cJSON_Parse(report);
    CHECK(cJSON_IsObject(*report_out), "the report is JSON");
    azsb_string_free(report);
  } else {
    CHECK(report == NULL, "no report on failure");
  }
  return status;
}

/* Rows stored under the one cursor of `store`. */
static double stored_rows(azsb_store *store, const char **watermark_copy) {
  char *state = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_store_sync_state(store, &state, &error);
  CHECK(status == AZSB_STATUS_OK, "sync state: %s", azsb_error_message(error));
  azsb_error_free(error);
  cJSON *cursors = cJSON_Parse(state);
  CHECK(cJSON_GetArraySize(cursors) == 1, "one cursor: %s", state);
  const cJSON *cursor = cJSON_GetArrayItem(cursors, 0);
  double rows = number(cursor, "rows");
  if (watermark_copy != NULL) {
    *watermark_copy = strdup(cJSON_GetObjectItemCaseSensitive(cursor, "watermark")->valuestring);
  }
  cJSON_Delete(cursors);
  azsb_string_free(state);
  return rows;
}

/* A canceller on its own thread: once the first window is committed, it requests the cancel, then lets the
 * sync go on (so the cancel is seen by a running sync, at a known point). */
struct canceller {
  const azsb_cancel *cancel;
  atomic_int stage; /* 0 waiting, 1 first window committed, 2 cancel requested */
};

static void *cancel_after_first_window(void *arg) {
  struct canceller *c = arg;
  struct timespec pause = {0, 1000000};
  while (atomic_load(&c->stage) != 1) {
    nanosleep(&pause, NULL);
  }
  azsb_cancel_request(c->cancel);
  atomic_store(&c->stage, 2);
  return NULL;
}

static void signal_canceller(void *userdata, const char *progress_json) {
  (void)progress_json;
  struct canceller *c = userdata;
  int waiting = 0;
  if (atomic_compare_exchange_strong(&c->stage, &waiting, 1)) {
    struct timespec pause = {0, 1000000};
    while (atomic_load(&c->stage) != 2) {
      nanosleep(&pause, NULL);
    }
  }
}

static void test_sync_cancel_resume_and_aggregate(azsb_client *client) {
  long expected = atol(env("AZSB_EXPECTED_SYNC_ROWS"));
  char url[1024];

  /* An uninterrupted sync. */
  snprintf(url, sizeof url, "sqlite:%s/whole.sqlite", env("AZSB_STORE_DIR"));
  azsb_store *whole = open_store(url);
  struct progress_seen seen = {0, 0, 0};
  cJSON *report = NULL;
  azsb_error *error = NULL;
  azsb_status status = run_sync(client, whole, sync_options(4), count_progress, &seen, NULL, &report, &error);
  CHECK(status == AZSB_STATUS_OK, "sync: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (report != NULL) {
    CHECK(number(report, "rows") == (double)expected, "rows %g, the emulator reports %ld", number(report, "rows"),
          expected);
    CHECK(number(report, "windows") == 8, "eight one-day windows: %g", number(report, "windows"));
    CHECK(seen.calls == 8, "one progress call per window: %d", seen.calls);
    cJSON_Delete(report);
  }

  /* Aggregates of the store: the month's rows, summed exactly. */
  const char *query = "{\"from\":\"2026-01-01\",\"to\":\"2026-02-01\",\"granularity\":\"Hourly\",\"period\":\"month\"}";
  char *rows_json = NULL;
  error = NULL;
  status = azsb_store_aggregate(whole, query, &rows_json, &error);
  CHECK(status == AZSB_STATUS_OK, "aggregate: %s", azsb_error_message(error));
  azsb_error_free(error);
  cJSON *rows = cJSON_Parse(rows_json);
  double summed = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, rows) {
    summed += number(row, "rows");
    const cJSON *quantity = cJSON_GetObjectItemCaseSensitive(row, "quantity");
    CHECK(cJSON_IsString(quantity) && strtod(quantity->valuestring, NULL) > 0, "quantity is a decimal string");
  }
  CHECK(summed == (double)expected, "the aggregate holds every row: %g", summed);
  cJSON_Delete(rows);
  azsb_string_free(rows_json);

  /* Every row read back a page at a time, through a reader that outlives a store handle of its own. */
  azsb_store *reading = open_store(url);
  azsb_store_rows *reader = NULL;
  error = NULL;
  status = azsb_store_rows_open(reading, "{\"from\":\"2026-01-01\",\"to\":\"2026-02-01\",\"granularity\":\"Hourly\"}",
                                &reader, &error);
  CHECK(status == AZSB_STATUS_OK, "rows open: %s", azsb_error_message(error));
  azsb_error_free(error);
  azsb_store_free(reading);
  double read = 0, pages = 0, quantity_total = 0;
  char *page = NULL;
  for (;;) {
    error = NULL;
    status = azsb_store_rows_next(reader, 500, &page, &error);
    CHECK(status == AZSB_STATUS_OK, "rows next: %s", azsb_error_message(error));
    azsb_error_free(error);
    if (status != AZSB_STATUS_OK || page == NULL) break;
    cJSON *items = cJSON_Parse(page);
    CHECK(cJSON_IsArray(items) && cJSON_GetArraySize(items) > 0 && cJSON_GetArraySize(items) <= 500, "a page of rows");
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
      const cJSON *q = cJSON_GetObjectItemCaseSensitive(item, "quantity");
      CHECK(cJSON_IsString(q), "a row's quantity is a decimal string");
      if (cJSON_IsString(q)) quantity_total += strtod(q->valuestring, NULL);
    }
    read += cJSON_GetArraySize(items);
    pages++;
    cJSON_Delete(items);
    azsb_string_free(page);
  }
  azsb_store_rows_free(reader);
  CHECK(read == (double)expected, "every row read back: %g of %ld", read, expected);
  CHECK(pages == (double)((expected + 499) / 500), "pages of 500: %g", pages);
  CHECK(quantity_total > 0, "quantities add up");

  /* The same sync cancelled from another thread after its first window, then resumed. */
  snprintf(url, sizeof url, "sqlite:%s/resumed.sqlite", env("AZSB_STORE_DIR"));
  azsb_store *resumed = open_store(url);
  struct canceller c = {azsb_cancel_new(), 0};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, cancel_after_first_window, &c) == 0, "thread");
  error = NULL;
  report = NULL;
  status = run_sync(client, resumed, sync_options(1), signal_canceller, &c, c.cancel, &report, &error);
  pthread_join(thread, NULL);
  CHECK(status == AZSB_STATUS_CANCELLED, "cancelled: %s (%s)", azsb_status_name(status), azsb_error_message(error));
  azsb_error_free(error);
  azsb_cancel_free((azsb_cancel *)c.cancel);
  const char *watermark = NULL;
  double kept = stored_rows(resumed, &watermark);
  CHECK(kept > 0 && kept < (double)expected, "the committed windows stay: %g of %ld", kept, expected);
  CHECK(strcmp(watermark, START) > 0 && strcmp(watermark, UNTIL) < 0, "the watermark is between: %s", watermark);
  free((void *)watermark);

  error = NULL;
  status = run_sync(client, resumed, sync_options(4), NULL, NULL, NULL, &report, &error);
  CHECK(status == AZSB_STATUS_OK, "resume: %s", azsb_error_message(error));
  azsb_error_free(error);
  if (report != NULL) {
    CHECK(number(report, "rows") + kept == (double)expected, "the resume stores the rest: %g + %g",
          number(report, "rows"), kept);
    cJSON_Delete(report);
  }
  CHECK(stored_rows(resumed, NULL) == stored_rows(whole, NULL), "the resumed store equals the whole one");

  azsb_store_free(resumed);
  azsb_store_free(whole);
}

static void test_misuse(azsb_client *client) {
  azsb_error *error = NULL;
  azsb_store *store = NULL;
  azsb_status status = azsb_store_open("mysql://db/usage", &store, &error);
  CHECK(status != AZSB_STATUS_OK && store == NULL, "an unknown store URL is refused");
  CHECK(strstr(azsb_error_message(error), "sqlite:") != NULL, "names the forms: %s", azsb_error_message(error));
  azsb_error_free(error);

  store = open_store("sqlite::memory:");
  char *shown = NULL;
  status = azsb_store_url(store, &shown, &error);
  CHECK(status == AZSB_STATUS_OK && strcmp(shown, "sqlite::memory:") == 0, "the store's URL: %s",
        shown ? shown : azsb_error_message(error));
  azsb_string_free(shown);
  status = azsb_store_url(store, NULL, &error);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL url_out: %u", status);
  azsb_error_free(error);

  char *report = NULL;
  error = NULL;
  status = azsb_usage_sync(client, NULL, sync_options(1), NULL, NULL, NULL, &report, &error);
  CHECK(status == AZSB_STATUS_NULL_POINTER, "NULL store: %u", status);
  CHECK(strstr(azsb_error_message(error), "store") != NULL, "names it: %s", azsb_error_message(error));
  azsb_error_free(error);

  error = NULL;
  status = azsb_usage_sync(client, store, "{\"api\":\"provider\"}", NULL, NULL, NULL, &report, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "missing keys: %u", status);
  CHECK(strstr(azsb_error_message(error), "subscription_id") != NULL, "names the key: %s", azsb_error_message(error));
  azsb_error_free(error);

  error = NULL;
  status = azsb_usage_sync(client, store, sync_options(100), NULL, NULL, NULL, &report, &error);
  CHECK(status == AZSB_STATUS_INVALID_ARGUMENT, "concurrency 100: %u", status);
  CHECK(strstr(azsb_error_message(error), "concurrency") != NULL, "names it: %s", azsb_error_message(error));
  CHECK(report == NULL, "no report on failure");
  azsb_error_free(error);

  azsb_cancel_request(NULL);
  azsb_cancel_free(NULL);
  azsb_store_free(NULL);
  azsb_store_rows_free(NULL);
  azsb_store_free(store);
}

int main(void) {
  azsb_client *client = NULL;
  azsb_error *error = NULL;
  azsb_status status = azsb_client_new(env("AZSB_OPTIONS"), NULL, NULL, &client, &error);
  if (status != AZSB_STATUS_OK) {
    fprintf(stderr, "client: %s\n", azsb_error_message(error));
    azsb_error_free(error);
    return 1;
  }
  test_sync_cancel_resume_and_aggregate(client);
  test_misuse(client);
  azsb_client_free(client);
  if (failures > 0) {
    fprintf(stderr, "warehouse_test: %d checks failed\n", failures);
    return 1;
  }
  printf("warehouse_test: ok\n");
  return 0;
}
