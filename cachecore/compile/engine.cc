#include "cachecore/compile/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/response_file.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::compile {
namespace {

using stats::Counter;
using store::PayloadKind;

constexpr absl::string_view kColorFlag = "-fdiagnostics-color=always";

// The value of `name` in an environment given as NAME=value strings, or in this process's.
class EnvView {
 public:
  explicit EnvView(const std::optional<std::vector<std::string>>& env) {
    if (!env) return;
    explicit_ = true;
    for (const std::string& kv : *env) {
      size_t eq = kv.find('=');
      if (eq != std::string::npos) values_[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  std::optional<std::string> Get(absl::string_view name) const {
    if (!explicit_) {
      const char* v = std::getenv(std::string(name).c_str());
      return v == nullptr ? std::nullopt : std::optional<std::string>(v);
    }
    auto it = values_.find(name);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

 private:
  bool explicit_ = false;
  absl::flat_hash_map<std::string, std::string> values_;
};

// Reads a compiler output. NotFound if missing; FailedPrecondition if it is not a regular file
// (e.g. -o /dev/null), which must never be stored: its "content" is not what a real file gets.
absl::StatusOr<std::string> ReadOutput(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return util::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  return util::ReadFileToString(path);
}

// Writes a restored output: atomically for files, in place for devices such as /dev/null.
absl::Status WriteOutput(const std::string& path, absl::string_view data) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    util::ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return util::ErrnoToStatus(errno, path);
    return util::Annotate(util::WriteAll(fd.get(), data), path);
  }
  return util::WriteFileAtomically(path, data);
}

}  // namespace

struct Engine::Context {
  const CompileRequest* request = nullptr;
  CompilePlan plan;
  EnvView env{std::nullopt};
  std::vector<std::string> compile_argv;
  store::Key key;
};

Engine::Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
               util::ProcessRunner* runner)
    : config_(std::move(config)), store_(std::move(store)), runner_(runner) {}

CompileResult Engine::Passthrough(Counter reason) {
  store_->stats().Increment(reason);
  CompileResult r;
  r.outcome = Outcome::kPassthrough;
  r.reason = reason;
  return r;
}

CompileResult Engine::Compile(const CompileRequest& request) {
  CompileResult result;
  try {
    result = CompileOrThrow(request);
  } catch (const std::exception&) {
    result = Passthrough(Counter::kInternalError);
  }
  store_->stats().Touch();
  Log(request, result);
  return result;
}

CompileResult Engine::CompileOrThrow(const CompileRequest& request) {
  if (config_.disable) return Passthrough(Counter::kDisabled);
  if (request.argv.empty()) return Passthrough(Counter::kBadCompilerArguments);

  Context ctx;
  ctx.request = &request;
  ctx.env = EnvView(request.env);

  // Classify.
  absl::StatusOr<std::vector<std::string>> args = ExpandResponseFiles(
      std::vector<std::string>(request.argv.begin() + 1, request.argv.end()), request.cwd);
  if (!args.ok()) return Passthrough(Counter::kBadCompilerArguments);
  Classification classified = ClassifyArguments(*args);
  if (const Counter* reason = std::get_if<Counter>(&classified)) return Passthrough(*reason);
  ctx.plan = std::move(std::get<CompilePlan>(classified));
  const CompilePlan& plan = ctx.plan;

  absl::StatusOr<util::Digest> compiler_id =
      CompilerIdentity(request.argv[0], util::JoinPath(config_.cache_dir, "compilers"));
  if (!compiler_id.ok()) return Passthrough(Counter::kCouldNotFindCompiler);

  bool color = plan.color == ColorMode::kAlways;
  if (plan.color == ColorMode::kAuto && request.stderr_is_tty) {
    std::optional<std::string> term = ctx.env.Get("TERM");
    color = !(term && *term == "dumb");
  }
  ctx.compile_argv.reserve(plan.compile_args.size() + 2);
  ctx.compile_argv.push_back(request.argv[0]);
  ctx.compile_argv.insert(ctx.compile_argv.end(), plan.compile_args.begin(),
                          plan.compile_args.end());
  // Captured stderr is a pipe, so the compiler would drop the colours a terminal would get.
  if (plan.color == ColorMode::kAuto && color) ctx.compile_argv.emplace_back(kColorFlag);

  // Key: the preprocessed source, or the source itself when it is already preprocessed.
  std::string preprocessed, cpp_stderr;
  if (plan.preprocessed_input) {
    absl::StatusOr<std::string> text =
        util::ReadFileToString(util::JoinPath(request.cwd, plan.source));
    if (!text.ok()) return Passthrough(Counter::kBadCompilerArguments);
    preprocessed = std::move(*text);
  } else {
    util::Command cpp;
    cpp.argv.push_back(request.argv[0]);
    cpp.argv.insert(cpp.argv.end(), plan.preprocess_args.begin(), plan.preprocess_args.end());
    cpp.argv.push_back("-E");
    cpp.cwd = request.cwd;
    cpp.env = request.env;
    absl::StatusOr<util::ProcessResult> ran = runner_->Run(cpp);
    if (!ran.ok()) return Passthrough(Counter::kCouldNotFindCompiler);
    if (ran->exit_code != 0) return Passthrough(Counter::kPreprocessorError);
    preprocessed = std::move(ran->stdout_data);
    cpp_stderr = std::move(ran->stderr_data);
  }
  KeyInputs key_inputs;
  key_inputs.plan = &plan;
  key_inputs.compiler_id = *compiler_id;
  key_inputs.compiler_name = util::Basename(request.argv[0]);
  key_inputs.cwd = request.cwd;
  key_inputs.color = color;
  key_inputs.env = [&ctx](absl::string_view name) { return ctx.env.Get(name); };
  key_inputs.preprocessed = preprocessed;
  key_inputs.preprocessor_stderr = cpp_stderr;
  ctx.key = PreprocessorModeKey(key_inputs);

  if (config_.recache) {
    store_->stats().Increment(Counter::kRecache);
  } else if (std::optional<CompileResult> hit = Lookup(ctx)) {
    return std::move(*hit);
  }
  return RunAndStore(ctx);
}

std::optional<CompileResult> Engine::Lookup(Context& ctx) {
  absl::StatusOr<std::optional<store::Entry>> got = store_->Get(ctx.key, store::EntryType::kResult);
  if (!got.ok() || !got->has_value()) return std::nullopt;  // corrupt entries were counted
  CompileResult result;
  absl::Status restored = Restore(ctx, **got, &result);
  if (!restored.ok()) return std::nullopt;  // compile instead; the compiler reports real problems
  result.outcome = Outcome::kHit;
  result.reason = Counter::kPreprocessedCacheHit;
  result.key_hex = ctx.key.ToHex();
  store_->stats().Increment(Counter::kPreprocessedCacheHit);
  return result;
}

absl::Status Engine::Restore(const Context& ctx, const store::Entry& entry,
                             CompileResult* result) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  const store::Payload* object = entry.Find(PayloadKind::kObject);
  std::optional<int32_t> exit_code = entry.ExitCode();
  if (object == nullptr || !exit_code) return absl::DataLossError("entry lacks object or exit code");

