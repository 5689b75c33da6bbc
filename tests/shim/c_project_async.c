/* A real project through the embedded engine's async calls, as a C host (soldr) drives it: the
 * compile commands of a CMake build (written by project_async.sh from compile_commands.json),
 * submitted with zc_service_compile_async from one thread, in waves (the precompiled headers,
 * then everything that uses them), each request with the host's whole environment as `env`.
 *
 *   c_project_async COMMANDS CACHE_DIR miss|hit
 *
 * COMMANDS: one compile per line, fields separated by 0x1f: the working directory, the output
 * (used as the audit command_id), then argv; a line "wait" ends a wave. Checks that every compile
 * exits 0 with the expected outcome, and that the audit sink got exactly one compile.finished per
 * compile, carrying its command_id and that outcome. Prints one line; exits 1 at the first
 * failure, with the compile's stderr. */
#define _GNU_SOURCE
#include <pthread.h>
#include <zcshim.h>

#include "c_helpers.h"

extern char** environ;

typedef struct command {
  char* cwd;
  char* output;
  const char** argv;
  size_t argc;
  int wave;
} command;

typedef struct job {
  zc_status status;
  zc_compile_result* result;
} job;

static command* commands;
static size_t count;
static int waves;
static job* jobs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static size_t finished;

/* Audit: the compile.finished lines the sink received. */
static char** finished_events;
static size_t finished_event_count;

static void read_commands(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) die("cannot read %s", path);
  size_t cap = 64;
  commands = calloc(cap, sizeof(command));
  char* line = NULL;
  size_t line_cap = 0;
  ssize_t len;
  while ((len = getline(&line, &line_cap, f)) > 0) {
    if (line[len - 1] == '\n') line[--len] = '\0';
    if (strcmp(line, "wait") == 0) {
      waves++;
      continue;
    }
    if (count == cap) commands = realloc(commands, (cap *= 2) * sizeof(command));
    command* c = &commands[count++];
    memset(c, 0, sizeof(*c));
    c->wave = waves;
    char* fields = strdup(line);
    size_t n = 1;
    for (char* p = fields; *p; ++p) n += *p == '\x1f';
    if (n < 4) die("line %zu of %s has %zu fields", count, path, n);
    char** parts = calloc(n, sizeof(char*));
    size_t i = 0;
    for (char* save = NULL, *t = strtok_r(fields, "\x1f", &save); t != NULL;
         t = strtok_r(NULL, "\x1f", &save)) {
      parts[i++] = t;
    }
    if (i != n) die("line %zu of %s has an empty field", count, path);
    c->cwd = parts[0];
    c->output = parts[1];
    c->argv = (const char**)(parts + 2);
    c->argc = n - 2;
  }
  free(line);
  fclose(f);
  if (count == 0) die("%s has no compile", path);
}

static int audit_sink(void* user_data, const char* line, size_t len) {
  (void)user_data;
  if (memmem(line, len, "\"event\":\"compile.finished\"", 26) == NULL) return 0;
  pthread_mutex_lock(&mu);
  finished_events = realloc(finished_events, (finished_event_count + 1) * sizeof(char*));
  finished_events[finished_event_count++] = strndup(line, len);
  pthread_mutex_unlock(&mu);
  return 0;
}

static void on_done(void* user_data, zc_status status, const char* error,
                    zc_compile_result* result) {
  (void)error;
  job* j = user_data;
  pthread_mutex_lock(&mu);
  j->status = status;
  j->result = result;
  finished++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void wait_for(size_t n) {
  const double deadline = now_s() + 600;
  pthread_mutex_lock(&mu);
  while (finished < n) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&cv, &mu, &ts);
    if (now_s() > deadline) die("only %zu of %zu compiles finished in 600 s", finished, n);
  }
  pthread_mutex_unlock(&mu);
}

static const char* outcome_name(zc_outcome o) {
  switch (o) {
    case ZC_OUTCOME_HIT:
      return "hit";
    case ZC_OUTCOME_MISS:
      return "miss";
    case ZC_OUTCOME_UNCACHEABLE:
      return "uncacheable";
    case ZC_OUTCOME_ERROR:
      return "error";
  }
  return "?";
}

int main(int argc, char** argv) {
  if (argc != 4 || (strcmp(argv[3], "miss") != 0 && strcmp(argv[3], "hit") != 0)) {
    die("usage: %s COMMANDS CACHE_DIR miss|hit", argv[0]);
  }
  read_commands(argv[1]);
  const char* expected = argv[3];
  jobs = calloc(count, sizeof(job));

  size_t env_count = 0;
  while (environ[env_count] != NULL) env_count++;

  zc_config config = ZC_CONFIG_INIT;
  config.cache_root = argv[2];
  config.host.product = "project";
  config.host.instance_id = "c-project";
  config.host.workspace_id = "ws";
  config.audit_mode = ZC_AUDIT_SUMMARY;
  config.audit_sink = audit_sink;
  zc_service* service = NULL;
  if (zc_service_start(&config, &service) != ZC_OK) {
    die("zc_service_start: %s", zc_last_error());
  }

  const double start = now_s();
  size_t submitted = 0;
  for (int wave = 0; wave <= waves; ++wave) {
    for (size_t i = 0; i < count; ++i) {
      if (commands[i].wave != wave) continue;
      zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
      request.argv = commands[i].argv;
      request.argc = commands[i].argc;
      request.cwd = commands[i].cwd;
      request.env = (const char* const*)environ;
      request.env_count = env_count;
      request.audit.command_id = commands[i].output;
      if (zc_service_compile_async(service, &request, on_done, &jobs[i], NULL) != ZC_OK) {
        die("zc_service_compile_async %s: %s", commands[i].output, zc_last_error());
      }
      submitted++;
    }
    wait_for(submitted);  // the next wave uses what this one wrote (precompiled headers)
  }
  const double took = now_s() - start;

  for (size_t i = 0; i < count; ++i) {
    const job* j = &jobs[i];
    if (j->status != ZC_OK) die("%s: %s", commands[i].output, zc_status_message(j->status));
    const zc_compile_result* r = j->result;
    if (r->exit_code != 0 || strcmp(outcome_name(r->outcome), expected) != 0) {
      die("%s: exit %d, %s (%s), expected %s; stderr:\n%.*s", commands[i].output, r->exit_code,
          outcome_name(r->outcome), r->reason, expected, (int)r->stderr_len, r->stderr_data);
    }
  }

  zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);  // every event is in the sink after this
  zc_service_free(service);
  if (finished_event_count != count) {
    die("%zu compile.finished events for %zu compiles", finished_event_count, count);
  }
  for (size_t i = 0; i < count; ++i) {
    char* id = NULL;
    char* outcome = NULL;
    if (asprintf(&id, "\"command_id\":\"%s\"", commands[i].output) < 0 ||
        asprintf(&outcome, "\"outcome\":\"%s\"", expected) < 0) {
      die("out of memory");
    }
    int seen = 0;
    for (size_t e = 0; e < finished_event_count; ++e) {
      if (strstr(finished_events[e], id) == NULL) continue;
      seen++;
      if (strstr(finished_events[e], outcome) == NULL) {
        die("the audit says otherwise for %s: %s", commands[i].output, finished_events[e]);
      }
    }
    if (seen != 1) die("%d compile.finished events for %s", seen, commands[i].output);
    free(id);
    free(outcome);
    zc_compile_result_free(jobs[i].result);
  }
  printf("ok: %zu compiles in %d waves from one thread, every one a %s, in %.1f s; one "
         "compile.finished each\n",
         count, waves + 1, expected, took);
  return 0;
}
