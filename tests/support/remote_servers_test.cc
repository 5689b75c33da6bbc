#include "tests/support/remote_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using util::ScopedFd;

// --- Raw clients: the servers must work for a peer that knows nothing of the fixture. ---

ScopedFd ConnectTo(int port) {
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  return fd;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Sends `request` and returns the first line of the answer (without "\r\n").
std::string Exchange(int fd, absl::string_view request) {
  if (!SendAll(fd, request)) return "<send failed>";
  std::string line;
  char c;
  while (!absl::EndsWith(line, "\r\n")) {
    if (::recv(fd, &c, 1, 0) != 1) return absl::StrCat("<no answer> ", line);
    line.push_back(c);
  }
  line.resize(line.size() - 2);
  return line;
}

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// One HTTP/1.1 request on a fresh connection (Connection: close, so the body ends at EOF).
absl::StatusOr<HttpReply> Http(int port, absl::string_view method, absl::string_view path,
                               absl::string_view body = "",
                               const std::vector<std::string>& headers = {}) {
  ScopedFd fd = ConnectTo(port);
  if (!fd.valid()) return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  if (method == "PUT" || !body.empty()) {
    absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n");
  }
  for (const std::string& header : headers) absl::StrAppend(&request, header, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  if (!SendAll(fd.get(), request)) return absl::UnavailableError("send failed");
  std::string answer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DeadlineExceededError("no complete answer");
    if (n == 0) break;
    answer.append(chunk, static_cast<size_t>(n));
  }
  size_t head_end = answer.find("\r\n\r\n");
  if (head_end == std::string::npos) return absl::DataLossError(absl::StrCat("no head: ", answer));
  HttpReply reply;
  reply.head = answer.substr(0, head_end);
  reply.body = answer.substr(head_end + 4);
  if (!absl::StartsWith(reply.head, "HTTP/1.") || reply.head.size() < 12 ||
      !absl::SimpleAtoi(reply.head.substr(9, 3), &reply.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", reply.head));
  }
  return reply;
}

// HTTP status of a request, or -1 when there was no HTTP answer.
int StatusOf(const absl::StatusOr<HttpReply>& reply) { return reply.ok() ? reply->status : -1; }

std::string BasicAuth(absl::string_view user, absl::string_view password) {
  return absl::StrCat("Authorization: Basic ",
                      absl::Base64Escape(absl::StrCat(user, ":", password)));
}

// Nothing is accepted on `port` any more (the server is gone).
bool Refused(int port) { return !ConnectTo(port).valid(); }

// --- FreePort ---

TEST(FreePortTest, GivesABindablePort) {
  absl::StatusOr<int> port = FreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, 0);
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << std::strerror(errno);
}

// A missing binary is an error for the test to fail on, never a skip.
TEST(RemoteServersTest, MissingBinaryIsAnError) {
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  ::setenv("PATH", "/nonexistent", 1);
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  absl::StatusOr<std::unique_ptr<S3Server>> s3 = S3Server::Start();
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(redis.ok());
  EXPECT_TRUE(absl::IsNotFound(redis.status())) << redis.status();
  EXPECT_THAT(redis.status().message(), HasSubstr("redis-server"));
  EXPECT_FALSE(s3.ok());
}

// A server that dies at startup fails Start() at once, with the end of its log.
TEST(RemoteServersTest, ServerThatExitsIsAnErrorWithItsLog) {
  TempDir bin;
  WriteTestFile(bin.Join("nginx"), "#!/bin/sh\necho 'fake nginx: cannot start' >&2\nexit 3\n");
  ASSERT_EQ(::chmod(bin.Join("nginx").c_str(), 0755), 0);
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  ::setenv("PATH", absl::StrCat(bin.path(), ":", saved).c_str(), 1);
  absl::StatusOr<std::unique_ptr<DavServer>> dav = DavServer::Start();
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(dav.ok());
  EXPECT_TRUE(absl::IsUnavailable(dav.status())) << dav.status();
  EXPECT_THAT(dav.status().message(), HasSubstr("nginx exited with status 3"));
  EXPECT_THAT(dav.status().message(), HasSubstr("fake nginx: cannot start"));
}

// --- RedisServer ---

TEST(RedisServerTest, StoresAndReadsValues) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisServer& server = **redis;
  EXPECT_EQ(server.url(), absl::StrCat("redis://127.0.0.1:", server.port()));
  EXPECT_EQ(server.socket_path(), "");
  EXPECT_GT(server.pid(), 0);

  const std::string binary("a\0b\r\n\xff", 6);
  ASSERT_TRUE(server.Set("k1", binary).ok());
  ASSERT_TRUE(server.Set("k2", "").ok());
  ASSERT_TRUE(server.Set("other", "x").ok());
  absl::StatusOr<std::optional<std::string>> value = server.Get("k1");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, binary);
  value = server.Get("k2");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "");
  value = server.Get("missing");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::nullopt);
  absl::StatusOr<std::vector<std::string>> keys = server.Keys("k*");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, ElementsAre("k1", "k2"));

  // The same data through the raw protocol.
  ScopedFd fd = ConnectTo(server.port());
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(Exchange(fd.get(), "GET other\r\n"), "$1");
  EXPECT_EQ(Exchange(fd.get(), ""), "x");
}

