#include "tests/fuzz/dep_file_fuzz_target.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/compile/dep_file.h"

namespace zc::fuzz {

void FuzzDepFileOnce(const uint8_t* data, size_t size) {
  if (size == 0) return;
  absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const absl::string_view new_target = rest.substr(0, data[0] % 64);
  const absl::string_view content = rest.substr(new_target.size());
  constexpr absl::string_view kOldTarget = "obj/a.o";

  const std::vector<std::string> deps = compile::ParseDependencies(content);
  const compile::DepWrap wrap = compile::DetectDepWrap(content);
  if (compile::ParseDepWrap(compile::DepWrapName(wrap)) != wrap) __builtin_trap();
  // The rule that was detected writes the content back byte for byte.
  if (wrap != compile::DepWrap::kNone && compile::RewrapDependencies(content, wrap) != content) {
    __builtin_trap();
  }

  // An output path with a line break, a tab, a backslash or a colon cannot be written as a make
  // target that reads back (gcc's own .d would be just as broken): not checked.
  if (new_target.find_first_of("\n\r\t\\:") != absl::string_view::npos) return;
  std::optional<std::string> moved = compile::RewriteDepTarget(content, kOldTarget, new_target);
  if (!moved) return;
  std::optional<std::string> back = compile::RewriteDepTarget(*moved, new_target, kOldTarget);
  if (!back || *back != content) __builtin_trap();
  // A hit restoring a .d stored with a detected rule for another output: the names may move to
  // other lines, never change.
  if (wrap == compile::DepWrap::kNone) return;
  for (compile::DepWrap w : {compile::DepWrap::kGcc, compile::DepWrap::kClang}) {
    if (compile::ParseDependencies(compile::RewrapDependencies(*moved, w)) != deps) {
      __builtin_trap();
    }
  }
}

}  // namespace zc::fuzz
