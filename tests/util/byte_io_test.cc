#include "cachecore/util/byte_io.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

TEST(ByteWriterTest, EncodesLittleEndian) {
  std::string out;
  ByteWriter w(&out);
  w.U8(0xab);
  w.U16(0x0102);
  w.U32(0x03040506);
  w.U64(0x0708090a0b0c0d0eull);
  w.Bytes(absl::string_view("\0z", 2));
  EXPECT_EQ(out, std::string("\xab"
                             "\x02\x01"
                             "\x06\x05\x04\x03"
                             "\x0e\x0d\x0c\x0b\x0a\x09\x08\x07"
                             "\0z",
                             17));
}

TEST(ByteWriterTest, AppendsToExistingContent) {
  std::string out = "head";
  ByteWriter(&out).U16(0xffff);
  EXPECT_EQ(out, "head\xff\xff");
}

TEST(ByteReaderTest, RoundTripsEveryWidthIncludingExtremes) {
  std::string out;
  ByteWriter w(&out);
  w.U8(0);
  w.U8(UINT8_MAX);
  w.U16(UINT16_MAX);
  w.U32(UINT32_MAX);
  w.U32(0x80000000u);
  w.U64(UINT64_MAX);
  w.U64(0x8000000000000001ull);
  w.Bytes("tail");

  ByteReader r(out);
  uint8_t a = 1, b = 0;
  uint16_t c = 0;
  uint32_t d = 0, e = 0;
  uint64_t f = 0, g = 0;
  absl::string_view tail;
  ASSERT_TRUE(r.U8(&a) && r.U8(&b) && r.U16(&c) && r.U32(&d) && r.U32(&e) && r.U64(&f) &&
              r.U64(&g) && r.Bytes(4, &tail));
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, UINT8_MAX);
  EXPECT_EQ(c, UINT16_MAX);
  EXPECT_EQ(d, UINT32_MAX);
  EXPECT_EQ(e, 0x80000000u);
  EXPECT_EQ(f, UINT64_MAX);
  EXPECT_EQ(g, 0x8000000000000001ull);
  EXPECT_EQ(tail, "tail");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.failed());
}

TEST(ByteReaderTest, ReadingExactlyToTheEndSucceedsAndOneMoreFails) {
  const std::string data("\x01\x02\x03\x04", 4);
  ByteReader r(data);
  uint32_t v = 0;
  ASSERT_TRUE(r.U32(&v));
  EXPECT_EQ(v, 0x04030201u);
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t extra = 0x55;
  EXPECT_FALSE(r.U8(&extra));
  EXPECT_EQ(extra, 0x55) << "a failed read wrote its output";
  EXPECT_TRUE(r.failed());
}

TEST(ByteReaderTest, NeverReadsPastTheEnd) {
  // Every fixed width on every too-short input, with the data in a buffer followed by sentinel
  // bytes that must never show up in a result.
  const std::string buffer = std::string("\x11\x22\x33\x44\x55\x66\x77", 7) + "\xee\xee\xee\xee";
  for (size_t len = 0; len < 8; ++len) {
    const absl::string_view data(buffer.data(), len);
    uint64_t v64 = 0;
    ByteReader r64(data);
    EXPECT_FALSE(r64.U64(&v64)) << len;
    EXPECT_EQ(v64, 0u);
    if (len < 4) {
      uint32_t v32 = 0;
      ByteReader r32(data);
      EXPECT_FALSE(r32.U32(&v32)) << len;
      EXPECT_EQ(v32, 0u);
    }
    if (len < 2) {
      uint16_t v16 = 0;
      ByteReader r16(data);
      EXPECT_FALSE(r16.U16(&v16)) << len;
    }
    absl::string_view bytes;
    ByteReader rb(data);
    EXPECT_FALSE(rb.Bytes(len + 1, &bytes)) << len;
    EXPECT_TRUE(bytes.empty());
  }
}

TEST(ByteReaderTest, HugeByteCountFailsWithoutOverflow) {
  const std::string data = "abc";
  for (uint64_t n : {uint64_t{4}, uint64_t{1} << 32, UINT64_MAX, UINT64_MAX - 1}) {
    ByteReader r(data);
    absl::string_view out;
    EXPECT_FALSE(r.Bytes(n, &out)) << n;
    EXPECT_TRUE(r.failed());
  }
}

TEST(ByteReaderTest, StaysFailedAfterTheFirstFailure) {
  const std::string data("\x01\x02\x03", 3);
  ByteReader r(data);
  uint32_t v32 = 0;
  EXPECT_FALSE(r.U32(&v32));
  EXPECT_TRUE(r.failed());
  // Three bytes are still there, but a failed reader refuses everything.
  uint8_t v8 = 0;
  uint16_t v16 = 0;
  absl::string_view bytes;
  EXPECT_FALSE(r.U8(&v8));
  EXPECT_FALSE(r.U16(&v16));
  EXPECT_FALSE(r.Bytes(0, &bytes));
  EXPECT_FALSE(r.Bytes(1, &bytes));
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(v8, 0);
  EXPECT_EQ(v16, 0);
}

TEST(ByteReaderTest, BytesBorrowsFromTheUnderlyingData) {
  const std::string data = "hello world";
  ByteReader r(data);
  absl::string_view first, second, empty;
  ASSERT_TRUE(r.Bytes(5, &first));
  ASSERT_TRUE(r.Bytes(0, &empty));
  ASSERT_TRUE(r.Bytes(6, &second));
  EXPECT_EQ(first.data(), data.data());
  EXPECT_EQ(second.data(), data.data() + 5);
  EXPECT_EQ(second, " world");
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, EmptyInputFailsEveryRead) {
  ByteReader r("");
  uint8_t v = 0;
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.failed());
  EXPECT_FALSE(r.U8(&v));
  EXPECT_TRUE(r.failed());
}

}  // namespace
}  // namespace zc::util

namespace zc::util {
namespace {

TEST(ByteIoStringTest, LengthPrefixedStringsRoundTripAndRejectOverlongLengths) {
  std::string out;
  ByteWriter w(&out);
  w.String("abc");
  w.String("");
  ByteReader r(out);
  std::string a, b;
  ASSERT_TRUE(r.String(&a));
  ASSERT_TRUE(r.String(&b));
  EXPECT_EQ(a, "abc");
  EXPECT_EQ(b, "");
  EXPECT_EQ(r.remaining(), 0u);
  ByteReader forged(
      absl::string_view("\xff\xff\xff\xff"
                        "ab",
                        6));
  EXPECT_FALSE(forged.String(&a));
  EXPECT_TRUE(forged.failed());
}

}  // namespace
}  // namespace zc::util
