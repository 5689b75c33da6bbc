# Real servers for shell end-to-end tests and benchmarks; the shell twin of remote_servers.h.
#
#   . "$repo/tests/support/remote_servers.sh"
#   trap stop_servers EXIT
#   start_redis "$work/redis" [PASSWORD]   # sets REDIS_PORT REDIS_PID REDIS_URL
#   start_dav "$work/dav" [USER PASSWORD]  # sets DAV_PORT DAV_PID DAV_URL DAV_ROOT
#   start_s3 "$work/s3" zcwrap             # sets S3_PORT S3_PID S3_ENDPOINT S3_DATA_DIR
#
# Each server listens on 127.0.0.1 on a free port, in its own process group, with its
# configuration and its log (server.log) in DIR, which is created if missing. DAV_URL is
# http://127.0.0.1:PORT/cache; what is PUT there lands in DAV_ROOT (DIR/www/cache). Redis keeps
# nothing on disk; s3rver keeps its objects in S3_DATA_DIR (DIR/data).
#
# A server that is not answering within 10 s makes its start function print the tail of its log
# to stderr and return 1: under `set -e` the script stops there (and the EXIT trap stops the
# others). Nothing is ever skipped.
#
# Call the start functions from the script's main shell, not from a subshell or a pipeline: they
# set variables, and each server is killed (SIGKILL, via setpriv --pdeathsig) when the shell that
# started it dies, so that a killed script leaves no server behind. Works with `set -euo pipefail`.
# Needs bash >= 5 (EPOCHREALTIME), setsid and, for the pdeathsig safety net, setpriv (util-linux).

# The variables the start functions set are for the caller.
# shellcheck disable=SC2034

_RS_PIDS=()

# Microseconds since the epoch.
_rs_now() { echo "${EPOCHREALTIME/./}"; }

# A port that nothing listens on, below Linux's ephemeral range (32768-60999) so that outgoing
# connections do not take it meanwhile. A server that still finds it taken is retried elsewhere.
_rs_pick_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
}

# The program, also looked for in the sbin directories (nginx is /usr/sbin/nginx, not in a plain
# user's PATH).
_rs_find() {
  local dir
  if command -v "$1" 2>/dev/null; then return 0; fi
  for dir in /usr/local/sbin /usr/sbin /sbin; do
    if [ -x "$dir/$1" ]; then
      echo "$dir/$1"
      return 0
    fi
  done
  echo "remote_servers.sh: $1 is not installed (not in PATH or the sbin directories)" >&2
  return 1
}

# _rs_spawn DIR COMMAND...: starts COMMAND in DIR as a process group leader with its output
# appended to DIR/server.log; sets _RS_PID and _RS_LOG_OFFSET (the log's size before the start).
_rs_spawn() {
  local dir=$1
  shift
  local launcher=(setsid)
  if command -v setpriv >/dev/null 2>&1; then launcher+=(setpriv --pdeathsig KILL --); fi
  touch "$dir/server.log"
  _RS_LOG_OFFSET=$(wc -c <"$dir/server.log")
  # Without job control a background job is not a group leader, so setsid does not fork and $! is
  # the server itself.
  (cd "$dir" && exec "${launcher[@]}" "$@" </dev/null >>"$dir/server.log" 2>&1) &
  _RS_PID=$!
  _RS_PIDS+=("$_RS_PID")
}