TEST(RedisServerTest, PasswordIsRequiredAndChecked) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis =
      RedisServer::Start({.password = "s3cret \"quoted\""});
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisServer& server = **redis;
  EXPECT_EQ(server.url(), absl::StrCat("redis://127.0.0.1:", server.port()));
  ASSERT_TRUE(server.Set("k", "v").ok());  // the helpers authenticate
  absl::StatusOr<std::optional<std::string>> value = server.Get("k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "v");

  ScopedFd fd = ConnectTo(server.port());
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(Exchange(fd.get(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), StartsWith("-NOAUTH"));
  EXPECT_THAT(Exchange(fd.get(), "*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n"), StartsWith("-WRONGPASS"));
  EXPECT_EQ(Exchange(fd.get(), "*2\r\n$4\r\nAUTH\r\n$15\r\ns3cret \"quoted\"\r\n"), "+OK");
  EXPECT_EQ(Exchange(fd.get(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), "$1");
}

TEST(RedisServerTest, ListensOnAUnixSocketToo) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start({.unix_socket = true});
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string path = (*redis)->socket_path();
  EXPECT_THAT(path, ::testing::EndsWith("/redis.sock"));
  ASSERT_TRUE((*redis)->Set("k", "over tcp").ok());

  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << std::strerror(errno);
  EXPECT_EQ(Exchange(fd.get(), "GET k\r\n"), "$8");
  EXPECT_EQ(Exchange(fd.get(), ""), "over tcp");
}

TEST(RedisServerTest, KillAndRestartOnTheSamePort) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start({.password = "pw"});
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisServer& server = **redis;
  const int port = server.port();
  const pid_t old_pid = server.pid();
  ASSERT_TRUE(server.Set("k", "v").ok());

  server.Kill();
  server.Kill();  // harmless
  EXPECT_EQ(server.pid(), -1);
  EXPECT_TRUE(Refused(port));
  EXPECT_FALSE(server.Get("k").ok());

  absl::Status restarted = server.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(server.port(), port);
  EXPECT_GT(server.pid(), 0);
  EXPECT_NE(server.pid(), old_pid);
  absl::StatusOr<std::optional<std::string>> value = server.Get("k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::nullopt) << "no persistence: a crash loses the data";
  ASSERT_TRUE(server.Set("k", "again").ok());

  // Restart of a running server stops it first.
  ASSERT_TRUE(server.Restart().ok());
  EXPECT_EQ(server.port(), port);
  EXPECT_TRUE(server.Set("k", "v").ok());
}

TEST(RedisServerTest, RestartOnATakenPortFailsWithTheLog) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  (*redis)->Kill();
  ScopedFd squatter(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>((*redis)->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(squatter.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(squatter.get(), 1), 0);

  absl::Status restarted = (*redis)->Restart();
  EXPECT_TRUE(absl::IsUnavailable(restarted)) << restarted;
  EXPECT_THAT(restarted.message(), HasSubstr("exited with status"));
  EXPECT_THAT(restarted.message(), HasSubstr("Address already in use"));
  EXPECT_EQ((*redis)->pid(), -1);
}

TEST(RedisServerTest, DestructorStopsTheServer) {
  int port = 0;
  pid_t pid = 0;
  {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    port = (*redis)->port();
    pid = (*redis)->pid();
  }
  EXPECT_TRUE(Refused(port));
  EXPECT_NE(::kill(pid, 0), 0) << "process " << pid << " still exists";
}

// --- DavServer ---

TEST(DavServerTest, PutGetDeleteAnd404) {
  absl::StatusOr<std::unique_ptr<DavServer>> dav = DavServer::Start();
  ASSERT_TRUE(dav.ok()) << dav.status();
  DavServer& server = **dav;
  const int port = server.port();
  EXPECT_EQ(server.url(), absl::StrCat("http://127.0.0.1:", port, "/cache"));

  EXPECT_EQ(StatusOf(Http(port, "PUT", "/cache/ab/cdef", "first")), 201);  // creates ab/
  EXPECT_EQ(StatusOf(Http(port, "PUT", "/cache/ab/cdef", "second")), 204);
  absl::StatusOr<HttpReply> got = Http(port, "GET", "/cache/ab/cdef");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "second");
  EXPECT_EQ(ReadTestFile(server.root_dir() + "/ab/cdef"), "second");

  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/ab/missing")), 404);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/nodir/missing")), 404);

  WriteTestFile(server.root_dir() + "/planted", "garbage");
  got = Http(port, "GET", "/cache/planted");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, "garbage");

  EXPECT_EQ(StatusOf(Http(port, "DELETE", "/cache/ab/cdef")), 204);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/ab/cdef")), 404);
}

