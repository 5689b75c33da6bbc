#!/usr/bin/env bash
# The embedded path's perf delta measured through the Rust crate, as soldr calls it (issue 18
# item 9; docs/perf.md, "Issue 18: the embedded path through the Rust crate"). Builds
# bench/rust_shim (release, against a Meson build of zcwrap, system cargo, offline) and runs:
#   hit    warm hit latency: Service::compile with an explicit env, compile_async, env None,
#          audit on with request.audit ids, WrappedZcwrap (daemon on), zcwrap spawned directly;
#          interleaved rounds
#   miss   cold misses: distinct sources through the embedded and wrapped paths against plain g++,
#          interleaved per file
#   trace  execve and connect calls per compile under strace -f (embedded/wrapped x hit/miss;
#          the daemon traced too, attached by pid)
#   audit  compile.finished events carrying request.audit's run and command ids, per compile
#   ref    the C benchmark's A_ShimHit (env NULL) and D_ProcessHitDaemon in the same session
#
#   bench/rust_shim/run.sh [BUILD_DIR]          # default: build
#
# Environment: PHASES (default "hit ref miss trace audit"), HIT_ROUNDS (20), HIT_PER_ROUND (100),
# MISS_FILES (40), AUDIT_FILES (20), TRACE_N (20), ZCSHIM_LINK (static | dynamic; default static:
# libzcshim.a linked into the bench, as a host shipping one binary does), LOAD_MAX (1.0) and
# LOAD_WAIT_S (1800): before each timed phase, wait until the 1-minute load is below LOAD_MAX,
# for at most LOAD_WAIT_S seconds (then measure anyway and say so). BENCH_WORK: where the build
# and the copies of the binaries go (default /tmp/zcshim-rust-bench).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "${1:-$source_dir/build}" && pwd)
phases=${PHASES:-hit ref miss trace audit}
work=${BENCH_WORK:-/tmp/zcshim-rust-bench}
link=${ZCSHIM_LINK:-static}
load_max=${LOAD_MAX:-1.0}
load_wait=${LOAD_WAIT_S:-1800}

for needed in "$build_dir/wrapper/zcwrap" "$build_dir/meson-uninstalled/zcshim-uninstalled.pc" \
  /usr/bin/cargo /usr/bin/rustc; do
  if [ ! -e "$needed" ]; then
    echo "error: $needed is missing (build $build_dir with ninja; apt-get install cargo)" >&2
    exit 1
  fi
done

load1() { cut -d' ' -f1 /proc/loadavg; }

# Waits for a quiet machine; prints the load it measures at.
wait_for_quiet() {
  local waited=0
  while awk -v l="$(load1)" -v m="$load_max" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "$load_wait" ]; then
      echo "_(load still $(load1) after ${waited} s: measured anyway)_"
      return
    fi
    sleep 15
    waited=$((waited + 15))
  done
  echo "_1-minute load before this phase: $(load1) (waited ${waited} s)._"
  echo
}

echo "# zcshim-bench run, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- $(g++ --version | head -1), $(/usr/bin/rustc --version), $(/usr/bin/cargo --version)"
echo "- zcwrap: $("$build_dir/wrapper/zcwrap" --version | tr '\n' ' '); source $(git -C "$source_dir" rev-parse --short HEAD) ($build_dir, $(grep -o '"buildtype", "value": "[a-z]*"' "$build_dir/meson-info/intro-buildoptions.json" | sed 's/.*: //'))"
echo "- libzcshim linked: $link; command: PHASES=\"$phases\" HIT_ROUNDS=${HIT_ROUNDS:-20} HIT_PER_ROUND=${HIT_PER_ROUND:-100} MISS_FILES=${MISS_FILES:-40} AUDIT_FILES=${AUDIT_FILES:-20} TRACE_N=${TRACE_N:-20} bench/rust_shim/run.sh"
echo

