#!/usr/bin/env bash
# Builds tests/shim/c_api_acceptance.c the way a host would, against zcshim found with
# pkg-config only (the uninstalled .pc of this meson build), then runs it in a temp dir.
#
#   tests/shim/c_api_acceptance.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d /tmp/zcshim-c-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$src/tests/shim/c_host.sh"
build_c_host "$work/c_api_acceptance" "$src/tests/shim/c_api_acceptance.c"
mkdir "$work/run"
"$work/c_api_acceptance" "$work/run" "$build/wrapper/zcwrap"

# The async calls and the shared slots (issue 18), from another C program.
build_c_host "$work/c_async_acceptance" "$src/tests/shim/c_async_acceptance.c"
mkdir "$work/async"
"$work/c_async_acceptance" "$work/async"

# The C example in docs/embedding.md must build as it is shown.
awk '/^```c$/ {on = 1; next} /^```$/ {on = 0} on' "$src/docs/embedding.md" > "$work/doc_example.c"
test -s "$work/doc_example.c"
build_c_host "$work/doc_example" "$work/doc_example.c"
echo "ok: the C example in docs/embedding.md builds"
