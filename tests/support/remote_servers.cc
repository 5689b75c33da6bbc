#include "tests/support/remote_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"
#include "tests/support/server_process.h"

namespace zc::test {
namespace {

using util::ScopedFd;

// A readiness probe must not eat the start deadline; a real request may take longer.
constexpr int kProbeTimeoutMs = 1000;
constexpr int kRequestTimeoutMs = 5000;
constexpr auto kPollInterval = std::chrono::milliseconds(5);

absl::Status ErrnoError(absl::string_view what) { return absl::ErrnoToStatus(errno, what); }

// Buffered reads from a socket whose receive timeout is set.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  // The next line, without its "\r\n".
  absl::StatusOr<std::string> ReadLine() {
    for (;;) {
      size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      ZC_RETURN_IF_ERROR(Fill());
    }
  }

  absl::StatusOr<std::string> ReadBytes(size_t count) {
    while (buffer_.size() < count) ZC_RETURN_IF_ERROR(Fill());
    std::string bytes = buffer_.substr(0, count);
    buffer_.erase(0, count);
    return bytes;
  }

 private:
  absl::Status Fill() {
    char chunk[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return absl::DeadlineExceededError("no answer from the server in time");
      }
      if (n < 0) return ErrnoError("recv");
      if (n == 0) return absl::UnavailableError("the server closed the connection");
      buffer_.append(chunk, static_cast<size_t>(n));
      return absl::OkStatus();
    }
  }

  int fd_;
  std::string buffer_;
};

// --- Redis protocol (RESP2), as much as the helpers need. ---

struct RespReply {
  char type = 0;     // '+', '-', ':', '$' or '*'
  std::string text;  // simple string, error, integer digits or bulk bytes
  bool nil = false;  // a null bulk string or array
  std::vector<RespReply> elements;
};

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& arg : args) absl::StrAppend(&out, "$", arg.size(), "\r\n", arg, "\r\n");
  return out;
}

absl::StatusOr<RespReply> ReadReply(Reader& reader) {
  ZC_ASSIGN_OR_RETURN(std::string line, reader.ReadLine());
  if (line.empty()) return absl::DataLossError("empty Redis reply line");
  RespReply reply;
  reply.type = line[0];
  absl::string_view rest = absl::string_view(line).substr(1);
  switch (reply.type) {
    case '+':
    case '-':
    case ':': reply.text = std::string(rest); return reply;
    case '$':
    case '*': {
      int64_t count = 0;
      if (!absl::SimpleAtoi(rest, &count)) {
        return absl::DataLossError(absl::StrCat("bad Redis reply: ", line));
      }
      if (count < 0) {
        reply.nil = true;
        return reply;
      }
      if (reply.type == '$') {
        ZC_ASSIGN_OR_RETURN(std::string bytes, reader.ReadBytes(static_cast<size_t>(count) + 2));
        reply.text = bytes.substr(0, static_cast<size_t>(count));
        return reply;
      }
      for (int64_t i = 0; i < count; ++i) {
        ZC_ASSIGN_OR_RETURN(RespReply element, ReadReply(reader));
        reply.elements.push_back(std::move(element));
      }
      return reply;
    }
    default: return absl::DataLossError(absl::StrCat("bad Redis reply: ", line));
  }
}

// Sends `args` on `fd` (after AUTH when `password` is set). A Redis error reply is an error.
absl::StatusOr<RespReply> RedisCall(int fd, const std::string& password,
                                    const std::vector<std::string>& args) {
  Reader reader(fd);
  if (!password.empty()) {
    ZC_RETURN_IF_ERROR(SendAll(fd, EncodeCommand({"AUTH", password})));
    ZC_ASSIGN_OR_RETURN(RespReply auth, ReadReply(reader));
    if (auth.type == '-') return absl::PermissionDeniedError(absl::StrCat("AUTH: ", auth.text));
  }
  ZC_RETURN_IF_ERROR(SendAll(fd, EncodeCommand(args)));
  ZC_ASSIGN_OR_RETURN(RespReply reply, ReadReply(reader));
  if (reply.type == '-') {
    return absl::FailedPreconditionError(absl::StrCat(args[0], ": ", reply.text));
  }
  return reply;
}

