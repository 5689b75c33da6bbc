// Which build of zcwrap this process is: the GNU build id the linker wrote into the running
// executable (a hash of its contents, `readelf -n`), in hex. Two builds of different code have
// different ids; rebuilding the same code the same way gives the same id. The daemon serves only
// clients of its own build (daemon/protocol.h), so an upgraded binary never talks to an old
// daemon.
//
//   const std::string& id = zc::util::ExecutableBuildId();   // "" if the executable has none
#ifndef ZCWRAP_CACHECORE_UTIL_BUILD_ID_H_
#define ZCWRAP_CACHECORE_UTIL_BUILD_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zc::util {

// Read once (from the program headers in memory, no file access) and kept.
const std::string& ExecutableBuildId();

// The build id in ELF note bytes (a PT_NOTE segment's contents), or "" if there is none.
// Exposed for tests.
std::string BuildIdFromNotes(absl::string_view notes);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_BUILD_ID_H_
