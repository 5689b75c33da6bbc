#include "tests/fuzz/config_fuzz_target.h"

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cachecore/config/config.h"
#include "tests/fuzz/scratch_dir.h"

namespace zc::fuzz {
namespace {

std::vector<std::string> ShownValues(const config::Config& c) {
  std::vector<std::string> values;
  for (const config::Config::Shown& s : c.shown) {
    values.push_back(s.key == "remote_storage" ? std::string() : s.value);
  }
  return values;
}

}  // namespace

void FuzzConfigOnce(const uint8_t* data, size_t size) {
  static const std::string* const dir = [] {
    auto* d = new std::string(ScratchDir() + "/config");
    ::mkdir(d->c_str(), 0755);
    return d;
  }();
  const std::string path = *dir + "/zcwrap.conf";
  WriteScratchFile(path, absl::string_view(reinterpret_cast<const char*>(data), size));
  const config::EnvLookup env = [](absl::string_view name) -> std::optional<std::string> {
    if (name == "ZCWRAP_DIR") return *dir;
    return std::nullopt;
  };

  absl::Status bad;
  absl::StatusOr<config::Config> kept = config::LoadConfigKeepingGoing(env, &bad);
  if (!kept.ok()) __builtin_trap();  // the file is there and readable: only values can be bad
  absl::StatusOr<config::Config> strict = config::LoadConfig(env);
  if (strict.ok() != bad.ok()) __builtin_trap();
  if (strict.ok() && ShownValues(*strict) != ShownValues(*kept)) __builtin_trap();

  // What the file set, as shown, is a config file that loads to the same values.
  std::string again;
  for (const config::Config::Shown& s : kept->shown) {
    if (s.origin != config::Origin::kFile || s.key == "remote_storage") continue;
    absl::StrAppend(&again, s.key, " = ", s.value, "\n");
  }
  WriteScratchFile(path, again);
  absl::StatusOr<config::Config> reloaded = config::LoadConfig(env);
  if (!reloaded.ok()) __builtin_trap();
  std::vector<std::string> want = ShownValues(*kept);
  std::vector<std::string> got = ShownValues(*reloaded);
  if (want != got) __builtin_trap();
}

}  // namespace zc::fuzz
