// Engine tests with a fake compiler (a ProcessRunner that scripts -E output and writes objects), so
// every step of Classify → Key → Lookup → Restore | Run → Store is checked without gcc.
#include "cachecore/compile/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using stats::Counter;

class FakeCompiler : public util::ProcessRunner {
 public:
  absl::StatusOr<util::ProcessResult> Run(const util::Command& cmd) override {
    if (throw_next) throw std::runtime_error("boom");
    commands.push_back(cmd.argv);
    if (!launcher.empty() && cmd.argv[0] == launcher) return RunLauncher(cmd);
    for (const std::string& p : fail_programs) {
      if (cmd.argv[0] == p) return absl::NotFoundError(p + ": no such file");
    }
    util::ProcessResult r;
    bool preprocess = false, verbose = false;
    std::string output, dep_file, source;
    for (size_t i = 0; i < cmd.argv.size(); ++i) {
      if (cmd.argv[i] == "-E") preprocess = true;
      if (cmd.argv[i] == "-v") verbose = true;
      if (cmd.argv[i] == "-o" && i + 1 < cmd.argv.size()) output = cmd.argv[i + 1];
      if (cmd.argv[i] == "-MF" && i + 1 < cmd.argv.size()) dep_file = cmd.argv[i + 1];
      if (cmd.argv[i].size() > 2 && cmd.argv[i].substr(cmd.argv[i].size() - 2) == ".c") {
        source = cmd.argv[i];
      }
    }
    if (verbose) {
      ++search_dir_queries;
      r.stderr_data = "#include <...> search starts here:\n inc\nEnd of search list.\n";
      return r;
    }
    if (preprocess) {
      r.stdout_data = preprocessed + TimeNow();
      return r;
    }
    ++compiles;
    if (object_changes_each_compile) object = absl::StrCat("OBJECT-", compiles);
    const std::string object_written = object + TimeNow();
    if (on_compile) on_compile();
    r.exit_code = compile_exit;
    r.stderr_data = warning;
    r.stdout_data = "compiler stdout\n";
    if (compile_exit == 0) {
      test::WriteTestFile(util::JoinPath(cmd.cwd, output.empty() ? "a.o" : output), object_written);
      if (!dep_file.empty()) {
        std::string deps = (output.empty() ? "a.o" : output) + ": " + source;
        for (const std::string& h : headers) deps += " " + h;
        test::WriteTestFile(util::JoinPath(cmd.cwd, dep_file), deps + "\n");
      }
    }
    return r;
  }

  std::vector<std::vector<std::string>> commands;
  std::string preprocessed = "int main() { return 0; }\n";
  std::string object = "OBJECT-1";
  std::string warning = "a.c:1: warning: something\n";
  std::vector<std::string> headers;  // what a -MF file lists after the source
  int compile_exit = 0;
  int compiles = 0;
  int search_dir_queries = 0;
  bool throw_next = false;
  bool object_changes_each_compile = false;  // a compiler whose output is not reproducible
  // Set: the source uses __TIME__, which -E and the object show as this clock's second.
  const util::Clock* time_macro_clock = nullptr;
  std::function<void()> on_compile;        // runs as a compile starts
  std::vector<std::string> fail_programs;  // Run fails for these argv[0]
  // A launcher (prefix_command): its path, how many words it takes before the compiler's argv,
  // what it writes to stderr of its own, and its exit code when it fails (0: it runs the compile).
  std::string launcher;
  size_t launcher_words = 1;
  std::string launcher_says;
  int launcher_exit = 0;
  std::vector<std::pair<bool, uint32_t>> launched_slots;  // offloaded, offload_limit per run

 private:
  absl::StatusOr<util::ProcessResult> RunLauncher(const util::Command& cmd) {
    launched_slots.emplace_back(cmd.offloaded, cmd.offload_limit);
    if (launcher_exit != 0) {
      util::ProcessResult r;
      r.exit_code = launcher_exit;
      r.stderr_data = launcher_says;
      return r;
    }
    util::Command inner = cmd;
    inner.argv.erase(inner.argv.begin(), inner.argv.begin() + launcher_words);
    absl::StatusOr<util::ProcessResult> r = Run(inner);
    if (r.ok()) r->stderr_data = launcher_says + r->stderr_data;
    return r;
  }

