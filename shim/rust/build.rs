//! Finds libzcshim with `pkg-config zcshim` and tells cargo how to link it.
//!
//! Against an uninstalled Meson build: `PKG_CONFIG_PATH=<build dir>/meson-uninstalled`. Every
//! `-L` directory is also written as an rpath, so this crate's tests run without LD_LIBRARY_PATH.
//! An rpath reaches only this package's own binaries; a dependent build script finds the
//! directory in `DEP_ZCSHIM_LIBDIR` (the `links` metadata) to write its own.

use std::env;
use std::process::Command;

fn pkg_config(program: &str, flag: &str) -> String {
    let output = match Command::new(program).args([flag, "zcshim"]).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "zcshim: cannot run `{program}` ({e}); install pkg-config (or set PKG_CONFIG to it)"
        ),
    };
    if !output.status.success() {
        panic!(
            "zcshim: `{program} {flag} zcshim` failed: {}\n\
             Set PKG_CONFIG_PATH to the directory holding zcshim.pc, e.g. \
             PKG_CONFIG_PATH=<meson build dir>/meson-uninstalled for an uninstalled build \
             (PKG_CONFIG_PATH is now {:?}).",
            String::from_utf8_lossy(&output.stderr).trim(),
            env::var("PKG_CONFIG_PATH").unwrap_or_default()
        );
    }
    String::from_utf8(output.stdout).expect("pkg-config printed something that is not UTF-8")
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());

    let mut first_dir = true;
    for token in pkg_config(&program, "--libs-only-L").split_whitespace() {
        if let Some(dir) = token.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            if first_dir {
                println!("cargo:libdir={dir}");
                first_dir = false;
            }
        }
    }
    let mut found = false;
    for token in pkg_config(&program, "--libs-only-l").split_whitespace() {
        if let Some(lib) = token.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
            found |= lib == "zcshim";
        }
    }
    if !found {
        panic!("zcshim: `pkg-config --libs-only-l zcshim` does not name -lzcshim");
    }
}
