# Real compile farms for shell end-to-end tests and benchmarks; the shell twin of compile_farms.h
# (read its header for what was found about distcc and icecream).
#
#   . "$repo/tests/support/compile_farms.sh"   # sources remote_servers.sh too
#   trap stop_servers EXIT
#   start_distcc "$work/distcc" [JOBS]        # sets DISTCC_FARM_HOSTS DISTCC_FARM_DIR
#                                              # DISTCC_FARM_PORT DISTCC_FARM_STATS_PORT
#                                              # DISTCC_FARM_PID DISTCC_FARM_ENV
#   env "${DISTCC_FARM_ENV[@]}" DISTCC_FALLBACK=0 distcc /usr/bin/gcc -c a.c
#   distcc_stat dcc_compile_ok                 # prints a counter (they lag a compile a moment)
#   start_icecream "$work/icecream" [JOBS]    # sets ICECREAM_FARM_SOCKET ICECREAM_FARM_DIR
#                                              # ICECREAM_FARM_SCHEDULER_PORT
#                                              # ICECREAM_FARM_DAEMON_PORT ICECREAM_FARM_ENV
#   env "${ICECREAM_FARM_ENV[@]}" icecc /usr/bin/gcc -c a.c
#   icecream_jobs                              # jobs the compile daemon ran (icecream_jobs
#                                              # local: the ones icecc compiled itself)
#
# DISTCC_FARM_ENV holds DISTCC_HOSTS and DISTCC_DIR (a private one, DIR/client);
# ICECREAM_FARM_ENV holds ICECC_TEST_SOCKET (the client daemon's private socket) and
# ICECC_TEST_REMOTEBUILD=1 (without it, icecc compiles a job for 127.0.0.1 itself).
#
# distccd listens on 127.0.0.1 with its own allow-list of compilers (DIR/cmdlist: every gcc, g++,
# cc, c++, clang, clang++ in /usr/bin, as NAME, /usr/bin/NAME and /bin/NAME). The icecream farm
# is a scheduler (loopback), the client's daemon (--no-remote -m 0, DIR/client) and a compile
# daemon (DIR/compile; its TCP port listens on all interfaces, iceccd 1.4 cannot do otherwise),
# on a private netname; it needs root. Each daemon logs to server.log in its directory, at full
# verbosity. A start function that fails prints the log's tail and returns 1; nothing is skipped.
#
# The daemons drop root privileges, which clears setpriv's --pdeathsig, and fork helpers: each runs
# under a small guard shell that keeps root and SIGKILLs the daemon's process group when the
# script's shell dies or stop_servers stops it. Call the start functions from the script's main
# shell. Needs what remote_servers.sh needs.

# The variables the start functions set are for the caller.
# shellcheck disable=SC2034

if ! declare -F stop_servers >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=remote_servers.sh
  . "$(dirname "${BASH_SOURCE[0]}")/remote_servers.sh"
fi

# The guard (see the file comment): runs "$@" as its child, writes its pid to daemon.pid, and on
# TERM, INT or HUP SIGKILLs the daemon and its process group (iceccd and distccd make their own;
# the scheduler stays in the guard's, alone). Exits with the daemon's status if the daemon ends
# first. The daemon stays its child, so its pid cannot be reused while the guard can signal it.
# shellcheck disable=SC2016  # expanded by the guard shell, not here
_CF_GUARD='
pid=
stop() {
  if [ -n "$pid" ]; then kill -KILL -- "-$pid" "$pid" 2>/dev/null; fi
  exit 143
}
trap stop TERM INT HUP
"$@" &
pid=$!
echo "$pid" >daemon.pid
wait "$pid"
'

# _cf_spawn DIR COMMAND...: _rs_spawn through the guard, with the guard's pdeathsig TERM.
_cf_spawn() {
  local dir=$1
  shift
  local guard=(bash -c "$_CF_GUARD" compile-farm-guard)
  if command -v setpriv >/dev/null 2>&1; then guard=(setpriv --pdeathsig TERM -- "${guard[@]}"); fi
  rm -f "$dir/daemon.pid"
  _rs_spawn "$dir" "${guard[@]}" "$@"
}

# _cf_open_to_daemons DIR: the daemons run as other users: DIR must be searchable, and so must
# every directory above it.
_cf_open_to_daemons() {
  local p=$1
  chmod 755 "$p" || return 1
  [ "$(id -u)" = 0 ] || return 0
  while p=$(dirname "$p") && [ "$p" != / ]; do
    if (( ($(stat -c '%#a' "$p") & 1) == 0 )); then
      echo "compile_farms.sh: $p is not searchable by other users, but the farm's daemons drop" \
        "root privileges and must reach $1" >&2
      return 1
    fi
  done
}

