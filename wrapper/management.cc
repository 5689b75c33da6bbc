#include "wrapper/management.h"

#include <algorithm>
#include <ctime>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/stats/counter.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/build_id.h"
#include "cachecore/util/size_format.h"
#include "cachecore/version.h"
#include "wrapper/usage.h"
#include "wrapper/working_directory.h"

namespace zc::wrapper {
namespace {

using stats::Counter;

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "";
  return absl::StrFormat(" (%.2f%%)",
                         100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string Timestamp(uint64_t t) {
  if (t == 0) return "never";
  time_t tt = static_cast<time_t>(t);
  char buf[64];
  struct tm tm;
  localtime_r(&tt, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Every counter by name, plus the derived files_in_cache and cache_size_kibibyte, sorted by name.
std::string ShowStats(const config::Config& config, const stats::Snapshot& s) {
  const uint64_t direct = s.Get(Counter::kDirectCacheHit);
  const uint64_t preprocessed = s.Get(Counter::kPreprocessedCacheHit);
  const uint64_t hits = direct + preprocessed;
  const uint64_t misses = s.Get(Counter::kCacheMiss);
  const uint64_t cacheable = hits + misses;
  uint64_t uncacheable = 0, errors = 0;
  std::string uncacheable_rows, error_rows;
  for (const stats::CounterInfo& info : stats::AllCounters()) {
    const uint64_t v = s.Get(info.counter);
    if (v == 0) continue;
    if (info.group == stats::CounterGroup::kUncacheable) {
      uncacheable += v;
      absl::StrAppend(&uncacheable_rows, absl::StrFormat("  %-34s %8d\n", info.description, v));
    } else if (info.group == stats::CounterGroup::kError) {
      errors += v;
      absl::StrAppend(&error_rows, absl::StrFormat("  %-34s %8d\n", info.description, v));
    }
  }
  const uint64_t calls = cacheable + uncacheable;
  std::string out;
  absl::StrAppend(&out, absl::StrFormat("%-36s %s\n", "Cache directory:", config.cache_dir));
  absl::StrAppend(&out, absl::StrFormat("%-36s %s\n", "Stats updated:",
                                        Timestamp(s.Get(Counter::kStatsUpdatedTimestamp))));
  absl::StrAppend(&out, absl::StrFormat("%-36s %s\n", "Stats zeroed:",
                                        Timestamp(s.Get(Counter::kStatsZeroedTimestamp))));
  absl::StrAppend(&out, absl::StrFormat("%-36s %8d / %d%s\n", "Cacheable calls:", cacheable, calls,
                                        Percent(cacheable, calls)));
  absl::StrAppend(&out, absl::StrFormat("  %-34s %8d / %d%s\n", "Hits:", hits, cacheable,
                                        Percent(hits, cacheable)));
  absl::StrAppend(&out, absl::StrFormat("    %-32s %8d / %d\n", "Direct:", direct, hits));
  absl::StrAppend(&out,
                  absl::StrFormat("    %-32s %8d / %d\n", "Preprocessed:", preprocessed, hits));
  absl::StrAppend(&out, absl::StrFormat("  %-34s %8d / %d%s\n", "Misses:", misses, cacheable,
                                        Percent(misses, cacheable)));
  absl::StrAppend(&out, absl::StrFormat("%-36s %8d / %d%s\n", "Uncacheable calls:", uncacheable,
                                        calls, Percent(uncacheable, calls)));
  out += uncacheable_rows;
  if (errors > 0) {
    absl::StrAppend(&out, absl::StrFormat("%-36s %8d\n", "Errors:", errors));
    out += error_rows;
  }
  absl::StrAppend(&out, "Local storage:\n");
  absl::StrAppend(
      &out, absl::StrFormat("  %-34s %s / %s%s\n", "Cache size:", util::FormatSize(s.TotalBytes()),
                            config.max_size ? util::FormatSize(config.max_size) : "unlimited",
                            Percent(s.TotalBytes(), config.max_size)));
  absl::StrAppend(&out, absl::StrFormat("  %-34s %8d\n", "Files:", s.TotalFiles()));
  absl::StrAppend(
      &out, absl::StrFormat("  %-34s %8d\n", "Cleanups:", s.Get(Counter::kCleanupsPerformed)));
  return out;
}

// "30s", "15m", "12h", "7d": whole seconds. nullopt for anything else (a unit is required: a bare
// number would be seconds to one reader and days to another).
std::optional<int64_t> ParseAge(absl::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  text.remove_suffix(1);
  if (text.find_first_not_of("0123456789") != absl::string_view::npos) return std::nullopt;
  int64_t n = 0;
  // At most 100 years, which also keeps n * unit far from overflow.
  if (!absl::SimpleAtoi(text, &n) || n > int64_t{36500} * 86400 / unit) return std::nullopt;
  return n * unit;
}

absl::StatusOr<std::unique_ptr<store::LocalStore>> OpenStore(const config::Config& config) {
  store::StoreOptions options;
  options.root = config.cache_dir;
  options.max_size = config.max_size;
  options.max_files = config.max_files;
  options.compression_level = config.compression_level;
  return store::LocalStore::Open(options);
}

}  // namespace

int RunManagement(const std::vector<std::string>& args, const config::EnvLookup& env,
                  std::string* out, std::string* err) {
  const std::string& opt = args.at(0);
  auto usage_error = [&](absl::string_view message) {
    absl::StrAppend(err, "zcwrap: ", message, " (see zcwrap --help)\n");
    return 2;
  };
  if (opt == "-h" || opt == "--help") {
    *out += UsageText();
    return 0;
  }
  if (opt == "-V" || opt == "--version") {
    absl::StrAppend(out, "zcwrap version ", kZcwrapVersion, "\n");
    const std::string& build = util::ExecutableBuildId();
    absl::StrAppend(out, "Build id: ", build.empty() ? "none" : build, "\n");
    return 0;
  }
  static constexpr absl::string_view kKnown[] = {
      "-s",           "--show-stats", "--print-stats", "-z",
      "--zero-stats", "-C",           "--clear",       "-c",
      "--cleanup",    "-M",           "--max-size",    "-F",
      "--max-files",  "-o",           "--set-config",  "-k",
      "--get-config", "-p",           "--show-config", "--evict-older-than"};
  if (std::find(std::begin(kKnown), std::end(kKnown), opt) == std::end(kKnown)) {
    return usage_error(absl::StrCat("unknown option \"", opt, "\""));
  }
  const bool max_size = opt == "-M" || opt == "--max-size";
  const bool max_files = opt == "-F" || opt == "--max-files";
  const bool set_config = opt == "-o" || opt == "--set-config";
  const bool get_config = opt == "-k" || opt == "--get-config";
  const bool evict = opt == "--evict-older-than";
  const bool takes_value = max_size || max_files || set_config || get_config || evict;
  const bool json = opt == "--print-stats" && args.size() == 2 && args[1] == "--json";
  const size_t expected = takes_value || json ? 2 : 1;
  if (takes_value && args.size() < 2) {
    return usage_error(absl::StrCat(opt, " needs ",
                                    max_size     ? "a SIZE"
                                    : max_files  ? "a NUMBER"
                                    : get_config ? "a KEY"
                                    : evict      ? "an AGE (e.g. 7d, 12h, 30m, 90s)"
                                                 : "KEY=VALUE"));
  }
  if (args.size() > expected) {
    return usage_error(absl::StrCat("unexpected argument \"", args[expected], "\" after ", opt));
  }

  absl::StatusOr<config::Config> config = config::LoadConfig(env);
  if (!config.ok()) {
    absl::StrAppend(err, "zcwrap: ", config.status().message(), "\n");
    return 1;
  }
  if (opt == "-p" || opt == "--show-config") {
    for (const config::Config::Shown& row : config->shown) {
      absl::StrAppend(out, "(", config::OriginName(row.origin),
                      row.where.empty() ? "" : absl::StrCat(": ", row.where), ") ", row.key, " = ",
                      row.value);
      if (row.key == "base_dir") {  // what the setting means for a compile here
        const std::string base = compile::FindBaseDir(config->base_dir, CompileDirectory());
        absl::StrAppend(out, " (here: ", base.empty() ? "none" : base, ")");
      }
      *out += "\n";
    }
    return 0;
  }
  if (get_config) {
    for (const config::Config::Shown& row : config->shown) {
      if (row.key == args[1]) {
        absl::StrAppend(out, row.value, "\n");
        return 0;
      }
    }
    return usage_error(absl::StrCat("unknown config key \"", args[1], "\""));
  }
  std::optional<int64_t> age;
  if (evict) {
    age = ParseAge(args[1]);
    if (!age) {
      return usage_error(absl::StrCat("--evict-older-than: \"", args[1],
                                      "\" is not an AGE (a number with s, m, h or d: 7d, 12h)"));
    }
  }
  if (takes_value && !evict) {
    std::string key = max_size ? "max_size" : "max_files";
    std::string value = args[1];
    if (set_config) {
      const size_t eq = value.find('=');
      if (eq == std::string::npos) return usage_error(absl::StrCat(opt, " needs KEY=VALUE"));
      key = value.substr(0, eq);
      value = value.substr(eq + 1);
    }
    absl::Status set = config::SetConfigValue(config->ConfigFilePath(), key, value);
    if (!set.ok()) {
      absl::StrAppend(err, "zcwrap: ", set.message(), "\n");
      return absl::IsInvalidArgument(set) ? 2 : 1;
    }
    if (max_size) {
      uint64_t size = util::ParseSize(value).value_or(0);
      absl::StrAppend(out, "Set cache size limit to ",
                      size == 0 ? std::string("unlimited") : util::FormatSize(size), "\n");
    } else if (max_files) {
      absl::StrAppend(out, "Set cache files limit to ",
                      value == "0" ? std::string("unlimited") : value, "\n");
    }
    return 0;
  }

  absl::StatusOr<std::unique_ptr<store::LocalStore>> store = OpenStore(*config);
  if (!store.ok()) {
    absl::StrAppend(err, "zcwrap: cannot open cache: ", store.status().message(), "\n");
    return 1;
  }
  stats::StatsFile& stats = (*store)->stats();
  if (opt == "-s" || opt == "--show-stats") {
    *out += ShowStats(*config, stats.Read());
  } else if (opt == "--print-stats") {
    if (json) {
      std::string counters = stats::NamedValuesJson(stats.Read());
      absl::StatusOr<std::vector<remote::TierSpec>> tiers =
          remote::ParseRemoteStorage(config->remote_storage);
      if (tiers.ok() && !tiers->empty() && counters.size() >= 2 && counters.back() == '}') {
        for (remote::TierSpec& t : *tiers)
          (void)remote::ResolveCredentials(config::ProcessEnv(), &t);
        const int64_t now_ms = util::SystemClock().RealNs() / 1'000'000;
        counters.pop_back();
        absl::StrAppend(
            &counters, ", \"remote_tiers\": ",
            remote::TierReportsJson(remote::ReadTierReports(*tiers, config->cache_dir, now_ms)),
            "}");
      }
      absl::StrAppend(out, counters, "\n");
    } else {
      for (const auto& [name, value] : stats::NamedValues(stats.Read())) {
        absl::StrAppend(out, name, "\t", value, "\n");
      }
    }
  } else if (opt == "-z" || opt == "--zero-stats") {
    stats.ZeroCounters();
    *out += "Statistics zeroed\n";
  } else if (opt == "-C" || opt == "--clear") {
    absl::StatusOr<store::CleanupResult> r = (*store)->Clear();
    if (!r.ok()) {
      absl::StrAppend(err, "zcwrap: clear failed: ", r.status().message(), "\n");
      return 1;
    }
    absl::StrAppend(out, "Cleared cache (", r->files_removed, " files, ",
                    util::FormatSize(r->bytes_removed), ")\n");
  } else if (opt == "-c" || opt == "--cleanup" || evict) {
    absl::StatusOr<store::CleanupResult> r =
        evict ? (*store)->EvictOlderThan(*age) : (*store)->Cleanup();
    if (!r.ok()) {
      absl::StrAppend(err, "zcwrap: cleanup failed: ", r.status().message(), "\n");
      return 1;
    }
    absl::StrAppend(out, "Cleaned cache: removed ", r->files_removed, " files (",
                    util::FormatSize(r->bytes_removed), "), ", r->files_remaining, " files (",
                    util::FormatSize(r->bytes_remaining), ") remain\n");
  }
  return 0;
}

}  // namespace zc::wrapper
