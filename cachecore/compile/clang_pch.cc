#include "cachecore/compile/clang_pch.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

constexpr absl::string_view kMagic = "CPCH";

// Abbreviation ids with a fixed meaning in every LLVM bitstream.
constexpr uint64_t kEndBlock = 0;
constexpr uint64_t kEnterSubblock = 1;
constexpr uint64_t kDefineAbbrev = 2;
constexpr uint64_t kUnabbrevRecord = 3;
constexpr uint64_t kFirstDefinedAbbrev = 4;

// Operand encodings in DEFINE_ABBREV.
constexpr uint64_t kEncodingFixed = 1;
constexpr uint64_t kEncodingVbr = 2;
constexpr uint64_t kEncodingArray = 3;
constexpr uint64_t kEncodingChar6 = 4;
constexpr uint64_t kEncodingBlob = 5;

constexpr int kTopLevelAbbrevWidth = 2;
constexpr uint64_t kBlockInfoBlockId = 0;
constexpr uint64_t kSetBidRecord = 1;  // in BLOCKINFO: the block the next abbreviations are for

// clang 14 (clang/Serialization/ASTBitCodes.h), checked against PCHs it wrote.
constexpr uint64_t kAstBlockId = 8;
constexpr uint64_t kControlBlockId = 15;
constexpr uint64_t kInputFilesBlockId = 16;
constexpr uint64_t kUnhashedControlBlockId = 19;
constexpr uint64_t kMetadataRecord = 1;   // in CONTROL_BLOCK
constexpr uint64_t kInputFileRecord = 1;  // in INPUT_FILES_BLOCK
constexpr uint64_t kAstVersionMajor = 15;
// ID, size, mtime, overridden, transient, module map (the name is the blob).
constexpr uint64_t kInputFileValues = 6;

// Bounds for hostile input: nesting, the memory abbreviation definitions may take, and the work
// abbreviated records may cause. (An abbreviation of literals decodes many operands from no bits
// but its id; clang's records decode about one operand per field of at least one bit.)
constexpr int kMaxBlockDepth = 64;
constexpr uint64_t kMaxAbbrevOps = uint64_t{1} << 20;
constexpr uint64_t kOperandsPerBit = 4;
constexpr uint64_t kOperandsSlack = 4096;
// A record keeps its first operands only; the rest are counted (no record needs more).
constexpr size_t kKeptValues = 8;

absl::Status Malformed(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("not a clang 14 precompiled header: ", why));
}

// Reads bits least significant first from `bytes`, never past `limit()` (a bit position), which
// callers narrow to the end of the block they are in. Positions count from the start of `bytes`,
// so 32-bit alignment is relative to it. A failed read leaves the position unspecified and sets
// error().
class BitReader {
 public:
  explicit BitReader(absl::string_view bytes)
      : bytes_(bytes), limit_(static_cast<uint64_t>(bytes.size()) * 8) {}

  uint64_t position() const { return pos_; }
  uint64_t limit() const { return limit_; }
  uint64_t remaining() const { return limit_ - pos_; }
  // REQUIRES: position() <= limit <= the end of the bytes.
  void set_limit(uint64_t limit) { limit_ = limit; }
  // REQUIRES: position <= limit().
  void Seek(uint64_t position) { pos_ = position; }
  absl::string_view error() const { return error_; }

  // `width` (0..64) bits as an unsigned number.
  bool Read(int width, uint64_t* value) {
    if (static_cast<uint64_t>(width) > remaining()) return Fail("it ends in the middle of a field");
    uint64_t v = 0;
    int done = 0;
    while (done < width) {
      const auto byte = static_cast<uint8_t>(bytes_[static_cast<size_t>(pos_ >> 3)]);
      const int shift = static_cast<int>(pos_ & 7);
      const int take = std::min(8 - shift, width - done);
      const uint64_t bits = (static_cast<uint64_t>(byte) >> shift) & ((uint64_t{1} << take) - 1);
      v |= bits << done;
      done += take;
      pos_ += static_cast<uint64_t>(take);
    }
    *value = v;
    return true;
  }

