#include "cachecore/compile/compiler_option.h"

#include <algorithm>

namespace zc::compile {
namespace {

constexpr uint32_t kArg = kTakesArg;
constexpr uint32_t kCat = kTakesConcatArg;
constexpr uint32_t kPath = kTakesPath;
constexpr uint32_t kCpp = kAffectsCpp;
constexpr uint32_t kHard = kTooHard;
constexpr uint32_t kDep = kDependency;
constexpr uint32_t kLink = kLinkOnly;
constexpr uint32_t kSpec = kSpecial;

// Sorted by name in byte order ('-' < '=' < upper case < lower case). Keep it that way: the unit
// test CompilerOptionTest.TableIsSorted fails otherwise.
constexpr CompilerOption kOptions[] = {
    {"--analyze", kHard},
    {"--coverage", kSpec},
    {"--param", kArg},
    {"--save-temps", kHard},
    {"--serialize-diagnostics", kArg | kHard},
    {"--specs", kArg | kHard},
    {"--specs=", kCat | kHard},
    {"--sysroot", kArg | kPath | kCpp},
    {"--sysroot=", kCat | kPath | kCpp},
    {"-A", kArg | kCat | kCpp},
    {"-B", kArg | kCat | kPath},
    {"-D", kArg | kCat | kCpp},
    {"-E", kSpec},
    {"-F", kArg | kCat | kPath | kCpp},
    {"-I", kArg | kCat | kPath | kCpp},
    {"-L", kArg | kCat | kLink},
    {"-M", kSpec},
    {"-MD", kDep | kSpec},
    {"-MF", kArg | kCat | kDep | kSpec},
    {"-MG", kHard},
    {"-MM", kSpec},
    {"-MMD", kDep | kSpec},
    {"-MP", kDep | kSpec},
    {"-MQ", kArg | kCat | kDep | kSpec},
    {"-MT", kArg | kCat | kDep | kSpec},
    {"-P", kCpp},
    {"-S", kSpec},
    {"-U", kArg | kCat | kCpp},
    {"-Wa,", kCat},
    {"-Wl,", kCat | kLink},
    {"-Wp,", kCat | kCpp | kSpec},
    {"-Xassembler", kArg},
    {"-Xclang", kArg},
    {"-Xlinker", kArg | kLink},
    {"-Xpreprocessor", kArg | kCpp | kTooHardDirect},
    {"-arch", kArg},
    {"-aux-info", kArg | kHard},
    {"-c", kSpec},
    {"-fauto-profile", kHard},
    {"-fauto-profile=", kCat | kHard},
    {"-fcallgraph-info", kHard},
    {"-fcallgraph-info=", kCat | kHard},
    {"-fcolor-diagnostics", kSpec},
    {"-fdiagnostics-color", kSpec},
    {"-fdiagnostics-color=", kCat | kSpec},
    {"-fdump-", kCat | kHard},
    {"-fmodules", kHard},
    {"-fno-color-diagnostics", kSpec},
    {"-fno-diagnostics-color", kSpec},
    {"-fprofile-instr-use", kHard},
    {"-fprofile-instr-use=", kCat | kHard},
    {"-fprofile-sample-use=", kCat | kHard},
    {"-fprofile-use", kHard},
    {"-fprofile-use=", kCat | kHard},
    {"-frepo", kHard},
    {"-fstack-usage", kHard},
    {"-fsyntax-only", kHard},
    {"-ftest-coverage", kSpec},
    {"-gsplit-dwarf", kSpec},
    {"-idirafter", kArg | kCat | kPath | kCpp},
    {"-imacros", kArg | kPath | kCpp},
    {"-imultilib", kArg | kCpp},
    {"-include", kArg | kPath | kCpp},
    {"-include-pch", kArg | kHard},
    {"-iprefix", kArg | kCpp},
    {"-iquote", kArg | kCat | kPath | kCpp},
    {"-isysroot", kArg | kCat | kPath | kCpp},
    {"-isystem", kArg | kCat | kPath | kCpp},
    {"-iwithprefix", kArg | kCpp},
    {"-iwithprefixbefore", kArg | kCpp},
    {"-l", kArg | kCat | kLink},
    {"-nostdinc", kCpp},
    {"-nostdinc++", kCpp},
    {"-o", kArg | kCat | kOutput | kSpec},
    {"-save-temps", kHard},
    {"-save-temps=", kCat | kHard},
    {"-specs", kArg | kHard},
    {"-specs=", kCat | kHard},
    {"-target", kArg},
    {"-u", kArg | kLink},
    {"-x", kArg | kCat | kSpec},
    {"-z", kArg | kLink},
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
