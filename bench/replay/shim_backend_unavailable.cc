// zc_replay built without libzcshim (no zcshim_dep in this build): the shim backend is refused.
#include "absl/status/status.h"
#include "bench/replay/shim_backend.h"

namespace zc::bench {

absl::StatusOr<std::unique_ptr<Backend>> MakeShimBackend(const BackendOptions&) {
  return absl::UnimplementedError("backend shim: zc_replay was built without libzcshim");
}

}  // namespace zc::bench
