/* Issue 18's acceptance through the C ABI, as a C host sees it:
 *   1. 64 async compiles submitted from one thread, a quarter of them cancelled right after
 *      submission: every callback comes exactly once, cancelled ones leave no object, no
 *      compiler outlives the callbacks, and every object is byte-identical to plain gcc's; a
 *      second round gives hits for what was compiled and misses for what was cancelled.
 *   2. Shared slots: host and service share a budget of 2; sampled while the host churns its own
 *      "processes" and the service compiles misses, host-held + running compilers never exceed
 *      2; a miss waiting for a slot the host holds starts as soon as the host releases it.
 *   3. An older caller: a zc_config of the first release's size starts a service.
 *
 *   c_async_acceptance WORKDIR
 * Prints one line per check; exits 1 at the first failure. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <zcshim.h>

#include "c_helpers.h"

enum { kJobs = 64 };

typedef struct job_state {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  int calls;
  zc_status status;
  zc_compile_result* result;
} job_state;

static job_state jobs[kJobs];
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_cv = PTHREAD_COND_INITIALIZER;
static int finished;

static void on_done(void* user_data, zc_status status, const char* error,
                    zc_compile_result* result) {
  (void)error;
  job_state* j = user_data;
  pthread_mutex_lock(&all_mu);
  j->calls++;
  j->done = 1;
  j->status = status;
  j->result = result;
  finished++;
  pthread_cond_broadcast(&all_cv);
  pthread_mutex_unlock(&all_mu);
}

static void wait_finished(int n, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  pthread_mutex_lock(&all_mu);
  while (finished < n) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&all_cv, &all_mu, &ts);
    if (now_s() > deadline) die("only %d of %d callbacks came in %.0f s", finished, n, timeout_s);
  }
  pthread_mutex_unlock(&all_mu);
}

/* Processes whose parent is this one (the service's compilers; they are reaped when done). */
static int children(void) {
  DIR* d = opendir("/proc");
  if (d == NULL) die("cannot read /proc");
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300];
    snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    FILE* f = fopen(path, "r");
    if (f == NULL) continue;
    int pid = 0, ppid = 0;
    char state = 0;
    /* pid (comm) state ppid: comm has no ')' for the compilers looked for here */
    if (fscanf(f, "%d (%*[^)]) %c %d", &pid, &state, &ppid) == 3 && ppid == getpid()) n++;
    fclose(f);
  }
  closedir(d);
  return n;
}

static zc_service* start(const char* cache, zc_slots* slots) {
  zc_config config = ZC_CONFIG_INIT;
  char* root = path_of(cache);
  config.cache_root = root;
  config.host.product = "acceptance";
  config.host.instance_id = "c-async";
  config.host.workspace_id = "ws";
  config.max_parallel_compiles = 2;
  config.slots = slots;
  zc_service* service = NULL;
  zc_status st = zc_service_start(&config, &service);
  if (st != ZC_OK) die("zc_service_start: %s: %s", zc_status_message(st), zc_last_error());
  free(root);
  return service;
}

static void submit(zc_service* service, int i, zc_compile_job** job) {
  static char src[kJobs][32], obj[kJobs][32];
  snprintf(src[i], sizeof(src[i]), "async%d.c", i);
  snprintf(obj[i], sizeof(obj[i]), "async%d.o", i);
  const char* argv[] = {"gcc", "-O2", "-c", src[i], "-o", obj[i]};
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = argv;
  request.argc = 6;
  request.cwd = workdir;
  zc_status st = zc_service_compile_async(service, &request, on_done, &jobs[i], job);
  if (st != ZC_OK) die("zc_service_compile_async %d: %s: %s", i, zc_status_message(st),
                       zc_last_error());
}

static void reset_jobs(void) {
  memset(jobs, 0, sizeof(jobs));
  finished = 0;
}

