#include "cachecore/util/size_format.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace zc::util {
namespace {

constexpr uint64_t kKiB = uint64_t{1} << 10;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kTiB = uint64_t{1} << 40;

struct SizeCase {
  const char* text;
  uint64_t bytes;
};

TEST(ParseSizeTest, AcceptsNumbersWithBinaryUnits) {
  const SizeCase cases[] = {
      {"0", 0},
      {"12345", 12345},
      {"500M", 500 * kMiB},
      {"5G", 5 * kGiB},
      {"1.5G", 3 * kGiB / 2},
      {"2K", 2 * kKiB},
      {"1T", kTiB},
      {"7B", 7},
      {"5g", 5 * kGiB},
      {"5GB", 5 * kGiB},
      {"5Gi", 5 * kGiB},
      {"5GiB", 5 * kGiB},
      {"5gib", 5 * kGiB},
      {"5 G", 5 * kGiB},
      {" 5G ", 5 * kGiB},
      {"0.5K", 512},
      {"2.25M", 9 * kMiB / 4},
      {"18446744073709551615", UINT64_MAX},
      {"16777215T", 16777215 * kTiB},
  };
  for (const SizeCase& c : cases) {
    absl::StatusOr<uint64_t> size = ParseSize(c.text);
    ASSERT_TRUE(size.ok()) << "\"" << c.text << "\": " << size.status();
    EXPECT_EQ(*size, c.bytes) << "\"" << c.text << "\"";
  }
}

TEST(ParseSizeTest, RejectsMalformedAndOverflowingSizes) {
  const char* bad[] = {
      "",
      " ",
      "G",
      "abc",
      "-1",
      "-5G",
      "+5G",
      "5X",
      "5GG",
      "5 G B",
      "1.2.3",
      "5KiBB",
      "1e3",
      "0x10",
      "5 5",
      "18446744073709551616",  // 2^64
      "16777216T",             // 2^64 bytes
      "17179869184G",          // 2^64 bytes
      "99999999999999999999.5K",
  };
  for (const char* text : bad) {
    absl::StatusOr<uint64_t> size = ParseSize(text);
    EXPECT_TRUE(absl::IsInvalidArgument(size.status()))
        << "\"" << text << "\" gave " << (size.ok() ? std::to_string(*size) : "an other error");
  }
}

TEST(ParseSizeTest, ErrorMessageQuotesTheInput) {
  absl::StatusOr<uint64_t> size = ParseSize("lots");
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.status().message().find("\"lots\""), absl::string_view::npos) << size.status();
}

TEST(FormatSizeTest, UsesBytesBelowOneKibibyte) {
  EXPECT_EQ(FormatSize(0), "0 B");
  EXPECT_EQ(FormatSize(1), "1 B");
  EXPECT_EQ(FormatSize(1023), "1023 B");
}

TEST(FormatSizeTest, UsesOneDecimalWithBinaryUnits) {
  EXPECT_EQ(FormatSize(kKiB), "1.0 KiB");
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatSize(500 * kMiB), "500.0 MiB");
  EXPECT_EQ(FormatSize(5 * kGiB), "5.0 GiB");
  EXPECT_EQ(FormatSize(3 * kGiB / 2), "1.5 GiB");
  EXPECT_EQ(FormatSize(kTiB), "1.0 TiB");
  EXPECT_EQ(FormatSize(3072 * kTiB), "3072.0 TiB");  // TiB is the largest unit
}

TEST(FormatSizeTest, ParseSizeReadsFormattedSizesBack) {
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1000}, kKiB, 5 * kGiB, 3 * kMiB / 2, 7 * kTiB}) {
    absl::StatusOr<uint64_t> back = ParseSize(FormatSize(bytes));
    ASSERT_TRUE(back.ok()) << FormatSize(bytes) << ": " << back.status();
    EXPECT_EQ(*back, bytes) << FormatSize(bytes);
  }
}

}  // namespace
}  // namespace zc::util
