#include "cachecore/compile/outputs.h"

#include <sys/stat.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using store::PayloadKind;

CompilePlan Plan(const std::vector<std::string>& args) {
  Classification c = ClassifyArguments(args);
  EXPECT_TRUE(std::holds_alternative<CompilePlan>(c));
  return std::holds_alternative<CompilePlan>(c) ? std::get<CompilePlan>(c) : CompilePlan{};
}

std::vector<std::string> Paths(const CompilePlan& plan) {
  std::vector<std::string> out;
  for (const OutputFile& f : OutputFiles(plan)) out.push_back(f.path);
  return out;
}

TEST(OutputFilesTest, OneTableForEveryOutputTheObjectLast) {
  EXPECT_THAT(Paths(Plan({"-c", "a.c", "-o", "obj/a.o"})), ::testing::ElementsAre("obj/a.o"));
  EXPECT_THAT(Paths(Plan({"-c", "a.c", "-o", "obj/a.o", "-MD", "-gsplit-dwarf", "--coverage",
                          "-fstack-usage", "-fcallgraph-info", "-Wa,-adhln=a.lst"})),
              ::testing::ElementsAre("obj/a.su", "obj/a.ci", "a.lst", "obj/a.dwo", "obj/a.gcno",
                                     "obj/a.d", "obj/a.o"));
}

TEST(OutputFilesTest, OnlyObjectAndDependencyFileAreRequired) {
  for (const OutputFile& f :
       OutputFiles(Plan({"-c", "a.c", "-MD", "-gsplit-dwarf", "-fstack-usage"}))) {
    EXPECT_EQ(f.required, f.kind == PayloadKind::kObject || f.kind == PayloadKind::kDependency)
        << f.path;
  }
}

class OutputsIoTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(OutputsIoTest, CollectThenRestoreGivesBackEveryFile) {
  const CompilePlan plan = Plan({"-c", "a.c", "-o", "a.o", "-MD", "-fstack-usage"});
  test::WriteTestFile(dir_.Join("a.o"), "OBJECT");
  test::WriteTestFile(dir_.Join("a.d"), "a.o: a.c h.h\n");
  test::WriteTestFile(dir_.Join("a.su"), "a.c:1:f\t16\tstatic\n");
  absl::StatusOr<store::Entry> entry = CollectOutputs(plan, dir_.path(), "out", "warning\n");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->ExitCode(), 0);
  ASSERT_NE(entry->Find(PayloadKind::kStderr), nullptr);
  EXPECT_EQ(entry->Find(PayloadKind::kStderr)->data, "warning\n");

  for (const char* f : {"a.o", "a.d", "a.su"}) ASSERT_EQ(::unlink(dir_.Join(f).c_str()), 0);
  ASSERT_TRUE(RestoreOutputs(plan, dir_.path(), *entry, -1).ok());
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.o")), "OBJECT");
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.d")), "a.o: a.c h.h\n");
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.su")), "a.c:1:f\t16\tstatic\n");
}

TEST_F(OutputsIoTest, DependencyTargetFollowsTheNewOutput) {
  const CompilePlan stored = Plan({"-c", "a.c", "-o", "a.o", "-MD"});
  test::WriteTestFile(dir_.Join("a.o"), "OBJECT");
  test::WriteTestFile(dir_.Join("a.d"), "a.o: a.c\n");
  absl::StatusOr<store::Entry> entry = CollectOutputs(stored, dir_.path(), "", "");
  ASSERT_TRUE(entry.ok());
  const CompilePlan other = Plan({"-c", "a.c", "-o", "b.o", "-MD"});
  ASSERT_TRUE(RestoreOutputs(other, dir_.path(), *entry, -1).ok());
  EXPECT_EQ(test::ReadTestFile(dir_.Join("b.d")), "b.o: a.c\n");
}

TEST_F(OutputsIoTest, ATargetOfAnotherWidthNeedsTheCompilersLineBreaks) {
  // "a b.o" is written "a\ b.o": as wide as no 5-character name, and no known rule reproduces
  // an escaped name, so a restore for "abc.o" cannot know where the compiler would break lines.
  const CompilePlan stored = Plan({"-c", "a.c", "-o", "a b.o", "-MD", "-MF", "a.d"});
  test::WriteTestFile(dir_.Join("a b.o"), "OBJECT");
  test::WriteTestFile(dir_.Join("a.d"), "a\\ b.o: a.c\n");
  absl::StatusOr<store::Entry> entry = CollectOutputs(stored, dir_.path(), "", "");
  ASSERT_TRUE(entry.ok());
  const CompilePlan other = Plan({"-c", "a.c", "-o", "abc.o", "-MD", "-MF", "a.d"});
  EXPECT_TRUE(absl::IsDataLoss(RestoreOutputs(other, dir_.path(), *entry, -1)));
  // The same width keeps the breaks: restored.
  const CompilePlan same = Plan({"-c", "a.c", "-o", "c d.o", "-MD", "-MF", "a.d"});
  ASSERT_TRUE(RestoreOutputs(same, dir_.path(), *entry, -1).ok());
  EXPECT_EQ(test::ReadTestFile(dir_.Join("a.d")), "c\\ d.o: a.c\n");
}

TEST_F(OutputsIoTest, OptionalFilesMayBeMissingRequiredOnesMayNot) {
  const CompilePlan plan = Plan({"-c", "a.c", "-o", "a.o", "-gsplit-dwarf"});
  absl::StatusOr<store::Entry> none = CollectOutputs(plan, dir_.path(), "", "");
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  test::WriteTestFile(dir_.Join("a.o"), "OBJECT");
  absl::StatusOr<store::Entry> entry = CollectOutputs(plan, dir_.path(), "", "");
  ASSERT_TRUE(entry.ok()) << "no .dwo is fine: the compile had no reason to write one";
  EXPECT_EQ(entry->Find(PayloadKind::kSplitDwarf), nullptr);
}

TEST_F(OutputsIoTest, AnOutputThatIsNotARegularFileIsNotCacheable) {
  const CompilePlan plan = Plan({"-c", "a.c", "-o", "a.o", "-MD", "-MF", "/dev/null"});
  test::WriteTestFile(dir_.Join("a.o"), "OBJECT");
  EXPECT_TRUE(absl::IsFailedPrecondition(CollectOutputs(plan, dir_.path(), "", "").status()));
}

TEST_F(OutputsIoTest, AnEntryWithoutARequiredFileWritesNothing) {
  const CompilePlan plan = Plan({"-c", "a.c", "-o", "a.o", "-MD", "-fstack-usage"});
  store::Entry entry;
  entry.Add(PayloadKind::kSideFile, "SU", ".su");
  entry.Add(PayloadKind::kObject, "OBJECT");
  entry.SetExitCode(0);
  EXPECT_TRUE(absl::IsDataLoss(RestoreOutputs(plan, dir_.path(), entry, -1)));
  EXPECT_FALSE(test::FileExists(dir_.Join("a.o")));
  EXPECT_FALSE(test::FileExists(dir_.Join("a.su")));
}

TEST_F(OutputsIoTest, RestoredFilesGetTheCallersUmask) {
  const CompilePlan plan = Plan({"-c", "a.c", "-o", "a.o"});
  store::Entry entry;
  entry.Add(PayloadKind::kObject, "OBJECT");
  entry.SetExitCode(0);
  ASSERT_TRUE(RestoreOutputs(plan, dir_.path(), entry, 027).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir_.Join("a.o").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

}  // namespace
}  // namespace zc::compile