# The process exists and is not a zombie.
_rs_alive() {
  local state=""
  if [ -r "/proc/$1/stat" ]; then
    read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null || return 1
    [ "$state" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}

# Stops one server (SIGTERM to its group, SIGKILL after 2 s) and forgets it, so that
# stop_servers never signals its pid once the system may have given it to someone else.
_rs_stop() {
  local pid=$1 deadline other kept=()
  kill -TERM -- "-$pid" 2>/dev/null || true
  deadline=$(($(_rs_now) + 2000000))
  while _rs_alive "$pid" && [ "$(_rs_now)" -lt "$deadline" ]; do sleep 0.01; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for other in "${_RS_PIDS[@]}"; do
    if [ "$other" != "$pid" ]; then kept+=("$other"); fi
  done
  _RS_PIDS=("${kept[@]}")
}

# What the server logged since its last start.
_rs_new_log() { tail -c "+$((_RS_LOG_OFFSET + 1))" "$1/server.log" 2>/dev/null || true; }

# _rs_wait NAME DIR PROBE...: polls PROBE until it succeeds, for _RS_TIMEOUT seconds (default 10).
# On failure stops the server, prints the log's tail and returns 1 (2 if the server died because
# its port was taken).
_rs_wait() {
  local name=$1 dir=$2
  shift 2
  local timeout=${_RS_TIMEOUT:-10}
  local deadline=$(($(_rs_now) + timeout * 1000000)) why
  while :; do
    if ! _rs_alive "$_RS_PID"; then
      why="exited before it answered"
      break
    fi
    if "$@" && _rs_alive "$_RS_PID"; then return 0; fi
    if [ "$(_rs_now)" -ge "$deadline" ]; then
      why="did not answer within $timeout s"
      break
    fi
    sleep 0.01
  done
  _rs_stop "$_RS_PID"
  local new_log
  new_log=$(_rs_new_log "$dir")
  if [[ -n "${_RS_RETRYING:-}" && ($new_log == *"already in use"* || $new_log == *EADDRINUSE*) ]]
  then
    return 2
  fi
  {
    echo "remote_servers.sh: $name $why; the end of its log $dir/server.log:"
    tail -n 40 "$dir/server.log"
  } >&2
  return 1
}

# _rs_is_redis PORT PASSWORD PID: the Redis server on PORT (after AUTH with PASSWORD, if set) is
# the process PID, not something else that took the port after _rs_pick_port.
_rs_is_redis() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    LC_ALL=C  # ${#2} in bytes
    # shellcheck disable=SC2016  # the $ are RESP's, not the shell's
    if [ -n "$2" ]; then printf '*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n' "${#2}" "$2" >&3; fi
    # shellcheck disable=SC2016
    printf '*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n' >&3
    while IFS= read -r -t 1 line <&3; do
      case $line in
        "process_id:$3"$'\r') exit 0 ;;
        process_id:* | -*) exit 1 ;;
      esac
    done
    exit 1
  ) 2>/dev/null
}

# _rs_http_get PORT PATH: prints the status code, a newline and the body of GET PATH.
_rs_http_get() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
    answer=""
    IFS= read -t 2 -r -d '' answer <&3 || true  # to end of file (Connection: close)
    case $answer in
      HTTP/1.*$'\r\n\r\n'*) ;;
      *) exit 1 ;;
    esac
    status=${answer#* }
    printf '%s\n%s' "${status%% *}" "${answer#*$'\r\n\r\n'}"
  ) 2>/dev/null
}

# The nginx on PORT is the process PID (its /zcwrap-pid location answers nginx's $pid).
_rs_is_nginx() { [ "$(_rs_http_get "$1" /zcwrap-pid)" = "200"$'\n'"$_RS_PID" ]; }

# GET PATH on PORT answers 200.
_rs_http_ok() {
  local answer
  answer=$(_rs_http_get "$1" "$2") || return 1
  [ "${answer%%$'\n'*}" = 200 ]
}

