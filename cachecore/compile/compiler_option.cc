#include "cachecore/compile/compiler_option.h"

#include <algorithm>

namespace zc::compile {
namespace {

constexpr uint32_t kArg = kTakesArg;
constexpr uint32_t kCat = kTakesConcatArg;
constexpr uint32_t kHard = kTooHard;
constexpr uint32_t kSpec = kSpecial;
constexpr uint32_t kIn = kInputFile;
constexpr uint32_t kWrites = kWritesFile;
constexpr uint32_t kPath = kPathArg;
constexpr uint32_t kMap = kPrefixMap;
constexpr uint32_t kHides = kHidesPaths;

// Sorted by name in byte order ('-' < '=' < upper case < lower case). Keep it that way: the unit
// test CompilerOptionTest.TableIsSorted fails otherwise. Every option marked kWrites is either
// kHard (uncacheable) or one whose file is stored and restored (outputs.cc); docs/outputs.md lists
// each with its verdict, and a unit test keeps the two in step.
constexpr CompilerOption kOptions[] = {
    {"--analyze", kHard | kWrites},
    {"--coverage", kSpec | kWrites | kHides},
    {"--param", kArg},
    {"--save-temps", kHard | kWrites},
    {"--serialize-diagnostics", kArg | kHard | kWrites},
    {"--specs", kArg | kSpec | kIn},
    {"--specs=", kCat | kSpec | kIn},
    {"--sysroot", kArg | kPath},
    {"-A", kArg | kCat},
    {"-B", kArg | kCat},
    {"-D", kArg | kCat},
    {"-E", kSpec},
    {"-F", kArg | kCat | kPath},
    {"-I", kArg | kCat | kPath},
    {"-L", kArg | kCat},
    {"-M", kSpec},
    {"-MD", kSpec | kWrites},
    {"-MF", kArg | kCat | kSpec},
    {"-MG", kHard},
    {"-MJ", kArg | kCat | kHard | kWrites},
    {"-MM", kSpec},
    {"-MMD", kSpec | kWrites},
    {"-MP", kSpec},
    {"-MQ", kArg | kCat | kSpec | kPath},
    {"-MT", kArg | kCat | kSpec | kPath},
    {"-Q", kHard},
    {"-S", kSpec},
    {"-U", kArg | kCat},
    {"-Wa,", kCat | kSpec | kWrites},
    {"-Wp,", kCat | kSpec},
    {"-Xassembler", kArg | kSpec | kWrites},
    {"-Xclang", kArg | kSpec},
    {"-Xlinker", kArg},
    {"-Xpreprocessor", kArg | kTooHardDirect},
    {"-arch", kArg},
    {"-aux-info", kArg | kHard | kWrites},
    {"-auxbase", kArg | kHard},
    {"-auxbase-strip", kArg | kHard},
    {"-c", kSpec},
    {"-dumpbase", kArg | kHard},
    {"-dumpbase-ext", kArg | kHard},
    {"-dumpdir", kArg | kHard},
    {"-fauto-profile", kSpec | kIn | kHides},
    {"-fauto-profile=", kCat | kIn | kHides},
    {"-fcallgraph-info", kSpec | kWrites, ".ci"},
    {"-fcallgraph-info=", kCat | kSpec | kWrites, ".ci"},
    {"-fcolor-diagnostics", kSpec},
    {"-fcompare-debug", kHard | kWrites},
    {"-fcompare-debug-second", kHard},
    {"-fcompare-debug=", kCat | kHard | kWrites},
    {"-fcoverage-mapping", kHides},
    {"-fcoverage-prefix-map=", kCat | kMap},
    {"-fdebug-prefix-map=", kCat | kSpec | kMap},
    {"-fdiagnostics-color", kSpec},
    {"-fdiagnostics-color=", kCat | kSpec},
    {"-fdiagnostics-format=", kCat | kSpec | kWrites},
    {"-fdump-", kCat | kHard | kWrites},
    {"-fembed-bitcode", kHides},
    {"-fembed-bitcode=", kCat | kHides},
    {"-ffile-prefix-map=", kCat | kSpec | kMap},
    {"-flto", kHides},
    {"-flto=", kCat | kHides},
    {"-fmacro-prefix-map=", kCat | kSpec | kMap},
    {"-fmem-report", kHard},
    {"-fmem-report-wpa", kHard},
    {"-fmodule-file=", kCat | kHard},
    {"-fmodule-map-file=", kCat | kIn},
    {"-fmodules", kHard},
    {"-fno-color-diagnostics", kSpec},
    {"-fno-diagnostics-color", kSpec},
    {"-fopt-info", kCat | kSpec | kWrites},
    {"-foptimization-record-file=", kCat | kHard | kWrites},
    {"-fpass-plugin=", kCat | kIn},
    {"-fplugin=", kCat | kSpec | kIn},
    {"-fpost-ipa-mem-report", kHard},
    {"-fpre-ipa-mem-report", kHard},
    {"-fproc-stat-report", kHard | kWrites},
    {"-fproc-stat-report=", kCat | kHard | kWrites},
    {"-fprofile-arcs", kSpec | kHides},
    {"-fprofile-dir=", kCat | kSpec},
    {"-fprofile-generate", kSpec | kHides},
    {"-fprofile-generate=", kCat | kSpec | kHides},
    {"-fprofile-instr-generate", kSpec | kHides},
    {"-fprofile-instr-generate=", kCat | kSpec | kHides},
    {"-fprofile-instr-use", kSpec | kIn | kHides},
    {"-fprofile-instr-use=", kCat | kIn | kHides},
    {"-fprofile-list=", kCat | kIn},
    {"-fprofile-note=", kCat | kHard | kWrites},
    {"-fprofile-prefix-map=", kCat | kMap},
    {"-fprofile-remapping-file=", kCat | kIn},
    {"-fprofile-sample-use=", kCat | kIn | kHides},
    {"-fprofile-use", kSpec | kIn | kHides},
    {"-fprofile-use=", kCat | kSpec | kIn | kHides},
    {"-frandom-seed=", kCat | kHides},
    {"-frecord-gcc-switches", kHides},
    {"-frepo", kHard | kWrites},
    {"-fsanitize-blacklist=", kCat | kIn},
    {"-fsanitize-coverage-allowlist=", kCat | kIn},
    {"-fsanitize-coverage-blacklist=", kCat | kIn},
    {"-fsanitize-coverage-blocklist=", kCat | kIn},
    {"-fsanitize-coverage-ignorelist=", kCat | kIn},
    {"-fsanitize-coverage-whitelist=", kCat | kIn},
    {"-fsanitize-ignorelist=", kCat | kIn},
    {"-fsanitize-system-ignorelist=", kCat | kIn},
    {"-fsanitize=", kCat | kHides},
    {"-fsave-optimization-record", kHard | kWrites},
    {"-fsave-optimization-record=", kCat | kHard | kWrites},
    {"-fstack-usage", kSpec | kWrites, ".su"},
    {"-fsyntax-only", kHard},
    {"-ftest-coverage", kSpec | kWrites | kHides},
    {"-ftime-report", kHard},
    {"-ftime-report-details", kHard},
    {"-ftime-report=", kCat | kHard},
    {"-ftime-trace", kHard | kWrites},
    {"-ftime-trace=", kCat | kHard | kWrites},
    {"-funique-internal-linkage-names", kHides},
    {"-fxray-always-instrument=", kCat | kIn},
    {"-fxray-attr-list=", kCat | kIn},
    {"-fxray-never-instrument=", kCat | kIn},
    {"-g", kCat | kSpec},
    {"-gsplit-dwarf", kSpec | kWrites},
    {"-gsplit-dwarf=", kCat | kSpec | kWrites},
    {"-gz", kHides},
    {"-gz=", kCat | kHides},
    {"-idirafter", kArg | kCat | kPath},
    {"-imacros", kArg | kPath},
    {"-imultilib", kArg},
    {"-include", kArg | kSpec | kPath},
    {"-include-pch", kArg | kSpec | kIn},
    {"-iprefix", kArg | kPath},
    {"-iquote", kArg | kCat | kPath},
    {"-isysroot", kArg | kCat | kPath},
    {"-isystem", kArg | kCat | kPath},
    {"-iwithprefix", kArg},
    {"-iwithprefixbefore", kArg},
    {"-l", kArg | kCat},
    {"-o", kArg | kCat | kSpec | kPath},
    {"-save-stats", kHard | kWrites},
    {"-save-stats=", kCat | kHard | kWrites},
    {"-save-temps", kHard | kWrites},
    {"-save-temps=", kCat | kHard | kWrites},
    {"-specs", kArg | kSpec | kIn},
    {"-specs=", kCat | kSpec | kIn},
    {"-target", kArg},
    {"-u", kArg},
    {"-x", kArg | kCat | kSpec},
    {"-z", kArg},
};

bool Less(const CompilerOption& a, absl::string_view b) { return a.name < b; }

}  // namespace

std::span<const CompilerOption> AllOptions() { return kOptions; }

const CompilerOption* FindOption(absl::string_view arg) {
  const CompilerOption* end = std::end(kOptions);
  const CompilerOption* it = std::lower_bound(std::begin(kOptions), end, arg, Less);
  return (it != end && it->name == arg) ? it : nullptr;
}

const CompilerOption* FindPrefixOption(absl::string_view arg) {
  for (size_t len = arg.size() - (arg.empty() ? 0 : 1); len >= 2; --len) {
    const CompilerOption* opt = FindOption(arg.substr(0, len));
    if (opt != nullptr && (opt->flags & kTakesConcatArg)) return opt;
  }
  return nullptr;
}

}  // namespace zc::compile
