#include "wrapper/zcwrap_main.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/audit/compile_events.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/config/config.h"
#include "cachecore/stats/stats_file.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"
#include "cachecore/util/scoped_fd.h"
#include "wrapper/compiler_lookup.h"
#include "wrapper/daemon_commands.h"
#include "wrapper/explain_command.h"
#include "wrapper/management.h"
#include "wrapper/usage.h"
#include "wrapper/working_directory.h"

namespace zc::wrapper {
namespace {

void WriteFd(int fd, absl::string_view data) { (void)util::WriteAll(fd, data); }

// The audit events of a call that never reaches the engine (cache disabled, compiler not found,
// unreadable settings): compile.started and compile.finished, as the engine would write them.
// `config` may be null (the settings could not be read): the environment names the file then.
void AuditUncached(const config::Config* config, const std::vector<std::string>& argv,
                   const std::string& cwd, absl::string_view outcome, stats::Counter reason,
                   std::optional<int> exit_code) {
  const config::EnvLookup env = config::ProcessEnv();
  std::string file = config != nullptr ? config->audit_file : env("ZCWRAP_AUDIT_FILE").value_or("");
  std::string mode_name =
      config != nullptr ? config->audit_mode : env("ZCWRAP_AUDIT_MODE").value_or("normal");
  std::optional<audit::Mode> mode = audit::ParseMode(mode_name);
  if (file.empty() || !mode || *mode == audit::Mode::kOff) return;
  absl::StatusOr<std::unique_ptr<audit::EventLog>> log =
      audit::EventLog::Open(util::JoinPath(cwd, file));
  if (!log.ok()) return;
  audit::CompileEvents events(log->get(), *mode, audit::ContextFromEnv(env), nullptr, "zcwrap");
  compile::AuditUncached(events, argv, cwd, outcome, reason, exit_code);
}

// One line in the log file (if any) for a call the engine never saw.
void LogUncached(const config::Config& config, const std::vector<std::string>& argv,
                 const std::string& cwd, absl::string_view why) {
  if (config.log_file.empty()) return;
  util::ScopedFd fd(
      ::open(config.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (!fd.valid()) return;
  (void)util::WriteAll(fd.get(), absl::StrCat("zcwrap[", ::getpid(), "] passthrough ", why, " cwd=",
                                              cwd, " argv=", absl::StrJoin(argv, " "), "\n"));
}

// Runs the real compiler in place of this process. Only returns (with an exit code) if it cannot.
int ExecCompiler(const std::vector<std::string>& argv);

// Counts a call the engine never saw (why it ran plainly) in the cache's stats file, when the
// cache directory can be opened: every call that is not cached has its counter.
void CountUncached(const config::Config& config, stats::Counter reason) {
  (void)util::CreateDirectories(config.cache_dir);
  if (absl::StatusOr<std::unique_ptr<stats::StatsFile>> stats =
          stats::StatsFile::Open(util::JoinPath(config.cache_dir, "stats"));
      stats.ok()) {
    (*stats)->Increment(reason);
  }
}

// A setting is invalid: the compile runs uncached and untouched, and the reason goes where
// zcwrap's own messages go (the bad_config counter, the log, the audit: whatever of them the
// valid settings name), never into the compile's output. `zcwrap -p` and `-s` say it in a line.
int CompileWithBadConfig(const std::vector<std::string>& argv, const std::string& cwd) {
  absl::Status bad;
  absl::StatusOr<config::Config> config =
      config::LoadConfigKeepingGoing(config::ProcessEnv(), &bad);
  if (!config.ok()) {
    AuditUncached(nullptr, argv, cwd, "error", stats::Counter::kBadConfig, std::nullopt);
    return ExecCompiler(argv);
  }
  CountUncached(*config, stats::Counter::kBadConfig);
  LogUncached(*config, argv, cwd, absl::StrCat("bad_config: ", bad.message()));
  AuditUncached(&*config, argv, cwd, "error", stats::Counter::kBadConfig, std::nullopt);
  return ExecCompiler(argv);
}

int ExecCompiler(const std::vector<std::string>& argv) {
  absl::Status st = util::ExecReplacingProcess(argv);
  WriteFd(2, absl::StrCat("zcwrap: ", st.message(), "\n"));
  return 127;
}

int Compile(std::vector<std::string> argv) {
  // argv[0] is the resolved compiler. Anything that goes wrong from here runs it untouched.
  const std::string cwd = CompileDirectory();
  absl::StatusOr<config::Config> config = config::LoadConfig(config::ProcessEnv());
  if (!config.ok()) return CompileWithBadConfig(argv, cwd);
  if (config->disable) {
    AuditUncached(&*config, argv, cwd, "uncacheable", stats::Counter::kDisabled, std::nullopt);
    return ExecCompiler(argv);
  }

  const bool stderr_is_tty = ::isatty(2) == 1;
  // Why the daemon could not take this compile: counted, logged and audited by the in-process
  // engine, never written into the compile's output.
  std::string fallback_note;
  if (config->daemon != "off") {
    // The daemon does the lookup and restores outputs itself; this process only relays.
    absl::StatusOr<daemon::CompileResponseMessage> r =
        CompileThroughDaemon(*config, argv, cwd, stderr_is_tty);
    if (r.ok()) {
      if (daemon::FromWire(r->outcome) == compile::Outcome::kPassthrough) {
        return ExecCompiler(argv);
      }
      WriteFd(1, r->stdout_data);
      WriteFd(2, r->stderr_data);
      return r->exit_code;
    }
    fallback_note = absl::StrCat("daemon unavailable (", r.status().message(), ")");
  }

  // Deliberately never destroyed (but reachable from a global, so leak checkers stay quiet): the
  // process ends right after, and exit() reclaims the mappings and memory faster than unmapping
  // and freeing them one by one.
  static util::PosixProcessRunner runner;
  static compile::Engine* engine = nullptr;
  absl::StatusOr<std::unique_ptr<compile::Engine>> opened =
      compile::OpenEngine(*config, &runner, /*memory_cache_bytes=*/0);
  if (!opened.ok()) {
    // No cache to count in: the log and the audit say why the compiler ran plainly.
    LogUncached(*config, argv, cwd,
                absl::StrCat(fallback_note.empty() ? "" : fallback_note + "; ",
                             "cannot open the cache: ", opened.status().message()));
    AuditUncached(&*config, argv, cwd, "error", stats::Counter::kInternalError, std::nullopt);
    return ExecCompiler(argv);
  }
  engine = opened->release();
  compile::CompileRequest request;
  request.argv = argv;
  request.cwd = cwd;
  request.stderr_is_tty = stderr_is_tty;
  request.fallback_note = std::move(fallback_note);
  compile::CompileResult result = engine->Compile(request);
  if (result.outcome == compile::Outcome::kPassthrough) return ExecCompiler(argv);
  WriteFd(1, result.stdout_data);
  WriteFd(2, result.stderr_data);
  return result.exit_code;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string self = SelfExecutable();
  const char* path_env = std::getenv("PATH");
  const absl::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";

  std::string compiler_name;
  if (argc > 0 && !CalledAsZcwrap(argv[0])) {
    compiler_name = std::string(util::Basename(argv[0]));  // masquerade: we are called "gcc"
  } else {
    if (args.empty()) {
      WriteFd(2, UsageText());
      return 2;
    }
    if (args[0].size() > 1 && args[0][0] == '-') {
      std::string out, err;
      int code = IsDaemonCommand(args[0]) ? RunDaemonCommand(args, config::ProcessEnv(), &out, &err)
                 : IsExplainCommand(args[0])
                     ? RunExplain(args, config::ProcessEnv(), path, self, &out, &err)
                     : RunManagement(args, config::ProcessEnv(), &out, &err);
      WriteFd(1, out);
      WriteFd(2, err);
      return code;
    }
    // `zcwrap zcwrap gcc ...`: skip any leading words that are zcwrap itself.
    while (!args.empty() && (CalledAsZcwrap(args[0]) || IsSelf(args[0], self))) {
      args.erase(args.begin());
    }
    if (args.empty()) {
      WriteFd(2, "zcwrap: no compiler given (see zcwrap --help)\n");
      return 2;
    }
    compiler_name = args[0];
    args.erase(args.begin());
  }

  absl::StatusOr<std::string> compiler = FindCompiler(compiler_name, path, self);
  if (!compiler.ok()) {
    WriteFd(2, absl::StrCat("zcwrap: ", compiler.status().message(), "\n"));
    absl::StatusOr<config::Config> config = config::LoadConfig(config::ProcessEnv());
    if (config.ok()) CountUncached(*config, stats::Counter::kCouldNotFindCompiler);
    std::vector<std::string> call = {compiler_name};
    call.insert(call.end(), args.begin(), args.end());
    AuditUncached(config.ok() ? &*config : nullptr, call, CompileDirectory(), "error",
                  stats::Counter::kCouldNotFindCompiler, 127);
    return 127;
  }
  std::vector<std::string> compile_argv;
  compile_argv.reserve(args.size() + 1);
  compile_argv.push_back(*compiler);
  compile_argv.insert(compile_argv.end(), args.begin(), args.end());
  try {
    return Compile(compile_argv);
  } catch (const std::exception&) {
    return ExecCompiler(compile_argv);
  }
}

}  // namespace

int ZcwrapMain(int argc, char** argv) { return Main(argc, argv); }

}  // namespace zc::wrapper
