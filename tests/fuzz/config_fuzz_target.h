// The config-file fuzz target (cachecore/config/config.h), shared by the libFuzzer binary
// (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_CONFIG_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_CONFIG_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Writes `data` as <scratch>/config/zcwrap.conf and loads it with an environment that names only
// that cache directory, strictly and keeping going. Checks: keeping going always loads; a strict
// load that succeeds agrees with it; the values as --show-config shows them, written back as a
// config file, load again to the same values (remote_storage, shown redacted, excepted). Must
// never crash, hang or allocate much more than `size`.
void FuzzConfigOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_CONFIG_FUZZ_TARGET_H_
