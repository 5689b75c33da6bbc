#include "cachecore/compile/arguments.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/compile/compiler_option.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

using stats::Counter;

bool IsSupportedLanguage(absl::string_view lang) {
  static constexpr absl::string_view kSupported[] = {
      "assembler",
      "assembler-with-cpp",
      "c",
      "c++",
      "c++-cpp-output",
      "c++-header",
      "c-cpp-output",
      "c-header",
      "objective-c",
      "objective-c++",
      "objective-c++-cpp-output",
      "objective-c++-header",
      "objective-c-cpp-output",
      "objective-c-header",
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

// The C++ driver's reading of a language gcc infers from an extension.
std::string ForDriver(std::string lang, Driver driver) {
  if (!driver.cxx) return lang;
  if (lang == "c") return "c++";
  if (lang == "c-header") return "c++-header";
  if (lang == "c-cpp-output") return "c++-cpp-output";
  return lang;
}

// gas options (one -Wa, item or -Xassembler value) that write a file: listings (-a[cdghlmns]
// [=file], stored when they go to a file) and dependency output (--MD: not cacheable).
enum class AsOption { kOther, kListing, kUncacheable };
AsOption ClassifyAssemblerOption(absl::string_view opt, std::string* listing_path) {
  if (absl::StartsWith(opt, "--MD") || absl::StartsWith(opt, "--statistics")) {
    return AsOption::kUncacheable;
  }
  if (opt.size() < 2 || opt[0] != '-' || opt[1] != 'a') return AsOption::kOther;
  // -a, -al, -adhln=file, ... : every letter after -a is a listing flag.
  size_t i = 2;
  while (i < opt.size() && absl::string_view("cdghlmns").find(opt[i]) != absl::string_view::npos) {
    ++i;
  }
  if (i == opt.size()) return AsOption::kListing;  // to standard output, which is stored
  if (opt[i] != '=') return AsOption::kOther;      // some other -a... option (e.g. --alternate)
  *listing_path = std::string(opt.substr(i + 1));
  return listing_path->empty() ? AsOption::kUncacheable : AsOption::kListing;
}

// -Xclang values (cc1 options) that make clang write files zcwrap does not know about.
bool IsUncacheableCc1Option(absl::string_view opt) {
  static constexpr absl::string_view kWriters[] = {
      "-coverage-data-file", "-coverage-notes-file", "-dependency-dot",   "-dependency-file",
      "-emit-module",        "-header-include-file", "-module-file-info", "-opt-record-file",
      "-split-dwarf-output", "-stats-file",          "-ftime-trace",      "-fmodules",
  };
  for (absl::string_view w : kWriters) {
    if (absl::StartsWith(opt, w)) return true;
  }
  return false;
}

}  // namespace

Driver DriverFor(absl::string_view compiler_path) {
  return Driver{absl::StrContains(util::Basename(compiler_path), "++")};
}

bool IsHeaderLanguage(absl::string_view lang) { return absl::EndsWith(lang, "-header"); }

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
      {".H", "c++-header"},
      {".HPP", "c++-header"},
      {".M", "objective-c++"},
      {".S", "assembler-with-cpp"},
      {".c", "c"},
      {".c++", "c++"},
      {".cc", "c++"},
      {".cp", "c++"},
      {".cpp", "c++"},
      {".cxx", "c++"},
      {".h", "c-header"},
      {".h++", "c++-header"},
      {".hh", "c++-header"},
      {".hp", "c++-header"},
      {".hpp", "c++-header"},
      {".hxx", "c++-header"},
      {".i", "c-cpp-output"},
      {".ii", "c++-cpp-output"},
      {".m", "objective-c"},
      {".mi", "objective-c-cpp-output"},
      {".mii", "objective-c++-cpp-output"},
      {".mm", "objective-c++"},
      {".s", "assembler"},
      {".sx", "assembler-with-cpp"},
      {".tcc", "c++-header"},
  };
  for (const auto& row : kTable) {
    if (row.ext == ext) return std::string(row.lang);
  }
  return "";
}

std::string ReplaceExtension(absl::string_view path, absl::string_view ext) {
  absl::string_view base = util::Basename(path);
  size_t dot = base.find_last_of('.');
  size_t cut =
      dot == absl::string_view::npos || dot == 0 ? path.size() : path.size() - base.size() + dot;
  std::string out(path.substr(0, cut));
  out.append(ext.data(), ext.size());
  return out;
}

