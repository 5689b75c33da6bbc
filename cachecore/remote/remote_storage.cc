#include "cachecore/remote/remote_storage.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "cachecore/util/json.h"

namespace zc::remote {

using stats::Counter;

struct RemoteStorage::Tier {
  Tier(TierSpec s, std::string dir) : spec(std::move(s)), cache_dir(std::move(dir)) {}

  // The shared state is opened on first use: a compile that hits locally never maps it.
  void Open() {
    std::call_once(opened, [this] {
      state = TierState::Open(cache_dir, spec.identity);
      breaker.emplace(*state, spec.cool_down_s,
                      int64_t{spec.operation_timeout_ms} + spec.connect_timeout_ms);
    });
  }

  std::unique_ptr<Backend> Acquire(std::unique_ptr<Backend> (*make)(const TierSpec&)) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        std::unique_ptr<Backend> b = std::move(idle.back());
        idle.pop_back();
        return b;
      }
    }
    return make(spec);
  }
  void Release(std::unique_ptr<Backend> b) {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < 8) idle.push_back(std::move(b));
  }

  const TierSpec spec;
  const std::string cache_dir;
  std::once_flag opened;
  std::unique_ptr<TierState> state;
  std::optional<CircuitBreaker> breaker;
  std::mutex mu;
  std::vector<std::unique_ptr<Backend>> idle;  // open connections, ready for reuse
};

RemoteStorage::RemoteStorage(std::vector<TierSpec> tiers, std::string secret, RemoteOptions options,
                             stats::StatsFile* stats)
    : secret_(std::move(secret)), options_(std::move(options)), stats_(stats) {
  for (TierSpec& spec : tiers) {
    tiers_.push_back(std::make_unique<Tier>(std::move(spec), options_.cache_dir));
  }
}

