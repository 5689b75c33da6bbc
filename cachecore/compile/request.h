// One compile as a front door hands it to the engine (CompileRequest), what comes back
// (CompileResult), and how the steps that run commands for it see its environment.
//
//   zc::compile::CompileRequest req;
//   req.argv = {"/usr/bin/gcc", "-c", "a.c"};
//   req.cwd = "/src";
//   zc::compile::CompileResult r = engine.Compile(req);
//   absl::string_view name = zc::compile::OutcomeName(r);   // "hit", "miss", ...
#ifndef ZCWRAP_CACHECORE_COMPILE_REQUEST_H_
#define ZCWRAP_CACHECORE_COMPILE_REQUEST_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "cachecore/audit/compile_events.h"
#include "cachecore/config/config.h"
#include "cachecore/stats/counter.h"
#include "cachecore/util/process.h"

namespace zc::compile {

struct CompileRequest {
  // argv[0] is the real compiler (a resolved path), then its arguments.
  std::vector<std::string> argv;
  std::string cwd;  // absolute
  // The compiler's environment as NAME=value; nullopt: this process's environment.
  std::optional<std::vector<std::string>> env;
  bool stderr_is_tty = false;
  // Per-request settings (disable, recache, readonly, direct_mode, log_file) when the caller is
  // not the process that owns the engine (the daemon serving a client). nullptr: the engine's.
  // cache_dir and the store limits always stay the engine's.
  const config::Config* config = nullptr;
  // Abandon the compile when one becomes readable (see util::Command::cancel_fds).
  std::vector<int> cancel_fds;
  // The caller's umask when it is not this process's (the daemon's clients); -1: ours.
  int umask = -1;
  // Run uncacheable compiles here too (outcome kRanPlainly) instead of handing them back
  // (kPassthrough). For callers that cannot exec the compiler themselves (the shim).
  bool run_uncacheable = false;
  std::string stdin_data;  // the compiler's standard input in such a plain run
  // Set: do not use the cache for this compile, for this reason (the caller found a problem,
  // e.g. a bad ZCWRAP_* setting): it is counted, audited and passed through like any other.
  std::optional<stats::Counter> uncached_reason;
  // The compile's own output as it is produced (stream 1 or 2); on a hit, each whole stream
  // once. Never the preprocessor's output. Empty: not called.
  std::function<void(int stream, absl::string_view chunk)> on_output;
  // Where this compile's audit events go. nullptr: the settings' audit_file, if any, with the
  // ids from the request's environment (ZCWRAP_RUN_ID, ...).
  audit::CompileEvents* audit = nullptr;
  // Set by a front door that meant to use the daemon and could not (why): counted
  // (daemon_fallback), logged and audited, never shown in the compile's output.
  std::string fallback_note;
  absl::string_view origin = "zcwrap";  // the front door, as audit events name it
};

// In-process only: the wire (daemon/protocol.h) and the C ABI (zc_outcome) have numbers of
// their own, mapped explicitly.
enum class Outcome {
  kHit = 0,          // outputs restored from the cache
  kMiss = 1,         // compiled (and stored, unless read-only or the compile failed)
  kPassthrough = 2,  // not cacheable or not cached: the caller must run the compiler untouched
  kCancelled = 3,    // a cancel fd fired: compilers were killed, nothing was stored
  kRanPlainly = 4,   // not cacheable or not cached, and run untouched here (run_uncacheable)
};

struct CompileResult {
  Outcome outcome = Outcome::kPassthrough;
  // Why: the hit kind, cache_miss, compile_failed, or the uncacheable/error reason.
  stats::Counter reason = stats::Counter::kInternalError;
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
  std::string key_hex;     // empty unless a key was computed
  std::string compile_id;  // the audit events' id; empty when nothing was audited
  bool stored = false;     // a new result entry was written
  uint64_t queued_us = 0;  // waiting for compiler slots (util::ProcessSlots)
};

// How audit events and the shim name a result: "hit", "miss", "uncacheable", "error" (an
// internal failure or a compiler that could not run) or "cancelled".
absl::string_view OutcomeName(const CompileResult& result);

// The value of a variable in the request's environment (a NAME=value list), or in this
// process's when the request has none. Built once per request; lookups are a hash lookup.
class EnvView {
 public:
  explicit EnvView(const std::optional<std::vector<std::string>>& env);
  std::optional<std::string> Get(absl::string_view name) const;

 private:
  bool explicit_ = false;
  absl::flat_hash_map<std::string, std::string> values_;
};

// A command run on behalf of `request`: in its directory and environment, under its umask,
// cancelled with it. kOutput: the command's output is the compile's own and is shown as it comes
// (on_output); the preprocessor and zcwrap's own queries are kNo.
enum class Shown { kNo, kOutput };
util::Command CommandFor(const CompileRequest& request, std::vector<std::string> argv, Shown shown);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_REQUEST_H_