/* ---- 1. 64 async compiles from one thread, some cancelled ---- */
static void sixty_four(void) {
  for (int i = 0; i < kJobs; ++i) {
    char name[32], text[256];
    snprintf(name, sizeof(name), "async%d.c", i);
    snprintf(text, sizeof(text),
             "static int t[%d];\nint f%d(int x) { for (int i = 0; i < %d; ++i) t[i] = x * i; "
             "return t[%d]; }\n",
             i + 8, i, i + 8, i);
    write_file(name, text);
    run_shell("gcc -O2 -c async%d.c -o plain%d.o", i, i);
  }
  zc_service* service = start("cache-async", NULL);
  zc_compile_job* handles[kJobs];
  reset_jobs();
  for (int i = 0; i < kJobs; ++i) {
    submit(service, i, &handles[i]);
    if (i % 4 == 3) zc_compile_job_cancel(handles[i]);
  }
  for (int i = 0; i < kJobs; ++i) zc_compile_job_release(handles[i]);
  wait_finished(kJobs, 300);
  int ok = 0, cancelled = 0;
  for (int i = 0; i < kJobs; ++i) {
    char obj[32], plain[32];
    snprintf(obj, sizeof(obj), "async%d.o", i);
    snprintf(plain, sizeof(plain), "plain%d.o", i);
    if (jobs[i].calls != 1) die("job %d: %d callbacks", i, jobs[i].calls);
    if (jobs[i].status == ZC_OK) {
      if (jobs[i].result->exit_code != 0 || jobs[i].result->outcome != ZC_OUTCOME_MISS) {
        die("job %d: exit %d, outcome %d", i, jobs[i].result->exit_code,
            (int)jobs[i].result->outcome);
      }
      expect_same_file(obj, plain);
      zc_compile_result_free(jobs[i].result);
      ok++;
    } else if (jobs[i].status == ZC_ERR_CANCELLED) {
      if (i % 4 != 3) die("job %d was cancelled but nobody cancelled it", i);
      size_t len;
      char* left = read_file(obj, &len);
      if (left != NULL) die("cancelled job %d left %s", i, obj);
      cancelled++;
    } else {
      die("job %d: %s", i, zc_status_message(jobs[i].status));
    }
  }
  if (cancelled < kJobs / 8) die("only %d of %d cancels took effect", cancelled, kJobs / 4);
  const int left = children();
  if (left != 0) die("%d compiler processes outlived their callbacks", left);
  printf("ok: 64 async compiles from one thread: %d compiled, %d cancelled, 0 compilers left\n",
         ok, cancelled);

  /* Second round: hits for what was stored, misses for what was cancelled. */
  reset_jobs();
  for (int i = 0; i < kJobs; ++i) submit(service, i, NULL);
  wait_finished(kJobs, 300);
  int hits = 0;
  for (int i = 0; i < kJobs; ++i) {
    char obj[32], plain[32];
    snprintf(obj, sizeof(obj), "async%d.o", i);
    snprintf(plain, sizeof(plain), "plain%d.o", i);
    if (jobs[i].status != ZC_OK || jobs[i].result->exit_code != 0) die("round 2, job %d", i);
    hits += jobs[i].result->outcome == ZC_OUTCOME_HIT;
    expect_same_file(obj, plain);
    zc_compile_result_free(jobs[i].result);
  }
  if (hits != ok) die("round 2: %d hits, expected %d", hits, ok);
  zc_stats* stats = NULL;
  if (zc_service_stats(service, &stats) != ZC_OK) die("zc_service_stats: %s", zc_last_error());
  if ((int)stats->service_hits != hits || (int)stats->service_cancelled != cancelled ||
      (int)stats->service_misses != ok + (kJobs - hits)) {
    die("per-service counters: %llu hits, %llu misses, %llu cancelled",
        (unsigned long long)stats->service_hits, (unsigned long long)stats->service_misses,
        (unsigned long long)stats->service_cancelled);
  }
  zc_stats_free(stats);
  printf("ok: round 2: %d hits, %d misses, identical objects, per-service counters agree\n", hits,
         kJobs - hits);

  /* Released without waiting: the graceful shutdown runs on the service's own thread. */
  if (zc_service_shutdown_async(service, ZC_SHUTDOWN_GRACEFUL, NULL, NULL) !=
      ZC_ERR_INVALID_ARGUMENT) {
    die("zc_service_shutdown_async accepted a NULL callback");
  }
  const double before = now_s();
  zc_service_release(service);
  printf("ok: zc_service_release returned in %.1f ms\n", (now_s() - before) * 1000);
}

/* ---- 2. one budget for host and service ---- */
static zc_slots* shared;
static atomic_int host_running;
static atomic_int stop_sampling;
static atomic_int worst;

static void* sampler(void* arg) {
  (void)arg;
  while (!atomic_load(&stop_sampling)) {
    const int now = atomic_load(&host_running) + children();
    if (now > atomic_load(&worst)) atomic_store(&worst, now);
    usleep(1000);
  }
  return NULL;
}

static void* host_churn(void* arg) {
  (void)arg;
  for (int i = 0; i < 60; ++i) {
    if (zc_slots_acquire(shared, NULL) != ZC_OK) die("zc_slots_acquire: %s", zc_last_error());
    atomic_fetch_add(&host_running, 1);
    usleep(20 * 1000);
    atomic_fetch_sub(&host_running, 1);
    zc_slots_release(shared);
  }
  return NULL;
}

