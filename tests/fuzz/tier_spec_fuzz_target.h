// The remote_storage fuzz target: tier URLs and attributes (cachecore/remote/tier_spec.h) and the
// AWS credentials file an s3 tier reads, shared by the libFuzzer binary (fuzzer_main.cc, clang
// only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_TIER_SPEC_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_TIER_SPEC_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Input: a remote_storage value, then optionally a NUL byte and the content of a credentials
// file, which every s3 tier then reads (from the per-process scratch directory, with no AWS_*
// variables). Checks that no secret reaches what zcwrap shows: neither a tier's `shown` and
// `identity` nor any error message holds a registered secret or the password of a URL's user
// info as written. Must never crash, hang or allocate much more than `size`.
void FuzzTierSpecOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_TIER_SPEC_FUZZ_TARGET_H_
