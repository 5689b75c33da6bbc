#include <gtest/gtest.h>

#include "app/probe.h"
#include "app/shapes.h"
#include "app/text.h"

TEST(AppTest, SortsLargestFirst) {
  std::vector<app::Shape> s = app::LargestFirst({{"a", 1}, {"b", 3}, {"c", 2}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].name, "b");
}

TEST(AppTest, CountsWords) {
  std::map<std::string, int> c = app::WordCounts("To be or not to be");
  EXPECT_EQ(c["to"], 2);
  EXPECT_EQ(c["#features"], APP_HAVE_OPTIONAL);
}

TEST(AppTest, BuildInfoComesFromTheGeneratedHeader) {
  EXPECT_EQ(app::BuildName(), "zcwrap-real-project/3");
  EXPECT_NE(app_checksum("abc", 3), 0u);
}
