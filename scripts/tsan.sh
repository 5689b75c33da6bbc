#!/usr/bin/env bash
# The daemon and the shim under ThreadSanitizer: daemon_unit_tests, shim_tests and the short
# daemon_load, in build-tsan/ (gcc 12, -Db_sanitize=thread). Only those targets are built.
#
#   scripts/tsan.sh              # configure (first time), build, run; exit status of the tests
#   scripts/tsan.sh --build-only
#
# Debian's Abseil is not instrumented: cachecore/util/tsan_absl_mutex.cc (linked into every
# binary of this build) announces absl::Mutex operations to TSan, and the check below makes sure
# the binaries use no absl/synchronization entry point it does not cover. Set ZCWRAP_WERROR=1
# (CI does) to turn warnings into errors. Details: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-tsan
build_only=0
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=1 ;;
    *)
      echo "tsan.sh: unknown argument '$arg' (expected --build-only)" >&2
      exit 2
      ;;
  esac
done

scripts/install_packages.sh

meson_args=(--wrap-mode=nodownload -Db_sanitize=thread -Dstatic_crypto=false
            -Dbenchmarks=disabled -Dtests=enabled)
if [ "${ZCWRAP_WERROR:-0}" = 1 ]; then
  meson_args+=(--werror)
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  # Named compilers, as in bootstrap.sh: never wrapped in a ccache the machine may have.
  CC="${CC:-cc}" CXX="${CXX:-c++}" meson setup "$build_dir" "${meson_args[@]}"
fi
targets=(wrapper/zcwrap tests/daemon/daemon_unit_tests tests/shim/shim_tests
         tests/load/daemon_load)
ninja -C "$build_dir" "${targets[@]}"

# Every absl/synchronization entry point that takes, releases or waits on a lock must be one
# tsan_absl_mutex.cc defines; a binary that still imports one from the uninstrumented library
# would lock behind TSan's back (and get false reports, or miss real races).
uncovered=$(for f in "$build_dir"/wrapper/zcwrap "$build_dir"/shim/libzcshim.so.0 \
                     "$build_dir"/tests/daemon/daemon_unit_tests "$build_dir"/tests/shim/shim_tests \
                     "$build_dir"/tests/load/daemon_load; do
              nm -DC --undefined-only "$f" | sed "s|^|${f#"$build_dir"/}: |"
            done | grep -E 'absl::[a-z0-9_]+::(Mutex::(Lock|Unlock|TryLock|Reader|Await|LockWhen)|CondVar::|Notification::|Barrier::|BlockingCounter::)' || true)
if [ -n "$uncovered" ]; then
  echo "tsan.sh: absl/synchronization calls that cachecore/util/tsan_absl_mutex.cc does not annotate:" >&2
  echo "$uncovered" >&2
  exit 1
fi
[ "$build_only" = 1 ] && exit 0

# halt_on_error: the first report fails the test (a daemon that halts fails daemon_load too).
# No suppressions: every report so far was ours and fixed (docs/reliability.md); a foreign
# false positive would go in a suppressions file here, each line with its reason.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4"
meson test -C "$build_dir" --no-rebuild --print-errorlogs --num-processes 1 \
  --timeout-multiplier 3 daemon_unit_tests shim_tests daemon_load