// The Redis server on `fd` is the process `pid`: a foreign server that took the port after
// FreePort() must not pass for ours.
bool IsRedisProcess(absl::StatusOr<ScopedFd> fd, const std::string& password, pid_t pid) {
  if (!fd.ok()) return false;
  absl::StatusOr<RespReply> reply = RedisCall(fd->get(), password, {"INFO", "server"});
  return reply.ok() && absl::StrContains(reply->text, absl::StrCat("\nprocess_id:", pid, "\r\n"));
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// GET `path` on a connection of its own (Connection: close: the body ends at end of file).
absl::StatusOr<HttpAnswer> HttpGet(int port, absl::string_view path) {
  ZC_ASSIGN_OR_RETURN(std::string answer,
                      TcpExchange(port,
                                  absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                               "\r\nConnection: close\r\n\r\n"),
                                  kProbeTimeoutMs));
  const size_t head_end = answer.find("\r\n\r\n");
  const std::string status_line = answer.substr(0, answer.find("\r\n"));
  std::vector<absl::string_view> parts = absl::StrSplit(status_line, ' ');
  HttpAnswer result;
  if (head_end == std::string::npos || parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      !absl::SimpleAtoi(parts[1], &result.status)) {
    return absl::DataLossError(absl::StrCat("not an HTTP answer: ", answer.substr(0, 200)));
  }
  result.body = answer.substr(head_end + 4);
  return result;
}

// The line "S3rver listening on 127.0.0.1:PORT" in `log`: PORT, or 0.
int S3rverListeningPort(absl::string_view log) {
  constexpr char kListening[] = "listening on 127.0.0.1:";
  const size_t at = log.find(kListening);
  if (at == absl::string_view::npos) return 0;
  absl::string_view digits = log.substr(at + std::strlen(kListening));
  digits = digits.substr(0, std::min(digits.find_first_not_of("0123456789"), digits.size()));
  int port = 0;
  return absl::SimpleAtoi(digits, &port) ? port : 0;
}

// nginx.conf for DavServer: $0 is the server's directory, $1 the port, $2 the auth lines.
//
// One process (master_process off): no worker switching to `user nobody` when run as root, so
// the temp dir needs no permission changes. Every path nginx would otherwise take from its build
// (/var/lib/nginx, /var/log/nginx, /run) is in the directory. /zcwrap-pid answers nginx's pid,
// so that readiness can tell our nginx from whatever else might have taken the port.
constexpr absl::string_view kNginxConf = R"(daemon off;
master_process off;
worker_processes 1;
pid "$0/nginx.pid";
lock_file "$0/nginx.lock";
error_log stderr notice;
events { worker_connections 1024; }
http {
  access_log "$0/access.log";
  default_type application/octet-stream;
  client_max_body_size 512m;
  client_body_temp_path "$0/tmp/body";
  proxy_temp_path "$0/tmp/proxy";
  fastcgi_temp_path "$0/tmp/fastcgi";
  uwsgi_temp_path "$0/tmp/uwsgi";
  scgi_temp_path "$0/tmp/scgi";
  server {
    listen 127.0.0.1:$1;
    root "$0/www";
$2
    location /cache/ {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw;
    }
    location = /zcwrap-pid {
      auth_basic off;
      access_log off;
      return 200 "$$pid";
    }
  }
}
)";

// A string in a redis.conf: double-quoted, with the escapes its parser (sdssplitargs) knows.
std::string RedisQuote(absl::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      absl::StrAppend(&out, "\\x", std::string(1, kHex[c >> 4]), std::string(1, kHex[c & 15]));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

// --- RedisServer ---

RedisServer::RedisServer(Options options) : options_(std::move(options)) {}
RedisServer::~RedisServer() = default;

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() { return Start(Options()); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  auto server = std::unique_ptr<RedisServer>(new RedisServer(std::move(options)));
  ZC_ASSIGN_OR_RETURN(server->process_, ServerProcess::Create("redis-server"));
  if (server->options_.unix_socket) {
    server->socket_path_ = absl::StrCat(server->process_->dir(), "/redis.sock");
    if (server->socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("socket path too long (set TEST_TMPDIR shorter): ", server->socket_path_));
    }
  }
  ZC_RETURN_IF_ERROR(server->Launch(/*pick_port=*/true));
  return server;
}

