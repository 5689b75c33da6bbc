#include "cachecore/store/entry_format.h"

#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/byte_io.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::store {
namespace {

constexpr size_t kVersionOffset = 4;
constexpr size_t kTypeOffset = 6;
constexpr size_t kCompressionOffset = 7;
constexpr size_t kLevelOffset = 8;
constexpr size_t kBodySizeOffset = 12;
constexpr size_t kStoredSizeOffset = 20;

// ---- helpers --------------------------------------------------------------------------------

::testing::AssertionResult SameEntry(const Entry& want, const Entry& got) {
  if (want.type != got.type) {
    return ::testing::AssertionFailure()
           << "type " << static_cast<int>(got.type) << ", want " << static_cast<int>(want.type);
  }
  if (want.payloads.size() != got.payloads.size()) {
    return ::testing::AssertionFailure()
           << got.payloads.size() << " payloads, want " << want.payloads.size();
  }
  for (size_t i = 0; i < want.payloads.size(); ++i) {
    const Payload& w = want.payloads[i];
    const Payload& g = got.payloads[i];
    if (w.kind != g.kind || w.name != g.name || w.data != g.data) {
      return ::testing::AssertionFailure()
             << "payload " << i << " differs: kind " << static_cast<int>(g.kind) << " name \""
             << g.name << "\" size " << g.data.size() << ", want kind " << static_cast<int>(w.kind)
             << " name \"" << w.name << "\" size " << w.data.size();
    }
  }
  return ::testing::AssertionSuccess();
}

// One payload of every kind, some named, one empty, with binary data.
Entry EveryKindEntry() {
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kObject, test::PseudoRandomBytes(3000, 1));
  entry.Add(PayloadKind::kDependency, "out.o: in.c /usr/include/stdio.h\n");
  entry.Add(PayloadKind::kStdout, "");
  entry.Add(PayloadKind::kStderr, "in.c:1:1: warning: something\n");
  entry.Add(PayloadKind::kSplitDwarf, test::PseudoRandomBytes(100, 2), "out.dwo");
  entry.Add(PayloadKind::kCoverageNotes, std::string("gcno\0\0\x01", 7), "out.gcno");
  entry.SetExitCode(0);
  entry.Add(PayloadKind::kSideFile, "side one", ".su");
  entry.Add(PayloadKind::kSideFile, "side two", ".ci");
  entry.Add(PayloadKind::kManifest, std::string(1, '\0'));
  entry.Add(PayloadKind::kMetadata, "compiler=gcc\nversion=12\n", std::string("na\0me", 5));
  return entry;
}

// A small entry for the exhaustive corruption loops.
Entry SmallEntry() {
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kObject,
            "\x7f"
            "ELF object bytes");
  entry.Add(PayloadKind::kStderr, "warning", "w");
  entry.SetExitCode(0);
  return entry;
}

std::string EncodeOrDie(const Entry& entry, int level) {
  absl::StatusOr<std::string> file = EncodeEntry(entry, level);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *file : std::string();
}

uint64_t ReadU64At(const std::string& file, size_t offset) {
  util::ByteReader r(absl::string_view(file).substr(offset, 8));
  uint64_t v = 0;
  r.U64(&v);
  return v;
}

void PutU16At(std::string* file, size_t offset, uint16_t v) {
  (*file)[offset] = static_cast<char>(v & 0xff);
  (*file)[offset + 1] = static_cast<char>(v >> 8);
}

void PutU64At(std::string* file, size_t offset, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) (*file)[offset + i] = static_cast<char>(v >> (8 * i));
}

void AppendChecksum(std::string* file) {
  const XXH128_hash_t h = XXH3_128bits(file->data(), file->size());
  util::ByteWriter w(file);
  w.U64(h.low64);
  w.U64(h.high64);
}

// Recomputes the trailing checksum after a test patched the file, so that the reader's checks
// behind the checksum are reached.
void Reseal(std::string* file) {
  file->resize(file->size() - kEntryChecksumSize);
  AppendChecksum(file);
}

struct RawHeader {
  uint16_t version = kEntryFormatVersion;
  uint8_t type = static_cast<uint8_t>(EntryType::kResult);
  uint8_t compression = 0;
  int8_t level = 0;
  uint64_t body_size = 0;
  uint64_t stored_size = 0;
};

