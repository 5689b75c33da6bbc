#include "bench/replay/server_cpu.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zc::bench {
namespace {

// The whole content of a small /proc file, or "" if it cannot be read.
std::string ReadProcFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buffer[8192];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

bool EnvironmentHas(const std::string& environ_block, const std::string& entry) {
  for (absl::string_view e : absl::StrSplit(environ_block, '\0')) {
    if (e == entry) return true;
  }
  return false;
}

// utime + stime + cutime + cstime of /proc/<pid>/stat, in clock ticks; 0 if unreadable.
uint64_t ProcessTicks(const std::string& pid) {
  std::string stat = ReadProcFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close_paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close_paren == std::string::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close_paren + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14 to 17.
  if (fields.size() < 15) return 0;
  uint64_t total = 0;
  for (size_t i = 11; i <= 14; ++i) {
    uint64_t ticks = 0;
    if (absl::SimpleAtoi(fields[i], &ticks)) total += ticks;
  }
  return total;
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

}  // namespace

double MarkedProcessesCpuSeconds(absl::string_view token) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  const std::string entry = absl::StrCat(kMarkerVariable, "=", token);
  const std::string self = std::to_string(getpid());
  uint64_t ticks = 0;
  while (dirent* d = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(d->d_name[0]))) continue;
    std::string pid = d->d_name;
    if (pid == self) continue;
    if (!EnvironmentHas(ReadProcFile(absl::StrCat("/proc/", pid, "/environ")), entry)) continue;
    ticks += ProcessTicks(pid);
  }
  closedir(proc);
  long hz = sysconf(_SC_CLK_TCK);
  return hz > 0 ? static_cast<double>(ticks) / static_cast<double>(hz) : 0;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
}

double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
}

}  // namespace zc::bench
