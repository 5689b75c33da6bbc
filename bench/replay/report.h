// zc_replay's output: a table for people and one JSON object per (backend, mode) for scripts
// (bench/render_report.py reads them).
//
// With several rounds, wall and CPU times are the median over the rounds (each round's value is
// in the JSON too); hits, failures and counts are those of the last round.
//
// JSON keys: project, backend, mode ("cold" | "warm"), jobs, rounds, compiles, hits, hit_rate,
// failures, wall_s, wall_s_rounds, cpu_s, cpu_s_rounds, cpu_children_s, cpu_server_s, cpu_self_s,
// spawns_per_compile, ipc_round_trips_per_compile, round_trips_measured, counting,
// failure_samples.
#ifndef ZCWRAP_BENCH_REPLAY_REPORT_H_
#define ZCWRAP_BENCH_REPLAY_REPORT_H_

#include <string>
#include <vector>

#include "bench/replay/replayer.h"

namespace zc::bench {

struct RunRecord {
  std::string project;  // a label for the compilation database
  std::string backend;  // BackendInfo::name
  std::string mode;     // "cold" or "warm"
  int jobs = 1;
  std::string counting;             // BackendInfo::counting
  std::vector<ReplayStats> rounds;  // REQUIRES: not empty
};

// The median of `values` (the mean of the middle two for an even count); 0 for none.
double Median(std::vector<double> values);

// A fixed-width table with a header line, one row per record, then what the spawn and round-trip
// counts count for each backend shown. Ends with a newline.
std::string FormatTable(const std::vector<RunRecord>& records);

// One JSON object on one line (no newline).
std::string FormatJson(const RunRecord& record);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_REPORT_H_