// Builds a file by the grammar in entry_format.h, independently of EncodeEntry.
std::string BuildFile(const RawHeader& h, absl::string_view stored) {
  std::string file;
  util::ByteWriter w(&file);
  w.Bytes(absl::string_view(kEntryMagic, sizeof(kEntryMagic)));
  w.U16(h.version);
  w.U8(h.type);
  w.U8(h.compression);
  w.U8(static_cast<uint8_t>(h.level));
  w.U8(0);
  w.U8(0);
  w.U8(0);
  w.U64(h.body_size);
  w.U64(h.stored_size);
  w.Bytes(stored);
  AppendChecksum(&file);
  return file;
}

std::string BuildUncompressed(absl::string_view body) {
  RawHeader h;
  h.body_size = body.size();
  h.stored_size = body.size();
  return BuildFile(h, body);
}

std::string ZstdFrame(absl::string_view data, bool with_content_size = true) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, with_content_size ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(cctx);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

std::string BuildCompressed(absl::string_view body, uint64_t declared_body_size) {
  const std::string frame = ZstdFrame(body);
  RawHeader h;
  h.compression = 1;
  h.level = 3;
  h.body_size = declared_body_size;
  h.stored_size = frame.size();
  return BuildFile(h, frame);
}

struct RawPayload {
  uint8_t kind;
  std::string name;
  std::string data;
};

std::string PayloadList(const std::vector<RawPayload>& payloads) {
  std::string body;
  util::ByteWriter w(&body);
  w.U32(static_cast<uint32_t>(payloads.size()));
  for (const RawPayload& p : payloads) {
    w.U8(p.kind);
    w.U16(static_cast<uint16_t>(p.name.size()));
    w.Bytes(p.name);
    w.U64(p.data.size());
    w.Bytes(p.data);
  }
  return body;
}

::testing::AssertionResult IsDataLoss(const absl::StatusOr<Entry>& result) {
  if (result.ok()) return ::testing::AssertionFailure() << "decoded successfully";
  if (!absl::IsDataLoss(result.status())) {
    return ::testing::AssertionFailure() << "wrong error: " << result.status();
  }
  return ::testing::AssertionSuccess();
}

std::string LevelName(const ::testing::TestParamInfo<int>& info) {
  return info.param < 0 ? absl::StrCat("Minus", -info.param) : absl::StrCat("Level", info.param);
}

// ---- round trips at every compression level --------------------------------------------------

class EntryRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(EntryRoundTripTest, EveryPayloadKindWithNamesRoundTrips) {
  const Entry entry = EveryKindEntry();
  const std::string file = EncodeOrDie(entry, GetParam());
  absl::StatusOr<Entry> back = DecodeEntry(file);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
  EXPECT_EQ(back->ExitCode(), 0);
}