# _cf_tcp PORT REQUEST: sends REQUEST to 127.0.0.1:PORT, prints the answer up to end of file.
_cf_tcp() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '%s' "$2" >&3
    answer=""
    IFS= read -t 5 -r -d '' answer <&3 || true
    printf '%s' "$answer"
    [ -n "$answer" ]
  ) 2>/dev/null
}

# --- distcc ---

# Every compiler a complete /usr/lib/distcc would allow, one per line.
_cf_distcc_compilers() {
  local path name
  local target='([a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+-)?' version='(-[0-9.]+)?'
  local compiler='(c89-gcc|c99-gcc|gcc|g\+\+|cc|c\+\+|clang|clang\+\+)'
  for path in /usr/bin/*; do
    name=${path##*/}
    if [[ $name =~ ^$target$compiler$version$ && -x $path ]]; then
      printf '%s\n/usr/bin/%s\n/bin/%s\n' "$name" "$name" "$name"
    fi
  done
}

_cf_distcc_ready() {
  local dir=$1 port=$2 stats_port=$3 log
  log=$(_rs_new_log "$dir")
  [[ $log == *"listening on 127.0.0.1:$port"$'\n'* ]] &&
    [[ $log == *"HTTP server started on port $stats_port"* ]] &&
    [[ $(_cf_tcp "$stats_port" $'GET / HTTP/1.0\r\n\r\n') == *"</distccstats>"* ]]
}

# start_distcc DIR [JOBS]
start_distcc() {
  local dir jobs=${2:-4} program port stats_port status attempt
  mkdir -p "$1" || return 1
  dir=$(cd "$1" && pwd) || return 1
  program=$(_rs_find distccd) || return 1
  _cf_open_to_daemons "$dir" || return 1
  mkdir -p "$dir/tmp" "$dir/client" && chmod 1777 "$dir/tmp" && chmod 755 "$dir/client" || return 1
  _cf_distcc_compilers >"$dir/cmdlist" && chmod 644 "$dir/cmdlist" || return 1
  for attempt in 1 2 3 4 5; do
    port=$(_rs_pick_port)
    stats_port=$(_rs_pick_port)
    [ "$stats_port" != "$port" ] || continue
    # DISTCC_CMDLIST_NUMWORDS above any path's depth: a compiler name must equal a line.
    _cf_spawn "$dir" env DISTCC_CMDLIST="$dir/cmdlist" DISTCC_CMDLIST_NUMWORDS=1000 \
      TMPDIR="$dir/tmp" "$program" --daemon --no-detach --listen 127.0.0.1 --port "$port" \
      --allow 127.0.0.1 --jobs "$jobs" --stats --stats-port "$stats_port" --log-stderr \
      --log-level info
    status=0
    _RS_RETRYING=$([ "$attempt" -lt 5 ] && echo 1 || true) \
      _rs_wait distccd "$dir" _cf_distcc_ready "$dir" "$port" "$stats_port" || status=$?
    if [ "$status" = 0 ]; then
      DISTCC_FARM_PORT=$port
      DISTCC_FARM_STATS_PORT=$stats_port
      DISTCC_FARM_PID=$(cat "$dir/daemon.pid")
      DISTCC_FARM_HOSTS=127.0.0.1:$port/$jobs
      DISTCC_FARM_DIR=$dir/client
      DISTCC_FARM_ENV=("DISTCC_HOSTS=$DISTCC_FARM_HOSTS" "DISTCC_DIR=$DISTCC_FARM_DIR")
      return 0
    fi
    [ "$status" = 2 ] || return 1
  done
  return 1
}

# distcc_stat NAME: the counter NAME (dcc_compile_ok, dcc_tcp_accept, ...) of the farm started
# last.
distcc_stat() {
  local page line
  page=$(_cf_tcp "$DISTCC_FARM_STATS_PORT" $'GET / HTTP/1.0\r\n\r\n') || return 1
  while IFS= read -r line; do
    if [ "${line%% *}" = "$1" ]; then
      echo "${line#* }"
      return 0
    fi
  done <<<"$page"
  echo "distcc_stat: no counter $1" >&2
  return 1
}

# --- icecream ---

# _cf_listed SCHEDULER_PORT TEXT: the scheduler's telnet interface lists TEXT among its daemons.
_cf_listed() { [[ $(_cf_tcp "$(($1 + 1))" $'listcs\r\nquit\r\n') == *"$2"* ]]; }

_cf_scheduler_ready() {
  local dir=$1 port=$2 log
  log=$(_rs_new_log "$dir")
  [[ $log == *"starting up, port $port"$'\n'* && $log == *"scheduler ready"* ]] &&
    _cf_listed "$port" "200 done"
}

