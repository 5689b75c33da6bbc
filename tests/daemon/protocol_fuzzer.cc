// libFuzzer entry point for the daemon protocol decoders. Build with -Dfuzzers=enabled and clang:
//   CXX=clang++ meson setup build-fuzz -Dfuzzers=enabled && ninja -C build-fuzz
//   build-fuzz/tests/daemon/protocol_fuzzer tests/daemon/corpus -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "tests/daemon/protocol_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zc::daemon::FuzzProtocolOnce(data, size);
  return 0;
}
