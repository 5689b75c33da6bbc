#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages zcwrap needs to build and test, plus any named
# on the command line; only those missing. Used by bootstrap.sh, bench.sh and fuzz.sh.
#
#   scripts/install_packages.sh                      # build and test packages
#   scripts/install_packages.sh ccache sccache       # ... and these
set -euo pipefail

packages=(
  # build tools and libraries
  g++ gcc clang clang-format make cmake git pkg-config python3 meson ninja-build
  libabsl-dev libssl-dev libzstd-dev libxxhash-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # libFuzzer, for scripts/fuzz.sh (clang only recommends it; we install without recommends)
  libclang-rt-14-dev
  # remote tiers: hiredis (linked), libcurl (loaded at run time; its headers to build)
  libhiredis-dev libcurl4-openssl-dev
  # the real servers the remote-tier tests start (s3rver comes from npm, below)
  redis-server nginx-light
  # the compile farms the distributed-build tests start (tests/support/compile_farms.h)
  distcc icecc
  # the Debian packages (debian/) and scripts/package_check.sh: build, lint, a fresh root
  # (dpkg-buildpackage checks for build-essential, which a minimal Debian lacks)
  build-essential debhelper dpkg-dev lintian debootstrap debian-archive-keyring
  # the benchmark replayer (bench/replay) and the Rust host crate (shim/rust)
  nlohmann-json3-dev
  cargo rustc
  # Windows compile checks of the C ABI (scripts/mingw_check.sh, docs/portability.md)
  g++-mingw-w64-x86-64-posix
  "$@"
)

# npm: Debian's, unless the machine already has one (a nodejs that bundles npm conflicts with it).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install_packages.sh: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install_packages.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Packaged servers (redis-server, nginx, distccd, iceccd) must not start system-wide instances:
  # tests start their own. policy-rc.d answering 101 tells invoke-rc.d not to start anything.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

# s3rver, the S3-compatible server the S3 tier's tests start: from npm, pinned. The Debian
# packages above do not start servers (no init system in CI roots); the tests start their own.
S3RVER_VERSION=3.7.1
if ! command -v s3rver >/dev/null 2>&1 ||
   [ "$(s3rver --version 2>/dev/null)" != "$S3RVER_VERSION" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install_packages.sh: s3rver $S3RVER_VERSION missing; run as root or npm install -g" >&2
    exit 1
  fi
  echo "install_packages.sh: installing s3rver $S3RVER_VERSION from npm" >&2
  npm install -g --silent --no-audit --no-fund "s3rver@$S3RVER_VERSION" >/dev/null
fi
