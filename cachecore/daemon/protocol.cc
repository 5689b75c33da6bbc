#include "cachecore/daemon/protocol.h"

#include <xxhash.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/util/byte_io.h"

namespace zc::daemon {
namespace {

uint32_t Checksum(absl::string_view payload) {
  return static_cast<uint32_t>(XXH3_64bits(payload.data(), payload.size()));
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed frame: ", what));
}

// A list of strings: count, then each. The count is bounded by the bytes left (each string takes
// at least its 4-byte length), so a forged count cannot make us reserve memory.
bool GetStrings(util::ByteReader& r, std::vector<std::string>* out) {
  uint32_t count = 0;
  if (!r.U32(&count) || count > r.remaining() / 4) return false;
  out->resize(count);
  for (std::string& s : *out) {
    if (!r.String(&s)) return false;
  }
  return true;
}

void PutStrings(util::ByteWriter& w, const std::vector<std::string>& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (const std::string& s : v) w.String(s);
}

}  // namespace

std::string EncodeFrame(FrameType type, absl::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderSize + payload.size());
  util::ByteWriter w(&out);
  w.Bytes(absl::string_view(kFrameMagic, sizeof(kFrameMagic)));
  w.U16(kProtocolVersion);
  w.U8(static_cast<uint8_t>(type));
  w.U8(0);
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U32(Checksum(payload));
  w.Bytes(payload);
  return out;
}

absl::Status DecodeFrameHeader(absl::string_view bytes, FrameHeader* header) {
  if (bytes.size() < kFrameHeaderSize) return Malformed("short header");
  if (std::memcmp(bytes.data(), kFrameMagic, sizeof(kFrameMagic)) != 0)
    return Malformed("bad magic");
  util::ByteReader r(bytes.substr(sizeof(kFrameMagic), kFrameHeaderSize - sizeof(kFrameMagic)));
  uint8_t type = 0, reserved = 0;
  r.U16(&header->version);
  r.U8(&type);
  r.U8(&reserved);
  r.U32(&header->length);
  r.U32(&header->checksum);
  if (header->version != kProtocolVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "protocol version ", header->version, " (this side speaks ", kProtocolVersion, ")"));
  }
  if (type < static_cast<uint8_t>(FrameType::kCompileRequest) ||
      type > static_cast<uint8_t>(FrameType::kRetired)) {
    return Malformed(absl::StrCat("unknown frame type ", type));
  }
  header->type = static_cast<FrameType>(type);
  if (header->length > kMaxFrameSize) {
    return Malformed(absl::StrCat("frame of ", header->length, " bytes exceeds the limit"));
  }
  return absl::OkStatus();
}

absl::Status VerifyPayload(const FrameHeader& header, absl::string_view payload) {
  if (payload.size() != header.length) return Malformed("payload length differs from header");
  if (Checksum(payload) != header.checksum) return absl::DataLossError("frame checksum mismatch");
  return absl::OkStatus();
}

std::string EncodeCompileRequest(const CompileRequestMessage& m) {
  std::string out;
  util::ByteWriter w(&out);
  PutStrings(w, m.argv);
  w.String(m.cwd);
  PutStrings(w, m.env);
  w.String(m.stdin_data);
  w.U8(m.stderr_is_tty ? 1 : 0);
  w.U32(m.umask);
  w.String(m.client_build);
  return out;
}

absl::StatusOr<CompileRequestMessage> DecodeCompileRequest(absl::string_view payload) {
  util::ByteReader r(payload);
  CompileRequestMessage m;
  uint8_t tty = 0;
  if (!GetStrings(r, &m.argv) || !r.String(&m.cwd) || !GetStrings(r, &m.env) ||
      !r.String(&m.stdin_data) || !r.U8(&tty) || !r.U32(&m.umask) || !r.String(&m.client_build)) {
    return Malformed("truncated compile request");
  }
  if (r.remaining() != 0) return Malformed("trailing bytes in compile request");
  if (m.argv.empty()) return Malformed("compile request without a compiler");
  if (m.cwd.empty() || m.cwd[0] != '/') return Malformed("compile request cwd is not absolute");
  if (tty > 1) return Malformed("bad stderr_is_tty flag");
  if (m.umask > 0777) return Malformed("bad umask");
  if (m.client_build.size() > kMaxBuildIdSize) return Malformed("client build id too long");
  m.stderr_is_tty = tty != 0;
  return m;
}

WireOutcome ToWire(compile::Outcome outcome) {
  switch (outcome) {
    case compile::Outcome::kHit: return WireOutcome::kHit;
    case compile::Outcome::kMiss: return WireOutcome::kMiss;
    case compile::Outcome::kPassthrough:
    case compile::Outcome::kCancelled:
    case compile::Outcome::kRanPlainly: break;
  }
  return WireOutcome::kPassthrough;
}

compile::Outcome FromWire(WireOutcome outcome) {
  switch (outcome) {
    case WireOutcome::kHit: return compile::Outcome::kHit;
    case WireOutcome::kMiss: return compile::Outcome::kMiss;
    case WireOutcome::kPassthrough: break;
  }
  return compile::Outcome::kPassthrough;
}

std::string EncodeCompileResponse(const CompileResponseMessage& m) {
  std::string out;
  util::ByteWriter w(&out);
  w.U8(static_cast<uint8_t>(m.outcome));
  w.U16(m.reason);
  w.U32(static_cast<uint32_t>(m.exit_code));
  w.String(m.stdout_data);
  w.String(m.stderr_data);
  w.U64(m.server_micros);
  return out;
}

absl::StatusOr<CompileResponseMessage> DecodeCompileResponse(absl::string_view payload) {
  util::ByteReader r(payload);
  CompileResponseMessage m;
  uint32_t exit_code = 0;
  uint8_t outcome = 0;
  if (!r.U8(&outcome) || !r.U16(&m.reason) || !r.U32(&exit_code) || !r.String(&m.stdout_data) ||
      !r.String(&m.stderr_data) || !r.U64(&m.server_micros)) {
    return Malformed("truncated compile response");
  }
  if (r.remaining() != 0) return Malformed("trailing bytes in compile response");
  if (outcome > static_cast<uint8_t>(WireOutcome::kPassthrough)) {
    return Malformed("unknown outcome");
  }
  m.outcome = static_cast<WireOutcome>(outcome);
  m.exit_code = static_cast<int32_t>(exit_code);
  return m;
}

}  // namespace zc::daemon
