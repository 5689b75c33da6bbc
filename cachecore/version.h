// The zcwrap version, shared by every front door (--version, daemon status, the shim).
#ifndef ZCWRAP_CACHECORE_VERSION_H_
#define ZCWRAP_CACHECORE_VERSION_H_

namespace zc {

inline constexpr char kZcwrapVersion[] = "0.1.0";

}  // namespace zc

#endif  // ZCWRAP_CACHECORE_VERSION_H_
