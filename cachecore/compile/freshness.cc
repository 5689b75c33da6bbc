#include "cachecore/compile/freshness.h"

#include <sys/stat.h>

#include <algorithm>

#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

StartTime StartTime::Now(const util::Clock& clock) {
  StartTime t;
  t.coarse_ns = clock.CoarseNs();
  t.fine_ns = clock.RealNs();
  return t;
}

Freshness CheckFreshness(const std::vector<std::string>& files, const std::string& cwd,
                         const StartTime& start) {
  Freshness worst = Freshness::kOld;
  for (const std::string& f : files) {
    struct stat st;
    if (::stat(util::JoinPath(cwd, f).c_str(), &st) != 0) return Freshness::kMissing;
    const int64_t newest = std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim));
    if (newest >= start.fine_ns) return Freshness::kModified;
    if (newest >= start.coarse_ns) worst = Freshness::kAmbiguous;
  }
  return worst;
}

}  // namespace zc::compile