  // A variable-width number in chunks of `width` (2..64) bits whose top bit says "more follows".
  bool ReadVbr(int width, uint64_t* value) {
    const uint64_t more = uint64_t{1} << (width - 1);
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += width - 1) {
      uint64_t chunk = 0;
      if (!Read(width, &chunk)) return false;
      const uint64_t payload = chunk & (more - 1);
      if (shift > 0 && (payload >> (64 - shift)) != 0) return Fail("a number exceeds 64 bits");
      v |= payload << shift;
      if ((chunk & more) == 0) {
        *value = v;
        return true;
      }
    }
    return Fail("a number exceeds 64 bits");
  }

  bool AlignTo32() {
    const uint64_t aligned = (pos_ + 31) & ~uint64_t{31};
    if (aligned > limit_) return Fail("it ends in the middle of a word");
    pos_ = aligned;
    return true;
  }

  // Borrows the next `n` bytes. REQUIRES: the position is a multiple of 8.
  bool ReadBytes(uint64_t n, absl::string_view* out) {
    if (n > remaining() / 8) return Fail("a blob runs past the end of its block");
    *out = bytes_.substr(static_cast<size_t>(pos_ >> 3), static_cast<size_t>(n));
    pos_ += n * 8;
    return true;
  }

  bool Fail(absl::string_view why) {
    error_ = why;
    return false;
  }

 private:
  absl::string_view bytes_;
  uint64_t pos_ = 0;
  uint64_t limit_;
  absl::string_view error_ = "no error";
};

struct AbbrevOp {
  enum class Kind : uint8_t { kLiteral, kFixed, kVbr, kArray, kChar6, kBlob };
  Kind kind;
  uint64_t value;  // the literal, or the width of kFixed and kVbr
};
using Abbrev = std::vector<AbbrevOp>;

struct Record {
  uint64_t code = 0;
  uint64_t num_values = 0;            // operands after the code, arrays flattened
  uint64_t values[kKeptValues] = {};  // the first min(num_values, kKeptValues) of them
  int num_blobs = 0;
  absl::string_view blob;  // the last blob

  void Add(uint64_t v) {
    if (num_values < kKeptValues) values[num_values] = v;
    ++num_values;
  }
  // REQUIRES: n is at most the number of bits in the stream (so the count cannot overflow).
  void AddRepeated(uint64_t v, uint64_t n) {
    for (uint64_t k = num_values; k < kKeptValues && k - num_values < n; ++k) values[k] = v;
    num_values += n;
  }
};

// A block being read: its id, abbreviation width and end (a bit position), and the abbreviations
// in force (ids 4.. are the BLOCKINFO ones for its id first, then its own).
struct Block {
  uint64_t id = 0;
  int abbrev_width = 0;
  uint64_t end = 0;
  size_t inherited_abbrevs = 0;
  std::vector<Abbrev> abbrevs;
  // In BLOCKINFO: the block id set by the last SETBID record, that DEFINE_ABBREV applies to.
  bool has_target = false;
  uint64_t target = 0;
};

struct SubBlockHeader {
  uint64_t id = 0;
  int abbrev_width = 0;
  uint64_t end = 0;
};

// What Next() found in a block.
struct Entry {
  enum class Kind { kEndBlock, kSubBlock, kRecord };
  Kind kind = Kind::kEndBlock;
  SubBlockHeader sub_block;  // kSubBlock: positioned at its first abbreviation id
  Record record;             // kRecord
};

class PchReader {
 public:
  explicit PchReader(absl::string_view stream)
      : bits_(stream), operand_budget_(bits_.limit() * kOperandsPerBit + kOperandsSlack) {}

  absl::StatusOr<std::vector<PchInputFile>> Read() {
    ZC_RETURN_IF_ERROR(ReadTopLevel());
    return std::move(files_);
  }

 private:
  absl::Status BitError() const { return Malformed(bits_.error()); }

