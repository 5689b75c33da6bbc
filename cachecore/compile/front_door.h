// What every front door (zcwrap, its daemon, the embedded service) does around the engine,
// written once: opening an engine for a configuration, the answer for a compiler that cannot be
// found, the audit events of a call that never reaches the engine, and each request's settings
// for a long-lived engine.
//
//   ZC_ASSIGN_OR_RETURN(auto engine, zc::compile::OpenEngine(config, &runner, 0));
//   zc::compile::RequestSettings settings;                 // in a daemon: one for its lifetime
//   ZC_ASSIGN_OR_RETURN(auto config, settings.For(request_env));
//   request.config = config.get();
#ifndef ZCWRAP_CACHECORE_COMPILE_FRONT_DOOR_H_
#define ZCWRAP_CACHECORE_COMPILE_FRONT_DOOR_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cachecore/audit/compile_events.h"
#include "cachecore/compile/engine.h"
#include "cachecore/config/config.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/process.h"

namespace zc::compile {

// The store a configuration asks for (root, limits, compression).
store::StoreOptions StoreOptionsFor(const config::Config& config);

// Opens (creating if need be) the store for `config` and makes an engine over it. `runner` must
// outlive the engine; `memory_cache_bytes` as for Engine.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const config::Config& config,
                                                                 util::ProcessRunner* runner,
                                                                 size_t memory_cache_bytes);

// A compile whose compiler cannot be found, answered as a shell would: exit 127, the one-line
// reason on stderr ("zcwrap: cannot find compiler ..."), counted as could_not_find_compiler.
CompileResult CompilerNotFound(const absl::Status& why);

// The audit events of a call the engine never saw (settings unreadable, compiler not found, cache
// disabled): compile.started and compile.finished, as the engine would write them. `exit_code`:
// nullopt when the front door hands the compile to the real compiler with exec.
void AuditUncached(audit::CompileEvents& events, const std::vector<std::string>& argv,
                   const std::string& cwd, absl::string_view outcome, stats::Counter reason,
                   std::optional<int> exit_code);

// Each request's settings for a long-lived engine (the daemon, the embedded service): the
// configuration its environment asks for, loaded once per distinct set of the variables settings
// come from (ZCWRAP_*, HOME, XDG_CACHE_HOME) and loaded again when zcwrap.conf changes (`zcwrap
// -M` while a daemon runs; compared by content). Bad values are errors, as from
// config::LoadConfig. Thread-safe.
class RequestSettings {
 public:
  // `forced_cache_dir` non-empty: every request's cache directory is this one (the embedded
  // service's root), whatever its ZCWRAP_DIR says.
  explicit RequestSettings(std::string forced_cache_dir = "")
      : forced_cache_dir_(std::move(forced_cache_dir)) {}

  absl::StatusOr<std::shared_ptr<const config::Config>> For(const std::vector<std::string>& env);

 private:
  struct Known {
    std::shared_ptr<const config::Config> config;
    std::string file_state;  // zcwrap.conf as it was when loaded
  };
  const std::string forced_cache_dir_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Known> known_;  // by the environment's settings variables
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_FRONT_DOOR_H_