  // Prepare everything before writing anything, so a bad entry leaves no partial outputs.
  std::string dep;
  if (plan.dep_file_wanted) {
    const store::Payload* d = entry.Find(PayloadKind::kDependency);
    const store::Payload* meta = entry.Find(PayloadKind::kMetadata);
    if (d == nullptr || meta == nullptr || !absl::StartsWith(meta->data, "output=")) {
      return absl::DataLossError("entry lacks the dependency file");
    }
    if (plan.dep_target_explicit) {
      dep = d->data;
    } else {
      absl::string_view stored_output = absl::string_view(meta->data).substr(7);
      if (absl::EndsWith(stored_output, "\n")) stored_output.remove_suffix(1);
      std::optional<std::string> rewritten = RewriteDepTarget(d->data, stored_output, plan.output);
      if (!rewritten) return absl::DataLossError("unexpected dependency file target");
      dep = std::move(*rewritten);
    }
  }

  absl::Status st;
  if (const store::Payload* dwo = entry.Find(PayloadKind::kSplitDwarf); dwo && !plan.dwo_file.empty()) {
    st = WriteOutput(util::JoinPath(cwd, plan.dwo_file), dwo->data);
    if (!st.ok()) return st;
  }
  if (const store::Payload* gcno = entry.Find(PayloadKind::kCoverageNotes);
      gcno && !plan.gcno_file.empty()) {
    st = WriteOutput(util::JoinPath(cwd, plan.gcno_file), gcno->data);
    if (!st.ok()) return st;
  }
  if (plan.dep_file_wanted) {
    st = WriteOutput(util::JoinPath(cwd, plan.dep_file), dep);
    if (!st.ok()) return st;
  }
  st = WriteOutput(util::JoinPath(cwd, plan.output), object->data);
  if (!st.ok()) return st;

