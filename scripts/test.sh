#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite: unit and end-to-end tests.
#
#   scripts/test.sh               # build/
#   scripts/test.sh --sanitize    # build-asan/, everything under ASan + UBSan
#
# Ends with one line "N passed, N failed[, N skipped]" counting test programs.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
[ "${1:-}" = "--sanitize" ] && build_dir=build-asan
scripts/bootstrap.sh "$@"

status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 || status=$?
python3 - "$build_dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    result = json.loads(line).get("result", "FAIL")
    key = result if result in counts else ("OK" if result == "EXPECTEDFAIL" else "FAIL")
    counts[key] += 1
print(f"{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
exit $status