static void shared_budget(void) {
  if (zc_slots_new(2, &shared) != ZC_OK) die("zc_slots_new: %s", zc_last_error());
  zc_service* service = start("cache-slots", shared);
  for (int i = 0; i < 16; ++i) {
    char name[32], text[128];
    snprintf(name, sizeof(name), "slot%d.c", i);
    snprintf(text, sizeof(text), "int g%d(int x) { return x * %d; }\n", i, i + 3);
    write_file(name, text);
  }
  pthread_t s, h;
  pthread_create(&s, NULL, sampler, NULL);
  pthread_create(&h, NULL, host_churn, NULL);
  reset_jobs();
  for (int i = 0; i < 16; ++i) {
    static char src[16][32], obj[16][32];
    snprintf(src[i], sizeof(src[i]), "slot%d.c", i);
    snprintf(obj[i], sizeof(obj[i]), "slot%d.o", i);
    const char* argv[] = {"gcc", "-c", src[i], "-o", obj[i]};
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = argv;
    request.argc = 5;
    request.cwd = workdir;
    if (zc_service_compile_async(service, &request, on_done, &jobs[i], NULL) != ZC_OK) {
      die("zc_service_compile_async: %s", zc_last_error());
    }
  }
  wait_finished(16, 300);
  pthread_join(h, NULL);
  atomic_store(&stop_sampling, 1);
  pthread_join(s, NULL);
  for (int i = 0; i < 16; ++i) {
    if (jobs[i].status != ZC_OK || jobs[i].result->outcome != ZC_OUTCOME_MISS) {
      die("slot job %d did not compile", i);
    }
    zc_compile_result_free(jobs[i].result);
  }
  if (atomic_load(&worst) > 2) die("host + service ran %d processes at once, budget 2", worst);
  if (atomic_load(&worst) < 2) die("the budget was never used in full (%d): a test too weak", worst);
  printf("ok: host and service together never above the budget of 2 (sampled every 1 ms)\n");

  /* The host holds both slots: a miss waits, and starts when the host releases one. */
  if (zc_slots_acquire(shared, NULL) != ZC_OK || zc_slots_acquire(shared, NULL) != ZC_OK) {
    die("the host could not take both slots");
  }
  write_file("wait.c", "int waited(void) { return 42; }\n");
  reset_jobs();
  const char* argv[] = {"gcc", "-c", "wait.c", "-o", "wait.o"};
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = argv;
  request.argc = 5;
  request.cwd = workdir;
  if (zc_service_compile_async(service, &request, on_done, &jobs[0], NULL) != ZC_OK) {
    die("zc_service_compile_async: %s", zc_last_error());
  }
  usleep(300 * 1000);
  zc_slots_counts counts = {sizeof(counts), 0, 0, 0, 0, 0};
  if (zc_slots_get_counts(shared, &counts) != ZC_OK) die("zc_slots_get_counts");
  if (finished != 0 || counts.host_held != 2 || counts.service_waiting != 1) {
    die("with the host holding both slots: finished %d, host_held %u, service_waiting %u",
        finished, counts.host_held, counts.service_waiting);
  }
  const double released = now_s();
  zc_slots_release(shared);
  wait_finished(1, 60);
  const double took = now_s() - released;
  if (jobs[0].status != ZC_OK || jobs[0].result->queued_us < 250 * 1000) {
    die("the waiting miss: status %d, queued %llu us", (int)jobs[0].status,
        jobs[0].status == ZC_OK ? (unsigned long long)jobs[0].result->queued_us : 0ULL);
  }
  printf("ok: a miss waiting for the host's slot finished %.0f ms after the release (queued %llu "
         "ms)\n",
         took * 1000, (unsigned long long)jobs[0].result->queued_us / 1000);
  zc_compile_result_free(jobs[0].result);
  zc_slots_release(shared);
  zc_slots_free(shared);  // the service keeps the pool it uses
  zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);
  zc_service_free(service);
}

/* ---- 3. a caller of the first release ---- */
static void older_caller(void) {
  zc_config config = ZC_CONFIG_INIT;
  char* root = path_of("cache-v1");
  config.cache_root = root;
  config.host.product = "acceptance";
  config.host.instance_id = "old";
  config.host.workspace_id = "ws";
  config.struct_size = (uint32_t)offsetof(zc_config, slots);
  zc_service* service = NULL;
  if (zc_service_start(&config, &service) != ZC_OK) {
    die("a revision-1 config was refused: %s", zc_last_error());
  }
  zc_service_free(service);
  config.struct_size = 8;
  if (zc_service_start(&config, &service) != ZC_ERR_INVALID_ARGUMENT) {
    die("a config of 8 bytes was accepted");
  }
  free(root);
  printf("ok: a revision-1 zc_config starts a service; a truncated one is refused\n");
}

int main(int argc, char** argv) {
  if (argc != 2) die("usage: %s WORKDIR", argv[0]);
  workdir = argv[1];
  if (zc_abi_revision() < 2) die("libzcshim revision %u", zc_abi_revision());
  sixty_four();
  shared_budget();
  older_caller();
  return 0;
}
