#include "cachecore/compile/explain.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

ExplainRecord Sample() {
  ExplainRecord r;
  r.object = "/src/build/a.o";
  r.cwd = "/src/build";
  r.argv = {"/usr/bin/gcc", "-c", "../a.c", "-o", "a.o", "-DMSG=\"two words\"\n"};
  r.mode = "direct";
  r.compiler = std::string(64, 'a');
  r.compiler_key = std::string(64, 'a');
  r.args = {"-c", "-O2"};
  r.cwd_in_key = "/src/build";
  r.env = {"LANG=C"};
  r.inputs = {{"prof.gcda", std::string(64, 'b')}};
  r.files = {{"../a.c", std::string(64, 'c')}, {"/usr/include/stdio.h", std::string(64, 'd')}};
  r.source = "../a.c";
  r.compared_with = "/elsewhere/build/a.o";
  r.why = {{"directory_in_key", "the working directory is in the key:\n /a -> /b"}};
  return r;
}

std::vector<std::string> Kinds(const std::vector<Difference>& diffs) {
  std::vector<std::string> kinds;
  for (const Difference& d : diffs) kinds.push_back(d.kind);
  return kinds;
}

TEST(ExplainRecordTest, RoundTripsEveryFieldIncludingAwkwardBytes) {
  const ExplainRecord r = Sample();
  std::optional<ExplainRecord> back = DecodeExplainRecord(EncodeExplainRecord(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->argv, r.argv);
  EXPECT_EQ(back->files, r.files);
  EXPECT_EQ(back->inputs, r.inputs);
  EXPECT_EQ(back->env, r.env);
  EXPECT_EQ(back->cwd_in_key, r.cwd_in_key);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->compared_with, r.compared_with);
  EXPECT_EQ(back->why, r.why);
  EXPECT_TRUE(CompareExplainRecords(r, *back).empty());
}

TEST(ExplainRecordTest, ForeignOrDamagedTextIsNoRecord) {
  EXPECT_FALSE(DecodeExplainRecord(""));
  EXPECT_FALSE(DecodeExplainRecord("zcwrap-explain-0\nobject /a.o\n"));
  EXPECT_FALSE(DecodeExplainRecord("zcwrap-explain-1\ncwd /\n")) << "no object, no argv";
  EXPECT_FALSE(DecodeExplainRecord("zcwrap-explain-1\nobject /a.o\nargv gcc\nfile nospace\n"));
}

TEST(ExplainRecordTest, StoredPerObjectInTheStore) {
  test::TempDir dir;
  store::StoreOptions options;
  options.root = dir.Join("cache");
  absl::StatusOr<std::unique_ptr<store::LocalStore>> store = store::LocalStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WriteExplainRecord(**store, Sample()).ok());
  ASSERT_TRUE(ReadExplainRecord(**store, "/src/build/a.o"));
  EXPECT_FALSE(ReadExplainRecord(**store, "/src/build/b.o"));
  ExplainRecord elsewhere = Sample();
  elsewhere.object = "/other/checkout/build/a.o";
  elsewhere.source = "/other/checkout/a.c";
  std::optional<ExplainRecord> nearest = ReadNearestExplainRecord(**store, elsewhere);
  ASSERT_TRUE(nearest) << "same compiler, source and object names";
  EXPECT_EQ(nearest->object, "/src/build/a.o");
  elsewhere.object = "/other/checkout/build/b.o";
  EXPECT_FALSE(ReadNearestExplainRecord(**store, elsewhere));
}

TEST(CompareExplainRecordsTest, NamesEachKindOfChange) {
  const ExplainRecord last = Sample();
  ExplainRecord now = Sample();
  now.args = {"-c", "-O2", "-DNEW"};
  EXPECT_THAT(CompareExplainRecords(last, now),
              ElementsAre(Field(&Difference::text, "argument added: -DNEW")));
  now = Sample();
  now.args = {"-c"};
  EXPECT_THAT(Kinds(CompareExplainRecords(last, now)), ElementsAre("argument_removed"));
  now.args = {"-O2", "-c"};
  EXPECT_THAT(Kinds(CompareExplainRecords(last, now)), ElementsAre("argument_order"));
  now = Sample();
  now.compiler = std::string(64, 'e');
  EXPECT_THAT(CompareExplainRecords(last, now)[0].text,
              HasSubstr("the compiler changed: /usr/bin/gcc"));
  now = Sample();
  now.env = {"LANG=C", "CPATH=/x"};
  EXPECT_THAT(CompareExplainRecords(last, now)[0].text, HasSubstr("CPATH changed: (unset)"));
  now = Sample();
  now.files[1].second = std::string(64, 'f');
  now.files[0].second = "";
  EXPECT_THAT(Kinds(CompareExplainRecords(last, now)), ElementsAre("file_removed", "file_changed"));
  now = Sample();
  now.cwd_in_key = "/elsewhere/build";
  EXPECT_THAT(CompareExplainRecords(last, now)[0].text,
              HasSubstr("/src/build -> /elsewhere/build"));
  ExplainRecord direct_last = Sample();
  direct_last.cwd_in_key = "direct:/src/build";
  now = Sample();
  now.cwd_in_key = "direct:/elsewhere/build";
  EXPECT_THAT(CompareExplainRecords(direct_last, now)[0].text,
              HasSubstr("direct mode keys its records by the working directory, which changed: "
                        "/src/build -> /elsewhere/build"));
  now = Sample();
  now.key_namespace = "team";
  now.inputs[0].second = std::string(64, '0');
  EXPECT_THAT(Kinds(CompareExplainRecords(last, now)), ElementsAre("namespace", "input_file"));
  now = Sample();
  now.launcher = "distcc";
  EXPECT_THAT(Kinds(CompareExplainRecords(last, now)), ElementsAre("prefix_command"));
  EXPECT_THAT(CompareExplainRecords(last, now)[0].text, HasSubstr("\"\" -> \"distcc\""));
  const std::optional<ExplainRecord> decoded = DecodeExplainRecord(EncodeExplainRecord(now));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->launcher, "distcc");
}

}  // namespace
}  // namespace zc::compile
