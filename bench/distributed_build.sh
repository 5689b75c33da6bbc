#!/usr/bin/env bash
# Distributed builds (issue 17): bench/gen_project.py's project built cold on one loopback distcc
# farm (tests/support/compile_farms.sh) by plain distcc, zcwrap + distcc (prefix_command, depend
# mode, the daemon on) and ccache + distcc (CCACHE_PREFIX), alternating, BENCH_ROUNDS rounds, plus
# the plain local compiler for scale. On one machine the farm cannot beat local compiles: what
# this measures is each cache's cost on top of the engine. Then, untimed:
#   - how many times each miss was preprocessed on this machine (execve of cc1/cc1plus with -E,
#     traced with strace -f through the whole build; zcwrap in-process there, as strace would wait
#     for a daemon it started), and how many
#     compiles the farm ran (distccd's dcc_compile_ok);
#   - a warm build of each cache after `make clean`: its time, and the farm's connections (none).
#
#   bench/distributed_build.sh build/wrapper/zcwrap          # ~12 min on 2 cores, 3 rounds
#   BENCH_ROUNDS=1 BENCH_FILES=60 bench/distributed_build.sh build/wrapper/zcwrap
#
# Environment: BENCH_ROUNDS=3, BENCH_FILES=300, BENCH_JOBS=8 (make -j: distcc's advice of about
# twice the farm's slots; the farm has 4), KEEP=1 (keep the work directory).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 ZCWRAP" >&2; exit 2; }
zcwrap=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${BENCH_ROUNDS:-3}
files=${BENCH_FILES:-300}
jobs=${BENCH_JOBS:-8}
for tool in distcc distccd ccache strace; do
  command -v "$tool" >/dev/null ||
    { echo "$tool is not installed (scripts/install_packages.sh ccache strace)" >&2; exit 1; }
done
# shellcheck source=../tests/support/compile_farms.sh
. "$repo/tests/support/compile_farms.sh"

