#!/usr/bin/env bash
# Runs the Rust host crate's tests (shim/rust: unit tests, doc tests and the parity gate) against a
# Meson build of zcwrap, with the system cargo, offline.
#
#   tests/shim/cargo_test.sh BUILD_DIR SOURCE_DIR [cargo test arguments, e.g. -- --nocapture]
#
# Exit 77 (Meson's "skipped") for a sanitizer build (a Rust test binary cannot load an
# ASan-instrumented libzcshim), and without /usr/bin/cargo, except in CI (CI set): there a
# missing toolchain fails, so the crate's tests cannot silently stop running.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR [cargo test arguments]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
shift 2

options="$build_dir/meson-info/intro-buildoptions.json"
if [ -f "$options" ]; then
  if grep -Eq '"name": "sanitize", "value": true' "$options" ||
     grep -Eo '"name": "b_sanitize", "value": "[^"]*"' "$options" | grep -vq '"none"'; then
    echo "SKIP: $build_dir is a sanitizer build; a Rust test binary cannot load an ASan libzcshim"
    exit 77
  fi
fi

for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc; do
  if [ ! -x "$tool" ]; then
    if [ -n "${CI:-}" ]; then
      echo "error: $tool is missing in CI (scripts/install_packages.sh installs cargo)" >&2
      exit 1
    fi
    echo "SKIP: $tool is missing (apt-get install cargo)"
    exit 77
  fi
done

for needed in "$build_dir/wrapper/zcwrap" "$build_dir/meson-uninstalled/zcshim-uninstalled.pc"; do
  if [ ! -e "$needed" ]; then
    echo "error: $needed is missing: build $build_dir first (ninja -C $build_dir)" >&2
    exit 1
  fi
done

# The system toolchain only (a rustup toolchain earlier in PATH must not be picked up, not even
# for doc tests), and a private CARGO_HOME: no registry, no user configuration.
export PKG_CONFIG_PATH="$build_dir/meson-uninstalled"
export ZCWRAP_BIN="$build_dir/wrapper/zcwrap"
export CARGO_TARGET_DIR="$build_dir/rust-target"
export CARGO_HOME="$build_dir/cargo-home"
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
unset RUSTUP_TOOLCHAIN RUSTFLAGS RUSTDOCFLAGS CARGO_BUILD_TARGET ZCWRAP_EMBEDDED

/usr/bin/cargo test --offline --manifest-path "$source_dir/shim/rust/Cargo.toml" "$@"

# The Rust example in docs/embedding.md must build as it is shown: a host crate of its own.
example="$build_dir/rust-doc-example"
rm -rf "$example"
mkdir -p "$example/src"
cat > "$example/Cargo.toml" <<TOML
[package]
name = "zcshim-doc-example"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
zcshim = { path = "$source_dir/shim/rust" }

[workspace]
TOML
awk '/^```rust$/ {on = 1; next} /^```$/ {on = 0} on' "$source_dir/docs/embedding.md" \
  > "$example/src/main.rs"
test -s "$example/src/main.rs"
/usr/bin/cargo build --offline --quiet --manifest-path "$example/Cargo.toml"
echo "ok: the Rust example in docs/embedding.md builds"
