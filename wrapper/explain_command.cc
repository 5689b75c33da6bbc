#include "wrapper/explain_command.h"

#include "absl/strings/str_cat.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/explain.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"
#include "wrapper/compiler_lookup.h"
#include "wrapper/working_directory.h"

namespace zc::wrapper {

bool IsExplainCommand(absl::string_view option) { return option == "-e" || option == "--explain"; }

int RunExplain(const std::vector<std::string>& args, const config::EnvLookup& env,
               absl::string_view path_env, const std::string& self, std::string* out,
               std::string* err) {
  auto usage_error = [&](absl::string_view message) {
    absl::StrAppend(err, "zcwrap: ", message, " (see zcwrap --help)\n");
    return 2;
  };
  size_t i = 1;
  const bool json = i < args.size() && args[i] == "--json";
  if (json) ++i;
  if (i >= args.size()) return usage_error("--explain needs an object file or -- and a command");

  absl::StatusOr<config::Config> config = config::LoadConfig(env);
  if (!config.ok()) {
    absl::StrAppend(err, "zcwrap: ", config.status().message(), "\n");
    return 1;
  }
  static util::PosixProcessRunner runner;
  absl::StatusOr<std::unique_ptr<compile::Engine>> engine =
      compile::OpenEngine(*config, &runner, /*memory_cache_bytes=*/0);
  if (!engine.ok()) {
    absl::StrAppend(err, "zcwrap: cannot open the cache: ", engine.status().message(), "\n");
    return 1;
  }
  const std::string cwd = CompileDirectory();
  compile::CompileRequest request;
  if (args[i] == "--") {
    if (i + 1 >= args.size()) return usage_error("no command after --");
    absl::StatusOr<std::string> compiler = FindCompiler(args[i + 1], path_env, self);
    if (!compiler.ok()) {
      absl::StrAppend(err, "zcwrap: ", compiler.status().message(), "\n");
      return 1;
    }
    request.argv = {*compiler};
    request.argv.insert(request.argv.end(), args.begin() + static_cast<long>(i) + 2, args.end());
    request.cwd = cwd;
  } else {
    if (i + 1 < args.size()) {
      return usage_error(absl::StrCat("unexpected argument \"", args[i + 1], "\""));
    }
    const std::string object = util::JoinPath(cwd, args[i]);
    std::optional<compile::ExplainRecord> record =
        compile::ReadExplainRecord((*engine)->store(), object);
    if (!record) {
      absl::StrAppend(err, "zcwrap: no compile of ", object,
                      " is recorded in this cache (misses are; try zcwrap --explain -- COMMAND)\n");
      return 1;
    }
    request.argv = record->argv;
    request.cwd = record->cwd;
  }

  const compile::ExplainReport report = (*engine)->Explain(request);
  *out += json ? compile::RenderExplainJson(report) : compile::RenderExplainText(report);
  return 0;
}

}  // namespace zc::wrapper
