#!/usr/bin/env bash
# Windows cross-compile checks with Debian 12's mingw-w64 toolchain: what can be checked for
# Windows on this Linux machine today (docs/portability.md, "What CI checks today").
#
#   scripts/mingw_check.sh          # the C ABI for a Windows host; exit 1 on a failure
#
# Checks:
#   1. shim/include/zcshim.h compiles as C (c99, c11) and C++ (c++11, c++20), for a host and
#      with ZC_BUILDING_SHIM, with -Wall -Wextra -Wpedantic -Werror.
#   2. A C host and a C++ host that name every zc_ function link against an import library of
#      those names (dlltool), as they would against libzcshim.dll: the header declares C symbols.
#   3. Exports: a DLL built from the header with -fvisibility=hidden exports only zc_ symbols
#      (ZC_API is __declspec(dllexport) there).
#   4. Only where Debian's Windows std for Rust is installed (libstd-rust-dev-windows, ~200 MB,
#      not in CI): the Rust crate, checked for x86_64-pc-windows-gnu, stops with its own one
#      clear error (docs/portability.md), not with errors from inside the crate.
#
# Installs nothing. Needs g++-mingw-w64-x86-64-posix (it brings gcc-mingw-w64-x86-64-posix,
# binutils-mingw-w64-x86-64 and mingw-w64-x86-64-dev); check 4 Debian's cargo and rustc
# (CARGO and RUSTC override /usr/bin/cargo and /usr/bin/rustc).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  "") ;;
  *) echo "usage: scripts/mingw_check.sh" >&2; exit 2 ;;
esac

triple=x86_64-w64-mingw32
for tool in "$triple-gcc" "$triple-g++" "$triple-dlltool" "$triple-objdump"; do
  if ! command -v "$tool" >/dev/null; then
    echo "mingw_check.sh: $tool is not installed (package g++-mingw-w64-x86-64-posix)" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
header=shim/include/zcshim.h
failed=()

run() {  # run NAME COMMAND...: runs the command, records NAME if it fails
  local name=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "ok    $name"
  else
    echo "FAIL  $name"
    sed 's/^/      /' "$work/out"
    failed+=("$name")
  fi
}

# 1. The header alone, as each language and standard, for a host and for the library itself.
echo '#include "zcshim.h"' >"$work/header.c"
warn=(-Wall -Wextra -Wpedantic -Werror)
for std in c99 c11; do
  for side in host shim; do
    def=()
    [ "$side" = shim ] && def=(-DZC_BUILDING_SHIM)
    run "zcshim.h as C ($std, $side)" "$triple-gcc" -std="$std" "${warn[@]}" "${def[@]}" \
      -Ishim/include -x c -c "$work/header.c" -o "$work/header.o"
  done
done
for std in c++11 c++20; do
  for side in host shim; do
    def=()
    [ "$side" = shim ] && def=(-DZC_BUILDING_SHIM)
    run "zcshim.h as C++ ($std, $side)" "$triple-g++" -std="$std" "${warn[@]}" "${def[@]}" \
      -Ishim/include -x c++ -c "$work/header.c" -o "$work/header.o"
  done
done

# 2. Every function the header declares (ZC_API ... zc_name(), linked by a C host through an
# import library that holds exactly those names.
mapfile -t functions < <(sed -n 's/^ZC_API .*[ *]\(zc_[a-z_]*\)(.*/\1/p' "$header")
if [ ${#functions[@]} -lt 10 ]; then
  echo "FAIL  found only ${#functions[@]} ZC_API functions in $header (the pattern is stale)"
  failed+=("function list")
else
  {
    echo "LIBRARY zcshim.dll"
    echo "EXPORTS"
    printf '  %s\n' "${functions[@]}"
  } >"$work/zcshim.def"
  {
    echo '#include "zcshim.h"'
    echo 'typedef void (*any_fn)(void);'
    echo 'int main(void) {'
    echo '  static const any_fn all[] = {'
    printf '      (any_fn)%s,\n' "${functions[@]}"
    echo '  };'
    echo '  return all[0] == 0;'
    echo '}'
  } >"$work/host.c"
  run "import library of ${#functions[@]} zc_ functions (dlltool)" \
    "$triple-dlltool" -d "$work/zcshim.def" -l "$work/libzcshim.dll.a"
  run "a C host links against it" "$triple-gcc" -std=c99 "${warn[@]}" -Ishim/include \
    "$work/host.c" -L"$work" -lzcshim -o "$work/host.exe"
  run "a C++ host links against it (extern \"C\")" "$triple-g++" -std=c++20 "${warn[@]}" \
    -Ishim/include -x c++ "$work/host.c" -L"$work" -lzcshim -o "$work/host_cc.exe"
fi

{
  # 3. What a DLL built from the header exports: only zc_ names, as zcshim.map does on Linux.
  cat >"$work/stub.cc" <<'EOF'
#include "zcshim.h"
namespace zc::util {
int Helper() { return 0; }  // stands for cachecore: must not be exported
}  // namespace zc::util
uint32_t zc_abi_version(void) { return ZC_ABI_VERSION + static_cast<uint32_t>(zc::util::Helper()); }
EOF
  exports() {
    "$triple-g++" -std=c++20 -DZC_BUILDING_SHIM -fvisibility=hidden -Ishim/include -shared \
      "$work/stub.cc" -o "$work/stub.dll" &&
      "$triple-objdump" -p "$work/stub.dll" |
      sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/{/Table/d;s/^.*\] //p;}' >"$work/exports" &&
      if grep -v '^zc_' "$work/exports" >"$work/extra"; then
        echo "exported besides zc_ symbols: $(paste -sd' ' "$work/extra")"
        return 1
      fi
  }
  run "a DLL exports only zc_ symbols" exports
}

# 4. The Rust crate for Windows: one clear error of its own (type check only).
cargo=${CARGO:-/usr/bin/cargo}
rustc=${RUSTC:-/usr/bin/rustc}
if [ -x "$rustc" ] && [ -d "$("$rustc" --print sysroot)/lib/rustlib/x86_64-pc-windows-gnu" ]; then
  rust() {
    if (cd shim/rust && RUSTC="$rustc" "$cargo" check --offline --target x86_64-pc-windows-gnu \
      --target-dir "$work/target" --message-format short) >"$work/rust" 2>&1; then
      echo "the crate checked for Windows: the compile_error! guard is gone"
      return 1
    fi
    # Exactly one error, the crate's own (short format: "file:line:col: error: ...").
    grep -q 'zcshim supports Linux only for now' "$work/rust" &&
      [ "$(grep -c ': error' "$work/rust")" = 1 ] || { cat "$work/rust"; return 1; }
  }
  run "shim/rust for x86_64-pc-windows-gnu stops with one clear error" rust
else
  echo "skip  shim/rust for Windows (no Windows std for $rustc: libstd-rust-dev-windows)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "mingw_check.sh: ${#failed[@]} check(s) failed" >&2
  exit 1
fi
echo "mingw_check.sh: all checks passed"
