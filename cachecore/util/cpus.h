// The number of CPUs this process may use: the CPUs of its affinity mask, capped by a cgroup CPU
// quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded up. A container
// limited to 2.5 CPUs on a 64-core host gets 3, not 64. The default compiler budget of the daemon
// and the embedded service.
#ifndef ZCWRAP_CACHECORE_UTIL_CPUS_H_
#define ZCWRAP_CACHECORE_UTIL_CPUS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace zc::util {

// At least 1.
uint32_t UsableCpus();

// The pieces, for tests: the CPUs a quota allows (ceil(quota / period)), or nullopt for "max",
// a non-positive quota or text that is not a quota. `cpu_max`: cgroup v2's "QUOTA PERIOD".
std::optional<uint32_t> CpusOfCgroup2Max(absl::string_view cpu_max);
std::optional<uint32_t> CpusOfCgroup1Quota(absl::string_view quota_us, absl::string_view period_us);
// The cgroup v2 directory of this process from /proc/self/cgroup's "0::/path" line.
std::optional<std::string> Cgroup2Path(absl::string_view proc_self_cgroup);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_CPUS_H_