  std::string TimeNow() const {
    if (time_macro_clock == nullptr) return "";
    return absl::StrCat(" @", time_macro_clock->RealNs() / 1'000'000'000);
  }
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    compiler_ = dir_.Join("cc");
    test::WriteTestFile(compiler_, "fake compiler binary v1");
    cache_ = dir_.Join("cache");
    work_ = dir_.path();
  }

  std::unique_ptr<Engine> MakeEngine(config::Config config = {}) {
    config.cache_dir = cache_;
    store::StoreOptions options;
    options.root = cache_;
    auto store = store::LocalStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::make_unique<Engine>(config, std::move(*store), &fake_, 0, clock_);
  }

  CompileResult Compile(Engine& engine, std::vector<std::string> args) {
    CompileRequest req;
    req.argv = {compiler_};
    req.argv.insert(req.argv.end(), args.begin(), args.end());
    req.cwd = work_;
    req.env = std::vector<std::string>{"PATH=/usr/bin"};
    return engine.Compile(req);
  }

  uint64_t Stat(Engine& engine, Counter c) { return engine.store().stats().Get(c); }

  // A fake launcher named `name` in the test directory, which fake_ runs as a launcher: its path.
  std::string UseLauncher(const std::string& name) {
    fake_.launcher = dir_.Join(name);
    test::WriteTestFile(fake_.launcher, "launcher");
    return fake_.launcher;
  }

  test::TempDir dir_;
  std::string compiler_, cache_, work_;
  FakeCompiler fake_;
  // A minute ahead of the files' timestamps: everything a test writes has settled, with no wait.
  test::FakeClock clock_{test::FakeClock::RealNowNs() + 60'000'000'000};
};

TEST_F(EngineTest, SecondCompileIsAHitThatRestoresEverythingWithoutCompiling) {
  auto engine = MakeEngine();
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_EQ(miss.stderr_data, fake_.warning);
  EXPECT_EQ(fake_.compiles, 1);

  ASSERT_EQ(::unlink(dir_.Join("a.o").c_str()), 0);
  CompileResult hit = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(hit.outcome, Outcome::kHit);
  EXPECT_EQ(fake_.compiles, 1);
  EXPECT_EQ(hit.exit_code, 0);
  EXPECT_EQ(hit.stdout_data, "compiler stdout\n");
  EXPECT_EQ(hit.stderr_data, fake_.warning);
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.o")), fake_.object);
  EXPECT_EQ(Stat(*engine, Counter::kCacheMiss), 1u);
  EXPECT_EQ(Stat(*engine, Counter::kPreprocessedCacheHit), 1u);
}

TEST_F(EngineTest, DifferentPreprocessedSourceMisses) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  fake_.preprocessed = "int main() { return 1; }\n";
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(fake_.compiles, 2);
}

TEST_F(EngineTest, ChangedCompilerBinaryMisses) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  test::WriteTestFile(compiler_, "fake compiler binary v2");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
}

TEST_F(EngineTest, FailedCompileIsPassedThroughAndNotStored) {
  auto engine = MakeEngine();
  fake_.compile_exit = 1;
  CompileResult r = Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.reason, Counter::kCompileFailed);
  EXPECT_EQ(r.stderr_data, fake_.warning);
  fake_.compile_exit = 0;
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Stat(*engine, Counter::kCompileFailed), 1u);
}

TEST_F(EngineTest, UncacheableCallIsPassthroughWithItsReason) {
  auto engine = MakeEngine();
  CompileResult r = Compile(*engine, {"a.c", "-o", "a"});
  EXPECT_EQ(r.outcome, Outcome::kPassthrough);
  EXPECT_EQ(r.reason, Counter::kCalledForLink);
  EXPECT_TRUE(fake_.commands.empty());
  EXPECT_EQ(Stat(*engine, Counter::kCalledForLink), 1u);
}

TEST_F(EngineTest, CorruptEntryIsCountedAndRecompiled) {
  auto engine = MakeEngine();
  CompileResult first = Compile(*engine, {"-c", "a.c"});
  store::Key key;
  ASSERT_TRUE(util::Digest::FromHex(first.key_hex, &key));
  test::WriteTestFile(engine->store().PathFor(key, store::EntryType::kResult), "garbage");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(fake_.compiles, 2);
  EXPECT_EQ(Stat(*engine, Counter::kCorruptCacheEntry), 1u);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kHit);
}