# _rs_quote_redis VALUE: a double-quoted redis.conf string.
_rs_quote_redis() {
  local v=${1//\\/\\\\}
  v=${v//\"/\\\"}
  v=${v//$'\n'/\\n}
  v=${v//$'\r'/\\r}
  printf '"%s"' "$v"
}

_rs_is_redis_spawned() { _rs_is_redis "$1" "$2" "$_RS_PID"; }

# start_redis DIR [PASSWORD]
start_redis() {
  local dir password=${2:-} program port status attempt
  mkdir -p "$1" || return 1
  dir=$(cd "$1" && pwd) || return 1
  program=$(_rs_find redis-server) || return 1
  for attempt in 1 2 3 4 5; do
    port=$(_rs_pick_port)
    {
      echo "bind 127.0.0.1"
      echo "port $port"
      echo "daemonize no"
      echo 'logfile ""'
      echo 'save ""'
      echo "appendonly no"
      echo "dir $(_rs_quote_redis "$dir")"
      if [ -n "$password" ]; then echo "requirepass $(_rs_quote_redis "$password")"; fi
    } >"$dir/redis.conf"
    _rs_spawn "$dir" "$program" "$dir/redis.conf"
    status=0
    _RS_RETRYING=$([ "$attempt" -lt 5 ] && echo 1 || true) \
      _rs_wait redis-server "$dir" _rs_is_redis_spawned "$port" "$password" || status=$?
    if [ "$status" = 0 ]; then
      REDIS_PORT=$port
      REDIS_PID=$_RS_PID
      REDIS_URL=redis://127.0.0.1:$port
      return 0
    fi
    [ "$status" = 2 ] || return 1
  done
}

# start_dav DIR [USER PASSWORD]: nginx with WebDAV PUT/DELETE under /cache (basic auth with USER).
start_dav() {
  local dir user=${2:-} password=${3:-} program port status attempt auth=""
  if [[ $user == *:* || $user == *$'\n'* || $password == *$'\n'* ]]; then
    echo "start_dav: no ':' in the user, no newline in either" >&2
    return 1
  fi
  mkdir -p "$1" || return 1
  dir=$(cd "$1" && pwd) || return 1
  program=$(_rs_find nginx) || return 1
  mkdir -p "$dir/www/cache" "$dir/tmp"
  if [ -n "$user" ]; then
    # nginx's plain-text scheme: no hashing tool needed for a test password.
    printf '%s:{PLAIN}%s\n' "$user" "$password" >"$dir/htpasswd"
    auth="    auth_basic \"zcwrap\";
    auth_basic_user_file \"$dir/htpasswd\";"
  fi
  for attempt in 1 2 3 4 5; do
    port=$(_rs_pick_port)
    # One process (master_process off): no worker switching to `user nobody` under root, and every
    # path nginx would take from its build (/var/lib/nginx, /var/log/nginx, /run) is in DIR.
    # /zcwrap-pid answers nginx's pid, so that readiness can tell our nginx from a squatter.
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid "$dir/nginx.pid";
lock_file "$dir/nginx.lock";
error_log stderr notice;
events { worker_connections 1024; }
http {
  access_log "$dir/access.log";
  default_type application/octet-stream;
  client_max_body_size 512m;
  client_body_temp_path "$dir/tmp/body";
  proxy_temp_path "$dir/tmp/proxy";
  fastcgi_temp_path "$dir/tmp/fastcgi";
  uwsgi_temp_path "$dir/tmp/uwsgi";
  scgi_temp_path "$dir/tmp/scgi";
  server {
    listen 127.0.0.1:$port;
    root "$dir/www";
$auth
    location /cache/ {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw;
    }
    location = /zcwrap-pid {
      auth_basic off;
      access_log off;
      return 200 "\$pid";
    }
  }
}
EOF
    _rs_spawn "$dir" "$program" -p "$dir" -c "$dir/nginx.conf" -e stderr
    status=0
    _RS_RETRYING=$([ "$attempt" -lt 5 ] && echo 1 || true) \
      _rs_wait nginx "$dir" _rs_is_nginx "$port" || status=$?
    if [ "$status" = 0 ]; then
      DAV_PORT=$port
      DAV_PID=$_RS_PID
      DAV_URL=http://127.0.0.1:$port/cache
      DAV_ROOT=$dir/www/cache
      return 0
    fi
    [ "$status" = 2 ] || return 1
  done
}

# Reads the port s3rver chose from "S3rver listening on 127.0.0.1:PORT", then waits for the bucket.
_rs_s3_ready() {
  local dir=$1 bucket=$2
  if [ -z "${_RS_S3_PORT:-}" ]; then
    _RS_S3_PORT=$(_rs_new_log "$dir" |
      sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p; T; q')
    [ -n "$_RS_S3_PORT" ] || return 1
  fi
  _rs_http_ok "$_RS_S3_PORT" "/$bucket"
}

# start_s3 DIR BUCKET: s3rver (credentials S3RVER / S3RVER) with BUCKET made at startup.
start_s3() {
  local dir bucket=${2:?start_s3 DIR BUCKET} program
  mkdir -p "$1" || return 1
  dir=$(cd "$1" && pwd) || return 1
  program=$(_rs_find s3rver) || return 1
  mkdir -p "$dir/data"
  _RS_S3_PORT=""
  # -p 0: s3rver binds a free port itself (no race) and prints it.
  _rs_spawn "$dir" "$program" -d "$dir/data" -a 127.0.0.1 -p 0 --configure-bucket "$bucket"
  _rs_wait s3rver "$dir" _rs_s3_ready "$dir" "$bucket" || return 1
  S3_PORT=$_RS_S3_PORT
  S3_PID=$_RS_PID
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  S3_DATA_DIR=$dir/data
}

# Stops every server started so far (SIGTERM to each group, SIGKILL after 2 s). For `trap ... EXIT`.
stop_servers() {
  local pid deadline
  for pid in "${_RS_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  deadline=$(($(_rs_now) + 2000000))
  for pid in "${_RS_PIDS[@]}"; do
    while _rs_alive "$pid" && [ "$(_rs_now)" -lt "$deadline" ]; do sleep 0.01; done
  done
  for pid in "${_RS_PIDS[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  _RS_PIDS=()
}
