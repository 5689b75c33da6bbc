#!/usr/bin/env bash
# libzcshim.a (shim/static, docs/static-linking.md) as the hosts that ship one binary use it:
#   1. the archive: only zc_* symbols global, position-independent code (a PIE links it);
#   2. a C host linked `cc host.c libzcshim.a -lstdc++ -lm -lpthread -ldl`, and with
#      `pkg-config --libs zcshim-static`, and one with libraries of its own (a ZSTD_versionNumber
#      of its own, the static libcrypto) that would clash with unhidden copies: each compiles a
#      file twice, a miss then a hit with the plain compiler's object, with no libzcshim.so,
#      rpath or LD_LIBRARY_PATH;
#   3. a Rust host crate depending on shim/rust with `features = ["static"]`, built offline with
#      the system cargo: the same compile twice, and the same binary checks;
#   4. `cargo check` and `cargo doc --no-deps` of shim/rust with no library to be found succeed,
#      with a warning.
#
#   tests/shim/static_host_test.sh BUILD_DIR SOURCE_DIR
#
# Exit 77 (Meson's "skipped") for a sanitizer build or one without the archive
# (-Dstatic_crypto=false), and without /usr/bin/cargo unless CI is set (then 1: CI must run it).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
archive="$build_dir/shim/static/libzcshim.a"
include_dir="$source_dir/shim/include"

for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc; do
  if [ ! -x "$tool" ]; then
    if [ -n "${CI:-}" ]; then
      echo "FAIL: $tool is missing (apt-get install cargo); CI=$CI must run this test" >&2
      exit 1
    fi
    echo "SKIP: $tool is missing (apt-get install cargo)"
    exit 77
  fi
done
options="$build_dir/meson-info/intro-buildoptions.json"
if [ -f "$options" ]; then
  if grep -Eq '"name": "sanitize", "value": true' "$options" ||
    grep -Eo '"name": "b_sanitize", "value": "[^"]*"' "$options" | grep -vq '"none"'; then
    echo "SKIP: $build_dir is a sanitizer build; libzcshim.a is not built for those"
    exit 77
  fi
fi
if [ ! -f "$archive" ]; then
  if grep -q '"name": "static_crypto", "value": false' "$options" 2>/dev/null; then
    echo "SKIP: $build_dir has -Dstatic_crypto=false; libzcshim.a is built from the static archives"
    exit 77
  fi
  echo "error: $archive is missing: build it (ninja -C $build_dir shim/static/libzcshim.a)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/zcshim-static-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# 1. The archive.
before=$failures
leaked=$(nm -g --defined-only "$archive" | awk 'NF == 3 && $3 !~ /^zc_/')
[ -z "$leaked" ] || fail "global symbols other than zc_* in libzcshim.a: $(echo "$leaked" | head -5)"
nm -g --defined-only "$archive" | grep -q ' T zc_service_start$' ||
  fail "libzcshim.a does not define zc_service_start"
