#!/usr/bin/env bash
# End-to-end for remote tiers on real projects: "machine A" and "machine B" are two cache
# directories that share real servers started here (redis-server, nginx WebDAV, s3rver; see
# tests/support/remote_servers.sh). Projects: Debian's googletest built with CMake and
# CMAKE_<LANG>_COMPILER_LAUNCHER=zcwrap, and bench/gen_project.py's 300-source project.
#   1. A builds both cold with all three tiers (every result and manifest goes to each).
#   2. For each tier alone, a fresh B builds both: 100% remote hits (cache_miss 0, every compile a
#      remote_storage_hit, two remote reads each: manifest and result), every object identical
#      to the plain compiler's.
#   3. The generated project cold with a black-hole tier (accepts connections, never answers) is
#      at most 10% slower than the same cold build with no remote tier.
#
#   remote_machines.sh /path/to/zcwrap on|off|auto
#   (KEEP=1: keep the work directory)
set -euo pipefail
zcwrap=$1
daemon=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if ! command -v cmake >/dev/null || [ ! -f /usr/src/googletest/CMakeLists.txt ]; then
  echo "FAIL: needs cmake and Debian's googletest sources (scripts/install_packages.sh)"
  exit 1
fi
export CC=gcc CXX=g++ ZCWRAP_DAEMON="$daemon"
unset ZCWRAP_DIR ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DIRECT ZCWRAP_REMOTE_STORAGE
work=$(mktemp -d /tmp/zcwrap-remote-XXXXXX)
# shellcheck source=../support/remote_servers.sh
. "$repo/tests/support/remote_servers.sh"
cleanup() {
  local c
  for c in "$work"/cache-*; do
    [ -d "$c" ] && { ZCWRAP_DIR=$c "$zcwrap" --daemon-stop >/dev/null 2>&1 || true; }
  done
  stop_servers
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
start=$SECONDS
fail() {
  echo "FAIL (daemon $daemon): $*"
  exit 1
}
stat_of() { "$zcwrap" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }

start_redis "$work/redis"
start_dav "$work/dav"
start_s3 "$work/s3" team-cache
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
redis_tier=$REDIS_URL
http_tier=$DAV_URL
s3_tier="s3://team-cache/ci|endpoint=$S3_ENDPOINT"

gp=$work/proj
python3 "$repo/bench/gen_project.py" --out "$gp" --files 300 --cc gcc --cxx g++ 2>/dev/null
# The generated project's compile database, run two at a time (with an optional launcher).
cat > "$work/run_db.py" <<'PY'
import concurrent.futures, json, os, subprocess, sys
root, launcher = sys.argv[1], sys.argv[2:]
with open(os.path.join(root, "compile_commands.json"), encoding="utf-8") as f:
    entries = json.load(f)
def run(e):
    os.makedirs(os.path.dirname(e["output"]), exist_ok=True)
    return subprocess.run(launcher + e["arguments"], cwd=e["directory"]).returncode
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    failed = sum(1 for rc in pool.map(run, entries) if rc != 0)
sys.exit(f"run_db.py: {failed} compiles failed" if failed else 0)
PY
gp_compiles=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" \
  "$gp/compile_commands.json")

gt_build=$work/gt-build
build_googletest() {  # [launcher]
  local launcher=()
  [ -z "${1:-}" ] || launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$1" -DCMAKE_CXX_COMPILER_LAUNCHER="$1")
  rm -rf "$gt_build"
  cmake -S /usr/src/googletest -B "$gt_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "${launcher[@]}" >/dev/null
  ninja -C "$gt_build" >/dev/null || fail "googletest does not build"
}
clean_gp() { find "$gp" -name '*.o' -delete; }
# Every object of both projects, copied to $1.
keep_objects() {
  mkdir -p "$1"
  mkdir -p "$1/gt" "$1/gp"
  (cd "$gt_build" && find . -name '*.o' -print0 | xargs -0 cp --parents -t "$1/gt")
  (cd "$gp" && find . -name '*.o' -print0 | xargs -0 cp --parents -t "$1/gp")
}

# The plain compiler's objects.
build_googletest
gt_compiles=$(find "$gt_build" -name '*.o' | wc -l)
clean_gp
python3 "$work/run_db.py" "$gp" || fail "the generated project does not build"
keep_objects "$work/plain"
compiles=$((gt_compiles + gp_compiles))
echo "remote_machines: $gt_compiles googletest and $gp_compiles generated compiles"

# 1. Machine A, cold, writing all three tiers.
export ZCWRAP_DIR=$work/cache-a ZCWRAP_REMOTE_STORAGE="$redis_tier $http_tier $s3_tier"
build_googletest "$zcwrap"
clean_gp
python3 "$work/run_db.py" "$gp" "$zcwrap" || fail "A: the generated project does not build"
"$zcwrap" --daemon-stop >/dev/null 2>&1 || true  # publishes the queued writes
keep_objects "$work/a"
diff -r "$work/plain" "$work/a" >/dev/null || fail "A's objects differ from the plain compiler's"
[ "$(stat_of cache_miss)" = "$compiles" ] || fail "A: $(stat_of cache_miss) misses, not $compiles"
# A result and a manifest per compile, to each of three tiers.
[ "$(stat_of remote_storage_write)" = $((compiles * 2 * 3)) ] ||
  fail "A: $(stat_of remote_storage_write) remote writes, not $((compiles * 6))"
[ "$(( $(stat_of remote_storage_error) + $(stat_of remote_storage_timeout) ))" = 0 ] ||
  fail "A: remote errors: $("$zcwrap" --print-stats | grep remote_storage)"
echo "remote_machines: A built both projects cold ($((SECONDS - start)) s)"

# 2. Machine B, once per tier alone.
for tier in redis http s3; do
  case $tier in
    redis) url=$redis_tier ;; http) url=$http_tier ;; s3) url=$s3_tier ;;
  esac
  export ZCWRAP_DIR=$work/cache-b-$tier ZCWRAP_REMOTE_STORAGE=$url
  t0=$SECONDS
  build_googletest "$zcwrap"
  clean_gp
  python3 "$work/run_db.py" "$gp" "$zcwrap" || fail "B ($tier): the generated project fails"
  "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  rm -rf "$work/b"
  keep_objects "$work/b"
  diff -r "$work/plain" "$work/b" >/dev/null || fail "B ($tier): objects differ from plain"
  for want in "cache_miss 0" "direct_cache_hit $compiles" "remote_storage_hit $compiles" \
              "remote_storage_read_hit $((compiles * 2))" "remote_storage_read_miss 0" \
              "remote_storage_bad_entry 0" "remote_storage_error 0" "remote_storage_timeout 0"; do
    set -- $want
    [ "$(stat_of "$1")" = "$2" ] || fail "B ($tier): $1 is $(stat_of "$1"), not $2"
  done
  echo "remote_machines: B ($tier): $compiles of $compiles remote hits, identical ($((SECONDS - t0)) s)"
