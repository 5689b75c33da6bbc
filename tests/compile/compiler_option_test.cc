#include "cachecore/compile/compiler_option.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
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
  EXPECT_EQ(FindPrefixOption("--sysroot=/x")->name, "--sysroot=");
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
