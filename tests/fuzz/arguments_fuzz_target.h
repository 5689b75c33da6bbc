// The command-line fuzz target: @response-file expansion (cachecore/compile/response_file.h)
// and argument classification (cachecore/compile/arguments.h), shared by the libFuzzer binary
// (fuzzer_main.cc, clang only) and the corpus replay test (fuzz_corpus_test.cc).
#ifndef ZCWRAP_TESTS_FUZZ_ARGUMENTS_FUZZ_TARGET_H_
#define ZCWRAP_TESTS_FUZZ_ARGUMENTS_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace zc::fuzz {

// Input: the compiler's arguments (after argv[0]), each ended by a NUL byte, then one more NUL,
// then the content of the response file "rsp" (so "-c\0@rsp\0\0-O2 a.c" is `cc -c @rsp` with
// "-O2 a.c" in rsp). The response file lives in a per-process scratch directory, which is the
// compile's cwd; inputs naming @files outside it (a '/' in the name) are skipped, so the target
// never reads the machine's files. Expands the @files and classifies the result for a C and a
// C++ driver. Checks: a plan has a source and compiles exactly the expanded arguments, and
// classifying is deterministic. Must never crash, hang or allocate much more than `size`.
void FuzzArgumentsOnce(const uint8_t* data, size_t size);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_ARGUMENTS_FUZZ_TARGET_H_
