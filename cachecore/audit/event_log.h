// Audit events: who asked for a compile (the host's ids), and the JSON Lines file they go to.
// The schema is in docs/audit.md; compile_events.h writes the events themselves.
//
//   ZC_ASSIGN_OR_RETURN(std::unique_ptr<zc::audit::EventLog> log,
//                       zc::audit::EventLog::Open("/var/log/build/audit.jsonl"));
//   log->Append(line);                 // one event, one write(2)
//   absl::StatusOr<uint64_t> n = log->Sync();   // fdatasync; events appended since the last Sync
//
// Many processes may append to one file at once: the file is opened O_APPEND and each event is
// written with a single write(2), so lines never interleave and a killed writer leaves at worst
// its own last line unwritten, never a torn one in the middle of the file.
#ifndef ZCWRAP_CACHECORE_AUDIT_EVENT_LOG_H_
#define ZCWRAP_CACHECORE_AUDIT_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::audit {

inline constexpr int kSchemaVersion = 1;

enum class Mode {
  kOff,
  kSummary,  // compile.finished only
  kNormal,   // every event
  kVerbose,  // every event; compile.started also carries argv, cwd and the (redacted) environment
};
std::optional<Mode> ParseMode(absl::string_view name);  // "off", "summary", "normal", "verbose"
absl::string_view ModeName(Mode mode);

// The caller's ids, copied into every event of a compile. Empty fields are left out.
struct Context {
  std::string run_id;
  std::string trace_id;
  std::string parent_span_id;
  std::string command_id;
  std::string session_id;
};

// ZCWRAP_RUN_ID, ZCWRAP_TRACE_ID, ZCWRAP_PARENT_SPAN_ID, ZCWRAP_COMMAND_ID, ZCWRAP_SESSION_ID.
Context ContextFromEnv(const std::function<std::optional<std::string>(absl::string_view)>& env);

// Who runs an embedded service (zcshim); empty for zcwrap.
struct Host {
  std::string product;
  std::string instance_id;
  std::string workspace_id;
};

class EventLog {
 public:
  // Receives each event (without a newline) on the thread that wrote it; must be thread-safe.
  // False (or an exception): the event is counted as dropped.
  using Sink = std::function<bool(absl::string_view line)>;

  // Opens `path` for appending, creating it (0644) and its directory if needed. `sink`
  // (optional): every event goes to it as well.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const std::string& path, Sink sink = {});
  // Events to `sink` only, no file.
  static std::unique_ptr<EventLog> ToSink(Sink sink);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends one event (`line` without its newline). Thread-safe. A failed write is dropped and
  // counted (dropped()): an audit problem never fails a compile.
  void Append(absl::string_view line);
  // Makes everything appended so far durable. Returns how many events were appended since the
  // previous Sync. Thread-safe.
  absl::StatusOr<uint64_t> Sync();

  const std::string& path() const { return path_; }  // empty: sink only
  uint64_t appended() const { return appended_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  EventLog(std::string path, int fd, Sink sink)
      : path_(std::move(path)), fd_(fd), sink_(std::move(sink)) {}
  std::string path_;
  int fd_;  // -1: no file
  Sink sink_;
  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> synced_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace zc::audit

#endif  // ZCWRAP_CACHECORE_AUDIT_EVENT_LOG_H_
