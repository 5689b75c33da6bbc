// DirectMode alone: lookups against recorded manifests, and what Observe makes of a compile's
// inputs. The one process it runs (the compiler's search path) is a fake.
#include "cachecore/compile/direct_mode.h"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "cachecore/compile/input_digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::ElementsAre;

// Answers `cc -E -v` with one search directory, "inc".
class SearchPathOnly : public util::ProcessRunner {
 public:
  absl::StatusOr<util::ProcessResult> Run(const util::Command&) override {
    util::ProcessResult r;
    r.stderr_data = "#include <...> search starts here:\n inc\nEnd of search list.\n";
    return r;
  }
};

class DirectModeUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = dir_.Join("cache");
    store::StoreOptions options;
    options.root = cache_;
    auto store = store::LocalStore::Open(options);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    inputs_ = std::make_unique<InputFiles>(cache_ + "/statcache", util::SystemClock());
    direct_ =
        std::make_unique<DirectMode>(*store_, *inputs_, runner_, util::SystemClock(), cache_, 0);
    ASSERT_EQ(::mkdir(dir_.Join("inc").c_str(), 0777), 0);
    Write("a.c", "#include \"h.h\"\nint main() { return H; }\n");
    Write("inc/h.h", "#define H 0\n");
    request_.argv = {"/usr/bin/cc", "-c", "a.c"};
    request_.cwd = dir_.path();
    plan_ = std::get<CompilePlan>(ClassifyArguments({"-c", "a.c"}));
  }
  // Written with an old mtime, so a check now sees it settled.
  void Write(const std::string& name, const std::string& content) {
    test::WriteTestFile(dir_.Join(name), content);
    test::SetFileTimes(dir_.Join(name), ::time(nullptr) - 100);
  }
  DirectMode::Observation Observe(std::vector<std::string> files) {
    return direct_->Observe(request_, plan_, util::Sha256::Of("cc"), files,
                            /*fresh_before=*/INT64_MAX, /*base=*/"");
  }
  // The result keys Lookup offers, in order, and its answer when none is taken.
  std::vector<util::Digest> Offered(DirectMode::Answer* answer) {
    std::vector<util::Digest> offered;
    *answer =
        direct_->Lookup(manifest_key_, dir_.path(), /*base=*/"", [&](const ManifestRecord& r) {
          offered.push_back(r.result_key);
          return false;
        });
    return offered;
  }

  test::TempDir dir_;
  std::string cache_;
  SearchPathOnly runner_;
  std::unique_ptr<store::LocalStore> store_;
  std::unique_ptr<InputFiles> inputs_;
  std::unique_ptr<DirectMode> direct_;
  CompileRequest request_;
  CompilePlan plan_;
  const util::Digest manifest_key_ = util::Sha256::Of("manifest");
  const util::Digest result_ = util::Sha256::Of("result");
};

TEST_F(DirectModeUnitTest, NoManifestIsAMissSayingSo) {
  DirectMode::Answer answer;
  EXPECT_TRUE(Offered(&answer).empty());
  EXPECT_FALSE(answer.hit);
  EXPECT_EQ(answer.why, "no_manifest");
}

TEST_F(DirectModeUnitTest, ARecordIsOfferedWhileWhatItReadHolds) {
  DirectMode::Observation seen = Observe({"a.c", "inc/h.h"});
  ASSERT_EQ(seen.unrecordable, "");
  ASSERT_TRUE(
      direct_->Record(manifest_key_, DirectMode::ResultRecord(std::move(seen), result_), ""));
  DirectMode::Answer answer =
      direct_->Lookup(manifest_key_, dir_.path(), "",
                      [&](const ManifestRecord& r) { return r.result_key == result_; });
  EXPECT_TRUE(answer.hit);
  Write("inc/h.h", "#define H 1\n");
  EXPECT_TRUE(Offered(&answer).empty());
  EXPECT_EQ(answer.why, "inputs_changed");
}

