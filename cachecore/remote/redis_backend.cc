// The redis:// and redis+unix:// tiers, on hiredis (linked statically into zcwrap: it has no
// dependencies and costs no start-up time; docs/dependencies.md). Values live under
// "zcwrap:<64 hex>". One connection per backend, kept open and re-made after any error (a
// hiredis context is unusable after one).
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sys/time.h>

#include <cerrno>
#include <csignal>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/remote/backend.h"

namespace zc::remote {
namespace {

timeval Ms(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

// hiredis writes with write(2): a server gone mid-request would raise SIGPIPE and kill the
// compile. Blocked in this thread while a command runs; one raised meanwhile is taken back.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~NoSigpipe() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

class RedisBackend final : public Backend {
 public:
  explicit RedisBackend(const TierSpec& spec) : spec_(spec) {}
  ~RedisBackend() override { Drop(); }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view name, size_t max_size) override {
    const std::string key = absl::StrCat("zcwrap:", name);
    // GETRANGE reads at most one byte past the limit, so an oversized value is never read
    // whole. A missing key reads as "", and no entry is empty.
    const std::string end = std::to_string(max_size);
    absl::StatusOr<redisReply*> reply = Command({"GETRANGE", key, "0", end});
    if (!reply.ok()) return reply.status();
    std::unique_ptr<redisReply, void (*)(void*)> r(*reply, freeReplyObject);
    if (r->type != REDIS_REPLY_STRING) return Unexpected(r.get(), "GETRANGE");
    if (r->len == 0) return std::nullopt;
    if (static_cast<size_t>(r->len) > max_size) {
      return absl::ResourceExhaustedError(absl::StrCat("value over ", max_size, " bytes"));
    }
    return std::string(r->str, r->len);
  }

  absl::Status Put(absl::string_view name, absl::string_view value) override {
    const std::string key = absl::StrCat("zcwrap:", name);
    absl::StatusOr<redisReply*> reply = Command({"SET", key, value});
    if (!reply.ok()) return reply.status();
    std::unique_ptr<redisReply, void (*)(void*)> r(*reply, freeReplyObject);
    if (r->type != REDIS_REPLY_STATUS) return Unexpected(r.get(), "SET");
    return absl::OkStatus();
  }

 private:
  void Drop() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
  }

  absl::Status ContextError(absl::string_view op) {
    const bool timeout =
        ctx_ != nullptr && ctx_->err == REDIS_ERR_IO &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT || errno == EINPROGRESS);
    const std::string msg =
        absl::StrCat(op, " ", spec_.shown, ": ", ctx_ != nullptr ? ctx_->errstr : "out of memory");
    Drop();
    if (timeout || absl::StrContains(msg, "timed out")) return absl::DeadlineExceededError(msg);
    return absl::UnavailableError(msg);
  }

  absl::Status Unexpected(const redisReply* r, absl::string_view op) {
    std::string what = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "bad reply";
    const std::string msg = Redact(absl::StrCat(op, " ", spec_.shown, ": ", what), spec_.secrets);
    Drop();  // a stream that surprised us once is not trusted again
    if (absl::StartsWith(what, "NOAUTH") || absl::StartsWith(what, "WRONGPASS") ||
        absl::StartsWith(what, "NOPERM")) {
      return absl::PermissionDeniedError(msg);
    }
    return absl::UnavailableError(msg);
  }

  absl::Status Connect() {
    ctx_ =
        spec_.path.empty()
            ? redisConnectWithTimeout(spec_.host.c_str(), spec_.port, Ms(spec_.connect_timeout_ms))
            : redisConnectUnixWithTimeout(spec_.path.c_str(), Ms(spec_.connect_timeout_ms));
    if (ctx_ == nullptr || ctx_->err != 0) return ContextError("connect");
    if (redisSetTimeout(ctx_, Ms(spec_.operation_timeout_ms)) != REDIS_OK) {
      return ContextError("connect");
    }
    if (!spec_.password.empty()) {
      std::vector<absl::string_view> auth = {"AUTH"};
      if (!spec_.user.empty()) auth.push_back(spec_.user);
      auth.push_back(spec_.password);
      if (absl::Status s = Simple(auth, "AUTH"); !s.ok()) return s;
    }
    const std::string db = std::to_string(spec_.db);
    if (spec_.db != 0) return Simple({"SELECT", db}, "SELECT");
    return absl::OkStatus();
  }

  absl::Status Simple(const std::vector<absl::string_view>& args, absl::string_view op) {
    absl::StatusOr<redisReply*> reply = Raw(args, op);
    if (!reply.ok()) return reply.status();
    std::unique_ptr<redisReply, void (*)(void*)> r(*reply, freeReplyObject);
    if (r->type != REDIS_REPLY_STATUS) return Unexpected(r.get(), op);
    return absl::OkStatus();
  }

  absl::StatusOr<redisReply*> Raw(const std::vector<absl::string_view>& args,
                                  absl::string_view op) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (absl::string_view a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    NoSigpipe no_sigpipe;
    void* reply = redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (reply == nullptr) return ContextError(op);
    return static_cast<redisReply*>(reply);
  }

  absl::StatusOr<redisReply*> Command(const std::vector<absl::string_view>& args) {
    if (ctx_ == nullptr) {
      if (absl::Status s = Connect(); !s.ok()) {
        Drop();
        return s;
      }
    }
    return Raw(args, args[0]);
  }

  const TierSpec spec_;
  redisContext* ctx_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> MakeRedisBackend(const TierSpec& spec) {
  return std::make_unique<RedisBackend>(spec);
}

}  // namespace zc::remote
