#include "cachecore/audit/compile_events.h"

#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cachecore/remote/tier_spec.h"
#include "cachecore/util/json.h"

namespace zc::audit {
namespace {

uint64_t ProcessNonce() {
  static const uint64_t nonce = [] {
    uint64_t v = 0;
    if (::getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
      struct timespec ts;
      ::clock_gettime(CLOCK_REALTIME, &ts);
      v = (uint64_t(ts.tv_sec) << 32) ^ uint64_t(ts.tv_nsec) ^ (uint64_t(::getpid()) << 16);
    }
    return v;
  }();
  return nonce;
}

// RFC 3339, UTC, microseconds: 2026-11-24T15:40:01.123456Z
std::string Timestamp() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

bool LooksSecret(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  for (absl::string_view word : {"TOKEN", "SECRET", "PASSWORD", "KEY"}) {
    if (absl::StrContains(upper, word)) return true;
  }
  return false;
}

// `value` with the password of every scheme://user:password@host in it as ***.
std::string RedactUrlPasswords(absl::string_view value) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t scheme = value.find("://", pos);
    if (scheme == absl::string_view::npos) break;
    const size_t start = scheme + 3;
    const size_t end = value.find_first_of("/ \t|", start);
    const absl::string_view authority = value.substr(start, end - start);
    const size_t at = authority.rfind('@');
    const size_t colon = authority.find(':');
    absl::StrAppend(&out, value.substr(pos, start - pos));
    if (at != absl::string_view::npos && colon != absl::string_view::npos && colon < at) {
      absl::StrAppend(&out, authority.substr(0, colon + 1), "***", authority.substr(at));
    } else {
      absl::StrAppend(&out, authority);
    }
    pos = end == absl::string_view::npos ? value.size() : end;
  }
  absl::StrAppend(&out, value.substr(pos));
  return out;
}

}  // namespace

std::string NewCompileId() {
  static std::atomic<uint64_t> counter{0};
  // The pid keeps ids from a forked child (same nonce) apart from its parent's.
  return absl::StrFormat("%016x-%x-%x", ProcessNonce(), ::getpid(),
                         counter.fetch_add(1, std::memory_order_relaxed));
}

std::vector<std::string> RedactEnvironment(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const std::string& entry : env) {
    const size_t eq = entry.find('=');
    const absl::string_view name = absl::string_view(entry).substr(0, eq);
    if (eq == std::string::npos) {
      out.push_back(entry);
    } else if (LooksSecret(name)) {
      out.push_back(absl::StrCat(name, "=<redacted>"));
    } else if (name == "ZCWRAP_REMOTE_STORAGE") {
      // Tokens and header values too, not only URL passwords: as `zcwrap -p` shows it.
      absl::StatusOr<std::vector<remote::TierSpec>> tiers =
          remote::ParseRemoteStorage(absl::string_view(entry).substr(eq + 1));
      std::vector<std::string> shown;
      if (tiers.ok()) {
        for (const remote::TierSpec& t : *tiers) shown.push_back(t.shown);
      }
      out.push_back(absl::StrCat(name, "=", tiers.ok() ? absl::StrJoin(shown, " ") : "<redacted>"));
    } else {
      out.push_back(RedactUrlPasswords(entry));
    }
  }
  return out;
}

CompileEvents::CompileEvents(EventLog* log, Mode mode, Context context, const Host* host,
                             absl::string_view origin)
    : log_(log),
      mode_(log == nullptr ? Mode::kOff : mode),
      context_(std::move(context)),
      host_(host),
      origin_(origin),
      compile_id_(NewCompileId()) {}

std::string ServiceEventLine(absl::string_view event, absl::string_view origin, const Host& host,
                             absl::string_view fields) {
  util::JsonObject o;
  o.Add("schema", kSchemaVersion).Add("event", event).Add("ts", Timestamp());
  o.Add("origin", origin).Add("pid", int64_t{::getpid()});
  util::JsonObject h;
  h.Add("product", host.product)
      .Add("instance_id", host.instance_id)
      .Add("workspace_id", host.workspace_id);
  o.AddRaw("host", h.Take());
  std::string line = o.Take();
  if (fields.size() > 2) {
    line.pop_back();
    absl::StrAppend(&line, ",", fields.substr(1, fields.size() - 2), "}");
  }
  return line;
}

