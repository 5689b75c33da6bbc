#include "cachecore/util/sha256.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

constexpr char kEmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256Test, EmptyStringMatchesKnownVector) {
  EXPECT_EQ(Sha256::Hex(""), kEmptyHex);
  Sha256 h;
  EXPECT_EQ(h.Finish().ToHex(), kEmptyHex);
}

TEST(Sha256Test, AbcMatchesKnownVector) { EXPECT_EQ(Sha256::Hex("abc"), kAbcHex); }

TEST(Sha256Test, NistTwoBlockMessageMatchesKnownVector) {
  EXPECT_EQ(Sha256::Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, OneMillionAMatchesKnownVector) {
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(Sha256::Hex(std::string(1000000, 'a')), expected);
  // The same message fed in uneven pieces.
  Sha256 h;
  size_t fed = 0;
  for (size_t piece = 1; fed < 1000000; piece = piece * 3 + 1) {
    const size_t n = std::min(piece, 1000000 - fed);
    h.Update(std::string(n, 'a'));
    fed += n;
  }
  EXPECT_EQ(h.Finish().ToHex(), expected);
}

TEST(Sha256Test, IncrementalEqualsOneShotAtEverySplitPoint) {
  const std::string data = test::PseudoRandomBytes(300, 1);
  const Digest whole = Sha256::Of(data);
  absl::string_view view = data;
  for (size_t split = 0; split <= data.size(); ++split) {
    Sha256 h;
    h.Update(view.substr(0, split));
    h.Update(view.substr(split));
    ASSERT_EQ(h.Finish(), whole) << "split at " << split;
  }
}

TEST(Sha256Test, IncrementalEqualsOneShotForThreeWaySplitsAndRawPointers) {
  const std::string data = test::PseudoRandomBytes(200, 2);
  const Digest whole = Sha256::Of(data);
  for (size_t a = 0; a <= data.size(); a += 7) {
    for (size_t b = a; b <= data.size(); b += 13) {
      Sha256 h;
      h.Update(data.data(), a);
      h.Update(data.data() + a, b - a);
      h.Update(data.data() + b, data.size() - b);
      ASSERT_EQ(h.Finish(), whole) << "splits at " << a << " and " << b;
    }
  }
}

TEST(Sha256Test, FinishResetsTheHasherForReuse) {
  Sha256 h;
  h.Update("abc");
  EXPECT_EQ(h.Finish().ToHex(), kAbcHex);
  // After Finish the state is fresh: nothing of "abc" remains.
  EXPECT_EQ(h.Finish().ToHex(), kEmptyHex);
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.Finish().ToHex(), kAbcHex);
}

TEST(Sha256Test, UpdateDelimitedDistinguishesFieldBoundaries) {
  Sha256 h1;
  h1.UpdateDelimited("ab");
  h1.UpdateDelimited("c");
  Sha256 h2;
  h2.UpdateDelimited("a");
  h2.UpdateDelimited("bc");
  const Digest d1 = h1.Finish();
  const Digest d2 = h2.Finish();
  EXPECT_NE(d1, d2);
  EXPECT_NE(d1, Sha256::Of("abc"));

  // Plain Update cannot tell them apart; that is why UpdateDelimited exists.
  Sha256 p1, p2;
  p1.Update("ab");
  p1.Update("c");
  p2.Update("a");
  p2.Update("bc");
  EXPECT_EQ(p1.Finish(), p2.Finish());
}

TEST(Sha256Test, UpdateDelimitedOfEmptyFieldStillChangesTheDigest) {
  Sha256 h;
  h.UpdateDelimited("");
  EXPECT_NE(h.Finish().ToHex(), kEmptyHex);

  Sha256 one_empty, two_empty;
  one_empty.UpdateDelimited("");
  two_empty.UpdateDelimited("");
  two_empty.UpdateDelimited("");
  EXPECT_NE(one_empty.Finish(), two_empty.Finish());
}

TEST(Sha256Test, UpdateDelimitedIsDeterministic) {
  Sha256 h1, h2;
  h1.UpdateDelimited("field");
  h2.UpdateDelimited("field");
  EXPECT_EQ(h1.Finish(), h2.Finish());
}

TEST(DigestTest, ToHexIsLowerCaseSixtyFourCharacters) {
  const std::string hex = Sha256::Of("abc").ToHex();
  ASSERT_EQ(hex.size(), 64u);
  for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
}

TEST(DigestTest, HexRoundTrips) {
  for (int i = 0; i < 50; ++i) {
    const Digest d = Sha256::Of(test::PseudoRandomBytes(static_cast<size_t>(i), 3));
    Digest back;
    ASSERT_TRUE(Digest::FromHex(d.ToHex(), &back));
    EXPECT_EQ(back, d);
  }
}

TEST(DigestTest, FromHexAcceptsUpperCase) {
  std::string upper = kAbcHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Digest d;
  ASSERT_TRUE(Digest::FromHex(upper, &d));
  EXPECT_EQ(d, Sha256::Of("abc"));
}

TEST(DigestTest, FromHexRejectsBadInputAndLeavesOutputAlone) {
  const Digest original = Sha256::Of("keep me");
  const std::string good = kAbcHex;
  const std::string bad_inputs[] = {
      "",
      good.substr(0, 63),         // too short
      good + "0",                 // too long
      good.substr(0, 62) + "g0",  // not hex
      good.substr(0, 63) + "G",   // not hex, upper case
      " " + good.substr(1),       // space
      good.substr(0, 10) + "-" + good.substr(11),
      std::string(64, '\0'),  // NUL bytes
      good.substr(0, 32),     // half
  };
  for (const std::string& bad : bad_inputs) {
    Digest d = original;
    EXPECT_FALSE(Digest::FromHex(bad, &d)) << "accepted \"" << bad << "\"";
    EXPECT_EQ(d, original) << "modified by \"" << bad << "\"";
  }
}

TEST(DigestTest, AsStringViewExposesTheThirtyTwoRawBytes) {
  const Digest d = Sha256::Of("abc");
  const absl::string_view raw = d.AsStringView();
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(static_cast<uint8_t>(raw[0]), 0xba);
  EXPECT_EQ(static_cast<uint8_t>(raw[31]), 0xad);
}

TEST(DigestTest, DefaultDigestIsAllZeros) { EXPECT_EQ(Digest().ToHex(), std::string(64, '0')); }

}  // namespace
}  // namespace zc::util