TEST(DavServerTest, TakesLargeBodies) {
  absl::StatusOr<std::unique_ptr<DavServer>> dav = DavServer::Start();
  ASSERT_TRUE(dav.ok()) << dav.status();
  // Far above client_body_buffer_size: nginx goes through its client body temp directory.
  const std::string big = PseudoRandomBytes(20 << 20, 7);
  EXPECT_EQ(StatusOf(Http((*dav)->port(), "PUT", "/cache/big", big)), 201);
  absl::StatusOr<HttpReply> got = Http((*dav)->port(), "GET", "/cache/big");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->body == big) << "got " << got->body.size() << " bytes";
}

TEST(DavServerTest, BasicAuthOnEveryMethod) {
  absl::StatusOr<std::unique_ptr<DavServer>> dav =
      DavServer::Start({.user = "zc", .password = "open sesame"});
  ASSERT_TRUE(dav.ok()) << dav.status();
  const int port = (*dav)->port();
  const std::string good = BasicAuth("zc", "open sesame");
  const std::string bad = BasicAuth("zc", "wrong");

  EXPECT_EQ(StatusOf(Http(port, "PUT", "/cache/k", "v")), 401);
  EXPECT_EQ(StatusOf(Http(port, "PUT", "/cache/k", "v", {bad})), 401);
  EXPECT_EQ(StatusOf(Http(port, "PUT", "/cache/k", "v", {good})), 201);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/k")), 401);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/k", "", {bad})), 401);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/k", "", {BasicAuth("other", "open sesame")})), 401);
  EXPECT_EQ(StatusOf(Http(port, "GET", "/cache/k", "", {good})), 200);
  EXPECT_EQ(StatusOf(Http(port, "DELETE", "/cache/k", "", {bad})), 401);
  EXPECT_EQ(StatusOf(Http(port, "DELETE", "/cache/k", "", {good})), 204);
}

TEST(DavServerTest, RejectsAUserWithAColon) {
  EXPECT_TRUE(absl::IsInvalidArgument(DavServer::Start({.user = "a:b"}).status()));
}

// Kill() twice, then Restart(): the same port, a new process, and what was PUT at `path` before
// (answered with `created`) still there.
template <typename Server>
void ExpectKillAndRestartKeep(Server& server, const std::string& path, int created) {
  const int port = server.port();
  const pid_t old_pid = server.pid();
  EXPECT_EQ(StatusOf(Http(port, "PUT", path, "kept")), created);

  server.Kill();
  server.Kill();
  EXPECT_EQ(server.pid(), -1);
  EXPECT_TRUE(Refused(port));

  absl::Status restarted = server.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(server.port(), port);
  EXPECT_NE(server.pid(), old_pid);
  absl::StatusOr<HttpReply> got = Http(port, "GET", path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, "kept");
}

TEST(DavServerTest, KillAndRestartKeepFiles) {
  absl::StatusOr<std::unique_ptr<DavServer>> dav = DavServer::Start();
  ASSERT_TRUE(dav.ok()) << dav.status();
  ExpectKillAndRestartKeep(**dav, "/cache/k", 201);
}

// --- S3Server ---