TEST_F(EngineTest, RecacheCompilesAndOverwrites) {
  config::Config config;
  config.recache = true;
  auto engine = MakeEngine(config);
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Stat(*engine, Counter::kRecache), 2u);
}

TEST_F(EngineTest, ReadonlyNeverStores) {
  config::Config config;
  config.readonly = true;
  auto engine = MakeEngine(config);
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Stat(*engine, Counter::kReadonlyMiss), 2u);
}

TEST_F(EngineTest, InternalExceptionBecomesPassthrough) {
  auto engine = MakeEngine();
  fake_.throw_next = true;
  CompileResult r = Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(r.outcome, Outcome::kPassthrough);
  EXPECT_EQ(r.reason, Counter::kInternalError);
}

TEST_F(EngineTest, DependencyFileTargetIsRewrittenForANewOutput) {
  auto engine = MakeEngine();
  // The fake compiler does not write .d files, so store one by hand through a first compile that
  // writes it before the engine reads outputs.
  test::WriteTestFile(dir_.Join("a.d"), "a.o: a.c a.h\n");
  ASSERT_EQ(Compile(*engine, {"-c", "a.c", "-MD", "-o", "a.o"}).outcome, Outcome::kMiss);
  CompileResult hit = Compile(*engine, {"-c", "a.c", "-MD", "-o", "b.o"});
  EXPECT_EQ(hit.outcome, Outcome::kHit);
  EXPECT_EQ(test::ReadTestFile(dir_.Join("b.d")), "b.o: a.c a.h\n");
  EXPECT_EQ(test::ReadTestFile(dir_.Join("b.o")), fake_.object);
}

TEST_F(EngineTest, OutputToADeviceIsNeverStored) {
  auto engine = MakeEngine();
  // A compile to /dev/null must not become the entry a later real compile is served from.
  CompileResult r = Compile(*engine, {"-c", "a.c", "-o", "/dev/null"});
  EXPECT_EQ(r.outcome, Outcome::kMiss);
  EXPECT_EQ(Stat(*engine, Counter::kOutputNotCacheable), 1u);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kMiss);
}

// Direct mode needs real input files. The engine's clock is a minute ahead of their timestamps, so
// they are old enough to be trusted by signature (files younger than the racy window are always
// re-hashed) and older than any compile's start.
class DirectModeTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ASSERT_EQ(::mkdir(dir_.Join("inc").c_str(), 0777), 0);
    Write("a.c", "#include \"h.h\"\nint main() { return H; }\n");
    Write("inc/h.h", "#define H 0\n");
    fake_.headers = {"inc/h.h"};
  }
  void Write(const std::string& name, const std::string& content) {
    test::WriteTestFile(dir_.Join(name), content);
  }
  // Writes `content` (the size of what is there) to `name`, keeping its mtime: only the ctime,
  // which nothing can set back, tells of the edit.
  void RewriteKeepingMtime(const std::string& name, const std::string& content) {
    struct stat before;
    ASSERT_EQ(::stat(dir_.Join(name).c_str(), &before), 0);
    ASSERT_EQ(static_cast<size_t>(before.st_size), content.size()) << "must be a same-size edit";
    test::WriteTestFile(dir_.Join(name), content);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, dir_.Join(name).c_str(), times, 0), 0);
  }
  // a.c uses __TIME__, which the fake compiler expands to the fake clock's second.
  void UseTimeMacroSource() {
    Write("a.c", "const char* t = __TIME__;\n");
    fake_.preprocessed = "# 1 \"a.c\"\nconst char* t = ";  // the line marker names the source
    fake_.time_macro_clock = &clock_;
  }
  // Sets the clock just after `name` was last written, within the kernel tick a compile starting
  // now would start in: the engine cannot tell whether the compile read it before or after.
  void StartCompileAsWritten(const std::string& name) {
    struct stat st;
    ASSERT_EQ(::stat(dir_.Join(name).c_str(), &st), 0);
    clock_.Set(std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim)) + 1);
  }
};

