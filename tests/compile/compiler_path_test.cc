#include "cachecore/compile/compiler_path.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

class FindCompilerInPathTest : public ::testing::Test {
 protected:
  FindCompilerInPathTest() {
    for (const char* d : {"a", "b", "cwd"}) ::mkdir(dir_.Join(d).c_str(), 0755);
    MakeProgram("b/cc");
    MakeProgram("cwd/cc");
    test::WriteTestFile(dir_.Join("a/cc"), "not executable");  // skipped: no x bit
  }
  void MakeProgram(const std::string& rel) {
    test::WriteTestFile(dir_.Join(rel), "#!/bin/sh\n");
    ::chmod(dir_.Join(rel).c_str(), 0755);
  }
  test::TempDir dir_;
};

TEST_F(FindCompilerInPathTest, TakesTheFirstExecutableInPathOrder) {
  const std::string path = dir_.Join("a") + ":" + dir_.Join("b");
  EXPECT_EQ(FindCompilerInPath("cc", path, dir_.Join("cwd")).value(), dir_.Join("b/cc"));
}

TEST_F(FindCompilerInPathTest, AnEmptyEntryMeansTheWorkingDirectory) {
  EXPECT_EQ(FindCompilerInPath("cc", ":" + dir_.Join("b"), dir_.Join("cwd")).value(),
            dir_.Join("cwd/cc"));
}

TEST_F(FindCompilerInPathTest, SkipsWhatTheCallerRefuses) {
  const std::string path = dir_.Join("cwd") + ":" + dir_.Join("b");
  auto refuse_cwd = [this](const std::string& c) { return c == dir_.Join("cwd/cc"); };
  EXPECT_EQ(FindCompilerInPath("cc", path, "/", refuse_cwd).value(), dir_.Join("b/cc"));
}

TEST_F(FindCompilerInPathTest, NotFoundNamesTheCompiler) {
  absl::StatusOr<std::string> r = FindCompilerInPath("nosuchcc", dir_.Join("a"), "/");
  ASSERT_TRUE(absl::IsNotFound(r.status()));
  EXPECT_EQ(r.status().message(), "cannot find compiler \"nosuchcc\" in PATH");
}

}  // namespace
}  // namespace zc::compile
