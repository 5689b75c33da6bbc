#include "wrapper/daemon_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/daemon/client.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/server.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/build_id.h"
#include "cachecore/util/cpus.h"
#include "cachecore/util/process_slots.h"
#include "cachecore/util/status_macros.h"
#include "wrapper/compiler_lookup.h"

extern char** environ;

namespace zc::wrapper {
namespace {

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

// The environment a started daemon gets: ours, with the cache directory spelled out.
std::vector<std::string> DaemonEnvironment(const config::Config& config) {
  std::vector<std::string> env;
  for (std::string& kv : ProcessEnvironment()) {
    if (kv.rfind("ZCWRAP_DIR=", 0) != 0) env.push_back(std::move(kv));
  }
  env.push_back("ZCWRAP_DIR=" + config.cache_dir);
  return env;
}

int RunServer(const config::Config& config, const daemon::Endpoint& endpoint, std::string* err) {
  // Compilers started by the daemon die with it, so a killed daemon never leaves a compile
  // racing the client's own fallback compile. At most one per usable CPU (affinity and cgroup
  // quota) run at once; hits, which run none, never wait for them.
  static util::PosixProcessRunner posix_runner(/*children_die_with_parent=*/true);
  const uint32_t max_parallel = util::UsableCpus();
  static util::ProcessSlots runner(&posix_runner, max_parallel, nullptr);
  // The engine for the cache directory; made again when the directory is replaced. Decoded
  // manifests and entries stay in memory across requests (bounded).
  daemon::EngineFactory make_engine = [config] {
    constexpr size_t kMemoryCacheBytes = size_t{256} << 20;
    return compile::OpenEngine(config, &runner, kMemoryCacheBytes);
  };
  daemon::ServerOptions server_options;
  server_options.endpoint = endpoint;
  server_options.cache_dir = config.cache_dir;
  server_options.max_parallel = max_parallel;
  server_options.idle_timeout_s = config.daemon_idle_timeout;
  server_options.build_id = util::ExecutableBuildId();
  absl::StatusOr<std::unique_ptr<daemon::Server>> server =
      daemon::Server::Start(server_options, std::move(make_engine));
  if (!server.ok()) {
    absl::StrAppend(err, "zcwrap: cannot start daemon: ", server.status().message(), "\n");
    return 1;
  }
  // Tell the client that started us (daemon::Client::EnsureRunning) that we listen.
  if (const char* fd = std::getenv(daemon::Client::kReadyFdVariable)) {
    int n = 0;
    if (absl::SimpleAtoi(fd, &n) && n > 2) {
      (void)!::write(n, "R", 1);
      ::close(n);
    }
  }
  (*server)->Run();
  return 0;
}

}  // namespace

bool IsDaemonCommand(const std::string& option) {
  return option == "--daemon-start" || option == "--daemon-stop" || option == "--daemon-status" ||
         option == "--daemon-run";
}

int RunDaemonCommand(const std::vector<std::string>& args, const config::EnvLookup& env,
                     std::string* out, std::string* err) {
  const std::string& opt = args.at(0);
  const bool json = opt == "--daemon-status" && args.size() == 2 && args[1] == "--json";
  if (args.size() > (json ? 2u : 1u)) {
    absl::StrAppend(err, "zcwrap: unexpected argument \"", args.back(), "\" after ", opt,
                    " (see zcwrap --help)\n");
    return 2;
  }
  absl::StatusOr<config::Config> config = config::LoadConfig(env);
  if (!config.ok()) {
    absl::StrAppend(err, "zcwrap: ", config.status().message(), "\n");
    return 1;
  }
  absl::StatusOr<daemon::Endpoint> endpoint = daemon::EndpointFor(config->cache_dir, env);
  if (!endpoint.ok()) {
    absl::StrAppend(err, "zcwrap: ", endpoint.status().message(), "\n");
    return 1;
  }
  daemon::Client client(*endpoint, util::ExecutableBuildId());

  if (opt == "--daemon-run") return RunServer(*config, *endpoint, err);
  if (opt == "--daemon-start") {
    absl::Status st = client.EnsureRunning(SelfExecutable(), DaemonEnvironment(*config));
    if (!st.ok()) {
      absl::StrAppend(err, "zcwrap: cannot start daemon: ", st.message(), "\n");
      return 1;
    }
    absl::StrAppend(out, "zcwrap daemon listening on ", endpoint->socket_path, "\n");
    return 0;
  }
  if (opt == "--daemon-stop") {
    absl::Status st = client.Shutdown();
    if (!st.ok()) {
      absl::StrAppend(err, "zcwrap: no daemon stopped: ", st.message(), "\n");
      return 1;
    }
    absl::StrAppend(out, "zcwrap daemon stopped\n");
    return 0;
  }
  // --daemon-status
  absl::StatusOr<std::string> status = client.Status();
  if (!status.ok()) {
    absl::StrAppend(err, "zcwrap: no daemon running for ", config->cache_dir, "\n");
    return 1;
  }
  if (json) {
    absl::StrAppend(out, *status, "\n");
  } else {
    absl::StrAppend(out, "zcwrap daemon for ", config->cache_dir, "\n", *status, "\n");
  }
  return 0;
}

absl::StatusOr<daemon::CompileResponseMessage> CompileThroughDaemon(
    const config::Config& config, const std::vector<std::string>& argv, const std::string& cwd,
    bool stderr_is_tty) {
  ZC_ASSIGN_OR_RETURN(const daemon::Endpoint endpoint,
                      daemon::EndpointFor(config.cache_dir, config::ProcessEnv()));
  daemon::Client client(endpoint, util::ExecutableBuildId());
  daemon::CompileRequestMessage request;
  request.argv = argv;
  request.cwd = cwd;
  request.env = ProcessEnvironment();
  request.stderr_is_tty = stderr_is_tty;
  request.client_build = util::ExecutableBuildId();  // set here: Client::Compile need not copy
  const mode_t mask = ::umask(0);
  ::umask(mask);
  request.umask = mask;
  absl::StatusOr<daemon::CompileResponseMessage> response = client.Compile(request);
  if (!response.ok() && absl::IsUnavailable(response.status())) {
    ZC_RETURN_IF_ERROR(client.EnsureRunning(SelfExecutable(), DaemonEnvironment(config)));
    response = client.Compile(request);
  }
  return response;
}

}  // namespace zc::wrapper
