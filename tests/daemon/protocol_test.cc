#include "cachecore/daemon/protocol.h"

#include <dirent.h>

#include "cachecore/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/daemon/protocol_fuzz_target.h"

namespace zc::daemon {
namespace {

CompileRequestMessage SampleRequest() {
  CompileRequestMessage m;
  m.argv = {"/usr/bin/gcc", "-c", "a.c", "-o", "a.o"};
  m.cwd = "/src";
  m.env = {"PATH=/usr/bin", "LC_ALL=C"};
  m.stdin_data = "";
  m.stderr_is_tty = true;
  return m;
}

TEST(ProtocolTest, CompileRequestRoundTrips) {
  absl::StatusOr<CompileRequestMessage> back =
      DecodeCompileRequest(EncodeCompileRequest(SampleRequest()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->argv, SampleRequest().argv);
  EXPECT_EQ(back->cwd, "/src");
  EXPECT_EQ(back->env, SampleRequest().env);
  EXPECT_TRUE(back->stderr_is_tty);
}

TEST(ProtocolTest, CompileResponseRoundTrips) {
  CompileResponseMessage m;
  m.outcome = WireOutcome::kMiss;
  m.reason = 12;
  m.exit_code = -3;
  m.stdout_data = "out";
  m.stderr_data = std::string("err\0x", 5);
  m.server_micros = 1234;
  absl::StatusOr<CompileResponseMessage> back = DecodeCompileResponse(EncodeCompileResponse(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->exit_code, -3);
  EXPECT_EQ(back->stderr_data, m.stderr_data);
  EXPECT_EQ(back->server_micros, 1234u);
}

TEST(ProtocolTest, OutcomesHaveFixedWireNumbers) {
  CompileResponseMessage m;
  for (auto [outcome, byte] : {std::pair{WireOutcome::kHit, 0}, std::pair{WireOutcome::kMiss, 1},
                               std::pair{WireOutcome::kPassthrough, 2}}) {
    m.outcome = outcome;
    const std::string encoded = EncodeCompileResponse(m);
    EXPECT_EQ(static_cast<uint8_t>(encoded[0]), byte);
  }
  std::string unknown = EncodeCompileResponse(m);
  unknown[0] = 3;
  EXPECT_FALSE(DecodeCompileResponse(unknown).ok());
  EXPECT_EQ(FromWire(ToWire(compile::Outcome::kHit)), compile::Outcome::kHit);
  EXPECT_EQ(FromWire(ToWire(compile::Outcome::kMiss)), compile::Outcome::kMiss);
  EXPECT_EQ(ToWire(compile::Outcome::kRanPlainly), WireOutcome::kPassthrough);
  EXPECT_EQ(ToWire(compile::Outcome::kCancelled), WireOutcome::kPassthrough);
}

TEST(ProtocolTest, FrameHeaderChecksVersionMagicTypeAndSize) {
  std::string frame = EncodeFrame(FrameType::kPing, "");
  FrameHeader h;
  ASSERT_TRUE(DecodeFrameHeader(frame, &h).ok());
  EXPECT_EQ(h.type, FrameType::kPing);

  std::string other_version = frame;
  other_version[4] = 7;  // a version this build does not speak
  EXPECT_TRUE(absl::IsFailedPrecondition(DecodeFrameHeader(other_version, &h)));
  std::string bad_magic = frame;
  bad_magic[0] = 'X';
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeFrameHeader(bad_magic, &h)));
  std::string bad_type = frame;
  bad_type[6] = 99;
  EXPECT_FALSE(DecodeFrameHeader(bad_type, &h).ok());
  std::string huge = frame;
  huge[11] = 0x7f;  // length far above kMaxFrameSize
  EXPECT_FALSE(DecodeFrameHeader(huge, &h).ok());
  EXPECT_FALSE(DecodeFrameHeader(frame.substr(0, 10), &h).ok());
}

TEST(ProtocolTest, PayloadChecksumCatchesCorruption) {
  std::string payload = EncodeCompileRequest(SampleRequest());
  std::string frame = EncodeFrame(FrameType::kCompileRequest, payload);
  FrameHeader h;
  ASSERT_TRUE(DecodeFrameHeader(frame, &h).ok());
  EXPECT_TRUE(VerifyPayload(h, payload).ok());
  payload[5] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(VerifyPayload(h, payload)));
}

TEST(ProtocolTest, EveryTruncationOfARequestIsRejected) {
  const std::string payload = EncodeCompileRequest(SampleRequest());
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(DecodeCompileRequest(payload.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeCompileRequest(payload + "x").ok());
}

TEST(ProtocolTest, ForgedCountsDoNotAllocate) {
  // argv count 2^31 - 1 with nothing behind it.
  EXPECT_FALSE(DecodeCompileRequest(std::string("\xff\xff\xff\x7f", 4)).ok());
  // One argument claiming 4 GiB.
  EXPECT_FALSE(DecodeCompileRequest(std::string("\x01\x00\x00\x00\xff\xff\xff\xff", 8)).ok());
}

TEST(ProtocolTest, RequestsNeedACompilerAndAnAbsoluteCwd) {
  CompileRequestMessage m = SampleRequest();
  m.cwd = "relative";
  EXPECT_FALSE(DecodeCompileRequest(EncodeCompileRequest(m)).ok());
  m = SampleRequest();
  m.argv.clear();
  EXPECT_FALSE(DecodeCompileRequest(EncodeCompileRequest(m)).ok());
}

// Replays every file of the fuzzer's corpus (tests/daemon/corpus) through the fuzz target.
TEST(ProtocolTest, FuzzCorpusReplaysCleanly) {
  const std::string dir = std::string(ZCWRAP_SOURCE_DIR) + "/tests/daemon/corpus";
  DIR* d = ::opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  int files = 0;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    absl::StatusOr<std::string> data = util::ReadFileToString(dir + "/" + e->d_name);
    ASSERT_TRUE(data.ok()) << data.status();
    FuzzProtocolOnce(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    ++files;
  }
  ::closedir(d);
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace zc::daemon
