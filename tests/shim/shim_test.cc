// libzcshim through its C ABI: argument checking, outcomes, settings from the request's
// environment, cancellation, shutdown, streaming, stats, flush and audit events.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace zc::shimtest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kWarningC = "int main(void) {\n  int unused = 1;\n  return 0;\n}\n";
const std::vector<std::string> kCompile = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};

// A "compiler" that records its pid and sleeps on -c (so a test can cancel it), else is gcc.
constexpr absl::string_view kSlowCompiler =
    "#!/bin/sh\n"
    "for a in \"$@\"; do\n"
    "  if [ \"$a\" = -c ]; then echo $$ > slow.pid; exec sleep 60; fi\n"
    "done\n"
    "exec gcc \"$@\"\n";

class ShimApiTest : public ShimTest {
 protected:
  ShimApiTest() { Write("src/a.c", kWarningC); }

  void WriteSlowCompiler() {
    Write("src/slowcc", kSlowCompiler);
    ::chmod(Path("src/slowcc").c_str(), 0755);
  }
  // Waits (up to 10 s) for the slow compiler to start; its pid, or 0.
  pid_t WaitForSlowCompiler() {
    for (int i = 0; i < 1000; ++i) {
      if (std::optional<std::string> pid = Read("src/slow.pid"); pid && !pid->empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it exec
        return static_cast<pid_t>(std::stoi(*pid));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  static bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

  uint64_t Counter(const std::string& name) {
    zc_stats* stats = nullptr;
    EXPECT_EQ(zc_service_stats(service_, &stats), ZC_OK);
    uint64_t value = ~uint64_t{0};
    for (size_t i = 0; stats != nullptr && i < stats->counter_count; ++i) {
      if (stats->counters[i].name == name) value = stats->counters[i].value;
    }
    zc_stats_free(stats);
    return value;
  }
};

TEST_F(ShimApiTest, AbiVersionMatchesTheHeader) { EXPECT_EQ(zc_abi_version(), ZC_ABI_VERSION); }

TEST_F(ShimApiTest, EveryStatusHasAMessageAndUnknownOnesToo) {
  for (int code = ZC_OK; code <= ZC_ERR_INTERNAL; ++code) {
    const std::string message = zc_status_message(static_cast<zc_status>(code));
    EXPECT_FALSE(message.empty());
    EXPECT_NE(message, "unknown status code") << code;
  }
  EXPECT_STREQ(zc_status_message(static_cast<zc_status>(99)), "unknown status code");
}

TEST_F(ShimApiTest, StartRejectsBadConfigsNamingTheProblem) {
  zc_service* s = nullptr;
  EXPECT_EQ(zc_service_start(nullptr, &s), ZC_ERR_INVALID_ARGUMENT);
  zc_config config = DefaultConfig();
  EXPECT_EQ(zc_service_start(&config, nullptr), ZC_ERR_INVALID_ARGUMENT);

  struct Case {
    const char* what;
    void (*change)(zc_config*);
    const char* message;
  };
  const Case cases[] = {
      {"no root", [](zc_config* c) { c->cache_root = nullptr; }, "cache_root"},
      {"relative root", [](zc_config* c) { c->cache_root = "relative/cache"; }, "cache_root"},
      {"no product", [](zc_config* c) { c->host.product = nullptr; }, "host.product"},
      {"bad product", [](zc_config* c) { c->host.product = "sol dr"; }, "host.product"},
      {"long instance",
       [](zc_config* c) {
         c->host.instance_id =
             "0123456789012345678901234567890123456789012345678901234567890123456789";
       },
       "host.instance_id"},
      {"empty workspace", [](zc_config* c) { c->host.workspace_id = ""; }, "host.workspace_id"},
      {"audit mode", [](zc_config* c) { c->audit_mode = static_cast<zc_audit_mode>(7); },
       "audit_mode"},
      {"old struct", [](zc_config* c) { c->struct_size = 8; }, "struct_size"},
  };
  for (const Case& c : cases) {
    zc_config bad = DefaultConfig();
    c.change(&bad);
    s = reinterpret_cast<zc_service*>(0x1);
    EXPECT_EQ(zc_service_start(&bad, &s), ZC_ERR_INVALID_ARGUMENT) << c.what;
    EXPECT_EQ(s, nullptr) << c.what;
    EXPECT_THAT(zc_last_error(), HasSubstr(c.message)) << c.what;
    EXPECT_THAT(zc_last_error(), Not(HasSubstr("\n"))) << c.what;
  }
}

TEST_F(ShimApiTest, StartSaysTheCacheIsUnavailableWhenTheRootCannotBeCreated) {
  zc_config config = DefaultConfig();
  config.cache_root = "/proc/zcshim-cannot-be-here";
  zc_service* s = nullptr;
  EXPECT_EQ(zc_service_start(&config, &s), ZC_ERR_CACHE_UNAVAILABLE);
  EXPECT_THAT(zc_last_error(), HasSubstr("/proc/zcshim-cannot-be-here"));
}

TEST_F(ShimApiTest, CompileRejectsMalformedRequests) {
  ASSERT_TRUE(StartService());
  zc_compile_result* r = nullptr;
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  EXPECT_EQ(zc_service_compile(service_, &request, &r), ZC_ERR_INVALID_ARGUMENT);  // no argv
  const char* argv[] = {"gcc", "-c", "a.c"};
  request.argv = argv;
  request.argc = 3;
  EXPECT_EQ(zc_service_compile(service_, &request, &r), ZC_ERR_INVALID_ARGUMENT);  // no cwd
  request.cwd = "relative";
  EXPECT_EQ(zc_service_compile(service_, &request, &r), ZC_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(zc_last_error(), HasSubstr("cwd"));
  const char* holes[] = {"gcc", nullptr};
  request.cwd = src_.c_str();
  request.argv = holes;
  request.argc = 2;
  EXPECT_EQ(zc_service_compile(service_, &request, &r), ZC_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(zc_last_error(), HasSubstr("argv[1]"));
  EXPECT_EQ(zc_service_compile(nullptr, &request, &r), ZC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(zc_service_compile(service_, &request, nullptr), ZC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r, nullptr);
}

TEST_F(ShimApiTest, MissThenHitGiveThePlainCompilersObjectAndWarning) {
  Ran plain = RunProgram(kCompile, src_, BaseEnv());
  ASSERT_EQ(plain.exit_code, 0);
  const std::string plain_object = *Read("src/a.o");
  ASSERT_TRUE(StartService());
  for (zc_outcome want : {ZC_OUTCOME_MISS, ZC_OUTCOME_HIT}) {
    ::unlink(Path("src/a.o").c_str());
    Outcome r = Compile(kCompile);
    ASSERT_EQ(r.status, ZC_OK) << zc_last_error();
    EXPECT_EQ(r.outcome, want) << r.reason;
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.stderr_data, plain.stderr_data);
    EXPECT_THAT(r.stderr_data, HasSubstr("unused"));
    EXPECT_EQ(Read("src/a.o"), plain_object);
  }
}

TEST_F(ShimApiTest, UncacheableCompileRunsPlainlyWithTheRequestsStdin) {
  ASSERT_TRUE(StartService());
  const std::string source(kWarningC);
  const char* argv[] = {"gcc", "-Wall", "-x", "c", "-c", "-", "-o", "stdin.o"};
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = argv;
  request.argc = 8;
  request.cwd = src_.c_str();
  request.stdin_data = source.data();
  request.stdin_len = source.size();
  zc_compile_result* r = nullptr;
  ASSERT_EQ(zc_service_compile(service_, &request, &r), ZC_OK) << zc_last_error();
  EXPECT_EQ(r->outcome, ZC_OUTCOME_UNCACHEABLE);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_THAT(std::string(r->stderr_data, r->stderr_len), HasSubstr("unused"));
  zc_compile_result_free(r);
  Ran plain = RunProgram({"gcc", "-Wall", "-x", "c", "-c", "-", "-o", "stdin.plain.o"}, src_,
                         BaseEnv(), source);
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_EQ(Read("src/stdin.o"), Read("src/stdin.plain.o"));
}

TEST_F(ShimApiTest, ACompilerThatCannotBeFoundIsAnErrorWithExitCode127) {
  ASSERT_TRUE(StartService());
  Outcome r = Compile({"no-such-compiler-zc", "-c", "a.c"});
  ASSERT_EQ(r.status, ZC_OK);
  EXPECT_EQ(r.outcome, ZC_OUTCOME_ERROR);
  EXPECT_EQ(r.reason, "could_not_find_compiler");
  EXPECT_EQ(r.exit_code, 127);
  // Counted: a call that is not cached always has its counter.
  EXPECT_EQ(Counter("could_not_find_compiler"), 1u);
  // Word for word what zcwrap says, and counted by zcwrap in the same cache too.
  std::vector<std::string> argv = {ZcwrapBinary(), "no-such-compiler-zc", "-c", "a.c"};
  std::vector<std::string> env = BaseEnv();
  env.push_back("ZCWRAP_DIR=" + Path("cache"));
  Ran wrapped = RunProgram(argv, src_, env);
  EXPECT_EQ(wrapped.exit_code, 127);
  EXPECT_EQ(r.stderr_data, wrapped.stderr_data);
  EXPECT_EQ(r.stderr_data, "zcwrap: cannot find compiler \"no-such-compiler-zc\" in PATH\n");
  EXPECT_EQ(Counter("could_not_find_compiler"), 2u);
}

TEST_F(ShimApiTest, CompilerSettingsInTheRequestEnvironmentApplyToThatCompile) {
  ASSERT_TRUE(StartService());
  std::vector<std::string> env = BaseEnv();
  ASSERT_EQ(Compile(kCompile, &env).outcome, ZC_OUTCOME_MISS);
  ASSERT_EQ(Compile(kCompile, &env).outcome, ZC_OUTCOME_HIT);

  std::vector<std::string> recache = env;
  recache.push_back("ZCWRAP_RECACHE=1");
  EXPECT_EQ(Compile(kCompile, &recache).outcome, ZC_OUTCOME_MISS);

  std::vector<std::string> disable = env;
  disable.push_back("ZCWRAP_DISABLE=1");
  Outcome d = Compile(kCompile, &disable);
  EXPECT_EQ(d.outcome, ZC_OUTCOME_UNCACHEABLE);
  EXPECT_EQ(d.reason, "disabled");

  // Another cache directory in the request is ignored: the service's root is the cache.
  std::vector<std::string> other = env;
  other.push_back(absl::StrCat("ZCWRAP_DIR=", Path("elsewhere")));
  EXPECT_EQ(Compile(kCompile, &other).outcome, ZC_OUTCOME_HIT);
  EXPECT_FALSE(test::FileExists(Path("elsewhere")));

  // A bad value: said once on stderr, as zcwrap says it, and the compile still happens.
  std::vector<std::string> bad = env;
  bad.push_back("ZCWRAP_MAX_SIZE=huge");
  ::unlink(Path("src/a.o").c_str());
  Outcome b = Compile(kCompile, &bad);
  EXPECT_EQ(b.exit_code, 0);
  EXPECT_EQ(b.outcome, ZC_OUTCOME_ERROR);
  EXPECT_EQ(b.reason, "internal_error");
  EXPECT_THAT(b.stderr_data, HasSubstr("zcwrap: invalid value \"huge\" for max_size"));
  EXPECT_TRUE(test::FileExists(Path("src/a.o")));
}

TEST_F(ShimApiTest, ATriggeredTokenCancelsBeforeAnythingRuns) {
  ASSERT_TRUE(StartService());
  zc_cancel_token* token = nullptr;
  ASSERT_EQ(zc_cancel_token_new(&token), ZC_OK);
  EXPECT_EQ(zc_cancel_token_is_triggered(token), 0);
  zc_cancel_token_trigger(token);
  zc_cancel_token_trigger(token);  // twice is fine
  EXPECT_EQ(zc_cancel_token_is_triggered(token), 1);
  Outcome r = Compile(kCompile, nullptr, token);
  EXPECT_EQ(r.status, ZC_ERR_CANCELLED);
  EXPECT_FALSE(test::FileExists(Path("src/a.o")));
  zc_cancel_token_free(token);
  // The service itself is fine.
  EXPECT_EQ(Compile(kCompile).status, ZC_OK);
}

TEST_F(ShimApiTest, TriggeringATokenDuringACompileKillsTheCompilerAndStoresNothing) {
  WriteSlowCompiler();
  ASSERT_TRUE(StartService());
  zc_cancel_token* token = nullptr;
  ASSERT_EQ(zc_cancel_token_new(&token), ZC_OK);
  Outcome r;
  std::thread compile([&] {
    r = Compile({"./slowcc", "-c", "a.c", "-o", "slow.o"}, nullptr, token);
  });
  const pid_t pid = WaitForSlowCompiler();
  ASSERT_NE(pid, 0);
  const auto start = std::chrono::steady_clock::now();
  zc_cancel_token_trigger(token);
  compile.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(r.status, ZC_ERR_CANCELLED);
  EXPECT_TRUE(ProcessGone(pid));
  EXPECT_FALSE(test::FileExists(Path("src/slow.o")));
  EXPECT_EQ(Counter("files_in_cache"), 0u);
  zc_cancel_token_free(token);
}

TEST_F(ShimApiTest, TheServicesTokenCancelsItsCompiles) {
  WriteSlowCompiler();
  zc_cancel_token* token = nullptr;
  ASSERT_EQ(zc_cancel_token_new(&token), ZC_OK);
  zc_config config = DefaultConfig();
  config.cancel = token;
  ASSERT_TRUE(StartService(config));
  Outcome r;
  std::thread compile([&] { r = Compile({"./slowcc", "-c", "a.c", "-o", "slow.o"}); });
  const pid_t pid = WaitForSlowCompiler();
  ASSERT_NE(pid, 0);
  zc_cancel_token_trigger(token);
  compile.join();
  EXPECT_EQ(r.status, ZC_ERR_CANCELLED);
  EXPECT_TRUE(ProcessGone(pid));
  EXPECT_EQ(Compile(kCompile).status, ZC_ERR_CANCELLED);  // it stays triggered
  zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL);
  zc_service_free(service_);
  service_ = nullptr;
  zc_cancel_token_free(token);
}

TEST_F(ShimApiTest, GracefulShutdownLetsARunningCompileFinishThenRefusesNewOnes) {
  // A compiler that takes a moment: long enough for the shutdown to start while it runs.
  Write("src/pausecc",
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -c ] && touch started && sleep 1; done\nexec "
        "gcc \"$@\"\n");
  ::chmod(Path("src/pausecc").c_str(), 0755);
  ASSERT_TRUE(StartService());
  Outcome r;
  std::thread compile([&] { r = Compile({"./pausecc", "-c", "a.c", "-o", "p.o"}); });
  for (int i = 0; i < 1000 && !test::FileExists(Path("src/started")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL), ZC_OK);
  compile.join();
  EXPECT_EQ(r.status, ZC_OK);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(test::FileExists(Path("src/p.o")));
  EXPECT_EQ(Compile(kCompile).status, ZC_ERR_SHUT_DOWN);
  EXPECT_EQ(zc_service_shutdown(service_, ZC_SHUTDOWN_FORCE), ZC_OK);  // again: harmless
}

TEST_F(ShimApiTest, StreamingDeliversTheOutputAsTheResultHoldsIt) {
  ASSERT_TRUE(StartService());
  struct Seen {
    std::string out, err;
    int chunks = 0;
  };
  auto run = [&](Seen* seen) {
    const char* argv[] = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = argv;
    request.argc = 6;
    request.cwd = src_.c_str();
    zc_compile_result* r = nullptr;
    zc_status st = zc_service_compile_streaming(
        service_, &request,
        [](void* user, int stream, const char* data, size_t len) {
          Seen* s = static_cast<Seen*>(user);
          (stream == 1 ? s->out : s->err).append(data, len);
          ++s->chunks;
        },
        seen, &r);
    EXPECT_EQ(st, ZC_OK);
    std::string err(r->stderr_data, r->stderr_len);
    zc_compile_result_free(r);
    return err;
  };
  Seen miss, hit;
  const std::string miss_err = run(&miss);
  EXPECT_EQ(miss.err, miss_err);
  EXPECT_THAT(miss.err, HasSubstr("unused"));
  const std::string hit_err = run(&hit);
  EXPECT_EQ(hit.err, hit_err);
  EXPECT_EQ(hit.chunks, 1);  // on a hit, each stream in one piece
  EXPECT_EQ(hit.err, miss.err);

  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  zc_compile_result* r = nullptr;
  EXPECT_EQ(zc_service_compile_streaming(service_, &request, nullptr, nullptr, &r),
            ZC_ERR_INVALID_ARGUMENT);
}

TEST_F(ShimApiTest, StatsCountLikeZcwrapAndShowTheServicesOwnLoad) {
  ASSERT_TRUE(StartService());
  ASSERT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_MISS);
  ASSERT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_HIT);
  zc_stats* stats = nullptr;
  ASSERT_EQ(zc_service_stats(service_, &stats), ZC_OK);
  EXPECT_EQ(stats->compiles, 2u);
  EXPECT_EQ(stats->in_flight, 0u);
  EXPECT_EQ(stats->queue_depth, 0u);
  const std::string json = stats->json;
  EXPECT_THAT(json, HasSubstr("\"cache_miss\":1"));
  EXPECT_THAT(json, HasSubstr("\"direct_cache_hit\":1"));
  EXPECT_THAT(json, HasSubstr("\"compiles\":2"));
  zc_stats_free(stats);

  // The same numbers as zcwrap --print-stats on that cache.
  std::vector<std::string> env = BaseEnv();
  env.push_back(absl::StrCat("ZCWRAP_DIR=", Path("cache")));
  Ran printed = RunProgram({ZcwrapBinary(), "--print-stats"}, src_, env);
  EXPECT_THAT(printed.stdout_data, HasSubstr("cache_miss\t1\n"));
  EXPECT_THAT(printed.stdout_data, HasSubstr("direct_cache_hit\t1\n"));
  EXPECT_EQ(Counter("cache_miss"), 1u);
}

TEST_F(ShimApiTest, HostProcessesCountAgainstTheCompilerBudget) {
  std::atomic<int32_t> host_running{1};
  zc_config config = DefaultConfig();
  config.max_parallel_compiles = 1;
  config.host_in_flight = reinterpret_cast<const volatile int32_t*>(&host_running);
  ASSERT_TRUE(StartService(config));
  Outcome r;
  std::atomic<bool> done{false};
  std::thread compile([&] {
    r = Compile(kCompile);
    done = true;
  });
  // The host holds the only slot: the compile queues.
  uint64_t depth = 0;
  for (int i = 0; i < 200 && depth == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    zc_stats* stats = nullptr;
    ASSERT_EQ(zc_service_stats(service_, &stats), ZC_OK);
    depth = stats->queue_depth;
    zc_stats_free(stats);
  }
  EXPECT_EQ(depth, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(done);
  host_running = 0;
  compile.join();
  EXPECT_EQ(r.status, ZC_OK);
  EXPECT_EQ(r.outcome, ZC_OUTCOME_MISS);
  // A hit spawns nothing, so it never waits for the host.
  host_running = 1;
  EXPECT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_HIT);
}

TEST_F(ShimApiTest, FlushSaysWhatItMadeDurable) {
  zc_config config = DefaultConfig();
  config.audit_mode = ZC_AUDIT_NORMAL;
  ASSERT_TRUE(StartService(config));
  ASSERT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_MISS);
  zc_flush_report report{};
  ASSERT_EQ(zc_service_flush_ex(service_, &report, sizeof(report)), ZC_OK);
  // The files this service published (the result, its manifest, ...), each fsynced.
  EXPECT_GE(report.entries, 2u);
  // service.started; the compile's started, miss, store, finished; service.flushed
  EXPECT_EQ(report.audit_events, 6u);
  EXPECT_EQ(report.stats_synced, 1);
  EXPECT_EQ(report.entries_unsynced, 0u);
  EXPECT_EQ(report.audit_dropped, 0u);
  ASSERT_EQ(zc_service_flush(service_, &report), ZC_OK);
  EXPECT_EQ(report.entries, 0u);
  EXPECT_EQ(report.audit_events, 1u);  // its own service.flushed
  EXPECT_EQ(zc_service_flush(service_, nullptr), ZC_OK);
  EXPECT_EQ(zc_service_flush_ex(service_, &report, 8), ZC_ERR_INVALID_ARGUMENT);
}

