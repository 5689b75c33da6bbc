#include "cachecore/compile/arguments.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cachecore/compile/compiler_option.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

using stats::Counter;

bool IsSupportedLanguage(absl::string_view lang) {
  static constexpr absl::string_view kSupported[] = {
      "assembler",       "assembler-with-cpp",       "c",
      "c++",             "c++-cpp-output",           "c-cpp-output",
      "objective-c",     "objective-c++",            "objective-c++-cpp-output",
      "objective-c-cpp-output",
  };
  for (absl::string_view s : kSupported) {
    if (s == lang) return true;
  }
  return false;
}

bool IsPreprocessedLanguage(absl::string_view lang) {
  return absl::EndsWith(lang, "cpp-output") || lang == "assembler";
}

// Where each argument goes besides compile_args (which always gets it).
struct Route {
  bool hash = true;
  bool preprocess = true;
};

}  // namespace

std::string LanguageForExtension(absl::string_view path) {
  absl::string_view base = util::Basename(path);
  size_t dot = base.find_last_of('.');
  if (dot == absl::string_view::npos) return "";
  absl::string_view ext = base.substr(dot);
  static constexpr struct {
    absl::string_view ext, lang;
  } kTable[] = {
      {".C", "c++"},
      {".CPP", "c++"},
      {".M", "objective-c++"},
      {".S", "assembler-with-cpp"},
      {".c", "c"},
      {".c++", "c++"},
      {".cc", "c++"},
      {".cp", "c++"},
      {".cpp", "c++"},
      {".cxx", "c++"},
      {".i", "c-cpp-output"},
      {".ii", "c++-cpp-output"},
      {".m", "objective-c"},
      {".mi", "objective-c-cpp-output"},
      {".mii", "objective-c++-cpp-output"},
      {".mm", "objective-c++"},
      {".s", "assembler"},
      {".sx", "assembler-with-cpp"},
  };
  for (const auto& row : kTable) {
    if (row.ext == ext) return std::string(row.lang);
  }
  return "";
}

std::string ReplaceExtension(absl::string_view path, absl::string_view ext) {
  absl::string_view base = util::Basename(path);
  size_t dot = base.find_last_of('.');
  size_t cut = dot == absl::string_view::npos || dot == 0
                   ? path.size()
                   : path.size() - base.size() + dot;
  std::string out(path.substr(0, cut));
  out.append(ext.data(), ext.size());
  return out;
}