# Build (nice: the machine is shared), then run copies of the binaries, so a rebuild of
# $build_dir during the run changes nothing measured.
mkdir -p "$work"
features=()
[ "$link" = static ] && features=(--features static)
(
  export PKG_CONFIG_PATH="$build_dir/meson-uninstalled"
  export CARGO_TARGET_DIR="$work/target" CARGO_HOME="$work/cargo-home"
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  unset RUSTUP_TOOLCHAIN RUSTFLAGS CARGO_BUILD_TARGET ZCWRAP_EMBEDDED
  nice -n 10 /usr/bin/cargo build --offline --release --quiet "${features[@]}" \
    --manifest-path "$source_dir/bench/rust_shim/Cargo.toml"
) >&2
cp "$work/target/release/zcshim-bench" "$work/zcshim-bench.run"
cp "$build_dir/wrapper/zcwrap" "$work/zcwrap"
bench=$work/zcshim-bench.run
zcwrap=$work/zcwrap
# The bench's own environment must not configure zcwrap: env None then means a plain host.
for v in $(env | sed -n 's/^\(ZCWRAP_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
# And the same PATH as the requests' environment, so `env: None` differs from an explicit env
# only in how the environment reaches the service (a longer PATH costs a stat per entry).
export PATH=/usr/local/bin:/usr/bin:/bin

for phase in $phases; do
  case $phase in
    hit)
      wait_for_quiet
      "$bench" hit --zcwrap "$zcwrap" --rounds "${HIT_ROUNDS:-20}" \
        --per-round "${HIT_PER_ROUND:-100}" --warmup 20
      echo
      ;;
    miss)
      wait_for_quiet
      "$bench" miss --zcwrap "$zcwrap" --files "${MISS_FILES:-40}"
      echo
      ;;
    audit)
      "$bench" audit --zcwrap "$zcwrap" --files "${AUDIT_FILES:-20}"
      echo
      ;;
    trace)
      if ! command -v strace > /dev/null; then
        echo "error: strace is missing (apt-get install strace)" >&2
        exit 1
      fi
      n=${TRACE_N:-20}
      # Trace files outside the traced directories: the service watches the directories of the
      # files it reads with inotify, and strace writing into one of them would feed the watch.
      traces=$work/traces
      rm -rf "$traces"
      mkdir -p "$traces"
      echo "## Processes and connections per compile (strace -f -e trace=execve,connect, $n compiles each)"
      echo
      echo "| path | phase | outcomes | execve by the host's process tree | of which zcwrap / compiler driver / cc1plus, as, ... | execve by the daemon | connect (ok / failed) by the host's tree | connects the daemon made | per compile: processes started (driver and zcwrap; cc1plus and as not counted) | per compile: round trips |"
      echo "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"
      for path in embedded wrapped; do
        for kind in hit miss; do
          dir=$work/trace-$path-$kind
          rm -rf "$dir"
          "$bench" trace-setup --zcwrap "$zcwrap" --dir "$dir"
          daemon_pid=$(ZCWRAP_DIR=$dir/cache "$zcwrap" --daemon-status --json |
            sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
          strace -f -qq -e trace=execve,connect -o "$traces/$path-$kind.daemon" -p "$daemon_pid" &
          daemon_strace=$!
          sleep 1
          outcome=$(strace -f -qq -e trace=execve,connect -o "$traces/$path-$kind.host" \
            "$bench" trace --zcwrap "$zcwrap" --dir "$dir" --path "$path" --phase "$kind" --n "$n")
          sleep 1
          kill -INT "$daemon_strace"
          wait "$daemon_strace" || true
          ZCWRAP_DIR=$dir/cache "$zcwrap" --daemon-stop > /dev/null 2>&1 || true
          python3 - "$traces/$path-$kind.host" "$traces/$path-$kind.daemon" "$path" "$kind" "$n" "$outcome" <<'PY'
import re, sys
host, daemon, path, kind, n, outcome = sys.argv[1:7]
n = int(n)

def calls(file, window):
    """(name, first argument, ok) of each execve/connect, joining unfinished/resumed halves;
    with window, only those between the bench's two marker connects."""
    pending, out = {}, []
    for line in open(file):
        m = re.match(r'^(\d+)\s+(.*)$', line.rstrip('\n'))
        pid, rest = (m.group(1), m.group(2)) if m else ('0', line.rstrip('\n'))
        if rest.endswith('<unfinished ...>'):
            pending[pid] = rest[: -len('<unfinished ...>')]
            continue
        r = re.match(r'^<\.\.\. (\w+) resumed>(.*)$', rest)
        if r:
            rest = pending.pop(pid, r.group(1) + '(') + r.group(2)
        c = re.match(r'^(execve|connect)\((.*)\)\s+=\s+(-?\d+)', rest)
        if c:
            out.append((c.group(1), c.group(2), c.group(3) == '0'))
    if window:
        begin = [i for i, c in enumerate(out) if 'mark-begin' in c[1]]
        end = [i for i, c in enumerate(out) if 'mark-end' in c[1]]
        out = out[begin[0] + 1 : end[0]]
    return out

h = calls(host, True)
d = calls(daemon, False)
def execs(cs):
    return [c for c in cs if c[0] == 'execve' and c[2]]
def kinds(cs):
    z = sum('zcwrap' in c[1].split(',')[0] for c in cs)
    drv = sum(re.search(r'/(g\+\+|c\+\+|gcc)(-12)?"', c[1].split(',')[0]) is not None for c in cs)
    return z, drv, len(cs) - z - drv
he, de = execs(h), execs(d)
hz, hd, ho = kinds(he)
dz, dd, do = kinds(de)
hc = [c for c in h if c[0] == 'connect']
dc = [c for c in d if c[0] == 'connect']
hc_ok = sum(c[2] for c in hc)
processes = (hz + hd + dz + dd) / n
trips = hc_ok / n
print(f"| {path} | {kind} | {outcome.split(': ', 1)[-1]} | {len(he)} | {hz} / {hd} / {ho} | "
      f"{len(de)} ({dz} / {dd} / {do}) | {hc_ok} / {len(hc) - hc_ok} | {len(dc)} | "
      f"{processes:g} | {trips:g} |")
PY
          rm -rf "$dir"
        done
      done
      echo
      # What an explicit environment adds to an embedded hit, call by call.
      echo "### System calls per embedded hit: explicit env (30 variables) against \`env: None\`, and \`compile_async\` ($n hits each, \`strace -f\`, every call)"
      echo
      dir=$work/trace-syscalls
      rm -rf "$dir"
      "$bench" trace-setup --zcwrap "$zcwrap" --dir "$dir"
      for env in build none; do
        strace -f -qq -o "$traces/all-$env" "$bench" trace --zcwrap "$zcwrap" --dir "$dir" \
          --path embedded --phase hit --n "$n" --env "$env" > /dev/null
      done
      strace -f -qq -o "$traces/all-async" "$bench" trace --zcwrap "$zcwrap" --dir "$dir" \
        --path embedded --phase hit --n "$n" --env build --call async > /dev/null
      ZCWRAP_DIR=$dir/cache "$zcwrap" --daemon-stop > /dev/null 2>&1 || true
      python3 - "$traces/all-build" "$traces/all-none" "$traces/all-async" "$n" <<'PY'
import collections, re, sys
n = int(sys.argv[4])
def counts(file):
    c, on = collections.Counter(), False
    for line in open(file):
        if 'mark-begin' in line: on = True; continue
        if 'mark-end' in line: break
        m = re.match(r'^(?:\d+\s+)?([a-z_0-9]+)\(', line)
        if on and m: c[m.group(1)] += 1
    return c
env, none, asy = counts(sys.argv[1]), counts(sys.argv[2]), counts(sys.argv[3])
print("| call | (a) blocking, explicit env | (c) blocking, env None | (a) - (c) | (b) async, explicit env | (b) - (a) |")
print("|---|--:|--:|--:|--:|--:|")
names = sorted(set(env) | set(none) | set(asy), key=lambda k: (-(asy[k] - env[k]), -(env[k] - none[k]), -env[k], k))
for k in names:
    if env[k] != none[k] or asy[k] != env[k] or env[k] >= n:
        print(f"| {k} | {env[k] / n:g} | {none[k] / n:g} | {(env[k] - none[k]) / n:+g} | {asy[k] / n:g} | {(asy[k] - env[k]) / n:+g} |")
t = lambda c: sum(c.values()) / n
print(f"| **all** | {t(env):g} | {t(none):g} | {t(env) - t(none):+g} | {t(asy):g} | {t(asy) - t(env):+g} |")
PY
      rm -rf "$dir"
      echo
      ;;
    ref)
      ref=$build_dir/bench/ipc_layers_benchmark
      if [ -x "$ref" ]; then
        wait_for_quiet
        echo "## Reference: the C benchmark in the same session (env NULL, audit off)"
        echo
        echo '```'
        echo "ZCWRAP_BIN=$zcwrap $ref --benchmark_filter='BM_A_ShimHit/|BM_D_ProcessHitDaemon/' --benchmark_repetitions=5 --benchmark_report_aggregates_only=true"
        ZCWRAP_BIN=$zcwrap "$ref" --benchmark_filter='BM_A_ShimHit/|BM_D_ProcessHitDaemon/' \
          --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null |
          grep -E '^(BM_|Benchmark)'
        echo '```'
        echo
      fi
      ;;
    *)
      echo "error: unknown phase $phase" >&2
      exit 2
      ;;
  esac
done
echo "_1-minute load at the end: $(load1)._"
