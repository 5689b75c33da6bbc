// The input files a clang precompiled header was built from, with the size and mtime it recorded
// for each.
//
// clang refuses a PCH (-include-pch X, or the X.pch its driver substitutes for -include X) when one
// of those files now has another size or mtime ("file has been modified since the precompiled
// header was built"). So a compile that uses a clang PCH depends on these files' mtimes, not only
// on their contents: zcwrap pins the mtimes of exactly the files listed here.
//
//   ZC_ASSIGN_OR_RETURN(std::string bytes, zc::util::ReadFileToString("pre.h.pch"));
//   absl::StatusOr<std::vector<zc::compile::PchInputFile>> inputs =
//       zc::compile::ClangPchInputFiles(bytes);
//   if (!inputs.ok()) { DataLoss: not a clang 14 PCH; count it and compile without the cache }
//   for (const zc::compile::PchInputFile& f : *inputs) { f.name, f.size, f.mtime }
//
// What is read (clang 14's AST file format, VERSION_MAJOR 15, checked against PCHs it wrote):
//
//   file  := "CPCH" bitstream            (an LLVM bitstream; abbreviation ids 2 bits wide at top)
//   top   := blocks only, to the last byte: one CONTROL_BLOCK (15), then one AST_BLOCK (8), and
//            one UNHASHED_CONTROL_BLOCK (19); clang 14 writes BLOCKINFO (0) first and the others
//            in that order. Blocks other than BLOCKINFO and CONTROL_BLOCK are skipped by length.
//   CONTROL_BLOCK := METADATA record (code 1: [VERSION_MAJOR = 15, VERSION_MINOR, clang major,
//            clang minor, relocatable, has timestamps, has errors], blob: clang revision), other
//            records and blocks, and one INPUT_FILES_BLOCK (16, nested) after METADATA
//   INPUT_FILES_BLOCK := per file, in ID order:
//            INPUT_FILE (code 1): [ID (VBR6: 1, 2, ...), size (VBR12), mtime (VBR32),
//                                  overridden (Fixed1), transient (Fixed1), module map (Fixed1)],
//                                 blob: the name
//            INPUT_FILE_HASH (code 2): [two Fixed32 halves of a content hash], ignored
//
// Records are decoded through their abbreviations (the block's own or BLOCKINFO's), so only the
// number and order of fields matter, not their encoding. Note that in clang 14 size and mtime are
// VBR fields, not Fixed 64, and INPUT_FILE has no "top-level" flag. The mtime is clang's time_t in
// two's complement: negative before the epoch.
//
// Names are stored as clang opened them, made absolute against its working directory ($PWD when
// that names the directory, else getcwd()): "./p.h" run in /src is "/src/p.h", "../p.h" is
// "/src/../p.h"; symlinks and ".." are not resolved. A PCH built with -Xclang -relocatable-pch
// stores the names under its sysroot relative to it; they are returned as stored.
#ifndef ZCWRAP_CACHECORE_COMPILE_CLANG_PCH_H_
#define ZCWRAP_CACHECORE_COMPILE_CLANG_PCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::compile {

struct PchInputFile {
  std::string name;  // as stored in the PCH (usually an absolute path)
  int64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch; 0 when built with -Xclang -fno-pch-timestamp
};

// The input files a clang PCH ("CPCH" magic) records in its control block's INPUT_FILES block,
// in order. DataLoss for anything that is not a well-formed clang 14 PCH: another magic, another
// AST format version (another clang release's PCH, which clang 14 refuses too), truncation
// (including at a block boundary), a malformed bitstream, or records of an unexpected shape.
// Never crashes or reads out of bounds on hostile bytes; time and memory are linear in the size
// of `pch_bytes`, which is only borrowed. Thread-safe.
[[nodiscard]] absl::StatusOr<std::vector<PchInputFile>> ClangPchInputFiles(
    absl::string_view pch_bytes);

// The same for the PCH file at `path`; the read's error if it cannot be read.
[[nodiscard]] absl::StatusOr<std::vector<PchInputFile>> ReadClangPchInputFiles(
    const std::string& path);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_CLANG_PCH_H_
