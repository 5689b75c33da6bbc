// IncludeGuard: proof that no header would be found differently now than when a manifest was
// recorded — the defence against include shadowing (a new a/x.h in front of the recorded b/x.h).
//
// At record time (a miss), for every header the compile read and every name probed with
// __has_include, we derive each way it could have been spelled (its path minus any search
// directory or includer directory that prefixes it), and every place that spelling could be found
// instead: each search directory and each directory holding a file the compile read (a superset of
// the directories searched before the real one, so the check never depends on search order). For
// each such candidate we watch its nearest existing ancestor directory: its signature (device,
// inode, mtime, ctime) plus, for each candidate name in it, whether that name existed.
//
// At lookup (a direct-mode hit) each watched directory costs one stat(). Only if a directory
// changed (e.g. the build wrote an object next to the source) are its names checked, one lstat()
// each; any name whose existence changed means a miss. A new file anywhere a header could be
// shadowed from therefore always changes the outcome to a miss, while unrelated churn costs a few
// stats.
#ifndef ZCWRAP_CACHECORE_COMPILE_INCLUDE_GUARD_H_
#define ZCWRAP_CACHECORE_COMPILE_INCLUDE_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zc::compile {

struct DirSignature {
  uint64_t dev = 0, ino = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  friend bool operator==(const DirSignature&, const DirSignature&) = default;
};

struct WatchedName {
  std::string name;
  bool exists = false;
};

struct DirWatch {
  std::string dir;  // as used to stat it (relative to the compile's cwd, or absolute)
  DirSignature signature;
  bool trust_signature = true;  // false if it changed too recently to trust its mtime
  // The names, either as a list (when built) or still encoded (when decoded from a manifest:
  // most lookups never need them, so they are parsed only if the directory changed).
  std::vector<WatchedName> names;
  std::string encoded_names;  // count:u32 (name_len:u32 name exists:u8)*

  // `names`, decoding `encoded_names` if that is where they are. False if malformed.
  bool Names(std::vector<WatchedName>* out) const;
  // The encoded form of the names, whichever way they are held.
  std::string EncodedNames() const;
};

struct GuardInputs {
  std::string cwd;
  std::vector<std::string> search_dirs;  // from SearchDirs()
  std::vector<std::string> extra_dirs;   // more places to look ("" = cwd, for -include)
  std::vector<std::string> files;        // every file the compile read, as the compiler named it
  // __has_include names, and names a precompiled header could have (pch.h): watched wherever a
  // header could be found, so one appearing later is a miss.
  std::vector<std::string> probed_names;
  int64_t now_ns = 0;
};

// Every directory the guard looks in: the search directories, `extra_dirs`, and the directory of
// every file read ("" for the cwd), without trailing slashes or repeats.
std::vector<std::string> GuardDirectories(const GuardInputs& in);

// The watches that protect a manifest record.
std::vector<DirWatch> BuildIncludeGuard(const GuardInputs& in);

// True if every watched directory and name is as recorded.
bool IncludeGuardHolds(const std::vector<DirWatch>& watches, const std::string& cwd);
// The first watched path whose existence changed (a name now there or gone, or a directory
// gone), or nullopt if the guard holds.
std::optional<std::string> IncludeGuardViolation(const std::vector<DirWatch>& watches,
                                                 const std::string& cwd);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_INCLUDE_GUARD_H_