TEST_F(ShimApiTest, RemoteWritesAreQueuedFlushedAndServeAnotherService) {
  ASSERT_TRUE(StartService());
  std::vector<std::string> env = BaseEnv();
  env.push_back(absl::StrCat("ZCWRAP_REMOTE_STORAGE=file://", Path("shared")));
  ASSERT_EQ(Compile(kCompile, &env).outcome, ZC_OUTCOME_MISS);
  ASSERT_EQ(zc_service_flush(service_, nullptr), ZC_OK);
  // The result and its manifest, both on the tier once flush returns.
  EXPECT_EQ(Counter("remote_storage_write"), 2u);
  zc_stats* stats = nullptr;
  ASSERT_EQ(zc_service_stats(service_, &stats), ZC_OK);
  EXPECT_THAT(std::string(stats->json), HasSubstr("\"remote_tiers\":[{\"url\":\"file://"));
  EXPECT_THAT(std::string(stats->json), HasSubstr("\"write\":2"));
  zc_stats_free(stats);
  ASSERT_EQ(zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL), ZC_OK);
  zc_service_free(service_);
  service_ = nullptr;

  // Another host, another cache: a remote hit, restored and counted.
  ASSERT_TRUE(StartService(DefaultConfig("cache-2")));
  ::unlink(Path("src/a.o").c_str());
  EXPECT_EQ(Compile(kCompile, &env).outcome, ZC_OUTCOME_HIT);
  EXPECT_TRUE(test::FileExists(Path("src/a.o")));
  EXPECT_EQ(Counter("remote_storage_hit"), 1u);
}

