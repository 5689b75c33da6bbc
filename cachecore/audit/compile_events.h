// The audit events of one compile, in order: compile.started, cache.hit or cache.miss (with the
// reason), cache.store, compile.finished (always, also on errors and cancellation). One JSON
// object per line; every event carries the schema version, the time, the compile id, the
// caller's Context and, for an embedded service, its Host. Schema: docs/audit.md.
//
//   zc::audit::CompileEvents events(log, zc::audit::Mode::kNormal, context, nullptr, "zcwrap");
//   events.Started(argv, cwd, env);
//   events.Miss("direct", "no_manifest");
//   events.Stored(key_hex, bytes);
//   events.Finished("miss", "cache_miss", 0, micros);
//
// What a mode keeps: kSummary only compile.finished, kNormal all, kVerbose all plus the command
// line, directory and environment in compile.started, with secret-looking values redacted.
// Not thread-safe (one compile runs on one thread); the EventLog it writes to is.
#ifndef ZCWRAP_CACHECORE_AUDIT_COMPILE_EVENTS_H_
#define ZCWRAP_CACHECORE_AUDIT_COMPILE_EVENTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/audit/event_log.h"

namespace zc::audit {

// A fresh id, unique across processes and time (random prefix per process, then a counter).
std::string NewCompileId();

// `env` (NAME=value) with the value of every variable whose name contains TOKEN, SECRET,
// PASSWORD or KEY (any case) replaced by "<redacted>".
std::vector<std::string> RedactEnvironment(const std::vector<std::string>& env);

// A service's own event (docs/audit.md: service.started, service.flushed, service.shutdown):
// the common fields, the host, and the members of the JSON object `fields`.
std::string ServiceEventLine(absl::string_view event, absl::string_view origin, const Host& host,
                             absl::string_view fields);

class CompileEvents {
 public:
  // `log` and `host` (may be null) must outlive this object. `origin` names the front door
  // ("zcwrap", "zcwrap-daemon", "zcshim").
  CompileEvents(EventLog* log, Mode mode, Context context, const Host* host,
                absl::string_view origin);

  const std::string& compile_id() const { return compile_id_; }

  // `env`: the compile's environment as NAME=value; nullopt: this process's. Read only in
  // verbose mode.
  void Started(const std::vector<std::string>& argv, const std::string& cwd,
               const std::optional<std::vector<std::string>>& env);
  // mode: "direct" or "preprocessed".
  // `tier`: the remote tier that served it (shown without secrets); empty: the local store.
  void Hit(absl::string_view mode, absl::string_view key_hex, absl::string_view tier = {});
  void Miss(absl::string_view mode, absl::string_view reason);
  void Stored(absl::string_view key_hex, uint64_t bytes);
  // A successful miss that was not stored; `reason` is the counter that says why
  // (modified_input_file, output_not_cacheable, readonly_miss, store_failed, ...).
  void NotStored(absl::string_view reason);
  // What changed since the last miss of the same object (zcwrap --explain's answer, written after
  // the compile): one "kind: text" line per change; none when it was the object's first miss.
  void Explained(const std::vector<std::string>& changes);
  // The compile went another way than the usual: `from` "direct" (to preprocessor mode) or
  // "daemon" (compiled in-process), with why.
  void Fallback(absl::string_view from, absl::string_view to, absl::string_view reason);
  // A compile ran through prefix_command (compile/prefix_command.h): the launcher's path, how
  // the run ended, and the lines the launcher wrote of its own (kept out of the output).
  void PrefixRun(absl::string_view launcher, int exit_code,
                 const std::vector<std::string>& launcher_lines);
  // outcome: "hit", "miss", "uncacheable", "error" or "cancelled"; exit_code: nullopt when the
  // front door runs the compiler itself after this (zcwrap's exec). `queued_us`: of the duration,
  // the time spent waiting for compiler slots.
  void Finished(absl::string_view outcome, absl::string_view reason, std::optional<int> exit_code,
                int64_t duration_us, uint64_t queued_us);

 private:
  // The fields every event starts with.
  std::string Begin(absl::string_view event) const;
  void Emit(std::string head, absl::string_view fields);

  EventLog* log_;
  Mode mode_;
  Context context_;
  const Host* host_;
  std::string origin_;
  std::string compile_id_;
};

}  // namespace zc::audit

#endif  // ZCWRAP_CACHECORE_AUDIT_COMPILE_EVENTS_H_
