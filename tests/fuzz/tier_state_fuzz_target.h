// The tier-state fuzz target: a remote tier's shared state file and the circuit breaker that
// reads it (cachecore/remote/tier_state.h, circuit_breaker.h), shared by the libFuzzer binary
// (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_TIER_STATE_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_TIER_STATE_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Input: one byte (bit 0: the rest is the whole file, else the slots after a valid header;
// bits 1-7: the cool-down in seconds), eight bytes of "now" in milliseconds, then the file or
// slots. Writes the state file another process left behind in the per-process scratch directory,
// opens it, reports it and drives the breaker. Checks: the file is valid once opened; a success
// closes the breaker. Must never crash, hang or allocate much more than `size`.
void FuzzTierStateOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_TIER_STATE_FUZZ_TARGET_H_