  absl::Status ReadTopLevel() {
    bool seen_control = false;
    bool seen_ast = false;
    bool seen_unhashed = false;
    while (bits_.remaining() > 0) {
      uint64_t abbrev_id = 0;
      if (!bits_.Read(kTopLevelAbbrevWidth, &abbrev_id)) return BitError();
      if (abbrev_id != kEnterSubblock) {
        return Malformed("something other than a block at top level");
      }
      ZC_ASSIGN_OR_RETURN(SubBlockHeader sub, ReadSubBlockHeader());
      switch (sub.id) {
        case kBlockInfoBlockId: ZC_RETURN_IF_ERROR(ReadBlockInfoBlock(sub, 1)); break;
        case kControlBlockId:
          if (seen_control) return Malformed("two control blocks");
          seen_control = true;
          ZC_RETURN_IF_ERROR(ReadControlBlock(sub, 1));
          break;
        case kAstBlockId:
          if (!seen_control) return Malformed("the AST block comes before the control block");
          if (seen_ast) return Malformed("two AST blocks");
          seen_ast = true;
          SkipBlock(sub);
          break;
        case kUnhashedControlBlockId:
          if (seen_unhashed) return Malformed("two unhashed control blocks");
          seen_unhashed = true;
          SkipBlock(sub);
          break;
        default: SkipBlock(sub); break;
      }
    }
    if (!seen_control) return Malformed("no control block");
    if (!seen_ast) return Malformed("no AST block (truncated?)");
    if (!seen_unhashed) return Malformed("no unhashed control block (truncated?)");
    return absl::OkStatus();
  }

  // After ENTER_SUBBLOCK: the block's id, abbreviation width and length; leaves the reader at
  // the block's first abbreviation id.
  absl::StatusOr<SubBlockHeader> ReadSubBlockHeader() {
    SubBlockHeader h;
    uint64_t width = 0;
    uint64_t words = 0;
    if (!bits_.ReadVbr(8, &h.id) || !bits_.ReadVbr(4, &width) || !bits_.AlignTo32() ||
        !bits_.Read(32, &words)) {
      return BitError();
    }
    if (width < 1 || width > 32) return Malformed("a block's abbreviation width is not 1..32");
    if (words > bits_.remaining() / 32) return Malformed("a block runs past the end of its parent");
    h.abbrev_width = static_cast<int>(width);
    h.end = bits_.position() + words * 32;
    return h;
  }

  void SkipBlock(const SubBlockHeader& sub) { bits_.Seek(sub.end); }

  Block StartBlock(const SubBlockHeader& sub) {
    Block b;
    b.id = sub.id;
    b.abbrev_width = sub.abbrev_width;
    b.end = sub.end;
    b.inherited_abbrevs = block_info_[sub.id].size();
    return b;
  }

  // Reads `b`'s next entry, handling DEFINE_ABBREV itself. On kEndBlock the reader is at the
  // block's end; on kSubBlock at the sub-block's first abbreviation id.
  absl::Status Next(Block* b, Entry* entry) {
    while (true) {
      uint64_t abbrev_id = 0;
      if (!bits_.Read(b->abbrev_width, &abbrev_id)) return BitError();
      switch (abbrev_id) {
        case kEndBlock:
          if (!bits_.AlignTo32()) return BitError();
          if (bits_.position() != b->end) return Malformed("a block ends before its length says");
          entry->kind = Entry::Kind::kEndBlock;
          return absl::OkStatus();
        case kEnterSubblock: {
          ZC_ASSIGN_OR_RETURN(entry->sub_block, ReadSubBlockHeader());
          entry->kind = Entry::Kind::kSubBlock;
          return absl::OkStatus();
        }
        case kDefineAbbrev: ZC_RETURN_IF_ERROR(DefineAbbrev(b)); continue;
        case kUnabbrevRecord:
          entry->kind = Entry::Kind::kRecord;
          return ReadUnabbreviatedRecord(&entry->record);
        default: {
          entry->kind = Entry::Kind::kRecord;
          const uint64_t index = abbrev_id - kFirstDefinedAbbrev;
          const std::vector<Abbrev>& inherited = block_info_[b->id];
          if (index < b->inherited_abbrevs) {
            return ReadAbbreviatedRecord(inherited[static_cast<size_t>(index)], &entry->record);
          }
          if (index - b->inherited_abbrevs < b->abbrevs.size()) {
            return ReadAbbreviatedRecord(
                b->abbrevs[static_cast<size_t>(index - b->inherited_abbrevs)], &entry->record);
          }
          return Malformed("a record uses an undefined abbreviation");
        }
      }
    }
  }

