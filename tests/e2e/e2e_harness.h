// The end-to-end harness: runs the real zcwrap binary and the plain compiler side by side.
//
//   class MyTest : public zc::e2e::E2eTest {};
//   TEST_F(MyTest, HitMatchesPlainCompiler) {
//     WriteBoth("a.c", "int x;\n");
//     zc::e2e::RunResult plain = Plain({"gcc", "-c", "a.c"});
//     zc::e2e::RunResult miss = Zcwrap({"gcc", "-c", "a.c"});
//     ExpectSameResult(plain, miss);
//     EXPECT_TRUE(SameFile("a.o"));
//     EXPECT_EQ(Stat("cache_miss"), 1u);
//   }
//
// Every test gets a fresh temporary root holding
//   plain/  where the plain compiler runs,
//   wrap/   its twin with the same relative layout, where zcwrap runs,
//   cache/  the cache directory (ZCWRAP_DIR), and home/ (HOME).
// Objects built without -g do not depend on the directory, so plain/x and wrap/x must be
// byte-identical. Children get a small, fixed environment (PATH, HOME, LC_ALL=C, PWD, ZCWRAP_DIR)
// so that nothing from the caller's environment (a ZCWRAP_* setting, a locale) leaks in.
//
// Lookup mode: zcwrap answers a hit either in direct mode (manifest, no preprocessor:
// direct_cache_hit) or in preprocessor mode (key over `cc -E` output: preprocessed_cache_hit).
// A test picks one with `mode_` (ZCWRAP_DIRECT=1 or 0 on every zcwrap run); the default is direct,
// zcwrap's own default. Most behaviour tests run in both.
//
// The zcwrap binary comes from $ZCWRAP_BIN (meson sets it). Helpers report problems with gtest
// failures and never abort the process.
#ifndef ZCWRAP_TESTS_E2E_E2E_HARNESS_H_
#define ZCWRAP_TESTS_E2E_E2E_HARNESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace zc::e2e {

struct RunResult {
  int exit_code = -1;  // -1: the process could not be started at all
  std::string stdout_data;
  std::string stderr_data;
};

// Prints "exit N, stdout ..., stderr ..." (shortened) in failure messages.
void PrintTo(const RunResult& r, std::ostream* os);

// Tiny sources used across the suite.
//   kWarningC / kWarningCxx: compile cleanly but warn (unused variable) under -Wall.
//   kCleanC: no warning even with -Wall -Wextra.
//   kSyntaxErrorC: does not compile.
inline constexpr absl::string_view kWarningC =
    "int main(void) {\n  int unused = 1;\n  return 0;\n}\n";
inline constexpr absl::string_view kWarningCxx =
    "template <typename T> T Twice(T x) { return x + x; }\n"
    "int main() {\n  int unused = 1;\n  return Twice(0);\n}\n";
inline constexpr absl::string_view kCleanC = "int answer(void) { return 42; }\n";
inline constexpr absl::string_view kSyntaxErrorC = "int broken(void) { return 1 }\n";

// `expected` and `actual` are the same bytes; otherwise says where they first differ.
::testing::AssertionResult SameBytes(absl::string_view what, absl::string_view expected,
                                     absl::string_view actual);

// The content of `path`, or nullopt if it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);
// Writes `content` to `path`, creating missing parent directories.
void WriteFile(const std::string& path, absl::string_view content);
// Returns once the kernel's coarse clock is past every timestamp WriteFile gave (a tick at most),
// so a compile starting now sees those files as written before it. Zcwrap() does this itself.
void LetWritesSettle();
bool Exists(const std::string& path);
// Every regular file under `dir`, as paths relative to it, sorted.
std::vector<std::string> ListFiles(const std::string& dir);

// The zcwrap binary under test ($ZCWRAP_BIN), or "" with a test failure.
std::string ZcwrapBinary();
// `name` resolved in the harness PATH (an absolute path is returned as it is), or `name` itself.
std::string ResolveProgram(const std::string& name);

// The environment every child starts from, without PWD (added per run).
inline constexpr absl::string_view kHarnessPath = "/usr/local/bin:/usr/bin:/bin";

// "on"/"auto" when the suite runs through the daemon (ZCWRAP_E2E_DAEMON), else "".
std::string DaemonMode();

