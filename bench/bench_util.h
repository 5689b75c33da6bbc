// Shared helpers for the micro-benchmarks: realistic payloads and scratch directories.
#ifndef ZCWRAP_BENCH_BENCH_UTIL_H_
#define ZCWRAP_BENCH_BENCH_UTIL_H_

#include <string>
#include <vector>

namespace zc::bench {

// A C++ file including a dozen STL headers (250 files read): the hit every latency benchmark
// measures, as in ../shared/FACTS.md and docs/perf.md.
extern const char kDozenStlHeadersSource[];

// The zcwrap binary under test: $ZCWRAP_BIN, else "zcwrap" (searched in PATH).
std::string ZcwrapBinary();

// A real object file with debug info (g++ -g -O1 -c of a file including a dozen STL headers),
// built once per process; falls back to synthetic compressible bytes if g++ is missing.
const std::string& RealisticObject();

// `size` bytes that compress like an object file (repeated real object, or synthetic).
std::string ObjectLikeBytes(size_t size);

// Runs argv (argv[0] searched in PATH) in `cwd` with `extra_env` ("NAME=value") added to this
// process's environment, its stdout and stderr to /dev/null, and waits. Its exit status, or -1
// if it could not run or died of a signal.
int RunQuietly(const std::vector<std::string>& argv, const std::string& cwd,
               const std::vector<std::string>& extra_env);

// A fresh directory under /tmp, removed by the caller with RemoveTree.
std::string MakeScratchDir();
void RemoveTree(const std::string& dir);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_BENCH_UTIL_H_
