#!/usr/bin/env bash
# The one-command comparison (issue 7): micro-benchmarks, then /usr/src/googletest and a generated
# project of a few hundred C and C++ files replayed through every backend (plain compiler, zcwrap
# with the daemon off and on, the in-process shim, ccache, sccache), cold and warm; then warm builds
# served by remote tiers (bench/remote_tiers.sh: zcwrap on Redis, HTTP and S3, ccache on the same
# Redis and HTTP, against the local tier and the plain compiler). Writes raw JSON, summary.md and
# SVG charts to bench/results/<date>/.
#
#   scripts/bench.sh                       # as root on Debian 12, from a clone; ~25 min on 2 cores
#   BENCH_ROUNDS=3 scripts/bench.sh        # medians of 3 replays per (backend, mode)
#
# Environment (all optional):
#   BENCH_ROUNDS=1        replays per (backend, mode)
#   BENCH_JOBS=2          zc_replay -j
#   BENCH_FILES=300       sources in the generated project
#   BENCH_BACKENDS="plain zcwrap-off zcwrap-daemon shim ccache sccache"
#   BENCH_MICRO=1         run the Google Benchmark micro-suite (0: skip it)
#   BENCH_GTEST_TESTS=0   1: also replay googletest's own tests (85 compiles instead of 4; slow)
#   BENCH_REMOTE=1        run bench/remote_tiers.sh (0: skip it)
#   BENCH_NINJA_JOBS      ninja -j for building (default: ninja's own)
#   BENCH_BUILD_DIR=build-bench, BENCH_WORK=/tmp/zcwrap-bench, BENCH_OUT=bench/results/<date>
#
# Installs what is missing with apt-get (root only), like scripts/bootstrap.sh. Every daemon and
# server it starts is stopped on exit, also on Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD

rounds=${BENCH_ROUNDS:-1}
jobs=${BENCH_JOBS:-2}
files=${BENCH_FILES:-300}
backends=(${BENCH_BACKENDS:-plain zcwrap-off zcwrap-daemon shim ccache sccache})
build_dir=${BENCH_BUILD_DIR:-build-bench}
work=${BENCH_WORK:-/tmp/zcwrap-bench}
out=${BENCH_OUT:-}
if [ -z "$out" ]; then
  out=bench/results/$(date +%Y-%m-%d)
  n=2
  while [ -e "$out" ]; do out=bench/results/$(date +%Y-%m-%d)-$n; n=$((n + 1)); done
fi

log() { echo "bench.sh: $*" >&2; }

# --- Packages: what scripts/bootstrap.sh installs, plus the peers and the chart tool ------------
scripts/install_packages.sh ccache sccache hyperfine gnuplot-nox