done

# 3. A black-hole tier costs a cold build of the generated project at most 10%.
read -r hole_port hole_pid < <(python3 - <<'PY'
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4096)
pid = os.fork()
if pid:
    print(s.getsockname()[1], pid, flush=True)
    sys.exit(0)
os.setsid()
for fd in (0, 1, 2):
    os.dup2(os.open(os.devnull, os.O_RDWR), fd)
held = []
while True:
    held.append(s.accept()[0])  # accepted, never answered, never closed
PY
)
[ -n "$hole_pid" ] || fail "the black hole did not start"
trap 'kill "$hole_pid" 2>/dev/null || true; cleanup' EXIT
cold_gp() {  # cache remote -> seconds (with ms)
  export ZCWRAP_DIR=$1 ZCWRAP_REMOTE_STORAGE=$2
  clean_gp
  local t0=$EPOCHREALTIME
  python3 "$work/run_db.py" "$gp" "$zcwrap" || fail "cold build ($2) fails"
  local t1=$EPOCHREALTIME
  "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
none=$(cold_gp "$work/cache-none" "")
hole=$(cold_gp "$work/cache-hole" "http://127.0.0.1:$hole_port/c")
export ZCWRAP_DIR=$work/cache-hole
timeouts=$(stat_of remote_storage_timeout)
echo "remote_machines: cold 300-file build: no remote $none s, black hole $hole s" \
     "($timeouts timeouts, $(stat_of remote_storage_skipped) skipped)"
awk -v n="$none" -v h="$hole" 'BEGIN { exit !(h <= n * 1.10) }' ||
  fail "the black hole made the cold build $(awk -v n="$none" -v h="$hole" \
    'BEGIN { printf "%.1f", (h / n - 1) * 100 }')% slower (limit 10%)"
clean_gp
python3 "$work/run_db.py" "$gp" || true
echo "PASS (daemon $daemon): remote tiers on real projects ($((SECONDS - start)) s)"
