// The settings that reach every key: namespace, ignore_options, the compiler's key.
#include "cachecore/compile/cache_key.h"

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

class CacheKeyTest : public ::testing::Test {
 protected:
  CacheKeyTest() {
    plan_.language = "c";
    plan_.hashed_args = {"-O2", "-fmessage-length=80", "-DX=1"};
    in_.plan = &plan_;
    in_.compiler_id = util::Sha256::Of("gcc binary");
    in_.compiler_key = in_.compiler_id;
    in_.compiler_name = "gcc";
    in_.cwd = "/src";
    in_.preprocessed = "int x;\n";
  }
  CompilePlan plan_;
  KeyInputs in_;
};

TEST_F(CacheKeyTest, IgnoredOptionsMatchWholeOrByPrefix) {
  const std::vector<std::string> patterns = {"-fmessage-length=*", "-DX=1"};
  EXPECT_TRUE(IgnoredOption("-fmessage-length=132", patterns));
  EXPECT_TRUE(IgnoredOption("-DX=1", patterns));
  EXPECT_FALSE(IgnoredOption("-DX=12", patterns)) << "no star: the whole argument";
  EXPECT_FALSE(IgnoredOption("-O2", patterns));
}

TEST_F(CacheKeyTest, IgnoredOptionsLeaveTheKey) {
  const util::Digest with = PreprocessorModeKey(in_);
  plan_.hashed_args = {"-O2", "-fmessage-length=132", "-DX=1"};
  const util::Digest other_length = PreprocessorModeKey(in_);
  EXPECT_NE(other_length, with);
  const std::vector<std::string> patterns = {"-fmessage-length=*"};
  in_.ignore_options = patterns;
  const util::Digest ignored = PreprocessorModeKey(in_);
  plan_.hashed_args = {"-O2", "-fmessage-length=80", "-DX=1"};
  EXPECT_EQ(PreprocessorModeKey(in_), ignored);
  const util::Digest manifest = ManifestKey(in_, util::Sha256::Of("src"));
  plan_.hashed_args = {"-O2", "-DX=1"};
  EXPECT_EQ(ManifestKey(in_, util::Sha256::Of("src")), manifest) << "direct mode too";
}

TEST_F(CacheKeyTest, NamespacesSeparateKeysAndNoNamespaceKeepsThemAsTheyWere) {
  const util::Digest plain = PreprocessorModeKey(in_);
  in_.key_namespace = "team-a";
  const util::Digest a = PreprocessorModeKey(in_);
  in_.key_namespace = "team-b";
  EXPECT_NE(PreprocessorModeKey(in_), a);
  EXPECT_NE(a, plain);
  in_.key_namespace = "";
  EXPECT_EQ(PreprocessorModeKey(in_), plain);
}

// A farm's results (prefix_command) are kept apart from local ones, in both modes; no prefix keeps
// the keys as they were.
TEST_F(CacheKeyTest, ALauncherSeparatesKeysAndNoLauncherKeepsThemAsTheyWere) {
  const util::Digest plain = PreprocessorModeKey(in_);
  const util::Digest plain_manifest = ManifestKey(in_, util::Sha256::Of("src"));
  in_.launcher = "distcc";
  const util::Digest distcc = PreprocessorModeKey(in_);
  EXPECT_NE(distcc, plain);
  EXPECT_NE(ManifestKey(in_, util::Sha256::Of("src")), plain_manifest);
  in_.launcher = "icecc";
  EXPECT_NE(PreprocessorModeKey(in_), distcc);
  in_.launcher = "";
  EXPECT_EQ(PreprocessorModeKey(in_), plain);
}

TEST_F(CacheKeyTest, TheCompilersKeyNotItsContentIdentityIsHashed) {
  const util::Digest plain = PreprocessorModeKey(in_);
  in_.compiler_id = util::Sha256::Of("another gcc binary");  // memos only
  EXPECT_EQ(PreprocessorModeKey(in_), plain);
  in_.compiler_key = util::Sha256::Of("string:13");
  EXPECT_NE(PreprocessorModeKey(in_), plain);
}

}  // namespace
}  // namespace zc::compile
