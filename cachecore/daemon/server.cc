#include "cachecore/daemon/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cachecore/daemon/frame_io.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/status_macros.h"
#include "cachecore/version.h"

namespace zc::daemon {
namespace {

uint64_t RssBytes() {
  absl::StatusOr<std::string> statm = util::ReadFileToString("/proc/self/statm");
  if (!statm.ok()) return 0;
  unsigned long size = 0, resident = 0;
  if (std::sscanf(statm->c_str(), "%lu %lu", &size, &resident) != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

absl::StatusOr<Server::EngineForDir> Server::MakeEngine(const EngineFactory& make_engine,
                                                        const std::string& cache_dir) {
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<compile::Engine> engine, make_engine());
  struct stat st;
  if (::stat(cache_dir.c_str(), &st) != 0) return util::ErrnoToStatus(errno, cache_dir);
  EngineForDir out;
  out.engine = std::move(engine);
  out.dev = static_cast<uint64_t>(st.st_dev);
  out.ino = static_cast<uint64_t>(st.st_ino);
  return out;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                                      EngineFactory make_engine) {
  ZC_ASSIGN_OR_RETURN(EngineForDir engine, MakeEngine(make_engine, options.cache_dir));
  const std::string& path = options.endpoint.socket_path;
  absl::StatusOr<util::ScopedFd> listener = ListenUnix(path);
  if (!listener.ok() && absl::IsAlreadyExists(listener.status())) {
    // Someone's socket file: live daemon, or a stale file left by one that died.
    if (ConnectUnix(path).ok()) {
      return absl::AlreadyExistsError(absl::StrCat("a daemon already listens on ", path));
    }
    ::unlink(path.c_str());
    listener = ListenUnix(path);
  }
  if (!listener.ok()) return listener.status();
  std::unique_ptr<Server> server(new Server(std::move(options), std::move(make_engine),
                                            std::move(engine), std::move(*listener)));
  struct stat st;  // (`path` was moved into the server with the options)
  if (::stat(server->options_.endpoint.socket_path.c_str(), &st) == 0) {
    server->socket_dev_ = static_cast<uint64_t>(st.st_dev);
    server->socket_ino_ = static_cast<uint64_t>(st.st_ino);
  }
  return server;
}

void Server::UnlinkOwnSocket() {
  // Another daemon may have bound the path since (after this one retired): leave its file.
  struct stat st;
  const std::string& path = options_.endpoint.socket_path;
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_dev) == socket_dev_ &&
      static_cast<uint64_t>(st.st_ino) == socket_ino_) {
    ::unlink(path.c_str());
  }
}

bool Server::RetireIfOtherBuild(absl::string_view client_build) {
  if (client_build.empty() || options_.build_id.empty() || client_build == options_.build_id) {
    return false;
  }
  if (!retired_.exchange(true)) {
    // The path is freed before the answer leaves, so the client's new daemon can bind it at
    // once; compiles in flight here finish, then Run() returns.
    UnlinkOwnSocket();
    Log(absl::StrCat("retiring: a client of build ", client_build.substr(0, kMaxBuildIdSize),
                     " arrived (this daemon is build ", options_.build_id, ")"));
    RequestStop();
  }
  return true;
}

Server::Server(ServerOptions options, EngineFactory make_engine, EngineForDir engine,
               util::ScopedFd listener)
    : options_(std::move(options)),
      make_engine_(std::move(make_engine)),
      engine_(std::move(engine)),
      listener_(std::move(listener)),
      idle_timeout_s_(options_.idle_timeout_s) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_.Reset(fds[0]);
    wake_write_.Reset(fds[1]);
  }
  started_ns_ = options_.clock->MonotonicNs();
  last_activity_ns_ = started_ns_;
}

Server::~Server() {
  RequestStop();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return connections_ == 0; });
}

void Server::Log(const std::string& line) const {
  absl::StatusOr<util::ScopedFd> fd =
      util::OpenForAppend(options_.endpoint.log_path, 0600, util::Links::kRefuse);
  if (fd.ok()) {
    (void)util::WriteAll(fd->get(), absl::StrCat("zcwrap daemon[", ::getpid(), "] ", line, "\n"));
  }
}

