// Why a compile hit or missed: the key inputs of the last miss of each object, kept in the cache,
// compared with what a compile of it would use now.
//
//   ExplainRecord now = ...;                          // filled by the engine from a prepared
//   request (void)WriteExplainRecord(store, now);              // after a miss ran the compiler
//   std::optional<ExplainRecord> last = ReadExplainRecord(store, object_path);
//   std::vector<Difference> why = CompareExplainRecords(*last, now);
//
// One store entry per object (type kExplain, keyed by its path, so cleanup and max_size cover
// them and zcwrap -C clears them), replaced on every miss, plus a small one under the name key
// pointing at the last object with those names; hits write nothing. Format (version 1), one
// field per line, values C-escaped:
//
//   zcwrap-explain-1
//   object <abs path>         cwd <dir>        argv <arg>          (one line per argument)
//   mode direct|preprocessed  compiler <hex>   compiler_key <hex>
//   arg <arg>                 dep_arg <arg>    cwd_in_key <dir or mapping>   namespace <text>
//   env <NAME=value>          input <hex> <path>                 file <hex> <path>
//   source <path>             compared_with <object>             why <kind> <text>
//   base <dir>                base_note <why the base is not in the key, or the result bound>
//
// Paths under the base directory (base_dir.h) are written "$BASE/...", so records of two
// checkouts compare as the keys do.
//
// Unknown lines are ignored, a wrong first line makes the record unreadable (no explanation).
#ifndef ZCWRAP_CACHECORE_COMPILE_EXPLAIN_H_
#define ZCWRAP_CACHECORE_COMPILE_EXPLAIN_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

struct Difference;

struct ExplainRecord {
  std::string object;  // absolute path of the compile's output
  std::string source;  // the source as the command names it
  std::string cwd;
  std::vector<std::string> argv;  // the command as given, argv[0] the resolved compiler
  std::string mode;               // "direct" or "preprocessed"
  std::string compiler;           // hex: the program's content
  std::string compiler_key;       // hex: what the key holds for it (compiler_check)
  std::vector<std::string> args;  // what the key holds of the arguments, in order
  std::vector<std::string> dep_args;
  std::string cwd_in_key;  // empty: the directory is not in the key
  std::string key_namespace;
  std::string launcher;                                     // prefix_command as keyed
  std::vector<std::string> env;                             // NAME=value, the key's variables
  std::vector<std::pair<std::string, std::string>> inputs;  // (path, hex): files named by options
  std::vector<std::pair<std::string, std::string>> files;   // (path, hex): files the compile read
  // Why this miss missed, worked out as it was recorded: what differed from `compared_with`, the
  // object's own previous miss or else the nearest record (the last miss of an object with the
  // same compiler, source and output names: the same file in another checkout or directory).
  std::string compared_with;                             // its object; empty: none found
  std::vector<std::pair<std::string, std::string>> why;  // (kind, text)
  std::string base;  // the base directory (base_dir.h); empty: none
  // Why paths under `base` stay absolute in the key, or why the result is bound to `base`
  // (portability.h); empty when the result is shared with other checkouts.
  std::string base_note;
};

// `path` as explain records write it: "$BASE/..." when under `base`.
std::string ExplainPath(absl::string_view path, absl::string_view base);
// The inverse, for checking a recorded path now: "$BASE/..." made real under `base`.
std::string RealExplainPath(absl::string_view path, absl::string_view base);

std::string EncodeExplainRecord(const ExplainRecord& record);
std::optional<ExplainRecord> DecodeExplainRecord(absl::string_view text);

// The store key of the record of the compile writing `object` (absolute), and of the nearest
// record for `record` (by compiler, source and output names).
util::Digest ExplainRecordKey(const std::string& object);
util::Digest ExplainNameKey(const ExplainRecord& record);
// Stores `record` under its object's key, and its object's path under the name key.
absl::Status WriteExplainRecord(store::LocalStore& store, const ExplainRecord& record);
std::optional<ExplainRecord> ReadExplainRecord(store::LocalStore& store, const std::string& object);
std::optional<ExplainRecord> ReadNearestExplainRecord(store::LocalStore& store,
                                                      const ExplainRecord& record);

// One reason two compiles have different keys, for people (`text`) and tools (`kind`, `subject`,
// `before`, `after`). Kinds: compiler, compiler_check, argument_added, argument_removed,
// argument_order, environment, input_file, namespace, directory_in_key, file_changed,
// file_removed; Engine::Explain adds file_shadowing.
struct Difference {
  std::string kind;
  std::string subject;
  std::string before;
  std::string after;
  std::string text;
};

// The answer to "would this compile hit, and if not, why": for zcwrap --explain.
struct ExplainReport {
  std::string object;                   // absolute path of the output
  std::string verdict;                  // "hit", "miss" or "uncacheable"
  std::string mode;                     // "direct" or "preprocessed" (empty when uncacheable)
  std::string uncacheable;              // the counter saying why, when uncacheable
  bool has_record = false;              // an earlier miss of this object was recorded
  std::vector<Difference> differences;  // from that record to now
  // Why that earlier miss missed (ExplainRecord::why), and what it was compared with.
  std::string last_compared_with;
  std::vector<std::pair<std::string, std::string>> last_why;
};

// A few lines for people; one JSON object for tools.
std::string RenderExplainText(const ExplainReport& report);
std::string RenderExplainJson(const ExplainReport& report);

// What differs between the last miss's record and `now`, whose `files` are the same paths with
// their digests as they are now ("" for a file that is gone). Empty: the same key inputs.
std::vector<Difference> CompareExplainRecords(const ExplainRecord& last, const ExplainRecord& now);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_EXPLAIN_H_
