#include "cachecore/compile/clang_pch.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- Running the real compilers ----------------------------------------------------------------

// `path` with symlinks resolved: clang makes relative names absolute against getcwd(), as the
// $PWD it inherits from the test names another directory.
std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// Runs `argv` (argv[0] searched in PATH) in `cwd`. Sets *missing if the program is not there.
bool RunCompiler(const std::vector<std::string>& argv, const std::string& cwd, bool* missing) {
  util::Command cmd;
  cmd.argv = argv;
  cmd.cwd = cwd;
  absl::StatusOr<util::ProcessResult> r = util::PosixProcessRunner().Run(cmd);
  *missing = !r.ok();
  if (!r.ok()) return false;
  EXPECT_EQ(r->exit_code, 0) << argv[0] << ": " << r->stderr_data;
  return r->exit_code == 0;
}

// "name size=N mtime=M" for each file, for readable expectations.
std::vector<std::string> Describe(const std::vector<PchInputFile>& files) {
  std::vector<std::string> out;
  for (const PchInputFile& f : files) {
    out.push_back(absl::StrCat(f.name, " size=", f.size, " mtime=", f.mtime));
  }
  return out;
}

// The size and mtime stat() gives `path` now, described like Describe().
std::string DescribeOnDisk(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return absl::StrCat(path, " (missing)");
  return absl::StrCat(path, " size=", st.st_size, " mtime=", st.st_mtime);
}

std::vector<std::string> DescribeOnDisk(const std::vector<PchInputFile>& files) {
  std::vector<std::string> out;
  for (const PchInputFile& f : files) out.push_back(DescribeOnDisk(f.name));
  return out;
}

constexpr absl::string_view kHeaderA =
    "#include \"b.h\"\n#include <vector>\nint f(std::vector<B>);\n";
constexpr absl::string_view kHeaderB = "struct B { int x; };\n";
constexpr time_t kMtimeA = 1600000000;
constexpr time_t kMtimeB = 1500000123;

// a.h (including b.h and <vector>) in `dir`, precompiled by clang with `extra` options, run in
// `dir` with relative names. The PCH bytes, or "" when clang is not in PATH (or failed: a test
// failure).
std::string BuildClangPch(const test::TempDir& dir, const std::vector<std::string>& extra) {
  test::WriteTestFile(dir.Join("a.h"), kHeaderA);
  test::WriteTestFile(dir.Join("b.h"), kHeaderB);
  test::SetFileTimes(dir.Join("a.h"), kMtimeA);
  test::SetFileTimes(dir.Join("b.h"), kMtimeB);
  std::vector<std::string> argv = {"clang", "-x", "c++-header", "a.h", "-o", "a.h.pch"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  bool missing = false;
  if (!RunCompiler(argv, dir.path(), &missing)) return "";
  return test::ReadTestFile(dir.Join("a.h.pch"));
}

// One real PCH, built once for the tests that only damage it.
const std::string& RealPch() {
  static const std::string* pch = [] {
    test::TempDir dir;
    return new std::string(BuildClangPch(dir, {}));
  }();
  return *pch;
}

TEST(ClangPchTest, ListsEveryHeaderWithSizeAndMtime) {
  test::TempDir dir;
  const std::string pch = BuildClangPch(dir, {});
  if (pch.empty()) FAIL() << "clang is not in PATH or failed";
  absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(pch);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::vector<std::string> got = Describe(*files);

  // Both local headers, named relatively on the command line and in the #include, are recorded
  // with absolute names and exactly the size and mtime they had.
  const std::string real_dir = RealPath(dir.path());
  EXPECT_THAT(got,
              Contains(absl::StrCat(real_dir, "/a.h size=", kHeaderA.size(), " mtime=", kMtimeA)));
  EXPECT_THAT(got,
              Contains(absl::StrCat(real_dir, "/b.h size=", kHeaderB.size(), " mtime=", kMtimeB)));
  // So are the C++ standard headers <vector> pulled in, and every name is absolute.
  EXPECT_GT(files->size(), 10u);
  EXPECT_THAT(got, Contains(HasSubstr("/vector size=")));
  EXPECT_THAT(got, Contains(HasSubstr("/bits/stl_vector.h size=")));
  EXPECT_THAT(got, Each(StartsWith("/")));
  // Every entry, system headers included, describes the file on disk as it is.
  EXPECT_EQ(got, DescribeOnDisk(*files));
}

TEST(ClangPchTest, WithoutPchTimestampEveryMtimeIsZero) {
  test::TempDir dir;
  const std::string pch = BuildClangPch(dir, {"-Xclang", "-fno-pch-timestamp"});
  if (pch.empty()) FAIL() << "clang is not in PATH or failed";
  absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(pch);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_GT(files->size(), 10u);
  const std::string real_dir = RealPath(dir.path());
  EXPECT_THAT(Describe(*files),
              Contains(absl::StrCat(real_dir, "/a.h size=", kHeaderA.size(), " mtime=0")));
  for (const PchInputFile& f : *files) {
    EXPECT_EQ(f.mtime, 0) << f.name;
    struct stat st {};
    ASSERT_EQ(::stat(f.name.c_str(), &st), 0) << f.name;
    EXPECT_EQ(f.size, st.st_size) << f.name;  // sizes are still recorded
  }
}

TEST(ClangPchTest, MtimeBeforeTheEpochIsNegative) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("old.h"), "int old(void);\n");
  test::SetFileTimes(dir.Join("old.h"), -86400);
  bool missing = false;
  if (!RunCompiler({"clang", "-x", "c-header", "old.h", "-o", "old.pch"}, dir.path(), &missing)) {
    FAIL() << (missing ? "clang is not in PATH" : "clang failed");
  }
  absl::StatusOr<std::vector<PchInputFile>> files =
      ClangPchInputFiles(test::ReadTestFile(dir.Join("old.pch")));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(Describe(*files),
              Contains(absl::StrCat(RealPath(dir.path()), "/old.h size=15 mtime=-86400")));
}

