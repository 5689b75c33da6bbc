#include "wrapper/working_directory.h"

#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "cachecore/compile/base_dir.h"

namespace zc::wrapper {

std::string CompileDirectory() {
  char buf[4096];
  const std::string cwd = ::getcwd(buf, sizeof(buf)) != nullptr ? buf : ".";
  const char* pwd = std::getenv("PWD");
  return compile::ApparentCwd(cwd, pwd != nullptr ? std::optional<std::string>(pwd) : std::nullopt);
}

}  // namespace zc::wrapper
