//! What every phase shares: a scratch directory with one cache, the sources, the environment a
//! cargo build script hands a compiler, and the two backends over that cache.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zcshim::{CompileRequest, Config, HostIdentity, WrappedZcwrap};

/// The hit benchmark's file (bench/bench_util.cc's kDozenStlHeadersSource): 250 files read.
pub const DOZEN_STL_HEADERS: &str = "#include <algorithm>\n#include <functional>\n\
#include <iostream>\n#include <map>\n#include <memory>\n#include <optional>\n#include <set>\n\
#include <sstream>\n#include <string>\n#include <unordered_map>\n#include <variant>\n\
#include <vector>\n";

/// The hit source: the dozen headers and one small function.
pub fn hit_source() -> String {
    format!(
        "{DOZEN_STL_HEADERS}int run(const std::vector<std::string>& v) {{\n  \
         std::map<std::string, int> m; for (auto& s : v) ++m[s];\n  \
         return static_cast<int>(m.size()); }}\n"
    )
}

/// A distinct source of the same weight (a different key for each `tag`).
pub fn distinct_source(tag: &str) -> String {
    format!(
        "{DOZEN_STL_HEADERS}// {tag}\nint run_{tag}(const std::vector<std::string>& v) {{\n  \
         std::map<std::string, int> m; for (auto& s : v) ++m[s + \"{tag}\"];\n  \
         std::ostringstream os; os << m.size(); return static_cast<int>(os.str().size()); }}\n"
    )
}

/// A scratch directory under /tmp, removed when dropped (unless `keep`: `at`, or
/// ZCSHIM_BENCH_KEEP=1 in the environment, to look at the audit files afterwards).
pub struct Scratch {
    pub dir: PathBuf,
    pub keep: bool,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "zcshim-bench-{name}-{}-{nanos:x}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).unwrap();
        let keep = std::env::var_os("ZCSHIM_BENCH_KEEP").map_or(false, |v| v == "1");
        if keep {
            eprintln!("keeping {}", dir.display());
        }
        Scratch { dir, keep }
    }

    pub fn at(dir: &Path) -> Scratch {
        fs::create_dir_all(dir).unwrap();
        Scratch { dir: dir.to_path_buf(), keep: true }
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `text` to `path`. Call `settle` before compiling: a file changed in the clock tick a
/// compile starts counts as modified during the compile, and its result is not stored.
pub fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

pub fn settle() {
    std::thread::sleep(Duration::from_millis(1100));
}

/// The environment a cargo build script's compile gets (the `cc` crate passes it on): the
/// session's PATH, HOME, LANG, ... and cargo's own variables. No ZCWRAP_* variable: the embedded
/// path is configured by its `Config`. 30 variables.
pub fn build_script_env(cwd: &Path) -> Vec<(OsString, OsString)> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_string());
    let out_dir = "/src/app/target/release/build/foo-sys-5f1c0e2a9b3d7c41/out";
    let pairs: Vec<(&str, String)> = vec![
        ("PATH", "/usr/local/bin:/usr/bin:/bin".to_string()),
        ("HOME", home.clone()),
        ("LANG", "C.UTF-8".to_string()),
        ("USER", "builder".to_string()),
        ("LOGNAME", "builder".to_string()),
        ("SHELL", "/bin/bash".to_string()),
        ("TERM", "xterm-256color".to_string()),
        ("PWD", cwd.display().to_string()),
        ("CARGO", "/usr/bin/cargo".to_string()),
        ("CARGO_HOME", format!("{home}/.cargo")),
        ("CARGO_MANIFEST_DIR", "/src/app/foo-sys".to_string()),
        ("CARGO_PKG_NAME", "foo-sys".to_string()),
        ("CARGO_PKG_VERSION", "0.3.1".to_string()),
        ("CARGO_PKG_VERSION_MAJOR", "0".to_string()),
        ("CARGO_PKG_VERSION_MINOR", "3".to_string()),
        ("CARGO_PKG_VERSION_PATCH", "1".to_string()),
        ("CARGO_PKG_AUTHORS", "The foo developers".to_string()),
        ("CARGO_CFG_TARGET_ARCH", "x86_64".to_string()),
        ("CARGO_CFG_TARGET_OS", "linux".to_string()),
        ("CARGO_CFG_TARGET_ENV", "gnu".to_string()),
        ("CARGO_CFG_TARGET_ENDIAN", "little".to_string()),
        ("CARGO_CFG_TARGET_POINTER_WIDTH", "64".to_string()),
        ("CARGO_CFG_TARGET_FEATURE", "fxsr,sse,sse2".to_string()),
        ("CARGO_ENCODED_RUSTFLAGS", String::new()),
        ("CARGO_MAKEFLAGS", "-j --jobserver-fds=3,4 --jobserver-auth=3,4".to_string()),
        ("TARGET", "x86_64-unknown-linux-gnu".to_string()),
        ("HOST", "x86_64-unknown-linux-gnu".to_string()),
        ("OPT_LEVEL", "3".to_string()),
        ("PROFILE", "release".to_string()),
        ("OUT_DIR", out_dir.to_string()),
    ];
    pairs.into_iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect()
}

/// The same, for the wrapped path: also ZCWRAP_DAEMON=on (use the daemon, say so if it cannot).
pub fn wrapped_env(cwd: &Path) -> Vec<(OsString, OsString)> {
    let mut env = build_script_env(cwd);
    env.push(("ZCWRAP_DAEMON".into(), "on".into()));
    env
}

pub fn identity() -> HostIdentity {
    HostIdentity::new("soldr", "bench", "ws")
}

pub fn config(cache: &Path) -> Config {
    Config::new(cache, identity())
}

pub fn wrapped(cache: &Path, zcwrap: &Path) -> WrappedZcwrap {
    WrappedZcwrap::new(&config(cache), zcwrap).unwrap()
}

/// `g++ -O2 -c <source> -o <object>` in `cwd`, with `env` (None: the host's).
pub fn gxx_request(
    cwd: &Path,
    source: &str,
    env: Option<Vec<(OsString, OsString)>>,
) -> CompileRequest {
    let object = format!("{}.o", source.trim_end_matches(".cc"));
    let mut request = CompileRequest::new(["g++", "-O2", "-c", source, "-o", &object], cwd);
    request.env = env;
    request
}

/// Starts the daemon of `cache` (the wrapped path's), the way the C benchmark starts it.
pub fn daemon_start(zcwrap: &Path, cache: &Path) {
    let started = Command::new(zcwrap)
        .arg("--daemon-start")
        .env("ZCWRAP_DIR", cache)
        .stdout(Stdio::null())
        .status()
        .expect("zcwrap --daemon-start");
    assert!(started.success(), "zcwrap --daemon-start failed");
}

/// Stops the daemon of `cache`, if one runs.
pub fn daemon_stop(zcwrap: &Path, cache: &Path) {
    let _ = Command::new(zcwrap)
        .arg("--daemon-stop")
        .env("ZCWRAP_DIR", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The 1-minute load average, as /proc/loadavg says.
pub fn load1() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}
