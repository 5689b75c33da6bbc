// Classification of a compiler command line: either a plan for a cacheable compile, or the typed
// reason (a stats counter) why the compiler must simply run.
//
//   zc::compile::Classification c = zc::compile::ClassifyArguments(args, cwd);
//   if (auto* reason = std::get_if<zc::stats::Counter>(&c)) { run compiler untouched; count *reason; }
//   const zc::compile::CompilePlan& plan = std::get<zc::compile::CompilePlan>(c);
//
// `args` are the compiler's arguments after argv[0], with @response files already expanded.
// Knowledge of individual options lives in compiler_option.cc; this file holds the logic.
#ifndef ZCWRAP_CACHECORE_COMPILE_ARGUMENTS_H_
#define ZCWRAP_CACHECORE_COMPILE_ARGUMENTS_H_

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/stats/counter.h"

namespace zc::compile {

enum class ColorMode { kAuto, kAlways, kNever };

struct CompilePlan {
  std::string source;           // the input file, as written
  std::string language;         // gcc -x name: "c", "c++", "assembler-with-cpp", "c-cpp-output"...
  bool preprocessed_input = false;  // .i/.ii/-x c-cpp-output: no -E needed
  std::string output;           // object (or .s for -S), as the compiler will write it
  bool assemble_only = false;   // -S

  // The compile as the user asked for it (what a miss runs).
  std::vector<std::string> compile_args;
  // The same compile with outputs and dependency options removed, for `-E` (add "-E" + source).
  std::vector<std::string> preprocess_args;
  // preprocess_args without the source file (for asking the compiler about its search path).
  std::vector<std::string> cpp_flags;
  // What goes into the key: every argument except output names and dependency-file options.
  std::vector<std::string> hashed_args;

  // Dependency file (-MD/-MMD or -Wp,-MD,file).
  bool dep_file_wanted = false;
  std::string dep_file;
  bool dep_target_explicit = false;  // -MT/-MQ given: the .d needs no target rewrite
  std::vector<std::string> dep_key_args;  // -MD/-MMD/-MP/-MT x/-MQ x, which shape the .d

  bool split_dwarf = false;
  std::string dwo_file;
  bool coverage = false;
  std::string gcno_file;
  bool debug_info = false;      // any -g other than -g0
  // OLD=NEW of every -fdebug-prefix-map / -ffile-prefix-map, in order: they rewrite the working
  // directory gcc writes into debug info.
  std::vector<std::pair<std::string, std::string>> debug_prefix_maps;
  bool embeds_output_path = false;  // .dwo name or .gcda path inside the object: -o and cwd matter
  ColorMode color = ColorMode::kAuto;
  bool direct_mode_ok = true;   // false for -Wp,/-Xpreprocessor forms that hide dependencies
};

using Classification = std::variant<CompilePlan, stats::Counter>;

Classification ClassifyArguments(const std::vector<std::string>& args);

// The language gcc infers from a file name's extension, or "" if it would not compile it.
std::string LanguageForExtension(absl::string_view path);

// Replaces the extension of `path` (after its last '/' and last '.') with `ext` (".d", ".dwo").
std::string ReplaceExtension(absl::string_view path, absl::string_view ext);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_ARGUMENTS_H_
