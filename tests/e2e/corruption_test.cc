// A damaged cache never breaks a build: garbage in any file under the cache directory, or a
// truncated entry, still gives the plain compiler's result; the damaged entry is replaced.
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

// `size` bytes of an xorshift stream.
std::string Garbage(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 56);
  }
  return out;
}

class CorruptionTest : public E2eTest {
 protected:
  const std::vector<std::string> args_ = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};

  // A miss that fills the cache; returns the plain compiler's result for comparison.
  RunResult FillCache() {
    WriteBoth("a.c", kWarningC);
    RunResult plain = Plain(args_);
    EXPECT_EQ(plain.exit_code, 0);
    RunResult miss = Zcwrap(args_);
    ExpectSameResult(plain, miss);
    EXPECT_TRUE(HasMissesAndHits(1, 0));
    EXPECT_TRUE(CacheHolds(1));
    return plain;
  }

  // Compiles twice more: both must give the plain result (the second one may hit the entry the
  // first rewrote).
  void ExpectCompilesStillCorrect(const RunResult& plain) {
    for (const char* run : {"after damage", "once more"}) {
      SCOPED_TRACE(run);
      std::filesystem::remove(WrapPath("a.o"));
      RunResult r = Zcwrap(args_);
      ExpectSameResult(plain, r);
      EXPECT_TRUE(SameFile("a.o"));
    }
  }
};

class GarbageTest : public CorruptionTest, public ::testing::WithParamInterface<Mode> {};

TEST_P(GarbageTest, GarbageInEveryCacheFileStillCompilesCorrectly) {
  mode_ = GetParam();
  const RunResult plain = FillCache();
  const std::vector<std::string> files = ListFiles(cache_dir_);
  ASSERT_GE(files.size(), 2u) << "expected at least the stats file and one entry";
  uint64_t seed = 1;
  for (const std::string& rel : files) {
    const std::string path = cache_dir_ + "/" + rel;
    const size_t size = std::filesystem::file_size(path);
    WriteFile(path, Garbage(size == 0 ? 64 : size, seed++));  // same size: not detectable by size
  }
  ExpectCompilesStillCorrect(plain);
}

INSTANTIATE_TEST_SUITE_P(Modes, GarbageTest, ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

class TruncatedEntryTest : public CorruptionTest,
                           public ::testing::WithParamInterface<std::tuple<double, Mode>> {};

TEST_P(TruncatedEntryTest, TruncatedEntryStillCompilesCorrectlyAndIsCounted) {
  mode_ = std::get<1>(GetParam());
  const double keep = std::get<0>(GetParam());
  const RunResult plain = FillCache();
  const std::vector<std::string> entries = EntryFiles();
  ASSERT_FALSE(entries.empty());
  for (const std::string& rel : entries) {
    const std::string path = cache_dir_ + "/" + rel;
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, static_cast<uintmax_t>(static_cast<double>(size) * keep));
  }
  ExpectCompilesStillCorrect(plain);
  // The damaged entry was found (and counted) and replaced: the last compile hit the new one.
  EXPECT_GE(Stat("corrupt_cache_entry"), 1u);
  EXPECT_TRUE(HasMissesAndHits(2, 1));
  EXPECT_TRUE(CacheHolds(1));
}

INSTANTIATE_TEST_SUITE_P(Lengths, TruncatedEntryTest,
                         ::testing::Combine(::testing::Values(0.0, 0.5, 0.99),
                                            ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
                         [](const ::testing::TestParamInfo<std::tuple<double, Mode>>& info) {
                           const double keep = std::get<0>(info.param);
                           return std::string(keep == 0.0   ? "ToEmpty"
                                              : keep == 0.5 ? "ToHalf"
                                                            : "ByLastBytes") +
                                  ModeName(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace zc::e2e