// --- Things that are not clang 14 PCHs -----------------------------------------------------------

testing::AssertionResult RefusedAsDataLoss(absl::string_view bytes) {
  absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(bytes);
  if (absl::IsDataLoss(files.status())) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "got "
         << (files.ok() ? absl::StrCat(files->size(), " files") : files.status().ToString())
         << " for " << bytes.size() << " bytes";
}

// Never crashes; a well-formed result or DataLoss.
testing::AssertionResult IsFilesOrDataLoss(absl::string_view bytes) {
  absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(bytes);
  if (files.ok() || absl::IsDataLoss(files.status())) return testing::AssertionSuccess();
  return testing::AssertionFailure() << files.status();
}

TEST(ClangPchTest, GccPchIsDataLoss) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("g.h"), "int g(void);\n");
  bool missing = false;
  if (!RunCompiler({"gcc", "-x", "c-header", "g.h", "-o", "g.h.gch"}, dir.path(), &missing)) {
    FAIL() << (missing ? "gcc is not in PATH" : "gcc failed");
  }
  const std::string gch = test::ReadTestFile(dir.Join("g.h.gch"));
  ASSERT_FALSE(gch.empty());
  EXPECT_TRUE(RefusedAsDataLoss(gch));
}

TEST(ClangPchHostileInputTest, EmptyAndMagicOnlyAreDataLoss) {
  EXPECT_TRUE(RefusedAsDataLoss(""));
  EXPECT_TRUE(RefusedAsDataLoss("CPC"));
  EXPECT_TRUE(RefusedAsDataLoss("CPCH"));
  EXPECT_TRUE(RefusedAsDataLoss(absl::StrCat("CPCH", std::string(64, '\0'))));
  EXPECT_TRUE(RefusedAsDataLoss(absl::StrCat("CPCH", std::string(64, '\xff'))));
}

TEST(ClangPchHostileInputTest, RandomBytesAreDataLoss) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    for (size_t size : {1u, 3u, 4u, 7u, 8u, 12u, 16u, 33u, 64u, 100u, 1000u, 4096u}) {
      const std::string noise = test::PseudoRandomBytes(size, seed);
      ASSERT_TRUE(RefusedAsDataLoss(noise)) << "seed " << seed;
      ASSERT_TRUE(RefusedAsDataLoss(absl::StrCat("CPCH", noise))) << "seed " << seed;
    }
  }
}

