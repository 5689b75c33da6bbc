// Reading a JSON compilation database (compile_commands.json, as CMake, Meson and Bear write it)
// into the commands zc_replay replays.
//
//   absl::StatusOr<std::vector<zc::bench::CompileCommand>> db =
//       zc::bench::LoadCompileDatabase("build/compile_commands.json");
//   if (!db.ok()) { ... db.status().message() names the file and the entry ... }
//   for (const auto& c : *db) { ... c.arguments[0] is the compiler, run in c.directory ... }
//
// Each entry is an object with "directory", "file" and either "arguments" (an array of strings,
// preferred when both are present) or "command" (one string, split like a POSIX shell would:
// see SplitCommandLine). "output" is optional. Other keys are ignored.
#ifndef ZCWRAP_BENCH_REPLAY_COMPILE_DB_H_
#define ZCWRAP_BENCH_REPLAY_COMPILE_DB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::bench {

struct CompileCommand {
  std::string directory;               // absolute: the compile's working directory
  std::string file;                    // the source, as the entry names it
  std::vector<std::string> arguments;  // argv; never empty, arguments[0] is the compiler
  std::string output;                  // the entry's "output", or "" when it has none
};

// Splits a "command" string into arguments like sh(1) does for a simple command, without any
// expansion: blanks (space, tab, newline) separate words; '...' keeps everything literally;
// "..." keeps everything except that a backslash before $ ` " \ or a newline escapes it; outside
// quotes a backslash keeps the next character literally (backslash-newline joins lines). Quotes
// next to other characters join one word ("-DX=\"a b\"" is one argument, -DX="a b").
// InvalidArgument for an unterminated quote or a trailing backslash. An empty or blank string
// gives no arguments.
absl::StatusOr<std::vector<std::string>> SplitCommandLine(absl::string_view command);

// Parses the text of a compilation database. A relative "directory" is taken relative to
// `base_directory` (the database's own directory), which must be absolute. An empty array gives
// no commands. InvalidArgument, naming the entry's index, for malformed JSON, a top level that is
// not an array, an entry that is not an object, a missing or non-string "directory" or "file",
// neither "arguments" nor "command", an "arguments" that is not a non-empty array of strings, or
// a "command" that does not split into at least one word.
absl::StatusOr<std::vector<CompileCommand>> ParseCompileDatabase(absl::string_view json_text,
                                                                 absl::string_view base_directory);

// The object the command writes: its "output", else the argument of its last -o (as "-o FILE" or
// "-oFILE"), made absolute against its directory; "" when it names none.
std::string OutputPath(const CompileCommand& command);

// Reads and parses the file at `path` (relative paths are taken from the current directory).
// NotFound if it does not exist, other errors as ParseCompileDatabase, each message naming the
// path.
absl::StatusOr<std::vector<CompileCommand>> LoadCompileDatabase(const std::string& path);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_COMPILE_DB_H_
