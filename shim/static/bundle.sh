#!/usr/bin/env bash
# Bundles libzcshim and everything it needs but the system libraries into one static archive, in
# which only the zc_* functions are global (docs/static-linking.md):
#
#   1. ld -r: one relocatable object from zcshim's objects, pulling from libcachecore.a and the
#      static archives of the pkg-config MODULES (Abseil, libcrypto, libzstd, ...) only the members
#      it needs, as a final link would. Flags:
#        --force-group-allocation  resolves the COMDAT groups (inline functions, templates) here
#          and drops the groups; a kept group would be deduplicated against the host's own copy by
#          its signature name when the host links, hidden or not.
#        -d  allocates common symbols (libcrypto's OPENSSL_ia32cap_P): objcopy cannot hide them.
#   2. objcopy: STB_GNU_UNIQUE symbols (C++ inline variables, statics of inline functions) made
#      weak, since objcopy does not localize unique symbols; then every defined symbol but the
#      zc_* ones made local. Undefined references (libc, libstdc++) stay global, as they must.
#   3. ar rcs, after checking that the object defines no global symbol but zc_*.
#
#   bundle.sh OUTPUT "MODULES" INPUT...
#     OUTPUT   the archive to write (libzcshim.a)
#     MODULES  pkg-config names, blank-separated, whose static archives go in
#     INPUT    object files and static archives of this build (zcshim's objects, libcachecore.a)
#
# Tools: $LD, $OBJCOPY, $AR, $NM, $PKG_CONFIG, $CC (to find archives in the compiler's default
# library path); each defaults to its plain name.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 OUTPUT \"PKG_CONFIG_MODULES\" INPUT..." >&2
  exit 2
fi
output=$1
modules=$2
shift 2
: "${LD:=ld}" "${OBJCOPY:=objcopy}" "${AR:=ar}" "${NM:=nm}" "${PKG_CONFIG:=pkg-config}" "${CC:=cc}"

work=$(mktemp -d "${output}.tmp-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The modules' static archives, in pkg-config's order. The system libraries stay out: the host
# links them (-lstdc++ -lm -lpthread -ldl); libatomic too (nothing needs it on x86-64; were it
# needed, the test's link line would fail on __atomic_* references).
read -ra module_list <<<"$modules"
read -ra lib_dirs <<<"$($PKG_CONFIG --static --libs-only-L "${module_list[@]}" | sed 's/-L//g')"
archives=()
for flag in $($PKG_CONFIG --static --libs-only-l "${module_list[@]}"); do
  name=${flag#-l}
  case $name in c | m | dl | rt | pthread | atomic | stdc++ | gcc | gcc_s) continue ;; esac
  archive=
  for dir in "${lib_dirs[@]}"; do
    if [ -f "$dir/lib$name.a" ]; then
      archive=$dir/lib$name.a
      break
    fi
  done
  [ -n "$archive" ] || archive=$($CC -print-file-name="lib$name.a")
  if [ ! -f "$archive" ]; then
    echo "bundle.sh: no static archive lib$name.a for -l$name (pkg-config: $modules)" >&2
    exit 1
  fi
  archives+=("$archive")
done

# 1. One relocatable object.
$LD -r -d --force-group-allocation -o "$work/bundle.o" \
  --start-group "$@" "${archives[@]}" --end-group

# 2. Hide everything but zc_*.
$NM --defined-only "$work/bundle.o" | awk '$2 == "u" {print $3}' >"$work/unique.txt"
$NM --defined-only --extern-only "$work/bundle.o" | awk '$3 ~ /^zc_/ {print $3}' >"$work/keep.txt"
if [ ! -s "$work/keep.txt" ]; then
  echo "bundle.sh: the object defines no zc_* symbol; are zcshim's objects among the inputs?" >&2
  exit 1
fi
$OBJCOPY --weaken-symbols="$work/unique.txt" "$work/bundle.o" "$work/weak.o"
$OBJCOPY --keep-global-symbols="$work/keep.txt" "$work/weak.o" "$work/libzcshim.o"

# 3. Check, then archive.
leaked=$($NM --defined-only --extern-only "$work/libzcshim.o" | awk '$3 !~ /^zc_/')
if [ -n "$leaked" ]; then
  echo "bundle.sh: global symbols other than zc_* left in the object:" >&2
  echo "$leaked" | head -20 >&2
  exit 1
fi
rm -f "$output"
$AR rcsD "$output" "$work/libzcshim.o"
