#!/usr/bin/env bash
# Checks what `meson install` installs from this build, as a host and a shell user meet it:
#   1. every file in place under a temporary DESTDIR: zcwrap, libzcshim.so.0 (its SONAME) and
#      the .so link, zcshim.h, zcshim.pc, the man pages, bash and zsh completion;
#   2. zcshim.pc: -I and -L/-lzcshim pointing at the installed files, and no Requires or
#      Libs.private that a root with only libzcshim-dev would lack; a C host built with
#      `pkg-config --cflags --libs zcshim` against the installed tree runs;
#   3. the completion files name every long option `zcwrap --help` prints;
#   4. zcshim.3 documents every zc_/ZC_ name of zcshim.h, and carries the project's version.
#
#   tests/install/install_check.sh ZCWRAP BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
zcwrap=$(realpath "$1")
build=$(realpath "$2")
src=$(realpath "$3")
version=$4
work=$(mktemp -d /tmp/zcwrap-install-XXXXXX)
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# 1. The installed tree.
dest="$work/dest"
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; echo "FAIL: meson install" >&2; exit 1; }
prefix=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["prefix"])')
get_dir() {
  meson introspect "$build" --buildoptions |
    python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}[sys.argv[1]])' "$1"
}
under() { case "$1" in /*) echo "$dest$1" ;; *) echo "$dest$prefix/$1" ;; esac; }
bindir=$(under "$(get_dir bindir)")
libdir=$(under "$(get_dir libdir)")
includedir=$(under "$(get_dir includedir)")
mandir=$(under "$(get_dir mandir)")
datadir=$(under "$(get_dir datadir)")

for f in "$bindir/zcwrap" "$libdir/libzcshim.so.$version" "$includedir/zcshim.h" \
  "$libdir/pkgconfig/zcshim.pc" "$mandir/man1/zcwrap.1" "$mandir/man3/zcshim.3" \
  "$datadir/bash-completion/completions/zcwrap" "$datadir/zsh/vendor-completions/_zcwrap"; do
  [ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
[ -x "$bindir/zcwrap" ] || fail "zcwrap is not executable"
[ "$(readlink "$libdir/libzcshim.so.0")" = "libzcshim.so.$version" ] ||
  fail "libzcshim.so.0 is not a link to libzcshim.so.$version"
[ "$(readlink "$libdir/libzcshim.so")" = "libzcshim.so.0" ] ||
  fail "libzcshim.so (for -lzcshim) is not a link to libzcshim.so.0"
soname=$(readelf -d "$libdir/libzcshim.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libzcshim.so.0 ] || fail "SONAME is '$soname', want libzcshim.so.0 (package libzcshim0)"

# 2. zcshim.pc, as a host's pkg-config reads it (the DESTDIR as its sysroot).
pc="$libdir/pkgconfig/zcshim.pc"
if grep -Eq '^(Requires|Requires\.private|Libs\.private):' "$pc"; then
  fail "zcshim.pc names other packages or private libraries (a root with only libzcshim-dev lacks them):"
  grep -E '^(Requires|Requires\.private|Libs\.private):' "$pc" >&2
fi
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_LIBDIR=
[ "$(pkg-config --modversion zcshim)" = "$version" ] || fail "zcshim.pc: version is not $version"
cflags=$(pkg-config --cflags zcshim | xargs)  # xargs: without pkgconf's trailing blank
libs=$(pkg-config --libs zcshim | xargs)
[ "$cflags" = "-I$includedir" ] || fail "pkg-config --cflags zcshim: '$cflags', want '-I$includedir'"
[ "$libs" = "-L$libdir -lzcshim" ] || fail "pkg-config --libs zcshim: '$libs', want '-L$libdir -lzcshim'"
cat >"$work/host.c" <<'C'
#include <stdio.h>
#include <zcshim.h>
int main(void) {
  if (zc_abi_version() != ZC_ABI_VERSION) return 1;
  printf("%s\n", zc_status_message(ZC_OK));
  return 0;
}
C
san=()  # an ASan build's library needs the ASan runtime first in the program too
if grep -q -- '-fsanitize=address' "$build/build.ninja" 2>/dev/null; then
  san=(-fsanitize=address,undefined)
fi
# shellcheck disable=SC2086  # pkg-config's output is a list of flags
if cc -std=c11 -Wall -Werror "${san[@]}" -o "$work/host" "$work/host.c" $cflags $libs \
  -Wl,-rpath,"$libdir" 2>"$work/cc.log"; then
  env -u LD_LIBRARY_PATH "$work/host" >/dev/null || fail "a host built with pkg-config zcshim does not run"
else
  cat "$work/cc.log" >&2
  fail "a host does not build with \$(pkg-config --cflags --libs zcshim)"
fi

# 3. Completions: every long option of --help.
mapfile -t long_options < <("$zcwrap" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
[ ${#long_options[@]} -ge 10 ] || fail "zcwrap --help printed only ${#long_options[@]} long options"
# The lists the completions offer: bash's `local options='...'`, zsh's `options=( ... )`; --json
# is offered after the options that take it.
bash_list=$(sed -n "/local options='/,/'\$/p" "$src/wrapper/completions/zcwrap.bash")
zsh_list=$(sed -n '/^options=(/,/^)/p' "$src/wrapper/completions/_zcwrap" | grep -oE -- '--[a-z-]+')
for opt in "${long_options[@]}"; do
  if [ "$opt" = --json ]; then
    grep -q -- "'--json'" "$src/wrapper/completions/zcwrap.bash" ||
      fail "wrapper/completions/zcwrap.bash does not complete --json (from zcwrap --help)"
    grep -q -- "compadd -- --json" "$src/wrapper/completions/_zcwrap" ||
      fail "wrapper/completions/_zcwrap does not complete --json (from zcwrap --help)"
    continue
  fi
  grep -qw -- "$opt" <<<"$bash_list" ||
    fail "wrapper/completions/zcwrap.bash does not complete $opt (from zcwrap --help)"
  grep -qx -- "$opt" <<<"$zsh_list" ||
    fail "wrapper/completions/_zcwrap does not complete $opt (from zcwrap --help)"
done
bash -n "$src/wrapper/completions/zcwrap.bash" || fail "zcwrap.bash: syntax error"
if command -v zsh >/dev/null; then
  zsh -n "$src/wrapper/completions/_zcwrap" || fail "_zcwrap: syntax error"
fi

# 4. The C API man page.
man3="$src/shim/zcshim.3"
for name in $(grep -oE '\b(zc|ZC)_[A-Za-z0-9_]+' "$src/shim/include/zcshim.h" | sort -u); do
  grep -q -- "$name" "$man3" || fail "shim/zcshim.3 does not document $name (shim/include/zcshim.h)"
done
grep -q "^\.TH ZCSHIM 3 .*\"zcwrap $version\"" "$man3" ||
  fail "shim/zcshim.3: its .TH line does not say zcwrap $version"
if command -v man >/dev/null; then
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$man3" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "shim/zcshim.3: groff warnings: $warnings"
fi

if [ "$failures" -gt 0 ]; then
  echo "install_check: $failures failure(s)" >&2
  exit 1
fi
echo "install_check: ok (${#long_options[@]} long options completed; zcshim.pc: $cflags $libs)"
