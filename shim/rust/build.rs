//! Finds libzcshim, checks that it is the library this crate was written for, and tells cargo how
//! to link it (docs/static-linking.md).
//!
//! Default: the shared library, found with `pkg-config zcshim` (against an uninstalled Meson build:
//! `PKG_CONFIG_PATH=<build dir>/meson-uninstalled`). Every `-L` directory is also written as an
//! rpath, so this crate's tests run without LD_LIBRARY_PATH. An rpath reaches only this package's
//! own binaries; a dependent build script finds the directory in `DEP_ZCSHIM_LIBDIR` (the `links`
//! metadata) to write its own.
//!
//! Feature `static`: the self-contained `libzcshim.a` (zcshim, cachecore, Abseil, libcrypto,
//! libzstd, ... with only the zc_* symbols global) plus the system's libstdc++, libm, libpthread
//! and libdl, and no rpath. The archive is looked for in `ZCSHIM_STATIC_LIB_DIR`, else in the `-L`
//! directories of `pkg-config zcshim` (installed: beside libzcshim.so) and their `static/`
//! subdirectory (an uninstalled Meson build: `<build dir>/shim/static`).
//!
//! Checks, each a panic naming both numbers: the `ZC_ABI_VERSION` of the `zcshim.h` found with the
//! library (pkg-config's `-I` directories; with `ZCSHIM_STATIC_LIB_DIR`, `ZCSHIM_INCLUDE_DIR` or
//! the `include` directory of its prefix) must be `EXPECTED_ABI`, and the library's version
//! (`pkg-config --modversion zcshim`) must have this crate's major.minor.
//!
//! No library found: a `cargo:warning` and no link lines, so `cargo check` and `cargo doc`, which
//! never link, still work; a build that links fails at the link step.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C ABI this crate's declarations mirror: must equal `ffi::ZC_ABI_VERSION` (src/ffi.rs);
/// tests/build_constants.rs checks that it does. A build script cannot read the crate's sources
/// once the crate is published, hence the second copy.
const EXPECTED_ABI: u32 = 1;

/// The system libraries libzcshim.a needs (the C++ runtime; libm, libpthread and libdl are part
/// of glibc 2.34+, named for older ones).
const STATIC_SYSTEM_LIBS: [&str; 4] = ["stdc++", "m", "pthread", "dl"];

/// What was found and how to link it.
struct Library {
    /// Where it came from, for messages.
    origin: String,
    /// `static`: the archive; otherwise None.
    archive: Option<PathBuf>,
    /// pkg-config's `-L` directories and `-l` names: the dynamic link line; `static` looks there.
    search_dirs: Vec<String>,
    libs: Vec<String>,
    /// Directories to look for zcshim.h in, in order.
    include_dirs: Vec<PathBuf>,
    /// `pkg-config --modversion zcshim`; None when the library was not found with pkg-config.
    version: Option<String>,
}

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = Command::new(&program)
        .args(args)
        .arg("zcshim")
        .output()
        .map_err(|e| format!("cannot run `{program}` ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} {} zcshim` failed: {} (PKG_CONFIG_PATH is {:?})",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .next()
                .unwrap_or("")
                .trim(),
            env::var("PKG_CONFIG_PATH").unwrap_or_default()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`{program}` printed non-UTF-8"))
}

/// The values of one kind of pkg-config flag, e.g. the directories of `-L`.
fn pkg_config_values(flag: &str, prefix: &str) -> Result<Vec<String>, String> {
    Ok(pkg_config(&[flag])?
        .split_whitespace()
        .filter_map(|token| token.strip_prefix(prefix).map(str::to_string))
        .collect())
}

fn find_with_pkg_config() -> Result<Library, String> {
    let version = pkg_config(&["--modversion"])?.trim().to_string();
    let search_dirs = pkg_config_values("--libs-only-L", "-L")?;
    let libs = pkg_config_values("--libs-only-l", "-l")?;
    if !libs.iter().any(|lib| lib == "zcshim") {
        return Err("`pkg-config --libs-only-l zcshim` does not name -lzcshim".to_string());
    }
    let include_dirs = pkg_config_values("--cflags-only-I", "-I")?;
    Ok(Library {
        origin: format!("pkg-config zcshim (-L {})", search_dirs.join(" -L ")),
        archive: None,
        search_dirs,
        libs,
        include_dirs: include_dirs.into_iter().map(PathBuf::from).collect(),
        version: Some(version),
    })
}

fn find_static() -> Result<Library, String> {
    if let Some(dir) = env::var_os("ZCSHIM_STATIC_LIB_DIR") {
        let dir = PathBuf::from(dir);
        let archive = dir.join("libzcshim.a");
        if !archive.is_file() {
            return Err(format!(
                "ZCSHIM_STATIC_LIB_DIR={} holds no libzcshim.a",
                dir.display()
            ));
        }
        // The header of the same installation: prefix/lib/libzcshim.a or
        // prefix/lib/<multiarch>/libzcshim.a next to prefix/include/zcshim.h.
        let mut include_dirs: Vec<PathBuf> = env::var_os("ZCSHIM_INCLUDE_DIR")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        include_dirs.extend(
            dir.ancestors()
                .skip(1)
                .take(2)
                .map(|prefix| prefix.join("include")),
        );
        return Ok(Library {
            origin: format!("ZCSHIM_STATIC_LIB_DIR={}", dir.display()),
            archive: Some(archive),
            search_dirs: Vec::new(),
            libs: Vec::new(),
            include_dirs,
            version: None,
        });
    }
    let mut library = find_with_pkg_config()?;
    let candidates: Vec<PathBuf> = library
        .search_dirs
        .iter()
        .flat_map(|dir| {
            [
                Path::new(dir).join("libzcshim.a"),
                Path::new(dir).join("static/libzcshim.a"),
            ]
        })
        .collect();
    match candidates.iter().find(|path| path.is_file()) {
        Some(archive) => {
            library.origin = format!("{} via pkg-config zcshim", archive.display());
            library.archive = Some(archive.clone());
            Ok(library)
        }
        None => Err(format!(
            "no libzcshim.a in the directories of pkg-config zcshim ({}; build it with \
             `ninja -C <build dir> shim/static/libzcshim.a`)",
            library.search_dirs.join(", ")
        )),
    }
}

/// `N` of `#define ZC_ABI_VERSION N` in the first zcshim.h of `include_dirs`, and that header.
fn header_abi(include_dirs: &[PathBuf]) -> Option<(u32, PathBuf)> {
    let header = include_dirs
        .iter()
        .map(|dir| dir.join("zcshim.h"))
        .find(|h| h.is_file())?;
    let text = fs::read_to_string(&header).ok()?;
    let abi = text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("#define"), Some("ZC_ABI_VERSION"), Some(value)) => value.parse().ok(),
            _ => None,
        }
    })?;
    Some((abi, header))
}