  // Reads the sub-block `sub` with `read` (a member function taking the block and `depth`), with
  // reads limited to the sub-block; restores the parent's limit afterwards.
  template <typename ReadFn>
  absl::Status InSubBlock(const SubBlockHeader& sub, int depth, ReadFn read) {
    if (depth > kMaxBlockDepth) return Malformed("blocks nested too deeply");
    const uint64_t parent_limit = bits_.limit();
    bits_.set_limit(sub.end);
    Block block = StartBlock(sub);
    ZC_RETURN_IF_ERROR((this->*read)(&block, depth));
    bits_.set_limit(parent_limit);
    return absl::OkStatus();
  }

  absl::Status ReadBlockInfoBlock(const SubBlockHeader& sub, int depth) {
    return InSubBlock(sub, depth, &PchReader::ReadBlockInfoEntries);
  }
  absl::Status ReadControlBlock(const SubBlockHeader& sub, int depth) {
    return InSubBlock(sub, depth, &PchReader::ReadControlEntries);
  }
  absl::Status ReadInputFilesBlock(const SubBlockHeader& sub, int depth) {
    return InSubBlock(sub, depth, &PchReader::ReadInputFileEntries);
  }

  // A nested block other blocks may hold: BLOCKINFO is read, anything else skipped.
  absl::Status ReadOrSkipSubBlock(const SubBlockHeader& sub, int depth) {
    if (sub.id == kBlockInfoBlockId) return ReadBlockInfoBlock(sub, depth);
    SkipBlock(sub);
    return absl::OkStatus();
  }

  absl::Status ReadBlockInfoEntries(Block* b, int /*depth*/) {
    Entry entry;
    while (true) {
      ZC_RETURN_IF_ERROR(Next(b, &entry));
      switch (entry.kind) {
        case Entry::Kind::kEndBlock: return absl::OkStatus();
        case Entry::Kind::kSubBlock:
          SkipBlock(entry.sub_block);  // as LLVM does
          break;
        case Entry::Kind::kRecord:
          if (entry.record.code == kSetBidRecord) {
            if (entry.record.num_values < 1) return Malformed("SETBID without a block id");
            b->has_target = true;
            b->target = entry.record.values[0];
          }
          break;  // BLOCKNAME, SETRECORDNAME: names for dumps
      }
    }
  }

  absl::Status ReadControlEntries(Block* b, int depth) {
    bool seen_metadata = false;
    bool seen_input_files = false;
    Entry entry;
    while (true) {
      ZC_RETURN_IF_ERROR(Next(b, &entry));
      switch (entry.kind) {
        case Entry::Kind::kEndBlock:
          if (!seen_input_files) return Malformed("no input files block");
          return absl::OkStatus();
        case Entry::Kind::kSubBlock:
          if (entry.sub_block.id == kInputFilesBlockId) {
            if (!seen_metadata) return Malformed("input files before the METADATA record");
            if (seen_input_files) return Malformed("two input files blocks");
            seen_input_files = true;
            ZC_RETURN_IF_ERROR(ReadInputFilesBlock(entry.sub_block, depth + 1));
          } else {
            ZC_RETURN_IF_ERROR(ReadOrSkipSubBlock(entry.sub_block, depth + 1));
          }
          break;
        case Entry::Kind::kRecord:
          if (entry.record.code == kMetadataRecord) {
            if (seen_metadata) return Malformed("two METADATA records");
            seen_metadata = true;
            if (entry.record.num_values < 1) return Malformed("an empty METADATA record");
            if (entry.record.values[0] != kAstVersionMajor) {
              return Malformed(absl::StrCat("AST format version ", entry.record.values[0],
                                            ", clang 14 writes ", kAstVersionMajor));
            }
          }
          break;
      }
    }
  }

  absl::Status ReadInputFileEntries(Block* b, int depth) {
    Entry entry;
    while (true) {
      ZC_RETURN_IF_ERROR(Next(b, &entry));
      switch (entry.kind) {
        case Entry::Kind::kEndBlock: return absl::OkStatus();
        case Entry::Kind::kSubBlock:
          ZC_RETURN_IF_ERROR(ReadOrSkipSubBlock(entry.sub_block, depth + 1));
          break;
        case Entry::Kind::kRecord:
          if (entry.record.code == kInputFileRecord) ZC_RETURN_IF_ERROR(AddInputFile(entry.record));
          break;  // INPUT_FILE_HASH
      }
    }
  }

