/*
 * What the C tests share: a CHECK that counts failures instead of stopping, and required environment
 * variables (set by tests/c/run.sh).
 */
#ifndef AZSB_TEST_SUPPORT_H
#define AZSB_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                       \
      fputc('\n', stderr);                                                \
      failures++;                                                         \
    }                                                                     \
  } while (0)

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (value == NULL) {
    fprintf(stderr, "%s is not set (run through tests/c/run.sh)\n", name);
    exit(2);
  }
  return value;
}

#endif
