// A fixture for tests of libzcshim through its C ABI only (the header a host gets), plus a way
// to run the zcwrap binary on the same files for the parity tests.
//
//   class MyTest : public zc::shimtest::ShimTest {};
//   TEST_F(MyTest, Hit) {
//     Write("a.c", "int x;\n");
//     ASSERT_TRUE(StartService());
//     Outcome r = Compile({"gcc", "-c", "a.c", "-o", "a.o"});
//     EXPECT_EQ(r.outcome, ZC_OUTCOME_MISS);
//   }
#ifndef ZCWRAP_TESTS_SHIM_SHIM_FIXTURE_H_
#define ZCWRAP_TESTS_SHIM_SHIM_FIXTURE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "zcshim.h"

namespace zc::shimtest {

// A compile's result, copied out of zc_compile_result.
struct Outcome {
  zc_status status = ZC_ERR_INTERNAL;
  zc_outcome outcome = ZC_OUTCOME_ERROR;
  std::string reason;
  int exit_code = -1;
  std::string stdout_data;
  std::string stderr_data;
  std::string compile_id;
};

// What running a program produced.
struct Ran {
  int exit_code = -1;
  std::string stdout_data;
  std::string stderr_data;
};

class ShimTest : public ::testing::Test {
 protected:
  ShimTest();
  ~ShimTest() override;

  std::string Path(absl::string_view rel) const { return dir_.Join(rel); }
  // Writes dir_/`rel` (creating directories), then waits out the clock tick.
  void Write(absl::string_view rel, absl::string_view content) const;
  std::optional<std::string> Read(absl::string_view rel) const;

  // Starts service_ on `cache` (relative to the temp dir) with `config` adjusted by the caller;
  // the default config has a valid identity and audit off.
  zc_config DefaultConfig(absl::string_view cache = "cache");
  ::testing::AssertionResult StartService(zc_config config);
  ::testing::AssertionResult StartService() { return StartService(DefaultConfig()); }

  // Compiles `argv` in `cwd` (default: the work dir "src") through service_, in `env` (default:
  // BaseEnv()).
  Outcome Compile(const std::vector<std::string>& argv,
                  const std::vector<std::string>* env = nullptr, zc_cancel_token* cancel = nullptr,
                  const std::string& cwd = "") const;

  // Runs a program (argv[0] searched in PATH) in `cwd` with `env` (NAME=value; empty: a fixed
  // minimal environment).
  static Ran RunProgram(const std::vector<std::string>& argv, const std::string& cwd,
                        const std::vector<std::string>& env, const std::string& stdin_data = "");
  // The fixed environment children get (PATH, HOME, LC_ALL=C).
  std::vector<std::string> BaseEnv() const;
  // The zcwrap binary under test ($ZCWRAP_BIN), or "" with a test failure.
  static std::string ZcwrapBinary();

  test::TempDir dir_;
  std::string src_;  // dir_/src, where compiles run
  zc_service* service_ = nullptr;
};

}  // namespace zc::shimtest

#endif  // ZCWRAP_TESTS_SHIM_SHIM_FIXTURE_H_
