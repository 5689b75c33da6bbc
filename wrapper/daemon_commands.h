// zcwrap's daemon front: the --daemon-* commands and compiling through a running daemon.
//
//   int code = zc::wrapper::RunDaemonCommand(args, out, err);   // --daemon-start|stop|status|run
//   absl::StatusOr<zc::daemon::CompileResponseMessage> r = zc::wrapper::CompileThroughDaemon(...);
#ifndef ZCWRAP_WRAPPER_DAEMON_COMMANDS_H_
#define ZCWRAP_WRAPPER_DAEMON_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cachecore/config/config.h"
#include "cachecore/daemon/protocol.h"

namespace zc::wrapper {

// True for the options RunDaemonCommand handles.
bool IsDaemonCommand(const std::string& option);

// Runs --daemon-start, --daemon-stop, --daemon-status [--json] or --daemon-run (the server in
// the foreground). Exit codes: 0 done, 1 failed (or no daemon, for status/stop), 2 bad usage.
int RunDaemonCommand(const std::vector<std::string>& args, const config::EnvLookup& env,
                     std::string* out, std::string* err);

// Sends one compile to the daemon for `config.cache_dir`, starting it first when
// config.daemon == "auto" or "on". An error (saying why) when the daemon gave no verdict: the
// caller compiles on its own. Never fails the build.
absl::StatusOr<daemon::CompileResponseMessage> CompileThroughDaemon(
    const config::Config& config, const std::vector<std::string>& argv, const std::string& cwd,
    bool stderr_is_tty);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_DAEMON_COMMANDS_H_
