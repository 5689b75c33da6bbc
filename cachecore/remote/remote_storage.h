// RemoteStorage: the remote tiers of one cache (remote_storage = "URL|attr ..."), asked in order
// after a local miss and written after a local store. The one door the engine uses; the
// backends (backend.h), values (remote_entry.h), breaker (circuit_breaker.h) and shared state
// (tier_state.h) sit behind it.
//
//   auto remote = zc::remote::RemoteStorage::Create(tiers, secret, options, &stats);
//   std::optional<zc::remote::Fetched> f = remote->Get(key, EntryType::kResult);
//   if (f) { store f->opened.file locally, use f->opened.entry }
//   remote->Put(key, EntryType::kResult, encoded_file);   // queued or done now (options)
//   remote->Flush();                                       // queued writes are done
//
// Nothing here fails a compile: every error, timeout, bad value and skipped tier is counted (in
// the cache's stats and the tier's own state) and reads as "not there". A value is used only
// after Unseal has checked it completely (signature, checksum, format, type).
//
// Writes: done at once with the tiers' timeouts (a one-shot zcwrap), or, with
// options.async_writes (the daemon, an embedding host), by one background thread from a bounded
// queue (what does not fit is dropped and counted), drained by Flush and the destructor.
// Thread-safe; each tier keeps a pool of backends, so connections stay open between requests.
#ifndef ZCWRAP_CACHECORE_REMOTE_REMOTE_STORAGE_H_
#define ZCWRAP_CACHECORE_REMOTE_REMOTE_STORAGE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/remote/backend.h"
#include "cachecore/remote/circuit_breaker.h"
#include "cachecore/remote/remote_entry.h"
#include "cachecore/remote/tier_spec.h"
#include "cachecore/remote/tier_state.h"
#include "cachecore/stats/stats_file.h"
#include "cachecore/store/entry_format.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/sha256.h"

namespace zc::remote {

// The largest value read from a tier: bigger ones are refused unread (remote_storage_bad_entry).
inline constexpr size_t kMaxRemoteValueSize = size_t{512} << 20;

struct RemoteOptions {
  std::string cache_dir;  // where the tiers' shared state lives
  const util::Clock* clock = &util::SystemClock();
  bool async_writes = false;
  size_t queue_bytes = size_t{256} << 20;  // async: values waiting, at most
  size_t max_value_size = kMaxRemoteValueSize;
  // Makes backends; tests pass their own. Default: MakeBackend.
  std::unique_ptr<Backend> (*make_backend)(const TierSpec&) = &MakeBackend;
};

struct Fetched {
  Opened opened;
  std::string tier;  // the tier's URL as shown (no secrets)
};

struct TierReportLine {
  std::string shown;
  bool read_only = false;
  TierReport report;
};

// `lines` as a JSON array: per tier its URL (no secrets), read_only, open (the breaker), every
// TierCounter by name, and get/put latency {count, p50_us, p95_us, p99_us}.
std::string TierReportsJson(const std::vector<TierReportLine>& lines);
// What the shared state files under `cache_dir` say of `tiers` (for `zcwrap --print-stats`,
// which runs no engine).
std::vector<TierReportLine> ReadTierReports(const std::vector<TierSpec>& tiers,
                                            const std::string& cache_dir, int64_t now_ms);

class RemoteStorage {
 public:
  // `secret`: the HMAC key (empty: values are neither signed nor required to be). `stats` must
  // outlive this object.
  RemoteStorage(std::vector<TierSpec> tiers, std::string secret, RemoteOptions options,
                stats::StatsFile* stats);
  ~RemoteStorage();
  RemoteStorage(const RemoteStorage&) = delete;
  RemoteStorage& operator=(const RemoteStorage&) = delete;

  // The first tier's valid entry of `type` under `key`, or nullopt.
  std::optional<Fetched> Get(const util::Digest& key, store::EntryType type);
  // Every tier's valid entry (manifests are merged from all of them).
  std::vector<Fetched> GetAll(const util::Digest& key, store::EntryType type);
  // Sends an encoded entry file to every writable tier.
  void Put(const util::Digest& key, store::EntryType type, absl::string_view entry_file);
  // Returns once every queued write has been attempted.
  void Flush();

  std::vector<TierReportLine> Report() const;
  size_t tier_count() const { return tiers_.size(); }
  bool any_writable() const;

 private:
  struct Tier;
  struct Job {
    std::string name;
    std::string value;
    size_t tier;
  };
  enum class ReadResult { kFound, kAbsent, kSkipped };

  // The breaker lets this operation go (probing the tier first when half-open); counted if not.
  bool Admitted(Tier& tier);
  ReadResult ReadOne(Tier& tier, const std::string& name, store::EntryType type,
                     std::optional<Fetched>* out);
  void WriteOne(Tier& tier, const std::string& name, absl::string_view value);
  // Counts a failed operation (timeout or error) and tells the breaker.
  void Failed(Tier& tier, const absl::Status& status, int64_t now_ms);
  void Count(Tier& tier, TierCounter tc, stats::Counter sc, uint64_t by = 1);
  int64_t NowMs() const { return options_.clock->RealNs() / 1'000'000; }
  void WorkerLoop();

  std::vector<std::unique_ptr<Tier>> tiers_;
  const std::string secret_;
  const RemoteOptions options_;
  stats::StatsFile* stats_;

  std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<Job> queue_;
  size_t queued_bytes_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;  // started with the first queued job
};

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_REMOTE_STORAGE_H_