absl::Status RedisServer::Launch(bool pick_port) {
  auto prepare = [this](int port) -> absl::StatusOr<std::vector<std::string>> {
    // No persistence: a restart starts empty, and nothing is written outside dir().
    std::string conf =
        absl::StrCat("bind 127.0.0.1\nport ", port, "\ndaemonize no\nlogfile \"\"\nsave \"\"\n",
                     "appendonly no\ndir ", RedisQuote(process_->dir()), "\n");
    if (!options_.password.empty()) {
      absl::StrAppend(&conf, "requirepass ", RedisQuote(options_.password), "\n");
    }
    if (!socket_path_.empty()) {
      absl::StrAppend(&conf, "unixsocket ", RedisQuote(socket_path_), "\nunixsocketperm 700\n");
    }
    std::string conf_path = absl::StrCat(process_->dir(), "/redis.conf");
    ZC_RETURN_IF_ERROR(WriteWholeFile(conf_path, conf));
    return std::vector<std::string>{"redis-server", conf_path};
  };
  auto ready = [this] {
    const pid_t pid = process_->pid();
    if (!IsRedisProcess(ConnectTcp(port_, kProbeTimeoutMs), options_.password, pid)) return false;
    return socket_path_.empty() ||
           IsRedisProcess(ConnectUnix(socket_path_, kProbeTimeoutMs), options_.password, pid);
  };
  return LaunchOnPort(*process_, port_, pick_port, prepare, ready);
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_); }
pid_t RedisServer::pid() const { return process_->pid(); }
void RedisServer::Kill() { process_->Kill(); }

absl::Status RedisServer::Restart() {
  process_->Stop();
  return Launch(/*pick_port=*/false);
}

absl::Status RedisServer::Set(const std::string& key, const std::string& value) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, ConnectTcp(port_, kRequestTimeoutMs));
  ZC_ASSIGN_OR_RETURN(RespReply reply, RedisCall(fd.get(), options_.password, {"SET", key, value}));
  if (reply.type != '+') return absl::DataLossError("SET: unexpected reply");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RedisServer::Get(const std::string& key) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, ConnectTcp(port_, kRequestTimeoutMs));
  ZC_ASSIGN_OR_RETURN(RespReply reply, RedisCall(fd.get(), options_.password, {"GET", key}));
  if (reply.type != '$') return absl::DataLossError("GET: unexpected reply");
  if (reply.nil) return std::optional<std::string>();
  return std::optional<std::string>(std::move(reply.text));
}

absl::StatusOr<std::vector<std::string>> RedisServer::Keys(const std::string& pattern) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, ConnectTcp(port_, kRequestTimeoutMs));
  ZC_ASSIGN_OR_RETURN(RespReply reply, RedisCall(fd.get(), options_.password, {"KEYS", pattern}));
  if (reply.type != '*') return absl::DataLossError("KEYS: unexpected reply");
  std::vector<std::string> keys;
  for (RespReply& element : reply.elements) keys.push_back(std::move(element.text));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// --- DavServer ---

DavServer::DavServer(Options options) : options_(std::move(options)) {}
DavServer::~DavServer() = default;

absl::StatusOr<std::unique_ptr<DavServer>> DavServer::Start() { return Start(Options()); }

absl::StatusOr<std::unique_ptr<DavServer>> DavServer::Start(Options options) {
  if (absl::StrContains(options.user, ':') || absl::StrContains(options.user, '\n') ||
      absl::StrContains(options.password, '\n')) {
    return absl::InvalidArgumentError("DavServer: no ':' in the user, no newline in either");
  }
  auto server = std::unique_ptr<DavServer>(new DavServer(std::move(options)));
  ZC_ASSIGN_OR_RETURN(server->process_, ServerProcess::Create("nginx"));
  const std::string& dir = server->process_->dir();
  ZC_RETURN_IF_ERROR(MakeDir(absl::StrCat(dir, "/www")));
  ZC_RETURN_IF_ERROR(MakeDir(absl::StrCat(dir, "/tmp")));
  server->root_dir_ = absl::StrCat(dir, "/www/cache");
  ZC_RETURN_IF_ERROR(MakeDir(server->root_dir_));
  if (!server->options_.user.empty()) {
    // nginx's own plain-text scheme: no hashing tool needed, and this is a test password.
    ZC_RETURN_IF_ERROR(WriteWholeFile(
        absl::StrCat(dir, "/htpasswd"),
        absl::StrCat(server->options_.user, ":{PLAIN}", server->options_.password, "\n")));
  }
  ZC_RETURN_IF_ERROR(server->Launch(/*pick_port=*/true));
  return server;
}

absl::Status DavServer::Launch(bool pick_port) {
  auto prepare = [this](int port) -> absl::StatusOr<std::vector<std::string>> {
    const std::string& dir = process_->dir();
    std::string auth;
    if (!options_.user.empty()) {
      auth = absl::Substitute(
          "    auth_basic \"zcwrap\";\n    auth_basic_user_file \"$0/htpasswd\";", dir);
    }
    const std::string conf = absl::Substitute(kNginxConf, dir, port, auth);
    std::string conf_path = absl::StrCat(dir, "/nginx.conf");
    ZC_RETURN_IF_ERROR(WriteWholeFile(conf_path, conf));
    return std::vector<std::string>{"nginx", "-p", dir, "-c", conf_path, "-e", "stderr"};
  };
  auto ready = [this] {
    absl::StatusOr<HttpAnswer> answer = HttpGet(port_, "/zcwrap-pid");
    return answer.ok() && answer->status == 200 && answer->body == absl::StrCat(process_->pid());
  };
  return LaunchOnPort(*process_, port_, pick_port, prepare, ready);
}