std::shared_ptr<compile::Engine> Server::CurrentEngine() {
  struct stat st;
  const bool same_dir = ::stat(options_.cache_dir.c_str(), &st) == 0;
  std::lock_guard<std::mutex> lock(engine_mu_);
  if (same_dir && static_cast<uint64_t>(st.st_dev) == engine_.dev &&
      static_cast<uint64_t>(st.st_ino) == engine_.ino) {
    return engine_.engine;
  }
  // Removed or replaced: start over on the directory there now (created if need be).
  absl::StatusOr<EngineForDir> fresh = MakeEngine(make_engine_, options_.cache_dir);
  if (!fresh.ok()) {
    Log(absl::StrCat("cache directory replaced, and a new engine failed: ",
                     fresh.status().message()));
    return nullptr;
  }
  Log("cache directory replaced: new engine, memory tables dropped");
  engine_ = std::move(*fresh);
  return engine_.engine;
}

bool Server::IdleTimedOut() const {
  const int timeout_s = idle_timeout_s_.load();
  if (timeout_s <= 0 || in_flight_ > 0) return false;
  const int64_t idle_ns = options_.clock->MonotonicNs() - last_activity_ns_;
  return idle_ns >= int64_t{timeout_s} * 1'000'000'000;
}

int Server::NextIdleCheckMs() const {
  const int timeout_s = idle_timeout_s_.load();
  if (timeout_s <= 0) return options_.idle_check_ms;
  const int64_t due_ns =
      last_activity_ns_ + int64_t{timeout_s} * 1'000'000'000 - options_.clock->MonotonicNs();
  return static_cast<int>(std::clamp<int64_t>(due_ns / 1'000'000 + 1, 1, options_.idle_check_ms));
}

void Server::RequestStop() {
  stopping_ = true;
  if (wake_write_.valid()) (void)::write(wake_write_.get(), "x", 1);
}

void Server::Run() {
  Log(absl::StrCat("listening on ", options_.endpoint.socket_path, " for ", options_.cache_dir));
  while (!stopping_) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    int r = ::poll(fds, 2, NextIdleCheckMs());
    if (r < 0 && errno != EINTR) break;
    if (IdleTimedOut()) {
      Log("idle timeout: shutting down");
      break;
    }
    if (r <= 0 || !(fds[0].revents & POLLIN)) continue;
    util::ScopedFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) continue;
    absl::StatusOr<uid_t> peer = PeerUid(conn.get());
    if (!peer.ok() || *peer != ::getuid()) {
      Log(absl::StrCat("refused a connection from uid ", peer.ok() ? absl::StrCat(*peer) : "?"));
      continue;
    }
    last_activity_ns_ = options_.clock->MonotonicNs();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++connections_;
    }
    std::thread([this, c = std::move(conn)]() mutable { Serve(std::move(c)); }).detach();
  }
  stopping_ = true;
  // Stop taking connections (new clients fall back to compiling themselves), then let in-flight
  // requests finish.
  UnlinkOwnSocket();
  listener_.Reset();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return connections_ == 0; });
  Log("stopped");
}

void Server::Serve(util::ScopedFd conn) {
  // A connection may carry many requests (benchmarks keep one open); an idle one is dropped.
  constexpr int kIdleConnectionMs = 60'000;
  for (;;) {
    absl::StatusOr<Frame> frame = ReadFrame(conn.get(), kIdleConnectionMs);
    if (!frame.ok()) {
      if (absl::IsFailedPrecondition(frame.status())) {
        // Another protocol version: say so, so the client can fall back knowingly.
        (void)WriteFrame(conn.get(), FrameType::kError, frame.status().message());
      }
      break;
    }
    last_activity_ns_ = options_.clock->MonotonicNs();
    ++requests_;
    FrameType reply = FrameType::kError;
    std::string payload;
    switch (frame->type) {
      case FrameType::kPing:
        reply = RetireIfOtherBuild(frame->payload) ? FrameType::kRetired : FrameType::kPong;
        if (reply == FrameType::kRetired) payload = options_.build_id;
        break;
      case FrameType::kStatusRequest:
        reply = FrameType::kStatusResponse;
        payload = StatusJson();
        break;
      case FrameType::kShutdownRequest:
        reply = FrameType::kPong;
        RequestStop();
        // Answered once the queued remote writes are done: a CI job that stops the daemon
        // before it ends has published everything it built.
        if (std::shared_ptr<compile::Engine> engine = CurrentEngine()) engine->FlushRemote();
        break;
      case FrameType::kCompileRequest:
        reply = FrameType::kCompileResponse;
        payload = HandleCompile(frame->payload, conn.get(), &reply);
        break;
      default: payload = "unexpected frame type"; break;
    }
    if (reply == FrameType::kCompileResponse && payload.empty()) break;  // the client is gone
    // The idle time restarts when a request is answered (a long compile is not idle time), and
    // before the answer leaves, so a client that saw it can count on it.
    last_activity_ns_ = options_.clock->MonotonicNs();
    if (!WriteFrame(conn.get(), reply, payload).ok()) break;
  }
  conn.Reset();
  std::lock_guard<std::mutex> lock(mu_);
  --connections_;
  cv_.notify_all();
}

