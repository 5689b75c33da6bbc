#!/usr/bin/env bash
# A real project through libzcshim's async calls (c_project_async.c, built as a host builds it):
# tests/e2e_project/pch_project (Debian's googletest with precompiled headers, a generated
# header, a library of our own and its test program), configured with CMake. Its compile commands
# (each given -MD, for a side file) are run plainly, then from one thread of a C host through the
# embedded engine, precompiled headers first: cold, every compile a miss; warm (a new service on
# the same cache), every compile a hit. After each round every object and .d file is
# byte-identical to the plain run's, and the warm round's precompiled headers to the cold
# round's (gcc's differ from one run to the next).
#
#   tests/shim/project_async.sh BUILD_DIR SOURCE_DIR gcc|clang   (KEEP=1: keep the work directory)
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
compiler=$3
case "$compiler" in
  gcc) export CC=gcc CXX=g++ ;;
  clang) export CC=clang CXX=clang++ ;;
  *) echo "project_async.sh: the compiler must be gcc or clang" >&2; exit 2 ;;
esac
if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null ||
   [ ! -f /usr/src/googletest/CMakeLists.txt ]; then
  echo "FAIL: needs cmake, ninja and Debian's googletest sources (scripts/install_packages.sh)"
  exit 1
fi
work=$(mktemp -d /tmp/zcshim-project-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
unset ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DIRECT ZCWRAP_DIR
fail() { echo "FAIL ($compiler): $*"; exit 1; }

. "$src/tests/shim/c_host.sh"
build_c_host "$work/host" "$src/tests/shim/c_project_async.c"

tree="$work/build"
cmake -S "$src/tests/e2e_project/pch_project" -B "$tree" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
ninja -C "$tree" generated/app/build_info.h >/dev/null  # the one step before the compiles
# The commands for the host (precompiled headers, "wait", the rest) and every file they write.
python3 - "$tree/compile_commands.json" "$work/commands" "$work/outputs" <<'EOF'
import json, shlex, sys
entries = json.load(open(sys.argv[1]))
for e in entries:
    e["argv"] = shlex.split(e["command"])
    o = e["argv"].index("-o")
    e["output"] = e["argv"][o + 1]
    e["argv"][o:o] = ["-MD", "-MF", e["output"] + ".d"]  # a side file (CMake's are not listed)
pch = [e for e in entries if e["output"].endswith((".gch", ".pch"))]
rest = [e for e in entries if e not in pch]
assert pch and rest, "expected precompiled headers and their users"
outputs = []
with open(sys.argv[2], "w") as f:
    for wave in (pch, rest):
        if wave is rest:
            f.write("wait\n")
        for e in wave:
            f.write("\x1f".join([e["directory"], e["output"]] + e["argv"]) + "\n")
            outputs += [e["output"], e["output"] + ".d"]
with open(sys.argv[3], "w") as f:
    f.write("\n".join(outputs) + "\n")
EOF
compiles=$(grep -vc '^wait$' "$work/commands")

run_plain() {  # the commands, each wave in parallel, as the build tool would run them
  local pids=() f pid
  while IFS= read -r line; do
    if [ "$line" = wait ]; then
      for pid in "${pids[@]}"; do wait "$pid" || fail "a plain compile failed"; done
      pids=()
      continue
    fi
    IFS=$'\x1f' read -r -a f <<< "$line"
    (cd "${f[0]}" && exec "${f[@]:2}") &
    pids+=($!)
  done < "$work/commands"
  for pid in "${pids[@]}"; do wait "$pid" || fail "a plain compile failed"; done
}
run_plain
mkdir "$work/plain"
(cd "$tree" && xargs -a "$work/outputs" cp --parents -t "$work/plain")

# A precompiled header is compared with the one the cold round's compiler wrote, the rest with the
# plain run's.
same_as() {  # round reference-of-precompiled-headers
  while read -r f; do
    local ref="$work/plain/$f"
    case "$f" in *.gch | *.pch) ref="$2/$f" ;; esac
    cmp -s "$tree/$f" "$ref" || fail "$1 round: $f differs from ${ref#"$work"/}"
  done < "$work/outputs"
}
for round in miss hit; do
  (cd "$tree" && xargs -a "$work/outputs" rm -f)
  "$work/host" "$work/commands" "$work/cache" "$round" || fail "the $round round"
  if [ "$round" = miss ]; then
    mkdir "$work/cold"
    (cd "$tree" && grep -E '\.(gch|pch)$' "$work/outputs" | xargs cp --parents -t "$work/cold")
  fi
  same_as "$round" "$work/cold"
done

echo "PASS ($compiler): pch_project, $compiles compiles through zc_service_compile_async, cold" \
  "then warm; $(wc -l < "$work/outputs") outputs identical each time"
