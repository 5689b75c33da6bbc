#include "tests/fuzz/tier_state_fuzz_target.h"

#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cachecore/remote/circuit_breaker.h"
#include "cachecore/remote/tier_state.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/sha256.h"
#include "tests/fuzz/scratch_dir.h"

namespace zc::fuzz {

void FuzzTierStateOnce(const uint8_t* data, size_t size) {
  using remote::TierState;
  constexpr absl::string_view kIdentity = "redis://fuzz:6379/0";
  static const std::string* const cache_dir = [] {
    auto* d = new std::string(ScratchDir() + "/tier-state");
    ::mkdir(d->c_str(), 0755);
    ::mkdir((*d + "/remote").c_str(), 0755);
    return d;
  }();
  if (size < 9) return;
  const bool whole_file = (data[0] & 1) != 0;
  const int cool_down_s = data[0] >> 1;
  int64_t now_ms = 0;
  std::memcpy(&now_ms, data + 1, 8);
  now_ms &= (int64_t{1} << 62) - 1;  // a clock reading: not negative, far from overflowing
  absl::string_view rest(reinterpret_cast<const char*>(data) + 9, size - 9);

  const size_t file_size = TierState::kHeaderSize + TierState::kSlots * 8;
  std::string file;
  if (whole_file) {
    file = std::string(rest);
  } else {
    file = std::string("ZCWT", 4);
    const uint32_t version = TierState::kVersion;
    file.append(reinterpret_cast<const char*>(&version), 4);
    file.resize(TierState::kHeaderSize, '\0');
    absl::StrAppend(&file, rest.substr(0, file_size - TierState::kHeaderSize));
    file.resize(file_size, '\0');
  }
  const std::string path =
      absl::StrCat(*cache_dir, "/remote/", util::Sha256::Hex(kIdentity).substr(0, 16), ".state");
  WriteScratchFile(path, file);

  std::unique_ptr<TierState> state = TierState::Open(*cache_dir, kIdentity);
  if (state == nullptr) __builtin_trap();
  absl::StatusOr<std::string> opened = util::ReadFileToString(path);
  if (!opened.ok() || opened->size() != file_size || opened->substr(0, 4) != "ZCWT") {
    __builtin_trap();  // a foreign or corrupt file is replaced by a valid one
  }
  (void)state->Report(now_ms);
  state->Add(remote::TierCounter::kReadHit);
  state->RecordLatency(remote::Op::kGet, static_cast<uint64_t>(now_ms));

  remote::CircuitBreaker breaker(*state, cool_down_s, /*claim_ms=*/1100);
  (void)breaker.Admit(now_ms);
  breaker.Failed(now_ms);
  (void)breaker.Admit(now_ms);
  (void)state->Report(now_ms);
  breaker.Succeeded();
  if (breaker.Admit(now_ms) != remote::Gate::kGo) __builtin_trap();
}

}  // namespace zc::fuzz
