#include "cachecore/compile/manifest.h"

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

ManifestRecord Record(int n) {
  ManifestRecord r;
  r.result_key = util::Sha256::Of("result" + std::to_string(n));
  ManifestFile f;
  f.path = "inc/h" + std::to_string(n) + ".h";
  f.digest = util::Sha256::Of("content");
  f.signature = {1, 2, 3, 4, 5};
  f.trust_signature = true;
  r.files.push_back(f);
  DirWatch w;
  w.dir = "inc";
  w.signature = {7, 8, 9, 10};
  w.names = {{"a.h", false}, {"sub", true}};
  r.guard.push_back(w);
  return r;
}

TEST(ManifestTest, RoundTrips) {
  Manifest m;
  m.AddRecord(Record(1));
  m.AddRecord(Record(2));
  absl::StatusOr<Manifest> back = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(back->records[0].result_key, Record(2).result_key);  // newest first
  const ManifestFile& f = back->records[1].files[0];
  EXPECT_EQ(f.path, "inc/h1.h");
  EXPECT_EQ(f.signature, (FileSignature{1, 2, 3, 4, 5}));
  EXPECT_TRUE(f.trust_signature);
  const DirWatch& w = back->records[1].guard[0];
  EXPECT_EQ(w.dir, "inc");
  EXPECT_EQ(w.signature, (DirSignature{7, 8, 9, 10}));
  std::vector<WatchedName> names;
  ASSERT_TRUE(w.Names(&names));
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1].name, "sub");
  EXPECT_TRUE(names[1].exists);
  // Encoding a decoded manifest again keeps the names it never parsed.
  absl::StatusOr<Manifest> again = DecodeManifest(EncodeManifest(*back));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->records[1].guard[0].Names(&names));
  EXPECT_EQ(names.size(), 2u);
}

TEST(ManifestTest, IsBoundedAndReplacesSameResult) {
  Manifest m;
  for (int i = 0; i < 40; ++i) m.AddRecord(Record(i));
  EXPECT_EQ(m.records.size(), kMaxManifestRecords);
  EXPECT_EQ(m.records[0].result_key, Record(39).result_key);
  m.AddRecord(Record(30));
  EXPECT_EQ(m.records.size(), kMaxManifestRecords);
  EXPECT_EQ(m.records[0].result_key, Record(30).result_key);
}

TEST(ManifestTest, EveryTruncationIsDataLoss) {
  Manifest m;
  m.AddRecord(Record(1));
  const std::string data = EncodeManifest(m);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(data.substr(0, n)).status())) << n;
  }
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(data + "x").status()));
}

TEST(ManifestTest, HugeCountsDoNotAllocate) {
  std::string data("\x03\x00\x00\x00\x01\x00\x00\x00", 8);
  data += std::string(32, 'k');
  data += std::string("\xff\xff\xff\x7f", 4);  // 2^31 files claimed
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(data).status()));
}

TEST(ManifestTest, MalformedLazyNamesFailTheGuardCheck) {
  DirWatch w;
  w.dir = ".";
  w.trust_signature = false;
  w.encoded_names = std::string("\xff\xff\xff\xff", 4);  // a count the bytes cannot hold
  std::vector<WatchedName> names;
  EXPECT_FALSE(w.Names(&names));
  EXPECT_FALSE(IncludeGuardHolds({w}, "/"));
}

}  // namespace
}  // namespace zc::compile