TEST_F(DirectModeUnitTest, AMarkerSendsToPreprocessorModeOnlyAfterEveryRecord) {
  ASSERT_TRUE(direct_->Record(manifest_key_, DirectMode::PreprocessMarker(), ""));
  ASSERT_TRUE(direct_->Record(manifest_key_,
                              DirectMode::ResultRecord(Observe({"a.c", "inc/h.h"}), result_), ""));
  DirectMode::Answer answer;
  EXPECT_THAT(Offered(&answer), ElementsAre(result_));
  EXPECT_TRUE(answer.use_preprocessor);
  EXPECT_EQ(answer.why, "use_preprocessor_mode");
}

TEST_F(DirectModeUnitTest, PinnedFilesMissWhenTouchedEvenWithTheSameContent) {
  DirectMode::Observation seen = Observe({"a.c", "inc/h.h"});
  for (ManifestFile& f : seen.files) f.pin_mtime = true;
  ASSERT_TRUE(
      direct_->Record(manifest_key_, DirectMode::ResultRecord(std::move(seen), result_), ""));
  DirectMode::Answer answer;
  EXPECT_EQ(Offered(&answer).size(), 1u);
  test::SetFileTimes(dir_.Join("inc/h.h"), ::time(nullptr) - 50);
  EXPECT_TRUE(Offered(&answer).empty());
}

TEST_F(DirectModeUnitTest, APchBesideTheFirstIncludeIsRecordedAndOneAppearingLaterIsSeen) {
  Write("inc/h.h.gch", "gpch...");
  DirectMode::Observation seen = Observe({"a.c", "inc/h.h"});
  ASSERT_EQ(seen.unrecordable, "");
  bool recorded = false;
  for (const ManifestFile& f : seen.files) {
    if (f.path == "inc/h.h.gch") {
      recorded = f.directory && f.digest == util::Sha256::Of("gpch...");
    }
  }
  EXPECT_TRUE(recorded);
  ASSERT_TRUE(
      direct_->Record(manifest_key_, DirectMode::ResultRecord(std::move(seen), result_), ""));
  DirectMode::Answer answer;
  EXPECT_EQ(Offered(&answer).size(), 1u);
  // gcc would look for h.h.gch in the source's directory before inc/.
  Write("h.h.gch", "another pch");
  EXPECT_TRUE(Offered(&answer).empty());
}

TEST_F(DirectModeUnitTest, WhatDirectModeCannotRecordSaysWhy) {
  EXPECT_EQ(Observe({}).unrecordable, "no_dependency_list");
  Write("inc/h.h", "#define P <x.h>\n#if __has_include(P)\n#endif\n");
  EXPECT_EQ(Observe({"a.c", "inc/h.h"}).unrecordable, "opaque_has_include");
  Write("inc/h.h", "const char* t = __TIME__;\n");
  DirectMode::Observation timed = Observe({"a.c", "inc/h.h"});
  EXPECT_EQ(timed.unrecordable, "time_macros");
  EXPECT_TRUE(timed.time_macros);
  Write("inc/h.h", "#define H 0\n");
  Write("a.c", "#define HDR \"h.h\"\n#include HDR\n");
  EXPECT_EQ(Observe({"a.c", "inc/h.h"}).unrecordable, "pch_unknown");
  EXPECT_EQ(direct_
                ->Observe(request_, plan_, util::Sha256::Of("cc"), {"a.c", "inc/h.h"},
                          /*fresh_before=*/0, /*base=*/"")
                .unrecordable,
            "modified_input_file");
}

TEST_F(DirectModeUnitTest, AnAbsentCandidateIsRecordedAsAbsent) {
  plan_ = std::get<CompilePlan>(ClassifyArguments({"-c", "a.c", "-include", "pre.h"}));
  Write("pre.h", "#define PRE 1\n");
  DirectMode::Observation seen = Observe({"a.c", "pre.h", "inc/h.h"});
  ASSERT_EQ(seen.unrecordable, "");
  int absent = 0;
  for (const ManifestFile& f : seen.files) {
    if ((f.path == "pre.h.gch" || f.path == "pre.h.pch") && f.directory &&
        f.digest == AbsentDigest()) {
      ++absent;
    }
  }
  EXPECT_EQ(absent, 2);
}

}  // namespace
}  // namespace zc::compile
