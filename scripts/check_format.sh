#!/usr/bin/env bash
# Checks that every C++ file of the project is formatted as .clang-format says (clang-format 14,
# Debian 12's). Run by the test suite (meson test format); fix with --fix.
#
#   scripts/check_format.sh          # lists the files that differ; exit 1 if any
#   scripts/check_format.sh --fix    # formats them in place
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "check_format.sh: clang-format is not installed (scripts/install_packages.sh installs it)" >&2
  exit 1
fi
if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^subprojects/')
else
  mapfile -t files < <(find bench cachecore shim tests wrapper -name '*.cc' -o -name '*.h')
fi
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format.sh: not formatted as .clang-format says (fix: scripts/check_format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check_format.sh: ${#files[@]} files formatted"
