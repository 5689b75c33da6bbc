#include "cachecore/compile/front_door.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

constexpr size_t kMaxKnownSettings = 256;

// The environment entries LoadConfig reads, sorted: what a request's settings depend on.
std::string SettingsVariables(const std::vector<std::string>& env) {
  std::vector<absl::string_view> relevant;
  for (const std::string& kv : env) {
    if (absl::StartsWith(kv, "ZCWRAP_") || absl::StartsWith(kv, "HOME=") ||
        absl::StartsWith(kv, "XDG_CACHE_HOME=")) {
      relevant.push_back(kv);
    }
  }
  std::sort(relevant.begin(), relevant.end());
  return absl::StrJoin(relevant, std::string(1, '\0'));
}

// What zcwrap.conf holds now ("\0absent" when there is none, which no file holds). Compared by
// content, not by timestamps: an edit within one clock tick is still seen.
std::string FileState(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFileToString(path);
  if (text.ok()) return std::move(*text);
  return absl::IsNotFound(text.status()) ? std::string("\0absent", 7) : std::string("\0error", 6);
}

}  // namespace

store::StoreOptions StoreOptionsFor(const config::Config& config) {
  store::StoreOptions options;
  options.root = config.cache_dir;
  options.max_size = config.max_size;
  options.max_files = config.max_files;
  options.compression_level = config.compression_level;
  return options;
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const config::Config& config,
                                                   util::ProcessRunner* runner,
                                                   size_t memory_cache_bytes) {
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<store::LocalStore> store,
                      store::LocalStore::Open(StoreOptionsFor(config)));
  return std::make_unique<Engine>(config, std::move(store), runner, memory_cache_bytes);
}

CompileResult CompilerNotFound(const absl::Status& why) {
  CompileResult result;
  result.outcome = Outcome::kRanPlainly;
  result.reason = stats::Counter::kCouldNotFindCompiler;
  result.exit_code = 127;
  result.stderr_data = absl::StrCat("zcwrap: ", why.message(), "\n");
  return result;
}

void AuditUncached(audit::CompileEvents& events, const std::vector<std::string>& argv,
                   const std::string& cwd, absl::string_view outcome, stats::Counter reason,
                   std::optional<int> exit_code) {
  events.Started(argv, cwd, std::nullopt);
  events.Finished(outcome, stats::CounterName(reason), exit_code, 0, 0);
}

absl::StatusOr<std::shared_ptr<const config::Config>> RequestSettings::For(
    const std::vector<std::string>& env) {
  const std::string key = SettingsVariables(env);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = known_.find(key);
    if (it != known_.end() &&
        FileState(it->second.config->ConfigFilePath()) == it->second.file_state) {
      return it->second.config;
    }
  }
  const config::EnvLookup lookup = config::ListEnv(env);
  const std::string& forced = forced_cache_dir_;
  auto load = [&] {
    return config::LoadConfig([&](absl::string_view name) -> std::optional<std::string> {
      if (name == "ZCWRAP_DIR" && !forced.empty()) return forced;
      return lookup(name);
    });
  };
  ZC_ASSIGN_OR_RETURN(const config::Config first, load());
  // The file as it was before the load that is kept: a change made while loading is then seen by
  // the next request.
  Known known;
  known.file_state = FileState(first.ConfigFilePath());
  ZC_ASSIGN_OR_RETURN(config::Config loaded, load());
  known.config = std::make_shared<const config::Config>(std::move(loaded));
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.size() >= kMaxKnownSettings) known_.clear();
  known_[key] = known;
  return known.config;
}

}  // namespace zc::compile
