#include "cachecore/remote/remote_entry.h"

#include "gtest/gtest.h"

namespace zc::remote {
namespace {

std::string EntryFile(store::EntryType type = store::EntryType::kResult) {
  store::Entry e{type};
  e.Add(store::PayloadKind::kObject, "object bytes");
  e.SetExitCode(0);
  return *store::EncodeEntry(e, 1);
}

util::Digest Key(char c) { return util::Sha256::Of(std::string(1, c)); }

TEST(RemoteEntryTest, NamesAre64HexAndDifferByTypeAndKey) {
  const std::string r = RemoteName(Key('a'), store::EntryType::kResult);
  EXPECT_EQ(r.size(), 64u);
  EXPECT_EQ(r.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(r, RemoteName(Key('a'), store::EntryType::kManifest));
  EXPECT_NE(r, RemoteName(Key('b'), store::EntryType::kResult));
  EXPECT_NE(r, Key('a').ToHex());  // not the local key: a remote namespace of its own
}

TEST(RemoteEntryTest, UnsignedRoundTrip) {
  const std::string name = RemoteName(Key('a'), store::EntryType::kResult);
  const std::string value = Seal(EntryFile(), name, "");
  EXPECT_EQ(value, EntryFile());
  absl::StatusOr<Opened> o = Unseal(value, name, store::EntryType::kResult, "");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->file, EntryFile());
  EXPECT_EQ(o->entry.Find(store::PayloadKind::kObject)->data, "object bytes");
}

TEST(RemoteEntryTest, SignedRoundTripAndEveryForgeryIsRejected) {
  const std::string secret = "0123456789abcdef-shared";
  const std::string name = RemoteName(Key('a'), store::EntryType::kResult);
  const std::string value = Seal(EntryFile(), name, secret);
  ASSERT_NE(value, EntryFile());
  ASSERT_TRUE(Unseal(value, name, store::EntryType::kResult, secret).ok());
  // A reader without the secret still checks the entry itself.
  EXPECT_TRUE(Unseal(value, name, store::EntryType::kResult, "").ok());

  // Unsigned, signed with another secret, moved to another key, a flipped bit anywhere.
  EXPECT_TRUE(absl::IsUnauthenticated(
      Unseal(EntryFile(), name, store::EntryType::kResult, secret).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      Unseal(Seal(EntryFile(), name, "another-secret-16b"), name, store::EntryType::kResult, secret)
          .status()));
  const std::string other = RemoteName(Key('b'), store::EntryType::kResult);
  EXPECT_TRUE(
      absl::IsUnauthenticated(Unseal(value, other, store::EntryType::kResult, secret).status()));
  for (size_t i = 8; i < value.size(); i += 7) {
    std::string bad = value;
    bad[i] ^= 0x10;
    EXPECT_FALSE(Unseal(bad, name, store::EntryType::kResult, secret).ok()) << i;
  }
}

TEST(RemoteEntryTest, GarbageTruncatedAndWrongTypeAreDataLoss) {
  const std::string name = RemoteName(Key('a'), store::EntryType::kResult);
  EXPECT_TRUE(absl::IsDataLoss(Unseal("garbage", name, store::EntryType::kResult, "").status()));
  EXPECT_TRUE(absl::IsDataLoss(Unseal("", name, store::EntryType::kResult, "").status()));
  const std::string file = EntryFile();
  EXPECT_TRUE(absl::IsDataLoss(
      Unseal(file.substr(0, file.size() - 1), name, store::EntryType::kResult, "").status()));
  EXPECT_TRUE(absl::IsDataLoss(
      Unseal(EntryFile(store::EntryType::kManifest), name, store::EntryType::kResult, "")
          .status()));
  std::string bad_version = Seal(file, name, "0123456789abcdef");
  bad_version[4] = 9;
  EXPECT_TRUE(absl::IsDataLoss(Unseal(bad_version, name, store::EntryType::kResult, "").status()));
}

}  // namespace
}  // namespace zc::remote
