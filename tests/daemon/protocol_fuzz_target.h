// The protocol fuzz target, shared by the libFuzzer binary (protocol_fuzzer.cc, clang only) and
// the corpus-replay unit test (protocol_test.cc), so every corpus file stays a regression test.
#ifndef ZCWRAP_TESTS_DAEMON_PROTOCOL_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_DAEMON_PROTOCOL_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::daemon {

// Feeds `data` to every decoder as a frame header + payload and as bare payloads. Must never
// crash, hang or allocate much more than `size`.
void FuzzProtocolOnce(const uint8_t* data, size_t size);

}  // namespace zc::daemon

#endif  // ZCWRAP_TESTS_DAEMON_PROTOCOL_FUZZ_TARGET_H_
