#include "cachecore/util/cpus.h"

#include <sched.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/util/file_io.h"

namespace zc::util {
namespace {

std::optional<uint32_t> Ceil(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<uint32_t>(std::max<int64_t>(1, (quota + period - 1) / period));
}

std::optional<std::string> Read(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(*text));
}

uint32_t AffinityCpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<uint32_t>(n);
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace

std::optional<uint32_t> CpusOfCgroup2Max(absl::string_view cpu_max) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(cpu_max), ' ', absl::SkipEmpty());
  if (parts.size() != 2 || parts[0] == "max") return std::nullopt;
  int64_t quota, period;
  if (!absl::SimpleAtoi(parts[0], &quota) || !absl::SimpleAtoi(parts[1], &period)) {
    return std::nullopt;
  }
  return Ceil(quota, period);
}

std::optional<uint32_t> CpusOfCgroup1Quota(absl::string_view quota_us,
                                           absl::string_view period_us) {
  int64_t quota, period;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(quota_us), &quota) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(period_us), &period)) {
    return std::nullopt;
  }
  return Ceil(quota, period);
}

std::optional<std::string> Cgroup2Path(absl::string_view proc_self_cgroup) {
  for (absl::string_view line : absl::StrSplit(proc_self_cgroup, '\n')) {
    if (absl::ConsumePrefix(&line, "0::")) return std::string(line);
  }
  return std::nullopt;
}

uint32_t UsableCpus() {
  uint32_t cpus = AffinityCpus();
  std::optional<uint32_t> quota;
  if (std::optional<std::string> self = Read("/proc/self/cgroup")) {
    if (std::optional<std::string> path = Cgroup2Path(*self)) {
      // The quota of this cgroup; a parent's tighter quota is not looked for.
      if (std::optional<std::string> max = Read("/sys/fs/cgroup" + *path + "/cpu.max")) {
        quota = CpusOfCgroup2Max(*max);
      }
    }
  }
  if (!quota) {
    std::optional<std::string> q = Read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    std::optional<std::string> p = Read("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (q && p) quota = CpusOfCgroup1Quota(*q, *p);
  }
  if (quota) cpus = std::min(cpus, *quota);
  return std::max<uint32_t>(1, cpus);
}

}  // namespace zc::util