TEST_P(EntryRoundTripTest, ManifestEntryRoundTrips) {
  Entry entry{EntryType::kManifest};
  entry.Add(PayloadKind::kManifest, test::PseudoRandomBytes(500, 3));
  absl::StatusOr<Entry> back = DecodeEntry(EncodeOrDie(entry, GetParam()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
}

TEST_P(EntryRoundTripTest, EntryWithoutPayloadsRoundTrips) {
  const Entry entry{EntryType::kResult};
  absl::StatusOr<Entry> back = DecodeEntry(EncodeOrDie(entry, GetParam()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
}

TEST_P(EntryRoundTripTest, EmptyPayloadsAndEmptyNamesRoundTrip) {
  Entry entry{EntryType::kResult};
  for (uint8_t kind = 1; kind <= kMaxPayloadKind; ++kind) {
    entry.Add(static_cast<PayloadKind>(kind), "");
  }
  entry.Add(PayloadKind::kSideFile, "", "named but empty");
  absl::StatusOr<Entry> back = DecodeEntry(EncodeOrDie(entry, GetParam()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
  EXPECT_EQ(back->DataSize(), 0u);
}

TEST_P(EntryRoundTripTest, FiveMebibytePayloadRoundTrips) {
  // Object-file-like data: runs copied from a small random "dictionary", so every compression
  // level finds matches, but the data is far from trivial.
  const std::string dictionary = test::PseudoRandomBytes(64 << 10, 4);
  const std::string picks = test::PseudoRandomBytes(1 << 18, 5);
  auto pick = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(picks[i])); };
  std::string big;
  big.reserve(5 << 20);
  for (size_t i = 0; big.size() < (5 << 20); i = (i + 4) % picks.size()) {
    const size_t offset = (pick(i) << 8 | pick(i + 1)) % (dictionary.size() - 600);
    big.append(dictionary, offset, 16 + pick(i + 2) * 2);
    big.push_back(picks[i + 3]);
  }
  big.resize(5 << 20);
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kObject, big);
  entry.Add(PayloadKind::kStderr, "after the big one");
  const std::string file = EncodeOrDie(entry, GetParam());
  absl::StatusOr<Entry> back = DecodeEntry(file);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
  if (GetParam() != 0) {
    EXPECT_LT(file.size(), big.size()) << "compression level " << GetParam() << " did not compress";
  }
}

TEST_P(EntryRoundTripTest, HeaderFollowsTheDocumentedLayout) {
  const Entry entry = EveryKindEntry();
  const std::string file = EncodeOrDie(entry, GetParam());
  ASSERT_GE(file.size(), kEntryHeaderSize + kEntryChecksumSize);
  EXPECT_EQ(file.substr(0, 4), "ZCWE");
  EXPECT_EQ(static_cast<uint8_t>(file[kVersionOffset]), kEntryFormatVersion);
  EXPECT_EQ(static_cast<uint8_t>(file[kVersionOffset + 1]), 0);
  EXPECT_EQ(static_cast<uint8_t>(file[kTypeOffset]), static_cast<uint8_t>(EntryType::kResult));
  EXPECT_EQ(static_cast<uint8_t>(file[kCompressionOffset]), GetParam() == 0 ? 0 : 1);
  EXPECT_EQ(static_cast<int8_t>(file[kLevelOffset]), GetParam());
  EXPECT_EQ(ReadU64At(file, kStoredSizeOffset),
            file.size() - kEntryHeaderSize - kEntryChecksumSize);
  // body := count:u32 then per payload kind:u8 name_len:u16 name size:u64 data.
  uint64_t body_size = 4;
  for (const Payload& p : entry.payloads) body_size += 1 + 2 + p.name.size() + 8 + p.data.size();
  EXPECT_EQ(ReadU64At(file, kBodySizeOffset), body_size);
}

INSTANTIATE_TEST_SUITE_P(CompressionLevels, EntryRoundTripTest, ::testing::Values(0, 1, 3, 19, -1),
                         LevelName);

TEST(EntryFormatTest, UncompressedFileIsHeaderBodyAndChecksum) {
  const Entry entry = EveryKindEntry();
  const std::string file = EncodeOrDie(entry, 0);
  EXPECT_EQ(file.size(), kEntryHeaderSize + ReadU64At(file, kBodySizeOffset) + kEntryChecksumSize);
}

TEST(EntryFormatTest, HandBuiltFileFollowingTheGrammarDecodes) {
  const std::string body = PayloadList({{1, "", "object"}, {8, ".su", "side"}});
  for (const std::string& file : {BuildUncompressed(body), BuildCompressed(body, body.size())}) {
    absl::StatusOr<Entry> entry = DecodeEntry(file);
    ASSERT_TRUE(entry.ok()) << entry.status();
    ASSERT_EQ(entry->payloads.size(), 2u);
    EXPECT_EQ(entry->payloads[0].kind, PayloadKind::kObject);
    EXPECT_EQ(entry->payloads[0].data, "object");
    EXPECT_EQ(entry->payloads[1].kind, PayloadKind::kSideFile);
    EXPECT_EQ(entry->payloads[1].name, ".su");
    EXPECT_EQ(entry->payloads[1].data, "side");
  }
}

TEST(EntryFormatTest, NameLongerThan65535BytesIsRefused) {
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kSideFile, "data", std::string(65536, 'n'));
  absl::StatusOr<std::string> file = EncodeEntry(entry, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(file.status())) << file.status();
}

TEST(EntryFormatTest, NameOfExactly65535BytesRoundTrips) {
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kSideFile, "data", std::string(65535, 'n'));
  absl::StatusOr<Entry> back = DecodeEntry(EncodeOrDie(entry, 0));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(entry, *back));
}

// ---- Entry helpers ---------------------------------------------------------------------------

TEST(EntryTest, ExitCodeIsAbsentUntilSet) {
  Entry entry;
  EXPECT_FALSE(entry.ExitCode().has_value());
  entry.SetExitCode(1);
  EXPECT_EQ(entry.ExitCode(), 1);
}

TEST(EntryTest, ExitCodeRoundTripsExtremeValues) {
  for (int32_t code : {0, 1, -1, 255, 256, INT32_MAX, INT32_MIN}) {
    Entry entry;
    entry.SetExitCode(code);
    EXPECT_EQ(entry.ExitCode(), code);
    absl::StatusOr<Entry> back = DecodeEntry(EncodeOrDie(entry, 1));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->ExitCode(), code);
  }
}