  absl::Status AddInputFile(const Record& r) {
    if (r.num_values != kInputFileValues || r.num_blobs != 1) {
      return Malformed("an INPUT_FILE record of another shape than clang 14's");
    }
    if (r.values[0] != files_.size() + 1) return Malformed("INPUT_FILE ids out of order");
    if (r.values[1] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Malformed("an input file larger than 2^63 bytes");
    }
    if (r.values[3] > 1 || r.values[4] > 1 || r.values[5] > 1) {
      return Malformed("an INPUT_FILE flag that is not 0 or 1");
    }
    if (r.blob.empty()) return Malformed("an input file without a name");
    PchInputFile file;
    file.name = std::string(r.blob);
    file.size = static_cast<int64_t>(r.values[1]);
    file.mtime = static_cast<int64_t>(r.values[2]);  // clang's time_t: two's complement
    files_.push_back(std::move(file));
    return absl::OkStatus();
  }

  // After DEFINE_ABBREV: the definition, added to `b` (or, in BLOCKINFO, to the SETBID block).
  absl::Status DefineAbbrev(Block* b) {
    uint64_t num_ops = 0;
    if (!bits_.ReadVbr(5, &num_ops)) return BitError();
    if (num_ops == 0) return Malformed("an abbreviation without operands");
    // Every operand takes at least 4 bits.
    if (num_ops > bits_.remaining() / 4) return Malformed("an abbreviation runs past its block");
    total_abbrev_ops_ += num_ops;
    if (total_abbrev_ops_ > kMaxAbbrevOps) return Malformed("too many abbreviation operands");
    Abbrev abbrev;
    abbrev.reserve(static_cast<size_t>(num_ops));
    for (uint64_t i = 0; i < num_ops; ++i) {
      uint64_t is_literal = 0;
      uint64_t value = 0;
      if (!bits_.Read(1, &is_literal)) return BitError();
      if (is_literal != 0) {
        if (!bits_.ReadVbr(8, &value)) return BitError();
        abbrev.push_back({AbbrevOp::Kind::kLiteral, value});
        continue;
      }
      uint64_t encoding = 0;
      if (!bits_.Read(3, &encoding)) return BitError();
      switch (encoding) {
        case kEncodingFixed:
        case kEncodingVbr: {
          if (!bits_.ReadVbr(5, &value)) return BitError();
          const bool fixed = encoding == kEncodingFixed;
          if (value == 0) {  // a zero-width field is the literal 0, as in LLVM
            abbrev.push_back({AbbrevOp::Kind::kLiteral, 0});
          } else if (value > 64 || (!fixed && value < 2)) {
            return Malformed("an abbreviation field of an impossible width");
          } else {
            abbrev.push_back({fixed ? AbbrevOp::Kind::kFixed : AbbrevOp::Kind::kVbr, value});
          }
          break;
        }
        case kEncodingArray: abbrev.push_back({AbbrevOp::Kind::kArray, 0}); break;
        case kEncodingChar6: abbrev.push_back({AbbrevOp::Kind::kChar6, 0}); break;
        case kEncodingBlob: abbrev.push_back({AbbrevOp::Kind::kBlob, 0}); break;
        default: return Malformed("an unknown abbreviation operand encoding");
      }
    }
    const auto is_aggregate = [](const AbbrevOp& op) {
      return op.kind == AbbrevOp::Kind::kArray || op.kind == AbbrevOp::Kind::kBlob;
    };
    if (is_aggregate(abbrev[0])) return Malformed("an abbreviation starts with an array or blob");
    for (size_t i = 0; i < abbrev.size(); ++i) {
      if (abbrev[i].kind != AbbrevOp::Kind::kArray) continue;
      if (i + 1 >= abbrev.size() || is_aggregate(abbrev[i + 1])) {
        return Malformed("an array without a scalar element type");
      }
      ++i;  // the element type
    }
    if (b->id == kBlockInfoBlockId) {
      if (!b->has_target) return Malformed("an abbreviation in BLOCKINFO before SETBID");
      block_info_[b->target].push_back(std::move(abbrev));
    } else {
      b->abbrevs.push_back(std::move(abbrev));
    }
    return absl::OkStatus();
  }

