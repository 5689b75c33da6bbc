#include "cachecore/remote/tier_state.h"

#include <sys/stat.h>

#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "cachecore/util/sha256.h"

namespace zc::remote {
namespace {

constexpr size_t kCounterBase = 8;
constexpr size_t kLatencyBase[2] = {32, 96};

std::string Header() {
  std::string h("ZCWT", 4);
  const uint32_t v = TierState::kVersion;
  h.append(reinterpret_cast<const char*>(&v), 4);  // little-endian hosts only, as stats_file
  h.resize(TierState::kHeaderSize, '\0');
  return h;
}

LatencySummary Summarise(const uint64_t* buckets) {
  LatencySummary s;
  for (int b = 0; b < kLatencyBuckets; ++b) s.count += buckets[b];
  if (s.count == 0) return s;
  auto at = [&](double q) {
    const uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(s.count)));
    uint64_t seen = 0;
    for (int b = 0; b < kLatencyBuckets; ++b) {
      seen += buckets[b];
      if (seen >= rank && buckets[b] > 0) return TierState::MicrosOf(b);
    }
    return TierState::MicrosOf(kLatencyBuckets - 1);
  };
  s.p50_us = at(0.50);
  s.p95_us = at(0.95);
  s.p99_us = at(0.99);
  return s;
}

}  // namespace

absl::string_view TierCounterName(TierCounter c) {
  static constexpr absl::string_view kNames[kTierCounters] = {
      "read_hit",      "read_miss", "write",      "error",         "timeout",      "bad_entry",
      "bad_signature", "skipped",   "bytes_read", "bytes_written", "write_dropped"};
  return kNames[static_cast<int>(c)];
}

std::unique_ptr<TierState> TierState::Open(const std::string& cache_dir,
                                           absl::string_view identity) {
  const std::string dir = absl::StrCat(cache_dir, "/remote");
  ::mkdir(dir.c_str(), 0777);
  const std::string path =
      absl::StrCat(dir, "/", util::Sha256::Hex(identity).substr(0, 16), ".state");
  const size_t size = kHeaderSize + kSlots * 8;
  absl::StatusOr<util::SharedTable> table = util::SharedTable::Open(path, Header(), size);
  if (!table.ok()) table = util::SharedTable::InMemory(Header(), size);
  if (!table.ok()) return nullptr;
  return std::unique_ptr<TierState>(new TierState(*std::move(table)));
}

void TierState::Add(TierCounter c, uint64_t by) {
  std::atomic_ref<uint64_t>(Slot(kCounterBase + static_cast<size_t>(c)))
      .fetch_add(by, std::memory_order_relaxed);
}

uint64_t TierState::Get(TierCounter c) const {
  return std::atomic_ref<uint64_t>(Slot(kCounterBase + static_cast<size_t>(c)))
      .load(std::memory_order_relaxed);
}

int TierState::BucketOf(uint64_t micros) {
  if (micros < 1) micros = 1;
  // Two buckets per power of two: the top bit's position, and whether the next bit is set.
  const int top = 63 - std::countl_zero(micros);
  const int half = top > 0 ? static_cast<int>((micros >> (top - 1)) & 1) : 0;
  const int b = top * 2 + half;
  return b < kLatencyBuckets ? b : kLatencyBuckets - 1;
}

uint64_t TierState::MicrosOf(int bucket) {
  const int top = bucket / 2;
  const double low = std::ldexp(bucket % 2 ? 1.5 : 1.0, top);
  const double high = std::ldexp(bucket % 2 ? 2.0 : 1.5, top);
  return static_cast<uint64_t>(std::llround(std::sqrt(low * high)));
}

void TierState::RecordLatency(Op op, uint64_t micros) {
  std::atomic_ref<uint64_t>(Slot(kLatencyBase[static_cast<int>(op)] + BucketOf(micros)))
      .fetch_add(1, std::memory_order_relaxed);
}

TierReport TierState::Report(int64_t now_ms) const {
  TierReport r;
  for (int c = 0; c < kTierCounters; ++c) r.counters[c] = Get(static_cast<TierCounter>(c));
  uint64_t buckets[kLatencyBuckets];
  for (int op = 0; op < 2; ++op) {
    for (int b = 0; b < kLatencyBuckets; ++b) {
      buckets[b] =
          std::atomic_ref<uint64_t>(Slot(kLatencyBase[op] + b)).load(std::memory_order_relaxed);
    }
    (op == 0 ? r.get : r.put) = Summarise(buckets);
  }
  const uint64_t open_until = Breaker(BreakerSlot::kOpenUntilMs).load();
  r.open = open_until != 0 && static_cast<int64_t>(open_until) > now_ms;
  return r;
}

}  // namespace zc::remote
