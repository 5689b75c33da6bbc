#include "bench/replay/compile_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zc::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Split(const char* command) {
  absl::StatusOr<std::vector<std::string>> words = SplitCommandLine(command);
  EXPECT_TRUE(words.ok()) << command << ": " << words.status();
  return words.ok() ? *words : std::vector<std::string>{"<error>"};
}

TEST(SplitCommandLineTest, SeparatesWordsOnAnyRunOfBlanks) {
  EXPECT_THAT(Split("  /usr/bin/c++ \t-c  a.cc\n-o a.o  "),
              ElementsAre("/usr/bin/c++", "-c", "a.cc", "-o", "a.o"));
}

TEST(SplitCommandLineTest, BlankOrEmptyCommandGivesNoWords) {
  EXPECT_THAT(Split(""), IsEmpty());
  EXPECT_THAT(Split(" \t\n "), IsEmpty());
}

TEST(SplitCommandLineTest, SingleQuotesKeepEverythingLiterally) {
  EXPECT_THAT(Split(R"(cc '-DMSG=a "b" \n' x.c)"), ElementsAre("cc", R"(-DMSG=a "b" \n)", "x.c"));
}

TEST(SplitCommandLineTest, DoubleQuotesUnescapeOnlyShellSpecials) {
  // \" \\ \$ \` lose their backslash; any other backslash stays.
  EXPECT_THAT(Split(R"(cc "-DA=\"x y\"" "-DB=\\" "-DC=\$" "-DD=\n")"),
              ElementsAre("cc", R"(-DA="x y")", R"(-DB=\)", "-DC=$", R"(-DD=\n)"));
}

TEST(SplitCommandLineTest, BackslashOutsideQuotesEscapesTheNextCharacter) {
  // CMake writes -DSTR=\"text\" in "command" strings.
  EXPECT_THAT(Split(R"(cc -DSTR=\"text\" a\ b.c)"), ElementsAre("cc", R"(-DSTR="text")", "a b.c"));
}

TEST(SplitCommandLineTest, BackslashNewlineJoinsLines) {
  EXPECT_THAT(Split("cc -c \\\na.c"), ElementsAre("cc", "-c", "a.c"));
  EXPECT_THAT(Split("cc -D\\\nX"), ElementsAre("cc", "-DX"));
}

TEST(SplitCommandLineTest, AdjacentQuotedPartsFormOneWordAndEmptyQuotesAreAWord) {
  EXPECT_THAT(Split(R"(cc -I'dir with'/"sub dir" '' "")"),
              ElementsAre("cc", "-Idir with/sub dir", "", ""));
}

TEST(SplitCommandLineTest, RejectsUnterminatedQuotesAndTrailingBackslash) {
  for (const char* bad : {"cc 'abc", "cc \"abc", "cc \"abc\\\"", "cc abc\\"}) {
    absl::StatusOr<std::vector<std::string>> words = SplitCommandLine(bad);
    EXPECT_EQ(words.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseCompileDatabaseTest, ReadsArgumentsAndCommandEntries) {
  absl::StatusOr<std::vector<CompileCommand>> db = ParseCompileDatabase(R"([
    {"directory": "/build", "file": "a.c", "arguments": ["gcc", "-c", "a.c", "-o", "a.o"],
     "output": "a.o"},
    {"directory": "/build", "file": "/src/b.cc",
     "command": "/usr/bin/c++ \"-DNAME=\\\"x y\\\"\" -o b.o -c /src/b.cc"}
  ])",
                                                                        "/db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(db->size(), 2u);
  EXPECT_EQ((*db)[0].directory, "/build");
  EXPECT_EQ((*db)[0].file, "a.c");
  EXPECT_THAT((*db)[0].arguments, ElementsAre("gcc", "-c", "a.c", "-o", "a.o"));
  EXPECT_EQ((*db)[0].output, "a.o");
  EXPECT_EQ((*db)[1].file, "/src/b.cc");
  EXPECT_THAT((*db)[1].arguments,
              ElementsAre("/usr/bin/c++", "-DNAME=\"x y\"", "-o", "b.o", "-c", "/src/b.cc"));
  EXPECT_EQ((*db)[1].output, "");
}

TEST(ParseCompileDatabaseTest, PrefersArgumentsOverCommand) {
  absl::StatusOr<std::vector<CompileCommand>> db = ParseCompileDatabase(
      R"([{"directory": "/b", "file": "a.c", "arguments": ["clang", "a.c"], "command": "gcc x.c"}])",
      "/db");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_THAT((*db)[0].arguments, ElementsAre("clang", "a.c"));
}

TEST(ParseCompileDatabaseTest, RelativeDirectoryIsTakenFromTheDatabaseDirectory) {
  absl::StatusOr<std::vector<CompileCommand>> db = ParseCompileDatabase(
      R"([{"directory": "obj", "file": "a.c", "arguments": ["cc", "-c", "a.c"]}])", "/proj/build");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)[0].directory, "/proj/build/obj");
}