  absl::Status ReadUnabbreviatedRecord(Record* r) {
    *r = Record();
    uint64_t num_ops = 0;
    if (!bits_.ReadVbr(6, &r->code) || !bits_.ReadVbr(6, &num_ops)) return BitError();
    if (num_ops > bits_.remaining() / 6) return Malformed("a record runs past its block");
    for (uint64_t i = 0; i < num_ops; ++i) {
      uint64_t v = 0;
      if (!bits_.ReadVbr(6, &v)) return BitError();
      r->Add(v);
    }
    return absl::OkStatus();
  }

  // A scalar operand (not an array or blob).
  bool ReadScalar(const AbbrevOp& op, uint64_t* value) {
    switch (op.kind) {
      case AbbrevOp::Kind::kLiteral: *value = op.value; return true;
      case AbbrevOp::Kind::kFixed: return bits_.Read(static_cast<int>(op.value), value);
      case AbbrevOp::Kind::kVbr: return bits_.ReadVbr(static_cast<int>(op.value), value);
      case AbbrevOp::Kind::kChar6: {
        uint64_t c = 0;
        if (!bits_.Read(6, &c)) return false;
        static constexpr char kChar6[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._";
        *value = static_cast<uint8_t>(kChar6[c]);
        return true;
      }
      case AbbrevOp::Kind::kArray:
      case AbbrevOp::Kind::kBlob: break;
    }
    return bits_.Fail("an array or blob where a number belongs");
  }

  absl::Status ReadAbbreviatedRecord(const Abbrev& abbrev, Record* r) {
    if (abbrev.size() > operand_budget_) {
      return Malformed("abbreviations decode more operands than the input could hold");
    }
    operand_budget_ -= abbrev.size();
    *r = Record();
    if (!ReadScalar(abbrev[0], &r->code)) return BitError();
    for (size_t i = 1; i < abbrev.size(); ++i) {
      const AbbrevOp& op = abbrev[i];
      if (op.kind == AbbrevOp::Kind::kArray) {
        uint64_t n = 0;
        if (!bits_.ReadVbr(6, &n)) return BitError();
        if (n > bits_.remaining()) return Malformed("an array runs past its block");
        const AbbrevOp& element = abbrev[++i];           // checked to exist when defined
        if (element.kind == AbbrevOp::Kind::kLiteral) {  // takes no bits: no loop over n
          r->AddRepeated(element.value, n);
          continue;
        }
        for (uint64_t k = 0; k < n; ++k) {
          uint64_t v = 0;
          if (!ReadScalar(element, &v)) return BitError();
          r->Add(v);
        }
      } else if (op.kind == AbbrevOp::Kind::kBlob) {
        uint64_t n = 0;
        if (!bits_.ReadVbr(6, &n) || !bits_.AlignTo32() || !bits_.ReadBytes(n, &r->blob) ||
            !bits_.AlignTo32()) {
          return BitError();
        }
        ++r->num_blobs;
      } else {
        uint64_t v = 0;
        if (!ReadScalar(op, &v)) return BitError();
        r->Add(v);
      }
    }
    return absl::OkStatus();
  }

  BitReader bits_;
  // Abbreviations BLOCKINFO defines, by block id.
  std::map<uint64_t, std::vector<Abbrev>> block_info_;
  uint64_t total_abbrev_ops_ = 0;
  // Operands abbreviated records may still decode.
  uint64_t operand_budget_;
  std::vector<PchInputFile> files_;
};

}  // namespace

absl::StatusOr<std::vector<PchInputFile>> ClangPchInputFiles(absl::string_view pch_bytes) {
  if (!absl::StartsWith(pch_bytes, kMagic)) return Malformed("no CPCH magic");
  return PchReader(pch_bytes.substr(kMagic.size())).Read();
}

absl::StatusOr<std::vector<PchInputFile>> ReadClangPchInputFiles(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(const std::string bytes, util::ReadFileToString(path));
  return ClangPchInputFiles(bytes);
}

}  // namespace zc::compile