enum class Mode { kDirect, kPreprocessor };
// "Direct" / "Preprocessor", for test names.
std::string ModeName(Mode mode);
void PrintTo(Mode mode, std::ostream* os);
// Test-name suffix for a (compiler, mode) parameter: "GccDirect", "ClangPreprocessor", ...
std::string CompilerModeName(const ::testing::TestParamInfo<std::tuple<const char*, Mode>>& info);

class E2eTest : public ::testing::Test {
 protected:
  E2eTest();
  ~E2eTest() override;

  // root/`rel`, and the twin directories.
  std::string Path(absl::string_view rel) const;
  std::string PlainPath(absl::string_view rel) const { return plain_dir_ + "/" + std::string(rel); }
  std::string WrapPath(absl::string_view rel) const { return wrap_dir_ + "/" + std::string(rel); }

  // Writes the same file at `rel` in plain/ and in wrap/.
  void WriteBoth(absl::string_view rel, absl::string_view content);

  // The child environment for a run in `cwd`: the fixed base, then `extra` ("NAME=value", which
  // replaces a base entry of the same NAME).
  std::vector<std::string> Environment(const std::string& cwd,
                                       const std::vector<std::string>& extra) const;

  // Runs `argv` (argv[0] is searched in the harness PATH) in `cwd` and waits for it.
  RunResult Run(const std::vector<std::string>& argv, const std::string& cwd,
                const std::vector<std::string>& extra_env = {},
                const std::string& stdin_data = "") const;
  // The plain compiler: `argv` run in plain/ (or `cwd`).
  RunResult Plain(const std::vector<std::string>& argv, const std::string& cwd = "",
                  const std::string& stdin_data = "") const;
  // zcwrap with `argv` as its arguments (usually compiler + compiler arguments), in wrap/ (or
  // `cwd`), in `mode_` (`extra_env` may override that).
  RunResult Zcwrap(const std::vector<std::string>& argv, const std::string& cwd = "",
                   const std::vector<std::string>& extra_env = {},
                   const std::string& stdin_data = "") const;

  // `zcwrap --print-stats` parsed into name → value (empty, with a failure, if it did not work).
  // `cache` (default: the test's own cache directory) as another machine's would be read.
  std::map<std::string, uint64_t> Stats(const std::string& cache = "") const;
  // One counter; fails the test if --print-stats does not list it.
  uint64_t Stat(const std::string& name) const;

  // A private copy of gcc-12 at `dir`/bin/`name`, with `dir`/lib pointing at /usr/lib so that it
  // still finds cc1: "another installation" of the same compiler. Empty (and a test failure) if
  // it cannot be made.
  std::string CopyOfGcc(const std::string& dir, const std::string& name) const;
  // Every counter named in `expected` has that value (one --print-stats run).
  ::testing::AssertionResult HasCounters(const std::map<std::string, uint64_t>& expected) const;
  // The hit counter of `mode_` (direct_cache_hit or preprocessed_cache_hit), and the other one.
  std::string HitCounter() const;
  std::string OtherHitCounter() const;
  // cache_miss == `misses`, HitCounter() == `hits` and OtherHitCounter() == 0.
  ::testing::AssertionResult HasMissesAndHits(uint64_t misses, uint64_t hits) const;

  // Entry files under the cache directory (<cache>/<x>/<y>/<name>), and those that are results
  // (not direct-mode manifests).
  std::vector<std::string> EntryFiles() const;
  int ResultEntryCount() const;
  // The cache holds `results` result entries, and files_in_cache counts every entry file on disk.
  ::testing::AssertionResult CacheHolds(int results) const;

  // Expects equal exit code, stdout and stderr.
  static void ExpectSameResult(const RunResult& plain, const RunResult& wrapped);
  // plain/`rel` and wrap/`rel` both exist and are byte-identical.
  ::testing::AssertionResult SameFile(absl::string_view rel) const;
  // Compares file `actual_path` with the bytes `expected` (saved from an earlier plain run).
  static ::testing::AssertionResult FileHasBytes(const std::string& actual_path,
                                                 absl::string_view expected);

  Mode mode_ = Mode::kDirect;
  std::string root_;
  std::string plain_dir_;
  std::string wrap_dir_;
  std::string cache_dir_;
  std::string home_dir_;
};

}  // namespace zc::e2e

#endif  // ZCWRAP_TESTS_E2E_E2E_HARNESS_H_