std::string CompileEvents::Begin(absl::string_view event) const {
  util::JsonObject o;
  o.Add("schema", kSchemaVersion).Add("event", event).Add("ts", Timestamp());
  o.Add("compile_id", compile_id_).Add("origin", origin_).Add("pid", int64_t{::getpid()});
  auto add = [&o](absl::string_view key, const std::string& value) {
    if (!value.empty()) o.Add(key, value);
  };
  add("run_id", context_.run_id);
  add("trace_id", context_.trace_id);
  add("parent_span_id", context_.parent_span_id);
  add("command_id", context_.command_id);
  add("session_id", context_.session_id);
  if (host_ != nullptr) {
    util::JsonObject h;
    h.Add("product", host_->product)
        .Add("instance_id", host_->instance_id)
        .Add("workspace_id", host_->workspace_id);
    o.AddRaw("host", h.Take());
  }
  std::string head = o.Take();
  head.pop_back();  // the closing brace: Emit appends the event's own fields
  return head;
}

void CompileEvents::Emit(std::string head, absl::string_view fields) {
  if (!fields.empty()) {
    // `fields` is an object's text: splice its members in.
    absl::StrAppend(&head, ",", fields.substr(1, fields.size() - 2));
  }
  head += "}";
  log_->Append(head);
}

void CompileEvents::Started(const std::vector<std::string>& argv, const std::string& cwd,
                            const std::optional<std::vector<std::string>>& env) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  if (!argv.empty()) o.Add("compiler", argv[0]);
  if (mode_ == Mode::kVerbose) {
    o.AddRaw("argv", util::JsonStringArray(argv));
    o.Add("cwd", cwd);
    std::vector<std::string> own;
    if (!env) {
      for (char** e = environ; *e != nullptr; ++e) own.emplace_back(*e);
    }
    o.AddRaw("env", util::JsonStringArray(RedactEnvironment(env ? *env : own)));
  }
  Emit(Begin("compile.started"), o.Take());
}

void CompileEvents::Hit(absl::string_view mode, absl::string_view key_hex, absl::string_view tier) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("mode", mode).Add("key", key_hex);
  if (!tier.empty()) o.Add("remote", tier);
  Emit(Begin("cache.hit"), o.Take());
}

void CompileEvents::Miss(absl::string_view mode, absl::string_view reason) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("mode", mode).Add("reason", reason);
  Emit(Begin("cache.miss"), o.Take());
}

void CompileEvents::Stored(absl::string_view key_hex, uint64_t bytes) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("key", key_hex).Add("bytes", bytes);
  Emit(Begin("cache.store"), o.Take());
}

void CompileEvents::NotStored(absl::string_view reason) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("reason", reason);
  Emit(Begin("cache.not_stored"), o.Take());
}

void CompileEvents::Explained(const std::vector<std::string>& changes) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.AddRaw("changes", util::JsonStringArray(changes));
  Emit(Begin("cache.miss_explained"), o.Take());
}

void CompileEvents::Fallback(absl::string_view from, absl::string_view to,
                             absl::string_view reason) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("from", from).Add("to", to).Add("reason", reason);
  Emit(Begin("compile.fallback"), o.Take());
}

void CompileEvents::PrefixRun(absl::string_view launcher, int exit_code,
                              const std::vector<std::string>& launcher_lines) {
  if (mode_ < Mode::kNormal) return;
  util::JsonObject o;
  o.Add("launcher", launcher).Add("exit_code", exit_code);
  o.AddRaw("messages", util::JsonStringArray(launcher_lines));
  Emit(Begin("compile.prefix_run"), o.Take());
}

void CompileEvents::Finished(absl::string_view outcome, absl::string_view reason,
                             std::optional<int> exit_code, int64_t duration_us,
                             uint64_t queued_us) {
  if (mode_ == Mode::kOff) return;
  util::JsonObject o;
  o.Add("outcome", outcome).Add("reason", reason);
  if (exit_code) {
    o.Add("exit_code", *exit_code);
  } else {
    o.AddNull("exit_code");
  }
  o.Add("duration_us", duration_us).Add("queued_us", queued_us);
  Emit(Begin("compile.finished"), o.Take());
}

}  // namespace zc::audit
