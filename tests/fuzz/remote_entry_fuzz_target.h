// The remote-value fuzz target: what a Redis, HTTP, S3 or shared-directory tier hands back
// (cachecore/remote/remote_entry.h), shared by the libFuzzer binary (fuzzer_main.cc, clang only)
// and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_REMOTE_ENTRY_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_REMOTE_ENTRY_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Input: one byte (bits 0-1: the entry type asked for, 0 meaning an unknown one), then a remote
// value. Unseals the value as it came, with and without a secret, and the value with a valid
// entry checksum, signed and unsigned. Checks: with a secret, no unsigned or forged value opens;
// a value signed for one name never opens under another; a value that opens is exactly the
// entry file inside it, which decodes to the entry given back and has the type asked for. Must
// never crash, hang or allocate much more than `size`.
void FuzzRemoteEntryOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_REMOTE_ENTRY_FUZZ_TARGET_H_
