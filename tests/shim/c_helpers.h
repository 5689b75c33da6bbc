/* Helpers of the C acceptance programs (c_api_acceptance.c, c_async_acceptance.c): files in
 * the work dir, shell commands, a clock. Each program sets `workdir` first. Header-only: the
 * programs are built by c_api_acceptance.sh as a host builds, one source file each. */
#ifndef ZCWRAP_TESTS_SHIM_C_HELPERS_H_
#define ZCWRAP_TESTS_SHIM_C_HELPERS_H_

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* workdir;

static inline void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static inline char* path_of(const char* name) {
  char* p = NULL;
  if (asprintf(&p, "%s/%s", workdir, name) < 0) die("out of memory");
  return p;
}

static inline void remove_file(const char* name) {
  char* p = path_of(name);
  unlink(p);
  free(p);
}

static inline void write_file(const char* name, const char* text) {
  char* p = path_of(name);
  FILE* f = fopen(p, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) die("cannot write %s", p);
  free(p);
}

/* The whole file, or NULL if it does not exist; *len gets its size. */
static inline char* read_file(const char* name, size_t* len) {
  char* p = path_of(name);
  FILE* f = fopen(p, "rb");
  free(p);
  if (f == NULL) return NULL;
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

static inline void expect_same_file(const char* a, const char* b) {
  size_t la = 0, lb = 0;
  char* x = read_file(a, &la);
  char* y = read_file(b, &lb);
  if (x == NULL || y == NULL) die("%s or %s is missing", a, b);
  if (la != lb || memcmp(x, y, la) != 0) die("%s and %s differ", a, b);
  free(x);
  free(y);
}

static inline void expect_same_bytes(const char* what, const char* data, size_t len,
                                     const char* file) {
  size_t lf = 0;
  char* f = read_file(file, &lf);
  if (f == NULL) die("%s is missing", file);
  if (lf != len || memcmp(f, data, len) != 0) {
    die("%s differs from %s: [%.*s] vs [%.*s]", what, file, (int)len, data, (int)lf, f);
  }
  free(f);
}

static inline void run_shell(const char* fmt, ...) {
  char* cmd = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&cmd, fmt, ap) < 0) die("out of memory");
  va_end(ap);
  char* full = NULL;
  if (asprintf(&full, "cd '%s' && %s", workdir, cmd) < 0) die("out of memory");
  int rc = system(full);
  if (rc == -1 || !WIFEXITED(rc)) die("cannot run: %s", full);
  free(cmd);
  free(full);
}

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* ZCWRAP_TESTS_SHIM_C_HELPERS_H_ */
