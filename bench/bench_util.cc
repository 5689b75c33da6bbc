#include "bench/bench_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cachecore/util/file_io.h"

extern char** environ;

namespace zc::bench {

const char kDozenStlHeadersSource[] =
    "#include <algorithm>\n#include <functional>\n#include <iostream>\n#include <map>\n"
    "#include <memory>\n#include <optional>\n#include <set>\n#include <sstream>\n"
    "#include <string>\n#include <unordered_map>\n#include <variant>\n#include <vector>\n"
    "int run(const std::vector<std::string>& v) {\n"
    "  std::map<std::string, int> m; for (auto& s : v) ++m[s];\n"
    "  return static_cast<int>(m.size()); }\n";

std::string ZcwrapBinary() {
  const char* bin = std::getenv("ZCWRAP_BIN");
  return bin != nullptr ? bin : "zcwrap";
}

int RunQuietly(const std::vector<std::string>& argv, const std::string& cwd,
               const std::vector<std::string>& extra_env) {
  std::vector<std::string> env(extra_env);
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  std::vector<char*> envp, args;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> a(argv);
  for (std::string& s : a) args.push_back(s.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string MakeScratchDir() {
  char tmpl[] = "/tmp/zcwrap-bench-XXXXXX";
  char* dir = ::mkdtemp(tmpl);
  return dir != nullptr ? dir : "/tmp";
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

const std::string& RealisticObject() {
  static const std::string object = [] {
    std::string dir = MakeScratchDir();
    std::string src = dir + "/obj.cc";
    if (FILE* f = std::fopen(src.c_str(), "w")) {
      std::fputs(
          "#include <algorithm>\n#include <map>\n#include <memory>\n#include <set>\n"
          "#include <sstream>\n#include <string>\n#include <unordered_map>\n#include <vector>\n"
          "#include <functional>\n#include <iostream>\n#include <optional>\n#include <variant>\n"
          "std::string f(const std::map<std::string, std::vector<int>>& m) {\n"
          "  std::ostringstream os; for (auto& [k, v] : m) { os << k; for (int x : v) os << x; }\n"
          "  return os.str(); }\n",
          f);
      std::fclose(f);
    }
    std::string cmd = "g++ -g -O1 -c " + src + " -o " + dir + "/obj.o 2>/dev/null";
    std::string data;
    if (std::system(cmd.c_str()) == 0) {
      data = util::ReadFileToString(dir + "/obj.o").value_or("");
    }
    RemoveTree(dir);
    if (data.empty()) {
      for (int i = 0; data.size() < 512 * 1024; ++i) {
        data += "symbol_" + std::to_string(i % 977) + "_debug_info_" + std::to_string(i);
        data.push_back(static_cast<char>(i * 2654435761u >> 24));
      }
    }
    return data;
  }();
  return object;
}

std::string ObjectLikeBytes(size_t size) {
  const std::string& obj = RealisticObject();
  std::string out;
  out.reserve(size);
  while (out.size() < size) out.append(obj, 0, std::min(obj.size(), size - out.size()));
  return out;
}

}  // namespace zc::bench
