#include "cachecore/compile/compiler_option.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/compile/arguments.h"
#include "gtest/gtest.h"

namespace zc::compile {
namespace {

TEST(CompilerOptionTest, TableIsSortedAndUnique) {
  auto options = AllOptions();
  for (size_t i = 1; i < options.size(); ++i) {
    EXPECT_LT(options[i - 1].name, options[i].name) << "at " << options[i].name;
  }
}

TEST(CompilerOptionTest, FindsExactNames) {
  ASSERT_NE(FindOption("-isystem"), nullptr);
  EXPECT_TRUE(FindOption("-isystem")->flags & kTakesArg);
  EXPECT_TRUE(FindOption("-fsyntax-only")->flags & kTooHard);
  EXPECT_EQ(FindOption("-Wall"), nullptr);
  EXPECT_EQ(FindOption(""), nullptr);
}

TEST(CompilerOptionTest, FindsJoinedFormsByLongestPrefix) {
  ASSERT_NE(FindPrefixOption("-I/usr/include"), nullptr);
  EXPECT_EQ(FindPrefixOption("-I/usr/include")->name, "-I");
  EXPECT_EQ(FindPrefixOption("-fsanitize-ignorelist=x")->name, "-fsanitize-ignorelist=");
  EXPECT_EQ(FindPrefixOption("-ggdb3")->name, "-g");
  EXPECT_EQ(FindPrefixOption("-gsplit-dwarf=single")->name, "-gsplit-dwarf=");
  EXPECT_EQ(FindPrefixOption("-fdump-tree-all")->name, "-fdump-");
  EXPECT_EQ(FindPrefixOption("-isystem/opt/inc")->name, "-isystem");
  EXPECT_EQ(FindPrefixOption("-MFdeps.d")->name, "-MF");
  // -include has no joined form; "-I" must not swallow "-include" either way.
  EXPECT_EQ(FindPrefixOption("-include"), nullptr);
  // A name is not a prefix of itself.
  EXPECT_EQ(FindPrefixOption("-I"), nullptr);
  EXPECT_EQ(FindPrefixOption("-W"), nullptr);
}

}  // namespace
}  // namespace zc::compile

namespace zc::compile {
namespace {

// docs/outputs.md, the table of every option that writes a file: "name" → verdicts in its rows.
std::map<std::string, std::set<std::string>> DocumentedWriters() {
  std::map<std::string, std::set<std::string>> out;
  const char* root = std::getenv("ZCWRAP_SOURCE_ROOT");
  EXPECT_NE(root, nullptr) << "meson sets ZCWRAP_SOURCE_ROOT";
  if (root == nullptr) return out;
  std::ifstream doc(std::string(root) + "/docs/outputs.md");
  EXPECT_TRUE(doc.good());
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 5) continue;
    const std::string verdict(absl::StripAsciiWhitespace(cells[3]));
    // Every `...` in the first cell names an option (the part before a space).
    const std::string& first = cells[1];
    for (size_t open = first.find('`'); open != std::string::npos;) {
      size_t close = first.find('`', open + 1);
      if (close == std::string::npos) break;
      std::string name = first.substr(open + 1, close - open - 1);
      name = name.substr(0, name.find(' '));
      out[name].insert(verdict.substr(0, verdict.find(' ')));
      open = first.find('`', close + 1);
    }
  }
  return out;
}

TEST(CompilerOptionTest, EveryOptionThatWritesAFileIsDocumentedWithItsVerdict) {
  const auto documented = DocumentedWriters();
  ASSERT_FALSE(documented.empty());
  for (const CompilerOption& opt : AllOptions()) {
    if (!(opt.flags & kWritesFile)) continue;
    auto it = documented.find(std::string(opt.name));
    ASSERT_NE(it, documented.end()) << opt.name << " is missing from docs/outputs.md";
    if (opt.flags & kTooHard) {
      EXPECT_TRUE(it->second.contains("uncacheable")) << opt.name;
    } else {
      // Not refused outright: its file is restored (or refused by code, depending on its value).
      EXPECT_TRUE(opt.flags & kSpecial) << opt.name << " writes a file nobody handles";
    }
  }
}

// The spelling of `opt` with `value` as its argument: joined for names ending in '=' (and other
// joined-only options), separate otherwise.
std::vector<std::string> Spelled(const CompilerOption& opt, const std::string& value) {
  if (opt.flags & kTakesArg) return {std::string(opt.name), value};
  if (opt.flags & kTakesConcatArg) return {absl::StrCat(opt.name, value)};
  return {std::string(opt.name)};
}

// What each flag changes, checked for every option that has it.
TEST(CompilerOptionTest, EveryFlagDoesWhatItSays) {
  for (const CompilerOption& opt : AllOptions()) {
    SCOPED_TRACE(std::string(opt.name));
    std::vector<std::string> args = {"-c", "a.c"};
    const std::vector<std::string> form = Spelled(opt, "/abs/value.txt");
    args.insert(args.end(), form.begin(), form.end());
    Classification c = ClassifyArguments(args);
    if (opt.flags & kTooHard) {
      // kTooHard: the call is not cacheable, whatever else.
      EXPECT_TRUE(std::holds_alternative<stats::Counter>(c));
      continue;
    }
    if (opt.flags & kSpecial) continue;  // arguments.cc decides, case by case (tested there)
    ASSERT_TRUE(std::holds_alternative<CompilePlan>(c));
    const CompilePlan& plan = std::get<CompilePlan>(c);
    // kTakesArg / kTakesConcatArg: the value is the option's, not a second source file.
    EXPECT_EQ(plan.source, "a.c");
    // kTooHardDirect: direct mode is off for the call.
    EXPECT_EQ(plan.direct_mode_ok, !(opt.flags & kTooHardDirect));
    // kInputFile: the file named goes into the key by content.
    const bool input = std::find(plan.input_files.begin(), plan.input_files.end(),
                                 "/abs/value.txt") != plan.input_files.end();
    EXPECT_EQ(input, (opt.flags & kInputFile) != 0);
    // Otherwise an option is hashed and passed on like any other argument.
    for (const std::string& a : form) {
      EXPECT_NE(std::find(plan.hashed_args.begin(), plan.hashed_args.end(), a),
                plan.hashed_args.end());
      EXPECT_NE(std::find(plan.preprocess_args.begin(), plan.preprocess_args.end(), a),
                plan.preprocess_args.end());
    }
  }
}

TEST(CompilerOptionTest, EveryOptionHasAFlagThatDoesSomething) {
  for (const CompilerOption& opt : AllOptions()) {
    EXPECT_TRUE(opt.flags & (kTakesArg | kTakesConcatArg | kTooHard | kTooHardDirect | kSpecial |
                             kInputFile | kWritesFile | kPathArg | kPrefixMap | kHidesPaths))
        << opt.name << ": an option with nothing to do belongs out of the table";
    if ((opt.flags & kTakesConcatArg) && !(opt.flags & ~kTakesConcatArg)) {
      ADD_FAILURE() << opt.name << ": a joined form that nothing reads";
    }
  }
}

TEST(CompilerOptionTest, SideFileSuffixesBelongToOptionsThatWriteThem) {
  for (const CompilerOption& opt : AllOptions()) {
    if (!opt.side_suffix.empty()) {
      EXPECT_TRUE(opt.flags & kWritesFile) << opt.name;
      EXPECT_FALSE(opt.flags & kTooHard) << opt.name;
    }
  }
}

}  // namespace
}  // namespace zc::compile