TEST_F(DirectModeTest, SecondCompileIsADirectHitWithoutPreprocessing) {
  auto engine = MakeEngine();
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_EQ(Stat(*engine, Counter::kDirectCacheMiss), 1u);
  const size_t commands_after_miss = fake_.commands.size();
  for (const auto& argv : fake_.commands) {
    // The one "-E -v /dev/null" asks for the search path (once per configuration).
    if (std::find(argv.begin(), argv.end(), "-v") != argv.end()) continue;
    for (const auto& a : argv) EXPECT_NE(a, "-E") << "a depend-mode miss must not preprocess";
  }
  CompileResult hit = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(hit.outcome, Outcome::kHit);
  EXPECT_EQ(hit.reason, Counter::kDirectCacheHit);
  EXPECT_EQ(hit.stderr_data, fake_.warning);
  EXPECT_EQ(fake_.commands.size(), commands_after_miss) << "a direct hit runs no process";
}

TEST_F(DirectModeTest, LongLivedEngineServesHitsFromMemoryAndSeesAClear) {
  config::Config config;
  config.cache_dir = cache_;
  store::StoreOptions options;
  options.root = cache_;
  auto store = store::LocalStore::Open(options);
  ASSERT_TRUE(store.ok());
  Engine engine(config, std::move(*store), &fake_, /*memory_cache_bytes=*/64 << 20, clock_);
  Compile(engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  EXPECT_EQ(Compile(engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  // A header edit is still seen (files are checked on every lookup, not remembered).
  Write("inc/h.h", "#define H 7\n");
  EXPECT_EQ(Compile(engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  // zcwrap -C from another process: the remembered entries must not outlive their files.
  ASSERT_TRUE(engine.store().Clear().ok());
  EXPECT_EQ(Compile(engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
}

TEST_F(DirectModeTest, HeaderEditMisses) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  Write("inc/h.h", "#define H 1\n");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
}

TEST_F(DirectModeTest, SearchDirectoriesAreAskedOncePerConfiguration) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  Write("inc/h.h", "#define H 1\n");
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(fake_.search_dir_queries, 1);
}

TEST_F(DirectModeTest, TimeMacroSourceUsesPreprocessorMode) {
  auto engine = MakeEngine();
  Write("a.c", "const char* t = __TIME__;\n");
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Stat(*engine, Counter::kDirectCacheMiss), 0u);
  EXPECT_EQ(Stat(*engine, Counter::kPreprocessedCacheMiss), 1u);
}

TEST_F(DirectModeTest, TimeMacroSourceHitsWithinItsSecondAndMissesAfter) {
  auto engine = MakeEngine();
  UseTimeMacroSource();
  EXPECT_TRUE(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).stored);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).reason, Counter::kPreprocessedCacheHit)
      << "the same second: the object the compiler would give now";
  const std::string first = test::ReadTestFile(dir_.Join("a.o"));
  clock_.Advance(1'000'000'000);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kMiss);
  EXPECT_NE(test::ReadTestFile(dir_.Join("a.o")), first) << "__TIME__ of the second compile";
  EXPECT_EQ(Stat(*engine, Counter::kDirectCacheHit), 0u);
}

TEST_F(DirectModeTest, TimeMacroSourceCompiledAcrossASecondIsNotStored) {
  auto engine = MakeEngine();
  UseTimeMacroSource();
  fake_.on_compile = [this] { clock_.Advance(1'000'000'000); };
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_FALSE(miss.stored) << "the key's time is not the object's";
  EXPECT_EQ(Stat(*engine, Counter::kTimeMacrosUnstable), 1u);
}

TEST_F(DirectModeTest, DisabledDirectModeUsesPreprocessorMode) {
  config::Config config;
  config.direct_mode = false;
  auto engine = MakeEngine(config);
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kPreprocessedCacheHit);
  EXPECT_EQ(Stat(*engine, Counter::kDirectCacheHit), 0u);
}

// A file the preprocessor read but zcwrap cannot scan (gone, or a FIFO) may hold an assembler
// include: the preprocessed text is scanned instead, and the result is not stored.
TEST_F(DirectModeTest, AssemblerIncludeInAFileThatCannotBeScannedIsNotStored) {
  config::Config config;
  config.direct_mode = false;
  auto engine = MakeEngine(config);
  fake_.preprocessed = "# 1 \"a.c\"\n# 1 \"gone.h\" 1\n__asm__(\".incbin \\\"blob.bin\\\"\");\n";
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_FALSE(miss.stored);
  EXPECT_EQ(Stat(*engine, Counter::kUnsupportedCodeDirective), 1u);
}

TEST_F(DirectModeTest, SameSizeEditOfASettledHeaderKeepingItsMtimeMisses) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  ASSERT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  RewriteKeepingMtime("inc/h.h", "#define H 7\n");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss)
      << "a settled file is trusted by its whole signature, ctime included";
}

TEST_F(DirectModeTest, NewHeaderShadowingASettledIncludeDirectoryMisses) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  ASSERT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  Write("h.h", "#define H 1\n");  // next to a.c: found before inc/h.h
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
}

