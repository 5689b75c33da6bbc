#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages zcwrap needs to build and test, plus any named
# on the command line; only those missing. Used by bootstrap.sh and bench.sh.
#
#   scripts/install_packages.sh                      # build and test packages
#   scripts/install_packages.sh ccache sccache       # ... and these
set -euo pipefail

packages=(
  # build tools and libraries
  g++ gcc clang clang-format make cmake git pkg-config python3 meson ninja-build
  libabsl-dev libssl-dev libzstd-dev libxxhash-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # the benchmark replayer (bench/replay) and the Rust host crate (shim/rust)
  nlohmann-json3-dev
  cargo rustc
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install_packages.sh: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi
echo "install_packages.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