TEST(EntryTest, SetExitCodeTwiceReplacesTheValue) {
  Entry entry;
  entry.SetExitCode(3);
  entry.SetExitCode(-7);
  EXPECT_EQ(entry.ExitCode(), -7);
  int exit_payloads = 0;
  for (const Payload& p : entry.payloads) exit_payloads += p.kind == PayloadKind::kExitCode;
  EXPECT_EQ(exit_payloads, 1);
}

TEST(EntryTest, MalformedExitCodePayloadReadsAsAbsent) {
  Entry entry;
  entry.Add(PayloadKind::kExitCode, "abc");
  EXPECT_FALSE(entry.ExitCode().has_value());
  Entry longer;
  longer.Add(PayloadKind::kExitCode, "abcde");
  EXPECT_FALSE(longer.ExitCode().has_value());
}

TEST(EntryTest, FindMatchesKindAndOptionallyName) {
  Entry entry;
  entry.Add(PayloadKind::kSideFile, "one", ".a");
  entry.Add(PayloadKind::kSideFile, "two", ".b");
  entry.Add(PayloadKind::kObject, "obj");
  ASSERT_NE(entry.Find(PayloadKind::kSideFile), nullptr);
  EXPECT_EQ(entry.Find(PayloadKind::kSideFile)->data, "one");
  ASSERT_NE(entry.Find(PayloadKind::kSideFile, ".b"), nullptr);
  EXPECT_EQ(entry.Find(PayloadKind::kSideFile, ".b")->data, "two");
  EXPECT_EQ(entry.Find(PayloadKind::kSideFile, ".c"), nullptr);
  EXPECT_EQ(entry.Find(PayloadKind::kStderr), nullptr);
  EXPECT_EQ(entry.Find(PayloadKind::kObject)->data, "obj");
}

TEST(EntryTest, DataSizeSumsPayloadData) {
  Entry entry;
  EXPECT_EQ(entry.DataSize(), 0u);
  entry.Add(PayloadKind::kObject, std::string(100, 'x'), "a long name that does not count");
  entry.Add(PayloadKind::kStderr, std::string(23, 'y'));
  EXPECT_EQ(entry.DataSize(), 123u);
}

// ---- corruption: every kind reads as DataLoss, never crashes ---------------------------------

class EntryCorruptionTest : public ::testing::TestWithParam<int> {
 protected:
  std::string Encoded() { return EncodeOrDie(SmallEntry(), GetParam()); }
};

TEST_P(EntryCorruptionTest, SmallEntryDecodesIntact) {
  absl::StatusOr<Entry> back = DecodeEntry(Encoded());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameEntry(SmallEntry(), *back));
}

TEST_P(EntryCorruptionTest, TruncatedAtEveryByteReadsAsDataLoss) {
  const std::string file = Encoded();
  ASSERT_FALSE(file.empty());
  for (size_t n = 0; n < file.size(); ++n) {
    // A fresh copy of exactly n bytes, so that a reader running past the end would be noticed
    // by AddressSanitizer.
    const std::string truncated = file.substr(0, n);
    ASSERT_TRUE(IsDataLoss(DecodeEntry(truncated))) << "truncated to " << n << " bytes";
  }
}

TEST_P(EntryCorruptionTest, EverySingleByteFlipReadsAsDataLoss) {
  const std::string file = Encoded();
  for (size_t i = 0; i < file.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string damaged = file;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      ASSERT_TRUE(IsDataLoss(DecodeEntry(damaged)))
          << "byte " << i << " xor " << static_cast<int>(mask);
    }
  }
}

TEST_P(EntryCorruptionTest, WrongMagicReadsAsDataLoss) {
  std::string file = Encoded();
  file[0] = 'X';
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file)));
  Reseal(&file);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file))) << "even with a valid checksum";
  std::string ccache_like = Encoded();
  ccache_like.replace(0, 4, "cCaC");
  EXPECT_TRUE(IsDataLoss(DecodeEntry(ccache_like)));
}

TEST_P(EntryCorruptionTest, VersionTwoReadsAsDataLoss) {
  std::string file = Encoded();
  PutU16At(&file, kVersionOffset, 2);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file)));
  Reseal(&file);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file))) << "even with a valid checksum";
  PutU16At(&file, kVersionOffset, 0);
  Reseal(&file);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file))) << "version 0";
}