Classification ClassifyArguments(const std::vector<std::string>& args) {
  CompilePlan plan;
  bool compile = false;
  bool saw_m = false;
  bool output_given = false;
  bool profile_paths = false;
  bool wp_dep_file = false;
  std::string current_language;  // from -x, applies to inputs after it
  std::string source_language;
  int inputs = 0;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    Route route;

    if (arg.size() < 2 || arg[0] != '-') {
      // An input file (a lone "-" is standard input).
      if (arg == "-") return Counter::kStdinInput;
      if (++inputs > 1) return Counter::kMultipleSourceFiles;
      plan.source = arg;
      source_language = current_language.empty() || current_language == "none"
                            ? LanguageForExtension(arg)
                            : current_language;
      plan.compile_args.push_back(arg);
      plan.hashed_args.push_back(arg);
      plan.preprocess_args.push_back(arg);
      continue;
    }

    const CompilerOption* opt = FindOption(arg);
    bool joined = false;
    if (opt == nullptr) {
      opt = FindPrefixOption(arg);
      joined = opt != nullptr;
    }
    const uint32_t flags = opt != nullptr ? opt->flags : 0;
    std::string value;
    bool separate = false;
    if (joined) {
      value = arg.substr(opt->name.size());
    } else if (flags & kTakesArg) {
      if (i + 1 >= args.size()) return Counter::kBadCompilerArguments;
      value = args[i + 1];
      separate = true;
    }
    const absl::string_view name = opt != nullptr ? opt->name : absl::string_view(arg);

    if (flags & kTooHard) {
      return absl::StrContains(name, "save-temps") ? Counter::kSaveTemps
                                                   : Counter::kUnsupportedCompilerOption;
    }
    if (flags & kTooHardDirect) plan.direct_mode_ok = false;

    if (flags & kSpecial) {
      if (name == "-c") {
        compile = true;
        route.preprocess = false;
      } else if (name == "-S") {
        compile = true;
        plan.assemble_only = true;
        route.preprocess = false;
      } else if (name == "-E") {
        return Counter::kCalledForPreprocessing;
      } else if (name == "-M" || name == "-MM") {
        saw_m = true;
      } else if (name == "-MD" || name == "-MMD") {
        plan.dep_file_wanted = true;
        plan.dep_key_args.push_back(arg);
        route = {false, false};
      } else if (name == "-MP") {
        plan.dep_key_args.push_back(arg);
        route = {false, false};
      } else if (name == "-MF") {
        plan.dep_file = value;
        route = {false, false};
      } else if (name == "-MT" || name == "-MQ") {
        plan.dep_target_explicit = true;
        plan.dep_key_args.push_back(std::string(name));
        plan.dep_key_args.push_back(value);
        route = {false, false};
      } else if (name == "-o") {
        if (value == "-") return Counter::kOutputToStdout;
        plan.output = value;
        output_given = true;
        route = {false, false};
      } else if (name == "-x") {
        current_language = value;
      } else if (name == "-Wp,") {
        // -Wp,-MD,file and -Wp,-MMD,file ask the preprocessor for a dependency file.
        std::vector<std::string> parts = absl::StrSplit(value, ',');
        if (parts.size() == 2 && (parts[0] == "-MD" || parts[0] == "-MMD")) {
          // gcc's preprocessor names the target after the source here, clang after -o: the
          // output path goes into the key so the stored .d is restored untouched.
          plan.dep_file_wanted = true;
          plan.dep_file = parts[1];
          plan.dep_target_explicit = true;
          wp_dep_file = true;
          plan.dep_key_args.push_back("-Wp," + parts[0]);
          route = {false, false};
        } else {
          for (const std::string& p : parts) {
            if (absl::StartsWith(p, "-M")) return Counter::kUnsupportedCompilerOption;
          }
          plan.direct_mode_ok = false;
        }
      } else if (name == "-fcolor-diagnostics" || name == "-fdiagnostics-color") {
        plan.color = ColorMode::kAlways;
      } else if (name == "-fno-color-diagnostics" || name == "-fno-diagnostics-color") {
        plan.color = ColorMode::kNever;
      } else if (name == "-fdiagnostics-color=") {
        plan.color = value == "always" ? ColorMode::kAlways
                     : value == "never" ? ColorMode::kNever
                                        : ColorMode::kAuto;
      } else if (name == "-gsplit-dwarf") {
        plan.split_dwarf = true;
        plan.debug_info = true;
      } else if (name == "--coverage" || name == "-ftest-coverage") {
        plan.coverage = true;
      }
    } else if (absl::StartsWith(arg, "-g")) {
      // -g, -g3, -ggdb, -gdwarf-4, ...: the last level wins; -g0 turns debug info off.
      if (arg == "-g0" || arg == "-ggdb0") {
        plan.debug_info = false;
      } else if (!absl::StartsWith(arg, "-gno-") && arg != "-gz" && !absl::StartsWith(arg, "-gz=")) {
        plan.debug_info = true;
      }
    } else if (absl::StartsWith(arg, "-fdebug-prefix-map=") ||
               absl::StartsWith(arg, "-ffile-prefix-map=")) {
      absl::string_view map = absl::string_view(arg).substr(arg.find('=') + 1);
      const size_t eq = map.find('=');
      if (eq != absl::string_view::npos) {
        plan.debug_prefix_maps.emplace_back(std::string(map.substr(0, eq)),
                                            std::string(map.substr(eq + 1)));
      }
    } else if (arg == "-fprofile-arcs" || absl::StartsWith(arg, "-fprofile-generate") ||
               absl::StartsWith(arg, "-fprofile-instr-generate")) {
      profile_paths = true;
    }

    plan.compile_args.push_back(arg);
    if (route.hash) plan.hashed_args.push_back(arg);
    if (route.preprocess) {
      plan.preprocess_args.push_back(arg);
      plan.cpp_flags.push_back(arg);
    }
    if (separate) {
      plan.compile_args.push_back(value);
      if (route.hash) plan.hashed_args.push_back(value);
      if (route.preprocess) {
        plan.preprocess_args.push_back(value);
        plan.cpp_flags.push_back(value);
      }
      ++i;
    }
  }

  // -M/-MM without -MD imply -E, with or without -c.
  if (saw_m && !plan.dep_file_wanted) return Counter::kCalledForPreprocessing;
  if (!compile) return Counter::kCalledForLink;
  if (inputs == 0) return Counter::kNoInputFile;
  if (source_language.empty() || !IsSupportedLanguage(source_language)) {
    return Counter::kUnsupportedSourceLanguage;
  }
  plan.language = source_language;
  plan.preprocessed_input = IsPreprocessedLanguage(source_language);

  if (!output_given) {
    plan.output = ReplaceExtension(util::Basename(plan.source), plan.assemble_only ? ".s" : ".o");
  }
  if (plan.dep_file_wanted && plan.dep_file.empty()) {
    plan.dep_file = ReplaceExtension(plan.output, ".d");
  }
  if (plan.split_dwarf && !plan.assemble_only) plan.dwo_file = ReplaceExtension(plan.output, ".dwo");
  if (plan.coverage) plan.gcno_file = ReplaceExtension(plan.output, ".gcno");
  // Objects that embed their own path (.dwo name, .gcda path) depend on where they are written.
  if (plan.split_dwarf || plan.coverage || profile_paths) plan.embeds_output_path = true;
  if (plan.embeds_output_path || wp_dep_file) {
    plan.hashed_args.push_back("-o");
    plan.hashed_args.push_back(plan.output);
  }
  return plan;
}

}  // namespace zc::compile