TEST_F(ShimApiTest, AuditEventsCarryTheHostIdentityAndTheRequestsIds) {
  zc_config config = DefaultConfig();
  config.audit_mode = ZC_AUDIT_VERBOSE;
  ASSERT_TRUE(StartService(config));
  // Ids from the request win; missing ones come from ZCWRAP_* in its environment.
  std::vector<std::string> env = BaseEnv();
  env.push_back("ZCWRAP_SESSION_ID=sess-env");
  env.push_back("ZCWRAP_RUN_ID=run-env");
  env.push_back("GITHUB_TOKEN=ghp_secret");
  std::vector<const char*> envp;
  for (const std::string& e : env) envp.push_back(e.c_str());
  const char* argv[] = {"gcc", "-c", "a.c", "-o", "a.o"};
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = argv;
  request.argc = 5;
  request.cwd = src_.c_str();
  request.env = envp.data();
  request.env_count = envp.size();
  request.audit.run_id = "run-host";
  request.audit.command_id = "cmd-9";
  zc_compile_result* r = nullptr;
  ASSERT_EQ(zc_service_compile(service_, &request, &r), ZC_OK);
  const std::string compile_id = r->compile_id;
  zc_compile_result_free(r);
  ASSERT_EQ(zc_service_flush(service_, nullptr), ZC_OK);

  std::optional<std::string> text = Read("cache/audit/shimtest-i-1-ws.main.jsonl");
  ASSERT_TRUE(text.has_value());
  std::vector<std::string> all = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  ASSERT_EQ(all.size(), 6u);  // service.started and service.flushed around the compile's four
  EXPECT_THAT(all[0], HasSubstr("\"event\":\"service.started\""));
  EXPECT_THAT(all[5], HasSubstr("\"event\":\"service.flushed\""));
  const std::vector<std::string> lines(all.begin() + 1, all.end() - 1);
  for (const std::string& line : lines) {
    EXPECT_THAT(line, HasSubstr("\"run_id\":\"run-host\""));
    EXPECT_THAT(line, HasSubstr("\"command_id\":\"cmd-9\""));
    EXPECT_THAT(line, HasSubstr("\"session_id\":\"sess-env\""));
    EXPECT_THAT(line, HasSubstr(absl::StrCat("\"compile_id\":\"", compile_id, "\"")));
    EXPECT_THAT(line, HasSubstr("\"host\":{\"product\":\"shimtest\",\"instance_id\":\"i-1\","
                                "\"workspace_id\":\"ws.main\"}"));
    EXPECT_THAT(line, HasSubstr("\"origin\":\"zcshim\""));
    EXPECT_THAT(line, Not(HasSubstr("ghp_secret")));
  }
  EXPECT_THAT(lines[0], HasSubstr("\"GITHUB_TOKEN=<redacted>\""));
  EXPECT_THAT(lines[3], HasSubstr("\"event\":\"compile.finished\""));
}

