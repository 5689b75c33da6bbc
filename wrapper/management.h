// zcwrap's management commands (-s, --print-stats, -z, -C, -c, -M, -F, -o, -k, -p, -V, -h).
//
//   int code = zc::wrapper::RunManagement(args, out, err);  // args exclude argv[0]
//
// Output goes to `out`; one-line errors ("zcwrap: ...") to `err`. Exit codes: 0 success, 1 the
// action failed (e.g. unreadable cache), 2 bad usage (unknown option, missing or bad argument).
#ifndef ZCWRAP_WRAPPER_MANAGEMENT_H_
#define ZCWRAP_WRAPPER_MANAGEMENT_H_

#include <string>
#include <vector>

#include "cachecore/config/config.h"

namespace zc::wrapper {

int RunManagement(const std::vector<std::string>& args, const config::EnvLookup& env,
                  std::string* out, std::string* err);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_MANAGEMENT_H_
