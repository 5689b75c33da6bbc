// zcwrap --explain: would a compile hit, and if not, what changed since the last miss of its
// object (cachecore/compile/explain.h).
//
//   zcwrap --explain [--json] OBJECT                      the compile that last wrote OBJECT
//   zcwrap --explain [--json] -- COMPILER [ARGS...]       this command, in this directory
//
//   int code = zc::wrapper::RunExplain(args, env, path_env, self, &out, &err);  // args[0]: -e
//
// Exit codes: 0 an answer was given, 1 none could be (no record of OBJECT, unreadable settings or
// cache), 2 bad usage.
#ifndef ZCWRAP_WRAPPER_EXPLAIN_COMMAND_H_
#define ZCWRAP_WRAPPER_EXPLAIN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/config/config.h"

namespace zc::wrapper {

bool IsExplainCommand(absl::string_view option);

int RunExplain(const std::vector<std::string>& args, const config::EnvLookup& env,
               absl::string_view path_env, const std::string& self, std::string* out,
               std::string* err);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_EXPLAIN_COMMAND_H_
