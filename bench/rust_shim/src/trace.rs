//! Compiles to count processes and connections under `strace -f -e trace=execve,connect` (run.sh
//! runs them). `trace-setup` prepares a directory untraced (the hit stored and aged, the daemon
//! running); `trace` then does N compiles of one kind between two marker `connect` calls to a
//! path that does not exist, so the counting keeps only what those N compiles did.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use zcshim::{CompileResult, Outcome, Service, ShutdownMode};

use crate::executor::Executor;
use crate::fixture::{self, Scratch};

pub const MARK_BEGIN: &str = "/nonexistent/zcshim-bench-mark-begin";
pub const MARK_END: &str = "/nonexistent/zcshim-bench-mark-end";

fn mark(path: &str) {
    let _ = UnixStream::connect(path);
}

pub fn setup(dir: &Path, zcwrap: &Path) {
    let scratch = Scratch::at(dir);
    let cache = scratch.cache();
    fixture::write(&dir.join("hit.cc"), &fixture::hit_source());
    fixture::settle();
    fixture::daemon_start(zcwrap, &cache);
    let service = Service::start(&fixture::config(&cache)).expect("service");
    let request = fixture::gxx_request(dir, "hit.cc", Some(fixture::build_script_env(dir)));
    assert_eq!(service.compile(&request).unwrap().exit_code, 0);
    std::thread::sleep(Duration::from_secs(3));
    let wrapped = fixture::wrapped(&cache, zcwrap);
    let wrapped_request = fixture::gxx_request(dir, "hit.cc", Some(fixture::wrapped_env(dir)));
    for _ in 0..3 {
        assert_eq!(service.compile(&request).unwrap().outcome, Outcome::Hit);
        assert_eq!(wrapped.compile(&wrapped_request).unwrap().outcome, Outcome::Hit);
    }
    service.shutdown(ShutdownMode::Graceful).unwrap();
}

/// `env`: "build" (the request carries a build script's environment) or "none" (`env: None`).
/// `call` (embedded only): "blocking" (`Service::compile`) or "async" (`compile_async` on the
/// bench's one-thread executor).
pub fn run(dir: &Path, zcwrap: &Path, path: &str, phase: &str, n: usize, env: &str, call: &str) {
    let cache = dir.join("cache");
    let embedded = match path {
        "embedded" => true,
        "wrapped" => false,
        _ => panic!("--path embedded|wrapped"),
    };
    let sources: Vec<String> = match phase {
        "hit" => vec!["hit.cc".to_string(); n],
        "miss" => {
            let tag = format!("{path}_{}", std::process::id());
            let names: Vec<String> = (0..n).map(|i| format!("t_{tag}_{i}.cc")).collect();
            for (i, name) in names.iter().enumerate() {
                fixture::write(&dir.join(name), &fixture::distinct_source(&format!("{tag}_{i}")));
            }
            fixture::settle();
            names
        }
        _ => panic!("--phase hit|miss"),
    };
    let env = match (env, embedded) {
        ("none", _) => None,
        ("build", true) => Some(fixture::build_script_env(dir)),
        ("build", false) => Some(fixture::wrapped_env(dir)),
        _ => panic!("--env build|none"),
    };
    let mut outcomes = Vec::new();
    if embedded {
        let service = Service::start(&fixture::config(&cache)).expect("service");
        // Warm-up before the marker, as in a build that has run a while: the first hits of a
        // fresh service check every recorded file by stat and set up the inotify watches
        // (docs/direct-mode.md), about 1,200 stat calls each; later ones trust the watches.
        for _ in 0..5 {
            service.compile(&fixture::gxx_request(dir, "hit.cc", env.clone())).unwrap();
        }
        let executor = Executor::new();
        mark(MARK_BEGIN);
        for source in &sources {
            let request = fixture::gxx_request(dir, source, env.clone());
            let r = match call {
                "blocking" => service.compile(&request),
                "async" => executor.block_on(service.compile_async(&request)),
                _ => panic!("--call blocking|async"),
            };
            outcomes.push(r.unwrap());
        }
        mark(MARK_END);
        service.shutdown(ShutdownMode::Graceful).unwrap();
    } else {
        let wrapped = fixture::wrapped(&cache, zcwrap);
        mark(MARK_BEGIN);
        for source in &sources {
            let r = wrapped.compile(&fixture::gxx_request(dir, source, env.clone()));
            outcomes.push(r.unwrap());
        }
        mark(MARK_END);
    }
    let count = |o: Outcome| outcomes.iter().filter(|r: &&CompileResult| r.outcome == o).count();
    println!(
        "traced {path} {phase} (env {}): {n} compiles, {} hits, {} misses, {} failed",
        if env.is_some() { "build" } else { "none" },
        count(Outcome::Hit),
        count(Outcome::Miss),
        outcomes.iter().filter(|r| r.exit_code != 0).count()
    );
}
