#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite: unit and end-to-end tests.
#
#   scripts/test.sh               # build/
#   scripts/test.sh --sanitize    # build-asan/, everything under ASan + UBSan
#
# Ends with one line "N passed, N failed[, N skipped]" counting test programs, and for the plain
# build scripts/package_check.sh (the Debian packages in a fresh root) as one more.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
[ "${1:-}" = "--sanitize" ] && build_dir=build-asan
scripts/bootstrap.sh "$@"

status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 || status=$?

# The Debian packages, built and used in a fresh Debian root (scripts/package_check.sh): one more
# entry in the count below. Plain build only; ZCWRAP_SKIP_PACKAGE_CHECK=1 skips it (counted as
# skipped) for quick local runs.
package=
if [ "$build_dir" = build ]; then
  if [ "${ZCWRAP_SKIP_PACKAGE_CHECK:-0}" = 1 ]; then
    echo "package_check: SKIPPED (ZCWRAP_SKIP_PACKAGE_CHECK=1)"
    package=SKIP
  elif scripts/package_check.sh; then
    package=OK
  else
    package=FAIL
    [ "$status" != 0 ] || status=1
  fi
fi

python3 - "$build_dir/meson-logs/testlog.json" "$package" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    result = json.loads(line).get("result", "FAIL")
    key = result if result in counts else ("OK" if result == "EXPECTEDFAIL" else "FAIL")
    counts[key] += 1
if sys.argv[2]:
    counts[sys.argv[2]] += 1
print(f"{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
exit $status