// The top-level blocks of a PCH as (byte offset, block id, length in words): each starts with a
// 32-bit word holding ENTER_SUBBLOCK, the id and the abbreviation width, then a word of length.
struct TopBlock {
  size_t offset;
  uint32_t id;
  size_t words;
};

uint32_t Le32(absl::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
  }
  return v;
}

std::string AsLe32(size_t v) {
  std::string out;
  for (size_t i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

std::vector<TopBlock> TopLevelBlocks(absl::string_view pch) {
  std::vector<TopBlock> blocks;
  for (size_t at = 4; at + 8 <= pch.size();) {
    const uint32_t head = Le32(pch, at);
    EXPECT_EQ(head & 3, 1u) << "ENTER_SUBBLOCK at " << at;
    EXPECT_EQ(head & 0x200, 0u) << "a block id below 128 at " << at;
    const size_t words = Le32(pch, at + 4);
    blocks.push_back({at, (head >> 2) & 0x7f, words});
    at += 8 + words * 4;
  }
  return blocks;
}

// The real PCH's blocks as clang laid them out: BLOCKINFO, control, AST, unhashed control.
std::vector<TopBlock> RealPchBlocks() {
  std::vector<TopBlock> blocks = TopLevelBlocks(RealPch());
  EXPECT_EQ(blocks.size(), 4u);
  if (blocks.size() != 4) return {};
  EXPECT_EQ(blocks[0].id, 0u);   // BLOCKINFO
  EXPECT_EQ(blocks[1].id, 15u);  // CONTROL_BLOCK
  EXPECT_EQ(blocks[2].id, 8u);   // AST_BLOCK
  EXPECT_EQ(blocks[3].id, 19u);  // UNHASHED_CONTROL_BLOCK
  return blocks;
}

// The real PCH with `control` (whole words) as its control block's content, its length word to
// match, and an empty AST block: the reader skips that one by its length anyway, and not copying
// its megabytes keeps the many-case tests fast.
std::string WithControlContent(const std::vector<TopBlock>& blocks, absl::string_view control) {
  const std::string& pch = RealPch();
  std::string out = pch.substr(0, blocks[1].offset + 4);
  out += AsLe32(control.size() / 4);
  out.append(control.data(), control.size());
  out += pch.substr(blocks[2].offset, 4) + AsLe32(0);
  out += pch.substr(blocks[3].offset, 8 + blocks[3].words * 4);
  return out;
}

std::string RealControlContent(const std::vector<TopBlock>& blocks) {
  return RealPch().substr(blocks[1].offset + 8, blocks[1].words * 4);
}

TEST(ClangPchHostileInputTest, EveryTruncationOfARealPchIsDataLoss) {
  const std::string& pch = RealPch();
  if (pch.empty()) FAIL() << "clang is not in PATH or failed";
  const std::vector<TopBlock> blocks = RealPchBlocks();
  ASSERT_FALSE(blocks.empty());
  ASSERT_TRUE(ClangPchInputFiles(pch).ok());
  // Every cut through BLOCKINFO and the control block (the first ~18 KB), and through the last
  // 2 KB: the end of the AST block and the whole unhashed control block (cutting between those
  // two is a block boundary).
  const size_t head = std::min(pch.size(), blocks[1].offset + 8 + blocks[1].words * 4 + 64);
  const absl::string_view all(pch);
  for (size_t n = 0; n < head; ++n) {
    ASSERT_TRUE(RefusedAsDataLoss(all.substr(0, n))) << "first " << n << " bytes";
  }
  for (size_t n = pch.size() - std::min<size_t>(pch.size(), 2048); n < pch.size(); ++n) {
    ASSERT_TRUE(RefusedAsDataLoss(all.substr(0, n))) << "first " << n << " bytes";
  }
}

TEST(ClangPchHostileInputTest, ControlBlockCutShortWithAConsistentLengthIsDataLoss) {
  // Cuts inside the block the reader parses, with the block's length rewritten to match, so the
  // reader runs out of bits in the middle of an entry instead of refusing the length up front.
  if (RealPch().empty()) FAIL() << "clang is not in PATH or failed";
  const std::vector<TopBlock> blocks = RealPchBlocks();
  ASSERT_FALSE(blocks.empty());
  const std::string control = RealControlContent(blocks);
  absl::StatusOr<std::vector<PchInputFile>> real = ClangPchInputFiles(RealPch());
  ASSERT_TRUE(real.ok()) << real.status();
  absl::StatusOr<std::vector<PchInputFile>> whole =
      ClangPchInputFiles(WithControlContent(blocks, control));
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(Describe(*whole), Describe(*real));
  for (size_t words = 0; words < control.size() / 4; ++words) {
    ASSERT_TRUE(RefusedAsDataLoss(WithControlContent(blocks, control.substr(0, words * 4))))
        << words << " of " << control.size() / 4 << " words";
  }
}

TEST(ClangPchHostileInputTest, DamagedControlBlockNeverCrashes) {
  if (RealPch().empty()) FAIL() << "clang is not in PATH or failed";
  const std::vector<TopBlock> blocks = RealPchBlocks();
  ASSERT_FALSE(blocks.empty());
  std::string damaged = WithControlContent(blocks, RealControlContent(blocks));
  const std::string noise = test::PseudoRandomBytes(damaged.size(), 7);
  // Every byte of BLOCKINFO's start, every 61st of the rest, every byte of the control block,
  // changed in turn.
  const size_t end = blocks[1].offset + 8 + blocks[1].words * 4;
  for (size_t at = 4; at < end; at += (at < 512 || at >= blocks[1].offset) ? 1 : 61) {
    const char original = damaged[at];
    damaged[at] = static_cast<char>(original ^ (noise[at] | 1));
    ASSERT_TRUE(IsFilesOrDataLoss(damaged)) << "byte " << at;
    damaged[at] = original;
  }
  // And random words as the control block.
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const std::string random = test::PseudoRandomBytes(4 * (1 + seed % 64), seed);
    ASSERT_TRUE(IsFilesOrDataLoss(WithControlContent(blocks, random))) << "seed " << seed;
  }
}

// --- Hand-built bitstreams: the encodings clang 14 does not happen to use ----------------------

// Writes an LLVM bitstream as LLVM's BitstreamWriter does.
class BitWriter {
 public:
  void Fixed(int width, uint64_t v) {
    for (int i = 0; i < width; ++i) Bit((v >> i) & 1);
  }
  void Vbr(int width, uint64_t v) {
    const uint64_t more = uint64_t{1} << (width - 1);
    for (; v >= more; v >>= width - 1) Fixed(width, (v & (more - 1)) | more);
    Fixed(width, v);
  }
  void Align32() {
    while (bits_ % 32 != 0) Bit(0);
  }
  void Blob(absl::string_view data) {
    Vbr(6, data.size());
    Align32();
    for (char c : data) Fixed(8, static_cast<uint8_t>(c));
    Align32();
  }
  // ENTER_SUBBLOCK; returns the offset of the length word for EndBlock.
  size_t EnterBlock(int width, uint64_t id, int inner_width) {
    Fixed(width, 1);
    Vbr(8, id);
    Vbr(4, static_cast<uint64_t>(inner_width));
    Align32();
    const size_t length_at = bytes_.size();
    Fixed(32, 0);
    return length_at;
  }
  // END_BLOCK, and the block's length (plus `delta` words) patched in.
  void EndBlock(int width, size_t length_at, int delta = 0) {
    Fixed(width, 0);
    Align32();
    const auto words = static_cast<uint32_t>((bytes_.size() - length_at - 4) / 4 + delta);
    for (size_t i = 0; i < 4; ++i) bytes_[length_at + i] = static_cast<char>(words >> (8 * i));
  }
  void Unabbreviated(int width, uint64_t code, const std::vector<uint64_t>& ops) {
    Fixed(width, 3);
    Vbr(6, code);
    Vbr(6, ops.size());
    for (uint64_t v : ops) Vbr(6, v);
  }
  // DEFINE_ABBREV; each op is {encoding, value}, encoding 0 for a literal.
  void DefineAbbrev(int width, const std::vector<std::pair<int, uint64_t>>& ops) {
    Fixed(width, 2);
    Vbr(5, ops.size());
    for (const auto& [encoding, value] : ops) {
      Fixed(1, encoding == 0 ? 1 : 0);
      if (encoding == 0) {
        Vbr(8, value);
        continue;
      }
      Fixed(3, static_cast<uint64_t>(encoding));
      if (encoding == 1 || encoding == 2) Vbr(5, value);
    }
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void Bit(uint64_t b) {
    if (bits_ % 8 == 0) bytes_.push_back('\0');
    if (b != 0) bytes_.back() = static_cast<char>(bytes_.back() | (1 << (bits_ % 8)));
    ++bits_;
  }
  std::string bytes_;
  size_t bits_ = 0;
};

// A small PCH-shaped stream. Its INPUT_FILE abbreviation uses Fixed 64 size and mtime and comes
// from BLOCKINFO; the block also holds records with a Char6 array and a zero-width array.
struct Stream {
  uint64_t version = 15;
  bool abbrev_in_blockinfo = true;
  bool abbrev_before_setbid = false;
  bool input_file_unabbreviated = false;
  bool undefined_abbrev = false;
  uint64_t first_id = 1;
  int control_length_delta = 0;
  bool ast_block = true;
  bool unhashed_block = true;
  // An abbreviation of this many literals, and as many records of 4 bits that use it.
  uint64_t literal_flood = 0;
  std::vector<PchInputFile> files = {{"/src/a.h", 42, 1600000000},
                                     {"/usr/include/b.h", int64_t{1} << 40, -5}};

  std::string Build() const {
    const std::vector<std::pair<int, uint64_t>> input_file_abbrev = {
        {0, 1}, {2, 6}, {1, 64}, {1, 64}, {1, 1}, {1, 1}, {1, 1}, {5, 0}};
    BitWriter w;
    const size_t info = w.EnterBlock(2, 0, 3);
    if (abbrev_before_setbid) w.DefineAbbrev(3, input_file_abbrev);
    w.Unabbreviated(3, 1, {16});                       // SETBID INPUT_FILES_BLOCK
    w.Unabbreviated(3, 2, {'I', 'N', 'P', 'U', 'T'});  // BLOCKNAME
    if (abbrev_in_blockinfo) w.DefineAbbrev(3, input_file_abbrev);
    w.EndBlock(3, info);

    const size_t control = w.EnterBlock(2, 15, 5);
    w.Unabbreviated(5, 1, {version, 0, 14, 0, 0, 1, 0});  // METADATA
    const size_t options = w.EnterBlock(5, 17, 3);        // skipped
    w.Unabbreviated(3, 1, {1, 2, 3});
    w.EndBlock(3, options);
    const size_t inputs = w.EnterBlock(5, 16, 4);
    if (!abbrev_in_blockinfo) w.DefineAbbrev(4, input_file_abbrev);
    w.DefineAbbrev(4, {{0, 2}, {3, 0}, {4, 0}});  // id 5: code 2 with a Char6 array
    w.DefineAbbrev(4, {{0, 2}, {3, 0}, {1, 0}});  // id 6: code 2 with an array of zero-width
    uint64_t id = first_id;
    for (const PchInputFile& f : files) {
      w.Fixed(4, 5);  // "abc" in Char6
      w.Vbr(6, 3);
      for (uint64_t c : {0u, 1u, 2u}) w.Fixed(6, c);
      w.Fixed(4, 6);  // a hundred zeros in no bits at all
      w.Vbr(6, 100);
      if (input_file_unabbreviated) {
        w.Unabbreviated(
            4, 1, {id++, static_cast<uint64_t>(f.size), static_cast<uint64_t>(f.mtime), 0, 0, 0});
      } else {
        w.Fixed(4, 4);
        w.Vbr(6, id++);
        w.Fixed(64, static_cast<uint64_t>(f.size));
        w.Fixed(64, static_cast<uint64_t>(f.mtime));
        w.Fixed(3, 0);
        w.Blob(f.name);
      }
    }
    if (literal_flood > 0) {
      w.DefineAbbrev(4, std::vector<std::pair<int, uint64_t>>(literal_flood, {0, 2}));  // id 7
      for (uint64_t i = 0; i < literal_flood; ++i) w.Fixed(4, 7);
    }
    if (undefined_abbrev) w.Fixed(4, 7);
    w.EndBlock(4, inputs);
    w.EndBlock(5, control, control_length_delta);

    if (ast_block) {
      const size_t ast = w.EnterBlock(2, 8, 3);
      w.Unabbreviated(3, 1, {7});
      w.EndBlock(3, ast);
    }
    if (unhashed_block) {
      const size_t unhashed = w.EnterBlock(2, 19, 3);
      w.EndBlock(3, unhashed);
    }
    return absl::StrCat("CPCH", w.bytes());
  }
};

TEST(ClangPchBitstreamTest, ReadsAbbreviationsFromBlockInfoAndFromTheBlock) {
  for (bool in_blockinfo : {true, false}) {
    Stream s;
    s.abbrev_in_blockinfo = in_blockinfo;
    absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(s.Build());
    ASSERT_TRUE(files.ok()) << files.status();
    EXPECT_EQ(Describe(*files),
              (std::vector<std::string>{"/src/a.h size=42 mtime=1600000000",
                                        "/usr/include/b.h size=1099511627776 mtime=-5"}))
        << "in BLOCKINFO: " << in_blockinfo;
  }
  Stream none;
  none.files.clear();
  absl::StatusOr<std::vector<PchInputFile>> files = ClangPchInputFiles(none.Build());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST(ClangPchBitstreamTest, LiteralAbbreviationsCannotMakeTheWorkOutgrowTheInput) {
  // 10^5 records of 4 bits, each decoding 10^5 operands from nothing: 10^10 steps for 160 KB
  // unless the work is bounded by the input's size.
  Stream s;
  s.literal_flood = 100000;
  EXPECT_TRUE(RefusedAsDataLoss(s.Build()));
  s.literal_flood = 100;  // 100 x 100 operands stay within the bound
  EXPECT_TRUE(ClangPchInputFiles(s.Build()).ok());
}

TEST(ClangPchBitstreamTest, InconsistentStreamsAreDataLoss) {
  std::vector<std::pair<std::string, Stream>> cases;
  const auto add = [&cases](const std::string& name, auto tweak) {
    Stream s;
    tweak(s);
    cases.emplace_back(name, s);
  };
  add("another AST format version", [](Stream& s) { s.version = 16; });
  add("abbreviation before SETBID", [](Stream& s) { s.abbrev_before_setbid = true; });
  add("INPUT_FILE without a name blob", [](Stream& s) { s.input_file_unabbreviated = true; });
  add("undefined abbreviation", [](Stream& s) { s.undefined_abbrev = true; });
  add("ids not 1, 2, ...", [](Stream& s) { s.first_id = 2; });
  add("block longer than its END_BLOCK", [](Stream& s) { s.control_length_delta = 1; });
  add("block shorter than its END_BLOCK", [](Stream& s) { s.control_length_delta = -1; });
  add("no AST block", [](Stream& s) { s.ast_block = false; });
  add("no unhashed control block", [](Stream& s) { s.unhashed_block = false; });
  add("an empty name", [](Stream& s) { s.files[0].name.clear(); });
  for (const auto& [name, stream] : cases) EXPECT_TRUE(RefusedAsDataLoss(stream.Build())) << name;

  const std::string good = Stream().Build();
  ASSERT_TRUE(ClangPchInputFiles(good).ok());
  EXPECT_TRUE(RefusedAsDataLoss(good + std::string(4, '\0'))) << "trailing bytes";
  EXPECT_TRUE(RefusedAsDataLoss(good + "\x01")) << "a trailing partial word";
  EXPECT_TRUE(RefusedAsDataLoss(absl::StrCat(good, good.substr(4)))) << "two control blocks";
  EXPECT_TRUE(RefusedAsDataLoss(absl::StrCat("CPCX", good.substr(4)))) << "another magic";
}

}  // namespace
}  // namespace zc::compile
