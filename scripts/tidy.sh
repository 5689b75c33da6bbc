#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks) over the given files, or over every .cc of cachecore,
# wrapper and shim, with build/'s compile commands. Not part of CI: a full run takes minutes.
#
#   scripts/tidy.sh                              # everything
#   scripts/tidy.sh cachecore/compile/engine.cc  # one file
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/compile_commands.json ] || { echo "tidy.sh: configure build/ first (scripts/bootstrap.sh)" >&2; exit 1; }
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files 'cachecore/*.cc' 'wrapper/*.cc' 'shim/*.cc'); fi
clang-tidy -p build --quiet "${files[@]}"
