#include "cachecore/remote/remote_storage.h"

#include <map>

#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace zc::remote {
namespace {

using stats::Counter;

// In-memory tiers by URL, shared by every backend made for it; a tier can be made to fail.
struct FakeTier {
  std::map<std::string, std::string> values;
  absl::Status fail;  // returned by every operation when not OK
  int gets = 0, puts = 0;
};
std::map<std::string, FakeTier>& Tiers() {
  static std::map<std::string, FakeTier> tiers;
  return tiers;
}

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(std::string url) : url_(std::move(url)) {}
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view name, size_t max) override {
    FakeTier& t = Tiers()[url_];
    ++t.gets;
    if (!t.fail.ok()) return t.fail;
    auto it = t.values.find(std::string(name));
    if (it == t.values.end()) return std::nullopt;
    if (it->second.size() > max) return absl::ResourceExhaustedError("big");
    return it->second;
  }
  absl::Status Put(absl::string_view name, absl::string_view value) override {
    FakeTier& t = Tiers()[url_];
    ++t.puts;
    if (!t.fail.ok()) return t.fail;
    t.values[std::string(name)] = std::string(value);
    return absl::OkStatus();
  }

 private:
  std::string url_;
};

std::unique_ptr<Backend> MakeFake(const TierSpec& spec) {
  return std::make_unique<FakeBackend>(spec.base_url);
}

class RemoteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tiers().clear();
    auto s = stats::StatsFile::Open(dir_.path() + "/stats");
    ASSERT_TRUE(s.ok());
    stats_ = *std::move(s);
  }

  std::unique_ptr<RemoteStorage> Make(const std::string& setting, std::string secret = "",
                                      bool async = false, size_t queue_bytes = 1 << 20) {
    RemoteOptions o;
    o.cache_dir = dir_.path();
    o.clock = &clock_;
    o.async_writes = async;
    o.queue_bytes = queue_bytes;
    o.make_backend = &MakeFake;
    return std::make_unique<RemoteStorage>(*ParseRemoteStorage(setting), std::move(secret), o,
                                           stats_.get());
  }
  uint64_t Stat(Counter c) { return stats_->Get(c); }

  static std::string File(absl::string_view object) {
    store::Entry e;
    e.Add(store::PayloadKind::kObject, std::string(object));
    e.SetExitCode(0);
    return *store::EncodeEntry(e, 1);
  }

  test::TempDir dir_;
  test::FakeClock clock_{test::FakeClock::RealNowNs()};
  std::unique_ptr<stats::StatsFile> stats_;
  const util::Digest key_ = util::Sha256::Of("key");
};

TEST_F(RemoteStorageTest, WritesEveryWritableTierAndReadsTheFirstThatHasIt) {
  auto remote = Make("http://a/x http://b/x|read-only http://c/x");
  remote->Put(key_, store::EntryType::kResult, File("obj"));
  EXPECT_EQ(Tiers()["http://a/x"].values.size(), 1u);
  EXPECT_EQ(Tiers()["http://b/x"].values.size(), 0u);  // read-only
  EXPECT_EQ(Tiers()["http://c/x"].values.size(), 1u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageWrite), 2u);

  Tiers()["http://a/x"].values.clear();
  std::optional<Fetched> f = remote->Get(key_, store::EntryType::kResult);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->tier, "http://c/x");
  EXPECT_EQ(f->opened.entry.Find(store::PayloadKind::kObject)->data, "obj");
  EXPECT_EQ(Stat(Counter::kRemoteStorageReadMiss), 2u);  // a and b
  EXPECT_EQ(Stat(Counter::kRemoteStorageReadHit), 1u);
  EXPECT_FALSE(remote->Get(key_, store::EntryType::kManifest).has_value());
}

TEST_F(RemoteStorageTest, BadValuesAreCountedMissesAndTheNextTierIsAsked) {
  auto remote = Make("http://a/x http://b/x");
  const std::string name = RemoteName(key_, store::EntryType::kResult);
  Tiers()["http://a/x"].values[name] = "garbage";
  Tiers()["http://b/x"].values[name] = File("good");
  std::optional<Fetched> f = remote->Get(key_, store::EntryType::kResult);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->tier, "http://b/x");
  EXPECT_EQ(Stat(Counter::kRemoteStorageBadEntry), 1u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageReadMiss), 1u);
  // Truncated, and larger than the limit: the same.
  Tiers()["http://b/x"].values[name] = File("good").substr(0, 20);
  Tiers()["http://a/x"].values[name] = std::string(kMaxRemoteValueSize + 1, 'x');
  EXPECT_FALSE(remote->Get(key_, store::EntryType::kResult).has_value());
  EXPECT_EQ(Stat(Counter::kRemoteStorageBadEntry), 3u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageError), 0u);
}