# --- Cleanup: stop whatever the replays left running (they stop their own servers unless killed)
replay_pids=()
cleanup() {
  local pid proc
  for pid in "${replay_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  # Servers inherit ZC_REPLAY_MARKER=<zc_replay pid>-<backend>: stop those of our replays only.
  [ ${#replay_pids[@]} -gt 0 ] || return 0
  local marker
  marker="^ZC_REPLAY_MARKER=($(IFS='|'; echo "${replay_pids[*]}"))-"
  for proc in /proc/[0-9]*; do
    if { tr '\0' '\n' <"$proc/environ" | grep -Eq "$marker"; } 2>/dev/null; then
      log "stopping leftover server ${proc#/proc/}"
      kill -TERM "${proc#/proc/}" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Build ----------------------------------------------------------------------------------------
mkdir -p "$out/micro" "$work"
out=$(cd "$out" && pwd)
commands="$out/commands.txt"
: >"$commands"
record() {  # the command, quoted so that it can be pasted into a shell
  local line
  printf -v line '%q ' "$@"
  printf '%s\n' "${line% }" >>"$commands"
}

if [ ! -f "$build_dir/build.ninja" ]; then
  # An explicit compiler keeps Meson from wrapping the build itself in ccache or sccache.
  record env "CXX=${CXX:-c++}" meson setup "$build_dir" -Dbenchmarks=enabled -Dtests=disabled \
    --wrap-mode=nodownload
  CXX=${CXX:-c++} meson setup "$build_dir" -Dbenchmarks=enabled -Dtests=disabled \
    --wrap-mode=nodownload >/dev/null
fi
# zcwrap, zc_replay, libzcshim and every benchmark() with what it depends on; not the test suite.
# (Regenerate first, so that the introspection data knows about benchmarks added since.)
ninja -C "$build_dir" build.ninja >/dev/null
mapfile -t targets < <(python3 - "$build_dir" <<'EOF'
import json, os, sys
build = os.path.abspath(sys.argv[1])
info = os.path.join(build, "meson-info")
targets = json.load(open(os.path.join(info, "intro-targets.json")))
by_id = {t["id"]: t for t in targets}
wanted = set()
for t in targets:
    if t["name"] in ("zcwrap", "zc_replay", "zcshim"):
        wanted.update(t["filename"])
for b in json.load(open(os.path.join(info, "intro-benchmarks.json"))):
    wanted.add(b["cmd"][0])
    for d in b.get("depends", []):
        if d in by_id:
            wanted.update(by_id[d]["filename"])
for f in sorted(wanted):
    if f.startswith(build + "/"):
        print(os.path.relpath(f, build))
EOF
)
ninja_args=()
[ -n "${BENCH_NINJA_JOBS:-}" ] && ninja_args=(-j "$BENCH_NINJA_JOBS")
record ninja -C "$build_dir" "${ninja_args[@]}" "${targets[@]}"
ninja -C "$build_dir" "${ninja_args[@]}" "${targets[@]}" >/dev/null
zcwrap=$repo/$build_dir/wrapper/zcwrap
replay=$repo/$build_dir/bench/replay/zc_replay
[ -x "$replay" ] || { log "$replay was not built (is nlohmann-json3-dev installed?)"; exit 1; }
echo "zcwrap: $("$zcwrap" --version | head -1)" >"$out/machine.txt"
echo "zcwrap build: $build_dir ($(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown))" \
  >>"$out/machine.txt"

# --- (i) Micro-benchmarks -----------------------------------------------------------------------
if [ "${BENCH_MICRO:-1}" = 1 ]; then
  mapfile -t micro < <(python3 -c '
import json, sys
for b in json.load(open(sys.argv[1])): print(b["name"])' "$build_dir/meson-info/intro-benchmarks.json")
  for name in "${micro[@]}"; do
    cmd=(meson test -C "$build_dir" --benchmark --no-rebuild --verbose "$name"
         "--test-args=--benchmark_out=$out/micro/$name.json --benchmark_out_format=json")
    record "${cmd[@]}"
    log "micro-benchmark $name"
    if ! "${cmd[@]}" >"$out/micro/$name.log" 2>&1; then
      log "micro-benchmark $name failed (see $out/micro/$name.log)"
    fi
  done
fi

# --- (ii) Compilation databases -------------------------------------------------------------------
gtest_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
if [ "${BENCH_GTEST_TESTS:-0}" = 1 ]; then
  gtest_args+=(-Dgtest_build_tests=ON -Dgmock_build_tests=ON)
fi
rm -rf "$work/googletest"
record env CXX=g++ cmake -S /usr/src/googletest -B "$work/googletest" -G Ninja "${gtest_args[@]}"
CXX=g++ cmake -S /usr/src/googletest -B "$work/googletest" -G Ninja "${gtest_args[@]}" >/dev/null
record python3 bench/gen_project.py --out "$work/genproj" --files "$files"
python3 bench/gen_project.py --out "$work/genproj" --files "$files"

# --- (iii) Replays ----------------------------------------------------------------------------------
replay_project() {  # label database
  local label=$1 db=$2 backend mode rc
  : >"$out/replay-$label.jsonl"
  for backend in "${backends[@]}"; do
    mode=both
    [ "$backend" = plain ] && mode=cold  # no cache: a warm replay would only repeat the cold one
    local cmd=("$replay" --backend "$backend" --mode "$mode" -j "$jobs" --rounds "$rounds"
               --cache-dir "$work/caches" --zcwrap "$zcwrap" --label "$label" --json "$db")
    record "${cmd[@]}"
    log "replay $label $backend ($mode)"
    "${cmd[@]}" >>"$out/replay-$label.jsonl" 2>>"$out/replay-$label.log" &
    replay_pids+=($!)
    rc=0
    wait $! || rc=$?
    if [ $rc -ne 0 ]; then
      log "replay $label $backend exited with $rc (see $out/replay-$label.log)"
      [ $rc -eq 130 ] && exit 130
    fi
  done
}
replay_project googletest "$work/googletest/compile_commands.json"
replay_project genproj "$work/genproj/compile_commands.json"

# --- (iv) Remote tiers: warm builds served by each tier, hit latency in the daemon and raw ----------
if [ "${BENCH_REMOTE:-1}" = 1 ]; then
  remote_cmd=(env "BENCH_ROUNDS=$rounds" "BENCH_JOBS=$jobs" "BENCH_FILES=$files"
              bench/remote_tiers.sh "$zcwrap" "$out")
  record "${remote_cmd[@]}"
  log "remote tiers (bench/remote_tiers.sh)"
  rc=0
  "${remote_cmd[@]}" >"$out/remote-tiers.log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    log "bench/remote_tiers.sh exited with $rc (see $out/remote-tiers.log)"
    [ $rc -eq 130 ] && exit 130
  fi
fi

# --- (v) Report -------------------------------------------------------------------------------------
record python3 bench/render_report.py "$out"
python3 bench/render_report.py "$out" >/dev/null
log "results in $out (summary.md)"
cat "$out/summary.md"