# Absolute 32-bit relocations outside the debug sections: code a PIE cannot hold.
absolute=$(readelf -rW "$archive" | awk '/^Relocation section/ {debug = ($3 ~ /debug/)}
  !debug && / R_X86_64_32S? / {n++} END {print n + 0}')
[ "$absolute" = 0 ] || fail "libzcshim.a has $absolute absolute 32-bit relocations: not PIC"
[ "$failures" != "$before" ] ||
  echo "ok: libzcshim.a ($(du -h "$archive" | cut -f1)): only zc_* global, position-independent"

# The host's checks of one binary: self-contained, then a miss and a hit through it.
check_binary() {  # NAME BINARY
  local dynamic
  dynamic=$(readelf -d "$2")
  if echo "$dynamic" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    fail "$1: has an rpath: $(echo "$dynamic" | grep -E 'RPATH|RUNPATH')"
  fi
  if echo "$dynamic" | grep -q 'NEEDED.*libzcshim'; then
    fail "$1: needs libzcshim.so"
  fi
  rm -rf "$work/run" && mkdir "$work/run"
  printf 'int answer(void) { return 42; }\n' >"$work/run/a.c"
  (cd "$work/run" && gcc -c a.c -o plain.o)
  if ! (cd "$work/run" && env -u LD_LIBRARY_PATH "$2" "$work/run/cache" "$work/run"); then
    fail "$1: failed"
    return
  fi
  cmp -s "$work/run/a.o" "$work/run/plain.o" || fail "$1: the hit's a.o differs from plain gcc's"
  echo "ok: $1: a miss then a hit, a.o as gcc's; no rpath, no libzcshim.so"
}

# 2. C hosts.
cat >"$work/host.c" <<'C'
/* host CACHE_DIR WORK_DIR: compiles WORK_DIR/a.c twice through one service; the second must be a hit. */
#include <stdio.h>
#include <zcshim.h>
#ifdef HOST_OWN_LIBS /* libraries of the host's own, linked beside libzcshim.a */
#include <openssl/evp.h>
/* "Its own zstd": a definition libzcshim.a's (hidden) zstd also has. */
unsigned ZSTD_versionNumber(void);
unsigned ZSTD_versionNumber(void) { return 1; }
#endif
int main(int argc, char** argv) {
  if (argc != 3) return 2;
#ifdef HOST_OWN_LIBS
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  if (!EVP_Digest("abc", 3, md, &md_len, EVP_sha256(), NULL) || md_len != 32 ||
      ZSTD_versionNumber() != 1) {
    fprintf(stderr, "the host's own libcrypto or zstd failed\n");
    return 1;
  }
#endif
  zc_config config = ZC_CONFIG_INIT;
  config.cache_root = argv[1];
  config.host.product = "soldr";
  config.host.instance_id = "main";
  config.host.workspace_id = "ws";
  zc_service* service = NULL;
  if (zc_service_start(&config, &service) != ZC_OK) {
    fprintf(stderr, "zc_service_start: %s\n", zc_last_error());
    return 1;
  }
  const char* args[] = {"gcc", "-c", "a.c", "-o", "a.o"};
  int outcomes[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = args;
    request.argc = 5;
    request.cwd = argv[2];
    zc_compile_result* result = NULL;
    if (zc_service_compile(service, &request, &result) != ZC_OK) {
      fprintf(stderr, "zc_service_compile: %s\n", zc_last_error());
      return 1;
    }
    outcomes[i] = result->exit_code == 0 ? (int)result->outcome : -1;
    zc_compile_result_free(result);
  }
  zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);
  zc_service_free(service);
  if (outcomes[0] != ZC_OUTCOME_MISS || outcomes[1] != ZC_OUTCOME_HIT) {
    fprintf(stderr, "outcomes %d then %d, want miss (%d) then hit (%d)\n", outcomes[0],
            outcomes[1], ZC_OUTCOME_MISS, ZC_OUTCOME_HIT);
    return 1;
  }
  return 0;
}
C
cflags=(-std=c11 -Wall -Wextra -Werror -I"$include_dir")
if cc "${cflags[@]}" -o "$work/c_host" "$work/host.c" "$archive" -lstdc++ -lm -lpthread -ldl; then
  check_binary "C host (cc host.c libzcshim.a -lstdc++ -lm -lpthread -ldl)" "$work/c_host"
else
  fail "C host: cc host.c libzcshim.a -lstdc++ -lm -lpthread -ldl does not link"
fi
pc_flags=$(PKG_CONFIG_PATH="$build_dir/meson-uninstalled" pkg-config --cflags --libs zcshim-static)
# shellcheck disable=SC2086 # pkg-config's flags are words
if cc -std=c11 -Wall -Wextra -Werror -o "$work/c_host_pc" "$work/host.c" $pc_flags; then
  check_binary "C host (pkg-config --libs zcshim-static)" "$work/c_host_pc"
