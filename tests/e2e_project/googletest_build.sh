#!/usr/bin/env bash
# End-to-end on a real project: Debian's /usr/src/googletest built with CMake and
# CMAKE_<LANG>_COMPILER_LAUNCHER=zcwrap. After `ninja clean` the rebuild must be 100% hits and every
# object identical to the first build's; and a plain build (no launcher) must produce the same
# objects as the cached one.
#
#   googletest_build.sh /path/to/zcwrap
set -euo pipefail
zcwrap=$1
src=/usr/src/googletest
if [ ! -f "$src/CMakeLists.txt" ] || ! command -v cmake >/dev/null; then
  echo "SKIP: needs cmake and Debian's googletest sources in $src"
  exit 77
fi
work=$(mktemp -d /tmp/zcwrap-gtest-XXXXXX)
export ZCWRAP_DIR="$work/cache"
unset ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DAEMON
# The default configuration (the daemon starts on first use); stopped when done.
trap '"$zcwrap" --daemon-stop >/dev/null 2>&1; rm -rf "$work"' EXIT

configure() {  # dir [launcher]
  local launcher=()
  [ -n "${2:-}" ] && launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$2" -DCMAKE_CXX_COMPILER_LAUNCHER="$2")
  cmake -S "$src" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
}
stat_of() { "$zcwrap" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }
objects() { (cd "$1" && find . -name '*.o' | sort); }

configure "$work/cached" "$zcwrap"
ninja -C "$work/cached" >/dev/null
objects "$work/cached" > "$work/list"
[ -s "$work/list" ] || { echo "FAIL: no objects built"; exit 1; }
mkdir "$work/first"
(cd "$work/cached" && xargs -a "$work/list" cp --parents -t "$work/first")
misses=$(stat_of cache_miss)
count=$(wc -l < "$work/list")
[ "$misses" = "$count" ] || { echo "FAIL: first build: $misses misses for $count objects"; exit 1; }

"$zcwrap" -z >/dev/null
ninja -C "$work/cached" clean >/dev/null
ninja -C "$work/cached" >/dev/null
hits=$(( $(stat_of direct_cache_hit) + $(stat_of preprocessed_cache_hit) ))
misses=$(stat_of cache_miss)
if [ "$hits" != "$count" ] || [ "$misses" != 0 ]; then
  echo "FAIL: rebuild: $hits hits and $misses misses for $count objects"
  exit 1
fi
while read -r o; do
  cmp -s "$work/cached/$o" "$work/first/$o" || { echo "FAIL: $o differs after the cached rebuild"; exit 1; }
done < "$work/list"

configure "$work/plain"
ninja -C "$work/plain" >/dev/null
while read -r o; do
  # Release objects carry no paths, so the plain build in another directory must match byte for byte.
  cmp -s "$work/plain/$o" "$work/first/$o" || { echo "FAIL: $o differs from the plain compiler's"; exit 1; }
done < "$work/list"
echo "PASS: $count objects, rebuild 100% hits, identical to the first and to the plain build"
