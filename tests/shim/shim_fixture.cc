#include "tests/shim/shim_fixture.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/process.h"

namespace zc::shimtest {

ShimTest::ShimTest() : src_(dir_.Join("src")) { ::mkdir(src_.c_str(), 0755); }

ShimTest::~ShimTest() {
  if (service_ != nullptr) {
    zc_service_shutdown(service_, ZC_SHUTDOWN_FORCE);
    zc_service_free(service_);
  }
}

void ShimTest::Write(absl::string_view rel, absl::string_view content) const {
  test::WriteTestFile(dir_.Join(rel), content);
  // A file whose timestamp is not older than the kernel clock tick a compile starts in counts as
  // changed during that compile, which is then verified or not stored (docs/direct-mode.md):
  // let the tick pass it (4 ms at most). The service runs on the system clock.
  struct stat st;
  if (::stat(dir_.Join(rel).c_str(), &st) == 0) {
    util::SystemClock().WaitForCoarsePast(
        std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim)));
  }
}

std::optional<std::string> ShimTest::Read(absl::string_view rel) const {
  const std::string p = dir_.Join(rel);
  if (!test::FileExists(p)) return std::nullopt;
  return test::ReadTestFile(p);
}

zc_config ShimTest::DefaultConfig(absl::string_view cache) {
  static thread_local std::string root;
  root = dir_.Join(cache);
  zc_config config = ZC_CONFIG_INIT;
  config.cache_root = root.c_str();
  config.host.product = "shimtest";
  config.host.instance_id = "i-1";
  config.host.workspace_id = "ws.main";
  return config;
}

::testing::AssertionResult ShimTest::StartService(zc_config config) {
  if (service_ != nullptr) {
    zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL);
    zc_service_free(service_);
    service_ = nullptr;
  }
  zc_status st = zc_service_start(&config, &service_);
  if (st != ZC_OK) {
    return ::testing::AssertionFailure()
           << "zc_service_start: " << zc_status_message(st) << ": " << zc_last_error();
  }
  return ::testing::AssertionSuccess();
}

Outcome ShimTest::Compile(const std::vector<std::string>& argv, const std::vector<std::string>* env,
                          zc_cancel_token* cancel, const std::string& cwd) const {
  std::vector<const char*> args;
  for (const std::string& a : argv) args.push_back(a.c_str());
  // The children's fixed environment unless the test gives one, so outputs compare with
  // RunProgram's (the locale changes gcc's quotes).
  const std::vector<std::string> base = BaseEnv();
  if (env == nullptr) env = &base;
  std::vector<const char*> envp;
  for (const std::string& e : *env) envp.push_back(e.c_str());
  const std::string dir = cwd.empty() ? src_ : cwd;
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = args.data();
  request.argc = args.size();
  request.cwd = dir.c_str();
  request.env = envp.data();
  request.env_count = envp.size();
  request.cancel = cancel;
  zc_compile_result* result = nullptr;
  Outcome out;
  out.status = zc_service_compile(service_, &request, &result);
  if (out.status != ZC_OK) {
    EXPECT_EQ(result, nullptr);
    return out;
  }
  out.outcome = result->outcome;
  out.reason = result->reason;
  out.exit_code = result->exit_code;
  out.stdout_data.assign(result->stdout_data, result->stdout_len);
  out.stderr_data.assign(result->stderr_data, result->stderr_len);
  out.compile_id = result->compile_id;
  zc_compile_result_free(result);
  return out;
}

Ran ShimTest::RunProgram(const std::vector<std::string>& argv, const std::string& cwd,
                         const std::vector<std::string>& env, const std::string& stdin_data) {
  util::Command cmd;
  cmd.argv = argv;
  cmd.cwd = cwd;
  cmd.env = env;
  cmd.stdin_data = stdin_data;
  if (argv[0].find('/') == std::string::npos) {
    for (const char* d : {"/usr/local/bin/", "/usr/bin/", "/bin/"}) {
      const std::string p = absl::StrCat(d, argv[0]);
      if (test::FileExists(p)) {
        cmd.argv[0] = p;
        break;
      }
    }
  }
  Ran ran;
  absl::StatusOr<util::ProcessResult> r = util::PosixProcessRunner().Run(cmd);
  if (!r.ok()) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << r.status();
    return ran;
  }
  ran.exit_code = r->exit_code;
  ran.stdout_data = std::move(r->stdout_data);
  ran.stderr_data = std::move(r->stderr_data);
  return ran;
}

std::vector<std::string> ShimTest::BaseEnv() const {
  return {"PATH=/usr/local/bin:/usr/bin:/bin", absl::StrCat("HOME=", dir_.path()), "LC_ALL=C"};
}

std::string ShimTest::ZcwrapBinary() {
  const char* bin = std::getenv("ZCWRAP_BIN");
  if (bin == nullptr || !test::FileExists(bin)) {
    ADD_FAILURE() << "ZCWRAP_BIN must name the zcwrap binary under test";
    return "";
  }
  return bin;
}

}  // namespace zc::shimtest
