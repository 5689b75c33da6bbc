#!/usr/bin/env bash
# Cold-build overhead: /usr/src/googletest built from scratch, plain vs through zcwrap with an
# empty cache, alternating, N rounds; prints the medians and the ratio (issue 4: <= 1.05x).
#
#   bench/cold_build.sh build/wrapper/zcwrap [rounds]
set -euo pipefail
zcwrap=$(realpath "$1")
rounds=${2:-3}
src=/usr/src/googletest
work=$(mktemp -d /tmp/zcwrap-cold-XXXXXX)
trap 'ZCWRAP_DIR="$work/cache" "$zcwrap" --daemon-stop >/dev/null 2>&1; rm -rf "$work"' EXIT

build() {  # name [launcher] -> prints seconds
  local dir="$work/$1" launcher=()
  ZCWRAP_DIR="$work/cache" "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$work/cache"
  [ -n "${2:-}" ] && launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$2" -DCMAKE_CXX_COMPILER_LAUNCHER="$2")
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  local start end
  start=$(date +%s%N)
  ZCWRAP_DIR="$work/cache" ninja -C "$dir" >/dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

plain=(); cached=()
for ((i = 0; i < rounds; i++)); do
  plain+=("$(build plain)")
  cached+=("$(build zcwrap "$zcwrap")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${plain[@]}"); z=$(median "${cached[@]}")
echo "plain build (ms):        ${plain[*]}  median $p"
echo "zcwrap cold build (ms):  ${cached[*]}  median $z"
awk -v p="$p" -v z="$z" 'BEGIN { printf "ratio zcwrap/plain: %.3f\n", z / p }'