TEST_F(DirectModeTest, HeaderWrittenAsTheCompileStartsIsVerifiedByCompilingAgain) {
  auto engine = MakeEngine();
  test::WriteTestFile(dir_.Join("inc/h.h"), "#define H 3\n");
  StartCompileAsWritten("inc/h.h");
  CompileResult miss = Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_TRUE(miss.stored);
  EXPECT_EQ(fake_.compiles, 2);
  EXPECT_EQ(Stat(*engine, Counter::kRecompiledToVerify), 1u);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
}

TEST_F(DirectModeTest, VerificationThatDisagreesStoresNothingAndKeepsTheFirstOutputs) {
  auto engine = MakeEngine();
  fake_.object_changes_each_compile = true;
  test::WriteTestFile(dir_.Join("inc/h.h"), "#define H 3\n");
  StartCompileAsWritten("inc/h.h");
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_FALSE(miss.stored);
  EXPECT_EQ(Stat(*engine, Counter::kModifiedInputFile), 1u);
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.o")), "OBJECT-1") << "the outputs of the result given";
}

TEST_F(DirectModeTest, HeaderDirectModeCannotRecordIsStoredInPreprocessorMode) {
  Write("inc/h.h", "#define P <stdio.h>\n#if __has_include(P)\n#define H 1\n#endif\n");
  auto engine = MakeEngine();
  CompileResult miss = Compile(*engine, {"-c", "a.c"});
  EXPECT_TRUE(miss.stored);
  EXPECT_EQ(Stat(*engine, Counter::kDirectModeFallback), 1u);
  CompileResult hit = Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(hit.reason, Counter::kPreprocessedCacheHit) << "the manifest says: preprocessor mode";
  EXPECT_EQ(fake_.compiles, 1);
}

TEST_F(DirectModeTest, NoPrivateDependencyFileMeansPreprocessorModeWithItsOwnKey) {
  // Depend mode needs a private .d under <cache>/tmp; when it cannot have one, the compile goes
  // through preprocessor mode, keyed by its own preprocessed output.
  auto engine = MakeEngine();
  test::WriteTestFile(cache_ + "/tmp", "a file where the directory should be");
  CompileResult miss = Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_TRUE(miss.stored);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kPreprocessedCacheHit);
  fake_.preprocessed = "int other;\n";
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
}

TEST_F(DirectModeTest, FilesNamedByOptionsAreInTheKey) {
  auto engine = MakeEngine();
  Write("ign.txt", "fun:f\n");
  Compile(*engine, {"-c", "a.c", "-fsanitize-ignorelist=ign.txt"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-fsanitize-ignorelist=ign.txt"}).reason,
            Counter::kDirectCacheHit);
  Write("ign.txt", "fun:g\n");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-fsanitize-ignorelist=ign.txt"}).outcome,
            Outcome::kMiss);
  ASSERT_EQ(::unlink(dir_.Join("ign.txt").c_str()), 0);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-fsanitize-ignorelist=ign.txt"}).outcome,
            Outcome::kMiss)
      << "absent is a state of its own";
}

TEST_F(DirectModeTest, ExtraFilesToHashAreKeyedByContent) {
  config::Config config;
  config.extra_files_to_hash = {"toolchain.txt"};
  auto engine = MakeEngine(config);
  Write("toolchain.txt", "v1\n");
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  Write("toolchain.txt", "v2\n");
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss);
  ASSERT_EQ(::unlink(dir_.Join("toolchain.txt").c_str()), 0);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c"}).outcome, Outcome::kMiss) << "absent is a state";
}

