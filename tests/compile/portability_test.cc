#include "cachecore/compile/portability.h"

#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/compiler_option.h"
#include "gtest/gtest.h"

namespace zc::compile {
namespace {

using store::PayloadKind;

constexpr absl::string_view kBase = "/ci/a";

CompilePlan Plan(std::vector<std::string> args) {
  args.insert(args.begin(), {"-c", "/ci/a/src/x.c", "-o", "x.o"});
  Classification c = ClassifyArguments(args);
  EXPECT_TRUE(std::holds_alternative<CompilePlan>(c));
  return std::holds_alternative<CompilePlan>(c) ? std::get<CompilePlan>(c) : CompilePlan();
}

std::vector<std::string> Spelled(const CompilerOption& opt, const std::string& value) {
  if (opt.flags & kTakesArg) return {std::string(opt.name), value};
  if (opt.flags & kTakesConcatArg) return {absl::StrCat(opt.name, value)};
  return {std::string(opt.name)};
}

TEST(PortabilityTest, DebugInfoNeedsAPrefixMapCoveringTheBase) {
  EXPECT_EQ(BaseUnusable(Plan({"-O2"}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({"-g"}), kBase), "");
  EXPECT_EQ(BaseUnusable(Plan({"-g", "-ffile-prefix-map=/ci/a=."}), kBase), "");
  EXPECT_EQ(BaseUnusable(Plan({"-g", "-fdebug-prefix-map=/ci/=/x"}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({"-g", "-fdebug-prefix-map=/ci/a/src=."}), kBase), "")
      << "a map of part of the checkout leaves the rest in the debug info";
  EXPECT_NE(BaseUnusable(Plan({"-g", "-fmacro-prefix-map=/ci/a=."}), kBase), "")
      << "a macro map does not touch debug info";
  EXPECT_NE(BaseUnusable(Plan({"-g", "-ffile-prefix-map=/ci/a=.", "-g0", "-g"}), "/ci/ab"), "");
}

TEST(PortabilityTest, OutputsThatNameThemselvesOrHidePathsKeepTheBase) {
  EXPECT_NE(BaseUnusable(Plan({"-gsplit-dwarf", "-ffile-prefix-map=/ci/a=."}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({"--coverage"}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({"-Wa,--compress-debug-sections"}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({"-Xassembler", "--compress-debug-sections=zlib"}), kBase), "");
  EXPECT_NE(BaseUnusable(Plan({}), "/ci/with space"), "");
  EXPECT_NE(BaseUnusable(Plan({}), "/ci/quote\"d"), "");
  // Every option the table marks kHidesPaths.
  int hiding = 0;
  for (const CompilerOption& opt : AllOptions()) {
    if (!(opt.flags & kHidesPaths)) continue;
    ++hiding;
    SCOPED_TRACE(std::string(opt.name));
    std::vector<std::string> args = {"-c", "a.c"};
    const std::vector<std::string> form = Spelled(opt, "/abs/value.txt");
    args.insert(args.end(), form.begin(), form.end());
    Classification c = ClassifyArguments(args);
    ASSERT_TRUE(std::holds_alternative<CompilePlan>(c));
    EXPECT_NE(BaseUnusable(std::get<CompilePlan>(c), kBase), "");
  }
  EXPECT_GE(hiding, 20);
}

TEST(PortabilityTest, EveryPathOptionIsKeyedRelativeToTheBase) {
  for (const CompilerOption& opt : AllOptions()) {
    if (!(opt.flags & (kPathArg | kPrefixMap))) continue;
    SCOPED_TRACE(std::string(opt.name));
    const std::vector<std::string> form =
        Spelled(opt, (opt.flags & kPrefixMap) ? "/ci/a/sub=/x" : "/ci/a/sub");
    const std::vector<std::string> keyed = KeyArgs(form, kBase);
    ASSERT_EQ(keyed.size(), form.size());
    EXPECT_NE(keyed.back().find(kBaseMarker), std::string::npos) << keyed.back();
    EXPECT_FALSE(absl::StrContains(keyed.back(), kBase));
  }
}

TEST(PortabilityTest, MacroMapsCoverFromFileOrMacroPrefixMaps) {
  EXPECT_FALSE(MacroMapCovers(Plan({}), kBase));
  EXPECT_TRUE(MacroMapCovers(Plan({"-ffile-prefix-map=/ci/a=."}), kBase));
  EXPECT_TRUE(MacroMapCovers(Plan({"-fmacro-prefix-map=/ci=."}), kBase));
  EXPECT_FALSE(MacroMapCovers(Plan({"-fdebug-prefix-map=/ci/a=."}), kBase));
}

// A little-endian ELF64 file whose second section has `flags`.
std::string Elf(uint64_t flags) {
  std::string elf(64 + 2 * 64, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[4] = 2;      // ELFCLASS64
  elf[5] = 1;      // little-endian
  elf[0x28] = 64;  // e_shoff
  elf[0x3A] = 64;  // e_shentsize
  elf[0x3C] = 2;   // e_shnum
  for (int i = 0; i < 8; ++i) elf[64 + 64 + 8 + i] = static_cast<char>(flags >> (8 * i));
  return elf;
}

TEST(PortabilityTest, AnyOutputNamingTheBaseKeepsItInTheKey) {
  store::Entry entry;
  entry.Add(PayloadKind::kObject, Elf(0x2) + "code");
  entry.Add(PayloadKind::kDependency, "x.o: /ci/a/src/x.c\n");  // marked, not a reason
  entry.Add(PayloadKind::kMetadata, "output=/ci/a/build/x.o\n");
  entry.Add(PayloadKind::kStderr, "");
  EXPECT_EQ(OutputsMentionBase(entry, kBase), "");

  store::Entry narrow = entry;
  narrow.payloads[0].data += "/ci/a/src/x.c";
  EXPECT_NE(OutputsMentionBase(narrow, kBase), "");
  store::Entry wide = entry;
  wide.payloads[0].data += std::string("/\0c\0i\0/\0a\0", 10);
  EXPECT_NE(OutputsMentionBase(wide, kBase), "") << "UTF-16, as L\"\" __FILE__ would be";
  store::Entry utf32 = entry;
  for (char c : kBase) utf32.payloads[0].data += std::string(1, c) + std::string(3, '\0');
  EXPECT_NE(OutputsMentionBase(utf32, kBase), "");
  store::Entry warned = entry;
  warned.payloads[3].data = "/ci/a/src/x.c:3:1: warning: unused";
  EXPECT_NE(OutputsMentionBase(warned, kBase), "");
  store::Entry compressed = entry;
  compressed.payloads[0].data = Elf(0x800) + "code";
  EXPECT_NE(OutputsMentionBase(compressed, kBase), "") << "SHF_COMPRESSED";
  store::Entry truncated = entry;
  truncated.payloads[0].data =
      "\x7f"
      "ELF";
  EXPECT_NE(OutputsMentionBase(truncated, kBase), "") << "unreadable section headers";
}

TEST(PortabilityTest, PreprocessedTextMayNameTheBaseOnlyInLineMarkers) {
  const std::string markers = "# 1 \"/ci/a/src/x.c\"\n# 1 \"/ci/a/include/h.h\" 1\nint x;\n";
  EXPECT_EQ(PreprocessedMentionsBase(markers, kBase), "");
  EXPECT_NE(PreprocessedMentionsBase(markers + "const char* f = \"/ci/a/src/x.c\";\n", kBase), "")
      << "an expanded __FILE__";
  EXPECT_NE(PreprocessedMentionsBase(markers + "auto f = __builtin_FILE();\n", kBase), "");
  EXPECT_NE(PreprocessedMentionsBase(markers + "auto l = __builtin_source_location();\n", kBase),
            "");
}

TEST(PortabilityTest, NormalisedLineMarkersHideWhereTheCheckoutIs) {
  auto text = [](absl::string_view base, absl::string_view code) {
    return absl::StrCat("# 1 \"", base, "/src/x.c\"\n# 1 \"", base, "/inc/h.h\" 1 3\n",
                        "# 1 \"/usr/include/stdio.h\" 1 3 4\n", code);
  };
  EXPECT_EQ(NormaliseLineMarkers(text("/ci/a", "int x;\n"), "/ci/a"),
            NormaliseLineMarkers(text("/home/b", "int x;\n"), "/home/b"));
  EXPECT_NE(NormaliseLineMarkers(text("/ci/a", "char f[] = \"/ci/a/src/x.c\";\n"), "/ci/a"),
            NormaliseLineMarkers(text("/home/b", "char f[] = \"/home/b/src/x.c\";\n"), "/home/b"));
  EXPECT_NE(NormaliseLineMarkers(text("/ci/ab", "int x;\n"), "/ci/a"),
            NormaliseLineMarkers(text("/home/b", "int x;\n"), "/home/b"))
      << "only at a path boundary";
}

TEST(PortabilityTest, PortableEntriesMarkTheBaseInTheDependencyFile) {
  store::Entry entry;
  entry.Add(PayloadKind::kObject, "code /ci/ab");
  entry.Add(PayloadKind::kDependency, "/ci/a/build/x.o: /ci/a/src/x.c /usr/include/stdio.h\n");
  entry.Add(PayloadKind::kMetadata, "output=/ci/a/build/x.o\n");
  std::optional<store::Entry> shared = PortableEntry(entry, kBase);
  ASSERT_TRUE(shared.has_value());
  const std::string mark(1, kBaseMarker);
  EXPECT_EQ(shared->Find(PayloadKind::kDependency)->data,
            mark + "/build/x.o: " + mark + "/src/x.c /usr/include/stdio.h\n");
  EXPECT_EQ(shared->Find(PayloadKind::kMetadata)->data, "output=" + mark + "/build/x.o\n");
  EXPECT_EQ(shared->Find(PayloadKind::kObject)->data, "code /ci/ab");

  store::Entry inside = entry;
  inside.payloads[1].data = "x.o: /opt/ci/a/src/x.c\n";
  EXPECT_FALSE(PortableEntry(inside, kBase).has_value()) << "the base inside a longer path";
  store::Entry nul = entry;
  nul.payloads[1].data += std::string(1, '\0');
  EXPECT_FALSE(PortableEntry(nul, kBase).has_value());
}

TEST(PortabilityTest, BoundKeysDifferPerBase) {
  const util::Digest key = util::Sha256::Of("key");
  EXPECT_NE(BoundToBase(key, "/ci/a"), BoundToBase(key, "/ci/b"));
  EXPECT_NE(BoundToBase(key, "/ci/a"), key);
  EXPECT_EQ(BoundToBase(key, "/ci/a"), BoundToBase(key, "/ci/a"));
}

}  // namespace
}  // namespace zc::compile