std::string DavServer::url() const { return absl::StrCat("http://127.0.0.1:", port_, "/cache"); }
pid_t DavServer::pid() const { return process_->pid(); }
void DavServer::Kill() { process_->Kill(); }

absl::Status DavServer::Restart() {
  process_->Stop();
  return Launch(/*pick_port=*/false);
}

// --- S3Server ---

S3Server::S3Server(std::string bucket) : bucket_(std::move(bucket)) {}
S3Server::~S3Server() = default;

absl::StatusOr<std::unique_ptr<S3Server>> S3Server::Start(std::string bucket) {
  auto server = std::unique_ptr<S3Server>(new S3Server(std::move(bucket)));
  ZC_ASSIGN_OR_RETURN(server->process_, ServerProcess::Create("s3rver"));
  server->data_dir_ = absl::StrCat(server->process_->dir(), "/data");
  ZC_RETURN_IF_ERROR(MakeDir(server->data_dir_));
  ZC_RETURN_IF_ERROR(server->Launch());
  return server;
}

absl::Status S3Server::Launch() {
  // The first start lets s3rver pick the port (-p 0, race-free) and reads it from the line
  // "S3rver listening on 127.0.0.1:PORT"; a restart asks for the same one again.
  const bool pick_port = port_ == 0;
  ZC_RETURN_IF_ERROR(process_->Spawn({"s3rver", "-d", data_dir_, "-a", "127.0.0.1", "-p",
                                      absl::StrCat(port_), "--configure-bucket", bucket_}));
  auto ready = [this, pick_port] {
    // Our s3rver says where it listens (on a restart too, so that whatever else took the port
    // cannot pass for it).
    const int port = S3rverListeningPort(process_->LogSinceSpawn());
    if (port == 0 || (!pick_port && port != port_)) return false;
    port_ = port;
    // The bucket listing answers only once --configure-bucket has made the bucket.
    absl::StatusOr<HttpAnswer> answer = HttpGet(port_, absl::StrCat("/", bucket_));
    return answer.ok() && answer->status == 200;
  };
  absl::Status status = process_->WaitReady(ready);
  if (!status.ok() && pick_port) port_ = 0;
  return status;
}

std::string S3Server::endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }
pid_t S3Server::pid() const { return process_->pid(); }
void S3Server::Kill() { process_->Kill(); }

absl::Status S3Server::Restart() {
  process_->Stop();
  return Launch();
}

// --- BlackHoleServer ---

absl::StatusOr<std::unique_ptr<BlackHoleServer>> BlackHoleServer::Start() {
  auto server = std::unique_ptr<BlackHoleServer>(new BlackHoleServer());
  ScopedFd listen_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listen_fd.valid()) return ErrnoError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError("bind 127.0.0.1:0");
  }
  if (::listen(listen_fd.get(), SOMAXCONN) != 0) return ErrnoError("listen");
  // Non-blocking, so the thread can drain every pending connection at each wakeup: a full accept
  // queue would drop SYNs and delay clients' connects by a second per retransmission.
  if (::fcntl(listen_fd.get(), F_SETFL, O_NONBLOCK) != 0) return ErrnoError("fcntl");
  socklen_t len = sizeof(addr);
  if (::getsockname(listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("getsockname");
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  server->listen_fd_ = listen_fd.Release();
  server->wake_read_fd_ = wake[0];
  server->wake_write_fd_ = wake[1];
  server->port_ = ntohs(addr.sin_port);
  server->thread_ = std::thread([raw = server.get()] { raw->AcceptLoop(); });
  return server;
}

void BlackHoleServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{.fd = listen_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_read_fd_, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    for (;;) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: the connection stays queued; wait instead of spinning on poll.
        if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(kPollInterval);
        break;
      }
      held_fds_.push_back(fd);
      connections_.fetch_add(1);
    }
  }
}

BlackHoleServer::~BlackHoleServer() {
  if (thread_.joinable()) {
    char c = 0;
    (void)!::write(wake_write_fd_, &c, 1);
    thread_.join();
  }
  for (int fd : held_fds_) ::close(fd);
  for (int fd : {listen_fd_, wake_read_fd_, wake_write_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace zc::test
