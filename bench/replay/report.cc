#include "bench/replay/report.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace zc::bench {
namespace {

std::vector<double> Collect(const RunRecord& record, double ReplayStats::*field) {
  std::vector<double> values;
  values.reserve(record.rounds.size());
  for (const ReplayStats& s : record.rounds) values.push_back(s.*field);
  return values;
}

double HitRate(const ReplayStats& s) {
  return s.compiles == 0 ? 0 : static_cast<double>(s.hits) / static_cast<double>(s.compiles);
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string FormatTable(const std::vector<RunRecord>& records) {
  std::string out =
      absl::StrFormat("%-14s %-4s %8s %8s %6s %6s %9s %9s %8s %8s\n", "backend", "mode", "compiles",
                      "hits", "hit%", "fail", "wall[s]", "cpu[s]", "spawns/c", "rtt/c");
  for (const RunRecord& r : records) {
    const ReplayStats& last = r.rounds.back();
    absl::StrAppendFormat(&out, "%-14s %-4s %8d %8d %5.1f%% %6d %9.3f %9.3f %8.2f %7.2f%s\n",
                          r.backend, r.mode, last.compiles, last.hits, 100 * HitRate(last),
                          last.failures, Median(Collect(r, &ReplayStats::wall_seconds)),
                          Median(Collect(r, &ReplayStats::cpu_seconds)), last.spawns_per_compile,
                          last.round_trips_per_compile, last.round_trips_measured ? "*" : "");
  }
  absl::StrAppend(&out,
                  "spawns/c: processes started per compile; rtt/c: IPC round trips per "
                  "compile (* measured from the server's counters)\n");
  std::set<std::string> shown;
  for (const RunRecord& r : records) {
    if (shown.insert(r.backend).second) {
      absl::StrAppendFormat(&out, "  %-14s %s\n", r.backend, r.counting);
    }
  }
  for (const RunRecord& r : records) {
    for (const std::string& sample : r.rounds.back().failure_samples) {
      absl::StrAppendFormat(&out, "  failed (%s, %s): %s\n", r.backend, r.mode, sample);
    }
  }
  return out;
}

std::string FormatJson(const RunRecord& record) {
  const ReplayStats& last = record.rounds.back();
  nlohmann::ordered_json j;
  j["project"] = record.project;
  j["backend"] = record.backend;
  j["mode"] = record.mode;
  j["jobs"] = record.jobs;
  j["rounds"] = record.rounds.size();
  j["compiles"] = last.compiles;
  j["hits"] = last.hits;
  j["hit_rate"] = HitRate(last);
  j["failures"] = last.failures;
  j["wall_s"] = Median(Collect(record, &ReplayStats::wall_seconds));
  j["wall_s_rounds"] = Collect(record, &ReplayStats::wall_seconds);
  j["cpu_s"] = Median(Collect(record, &ReplayStats::cpu_seconds));
  j["cpu_s_rounds"] = Collect(record, &ReplayStats::cpu_seconds);
  j["cpu_children_s"] = last.cpu_children_seconds;
  j["cpu_server_s"] = last.cpu_server_seconds;
  j["cpu_self_s"] = last.cpu_self_seconds;
  j["spawns_per_compile"] = last.spawns_per_compile;
  j["ipc_round_trips_per_compile"] = last.round_trips_per_compile;
  j["round_trips_measured"] = last.round_trips_measured;
  j["counting"] = record.counting;
  j["failure_samples"] = last.failure_samples;
  // Invalid UTF-8 in a compiler message must not throw: replace it.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace zc::bench
