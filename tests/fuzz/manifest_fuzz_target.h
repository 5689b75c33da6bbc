// The direct-mode manifest fuzz target (cachecore/compile/manifest.h), shared by the libFuzzer
// binary (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_MANIFEST_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_MANIFEST_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Decodes `data` as a manifest payload without a base directory and with one, parses every
// watch's lazily decoded names, and checks that whatever decodes encodes to bytes that decode to
// the same manifest (decode(encode(decode(x))) == decode(x)). Must never crash, hang or allocate
// much more than `size`.
void FuzzManifestOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_MANIFEST_FUZZ_TARGET_H_
