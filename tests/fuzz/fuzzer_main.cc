// The libFuzzer entry point of every target in this folder: meson.build compiles this file once
// per target with -DZCWRAP_FUZZ_TARGET=<its Fuzz*Once function> (clang, -Dfuzzers=enabled).
//   scripts/fuzz.sh --only manifest --seconds 60        # builds build-fuzz/, runs one target
//   build-fuzz/tests/fuzz/manifest_fuzzer tests/fuzz/corpus/manifest -max_total_time=60
#include <cstddef>
#include <cstdint>

#ifndef ZCWRAP_FUZZ_TARGET
#error "compile with -DZCWRAP_FUZZ_TARGET=Fuzz<Name>Once (tests/fuzz/meson.build does)"
#endif

namespace zc::fuzz {
// Declared in tests/fuzz/<name>_fuzz_target.h; the linker checks the name.
void ZCWRAP_FUZZ_TARGET(const uint8_t* data, size_t size);
}  // namespace zc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zc::fuzz::ZCWRAP_FUZZ_TARGET(data, size);
  return 0;
}
