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
  std::string data("\x04\x00\x00\x00\x01\x00\x00\x00\x00", 9);  // version, 1 record, kind
  data += std::string(32, 'k');
  data += std::string("\xff\xff\xff\x7f", 4);  // 2^31 files claimed
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(data).status()));
}

TEST(ManifestTest, RecordKindsAndFileFlagsRoundTrip) {
  Manifest m;
  ManifestRecord marker;
  marker.kind = RecordKind::kPreprocess;
  m.AddRecord(marker);
  ManifestRecord rec = Record(1);
  rec.files[0].trust_signature = false;
  rec.files[0].pin_mtime = true;
  ManifestFile pch;
  pch.path = "p.h.gch";
  pch.directory = true;
  rec.files.push_back(pch);
  m.AddRecord(rec);
  absl::StatusOr<Manifest> back = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(back->records[0].kind, RecordKind::kResult);
  EXPECT_EQ(back->records[1].kind, RecordKind::kPreprocess);
  const ManifestFile& f = back->records[0].files[0];
  EXPECT_FALSE(f.trust_signature);
  EXPECT_TRUE(f.pin_mtime);
  EXPECT_FALSE(f.directory);
  EXPECT_TRUE(back->records[0].files[1].directory);
  // One marker per manifest: a second replaces the first.
  m.AddRecord(marker);
  EXPECT_EQ(m.records.size(), 2u);
}

TEST(ManifestTest, UnknownRecordKindOrFileFlagIsDataLoss) {
  Manifest m;
  m.AddRecord(Record(1));
  std::string data = EncodeManifest(m);
  std::string bad_kind = data;
  bad_kind[8] = 7;  // after version and count
  std::string bad_record_flags = data;
  bad_record_flags[9] = 2;
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(bad_record_flags).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(bad_kind).status()));
  // The flags byte of the only file sits just before the watch count.
  // (kind, flags, result key, an empty base, the file count, the path, digest and signature)
  const size_t flags_at = 8 + 1 + 1 + 32 + 4 + 4 + 4 + Record(1).files[0].path.size() + 32 + 40;
  std::string bad_flags = data;
  ASSERT_EQ(bad_flags[flags_at], 1);
  bad_flags[flags_at] = static_cast<char>(0x80);
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(bad_flags).status()));
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

namespace zc::compile {
namespace {

TEST(ManifestTest, PathsUnderTheBaseAreStoredRelativeToIt) {
  ManifestRecord rec = Record(1);
  rec.files[0].path = "/ci/a/include/h.h";
  ManifestFile system = rec.files[0];
  system.path = "/usr/include/stdio.h";
  rec.files.push_back(system);
  rec.guard[0].dir = "/ci/a/include";
  Manifest m;
  m.AddRecord(rec);
  ManifestRecord bound = Record(2);
  bound.base = "/ci/a";
  bound.verify_file_macros = true;
  m.AddRecord(bound);
  const std::string data = EncodeManifest(m, "/ci/a");
  EXPECT_EQ(data.find("/ci/a/include"), std::string::npos) << "stored relative to the base";

  absl::StatusOr<Manifest> there = DecodeManifest(data, "/home/b");
  ASSERT_TRUE(there.ok()) << there.status();
  const ManifestRecord& got = there->records[1];
  EXPECT_EQ(got.files[0].path, "/home/b/include/h.h");
  EXPECT_EQ(got.files[1].path, "/usr/include/stdio.h");
  EXPECT_EQ(got.guard[0].dir, "/home/b/include");
  EXPECT_FALSE(got.needs_base);
  EXPECT_EQ(got.base, "");
  EXPECT_EQ(there->records[0].base, "/ci/a") << "a bound record keeps its base";
  EXPECT_TRUE(there->records[0].verify_file_macros);
  EXPECT_FALSE(got.verify_file_macros);

  // Without a base, marked paths cannot be placed: the record is unusable, and written back as
  // it was, so a compile with a base still finds it.
  absl::StatusOr<Manifest> nowhere = DecodeManifest(data);
  ASSERT_TRUE(nowhere.ok()) << nowhere.status();
  EXPECT_TRUE(nowhere->records[1].needs_base);
  absl::StatusOr<Manifest> back = DecodeManifest(EncodeManifest(*nowhere), "/ci/a");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->records[1].files[0].path, "/ci/a/include/h.h");
  EXPECT_FALSE(back->records[1].needs_base);
}

}  // namespace
}  // namespace zc::compile
