// The daemon's server in-process, on a fake clock: its idle timeout without waiting for it.
#include "cachecore/daemon/server.h"

#include <unistd.h>

#include <thread>

#include "cachecore/compile/front_door.h"
#include "cachecore/daemon/client.h"
#include "cachecore/daemon/frame_io.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace zc::daemon {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

class ServerTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Server>> StartServer(int idle_timeout_s,
                                                      std::string build_id = "") {
    config::Config config;
    config.cache_dir = dir_.Join("cache");
    ServerOptions options;
    options.endpoint.dir = dir_.path();
    options.endpoint.socket_path = dir_.Join("sock");
    options.endpoint.log_path = dir_.Join("log");
    options.cache_dir = config.cache_dir;
    options.idle_timeout_s = idle_timeout_s;
    options.clock = &clock_;
    options.idle_check_ms = 5;
    options.build_id = std::move(build_id);
    return Server::Start(options,
                         [this, config] { return compile::OpenEngine(config, &runner_, 0); });
  }
  // One request on a connection of its own, as a client makes it.
  void Ping() {
    absl::StatusOr<util::ScopedFd> fd = ConnectUnix(dir_.Join("sock"));
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(WriteFrame(fd->get(), FrameType::kPing, "").ok());
    absl::StatusOr<Frame> pong = ReadFrame(fd->get(), 5000);
    ASSERT_TRUE(pong.ok()) << pong.status();
    EXPECT_EQ(pong->type, FrameType::kPong);
  }

  test::TempDir dir_;
  test::FakeClock clock_{1000 * kSecondNs};
  util::PosixProcessRunner runner_;
};

TEST_F(ServerTest, IdleTimeoutCountsFromTheLastRequest) {
  absl::StatusOr<std::unique_ptr<Server>> server = StartServer(/*idle_timeout_s=*/900);
  ASSERT_TRUE(server.ok()) << server.status();
  std::thread run([&] { (*server)->Run(); });
  clock_.Advance(899 * kSecondNs);
  Ping();
  EXPECT_FALSE((*server)->IdleTimedOut());
  clock_.Advance(899 * kSecondNs);
  EXPECT_FALSE((*server)->IdleTimedOut()) << "the request restarted the idle time";
  Ping();  // still answered
  clock_.Advance(900 * kSecondNs);
  EXPECT_TRUE((*server)->IdleTimedOut());
  run.join();  // Run() returns on its own: no RequestStop
  EXPECT_FALSE(ConnectUnix(dir_.Join("sock")).ok()) << "the socket goes with the server";
}

// A client of another build (same protocol) makes the daemon retire: the socket path is free at
// once for the client's own daemon, and Run() returns; its own build, or no build id, is served.
TEST_F(ServerTest, ClientOfAnotherBuildRetiresTheDaemon) {
  absl::StatusOr<std::unique_ptr<Server>> server = StartServer(0, "aaaa");
  ASSERT_TRUE(server.ok()) << server.status();
  std::thread run([&] { (*server)->Run(); });
  Endpoint endpoint;
  endpoint.socket_path = dir_.Join("sock");
  EXPECT_TRUE(Client(endpoint, "aaaa").Ping().ok());
  EXPECT_TRUE(Client(endpoint, "").Ping().ok()) << "no build id: not checked";
  absl::Status other = Client(endpoint, "bbbb").Ping();
  EXPECT_TRUE(absl::IsUnavailable(other)) << other;
  EXPECT_NE(other.message().find("aaaa"), absl::string_view::npos) << other;
  EXPECT_NE(::access(dir_.Join("sock").c_str(), F_OK), 0) << "the path is freed before the answer";
  run.join();  // retired: Run() returns without RequestStop
  EXPECT_FALSE(ConnectUnix(dir_.Join("sock")).ok());

  // A new daemon (here of build bbbb) binds the path; the old one's exit must not remove it.
  absl::StatusOr<std::unique_ptr<Server>> next = StartServer(0, "bbbb");
  ASSERT_TRUE(next.ok()) << next.status();
  std::thread run_next([&] { (*next)->Run(); });
  server->reset();
  EXPECT_TRUE(Client(endpoint, "bbbb").Ping().ok());
  (*next)->RequestStop();
  run_next.join();
}

TEST_F(ServerTest, CompileFromAnotherBuildIsNotServed) {
  absl::StatusOr<std::unique_ptr<Server>> server = StartServer(0, "aaaa");
  ASSERT_TRUE(server.ok()) << server.status();
  std::thread run([&] { (*server)->Run(); });
  Endpoint endpoint;
  endpoint.socket_path = dir_.Join("sock");
  CompileRequestMessage request;
  request.argv = {"/bin/false", "-c", "a.c"};
  request.cwd = dir_.path();
  request.env = {"ZCWRAP_DIR=" + dir_.Join("cache")};
  absl::StatusOr<CompileResponseMessage> r = Client(endpoint, "bbbb").Compile(request);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  run.join();
}

TEST_F(ServerTest, ZeroIdleTimeoutNeverTimesOut) {
  absl::StatusOr<std::unique_ptr<Server>> server = StartServer(/*idle_timeout_s=*/0);
  ASSERT_TRUE(server.ok()) << server.status();
  clock_.Advance(int64_t{365} * 24 * 3600 * kSecondNs);
  EXPECT_FALSE((*server)->IdleTimedOut());
}

}  // namespace
}  // namespace zc::daemon
