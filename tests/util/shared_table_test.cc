#include "cachecore/util/shared_table.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

constexpr absl::string_view kHeader = "TBL1";
constexpr size_t kSize = 4096;

TEST(SharedTableTest, AFreshTableIsTheHeaderThenZeros) {
  test::TempDir dir;
  absl::StatusOr<SharedTable> t = SharedTable::Open(dir.Join("t"), kHeader, kSize);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::string_view(reinterpret_cast<char*>(t->data()), 4), kHeader);
  EXPECT_EQ(t->data()[kSize - 1], 0);
  struct stat st;
  ASSERT_EQ(::stat(dir.Join("t").c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), kSize);
}

TEST(SharedTableTest, TwoOpeningsShareOneTable) {
  test::TempDir dir;
  absl::StatusOr<SharedTable> a = SharedTable::Open(dir.Join("t"), kHeader, kSize);
  absl::StatusOr<SharedTable> b = SharedTable::Open(dir.Join("t"), kHeader, kSize);
  ASSERT_TRUE(a.ok() && b.ok());
  a->data()[100] = 42;
  EXPECT_EQ(b->data()[100], 42);
  ASSERT_TRUE(a->Sync().ok());
}

TEST(SharedTableTest, AnythingElseAtThePathIsReplaced) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("wrong-header"), std::string(kSize, 'x'));
  test::WriteTestFile(dir.Join("wrong-size"), std::string(kHeader) + "short");
  for (const char* name : {"wrong-header", "wrong-size"}) {
    absl::StatusOr<SharedTable> t = SharedTable::Open(dir.Join(name), kHeader, kSize);
    ASSERT_TRUE(t.ok()) << name << ": " << t.status();
    EXPECT_EQ(absl::string_view(reinterpret_cast<char*>(t->data()), 4), kHeader);
    EXPECT_EQ(t->data()[10], 0);
  }
}

TEST(SharedTableTest, InMemoryAndUnwritablePlaces) {
  absl::StatusOr<SharedTable> m = SharedTable::InMemory(kHeader, kSize);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data()[0], 'T');
  EXPECT_TRUE(m->Sync().ok());
  EXPECT_FALSE(SharedTable::Open("/proc/no/such/dir/t", kHeader, kSize).ok());
}

TEST(SharedTableTest, MovingKeepsOneMapping) {
  absl::StatusOr<SharedTable> m = SharedTable::InMemory(kHeader, kSize);
  ASSERT_TRUE(m.ok());
  SharedTable moved = std::move(*m);
  EXPECT_EQ(moved.data()[0], 'T');
  SharedTable again = std::move(moved);
  EXPECT_EQ(again.size(), kSize);
}

}  // namespace
}  // namespace zc::util