TEST_F(ShimApiTest, EightThreadsOnOneServiceEachGetTheirOwnRightResult) {
  constexpr int kThreads = 8;
  for (int i = 0; i < kThreads; ++i) {
    Write(absl::StrCat("src/t", i, ".c"), absl::StrCat("int f", i, "(void) { return ", i, "; }\n"));
    ASSERT_EQ(RunProgram(
                  {"gcc", "-c", absl::StrCat("t", i, ".c"), "-o", absl::StrCat("t", i, ".plain.o")},
                  src_, BaseEnv())
                  .exit_code,
              0);
  }
  ASSERT_TRUE(StartService());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        Outcome r =
            Compile({"gcc", "-c", absl::StrCat("t", i, ".c"), "-o", absl::StrCat("t", i, ".o")});
        if (r.status != ZC_OK || r.exit_code != 0 || (round > 0 && r.outcome != ZC_OUTCOME_HIT) ||
            test::ReadTestFile(Path(absl::StrCat("src/t", i, ".o"))) !=
                test::ReadTestFile(Path(absl::StrCat("src/t", i, ".plain.o")))) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(Counter("cache_miss"), 8u);
  EXPECT_EQ(Counter("direct_cache_hit"), 16u);
}

}  // namespace
}  // namespace zc::shimtest