  if (const store::Payload* out = entry.Find(PayloadKind::kStdout)) result->stdout_data = out->data;
  if (const store::Payload* err = entry.Find(PayloadKind::kStderr)) result->stderr_data = err->data;
  result->exit_code = *exit_code;
  return absl::OkStatus();
}

CompileResult Engine::RunAndStore(Context& ctx) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  util::Command cmd;
  cmd.argv = ctx.compile_argv;
  cmd.cwd = cwd;
  cmd.env = ctx.request->env;
  absl::StatusOr<util::ProcessResult> ran = runner_->Run(cmd);
  if (!ran.ok()) return Passthrough(Counter::kCouldNotFindCompiler);

  CompileResult result;
  result.outcome = Outcome::kMiss;
  result.exit_code = ran->exit_code;
  result.stdout_data = std::move(ran->stdout_data);
  result.stderr_data = std::move(ran->stderr_data);
  result.key_hex = ctx.key.ToHex();
  stats::StatsFile& stats = store_->stats();
  if (ran->exit_code != 0) {
    result.reason = Counter::kCompileFailed;
    stats.Increment(Counter::kCompileFailed);
    return result;
  }
  result.reason = Counter::kCacheMiss;
  stats.Increment(Counter::kCacheMiss);
  stats.Increment(Counter::kPreprocessedCacheMiss);

  store::Entry entry;
  entry.type = store::EntryType::kResult;
  absl::StatusOr<std::string> object = ReadOutput(util::JoinPath(cwd, plan.output));
  if (!object.ok()) {
    stats.Increment(Counter::kCompilerProducedNoOutput);
    return result;
  }
  entry.Add(PayloadKind::kObject, std::move(*object));
  if (plan.dep_file_wanted) {
    absl::StatusOr<std::string> dep = ReadOutput(util::JoinPath(cwd, plan.dep_file));
    if (!dep.ok()) return result;  // e.g. -MF /dev/null: correct output, just not cacheable
    entry.Add(PayloadKind::kDependency, std::move(*dep));
  }
  if (!plan.dwo_file.empty()) {
    absl::StatusOr<std::string> dwo = ReadOutput(util::JoinPath(cwd, plan.dwo_file));
    if (dwo.ok()) entry.Add(PayloadKind::kSplitDwarf, std::move(*dwo));
  }
  if (!plan.gcno_file.empty()) {
    absl::StatusOr<std::string> gcno = ReadOutput(util::JoinPath(cwd, plan.gcno_file));
    if (gcno.ok()) entry.Add(PayloadKind::kCoverageNotes, std::move(*gcno));
  }
  entry.Add(PayloadKind::kStdout, result.stdout_data);
  entry.Add(PayloadKind::kStderr, result.stderr_data);
  entry.Add(PayloadKind::kMetadata, absl::StrCat("output=", plan.output, "\n"));
  entry.SetExitCode(0);

  if (config_.readonly) {
    stats.Increment(Counter::kReadonlyMiss);
    return result;
  }
  // A failed store costs a future hit, never this build.
  (void)store_->Put(ctx.key, entry);
  return result;
}

void Engine::Log(const CompileRequest& request, const CompileResult& result) {
  if (config_.log_file.empty()) return;
  const char* outcome = result.outcome == Outcome::kHit    ? "hit"
                        : result.outcome == Outcome::kMiss ? "miss"
                                                           : "passthrough";
  std::string line = absl::StrCat("zcwrap[", ::getpid(), "] ", outcome, " ",
                                  stats::CounterName(result.reason), " key=",
                                  result.key_hex.empty() ? "-" : result.key_hex, " cwd=",
                                  request.cwd, " argv=", absl::StrJoin(request.argv, " "), "\n");
  util::ScopedFd fd(::open(config_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (fd.valid()) (void)util::WriteAll(fd.get(), line);
}

}  // namespace zc::compile