/// Panics unless the library is the one this crate was written for.
fn check(library: &Library) {
    match header_abi(&library.include_dirs) {
        Some((abi, header)) => {
            println!("cargo:rerun-if-changed={}", header.display());
            if abi != EXPECTED_ABI {
                panic!(
                    "zcshim: the library found ({}) has C ABI version {abi} ({}), this crate \
                     (zcshim {}) is written for ABI version {EXPECTED_ABI}; use a libzcshim and \
                     a crate of the same release",
                    library.origin,
                    header.display(),
                    env::var("CARGO_PKG_VERSION").unwrap_or_default()
                );
            }
        }
        None => panic!(
            "zcshim: found the library ({}) but no zcshim.h with a ZC_ABI_VERSION beside it (looked \
             in {:?}), so cannot check that it is the library this crate was written for; set \
             ZCSHIM_INCLUDE_DIR to the directory of its zcshim.h",
            library.origin, library.include_dirs
        ),
    }
    // The crate and the library are released together, with one version (meson.build's
    // project()): a patch release of either keeps working with the other, a minor one (0.x) may
    // not. The ABI version above catches layout changes; this catches behaviour the crate
    // relies on, e.g. the parity of its Wrapped backend with the zcwrap of the same release.
    if let Some(version) = &library.version {
        let crate_major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
        let crate_minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
        let mut parts = version.split('.');
        if parts.next() != Some(crate_major.as_str()) || parts.next() != Some(crate_minor.as_str())
        {
            panic!(
                "zcshim: the library found ({}) is version {version}, this crate is version {}; \
                 they must agree in major.minor ({crate_major}.{crate_minor})",
                library.origin,
                env::var("CARGO_PKG_VERSION").unwrap_or_default()
            );
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG",
        "ZCSHIM_STATIC_LIB_DIR",
        "ZCSHIM_INCLUDE_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rustc-env=ZCSHIM_EXPECTED_ABI={EXPECTED_ABI}");
    let static_link = env::var_os("CARGO_FEATURE_STATIC").is_some();

    let found = if static_link {
        find_static()
    } else {
        find_with_pkg_config()
    };
    let library = match found {
        Ok(library) => library,
        Err(why) => {
            println!("cargo:warning=zcshim: libzcshim not found: {why}");
            if static_link {
                println!(
                    "cargo:warning=zcshim: `cargo check` and `cargo doc` work, linking will fail; \
                     set ZCSHIM_STATIC_LIB_DIR to the directory of libzcshim.a (and \
                     ZCSHIM_INCLUDE_DIR to that of zcshim.h), or PKG_CONFIG_PATH to the directory \
                     of zcshim.pc (an uninstalled Meson build: <build dir>/meson-uninstalled)"
                );
            } else {
                println!(
                    "cargo:warning=zcshim: `cargo check` and `cargo doc` work, linking will fail; \
                     set PKG_CONFIG_PATH to the directory of zcshim.pc (an uninstalled Meson \
                     build: <build dir>/meson-uninstalled)"
                );
            }
            return;
        }
    };
    check(&library);

    if let Some(archive) = &library.archive {
        println!("cargo:rerun-if-changed={}", archive.display());
        let dir = archive.parent().expect("an archive path has a directory");
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static=zcshim");
        for lib in STATIC_SYSTEM_LIBS {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
        println!("cargo:linkage=static");
        return;
    }
    for (i, dir) in library.search_dirs.iter().enumerate() {
        println!("cargo:rustc-link-search=native={dir}");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        if i == 0 {
            println!("cargo:libdir={dir}");
        }
    }
    for lib in &library.libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:linkage=dynamic");
}
