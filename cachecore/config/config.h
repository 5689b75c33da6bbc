// The configuration model: built-in defaults < <cache_dir>/zcwrap.conf < ZCWRAP_* environment.
//
//   absl::StatusOr<zc::config::Config> config = zc::config::LoadConfig(zc::config::ProcessEnv());
//   if (!config.ok()) { print config.status().message(); }   // one line naming key and value
//   config->max_size ...
//
// The config file holds `key = value` lines; blank lines and lines starting with '#' are ignored;
// an unknown key or a bad value is an error naming the file, line, key and value. Every key has one
// environment variable (the table in config.cc; e.g. max_size ↔ ZCWRAP_MAX_SIZE, cache_dir ↔
// ZCWRAP_DIR). cache_dir itself cannot come from the file that lives inside it.
//
// Load functions take the environment as a lookup function so tests can fake it.
#ifndef ZCWRAP_CACHECORE_CONFIG_CONFIG_H_
#define ZCWRAP_CACHECORE_CONFIG_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::config {

// Where a value came from, for --show-config.
enum class Origin { kDefault, kFile, kEnvironment };
absl::string_view OriginName(Origin origin);

struct Config {
  std::string audit_file;             // JSON Lines audit events (docs/audit.md); empty = none
  std::string audit_mode = "normal";  // off | summary | normal | verbose
  // Paths under it are keyed relative to it, so checkouts elsewhere share results where that is
  // safe (compile/base_dir.h): auto (the top of the enclosing git/hg/svn checkout) | none | an
  // absolute path.
  std::string base_dir = "auto";
  std::string cache_dir;
  // The compiler's part of the key: content | mtime | none | string:VALUE | a command
  // (compile/compiler_check.h).
  std::string compiler_check = "content";
  uint64_t max_size = uint64_t{5} << 30;  // bytes; 0 = unlimited
  uint64_t max_files = 0;                 // 0 = unlimited
  int compression_level = 1;              // 0 = none; zstd levels otherwise
  std::string daemon = "auto";            // off | auto (start on first use) | on (warn if unusable)
  int daemon_idle_timeout = 900;          // seconds without requests before the daemon exits
  bool direct_mode = true;                // direct mode (manifests); false: preprocessor mode only
  bool disable = false;                   // run the compiler untouched
  // Files whose content goes into every key (':'-separated in the config; relative to the
  // compile's directory). A missing one is keyed as absent.
  std::vector<std::string> extra_files_to_hash;
  // Arguments left out of the key, though still given to the compiler; "PREFIX*" matches every
  // argument starting with PREFIX. The user's responsibility: the output must not depend on them.
  std::vector<std::string> ignore_options;
  // A launcher that misses are compiled through (distcc, icecc): space-separated words, the first
  // a program looked up in the compile's PATH (compile/prefix_command.h). Empty: none.
  std::string prefix_command;
  bool readonly = false;  // use hits, never store
  // Remote tiers, asked after a local miss and written after a store (remote/tier_spec.h):
  // space-separated URL|attribute=value... entries. May hold secrets: show remote_storage_shown.
  std::string remote_storage;
  std::string remote_storage_shown;  // the same with every secret as ***
  // A file holding the shared secret remote values are signed and checked with (HMAC-SHA256;
  // remote/remote_entry.h). Empty: values are not signed.
  std::string remote_key_file;
  // With prefix_command: the most prefixed compiles run at once by a long-lived engine (daemon,
  // shim), outside the local budget; 0 = no limit.
  int remote_jobs = 0;
  bool recache = false;  // never use hits, overwrite entries
  std::string log_file;  // debug log; empty = none
  // Mixed into every key: caches with different namespaces never share an entry in one store.
  std::string key_namespace;  // the "namespace" key

  // One row per key, in key order: name, value as text, origin, where exactly (file:line or
  // variable name). For --show-config.
  struct Shown {
    std::string key;
    std::string value;
    Origin origin;
    std::string where;
  };
  std::vector<Shown> shown;

  std::string ConfigFilePath() const;
};

using EnvLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// Looks variables up in the process environment.
EnvLookup ProcessEnv();
// Looks variables up in `env` ("NAME=value" entries; the first wins), which must outlive the
// returned function: another process's environment (a daemon client's, an embedding request's).
EnvLookup ListEnv(const std::vector<std::string>& env);

// Resolves cache_dir (ZCWRAP_DIR, else $XDG_CACHE_HOME/zcwrap, else $HOME/.cache/zcwrap), then
// reads <cache_dir>/zcwrap.conf if it exists, then applies the environment.
absl::StatusOr<Config> LoadConfig(const EnvLookup& env);

// As LoadConfig, but a bad line or value does not stop it: the key keeps its default (or the
// config file's value), and the first such error is returned in *bad (OK if none). Errors that
// leave no cache directory or no readable config file still fail. For a front door that must not
// fail or disturb a compile over a bad setting: it runs the compile uncached and says why in the
// log, the audit and the bad_config counter, never in the compile's output.
absl::StatusOr<Config> LoadConfigKeepingGoing(const EnvLookup& env, absl::Status* bad);

// Names of every config key, in order.
std::vector<absl::string_view> ConfigKeys();
// What the man page says about each key, in key order.
struct KeyDoc {
  absl::string_view name;
  absl::string_view env;
  bool file_allowed;          // false: only the environment variable sets it (cache_dir)
  std::string default_value;  // as zcwrap -p shows it; empty = nothing
  absl::string_view description;
};
std::vector<KeyDoc> KeyDocs();
// The environment variable for `key`, or empty if `key` is unknown.
absl::string_view EnvNameFor(absl::string_view key);

// Sets `key = value` in the config file at `path` (created if missing), keeping every other line.
// The value is checked first: InvalidArgument names the key and value. The file is replaced
// atomically.
absl::Status SetConfigValue(const std::string& path, absl::string_view key,
                            absl::string_view value);

}  // namespace zc::config

#endif  // ZCWRAP_CACHECORE_CONFIG_CONFIG_H_
