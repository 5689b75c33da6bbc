#include "cachecore/compile/result_cache.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

store::Entry EntryWith(const std::string& object) {
  store::Entry entry;
  entry.Add(store::PayloadKind::kObject, object);
  return entry;
}

class ResultCacheTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.root = dir_.Join("cache");
    absl::StatusOr<std::unique_ptr<store::LocalStore>> store = store::LocalStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    results_ = std::make_unique<ResultCache>(*store_, GetParam());
  }
  test::TempDir dir_;
  std::unique_ptr<store::LocalStore> store_;
  std::unique_ptr<ResultCache> results_;
  const util::Digest key_ = util::Sha256::Of("key");
};

TEST_P(ResultCacheTest, PutThenLoadGivesTheEntry) {
  EXPECT_EQ(results_->Load(key_), nullptr);
  ASSERT_TRUE(results_->Put(key_, EntryWith("OBJ")).ok());
  for (int i = 0; i < 2; ++i) {
    std::shared_ptr<const store::Entry> got = results_->Load(key_);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(got->payloads.size(), 1u);
    EXPECT_EQ(got->payloads[0].data, "OBJ");
  }
  EXPECT_EQ(results_->memory_entries(), GetParam() > 0 ? 1u : 0u);
}

TEST_P(ResultCacheTest, AnEntryRemovedOrReplacedOnDiskIsNotServedFromMemory) {
  ASSERT_TRUE(results_->Put(key_, EntryWith("OLD")).ok());
  ASSERT_NE(results_->Load(key_), nullptr);
  ASSERT_TRUE(store_->Clear().ok());  // as zcwrap -C from another process
  EXPECT_EQ(results_->Load(key_), nullptr);
  ASSERT_TRUE(results_->Put(key_, EntryWith("NEW")).ok());
  std::shared_ptr<const store::Entry> got = results_->Load(key_);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->payloads[0].data, "NEW");
}

TEST_P(ResultCacheTest, ACorruptEntryIsAMiss) {
  ASSERT_TRUE(results_->Put(key_, EntryWith("OBJ")).ok());
  test::WriteTestFile(store_->PathFor(key_, store::EntryType::kResult), "not an entry");
  EXPECT_EQ(results_->Load(key_), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Memory, ResultCacheTest, ::testing::Values(size_t{0}, size_t{1} << 20));

}  // namespace
}  // namespace zc::compile
