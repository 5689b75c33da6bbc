// The dependency-file fuzz target (cachecore/compile/dep_file.h), shared by the libFuzzer binary
// (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_DEP_FILE_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_DEP_FILE_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Input: one byte n, then n % 64 bytes of a new target path, then the .d content (whose target,
// if it is rewritten, is "obj/a.o"). Parses the content, detects its line-wrap rule and checks
// what a hit relies on (for new targets without line breaks, tabs, backslashes or colons): a
// detected rule rewrites the content to itself; rewriting the target there and back gives the
// content again; re-flowing the first rule (after a target rewrite, as a hit does) keeps every
// prerequisite. Must never crash, hang or allocate much more than `size`.
void FuzzDepFileOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_DEP_FILE_FUZZ_TARGET_H_