TEST_P(EntryCorruptionTest, ExtraTrailingBytesReadAsDataLoss) {
  const std::string file = Encoded();
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file + '\0')));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file + std::string(16, 'x'))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(file + file)));
}

TEST_P(EntryCorruptionTest, EmptyInputReadsAsDataLoss) {
  EXPECT_TRUE(IsDataLoss(DecodeEntry("")));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(absl::string_view())));
}

TEST_P(EntryCorruptionTest, StoredSizeFieldThatLiesReadsAsDataLoss) {
  const std::string file = Encoded();
  const uint64_t stored = ReadU64At(file, kStoredSizeOffset);
  for (uint64_t lie : {uint64_t{0}, stored - 1, stored + 1, UINT64_MAX}) {
    std::string damaged = file;
    PutU64At(&damaged, kStoredSizeOffset, lie);
    Reseal(&damaged);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(damaged))) << "stored_size " << lie;
  }
}

TEST_P(EntryCorruptionTest, BodySizeFieldThatLiesReadsAsDataLoss) {
  const std::string file = Encoded();
  const uint64_t body = ReadU64At(file, kBodySizeOffset);
  for (uint64_t lie : {uint64_t{0}, body - 1, body + 1, kMaxEntryBodySize + 1, UINT64_MAX}) {
    std::string damaged = file;
    PutU64At(&damaged, kBodySizeOffset, lie);
    Reseal(&damaged);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(damaged))) << "body_size " << lie;
  }
}

TEST_P(EntryCorruptionTest, UnknownTypeOrCompressionReadsAsDataLoss) {
  for (uint8_t type : {0, 4, 255}) {
    std::string damaged = Encoded();
    damaged[kTypeOffset] = static_cast<char>(type);
    Reseal(&damaged);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(damaged))) << "type " << static_cast<int>(type);
  }
  for (uint8_t compression : {2, 255}) {
    std::string damaged = Encoded();
    damaged[kCompressionOffset] = static_cast<char>(compression);
    Reseal(&damaged);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(damaged)))
        << "compression " << static_cast<int>(compression);
  }
}

TEST_P(EntryCorruptionTest, RandomGarbageReadsAsDataLoss) {
  for (size_t size :
       {size_t{1}, size_t{27}, size_t{43}, size_t{44}, size_t{45}, size_t{100}, size_t{4096}}) {
    EXPECT_TRUE(IsDataLoss(DecodeEntry(test::PseudoRandomBytes(size, size)))) << size;
    // Garbage behind a valid magic.
    std::string magic_first = "ZCWE" + test::PseudoRandomBytes(size, size + 1);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(magic_first))) << size;
  }
}

INSTANTIATE_TEST_SUITE_P(Uncompressed, EntryCorruptionTest, ::testing::Values(0), LevelName);
INSTANTIATE_TEST_SUITE_P(Compressed, EntryCorruptionTest, ::testing::Values(1), LevelName);

// ---- corruption behind a valid checksum (a writer bug or a future format) --------------------

TEST(EntryFormatCraftedTest, UnknownPayloadKindReadsAsDataLoss) {
  for (uint8_t kind : {uint8_t{0}, static_cast<uint8_t>(kMaxPayloadKind + 1), uint8_t{255}}) {
    const std::string body = PayloadList({{1, "", "ok"}, {kind, "", "bad"}});
    EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(body)))) << static_cast<int>(kind);
    EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, body.size()))))
        << static_cast<int>(kind);
  }
}

TEST(EntryFormatCraftedTest, PayloadCountBeyondTheBodyReadsAsDataLoss) {
  std::string body = PayloadList({{1, "", "only one"}});
  for (uint32_t count : {2u, 1000u, UINT32_MAX}) {
    for (int i = 0; i < 4; ++i) body[static_cast<size_t>(i)] = static_cast<char>(count >> (8 * i));
    EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(body)))) << count;
  }
}

TEST(EntryFormatCraftedTest, PayloadRunningPastTheBodyReadsAsDataLoss) {
  const std::string good = PayloadList({{1, "name", "data"}});
  // Offsets in the body: count 0..3, kind 4, name_len 5..6, name 7..10, size 11..18, data 19..22.
  std::string size_too_big = good;
  PutU64At(&size_too_big, 11, 5);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(size_too_big))));
  std::string size_huge = good;
  PutU64At(&size_huge, 11, UINT64_MAX);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(size_huge))));
  std::string name_too_long = good;
  PutU16At(&name_too_long, 5, 0xffff);
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(name_too_long))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(good.substr(0, good.size() - 1)))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(""))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed("\x01\x00"))));
}

