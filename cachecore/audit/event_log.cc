#include "cachecore/audit/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::audit {

std::optional<Mode> ParseMode(absl::string_view name) {
  if (name == "off") return Mode::kOff;
  if (name == "summary") return Mode::kSummary;
  if (name == "normal") return Mode::kNormal;
  if (name == "verbose") return Mode::kVerbose;
  return std::nullopt;
}

absl::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kOff: return "off";
    case Mode::kSummary: return "summary";
    case Mode::kNormal: return "normal";
    case Mode::kVerbose: return "verbose";
  }
  return "off";
}

Context ContextFromEnv(const std::function<std::optional<std::string>(absl::string_view)>& env) {
  Context c;
  auto get = [&env](absl::string_view name, std::string* out) {
    if (std::optional<std::string> v = env(name)) *out = std::move(*v);
  };
  get("ZCWRAP_RUN_ID", &c.run_id);
  get("ZCWRAP_TRACE_ID", &c.trace_id);
  get("ZCWRAP_PARENT_SPAN_ID", &c.parent_span_id);
  get("ZCWRAP_COMMAND_ID", &c.command_id);
  get("ZCWRAP_SESSION_ID", &c.session_id);
  return c;
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path, Sink sink) {
  if (path.empty()) return absl::InvalidArgumentError("empty audit file name");
  const absl::string_view dir = util::Dirname(path);
  if (!dir.empty()) (void)util::CreateDirectories(std::string(dir));
  absl::StatusOr<util::ScopedFd> fd = util::OpenForAppend(path, 0644);  // never waits on a FIFO
  if (!fd.ok()) return util::Annotate(fd.status(), "cannot open audit file");
  std::unique_ptr<EventLog> log(new EventLog(path, fd->get(), std::move(sink)));
  fd->Release();  // the log owns it now
  return log;
}

std::unique_ptr<EventLog> EventLog::ToSink(Sink sink) {
  return std::unique_ptr<EventLog>(new EventLog(std::string(), -1, std::move(sink)));
}

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

void EventLog::Append(absl::string_view line) {
  if (sink_) {
    bool taken = false;
    try {
      taken = sink_(line);
    } catch (...) {
      // A host's sink never fails a compile.
    }
    if (!taken) dropped_.fetch_add(1, std::memory_order_relaxed);
    if (fd_ < 0) {
      appended_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line.data(), line.size());
  buf.push_back('\n');
  // One write(2): with O_APPEND the line lands whole at the end. Retried only if interrupted
  // before anything was written; a short write (disk full) is not retried, as its rest would
  // land after another writer's line.
  ssize_t n;
  do {
    n = ::write(fd_, buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(buf.size())) {
    appended_.fetch_add(1, std::memory_order_relaxed);
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::StatusOr<uint64_t> EventLog::Sync() {
  const uint64_t now = appended_.load(std::memory_order_relaxed);
  if (fd_ >= 0 && ::fdatasync(fd_) != 0)
    return util::ErrnoToStatus(errno, absl::StrCat("fdatasync ", path_));
  return now - synced_.exchange(now, std::memory_order_relaxed);
}

}  // namespace zc::audit