RemoteStorage::~RemoteStorage() {
  Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool RemoteStorage::any_writable() const {
  for (const auto& t : tiers_) {
    if (!t->spec.read_only) return true;
  }
  return false;
}

void RemoteStorage::Count(Tier& tier, TierCounter tc, Counter sc, uint64_t by) {
  tier.state->Add(tc, by);
  if (stats_ != nullptr) stats_->Increment(sc, by);
}

void RemoteStorage::Failed(Tier& tier, const absl::Status& status, int64_t now_ms) {
  if (absl::IsDeadlineExceeded(status)) {
    Count(tier, TierCounter::kTimeout, Counter::kRemoteStorageTimeout);
  } else {
    Count(tier, TierCounter::kError, Counter::kRemoteStorageError);
  }
  tier.breaker->Failed(now_ms);
}

bool RemoteStorage::Admitted(Tier& tier) {
  tier.Open();
  switch (tier.breaker->Admit(NowMs())) {
    case Gate::kGo: return true;
    case Gate::kSkip:
      Count(tier, TierCounter::kSkipped, Counter::kRemoteStorageSkipped);
      return false;
    case Gate::kProbe: break;
  }
  // Half-open: a tiny read with a short timeout decides, so a server still dead (or a black
  // hole) costs a fraction of an operation timeout per cool-down, not a whole one.
  TierSpec quick = tier.spec;
  quick.operation_timeout_ms =
      std::min(tier.spec.operation_timeout_ms, std::max(300, 3 * tier.spec.connect_timeout_ms));
  std::unique_ptr<Backend> probe = options_.make_backend(quick);
  absl::StatusOr<std::optional<std::string>> got = probe->Get(std::string(64, '0'), 4096);
  if (got.ok() || absl::IsResourceExhausted(got.status())) {
    tier.breaker->Succeeded();
    return true;
  }
  Failed(tier, got.status(), NowMs());
  Count(tier, TierCounter::kSkipped, Counter::kRemoteStorageSkipped);
  return false;
}

RemoteStorage::ReadResult RemoteStorage::ReadOne(Tier& tier, const std::string& name,
                                                 store::EntryType type,
                                                 std::optional<Fetched>* out) {
  if (!Admitted(tier)) return ReadResult::kSkipped;
  const int64_t t0 = options_.clock->MonotonicNs();
  std::unique_ptr<Backend> backend = tier.Acquire(options_.make_backend);
  absl::StatusOr<std::optional<std::string>> got = backend->Get(name, options_.max_value_size);
  tier.Release(std::move(backend));
  tier.state->RecordLatency(Op::kGet, (options_.clock->MonotonicNs() - t0) / 1000);
  if (!got.ok() && !absl::IsResourceExhausted(got.status())) {
    Failed(tier, got.status(), NowMs());
    return ReadResult::kSkipped;
  }
  tier.breaker->Succeeded();  // it answered: an oversized or bad value is the writer's fault
  if (got.ok() && !got->has_value()) {
    Count(tier, TierCounter::kReadMiss, Counter::kRemoteStorageReadMiss);
    return ReadResult::kAbsent;
  }
  absl::StatusOr<Opened> opened =
      got.ok() ? Unseal(**got, name, type, secret_) : absl::StatusOr<Opened>(got.status());
  if (!opened.ok()) {
    Count(tier, TierCounter::kReadMiss, Counter::kRemoteStorageReadMiss);
    if (absl::IsUnauthenticated(opened.status())) {
      Count(tier, TierCounter::kBadSignature, Counter::kRemoteStorageBadSignature);
    } else {
      Count(tier, TierCounter::kBadEntry, Counter::kRemoteStorageBadEntry);
    }
    return ReadResult::kAbsent;
  }
  Count(tier, TierCounter::kReadHit, Counter::kRemoteStorageReadHit);
  tier.state->Add(TierCounter::kBytesRead, (*got)->size());
  *out = Fetched{*std::move(opened), tier.spec.shown};
  return ReadResult::kFound;
}

std::optional<Fetched> RemoteStorage::Get(const util::Digest& key, store::EntryType type) {
  const std::string name = RemoteName(key, type);
  for (auto& tier : tiers_) {
    std::optional<Fetched> found;
    if (ReadOne(*tier, name, type, &found) == ReadResult::kFound) return found;
  }
  return std::nullopt;
}

std::vector<Fetched> RemoteStorage::GetAll(const util::Digest& key, store::EntryType type) {
  const std::string name = RemoteName(key, type);
  std::vector<Fetched> all;
  for (auto& tier : tiers_) {
    std::optional<Fetched> found;
    if (ReadOne(*tier, name, type, &found) == ReadResult::kFound) all.push_back(*std::move(found));
  }
  return all;
}

void RemoteStorage::WriteOne(Tier& tier, const std::string& name, absl::string_view value) {
  if (!Admitted(tier)) return;
  const int64_t t0 = options_.clock->MonotonicNs();
  std::unique_ptr<Backend> backend = tier.Acquire(options_.make_backend);
  const absl::Status put = backend->Put(name, value);
  tier.Release(std::move(backend));
  tier.state->RecordLatency(Op::kPut, (options_.clock->MonotonicNs() - t0) / 1000);
  if (!put.ok()) {
    Failed(tier, put, NowMs());
    return;
  }
  tier.breaker->Succeeded();
  Count(tier, TierCounter::kWrite, Counter::kRemoteStorageWrite);
  tier.state->Add(TierCounter::kBytesWritten, value.size());
}

void RemoteStorage::Put(const util::Digest& key, store::EntryType type,
                        absl::string_view entry_file) {
  const std::string name = RemoteName(key, type);
  std::string value;
  for (size_t i = 0; i < tiers_.size(); ++i) {
    Tier& tier = *tiers_[i];
    if (tier.spec.read_only) continue;
    if (value.empty()) value = Seal(entry_file, name, secret_);
    if (!options_.async_writes) {
      WriteOne(tier, name, value);
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (queued_bytes_ + value.size() > options_.queue_bytes) {
      lock.unlock();
      tier.Open();
      Count(tier, TierCounter::kWriteDropped, Counter::kRemoteStorageWriteDropped);
      continue;
    }
    queued_bytes_ += value.size();
    queue_.push_back(Job{name, value, i});
    if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
    lock.unlock();
    work_cv_.notify_one();
  }
}

void RemoteStorage::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    WriteOne(*tiers_[job.tier], job.name, job.value);
    lock.lock();
    queued_bytes_ -= job.value.size();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

void RemoteStorage::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::vector<TierReportLine> RemoteStorage::Report() const {
  std::vector<TierReportLine> lines;
  for (const auto& t : tiers_) {
    t->Open();
    lines.push_back({t->spec.shown, t->spec.read_only, t->state->Report(NowMs())});
  }
  return lines;
}

namespace {

std::string LatencyJson(const LatencySummary& l) {
  util::JsonObject o;
  o.Add("count", l.count).Add("p50_us", l.p50_us).Add("p95_us", l.p95_us).Add("p99_us", l.p99_us);
  return o.Take();
}

}  // namespace

std::string TierReportsJson(const std::vector<TierReportLine>& lines) {
  std::vector<std::string> items;
  for (const TierReportLine& line : lines) {
    util::JsonObject o;
    o.Add("url", line.shown).AddBool("read_only", line.read_only).AddBool("open", line.report.open);
    for (int c = 0; c < kTierCounters; ++c) {
      o.Add(TierCounterName(static_cast<TierCounter>(c)), line.report.counters[c]);
    }
    o.AddRaw("get_latency", LatencyJson(line.report.get));
    o.AddRaw("put_latency", LatencyJson(line.report.put));
    items.push_back(o.Take());
  }
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

std::vector<TierReportLine> ReadTierReports(const std::vector<TierSpec>& tiers,
                                            const std::string& cache_dir, int64_t now_ms) {
  std::vector<TierReportLine> lines;
  for (const TierSpec& t : tiers) {
    std::unique_ptr<TierState> state = TierState::Open(cache_dir, t.identity);
    lines.push_back({t.shown, t.read_only, state ? state->Report(now_ms) : TierReport{}});
  }
  return lines;
}

}  // namespace zc::remote
