// What zcwrap knows about gcc and clang options: one table, sorted by name, searched by binary
// search (a unit test keeps it sorted). Options not in the table are ordinary flags: they go into
// the key and need no special handling.
//
//   const zc::compile::CompilerOption* opt = zc::compile::FindOption("-isystem");
//   if (opt && (opt->flags & zc::compile::kTakesArg)) ...
//
//   // "-I/usr/include" is the joined form of "-I":
//   const zc::compile::CompilerOption* p = zc::compile::FindPrefixOption("-I/usr/include");
#ifndef ZCWRAP_CACHECORE_COMPILE_COMPILER_OPTION_H_
#define ZCWRAP_CACHECORE_COMPILE_COMPILER_OPTION_H_

#include <cstdint>
#include <span>

#include "absl/strings/string_view.h"

namespace zc::compile {

// What each flag makes the classifier (arguments.cc) do; CompilerOptionTest.EveryFlagDoesWhat-
// ItSays checks each one for every option that has it. Options not in the table are ordinary:
// hashed into the key, passed to the compile and to the preprocessor run.
enum OptionFlags : uint32_t {
  kTakesArg = 1u << 0,        // "-I dir": the next argument belongs to the option
  kTakesConcatArg = 1u << 1,  // "-Idir" (or "--opt=value" when the name ends in '='): joined form
  kTooHard = 1u << 4,         // cannot be cached correctly: run the compiler untouched
  kTooHardDirect = 1u << 5,   // hides dependencies from direct mode: preprocessor mode only
  kSpecial = 1u << 9,         // classified by code in arguments.cc (-c, -o, -x, -g, -MD, ...)
  kInputFile = 1u << 10,      // names a file (or directory) the compile reads: hashed by content
  kWritesFile = 1u << 11,     // writes a file: restored on a hit (outputs.h), or kTooHard
  // Base directories (base_dir.h, portability.h):
  kPathArg = 1u << 12,     // the value is a path: keyed relative to the base directory
  kPrefixMap = 1u << 13,   // OLD=NEW prefix map: OLD keyed relative to the base directory
  kHidesPaths = 1u << 14,  // the output may depend on paths in a form no scan sees (hashed,
                           // compressed): the base directory is not used
};

struct CompilerOption {
  absl::string_view name;
  uint32_t flags;
  // For options whose file is named after the output (-fstack-usage: obj/a.o -> obj/a.su): the
  // suffix that replaces the output's extension. Empty otherwise.
  absl::string_view side_suffix = {};
};

// The whole table, sorted by name (byte order).
std::span<const CompilerOption> AllOptions();

// Exact match, or nullptr.
const CompilerOption* FindOption(absl::string_view arg);

// The longest table option with kTakesConcatArg whose name is a proper prefix of `arg`
// ("-I" for "-Ifoo", "--sysroot=" for "--sysroot=/x"), or nullptr.
const CompilerOption* FindPrefixOption(absl::string_view arg);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_COMPILER_OPTION_H_
