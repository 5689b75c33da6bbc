// The CPU time of a backend's long-lived servers (the zcwrap daemon, the sccache server), which
// getrusage(RUSAGE_CHILDREN) cannot see: they are not the replayer's children.
//
// Every process the replayer starts carries a marker in its environment (kMarkerVariable=token);
// servers inherit it from the command that started them. A snapshot sums, over the processes that
// still carry the marker, their own CPU time and that of their waited-for children (the compilers
// a daemon ran), from /proc/<pid>/stat.
//
//   double before = zc::bench::MarkedProcessesCpuSeconds(token);
//   ... replay ...
//   double server_cpu = zc::bench::MarkedProcessesCpuSeconds(token) - before;
//
// Take snapshots only when no short-lived marked process is running (before and after a replay),
// and keep the servers alive between the two: a server that exits in between takes its CPU time
// with it. Linux only; elsewhere (no /proc) it returns 0.
#ifndef ZCWRAP_BENCH_REPLAY_SERVER_CPU_H_
#define ZCWRAP_BENCH_REPLAY_SERVER_CPU_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zc::bench {

inline constexpr absl::string_view kMarkerVariable = "ZC_REPLAY_MARKER";

// Seconds of user + system time of every process other than this one whose environment holds
// kMarkerVariable=`token`, including their reaped children. Processes that vanish while being
// read are skipped.
double MarkedProcessesCpuSeconds(absl::string_view token);

// This process's own user + system time so far, in seconds, and that of its reaped children.
double SelfCpuSeconds();
double ChildrenCpuSeconds();

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_SERVER_CPU_H_
