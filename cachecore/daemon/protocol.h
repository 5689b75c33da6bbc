// The zcwrap daemon's wire protocol: length-prefixed binary frames over a Unix-domain stream
// socket, one request frame and one response frame per compile. Documented in docs/protocol.md.
//
//   std::string bytes = zc::daemon::EncodeFrame(zc::daemon::FrameType::kCompileRequest,
//                                               zc::daemon::EncodeCompileRequest(request));
//   ...
//   zc::daemon::FrameHeader header;
//   absl::Status st = zc::daemon::DecodeFrameHeader(first_16_bytes, &header);   // checks limits
//   absl::StatusOr<zc::daemon::CompileRequestMessage> req =
//       zc::daemon::DecodeCompileRequest(payload);
//
// Frame grammar (little-endian):
//   frame   := magic:"ZCWP" version:u16 type:u8 reserved:u8 length:u32 checksum:u32 payload
//   (16-byte header; length ≤ kMaxFrameSize; checksum = low 32 bits of XXH3-64 of the payload)
// Every frame carries the protocol version; a peer speaking another version is answered (if at
// all) with a kError frame and the connection is closed, and the client falls back to compiling
// on its own.
//
// Version history: 1 — first; 2 — the compile request carries the client's umask; 3 — the
// client's build id in compile requests and pings, and the kRetired answer.
//
// Build identity: a daemon serves only clients of its own build (util/build_id.h). A compile
// request or ping from another build (same protocol version: an upgraded package, a rebuilt
// tree) makes the daemon retire: it unlinks its socket at once, answers kRetired without doing
// the work, finishes what is in flight and exits; the client starts a daemon of its own build
// and sends the request again. An empty build id (tests, tools) is never checked.
//
// Decoders accept arbitrary bytes: every length is checked against what is left before anything
// is allocated, so a hostile or corrupt frame yields InvalidArgument/DataLoss, never a crash and
// never an allocation larger than the frame itself (tests/daemon and the protocol fuzzer).
#ifndef ZCWRAP_CACHECORE_DAEMON_PROTOCOL_H_
#define ZCWRAP_CACHECORE_DAEMON_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/request.h"

namespace zc::daemon {

inline constexpr char kFrameMagic[4] = {'Z', 'C', 'W', 'P'};
inline constexpr uint16_t kProtocolVersion = 3;
inline constexpr size_t kMaxBuildIdSize = 128;
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr uint32_t kMaxFrameSize = 64u << 20;

enum class FrameType : uint8_t {
  kCompileRequest = 1,
  kCompileResponse = 2,
  kPing = 3,
  kPong = 4,
  kStatusRequest = 5,
  kStatusResponse = 6,
  kShutdownRequest = 7,
  kError = 8,    // payload: a UTF-8 message
  kRetired = 9,  // payload: the daemon's build id; it is another build's and is leaving
};

struct FrameHeader {
  uint16_t version = 0;
  FrameType type = FrameType::kError;
  uint32_t length = 0;
  uint32_t checksum = 0;
};

std::string EncodeFrame(FrameType type, absl::string_view payload);
// Checks magic, version (FailedPrecondition for another version, so callers can tell it apart),
// type and length limit.
absl::Status DecodeFrameHeader(absl::string_view header_bytes, FrameHeader* header);
// Checks the payload against the header's checksum.
absl::Status VerifyPayload(const FrameHeader& header, absl::string_view payload);

struct CompileRequestMessage {
  std::vector<std::string> argv;  // argv[0]: the resolved compiler
  std::string cwd;
  std::vector<std::string> env;  // NAME=value, the client's whole environment
  std::string stdin_data;
  bool stderr_is_tty = false;
  uint32_t umask = 022;      // the client's file-creation mask
  std::string client_build;  // the client's build id (util/build_id.h); empty: not checked
};

// A compile's outcome on the wire. The numbers are part of the protocol version: never reuse one.
enum class WireOutcome : uint8_t {
  kHit = 0,
  kMiss = 1,
  kPassthrough = 2,  // the client runs the compiler itself
};
// A daemon's answers are hits, misses and passthroughs (a cancelled compile gets no answer, and
// a daemon never runs uncacheable compiles for a client); anything else is sent as kPassthrough.
WireOutcome ToWire(compile::Outcome outcome);
compile::Outcome FromWire(WireOutcome outcome);

struct CompileResponseMessage {
  WireOutcome outcome = WireOutcome::kPassthrough;
  uint16_t reason = 0;  // zc::stats::Counter
  int32_t exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
  uint64_t server_micros = 0;  // time the daemon spent on the request
};

std::string EncodeCompileRequest(const CompileRequestMessage& m);
absl::StatusOr<CompileRequestMessage> DecodeCompileRequest(absl::string_view payload);
std::string EncodeCompileResponse(const CompileResponseMessage& m);
absl::StatusOr<CompileResponseMessage> DecodeCompileResponse(absl::string_view payload);

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_PROTOCOL_H_