else
  fail "C host: cc host.c \$(pkg-config --cflags --libs zcshim-static) does not link"
fi
# libcrypto.a after libzcshim.a: its members come in for the host's EVP calls, which an unhidden
# libcrypto inside libzcshim.a would have satisfied instead.
if cc "${cflags[@]}" -DHOST_OWN_LIBS -o "$work/c_host_own" "$work/host.c" "$archive" \
  "$(cc -print-file-name=libcrypto.a)" -lstdc++ -lm -lpthread -ldl; then
  check_binary "C host with a ZSTD_versionNumber and a static libcrypto of its own" \
    "$work/c_host_own"
else
  fail "C host with a ZSTD_versionNumber and a static libcrypto of its own does not link (clash?)"
fi

# 3. The Rust host: the system toolchain only, a private CARGO_HOME (no registry, no user
# configuration), the archive found as an uninstalled Meson build's (pkg-config zcshim).
export CARGO_HOME="$build_dir/cargo-home"
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
unset RUSTUP_TOOLCHAIN RUSTFLAGS RUSTDOCFLAGS CARGO_BUILD_TARGET ZCSHIM_STATIC_LIB_DIR \
  ZCSHIM_INCLUDE_DIR ZCWRAP_EMBEDDED
host="$build_dir/rust-static-host"
rm -rf "$host"
mkdir -p "$host/src"
cat >"$host/Cargo.toml" <<TOML
[package]
name = "zcshim-static-host"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
zcshim = { path = "$source_dir/shim/rust", features = ["static"] }

[workspace]
TOML
cat >"$host/src/main.rs" <<'RUST'
//! zcshim-static-host CACHE_DIR WORK_DIR: compiles WORK_DIR/a.c twice; the second must be a hit.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (cache, dir) = (&args[1], &args[2]);
    let config = zcshim::Config::new(cache, zcshim::HostIdentity::new("soldr", "main", "ws"));
    let service = zcshim::Service::start(&config).expect("Service::start");
    let request = zcshim::CompileRequest::new(["gcc", "-c", "a.c", "-o", "a.o"], dir);
    let first = service.compile(&request).expect("first compile");
    let second = service.compile(&request).expect("second compile");
    assert_eq!(first.exit_code, 0, "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(first.outcome, zcshim::Outcome::Miss, "{}", first.reason);
    assert_eq!(second.outcome, zcshim::Outcome::Hit, "{}", second.reason);
}
RUST
export CARGO_TARGET_DIR="$build_dir/rust-static-target"
if PKG_CONFIG_PATH="$build_dir/meson-uninstalled" \
  /usr/bin/cargo build --offline --quiet --manifest-path "$host/Cargo.toml"; then
  check_binary "Rust host (zcshim with features = [\"static\"])" \
    "$CARGO_TARGET_DIR/debug/zcshim-static-host"
else
  fail "Rust host with features = [\"static\"] does not build"
fi

# 4. No library anywhere (not even an installed one): cargo check and cargo doc still work.
before=$failures
export CARGO_TARGET_DIR="$build_dir/rust-nolib-target"
for features in "" static; do
  for command in check "doc --no-deps"; do
    # shellcheck disable=SC2086 # the command's words
    if PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent /usr/bin/cargo $command \
      --offline --features "$features" --manifest-path "$source_dir/shim/rust/Cargo.toml" \
      >"$work/nolib.log" 2>&1; then
      grep -q 'warning: zcshim: libzcshim not found' "$work/nolib.log" ||
        fail "cargo $command (features: '$features') without the library: no warning"
    else
      cat "$work/nolib.log" >&2
      fail "cargo $command (features: '$features') fails without the library"
    fi
  done
done
[ "$failures" != "$before" ] || echo "ok: cargo check and cargo doc without the library (a warning)"

if [ "$failures" != 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