namespace zc::shimtest {
namespace {

struct SinkLines {
  std::mutex mu;
  std::vector<std::string> lines;
};

int CollectLine(void* user_data, const char* line, size_t len) {
  auto* sink = static_cast<SinkLines*>(user_data);
  std::lock_guard<std::mutex> lock(sink->mu);
  sink->lines.emplace_back(line, len);
  return 0;
}

TEST_F(ShimApiTest, TheAuditSinkGetsEveryEventInProcessAndNoFileIsWritten) {
  SinkLines sink;
  zc_config config = DefaultConfig();
  config.audit_mode = ZC_AUDIT_NORMAL;
  config.audit_sink = CollectLine;
  config.audit_sink_data = &sink;
  ASSERT_TRUE(StartService(config));
  ASSERT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_MISS);
  ASSERT_EQ(zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL), ZC_OK);
  std::vector<std::string> events;
  for (const std::string& line : sink.lines) {
    const size_t at = line.find("\"event\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    events.push_back(line.substr(at + 9, line.find('"', at + 9) - at - 9));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"service.started", "compile.started", "cache.miss",
                                              "cache.store", "compile.finished", "service.shutdown",
                                              "service.flushed"}));
  EXPECT_THAT(sink.lines[4], HasSubstr("\"queued_us\":"));
  EXPECT_THAT(sink.lines[0], HasSubstr("\"host\":{\"product\":\"shimtest\""));
  EXPECT_FALSE(Read("cache/audit/shimtest-i-1-ws.main.jsonl").has_value());
}

