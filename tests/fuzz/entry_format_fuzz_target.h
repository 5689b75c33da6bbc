// The result-entry fuzz target (cachecore/store/entry_format.h), shared by the libFuzzer binary
// (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_ENTRY_FORMAT_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_ENTRY_FORMAT_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "cachecore/store/entry_format.h"

namespace zc::fuzz {

// Decodes `data` as an entry file twice: as it is, and with its trailing checksum recomputed (so
// the fuzzer reaches the body parser, not just the checksum). Whatever decodes must encode and
// decode back to the same entry, and an uncompressed entry must encode to the same bytes. Must
// never crash, hang or allocate much more than `size`.
void FuzzEntryFormatOnce(const uint8_t* data, size_t size);

// `bytes` made to pass the entry's integrity checks: stored_size set to what follows the header
// and a valid XXH3-128 checksum appended. nullopt if `bytes` is shorter than a header, or asks
// for a zstd body bigger than a fuzz run may allocate (a valid entry may declare up to 2 GiB).
std::optional<std::string> WithEntryChecksum(absl::string_view bytes);

// Payload-by-payload equality (Entry has no operator==); shared with the remote-entry target.
bool SameEntry(const store::Entry& a, const store::Entry& b);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_ENTRY_FORMAT_FUZZ_TARGET_H_