Classification ClassifyArguments(const std::vector<std::string>& args, Driver driver) {
  CompilePlan plan;
  bool compile = false;
  bool saw_m = false;
  bool output_given = false;
  bool dep_file_given = false;
  bool profile_paths = false;
  bool wp_dep_file = false;
  bool profile_use = false;          // any -fprofile-use form
  bool profile_use_default = false;  // -fprofile-use without a path
  std::string profile_dir;           // -fprofile-dir=
  std::vector<std::string> listings;
  // The next -Xclang value is the argument of a cc1 option: "-include-pch" or "-load".
  std::string xclang_pending;
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
                            ? ForDriver(LanguageForExtension(arg), driver)
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
    // Files the compile reads by option: into the key by content. Options with defaults or
    // conditions (a path that must be absolute, ...) are handled below with kSpecial.
    if ((flags & kInputFile) && !(flags & kSpecial)) plan.input_files.push_back(value);
    if (opt != nullptr && !opt->side_suffix.empty()) {
      plan.side_files.push_back({std::string(opt->side_suffix), ""});  // path set at the end
    }

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
        dep_file_given = true;
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
          dep_file_given = true;
          wp_dep_file = true;
          plan.dep_key_args.push_back("-Wp," + parts[0]);
          route = {false, false};
        } else {
          for (const std::string& p : parts) {
            if (absl::StartsWith(p, "-M")) return Counter::kUnsupportedCompilerOption;
          }
          plan.direct_mode_ok = false;
        }
      } else if (name == "-Wa," || name == "-Xassembler") {
        // The assembler's own options; a listing file is one more output.
        std::vector<std::string> parts =
            name == "-Wa," ? absl::StrSplit(value, ',') : std::vector<std::string>{value};
        for (const std::string& p : parts) {
          std::string listing;
          switch (ClassifyAssemblerOption(p, &listing)) {
            case AsOption::kUncacheable: return Counter::kUnsupportedCompilerOption;
            case AsOption::kListing:
              if (!listing.empty()) listings.push_back(std::move(listing));
              break;
            case AsOption::kOther: break;
          }
        }
      } else if (name == "-Xclang") {
        if (!xclang_pending.empty()) {
          // The argument of the previous -Xclang option.
          if (xclang_pending == "-include-pch") plan.explicit_pchs.push_back(value);
          if (xclang_pending == "-include-pch" || xclang_pending == "-load") {
            plan.input_files.push_back(value);
          }
          xclang_pending.clear();
        } else if (value == "-include-pch" || value == "-load") {
          xclang_pending = value;
        } else if (value == "-emit-pch") {
          plan.pch_output = true;
        } else if (value == "-fno-pch-timestamp") {
          plan.pch_timestamps = false;
        } else if (IsUncacheableCc1Option(value)) {
          return Counter::kUnsupportedCompilerOption;
        }
      } else if (name == "-include") {
        plan.include_files.push_back(value);
      } else if (name == "-include-pch") {
        plan.explicit_pchs.push_back(value);
        plan.input_files.push_back(value);
      } else if (name == "--specs" || name == "--specs=" || name == "-specs" || name == "-specs=") {
        // gcc looks a relative specs file up in its own directories first: only an absolute
        // path names the file read for sure.
        if (!absl::StartsWith(value, "/")) return Counter::kUnsupportedCompilerOption;
        plan.input_files.push_back(value);
      } else if (name == "-fplugin=") {
        // A bare name is looked up in the compiler's plugin directory.
        if (!absl::StrContains(value, '/')) return Counter::kUnsupportedCompilerOption;
        plan.input_files.push_back(value);
      } else if (name == "-fprofile-use" || name == "-fprofile-use=") {
        // Its warnings name the profile by absolute path: the directory matters.
        profile_use = true;
        profile_paths = true;
        if (value.empty()) {
          profile_use_default = true;
        } else {
          plan.input_files.push_back(value);
        }
      } else if (name == "-fprofile-instr-use") {
        plan.input_files.push_back("default.profdata");
      } else if (name == "-fauto-profile") {
        plan.input_files.push_back("fbdata.afdo");
      } else if (name == "-fprofile-dir=") {
        profile_dir = value;
        profile_paths = true;
      } else if (name == "-fopt-info") {
        // -fopt-info[-options][=file]: to a file is an output zcwrap does not keep.
        if (absl::StrContains(value, '=')) return Counter::kUnsupportedCompilerOption;
      } else if (name == "-fdiagnostics-format=") {
        if (absl::EndsWith(value, "-file")) return Counter::kUnsupportedCompilerOption;
      } else if (name == "-fcolor-diagnostics" || name == "-fdiagnostics-color") {
        plan.color = ColorMode::kAlways;
      } else if (name == "-fno-color-diagnostics" || name == "-fno-diagnostics-color") {
        plan.color = ColorMode::kNever;
      } else if (name == "-fdiagnostics-color=") {
        plan.color = value == "always"  ? ColorMode::kAlways
                     : value == "never" ? ColorMode::kNever
                                        : ColorMode::kAuto;
      } else if (name == "-gsplit-dwarf" || name == "-gsplit-dwarf=") {
        // clang's -gsplit-dwarf=single keeps the DWARF in the object: no .dwo.
        plan.split_dwarf = value != "single";
        plan.debug_info = true;
      } else if (name == "-g") {
        // -g, -g3, -ggdb, -gdwarf-4, ...: the last level wins; -g0 turns debug info off.
        if (arg == "-g0" || arg == "-ggdb0") {
          plan.debug_info = false;
        } else if (!absl::StartsWith(arg, "-gno-") && arg != "-gz" &&
                   !absl::StartsWith(arg, "-gz=")) {
          plan.debug_info = true;
        }
      } else if (name == "-fdebug-prefix-map=" || name == "-ffile-prefix-map=" ||
                 name == "-fmacro-prefix-map=") {
        // -ffile-prefix-map is both of the others.
        const size_t eq = value.find('=');
        if (eq != std::string::npos) {
          std::pair<std::string, std::string> map(value.substr(0, eq), value.substr(eq + 1));
          if (name != "-fdebug-prefix-map=") plan.macro_prefix_maps.push_back(map);
          if (name != "-fmacro-prefix-map=") plan.debug_prefix_maps.push_back(std::move(map));
        }
      } else if (name == "-fprofile-arcs" || absl::StartsWith(name, "-fprofile-generate") ||
                 absl::StartsWith(name, "-fprofile-instr-generate")) {
        profile_paths = true;  // the object holds where its profile will be written
      } else if (name == "--coverage" || name == "-ftest-coverage") {
        plan.coverage = true;
      }
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
  if (!xclang_pending.empty()) return Counter::kBadCompilerArguments;

  // -M/-MM without -MD imply -E, with or without -c.
  if (saw_m && !plan.dep_file_wanted) return Counter::kCalledForPreprocessing;
  if (inputs == 0) return compile ? Counter::kNoInputFile : Counter::kCalledForLink;
  if (source_language.empty() || !IsSupportedLanguage(source_language)) {
    return compile ? Counter::kUnsupportedSourceLanguage : Counter::kCalledForLink;
  }
  plan.language = source_language;
  plan.preprocessed_input = IsPreprocessedLanguage(source_language);
  // A header compiles into a precompiled header, with or without -c.
  if (IsHeaderLanguage(source_language)) {
    if (plan.assemble_only) return Counter::kUnsupportedSourceLanguage;
    plan.pch_output = true;
    compile = true;
  }
  if (!compile) return Counter::kCalledForLink;

  if (!output_given) {
    plan.output = plan.pch_output ? plan.source + ".gch"
                                  : ReplaceExtension(util::Basename(plan.source),
                                                     plan.assemble_only ? ".s" : ".o");
  }
  if (plan.pch_output) {
    // Side files of a PCH compile are named by rules of their own ("a-" prefixes without -c,
    // the source's name without -o): not worth guessing.
    if (plan.split_dwarf || plan.coverage || !plan.side_files.empty() || !listings.empty() ||
        (plan.dep_file_wanted && !dep_file_given && !output_given)) {
      return Counter::kUnsupportedCompilerOption;
    }
  }
  if (plan.dep_file_wanted && plan.dep_file.empty()) {
    plan.dep_file = ReplaceExtension(plan.output, ".d");
  }
  if (plan.split_dwarf && !plan.assemble_only)
    plan.dwo_file = ReplaceExtension(plan.output, ".dwo");
  if (plan.coverage) plan.gcno_file = ReplaceExtension(plan.output, ".gcno");
  for (CompilePlan::SideFile& side : plan.side_files) {
    side.path = ReplaceExtension(plan.output, side.name);
  }
  for (size_t n = 0; n < listings.size(); ++n) {
    plan.side_files.push_back({absl::StrCat("listing", n + 1), std::move(listings[n])});
  }
  if (profile_use_default) {
    // gcc reads <output base>.gcda (or from -fprofile-dir), clang default.profdata.
    plan.input_files.push_back(profile_dir.empty() ? ReplaceExtension(plan.output, ".gcda")
                                                   : profile_dir);
    plan.input_files.push_back("default.profdata");
  } else if (profile_use && !profile_dir.empty()) {
    plan.input_files.push_back(profile_dir);
  }
  // Objects that embed their own path (.dwo name, .gcda path) depend on where they are written,
  // and so do PCHs (which name their inputs).
  if (plan.split_dwarf || plan.coverage || profile_paths || plan.pch_output) {
    plan.embeds_output_path = true;
  }
  if (plan.embeds_output_path || wp_dep_file) {
    plan.hashed_args.push_back("-o");
    plan.hashed_args.push_back(plan.output);
  }
  return plan;
}

}  // namespace zc::compile
