// Real servers for remote cache tier tests: Redis, nginx with WebDAV, s3rver, and a black hole.
//
//   absl::StatusOr<std::unique_ptr<zc::test::RedisServer>> redis = zc::test::RedisServer::Start();
//   ASSERT_TRUE(redis.ok()) << redis.status();   // a server that cannot start fails the test
//   Config config{.remote = (*redis)->url()};
//   ...
//   (*redis)->Kill();                             // the tier must survive a crash
//   ASSERT_TRUE((*redis)->Restart().ok());        // same port, so the client can reconnect
//
// Each server is a child process (server_process.h) in its own process group and its own
// temporary directory (which also holds its configuration and a log of its output), listening on
// 127.0.0.1 on a free ephemeral port. The destructor stops it (SIGTERM, then SIGKILL after ~2 s)
// and removes the directory. Start() returns an error, never skips, if the binary is missing or
// the server does not answer within ~10 s; the message holds the tail of the server's log.
//
// Children get SIGKILL when the thread that started them dies (PR_SET_PDEATHSIG), so a test killed
// by a timeout leaves no server behind. Start servers from the test's own thread (or one that
// outlives them), never from a short-lived helper thread.
//
// Not thread-safe: use each object from one thread (the clients under test may use the servers
// from any number of threads or processes, of course).
#ifndef ZCWRAP_TESTS_SUPPORT_REMOTE_SERVERS_H_
#define ZCWRAP_TESTS_SUPPORT_REMOTE_SERVERS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/server_process.h"  // FreePort()

namespace zc::test {

// redis-server with no persistence (`save ""`): a restart after Kill() starts empty, as a crashed
// cache server would.
class RedisServer {
 public:
  struct Options {
    std::string password;      // requirepass, if not empty
    bool unix_socket = false;  // also listen on <dir>/redis.sock
  };

  // (Two overloads rather than `Options options = {}`: GCC rejects that default for a nested
  // struct with member initializers.)
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const;                                  // "redis://127.0.0.1:PORT"
  std::string socket_path() const { return socket_path_; }  // empty unless unix_socket
  // The server's process, or -1 while it is not running.
  pid_t pid() const;

  // SIGKILL now, to simulate a crash. Safe to call twice.
  void Kill();
  // Starts the server again on the same port (stopping it first if it still runs).
  absl::Status Restart();

  // Direct access over the protocol (authenticating with the password), for tests that plant
  // garbage or check what a client stored. Values are binary-safe.
  absl::Status Set(const std::string& key, const std::string& value);
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key);
  // KEYS `pattern`, sorted.
  absl::StatusOr<std::vector<std::string>> Keys(const std::string& pattern);

 private:
  RedisServer(Options options);
  absl::Status Launch(bool pick_port);

  Options options_;
  std::unique_ptr<ServerProcess> process_;
  std::string socket_path_;
  int port_ = 0;
};

// nginx (one process, master_process off) serving WebDAV PUT and DELETE under /cache, with
// create_full_put_path: GET of a missing file is 404, PUT answers 201 (created) or 204 (replaced).
class DavServer {
 public:
  struct Options {
    // Basic authentication on every method when `user` is not empty.
    std::string user;
    std::string password;
  };

  static absl::StatusOr<std::unique_ptr<DavServer>> Start();
  static absl::StatusOr<std::unique_ptr<DavServer>> Start(Options options);
  ~DavServer();
  DavServer(const DavServer&) = delete;
  DavServer& operator=(const DavServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT/cache"
  // The directory behind url(): a PUT of url()/a/b lands in root_dir()/a/b.
  std::string root_dir() const { return root_dir_; }
  pid_t pid() const;  // -1 while not running

  void Kill();  // SIGKILL now; safe to call twice
  // Starts the server again on the same port (stopping it first if it still runs). Files stay.
  absl::Status Restart();

 private:
  DavServer(Options options);
  absl::Status Launch(bool pick_port);

  Options options_;
  std::unique_ptr<ServerProcess> process_;
  std::string root_dir_;
  int port_ = 0;
};

// s3rver (a node program) with one bucket created at startup, for path-style requests.
//
// Beware: s3rver 3.7.1 checks that a signed request names a known access key (S3RVER; another one
// gets 403 InvalidAccessKeyId) and that it has x-amz-content-sha256 and a current x-amz-date, but
// it does NOT verify SigV4 signatures, and it accepts unsigned (anonymous) requests. A signing bug
// in the client goes unnoticed here.
class S3Server {
 public:
  static absl::StatusOr<std::unique_ptr<S3Server>> Start(std::string bucket = "zcwrap");
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  int port() const { return port_; }
  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  std::string bucket() const { return bucket_; }
  std::string access_key() const { return "S3RVER"; }
  std::string secret_key() const { return "S3RVER"; }
  // s3rver's -d directory. Object KEY of the bucket is stored in
  // data_dir()/BUCKET/KEY._S3rver_object, next to ._S3rver_metadata.json and ._S3rver_object.md5.
  std::string data_dir() const { return data_dir_; }
  pid_t pid() const;  // -1 while not running

  void Kill();  // SIGKILL to the process group now; safe to call twice
  // Starts the server again on the same port (stopping it first if it still runs). Objects stay.
  absl::Status Restart();

 private:
  explicit S3Server(std::string bucket);
  absl::Status Launch();

  std::string bucket_;
  std::unique_ptr<ServerProcess> process_;
  std::string data_dir_;
  int port_ = 0;  // 0 until the first start has printed the port it chose
};

// Accepts TCP connections (the kernel completes the handshake) and never answers or closes them:
// the "black hole" a remote tier must survive. A thread accepts and holds the connections, so the
// backlog never fills; they are closed on destruction.
class BlackHoleServer {
 public:
  static absl::StatusOr<std::unique_ptr<BlackHoleServer>> Start();
  ~BlackHoleServer();
  BlackHoleServer(const BlackHoleServer&) = delete;
  BlackHoleServer& operator=(const BlackHoleServer&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_.load(); }  // accepted so far

 private:
  BlackHoleServer() = default;
  void AcceptLoop();

  int listen_fd_ = -1;
  int wake_read_fd_ = -1;  // readable when the destructor wants the thread to stop
  int wake_write_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::vector<int> held_fds_;  // owned by the accept thread until it is joined
  std::thread thread_;
};

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_REMOTE_SERVERS_H_