TEST_F(RemoteStorageTest, WithASecretOnlyEntriesSignedWithItAreUsed) {
  const std::string secret = "team-secret-0123456789";
  auto signed_writer = Make("http://a/x", secret);
  signed_writer->Put(key_, store::EntryType::kResult, File("ci"));
  auto reader = Make("http://a/x", secret);
  ASSERT_TRUE(reader->Get(key_, store::EntryType::kResult).has_value());

  auto forger = Make("http://a/x");  // can write the tier, has no key
  forger->Put(key_, store::EntryType::kResult, File("evil"));
  EXPECT_FALSE(reader->Get(key_, store::EntryType::kResult).has_value());
  EXPECT_EQ(Stat(Counter::kRemoteStorageBadSignature), 1u);
  auto wrong_key = Make("http://a/x", "another-secret-0123456789");
  wrong_key->Put(key_, store::EntryType::kResult, File("evil"));
  EXPECT_FALSE(reader->Get(key_, store::EntryType::kResult).has_value());
  EXPECT_EQ(Stat(Counter::kRemoteStorageBadSignature), 2u);
}

TEST_F(RemoteStorageTest, ADeadTierCostsOneTryPerCoolDown) {
  auto remote = Make("http://dead/x|cool-down=30 http://b/x");
  Tiers()["http://dead/x"].fail = absl::DeadlineExceededError("timed out");
  remote->Put(key_, store::EntryType::kResult, File("o"));
  for (int i = 0; i < 10; ++i) (void)remote->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].puts + Tiers()["http://dead/x"].gets, 1);
  EXPECT_EQ(Stat(Counter::kRemoteStorageTimeout), 1u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageSkipped), 10u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageReadHit), 10u);  // b served every read

  // Another process on the same cache directory knows it too.
  auto other = Make("http://dead/x|cool-down=30");
  (void)other->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].gets, 0);

  // After the cool-down one probe goes; it fails, and the pause doubles.
  clock_.Advance(31'000'000'000);
  (void)remote->Get(key_, store::EntryType::kResult);
  (void)remote->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].gets, 1);
  clock_.Advance(31'000'000'000);
  (void)remote->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].gets, 1);
  // The next probe succeeds: it and the read it let through, and the tier is used again.
  Tiers()["http://dead/x"].fail = absl::OkStatus();
  clock_.Advance(31'000'000'000);
  (void)remote->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].gets, 3);
  (void)remote->Get(key_, store::EntryType::kResult);
  EXPECT_EQ(Tiers()["http://dead/x"].gets, 4);
  EXPECT_FALSE(remote->Report()[0].report.open);
}

TEST_F(RemoteStorageTest, ErrorsAndTimeoutsAreCountedApart) {
  auto remote = Make("http://a/x|cool-down=0 http://b/x|cool-down=0");
  Tiers()["http://a/x"].fail = absl::UnavailableError("refused");
  Tiers()["http://b/x"].fail = absl::DeadlineExceededError("slow");
  EXPECT_FALSE(remote->Get(key_, store::EntryType::kResult).has_value());
  EXPECT_EQ(Stat(Counter::kRemoteStorageError), 1u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageTimeout), 1u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageReadMiss), 0u);  // not a miss: the tier did not answer
}

TEST_F(RemoteStorageTest, AsyncWritesAreQueuedAndFlushed) {
  auto remote = Make("http://a/x", "", /*async=*/true);
  for (int i = 0; i < 20; ++i) {
    remote->Put(util::Sha256::Of(std::to_string(i)), store::EntryType::kResult, File("o"));
  }
  remote->Flush();
  EXPECT_EQ(Tiers()["http://a/x"].values.size(), 20u);
  EXPECT_EQ(Stat(Counter::kRemoteStorageWrite), 20u);
}

TEST_F(RemoteStorageTest, AFullQueueDropsAndCounts) {
  const std::string file = File(std::string(1000, 'o'));
  auto remote = Make("http://a/x", "", /*async=*/true, /*queue_bytes=*/file.size() / 2);
  remote->Put(key_, store::EntryType::kResult, file);
  remote->Flush();
  EXPECT_EQ(Stat(Counter::kRemoteStorageWriteDropped), 1u);
  EXPECT_EQ(Tiers()["http://a/x"].puts, 0);
}

TEST_F(RemoteStorageTest, DestructionDrainsTheQueue) {
  {
    auto remote = Make("http://a/x", "", /*async=*/true);
    remote->Put(key_, store::EntryType::kResult, File("o"));
  }
  EXPECT_EQ(Tiers()["http://a/x"].values.size(), 1u);
}

TEST_F(RemoteStorageTest, ReportsJsonWithoutSecrets) {
  auto remote = Make("redis://:pw-secret@h:1 http://a/x");
  Tiers()["http://a/x"].values.clear();
  (void)remote->Get(key_, store::EntryType::kResult);
  const std::string json = TierReportsJson(remote->Report());
  EXPECT_EQ(json.find("pw-secret"), std::string::npos) << json;
  EXPECT_NE(json.find("\"read_miss\":1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99_us\":"), std::string::npos) << json;
}

}  // namespace
}  // namespace zc::remote
