#include "tests/e2e/e2e_harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/process.h"

namespace zc::e2e {
namespace {

namespace fs = std::filesystem;

// A short, printable excerpt of `s` around `offset`.
std::string Excerpt(absl::string_view s, size_t offset) {
  size_t begin = offset > 40 ? offset - 40 : 0;
  absl::string_view part = s.substr(begin, 80);
  std::string out;
  for (char c : part) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Shortened(absl::string_view s) {
  return s.size() <= 400 ? Excerpt(s, 0) + (s.size() > 80 ? "..." : "")
                         : absl::StrCat(Excerpt(s, 0), "... (", s.size(), " bytes)");
}

}  // namespace

std::string ModeName(Mode mode) { return mode == Mode::kDirect ? "Direct" : "Preprocessor"; }

void PrintTo(Mode mode, std::ostream* os) { *os << ModeName(mode) << " mode"; }

void PrintTo(const RunResult& r, std::ostream* os) {
  *os << "exit " << r.exit_code << ", stdout \"" << Shortened(r.stdout_data) << "\", stderr \""
      << Shortened(r.stderr_data) << "\"";
}

::testing::AssertionResult SameBytes(absl::string_view what, absl::string_view expected,
                                     absl::string_view actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  return ::testing::AssertionFailure()
         << what << " differs: expected " << expected.size() << " bytes, got " << actual.size()
         << ", first difference at offset " << i << "\n  expected: \"" << Excerpt(expected, i)
         << "\"\n  actual:   \"" << Excerpt(actual, i) << "\"";
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// The newest timestamp of a file the test wrote. zcwrap treats a file whose timestamp is not
// older than the coarse clock's reading at the start of a compile as written during it (and
// verifies or stores nothing), exactly as it should for a file edited while compiling; so a test
// that writes and then compiles at once lets the kernel's tick (4 ms) pass that timestamp first
// (see E2eTest::Zcwrap). Unit tests use a fake clock instead (tests/support/fake_clock.h).
std::atomic<int64_t> last_write_ns{0};

}  // namespace

void WriteFile(const std::string& path, absl::string_view content) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << path;
  struct stat st;
  const int64_t written = ::stat(path.c_str(), &st) == 0
                              ? std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim))
                              : util::SystemClock().RealNs();
  int64_t seen = last_write_ns.load();
  while (seen < written && !last_write_ns.compare_exchange_weak(seen, written)) {
  }
}

void LetWritesSettle() { util::SystemClock().WaitForCoarsePast(last_write_ns.load()); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ZcwrapBinary() {
  const char* bin = std::getenv("ZCWRAP_BIN");
  if (bin == nullptr || bin[0] == '\0') {
    ADD_FAILURE() << "ZCWRAP_BIN is not set (meson test sets it to the zcwrap binary)";
    return "";
  }
  return bin;
}

std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  for (absl::string_view dir : absl::StrSplit(kHarnessPath, ':')) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

std::string CompilerModeName(const ::testing::TestParamInfo<std::tuple<const char*, Mode>>& info) {
  return std::string(std::get<0>(info.param) == std::string("gcc") ? "Gcc" : "Clang") +
         ModeName(std::get<1>(info.param));
}

std::string DaemonMode() {
  const char* mode = std::getenv("ZCWRAP_E2E_DAEMON");
  return mode != nullptr ? mode : "";
}

E2eTest::E2eTest() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp", "/zcwrap-e2e-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
  }
  // The canonical path: gcc records the real directory, and zcwrap compares $PWD with ".".
  std::error_code ec;
  root_ = fs::canonical(pattern, ec).string();
  if (ec) root_ = pattern;
  plain_dir_ = root_ + "/plain";
  wrap_dir_ = root_ + "/wrap";
  cache_dir_ = root_ + "/cache";
  home_dir_ = root_ + "/home";
  for (const std::string& d : {plain_dir_, wrap_dir_, home_dir_}) fs::create_directories(d, ec);
}