work=$(mktemp -d /tmp/zcwrap-distbench-XXXXXX)
chmod 755 "$work"
cleanup() {
  ZCWRAP_DIR="$work/zcwrap-cache" "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  stop_servers
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
start_distcc "$work/farm" 4
proj=$work/proj
python3 "$repo/bench/gen_project.py" --out "$proj" --files "$files" 2>/dev/null
unset ZCWRAP_PREFIX CCACHE_PREFIX

# The environment and make variables of each variant.
variant_env() {
  case "$1" in
    local) echo "DISTCC_HOSTS=" ;;
    distcc) printf '%s\n' "${DISTCC_FARM_ENV[@]}" ;;
    zcwrap) printf '%s\n' "${DISTCC_FARM_ENV[@]}" ZCWRAP_PREFIX=distcc ZCWRAP_DAEMON=on \
              "ZCWRAP_DIR=$work/zcwrap-cache" ;;
    ccache) printf '%s\n' "${DISTCC_FARM_ENV[@]}" CCACHE_PREFIX=distcc \
              "CCACHE_DIR=$work/ccache-cache" CCACHE_MAXSIZE=5G ;;
  esac
}
variant_cc() {
  case "$1" in
    local) echo "gcc|g++" ;;
    distcc) echo "distcc gcc|distcc g++" ;;
    zcwrap) echo "$zcwrap gcc|$zcwrap g++" ;;
    ccache) echo "ccache gcc|ccache g++" ;;
  esac
}
make_with() {  # variant [wrapper...]: builds the project, prints nothing
  local v=$1 cc cxx
  shift
  IFS='|' read -r cc cxx <<<"$(variant_cc "$v")"
  mapfile -t env_vars < <(variant_env "$v")
  env "${env_vars[@]}" "$@" make -C "$proj" -j "$( [ "$v" = local ] && echo 2 || echo "$jobs")" \
    CC="$cc" CXX="$cxx" >/dev/null 2>"$work/$v.stderr" ||
    { tail -5 "$work/$v.stderr"; echo "the $v build fails" >&2; exit 1; }
}
fresh() {  # variant: a cold start (no objects, empty cache, no daemon)
  make -C "$proj" clean >/dev/null
  ZCWRAP_DIR="$work/zcwrap-cache" "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  rm -rf "$work/zcwrap-cache" "$work/ccache-cache"
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
timed() {  # variant -> prints ms
  local start
  fresh "$1"
  start=$(now_ms)
  make_with "$1"
  echo $(( $(now_ms) - start ))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A times
variants=(local distcc zcwrap ccache)
for ((r = 1; r <= rounds; r++)); do
  for v in "${variants[@]}"; do
    t=$(timed "$v")
    times[$v]="${times[$v]:-} $t"
    echo "round $r: $v cold $t ms" >&2
  done
done

# Untimed: preprocessor runs per miss, farm compiles; then warm builds.
declare -A cpp_runs farm_compiles warm_ms warm_contacts
for v in distcc zcwrap ccache; do
  fresh "$v"
  before=$(distcc_stat dcc_compile_ok)
  # zcwrap in-process (ZCWRAP_DAEMON=off, the same engine): strace follows every process it
  # starts, and waits for all of them, a daemon too.
  make_with "$v" strace -f -qq -e trace=execve -e signal=none -o "$work/$v.trace" \
    env ZCWRAP_DAEMON=off
  sleep 1
  farm_compiles[$v]=$(( $(distcc_stat dcc_compile_ok) - before ))
  # Preprocessing of a source; not the compiler's search-directory query (-v on /dev/null).
  cpp_runs[$v]=$(grep -E 'execve\("[^"]*/cc1(plus)?",' "$work/$v.trace" | grep '"-E"' |
    grep -v -c -e '"/dev/null"' -e '"-v"' || true)
  if [ "$v" != distcc ]; then
    make -C "$proj" clean >/dev/null
    before=$(distcc_stat dcc_tcp_accept)
    start=$(now_ms)
    make_with "$v"
    warm_ms[$v]=$(( $(now_ms) - start ))
    sleep 0.5
    warm_contacts[$v]=$(( $(distcc_stat dcc_tcp_accept) - before ))
  fi
done

m_local=$(median ${times[local]}); m_distcc=$(median ${times[distcc]})
m_zcwrap=$(median ${times[zcwrap]}); m_ccache=$(median ${times[ccache]})
cat <<EOF
Distributed cold build: $files sources (bench/gen_project.py), make -j$jobs, one loopback distccd
(--jobs 4), $rounds round(s), medians; $(nproc) cores, $(uname -r)

| build | cold (ms, each round) | median | vs plain distcc | cc1 -E runs | farm compiles | warm (ms) | farm contacts when warm |
|---|---|---|---|---|---|---|---|
| local gcc (make -j2) |${times[local]} | $m_local | $(awk -v a="$m_local" -v b="$m_distcc" 'BEGIN{printf "%.3f", a/b}') | | | | |
| plain distcc |${times[distcc]} | $m_distcc | 1.000 | ${cpp_runs[distcc]} | ${farm_compiles[distcc]} | | |
| zcwrap + distcc |${times[zcwrap]} | $m_zcwrap | $(awk -v a="$m_zcwrap" -v b="$m_distcc" 'BEGIN{printf "%.3f", a/b}') | ${cpp_runs[zcwrap]} | ${farm_compiles[zcwrap]} | ${warm_ms[zcwrap]} | ${warm_contacts[zcwrap]} |
| ccache + distcc |${times[ccache]} | $m_ccache | $(awk -v a="$m_ccache" -v b="$m_distcc" 'BEGIN{printf "%.3f", a/b}') | ${cpp_runs[ccache]} | ${farm_compiles[ccache]} | ${warm_ms[ccache]} | ${warm_contacts[ccache]} |
EOF
