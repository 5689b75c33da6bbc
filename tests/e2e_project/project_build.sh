#!/usr/bin/env bash
# End-to-end on a real project built with CMake and CMAKE_<LANG>_COMPILER_LAUNCHER=zcwrap: by
# default tests/e2e_project/pch_project (Debian's googletest with precompiled headers, a generated
# header, __has_include(MACRO), a test program), or the CMake project given:
#   - the first build stores every compile (the PCH compiles too): one miss each, nothing left
#     uncached;
#   - after `ninja clean` (which also removes the generated header, written again just before the
#     compiles that include it) the rebuild is 100% hits, every object identical to the first
#     build's, and the test program passes;
#   - a plain build (no launcher) produces the same objects.
#
#   project_build.sh /path/to/zcwrap gcc|clang on|off|auto [project]
#   (KEEP=1: keep the work directory)
set -euo pipefail
zcwrap=$1
compiler=$2
daemon=$3
here=$(cd "$(dirname "$0")" && pwd)
project=${4:-$here/pch_project}
if ! command -v cmake >/dev/null || [ ! -f /usr/src/googletest/CMakeLists.txt ] ||
   [ ! -f "$project/CMakeLists.txt" ]; then
  echo "FAIL: needs cmake and Debian's googletest sources (scripts/install_packages.sh)"
  exit 1
fi
case "$compiler" in
  gcc) export CC=gcc CXX=g++ ;;
  clang) export CC=clang CXX=clang++ ;;
  *) echo "project_build.sh: compiler must be gcc or clang" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/zcwrap-project-XXXXXX)
export ZCWRAP_DIR="$work/cache" ZCWRAP_DAEMON="$daemon"
unset ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DIRECT
[ -n "${KEEP:-}" ] || trap '"$zcwrap" --daemon-stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

configure() {  # dir [launcher]
  local launcher=()
  [ -n "${2:-}" ] && launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$2" -DCMAKE_CXX_COMPILER_LAUNCHER="$2")
  cmake -S "$project" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
}
stat_of() { "$zcwrap" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }
objects() { (cd "$1" && find . -name '*.o' | sort); }
fail() { echo "FAIL ($compiler, daemon $daemon): $*"; "$zcwrap" -s || true; exit 1; }

configure "$work/cached" "$zcwrap"
compiles=$(ninja -C "$work/cached" -t commands | grep -c -- "$zcwrap" || true)
[ "$compiles" -gt 0 ] || fail "no compile goes through zcwrap"
ninja -C "$work/cached" >/dev/null
objects "$work/cached" > "$work/list"
mkdir "$work/first"
(cd "$work/cached" && xargs -a "$work/list" cp --parents -t "$work/first")
misses=$(stat_of cache_miss)
[ "$misses" = "$compiles" ] || fail "first build: $misses stored misses for $compiles compiles"
[ "$(stat_of modified_input_file)" = 0 ] || fail "first build: inputs reported modified"

"$zcwrap" -z >/dev/null
ninja -C "$work/cached" clean >/dev/null
ninja -C "$work/cached" >/dev/null
hits=$(( $(stat_of direct_cache_hit) + $(stat_of preprocessed_cache_hit) ))
[ "$hits" = "$compiles" ] && [ "$(stat_of cache_miss)" = 0 ] ||
  fail "rebuild: $hits hits and $(stat_of cache_miss) misses for $compiles compiles"
while read -r o; do
  cmp -s "$work/cached/$o" "$work/first/$o" || fail "$o differs after the cached rebuild"
done < "$work/list"
if [ -x "$work/cached/app_test" ]; then
  "$work/cached/app_test" >/dev/null || fail "the rebuilt test program fails"
fi

configure "$work/plain"
ninja -C "$work/plain" >/dev/null
while read -r o; do
  # Release objects carry no paths: the plain build in another directory must match byte for byte.
  cmp -s "$work/plain/$o" "$work/first/$o" || fail "$o differs from the plain compiler's"
done < "$work/list"
echo "PASS ($(basename "$project"), $compiler, daemon $daemon): $compiles compiles, rebuild 100% hits" \
  "($(stat_of direct_cache_hit) direct, $(stat_of preprocessed_cache_hit) preprocessed)," \
  "$(wc -l < "$work/list") objects identical to the first and to the plain build"