// An AWS4 Authorization header as far as s3rver looks at it (see the class comment).
std::vector<std::string> Sigv4Headers(absl::string_view access_key) {
  char date[32];
  std::time_t now = std::time(nullptr);
  std::tm utc;
  ::gmtime_r(&now, &utc);
  std::strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &utc);
  return {absl::StrCat(
              "Authorization: AWS4-HMAC-SHA256 Credential=", access_key, "/", std::string(date, 8),
              "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, "
              "Signature=0000000000000000000000000000000000000000000000000000000000000000"),
          "x-amz-content-sha256: UNSIGNED-PAYLOAD", absl::StrCat("x-amz-date: ", date)};
}

TEST(S3ServerTest, ServesTheBucket) {
  absl::StatusOr<std::unique_ptr<S3Server>> s3 = S3Server::Start();
  ASSERT_TRUE(s3.ok()) << s3.status();
  S3Server& server = **s3;
  const int port = server.port();
  EXPECT_EQ(server.endpoint(), absl::StrCat("http://127.0.0.1:", port));
  EXPECT_EQ(server.bucket(), "zcwrap");
  EXPECT_EQ(server.access_key(), "S3RVER");
  EXPECT_EQ(server.secret_key(), "S3RVER");

  absl::StatusOr<HttpReply> list = Http(port, "GET", "/");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->status, 200);
  EXPECT_THAT(list->body, HasSubstr("<Name>zcwrap</Name>"));
  list = Http(port, "GET", "/zcwrap");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->body, HasSubstr("<ListBucketResult"));

  EXPECT_EQ(StatusOf(Http(port, "PUT", "/zcwrap/ab/cdef", "object")), 200);
  absl::StatusOr<HttpReply> got = Http(port, "GET", "/zcwrap/ab/cdef");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "object");
  EXPECT_EQ(ReadTestFile(server.data_dir() + "/zcwrap/ab/cdef._S3rver_object"), "object");

  absl::StatusOr<HttpReply> missing = Http(port, "GET", "/zcwrap/nope");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("NoSuchKey"));
  EXPECT_EQ(StatusOf(Http(port, "GET", "/otherbucket/x")), 404);
}

TEST(S3ServerTest, RefusesAnUnknownAccessKeyButNotABadSignature) {
  absl::StatusOr<std::unique_ptr<S3Server>> s3 = S3Server::Start("my-bucket");
  ASSERT_TRUE(s3.ok()) << s3.status();
  const int port = (*s3)->port();
  absl::StatusOr<HttpReply> refused =
      Http(port, "PUT", "/my-bucket/k", "v", Sigv4Headers("NOT-A-KEY"));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 403);
  EXPECT_THAT(refused->body, HasSubstr("InvalidAccessKeyId"));
  // s3rver 3.7.1 does not compute SigV4 signatures: a wrong one passes.
  EXPECT_EQ(StatusOf(Http(port, "PUT", "/my-bucket/k", "v", Sigv4Headers("S3RVER"))), 200);
}

TEST(S3ServerTest, KillAndRestartKeepObjects) {
  absl::StatusOr<std::unique_ptr<S3Server>> s3 = S3Server::Start();
  ASSERT_TRUE(s3.ok()) << s3.status();
  ExpectKillAndRestartKeep(**s3, "/zcwrap/k", 200);
}

// --- BlackHoleServer ---

TEST(BlackHoleServerTest, AcceptsAndNeverAnswers) {
  absl::StatusOr<std::unique_ptr<BlackHoleServer>> hole = BlackHoleServer::Start();
  ASSERT_TRUE(hole.ok()) << hole.status();
  const int port = (*hole)->port();
  EXPECT_GT(port, 0);

  ScopedFd fd = ConnectTo(port);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(SendAll(fd.get(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  pollfd pfd{.fd = fd.get(), .events = POLLIN, .revents = 0};
  EXPECT_EQ(::poll(&pfd, 1, 300), 0)
      << "the black hole answered or closed (revents " << pfd.revents << ")";
  EXPECT_EQ((*hole)->connections(), 1);
}

TEST(BlackHoleServerTest, HoldsMoreConnectionsThanTheBacklog) {
  absl::StatusOr<std::unique_ptr<BlackHoleServer>> hole = BlackHoleServer::Start();
  ASSERT_TRUE(hole.ok()) << hole.status();
  std::vector<ScopedFd> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(ConnectTo((*hole)->port()));
    ASSERT_TRUE(clients.back().valid()) << "connection " << i;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*hole)->connections() < 300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*hole)->connections(), 300);
}

}  // namespace
}  // namespace zc::test
