# Sourced by the shim's shell tests: builds a C host program the way a host would, against zcshim
# found with pkg-config only (the uninstalled .pc of the meson build in $build).
#
#   build=/path/to/build; . tests/shim/c_host.sh; build_c_host OUT SOURCE.c
build_c_host() {
  local flags libdir san=()
  flags=$(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --cflags --libs zcshim)
  libdir=$(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --libs-only-L zcshim |
    sed 's/^-L//; s/ .*//')
  # An ASan build's library needs the ASan runtime first in the program too.
  if grep -q -- '-fsanitize=address' "$build/build.ninja" 2>/dev/null; then
    san=(-fsanitize=address,undefined)
  fi
  cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -o "$1" "$2" $flags -pthread -Wl,-rpath,"$libdir"
}