TEST_F(DirectModeTest, IgnoredOptionsStillReachTheCompiler) {
  config::Config config;
  config.ignore_options = {"-fmessage-length=*"};
  auto engine = MakeEngine(config);
  Compile(*engine, {"-c", "a.c", "-fmessage-length=80"});
  const std::vector<std::string> compiled = fake_.commands.back();
  EXPECT_NE(std::find(compiled.begin(), compiled.end(), "-fmessage-length=80"), compiled.end());
  const CompileResult hit = Compile(*engine, {"-c", "a.c", "-fmessage-length=132"});
  EXPECT_EQ(hit.reason, Counter::kDirectCacheHit) << "left out of the key, as asked";
}

TEST_F(DirectModeTest, NamespacesDoNotShareEntries) {
  config::Config a;
  a.key_namespace = "a";
  config::Config b;
  b.key_namespace = "b";
  Compile(*MakeEngine(a), {"-c", "a.c"});
  EXPECT_EQ(Compile(*MakeEngine(a), {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  EXPECT_EQ(Compile(*MakeEngine(b), {"-c", "a.c"}).outcome, Outcome::kMiss);
}

TEST_F(DirectModeTest, CompilerCheckDecidesWhatIdentifiesTheCompiler) {
  config::Config check;
  check.compiler_check = "string:v1";
  Compile(*MakeEngine(check), {"-c", "a.c"});
  test::WriteTestFile(compiler_, "fake compiler binary v2");  // not what the key looks at now
  EXPECT_EQ(Compile(*MakeEngine(check), {"-c", "a.c"}).reason, Counter::kDirectCacheHit);
  check.compiler_check = "string:v2";
  EXPECT_EQ(Compile(*MakeEngine(check), {"-c", "a.c"}).outcome, Outcome::kMiss);
  // A command: run (through the runner) on every compile; a failing one means no caching.
  check.compiler_check = "%compiler% --version";
  fake_.compile_exit = 0;
  const size_t before = fake_.commands.size();
  Compile(*MakeEngine(check), {"-c", "a.c"});
  ASSERT_GT(fake_.commands.size(), before);
  EXPECT_EQ(fake_.commands[before], (std::vector<std::string>{compiler_, "--version"}));
  check.compiler_check = "/nonexistent/identify-compiler";
  fake_.fail_programs = {"/nonexistent/identify-compiler"};
  const CompileResult failed = Compile(*MakeEngine(check), {"-c", "a.c"});
  EXPECT_EQ(failed.outcome, Outcome::kPassthrough);
  EXPECT_EQ(failed.reason, Counter::kCompilerCheckFailed);
}

TEST_F(EngineTest, ColorIsPartOfTheKey) {
  auto engine = MakeEngine();
  Compile(*engine, {"-c", "a.c"});
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-fdiagnostics-color=always"}).outcome, Outcome::kMiss);
}

// prefix_command (prefix_command.h): a miss's compile runs through the launcher, outside the local
// budget; nothing else does, and a hit runs nothing.
TEST_F(EngineTest, AMissCompilesThroughThePrefixAndNothingElseDoes) {
  UseLauncher("distcc");
  fake_.launcher_words = 2;
  config::Config config;
  config.prefix_command = fake_.launcher + " --farm";
  config.remote_jobs = 24;
  config.direct_mode = false;  // the preprocessor runs too
  auto engine = MakeEngine(config);
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_EQ(miss.stderr_data, fake_.warning);
  int prefixed = 0;
  for (const std::vector<std::string>& argv : fake_.commands) {
    if (argv[0] != fake_.launcher) continue;
    ++prefixed;
    ASSERT_GE(argv.size(), 4u);
    EXPECT_EQ(argv[1], "--farm");
    EXPECT_EQ(argv[2], compiler_);
    EXPECT_EQ(argv[3], "-c");
  }
  EXPECT_EQ(prefixed, 1);  // the compile, not the preprocessor
  ASSERT_EQ(fake_.launched_slots.size(), 1u);
  EXPECT_TRUE(fake_.launched_slots[0].first);
  EXPECT_EQ(fake_.launched_slots[0].second, 24u);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRun), 1u);

  const size_t commands = fake_.commands.size();
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kHit);
  EXPECT_EQ(fake_.launched_slots.size(), 1u);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRun), 1u);
  EXPECT_LE(fake_.commands.size(), commands + 1);  // the preprocessor at most
}

