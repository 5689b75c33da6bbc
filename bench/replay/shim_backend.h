// The in-process backend: every compile is a zc_service_compile call on one libzcshim service
// (shim/include/zcshim.h) in this process. No process is spawned for a hit; a miss or an
// uncacheable compile runs one compiler (a child of this process). No IPC.
//
// meson.build picks the implementation: shim_backend.cc when libzcshim is built (zcshim_dep),
// shim_backend_unavailable.cc otherwise.
#ifndef ZCWRAP_BENCH_REPLAY_SHIM_BACKEND_H_
#define ZCWRAP_BENCH_REPLAY_SHIM_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "bench/replay/backend.h"

namespace zc::bench {

// The service starts in Prepare (cache_root = options.cache_dir) and is shut down by a cold
// Prepare and by Finish; a warm Prepare keeps the running service. Unimplemented without libzcshim.
absl::StatusOr<std::unique_ptr<Backend>> MakeShimBackend(const BackendOptions& options);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_SHIM_BACKEND_H_