E2eTest::~E2eTest() {
  if (root_.empty()) return;
  // A daemon may serve this test's cache (ZCWRAP_E2E_DAEMON, or a test that starts one): stop it
  // with the test, and leave no endpoint files behind.
  (void)Zcwrap({"--daemon-stop"}, root_);
  absl::StatusOr<daemon::Endpoint> endpoint = daemon::EndpointFor(
      cache_dir_, [](absl::string_view) -> std::optional<std::string> { return std::nullopt; });
  if (endpoint.ok()) {
    for (const std::string* f : {&endpoint->lock_path, &endpoint->log_path, &endpoint->failed_path,
                                 &endpoint->socket_path}) {
      ::unlink(f->c_str());
    }
  }
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string E2eTest::Path(absl::string_view rel) const { return absl::StrCat(root_, "/", rel); }

void E2eTest::WriteBoth(absl::string_view rel, absl::string_view content) {
  WriteFile(PlainPath(rel), content);
  WriteFile(WrapPath(rel), content);
}

std::vector<std::string> E2eTest::Environment(const std::string& cwd,
                                              const std::vector<std::string>& extra) const {
  std::vector<std::string> env = {
      absl::StrCat("PATH=", kHarnessPath),     absl::StrCat("HOME=", home_dir_), "LC_ALL=C",
      absl::StrCat("ZCWRAP_DIR=", cache_dir_), absl::StrCat("PWD=", cwd),
  };
  // The suite checks the in-process path (ZCWRAP_DAEMON=off), or with ZCWRAP_E2E_DAEMON=on
  // (meson test e2e_wrapper_daemon) the same behaviour through the daemon.
  env.push_back(absl::StrCat("ZCWRAP_DAEMON=", DaemonMode().empty() ? "off" : DaemonMode()));
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && tmp[0] == '/') {
    env.push_back(absl::StrCat("TMPDIR=", tmp));
  }
  for (const std::string& kv : extra) {
    if (kv.find('=') == std::string::npos) {
      ADD_FAILURE() << "environment entry without '=': " << kv;
      continue;
    }
    const std::string name = kv.substr(0, kv.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.rfind(name, 0) == 0; }),
              env.end());
    env.push_back(kv);
  }
  return env;
}

RunResult E2eTest::Run(const std::vector<std::string>& argv, const std::string& cwd,
                       const std::vector<std::string>& extra_env,
                       const std::string& stdin_data) const {
  util::Command cmd;
  cmd.argv = argv;
  if (!cmd.argv.empty()) cmd.argv[0] = ResolveProgram(cmd.argv[0]);
  cmd.cwd = cwd;
  cmd.env = Environment(cwd, extra_env);
  cmd.stdin_data = stdin_data;
  absl::StatusOr<util::ProcessResult> ran = util::PosixProcessRunner().Run(cmd);
  RunResult r;
  if (!ran.ok()) {
    ADD_FAILURE() << "cannot run " << (argv.empty() ? "" : argv[0]) << ": " << ran.status();
    return r;
  }
  r.exit_code = ran->exit_code;
  r.stdout_data = std::move(ran->stdout_data);
  r.stderr_data = std::move(ran->stderr_data);
  return r;
}

RunResult E2eTest::Plain(const std::vector<std::string>& argv, const std::string& cwd,
                         const std::string& stdin_data) const {
  return Run(argv, cwd.empty() ? plain_dir_ : cwd, {}, stdin_data);
}

RunResult E2eTest::Zcwrap(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::vector<std::string>& extra_env,
                          const std::string& stdin_data) const {
  LetWritesSettle();
  std::vector<std::string> full = {ZcwrapBinary()};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<std::string> env = {mode_ == Mode::kDirect ? "ZCWRAP_DIRECT=1" : "ZCWRAP_DIRECT=0"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  return Run(full, cwd.empty() ? wrap_dir_ : cwd, env, stdin_data);
}

std::map<std::string, uint64_t> E2eTest::Stats(const std::string& cache) const {
  std::map<std::string, uint64_t> stats;
  RunResult r = Zcwrap(
      {"--print-stats"}, root_,
      cache.empty() ? std::vector<std::string>{} : std::vector<std::string>{"ZCWRAP_DIR=" + cache});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "zcwrap --print-stats failed: " << ::testing::PrintToString(r);
    return stats;
  }
  for (absl::string_view line : absl::StrSplit(r.stdout_data, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, '\t');
    uint64_t value = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &value)) {
      ADD_FAILURE() << "bad --print-stats line \"" << line << "\"";
      continue;
    }
    stats[std::string(parts[0])] = value;
  }
  return stats;
}

uint64_t E2eTest::Stat(const std::string& name) const {
  std::map<std::string, uint64_t> stats = Stats();
  auto it = stats.find(name);
  if (it == stats.end()) {
    ADD_FAILURE() << "--print-stats has no counter " << name;
    return ~uint64_t{0};
  }
  return it->second;
}