TEST(ParseCompileDatabaseTest, EmptyArrayGivesNoCommands) {
  absl::StatusOr<std::vector<CompileCommand>> db = ParseCompileDatabase(" [ ] ", "/db");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_THAT(*db, IsEmpty());
}

TEST(ParseCompileDatabaseTest, RejectsMalformedDatabasesNamingTheEntry) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"", "malformed JSON"},
      {"[{\"directory\": \"/b\",", "malformed JSON"},
      {"{\"directory\": \"/b\"}", "top level is not an array"},
      {"[42]", "entry 0: not an object"},
      {R"([{"file": "a.c", "arguments": ["cc"]}])", "entry 0: no \"directory\""},
      {R"([{"directory": 7, "file": "a.c", "arguments": ["cc"]}])",
       "\"directory\" is not a string"},
      {R"([{"directory": "", "file": "a.c", "arguments": ["cc"]}])", "\"directory\" is empty"},
      {R"([{"directory": "/b", "arguments": ["cc"]}])", "entry 0: no \"file\""},
      {R"([{"directory": "/b", "file": "a.c", "arguments": ["cc"]},
           {"directory": "/b", "file": "b.c"}])",
       "entry 1: neither \"arguments\" nor \"command\""},
      {R"([{"directory": "/b", "file": "a.c", "arguments": []}])", "\"arguments\" is empty"},
      {R"([{"directory": "/b", "file": "a.c", "arguments": "cc a.c"}])", "not an array"},
      {R"([{"directory": "/b", "file": "a.c", "arguments": ["cc", 3]}])", "non-string"},
      {R"([{"directory": "/b", "file": "a.c", "command": ["cc"]}])", "\"command\" is not a string"},
      {R"([{"directory": "/b", "file": "a.c", "command": "  "}])", "\"command\" is empty"},
      {R"([{"directory": "/b", "file": "a.c", "command": "cc 'a.c"}])",
       "unterminated single quote"},
      {R"([{"directory": "/b", "file": "a.c", "arguments": ["cc"], "output": 1}])",
       "\"output\" is not a string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<CompileCommand>> db = ParseCompileDatabase(c.json, "/db");
    ASSERT_FALSE(db.ok()) << c.json;
    EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(db.status().message()), HasSubstr(c.message)) << c.json;
  }
}

TEST(OutputPathTest, UsesOutputFieldElseTheLastDashOMadeAbsolute) {
  CompileCommand with_output{.directory = "/b",
                             .file = "a.c",
                             .arguments = {"cc", "-c", "a.c", "-o", "x.o"},
                             .output = "y.o"};
  EXPECT_EQ(OutputPath(with_output), "/b/y.o");
  CompileCommand separate{.directory = "/b",
                          .file = "a.c",
                          .arguments = {"cc", "-o", "first.o", "-c", "a.c", "-o", "obj/a.o"}};
  EXPECT_EQ(OutputPath(separate), "/b/obj/a.o");
  CompileCommand joined{.directory = "/b", .file = "a.c", .arguments = {"cc", "-c", "-o/abs/a.o"}};
  EXPECT_EQ(OutputPath(joined), "/abs/a.o");
  CompileCommand none{.directory = "/b", .file = "a.c", .arguments = {"cc", "-c", "a.c"}};
  EXPECT_EQ(OutputPath(none), "");
}

class LoadCompileDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "compile_db_test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& f : files_) unlink(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
    files_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(LoadCompileDatabaseTest, ReadsTheFileAndResolvesRelativeDirectoriesAgainstIt) {
  std::string path = Write("compile_commands.json",
                           R"([{"directory": ".", "file": "a.c", "command": "cc -c a.c -o a.o"}])");
  absl::StatusOr<std::vector<CompileCommand>> db = LoadCompileDatabase(path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(db->size(), 1u);
  EXPECT_EQ((*db)[0].directory, dir_ + "/.");
  EXPECT_THAT((*db)[0].arguments, ElementsAre("cc", "-c", "a.c", "-o", "a.o"));
}

TEST_F(LoadCompileDatabaseTest, MissingFileIsNotFoundAndErrorsNameThePath) {
  absl::StatusOr<std::vector<CompileCommand>> missing = LoadCompileDatabase(dir_ + "/nope.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.json"));

  std::string bad = Write("bad.json", "[1, 2");
  absl::StatusOr<std::vector<CompileCommand>> malformed = LoadCompileDatabase(bad);
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(malformed.status().message()), HasSubstr("bad.json: malformed JSON"));

  absl::StatusOr<std::vector<CompileCommand>> directory = LoadCompileDatabase(dir_);
  EXPECT_FALSE(directory.ok());
}

}  // namespace
}  // namespace zc::bench
