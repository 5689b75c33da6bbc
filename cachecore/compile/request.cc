#include "cachecore/compile/request.h"

#include <cstdlib>

namespace zc::compile {

absl::string_view OutcomeName(const CompileResult& result) {
  switch (result.outcome) {
    case Outcome::kHit: return "hit";
    case Outcome::kMiss: return "miss";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kPassthrough:
    case Outcome::kRanPlainly:
      return stats::Info(result.reason).group == stats::CounterGroup::kError ? "error"
                                                                             : "uncacheable";
  }
  return "error";
}

EnvView::EnvView(const std::optional<std::vector<std::string>>& env) {
  if (!env) return;
  explicit_ = true;
  for (const std::string& kv : *env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) values_[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
}

std::optional<std::string> EnvView::Get(absl::string_view name) const {
  if (!explicit_) {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  }
  auto it = values_.find(name);
  return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

util::Command CommandFor(const CompileRequest& request, std::vector<std::string> argv,
                         Shown shown) {
  util::Command cmd;
  cmd.argv = std::move(argv);
  cmd.cwd = request.cwd;
  cmd.env = request.env;
  cmd.cancel_fds = request.cancel_fds;
  cmd.umask = request.umask;
  if (shown == Shown::kOutput) cmd.on_output = request.on_output;
  return cmd;
}

}  // namespace zc::compile
