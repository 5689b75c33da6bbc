// TierState: what every process using one cache directory knows about one remote tier, in a
// small shared file (util/shared_table.h): the circuit breaker's state (circuit_breaker.h), the
// tier's own counters, and latency histograms of its reads and writes. Updates are atomic adds
// and compare-exchanges on the mapping: exact under any number of processes, no lock.
//
//   ZC_ASSIGN_OR_RETURN(auto state, zc::remote::TierState::Open(cache_dir, spec.identity));
//   state->Add(zc::remote::TierCounter::kReadHit);
//   state->RecordLatency(zc::remote::Op::kGet, micros);
//   zc::remote::TierReport r = state->Report();   // p50/p95/p99 for --print-stats --json
//
// File: <cache_dir>/remote/<16 hex of SHA-256(identity)>.state (docs/formats.md, "Tier state"):
//   header := magic:"ZCWT" version:u32 reserved:u8[56]                         (64 bytes)
//   slots  := u64 * 256: [0,8) breaker, [8,32) counters, [32,96) get latency, [96,160) put
//             latency; a latency bucket b counts operations of about 2^(b/2) microseconds
// A missing, foreign or corrupt file is replaced; without a usable cache directory the state is
// kept in memory for this process.
#ifndef ZCWRAP_CACHECORE_REMOTE_TIER_STATE_H_
#define ZCWRAP_CACHECORE_REMOTE_TIER_STATE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "cachecore/util/shared_table.h"

namespace zc::remote {

// Slot numbers are the file format: never renumber, only append (up to 24).
enum class TierCounter : uint8_t {
  kReadHit = 0,
  kReadMiss = 1,
  kWrite = 2,
  kError = 3,
  kTimeout = 4,
  kBadEntry = 5,      // garbage, truncated, oversized or of the wrong type
  kBadSignature = 6,  // unsigned or badly signed where a key is set
  kSkipped = 7,       // not asked: the breaker was open
  kBytesRead = 8,
  kBytesWritten = 9,
  kWriteDropped = 10,  // the write queue was full
};
inline constexpr int kTierCounters = 11;
absl::string_view TierCounterName(TierCounter c);

enum class Op : uint8_t { kGet = 0, kPut = 1 };
inline constexpr int kLatencyBuckets = 64;

// Breaker slots (circuit_breaker.h says what they mean).
enum class BreakerSlot : uint8_t { kFailures = 0, kOpenUntilMs = 1, kProbeUntilMs = 2, kLevel = 3 };

struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50_us = 0, p95_us = 0, p99_us = 0;
};
struct TierReport {
  uint64_t counters[kTierCounters] = {};
  LatencySummary get, put;
  bool open = false;  // the breaker is open now
};

class TierState {
 public:
  static constexpr uint32_t kVersion = 1;
  static constexpr size_t kHeaderSize = 64;
  static constexpr size_t kSlots = 256;

  // The state of the tier named `identity` under `cache_dir` (in memory if that fails).
  static std::unique_ptr<TierState> Open(const std::string& cache_dir, absl::string_view identity);

  void Add(TierCounter c, uint64_t by = 1);
  uint64_t Get(TierCounter c) const;
  void RecordLatency(Op op, uint64_t micros);
  TierReport Report(int64_t now_ms) const;

  std::atomic_ref<uint64_t> Breaker(BreakerSlot slot) const {
    return std::atomic_ref<uint64_t>(Slot(static_cast<size_t>(slot)));
  }

  // The bucket of a latency and the typical latency of a bucket (its geometric middle).
  static int BucketOf(uint64_t micros);
  static uint64_t MicrosOf(int bucket);

 private:
  explicit TierState(util::SharedTable table) : table_(std::move(table)) {}
  uint64_t& Slot(size_t i) const {
    return reinterpret_cast<uint64_t*>(table_.data() + kHeaderSize)[i];
  }

  util::SharedTable table_;
};

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_TIER_STATE_H_