::testing::AssertionResult E2eTest::HasCounters(
    const std::map<std::string, uint64_t>& expected) const {
  std::map<std::string, uint64_t> stats = Stats();
  std::string wrong;
  for (const auto& [name, value] : expected) {
    auto it = stats.find(name);
    if (it == stats.end()) {
      absl::StrAppend(&wrong, "\n  ", name, ": not listed");
    } else if (it->second != value) {
      absl::StrAppend(&wrong, "\n  ", name, ": expected ", value, ", got ", it->second);
    }
  }
  if (wrong.empty()) return ::testing::AssertionSuccess();
  std::string nonzero;
  for (const auto& [name, value] : stats) {
    if (value != 0 && name != "stats_updated_timestamp" && name != "stats_zeroed_timestamp") {
      absl::StrAppend(&nonzero, " ", name, "=", value);
    }
  }
  return ::testing::AssertionFailure()
         << "unexpected counters:" << wrong << "\n  (non-zero:" << nonzero << ")";
}

std::string E2eTest::HitCounter() const {
  return mode_ == Mode::kDirect ? "direct_cache_hit" : "preprocessed_cache_hit";
}

std::string E2eTest::OtherHitCounter() const {
  return mode_ == Mode::kDirect ? "preprocessed_cache_hit" : "direct_cache_hit";
}

::testing::AssertionResult E2eTest::HasMissesAndHits(uint64_t misses, uint64_t hits) const {
  return HasCounters({{"cache_miss", misses}, {HitCounter(), hits}, {OtherHitCounter(), 0}});
}

std::vector<std::string> E2eTest::EntryFiles() const {
  std::vector<std::string> out;
  for (const std::string& rel : ListFiles(cache_dir_)) {
    // <x>/<y>/<name>: one hex digit per directory level.
    if (rel.size() > 4 && rel[1] == '/' && rel[3] == '/' && rel.find('/', 4) == std::string::npos &&
        std::isxdigit(static_cast<unsigned char>(rel[0])) &&
        std::isxdigit(static_cast<unsigned char>(rel[2]))) {
      out.push_back(rel);
    }
  }
  return out;
}

std::string E2eTest::CopyOfGcc(const std::string& dir, const std::string& name) const {
  std::error_code ec;
  const std::string real_gcc = fs::canonical("/usr/bin/gcc-12", ec).string();
  if (ec) {
    ADD_FAILURE() << "no /usr/bin/gcc-12";
    return "";
  }
  fs::create_directories(dir + "/bin", ec);
  const std::string copy = dir + "/bin/" + name;
  fs::copy_file(real_gcc, copy, ec);
  if (!ec) fs::create_directory_symlink("/usr/lib", dir + "/lib", ec);
  if (ec) {
    ADD_FAILURE() << "cannot copy gcc: " << ec.message();
    return "";
  }
  return copy;
}

int E2eTest::ResultEntryCount() const {
  int n = 0;
  for (const std::string& rel : EntryFiles()) n += rel.back() == 'R';
  return n;
}

::testing::AssertionResult E2eTest::CacheHolds(int results) const {
  const std::vector<std::string> entries = EntryFiles();
  const int result_count = ResultEntryCount();
  const uint64_t counted = Stat("files_in_cache");
  if (result_count == results && counted == entries.size()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << results << " result entries, found " << result_count << "; "
         << entries.size() << " entry files on disk, files_in_cache says " << counted;
}

void E2eTest::ExpectSameResult(const RunResult& plain, const RunResult& wrapped) {
  EXPECT_EQ(wrapped.exit_code, plain.exit_code)
      << "plain: " << ::testing::PrintToString(plain)
      << "\nzcwrap: " << ::testing::PrintToString(wrapped);
  EXPECT_TRUE(SameBytes("stdout", plain.stdout_data, wrapped.stdout_data));
  EXPECT_TRUE(SameBytes("stderr", plain.stderr_data, wrapped.stderr_data));
}

::testing::AssertionResult E2eTest::SameFile(absl::string_view rel) const {
  std::optional<std::string> plain = ReadFile(PlainPath(rel));
  std::optional<std::string> wrapped = ReadFile(WrapPath(rel));
  if (!plain) return ::testing::AssertionFailure() << "the plain compiler wrote no " << rel;
  if (!wrapped) return ::testing::AssertionFailure() << "zcwrap left no " << rel;
  return SameBytes(rel, *plain, *wrapped);
}

::testing::AssertionResult E2eTest::FileHasBytes(const std::string& actual_path,
                                                 absl::string_view expected) {
  std::optional<std::string> actual = ReadFile(actual_path);
  if (!actual) return ::testing::AssertionFailure() << "missing " << actual_path;
  return SameBytes(actual_path, expected, *actual);
}

}  // namespace zc::e2e