TEST(EntryFormatCraftedTest, BytesAfterTheLastPayloadReadAsDataLoss) {
  const std::string body = PayloadList({{1, "", "data"}}) + "x";
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildUncompressed(body))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, body.size()))));
}

TEST(EntryFormatCraftedTest, UncompressedBodySizeDisagreeingWithStoredSizeReadsAsDataLoss) {
  const std::string body = PayloadList({{1, "", "data"}});
  RawHeader h;
  h.body_size = body.size() + 1;
  h.stored_size = body.size();
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildFile(h, body))));
}

TEST(EntryFormatCraftedTest, ZstdFrameDisagreeingWithBodySizeReadsAsDataLoss) {
  const std::string body = PayloadList({{1, "", "data data data data"}});
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, body.size() - 1))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, body.size() + 1))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, kMaxEntryBodySize + 1))));
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildCompressed(body, UINT64_MAX))));
}

TEST(EntryFormatCraftedTest, AZstdBombReadsAsDataLossAndWritersNeverMakeOne) {
  // 100 MiB of zeros: a zstd frame of a few KiB, valid and checksummed, that would make a reader
  // allocate all of it. A forged entry from an unsigned remote tier could declare up to 2 GiB.
  Entry zeros{EntryType::kResult};
  zeros.Add(PayloadKind::kObject, std::string(size_t{100} << 20, '\0'));
  const std::string body = PayloadList({{1, "", zeros.payloads[0].data}});
  const std::string frame = ZstdFrame(body);
  ASSERT_LT(frame.size(), body.size() / kMaxZstdRatio);
  RawHeader h;
  h.compression = 1;
  h.body_size = body.size();
  h.stored_size = frame.size();
  const absl::StatusOr<Entry> bomb = DecodeEntry(BuildFile(h, frame));
  EXPECT_TRUE(IsDataLoss(bomb));
  EXPECT_TRUE(absl::StrContains(bomb.status().message(), "bomb")) << bomb.status();

  // The writer stores that body uncompressed instead, and it reads back whole.
  absl::StatusOr<std::string> file = EncodeEntry(zeros, /*compression_level=*/1);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), kEntryHeaderSize + body.size() + kEntryChecksumSize);
  EXPECT_EQ((*file)[7], 0) << "compression: none";
  absl::StatusOr<Entry> back = DecodeEntry(*file);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->payloads.size(), 1u);
  EXPECT_TRUE(back->payloads[0].data == zeros.payloads[0].data);

  // Below kRatioFreeBodySize any ratio is fine, and compressed.
  Entry small{EntryType::kResult};
  small.Add(PayloadKind::kObject, std::string(size_t{8} << 20, '\0'));
  file = EncodeEntry(small, /*compression_level=*/1);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_LT(file->size(), size_t{1} << 20);
  back = DecodeEntry(*file);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->payloads.size(), 1u);
  EXPECT_TRUE(back->payloads[0].data == small.payloads[0].data);
}

TEST(EntryFormatCraftedTest, ZstdFrameWithoutContentSizeReadsAsDataLoss) {
  const std::string body = PayloadList({{1, "", "data"}});
  const std::string frame = ZstdFrame(body, /*with_content_size=*/false);
  RawHeader h;
  h.compression = 1;
  h.body_size = body.size();
  h.stored_size = frame.size();
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildFile(h, frame))));
}

TEST(EntryFormatCraftedTest, GarbageInsteadOfAZstdFrameReadsAsDataLoss) {
  const std::string body = PayloadList({{1, "", "data"}});
  std::string frame = ZstdFrame(body);
  RawHeader h;
  h.compression = 1;
  h.body_size = body.size();
  h.stored_size = frame.size();
  for (size_t i = 0; i < frame.size(); ++i) {
    std::string damaged = frame;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    const absl::StatusOr<Entry> result = DecodeEntry(BuildFile(h, damaged));
    // A flip in a literal can still decode to a valid payload list; it must never crash, and any
    // error must be DataLoss.
    if (!result.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(result.status())) << "byte " << i << ": " << result.status();
    }
  }
  const std::string garbage = test::PseudoRandomBytes(64, 6);
  h.stored_size = garbage.size();
  EXPECT_TRUE(IsDataLoss(DecodeEntry(BuildFile(h, garbage))));
}

}  // namespace
}  // namespace zc::store