// The launcher's own lines are not the compiler's: neither the miss nor a later hit shows them.
TEST_F(EngineTest, TheLaunchersOwnLinesStayOutOfTheOutputAndTheEntry) {
  UseLauncher("distcc");
  fake_.launcher_says =
      "distcc[4242] (dcc_build_somewhere) Warning: failed to distribute, running locally "
      "instead\n";
  config::Config config;
  config.prefix_command = fake_.launcher;
  config.log_file = dir_.Join("zcwrap.log");
  auto engine = MakeEngine(config);
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.stderr_data, fake_.warning);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandMessages), 1u);
  EXPECT_NE(test::ReadTestFile(dir_.Join("zcwrap.log")).find("failed to distribute"),
            std::string::npos);
  CompileResult hit = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(hit.outcome, Outcome::kHit);
  EXPECT_EQ(hit.stderr_data, fake_.warning);
}

// A launcher that fails (distcc's 116: no host could take it) has said nothing about the code:
// the compile runs locally, once, and its result is stored as any other.
TEST_F(EngineTest, ALauncherFailureIsCompiledLocallyOnceAndCounted) {
  UseLauncher("distcc");
  fake_.launcher_exit = 116;
  fake_.launcher_says = "distcc[7] ERROR: failed to distribute and fallbacks are disabled\n";
  config::Config config;
  config.prefix_command = fake_.launcher;
  auto engine = MakeEngine(config);
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_EQ(miss.exit_code, 0);
  EXPECT_EQ(miss.stderr_data, fake_.warning);
  EXPECT_TRUE(miss.stored);
  EXPECT_EQ(fake_.compiles, 1);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRetriedLocally), 1u);
  EXPECT_EQ(Compile(*engine, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kHit);
}

// Exit code 1 with the compiler's error is the verdict: not compiled again. Exit code 1 with
// nothing but the launcher's lines is not.
TEST_F(EngineTest, ACompileErrorThroughThePrefixIsTheVerdictAndNotRetried) {
  UseLauncher("icecc");
  config::Config config;
  config.prefix_command = fake_.launcher;
  auto engine = MakeEngine(config);
  fake_.compile_exit = 1;
  fake_.warning = "a.c:1: error: expected ';'\n";
  CompileResult failed = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.stderr_data, fake_.warning);
  EXPECT_EQ(fake_.compiles, 1);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRetriedLocally), 0u);

  fake_.compile_exit = 0;
  fake_.launcher_exit = 1;
  fake_.launcher_says = "ICECC[9] 2026-12-02 13:44:07: got exception connection closed\n";
  CompileResult retried = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(retried.exit_code, 0);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRetriedLocally), 1u);
}

// What a farm built is not always byte for byte what the local compiler builds: a compile without
// the prefix never gets it, and the other way round.
TEST_F(EngineTest, AFarmsResultsAreKeptApartFromLocalOnes) {
  UseLauncher("distcc");
  config::Config farm;
  farm.prefix_command = fake_.launcher;
  auto through_farm = MakeEngine(farm);
  EXPECT_EQ(Compile(*through_farm, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Compile(*through_farm, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kHit);
  through_farm.reset();
  auto local = MakeEngine();
  EXPECT_EQ(Compile(*local, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kMiss);
  EXPECT_EQ(Compile(*local, {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kHit);
  local.reset();
  // Another install of the same launcher is the same farm.
  const std::string elsewhere = dir_.Join("opt/distcc");
  ASSERT_EQ(::mkdir(dir_.Join("opt").c_str(), 0755), 0);
  test::WriteTestFile(elsewhere, "launcher");
  farm.prefix_command = elsewhere;
  EXPECT_EQ(Compile(*MakeEngine(farm), {"-c", "a.c", "-o", "a.o"}).outcome, Outcome::kHit);
  EXPECT_EQ(fake_.compiles, 2);
}

TEST_F(EngineTest, ALauncherNotInPathCompilesLocally) {
  config::Config config;
  config.prefix_command = "zcwrap-no-such-launcher";
  auto engine = MakeEngine(config);
  CompileResult miss = Compile(*engine, {"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(miss.outcome, Outcome::kMiss);
  EXPECT_EQ(miss.exit_code, 0);
  EXPECT_EQ(fake_.compiles, 1);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRetriedLocally), 1u);
  EXPECT_EQ(Stat(*engine, Counter::kPrefixCommandRun), 0u);
}

}  // namespace
}  // namespace zc::compile