std::string Server::HandleCompile(const std::string& payload, int conn_fd, FrameType* reply) {
  const int64_t start_ns = options_.clock->MonotonicNs();
  CompileResponseMessage response;
  absl::StatusOr<CompileRequestMessage> request = DecodeCompileRequest(payload);
  if (!request.ok()) {
    response.outcome = WireOutcome::kPassthrough;
    response.reason = static_cast<uint16_t>(stats::Counter::kInternalError);
    return EncodeCompileResponse(response);
  }
  if (RetireIfOtherBuild(request->client_build)) {
    *reply = FrameType::kRetired;  // not served by another build's code
    return options_.build_id;
  }
  // The client's settings (ZCWRAP_RECACHE, ...) apply to its compile; its cache must be ours.
  absl::StatusOr<std::shared_ptr<const config::Config>> config = settings_.For(request->env);
  if (!config.ok() || (*config)->cache_dir != options_.cache_dir) {
    response.outcome = WireOutcome::kPassthrough;
    response.reason = static_cast<uint16_t>(stats::Counter::kInternalError);
    return EncodeCompileResponse(response);
  }

  // The idle timeout follows the settings too (zcwrap -o daemon_idle_timeout=N while it runs).
  idle_timeout_s_ = (*config)->daemon_idle_timeout;

  std::shared_ptr<compile::Engine> engine = CurrentEngine();
  if (engine == nullptr) {
    response.outcome = WireOutcome::kPassthrough;
    response.reason = static_cast<uint16_t>(stats::Counter::kInternalError);
    return EncodeCompileResponse(response);
  }
  // No wait here: the engine's runner limits compiler processes (util/process_slots.h), so a
  // hit never queues behind misses.
  ++in_flight_;
  compile::CompileRequest req;
  req.argv = std::move(request->argv);
  req.cwd = std::move(request->cwd);
  req.env = std::move(request->env);
  req.stderr_is_tty = request->stderr_is_tty;
  req.config = config->get();
  req.cancel_fds = {conn_fd};
  req.origin = "zcwrap-daemon";
  req.umask = static_cast<int>(request->umask);
  compile::CompileResult result = engine->Compile(req);
  --in_flight_;
  if (result.outcome == compile::Outcome::kCancelled) return "";

  response.outcome = ToWire(result.outcome);
  response.reason = static_cast<uint16_t>(result.reason);
  response.exit_code = result.exit_code;
  response.stdout_data = std::move(result.stdout_data);
  response.stderr_data = std::move(result.stderr_data);
  response.server_micros = static_cast<uint64_t>((options_.clock->MonotonicNs() - start_ns) / 1000);
  return EncodeCompileResponse(response);
}

std::string Server::StatusJson() const {
  std::shared_ptr<compile::Engine> engine;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    engine = engine_.engine;
  }
  const int64_t uptime = (options_.clock->MonotonicNs() - started_ns_) / 1'000'000'000;
  return absl::StrFormat(
      "{\"pid\": %d, \"version\": \"%s\", \"build_id\": \"%s\", \"protocol\": %d, "
      "\"uptime_s\": %d, \"requests\": %d, "
      "\"rss_bytes\": %d, \"in_flight\": %d, \"max_parallel\": %d, \"idle_timeout_s\": %d, "
      "\"memory_manifests\": %d, \"memory_results\": %d, \"cache_dir\": \"%s\", "
      "\"socket\": \"%s\", \"remote_tiers\": %s}",
      ::getpid(), kZcwrapVersion, util::JsonEscape(options_.build_id), kProtocolVersion, uptime,
      requests_.load(), RssBytes(), in_flight_.load(), options_.max_parallel,
      idle_timeout_s_.load(), engine->memory_manifests(), engine->memory_results(),
      util::JsonEscape(options_.cache_dir), util::JsonEscape(options_.endpoint.socket_path),
      remote::TierReportsJson(engine->RemoteReport()));
}

}  // namespace zc::daemon
