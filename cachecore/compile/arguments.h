// Classification of a compiler command line: either a plan for a cacheable compile, or the typed
// reason (a stats counter) why the compiler must simply run.
//
//   zc::compile::Classification c =
//       zc::compile::ClassifyArguments(args, zc::compile::DriverFor(compiler_path));
//   if (auto* reason = std::get_if<zc::stats::Counter>(&c)) { run compiler untouched; count
//   *reason; } const zc::compile::CompilePlan& plan = std::get<zc::compile::CompilePlan>(c);
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
  std::string source;    // the input file, as written
  std::string language;  // gcc -x name: "c", "c++", "assembler-with-cpp", "c-cpp-output"...
  bool preprocessed_input = false;  // .i/.ii/-x c-cpp-output: no -E needed
  std::string output;               // object (or .s for -S), as the compiler will write it
  bool assemble_only = false;       // -S

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
  bool dep_target_explicit = false;       // -MT/-MQ given: the .d needs no target rewrite
  std::vector<std::string> dep_key_args;  // -MD/-MMD/-MP/-MT x/-MQ x, which shape the .d

  bool split_dwarf = false;
  std::string dwo_file;
  bool coverage = false;
  std::string gcno_file;
  bool debug_info = false;  // any -g other than -g0
  // OLD=NEW of every -fdebug-prefix-map / -ffile-prefix-map, in order: they rewrite the working
  // directory gcc writes into debug info.
  std::vector<std::pair<std::string, std::string>> debug_prefix_maps;
  // OLD=NEW of every -fmacro-prefix-map / -ffile-prefix-map: they rewrite __FILE__.
  std::vector<std::pair<std::string, std::string>> macro_prefix_maps;
  bool embeds_output_path = false;  // .dwo name or .gcda path inside the object: -o and cwd matter
  ColorMode color = ColorMode::kAuto;
  bool direct_mode_ok = true;  // false for -Wp,/-Xpreprocessor forms that hide dependencies

  // Precompiled headers. `pch_output`: this compile produces one (a header language, or
  // -Xclang -emit-pch); `output` is the PCH. `pch_timestamps`: false with -Xclang
  // -fno-pch-timestamp (clang then embeds no input mtimes in it).
  bool pch_output = false;
  bool pch_timestamps = true;
  // -include files in order (a PCH beside the first may stand in for it), and PCHs named
  // explicitly (-include-pch, -Xclang -include-pch), which are also in input_files.
  std::vector<std::string> include_files;
  std::vector<std::string> explicit_pchs;

  // Files and directories named by options that the compile reads (profiles, sanitizer lists,
  // plugins, explicit PCHs, ...), as written: each goes into the key by content, in every mode.
  std::vector<std::string> input_files;

  // Output files besides the object, .d, .dwo and .gcno: -fstack-usage's .su, -fcallgraph-info's
  // .ci (named after the output), assembler listings (-Wa,-a...=file, named as written).
  struct SideFile {
    std::string name;  // the payload name in the entry: ".su", ".ci", "listing1", ...
    std::string path;  // where the compiler writes it, relative to the working directory
  };
  std::vector<SideFile> side_files;
};

using Classification = std::variant<CompilePlan, stats::Counter>;

// What the compiler driver itself decides from its name: g++ and clang++ treat .c and .h files
// as C++.
struct Driver {
  bool cxx = false;
};
// The driver behaviour of the compiler at `compiler_path` (by its name, as gcc's own driver
// decides it).
Driver DriverFor(absl::string_view compiler_path);

[[nodiscard]] Classification ClassifyArguments(const std::vector<std::string>& args,
                                               Driver driver = {});

// True for the languages of precompiled headers ("c-header", "c++-header", ...).
bool IsHeaderLanguage(absl::string_view lang);

// The language gcc infers from a file name's extension, or "" if it would not compile it.
std::string LanguageForExtension(absl::string_view path);

// Replaces the extension of `path` (after its last '/' and last '.') with `ext` (".d", ".dwo").
std::string ReplaceExtension(absl::string_view path, absl::string_view ext);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_ARGUMENTS_H_
