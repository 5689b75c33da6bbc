#include "cachecore/util/json.h"

#include "gtest/gtest.h"

namespace zc::util {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("l1\nl2\tx"), "l1\\nl2\\tx");
  EXPECT_EQ(JsonEscape(absl::string_view("\x01\x1f", 2)), "\\u0001\\u001f");
  EXPECT_EQ(JsonEscape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
}

TEST(JsonObjectTest, BuildsOneLineObjectsInInsertionOrder) {
  JsonObject o;
  EXPECT_TRUE(o.empty());
  o.Add("s", "v")
      .Add("i", -3)
      .Add("u", uint64_t{18446744073709551615u})
      .AddBool("b", true)
      .AddNull("n");
  o.AddRaw("raw", "[1,2]");
  EXPECT_EQ(
      o.Take(),
      "{\"s\":\"v\",\"i\":-3,\"u\":18446744073709551615,\"b\":true,\"n\":null,\"raw\":[1,2]}");
  EXPECT_EQ(o.Take(), "{}");  // taken: empty again
}

TEST(JsonStringArrayTest, QuotesEveryItem) {
  EXPECT_EQ(JsonStringArray({}), "[]");
  EXPECT_EQ(JsonStringArray({"a", "b\"c"}), "[\"a\",\"b\\\"c\"]");
}

}  // namespace
}  // namespace zc::util
