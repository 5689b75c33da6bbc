#!/usr/bin/env bash
# The main job: set up, then build a real project (Debian's /usr/src/googletest, with CMake and
# CMAKE_CXX_COMPILER_LAUNCHER=zcwrap) twice on a fresh cache, and show that the second build is all
# hits and produces the same objects.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --zcwrap-only  # the demo needs zcwrap alone, not the tests and benchmarks

zcwrap="$PWD/build/wrapper/zcwrap"
work=$(mktemp -d /tmp/zcwrap-demo-XXXXXX)
export ZCWRAP_DIR="$work/cache"
trap '"$zcwrap" --daemon-stop >/dev/null 2>&1; rm -rf "$work"' EXIT
TIMEFORMAT='took %R s (wall)'

cmake -S /usr/src/googletest -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER_LAUNCHER="$zcwrap" -DCMAKE_CXX_COMPILER_LAUNCHER="$zcwrap" >/dev/null

echo "== first build (cold cache) =="
time ninja -C "$work/build" >/dev/null
mkdir -p "$work/first"
find "$work/build" -name '*.o' -exec cp --parents {} "$work/first" \;

echo "first build: $("$zcwrap" --print-stats | awk '$1 == "cache_miss" { print $2 }') misses"
"$zcwrap" -z >/dev/null   # so the table below is the second build alone

ninja -C "$work/build" clean >/dev/null
echo "== second build after 'ninja clean' (warm cache) =="
time ninja -C "$work/build" >/dev/null

same=0; differ=0
while read -r obj; do
  if cmp -s "$obj" "$work/first$obj"; then same=$((same + 1)); else differ=$((differ + 1)); fi
done < <(find "$work/build" -name '*.o')
echo "objects identical to the first build: $same, different: $differ"
echo
"$zcwrap" -s
[ "$differ" = 0 ]
