#include "tests/daemon/protocol_fuzz_target.h"

#include "cachecore/daemon/protocol.h"

namespace zc::daemon {

void FuzzProtocolOnce(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  FrameHeader header;
  if (DecodeFrameHeader(bytes, &header).ok()) {
    absl::string_view payload = bytes.substr(kFrameHeaderSize);
    if (VerifyPayload(header, payload).ok()) {
      (void)DecodeCompileRequest(payload);
      (void)DecodeCompileResponse(payload);
    }
  }
  // The payload decoders also see raw bytes (checksums would stop the fuzzer early otherwise).
  absl::StatusOr<CompileRequestMessage> request = DecodeCompileRequest(bytes);
  if (request.ok()) {
    // Whatever decodes must encode back to the same bytes.
    if (EncodeCompileRequest(*request) != bytes) __builtin_trap();
  }
  absl::StatusOr<CompileResponseMessage> response = DecodeCompileResponse(bytes);
  if (response.ok() && EncodeCompileResponse(*response) != bytes) __builtin_trap();
}

}  // namespace zc::daemon
