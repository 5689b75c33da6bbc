#!/usr/bin/env bash
# Installs the Debian 12 packages zcwrap needs (only the missing ones), then configures and builds.
#
#   scripts/bootstrap.sh                 # build/ : release-ish build (debugoptimized)
#   scripts/bootstrap.sh --sanitize      # build-asan/ : everything under ASan + UBSan
#   scripts/bootstrap.sh --zcwrap-only   # build/ : only the zcwrap binary (scripts/demo.sh)
#
# Idempotent: with everything installed and built it only checks and returns (well under a second
# for the package check). Set ZCWRAP_WERROR=1 (CI does) to turn warnings into errors.
set -euo pipefail

cd "$(dirname "$0")/.."

build_dir=build
meson_args=(--wrap-mode=nodownload)
targets=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_dir=build-asan; meson_args+=(-Dsanitize=true) ;;
    --zcwrap-only) targets=(wrapper/zcwrap) ;;
    *)
      echo "bootstrap.sh: unknown argument '$arg' (expected --sanitize or --zcwrap-only)" >&2
      exit 2
      ;;
  esac
done
if [ "${ZCWRAP_WERROR:-0}" = 1 ]; then
  meson_args+=(--werror)
fi

scripts/install_packages.sh

if [ ! -f "$build_dir/build.ninja" ]; then
  # Named compilers: with CC/CXX unset, Meson wraps them in ccache or sccache when either is
  # installed (scripts/bench.sh installs both), and our own build must not depend on them.
  CC="${CC:-cc}" CXX="${CXX:-c++}" meson setup "$build_dir" "${meson_args[@]}"
fi
ninja -C "$build_dir" "${targets[@]}"
