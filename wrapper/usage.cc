#include "wrapper/usage.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "cachecore/config/config.h"

namespace zc::wrapper {
namespace {

constexpr OptionDoc kOptions[] = {
    {"-s, --show-stats", "", "show statistics as a table",
     "Hits (direct and preprocessed), misses, every reason a call was not cached or not stored, "
     "errors, and the cache's size against its limits."},
    {"--print-stats", "[--json]", "print every counter (name<TAB>value, or JSON)",
     "One line per counter, sorted by name, for scripts. With --json, one object that also "
     "holds each remote tier's counters, circuit breaker and latencies."},
    {"-z, --zero-stats", "", "zero the statistics counters", ""},
    {"-C, --clear", "", "remove every cache entry", "Settings and statistics are kept."},
    {"-c, --cleanup", "", "bring the cache under its size and file limits",
     "Removes the least recently used entries until the cache is within max_size and "
     "max_files. Stores do this on their own, one shard at a time."},
    {"--evict-older-than", "AGE", "remove entries not used for AGE (e.g. 7d, 12h, 30m)",
     "Removes every entry that was neither stored nor hit for AGE or longer, whatever the "
     "limits: for a CI cache that should keep only recent work. AGE is a number with s, m, h "
     "or d. A hit marks its entry used at most every ten minutes, so ages under that are coarse."},
    {"-M, --max-size", "SIZE", "set max_size in the config file (e.g. 500M, 5G; 0 = none)",
     "Writes max_size to zcwrap.conf in the cache directory. A running daemon uses the new "
     "limit from its next request."},
    {"-F, --max-files", "NUMBER", "set max_files in the config file (0 = none)",
     "Writes max_files to zcwrap.conf in the cache directory, as -M does for max_size."},
    {"-o, --set-config", "KEY=VALUE", "set a setting in the config file",
     "Writes KEY = VALUE to zcwrap.conf in the cache directory, keeping its other lines; the "
     "value is checked first. cache_dir cannot be set there (use ZCWRAP_DIR)."},
    {"-k, --get-config", "KEY", "print the value of a setting", "As -p shows it."},
    {"-p, --show-config", "", "show every setting and where it came from",
     "One line per setting: its origin (default, file:LINE or the variable), name and value. "
     "Secrets in remote_storage are shown as ***."},
    {"-e, --explain", "[--json] OBJECT", "would the compile of OBJECT hit; if not, what changed",
     "Dry run: finds the compile that wrote OBJECT (recorded at store time), and says whether it "
     "would hit now, and if not which input, option, compiler or setting changed. Nothing is "
     "compiled or stored."},
    {"-e, --explain", "[--json] -- COMPILER ARGS...", "the same for this command", ""},
    {"-V, --version", "", "print the version and build id",
     "The build id identifies this build of zcwrap: a daemon started by a different build is "
     "replaced on first contact."},
    {"--daemon-start", "", "start the daemon for this cache directory", ""},
    {"--daemon-stop", "", "stop it (in-flight compiles finish first)",
     "Also waits until queued remote writes are sent."},
    {"--daemon-status", "[--json]", "pid, version, uptime, requests, memory",
     "Also the daemon's build id and each remote tier's state."},
    {"--daemon-run", "", "run the daemon in the foreground", ""},
    {"-h, --help", "", "print this help", ""},
};

// Variables that are not settings.
constexpr struct {
  absl::string_view name, description;
} kOtherVariables[] = {
    {"ZCWRAP_RUN_ID", "Copied into every audit event, to tie the events of one build together."},
    {"ZCWRAP_SESSION_ID", "Copied into every audit event."},
    {"ZCWRAP_TRACE_ID",
     "Copied into every audit event (a distributed trace the build is part of)."},
    {"ZCWRAP_PARENT_SPAN_ID", "Copied into every audit event (the caller's span in that trace)."},
    {"ZCWRAP_COMMAND_ID", "Copied into every audit event (the build tool's id for the command)."},
    {"ZCWRAP_DAEMON_READY_FD",
     "Internal: set by zcwrap for a daemon it starts, which reports on that descriptor once it "
     "listens."},
};

// Text for troff: backslashes and minus signs escaped, and no line starting with a control
// character.
std::string Troff(absl::string_view text) {
  std::string out = absl::StrReplaceAll(text, {{"\\", "\\e"}, {"-", "\\-"}});
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string HelpRow(const OptionDoc& o) {
  std::string left =
      absl::StrCat(o.names[1] == '-' ? "    " : "", o.names, o.args.empty() ? "" : " ", o.args);
  if (left.size() < 29) left.resize(29, ' ');
  return absl::StrCat("  ", left, left.size() > 29 ? "  " : " ", o.summary, "\n");
}

std::string OptionsTroff() {
  std::string out;
  for (const OptionDoc& o : kOptions) {
    absl::StrAppend(&out, ".TP\n.B ", Troff(o.names), o.args.empty() ? "" : " ",
                    o.args.empty() ? "" : absl::StrCat("\\fI", Troff(o.args), "\\fR"), "\n",
                    Troff(o.summary), ".", o.details.empty() ? "" : " ", Troff(o.details), "\n");
  }
  return out;
}

std::string ConfigurationTroff() {
  std::string out;
  for (const config::KeyDoc& k : config::KeyDocs()) {
    absl::StrAppend(&out, ".TP\n.B ", Troff(k.name), "\n", Troff(k.description), "\n.br\n",
                    "Default: ", k.default_value.empty() ? "empty" : Troff(k.default_value),
                    ". Variable: \\fB", Troff(k.env), "\\fR",
                    k.file_allowed ? "" : " (not settable in zcwrap.conf)", ".\n");
  }
  return out;
}

std::string EnvironmentTroff() {
  std::string out;
  for (const VariableDoc& v : VariableDocs()) {
    absl::StrAppend(&out, ".TP\n.B ", Troff(v.name), "\n", Troff(v.description),
                    " Default: ", v.default_value.empty() ? "unset" : Troff(v.default_value),
                    ".\n");
  }
  return out;
}

}  // namespace

absl::Span<const OptionDoc> OptionDocs() { return kOptions; }

std::vector<VariableDoc> VariableDocs() {
  std::vector<VariableDoc> vars;
  for (const config::KeyDoc& k : config::KeyDocs()) {
    vars.push_back({std::string(k.env), k.default_value,
                    absl::StrCat("Sets ", k.name, " (see CONFIGURATION).")});
  }
  for (const auto& v : kOtherVariables) {
    vars.push_back({std::string(v.name), "", std::string(v.description)});
  }
  return vars;
}

std::string UsageText() {
  std::string out =
      "Usage:\n"
      "  zcwrap COMPILER [ARGS...]     compile through the cache\n"
      "  COMPILER [ARGS...]            the same, via a symlink named after the compiler\n"
      "  zcwrap OPTION\n"
      "\n"
      "Options:\n";
  for (const OptionDoc& o : kOptions) out += HelpRow(o);
  out +=
      "\n"
      "Settings come from ZCWRAP_* variables, then <cache dir>/zcwrap.conf, then defaults:\n"
      "zcwrap -p shows them; man zcwrap describes every one.\n";
  return out;
}

absl::StatusOr<std::string> ManPage(absl::string_view source, absl::string_view version) {
  for (absl::string_view placeholder :
       {"@VERSION@", "@OPTIONS@", "@CONFIGURATION@", "@ENVIRONMENT@"}) {
    if (source.find(placeholder) == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("man page source has no ", placeholder, " placeholder"));
    }
  }
  return absl::StrReplaceAll(source, {{"@VERSION@", version},
                                      {"@OPTIONS@", OptionsTroff()},
                                      {"@CONFIGURATION@", ConfigurationTroff()},
                                      {"@ENVIRONMENT@", EnvironmentTroff()}});
}

}  // namespace zc::wrapper