_cf_client_ready() { _cf_listed "$1" " zcwrap-client (" && [ -S "$2" ]; }

# start_icecream DIR [JOBS]
start_icecream() {
  local dir jobs=${2:-4} scheduler daemon user netname port daemon_port status=1 attempt client_pid
  if [ "$(id -u)" != 0 ]; then
    echo "start_icecream: needs root (iceccd chroots into the compiler environments)" >&2
    return 1
  fi
  mkdir -p "$1" || return 1
  dir=$(cd "$1" && pwd) || return 1
  scheduler=$(_rs_find icecc-scheduler) || return 1
  daemon=$(_rs_find iceccd) || return 1
  user=icecc
  getent passwd icecc >/dev/null || user=nobody
  _cf_open_to_daemons "$dir" || return 1
  mkdir -p "$dir/scheduler" "$dir/client/run" "$dir/client/envs" "$dir/compile/run" \
    "$dir/compile/envs" || return 1
  chmod 755 "$dir/client" "$dir/compile" || return 1
  chown "$user:" "$dir/client/run" "$dir/client/envs" "$dir/compile/run" "$dir/compile/envs" ||
    return 1
  netname=zcwrap-$$-$RANDOM

  for attempt in 1 2 3 4 5; do
    port=$(_rs_pick_port)
    # The telnet interface takes port + 1.
    if (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then continue; fi
    _cf_spawn "$dir/scheduler" env ICECC_TESTS=1 "$scheduler" -p "$port" -i lo -n "$netname" \
      -u "$user" -vvv
    status=0
    _RS_RETRYING=$([ "$attempt" -lt 5 ] && echo 1 || true) \
      _rs_wait icecc-scheduler "$dir/scheduler" _cf_scheduler_ready "$dir/scheduler" "$port" ||
      status=$?
    [ "$status" = 0 ] && break
    [ "$status" = 2 ] || return 1
  done
  [ "$status" = 0 ] || return 1

  # Both daemons look for the scheduler at once (~6-9 s).
  _cf_spawn "$dir/client" env ICECC_TESTS=1 ICECC_TEST_SOCKET="$dir/client/run/iceccd.sock" \
    "$daemon" --no-remote -m 0 -n "$netname" -N zcwrap-client -s "127.0.0.1:$port" \
    -b "$dir/client/envs" -u "$user" -vvv
  client_pid=$_RS_PID
  for attempt in 1 2 3 4 5; do
    daemon_port=$(_rs_pick_port)
    _cf_spawn "$dir/compile" env ICECC_TESTS=1 ICECC_TEST_SOCKET="$dir/compile/run/iceccd.sock" \
      "$daemon" -p "$daemon_port" -m "$jobs" -n "$netname" -N zcwrap-compile \
      -s "127.0.0.1:$port" -b "$dir/compile/envs" -u "$user" -vvv
    status=0
    _RS_TIMEOUT=40 _RS_RETRYING=$([ "$attempt" -lt 5 ] && echo 1 || true) \
      _rs_wait iceccd "$dir/compile" \
      _cf_listed "$port" " zcwrap-compile (127.0.0.1:$daemon_port)" || status=$?
    [ "$status" = 0 ] && break
    [ "$status" = 2 ] || return 1
  done
  [ "$status" = 0 ] || return 1
  _RS_PID=$client_pid
  _RS_TIMEOUT=40 _rs_wait iceccd "$dir/client" _cf_client_ready "$port" \
    "$dir/client/run/iceccd.sock" || return 1

  ICECREAM_FARM_DIR=$dir
  ICECREAM_FARM_SCHEDULER_PORT=$port
  ICECREAM_FARM_DAEMON_PORT=$daemon_port
  ICECREAM_FARM_SOCKET=$dir/client/run/iceccd.sock
  ICECREAM_FARM_ENV=("ICECC_TEST_SOCKET=$ICECREAM_FARM_SOCKET" "ICECC_TEST_REMOTEBUILD=1")
}

# icecream_jobs [local]: how many jobs the compile daemon of the farm started last has run (see
# compile_farms.h), or with `local`, how many the icecc client compiled itself.
icecream_jobs() {
  if [ "${1:-}" = local ]; then
    grep -c -e "pushed local job" -e "scheduler_no_cs" "$ICECREAM_FARM_DIR/client/server.log" ||
      true
  else
    # "Remote compilation completed with exit code 0", or "... exited", "... aborted", "... failed"
    grep -c "Remote compilation " "$ICECREAM_FARM_DIR/compile/server.log" || true
  fi
}