TEST_F(ShimApiTest, AuditEventsThatCannotBeWrittenAreCounted) {
  zc_config config = DefaultConfig();
  config.audit_mode = ZC_AUDIT_SUMMARY;
  config.audit_path = "/dev/full";  // every write fails with ENOSPC
  ASSERT_TRUE(StartService(config));
  ASSERT_EQ(Compile(kCompile).outcome, ZC_OUTCOME_MISS);
  // The audit file cannot be made durable either: flush says so.
  EXPECT_EQ(zc_service_flush(service_, nullptr), ZC_ERR_IO);
  // service.started, compile.finished, service.flushed: none written, each counted.
  zc_stats* stats = nullptr;
  ASSERT_EQ(zc_service_stats(service_, &stats), ZC_OK);
  EXPECT_EQ(stats->audit_dropped, 3u);
  EXPECT_EQ(stats->service_misses, 1u);
  EXPECT_THAT(std::string(stats->json), HasSubstr("\"audit_dropped\":3"));
  zc_stats_free(stats);
}

TEST_F(ShimApiTest, ANewerCallersStructIsAcceptedOnlyWhenItsUnknownFieldsAreZero) {
  struct Newer {
    zc_config config;
    uint64_t unknown;
  } newer{DefaultConfig(), 0};
  newer.config.struct_size = sizeof(Newer);
  ASSERT_EQ(zc_service_start(&newer.config, &service_), ZC_OK) << zc_last_error();
  zc_service_free(service_);
  service_ = nullptr;
  newer.unknown = 1;
  EXPECT_EQ(zc_service_start(&newer.config, &service_), ZC_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(std::string(zc_last_error()), HasSubstr("does not know"));
}

struct AsyncDone {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  zc_status status = ZC_ERR_INTERNAL;
  zc_compile_result* result = nullptr;
};

void OnAsyncDone(void* user_data, zc_status status, const char*, zc_compile_result* result) {
  auto* d = static_cast<AsyncDone*>(user_data);
  std::lock_guard<std::mutex> lock(d->mu);
  ++d->calls;
  d->status = status;
  d->result = result;
  d->cv.notify_all();
}

// Many async compiles on one service, some cancelled through their handles, a shared budget:
// what the TSan build (scripts/tsan.sh) exercises of the async paths.
TEST_F(ShimApiTest, AsyncCompilesCallBackOnceEachAndCancelledOnesStoreNothing) {
  zc_slots* slots = nullptr;
  ASSERT_EQ(zc_slots_new(2, &slots), ZC_OK);
  zc_config config = DefaultConfig();
  config.slots = slots;
  ASSERT_TRUE(StartService(config));
  zc_slots_free(slots);  // the service keeps its own reference
  constexpr int kJobs = 12;
  std::vector<std::string> names;
  for (int i = 0; i < kJobs; ++i) {
    Write(absl::StrCat("src/j", i, ".c"), absl::StrCat("int j", i, "(void) { return ", i, "; }\n"));
  }
  std::vector<AsyncDone> done(kJobs);
  std::vector<std::vector<std::string>> argvs;
  for (int i = 0; i < kJobs; ++i) {
    argvs.push_back({"gcc", "-c", absl::StrCat("j", i, ".c"), "-o", absl::StrCat("j", i, ".o")});
  }
  for (int i = 0; i < kJobs; ++i) {
    std::vector<const char*> argv;
    for (const std::string& a : argvs[i]) argv.push_back(a.c_str());
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = argv.data();
    request.argc = argv.size();
    request.cwd = src_.c_str();
    zc_compile_job* job = nullptr;
    ASSERT_EQ(zc_service_compile_async(service_, &request, OnAsyncDone, &done[i], &job), ZC_OK);
    if (i % 3 == 2) zc_compile_job_cancel(job);
    zc_compile_job_release(job);
  }
  int cancelled = 0;
  for (int i = 0; i < kJobs; ++i) {
    std::unique_lock<std::mutex> lock(done[i].mu);
    ASSERT_TRUE(
        done[i].cv.wait_for(lock, std::chrono::seconds(120), [&] { return done[i].calls > 0; }));
    EXPECT_EQ(done[i].calls, 1);
    if (done[i].status == ZC_ERR_CANCELLED) {
      EXPECT_EQ(i % 3, 2) << "job " << i;
      EXPECT_EQ(done[i].result, nullptr);
      ++cancelled;
      continue;
    }
    ASSERT_EQ(done[i].status, ZC_OK) << "job " << i;
    EXPECT_EQ(done[i].result->exit_code, 0);
    zc_compile_result_free(done[i].result);
  }
  EXPECT_GE(cancelled, 1);
  // A cancelled compile stored nothing: compiling it again is a miss.
  for (int i = 2; i < kJobs; i += 3) {
    if (done[i].status == ZC_ERR_CANCELLED) {
      EXPECT_EQ(Compile(argvs[i]).outcome, ZC_OUTCOME_MISS) << "job " << i;
    }
  }
  zc_stats* stats = nullptr;
  ASSERT_EQ(zc_service_stats(service_, &stats), ZC_OK);
  EXPECT_EQ(stats->service_cancelled, static_cast<uint64_t>(cancelled));
  EXPECT_EQ(stats->slots.limit, 2u);
  EXPECT_EQ(stats->slots.service_held, 0u);
  zc_stats_free(stats);
  // Shutdown from another thread's callback, then a release that does not wait.
  AsyncDone shut;
  ASSERT_EQ(
      zc_service_shutdown_async(
          service_, ZC_SHUTDOWN_GRACEFUL,
          [](void* d, zc_status st, const char* e) { OnAsyncDone(d, st, e, nullptr); }, &shut),
      ZC_OK);
  {
    std::unique_lock<std::mutex> lock(shut.mu);
    ASSERT_TRUE(shut.cv.wait_for(lock, std::chrono::seconds(60), [&] { return shut.calls > 0; }));
  }
  EXPECT_EQ(shut.status, ZC_OK);
  zc_service_release(service_);
  service_ = nullptr;
}

}  // namespace
}  // namespace zc::shimtest
