//! The parity gate: the same compiles through the embedded service and through `zcwrap` (with
//! and without its daemon), on fresh and on warm caches, must give byte-identical objects, `.d`
//! files, stdout, stderr, exit codes and cache outcomes — and match the plain compiler. A result
//! stored by either backend is a hit for the other (one shared cache).
//!
//! Needs `ZCWRAP_BIN` (the `zcwrap` of the build under test); `tests/shim/cargo_test.sh` sets it.
//! Run with `--nocapture` to see the hit latencies of both backends.

use std::collections::BTreeSet;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use zcshim::{
    AuditMode, CancelToken, CompileBackend, CompileRequest, CompileResult, Config, HostIdentity,
    Outcome, Service, ShutdownMode, Status, WrappedZcwrap,
};

/// A compile's whole environment.
type Env = [(OsString, OsString)];
/// Each output file of a compile: its name and contents (None: not written).
type Files = Vec<(&'static str, Option<Vec<u8>>)>;

// ---- Fixtures -----------------------------------------------------------------------------------

/// The zcwrap under test. Fails loudly: a parity gate that skips itself is no gate.
fn zcwrap_bin() -> PathBuf {
    let bin = env::var_os("ZCWRAP_BIN").unwrap_or_else(|| {
        panic!(
            "ZCWRAP_BIN is not set: point it at the zcwrap of the build under test \
             (ZCWRAP_BIN=<meson build dir>/wrapper/zcwrap), or run tests/shim/cargo_test.sh"
        )
    });
    let bin = PathBuf::from(bin);
    assert!(bin.is_file(), "ZCWRAP_BIN={} does not exist (build it first)", bin.display());
    bin
}

fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .map(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// A fresh directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = env::temp_dir().join(format!(
            "zcshim-parity-{name}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Stops the daemon of a cache directory when dropped (also when a test fails).
struct DaemonStopper {
    zcwrap: PathBuf,
    cache: PathBuf,
}

impl Drop for DaemonStopper {
    fn drop(&mut self) {
        let _ = Command::new(&self.zcwrap)
            .arg("--daemon-stop")
            .env("ZCWRAP_DIR", &self.cache)
            .output();
    }
}

/// With ZCWRAP_DAEMON=on, the wrapped compiles must really have gone through a daemon.
fn assert_daemon_ran(daemon: &str, zcwrap: &Path, cache: &Path) {
    if daemon != "on" {
        return;
    }
    let status =
        Command::new(zcwrap).arg("--daemon-status").env("ZCWRAP_DIR", cache).output().unwrap();
    assert!(
        status.status.success(),
        "no daemon is running for {} after daemon=on compiles: {}",
        cache.display(),
        String::from_utf8_lossy(&status.stderr)
    );
}

fn config(cache: &Path) -> Config {
    Config::new(cache, HostIdentity::new("zcshim-parity", "test", "ws"))
}

fn embedded(cache: &Path) -> CompileBackend {
    CompileBackend::Embedded(Arc::new(Service::start(&config(cache)).unwrap()))
}

fn wrapped(cache: &Path, zcwrap: &Path) -> CompileBackend {
    CompileBackend::Wrapped(WrappedZcwrap::new(&config(cache), zcwrap).unwrap())
}

/// The host's environment without ZCWRAP_* settings, plus the daemon mode: the same for every
/// backend and for the plain compiler.
fn compile_env(daemon: &str) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = env::vars_os()
        .filter(|(name, _)| !name.to_string_lossy().starts_with("ZCWRAP_"))
        .collect();
    env.push(("ZCWRAP_DAEMON".into(), daemon.into()));
    env
}

/// Writes sources, then waits out the kernel's timestamp tick: a file changed in the tick a
/// compile starts counts as modified during the compile, and its result is not stored.
fn write_sources(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    thread::sleep(Duration::from_millis(50));
}

// ---- Cases --------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    args: Vec<&'static str>,
    /// Files the compile writes, captured and removed after each run.
    outputs: Vec<&'static str>,
    exit_code: i32,
}

const SOURCES: &[(&str, &str)] = &[
    ("warn.c", "int main(void) {\n  int unused;\n  return 0;\n}\n"),
    (
        "warn.cc",
        "#include <vector>\n\
         int f() {\n  int unused;\n  std::vector<int> v{1, 2};\n  return (int)v.size();\n}\n",
    ),
    ("broken.c", "int main(void) {\n  return undefined_name;\n}\n"),
    ("dep.h", "#pragma once\ninline int twice(int x) { return 2 * x; }\n"),
    ("dep.cc", "#include \"dep.h\"\nint g(int x) { return twice(x) + 1; }\n"),
];

fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "gcc C with a warning",
            args: vec!["gcc", "-Wall", "-g", "-O1", "-c", "warn.c", "-o", "warn.o"],
            outputs: vec!["warn.o"],
            exit_code: 0,
        },
        Case {
            name: "g++ C++ with a warning",
            args: vec!["g++", "-Wall", "-g", "-std=c++17", "-c", "warn.cc", "-o", "warn_cc.o"],
            outputs: vec!["warn_cc.o"],
            exit_code: 0,
        },
        Case {
            name: "gcc C with an error",
            args: vec!["gcc", "-Wall", "-c", "broken.c", "-o", "broken.o"],
            outputs: vec!["broken.o"],
            exit_code: 1,
        },
        Case {
            name: "g++ C++ with a .d file",
            args: vec!["g++", "-g", "-MD", "-MF", "dep.d", "-c", "dep.cc", "-o", "dep.o"],
            outputs: vec!["dep.o", "dep.d"],
            exit_code: 0,
        },
    ];
    if on_path("clang") && on_path("clang++") {
        cases.push(Case {
            name: "clang C with a warning",
            args: vec!["clang", "-Wall", "-g", "-c", "warn.c", "-o", "warn_clang.o"],
            outputs: vec!["warn_clang.o"],
            exit_code: 0,
        });
        cases.push(Case {
            name: "clang++ C++ with a .d file",
            args: vec![
                "clang++", "-g", "-MMD", "-MF", "dep_cl.d", "-c", "dep.cc", "-o", "dep_cl.o",
            ],
            outputs: vec!["dep_cl.o", "dep_cl.d"],
            exit_code: 0,
        });
    } else {
        eprintln!("note: clang/clang++ not on PATH: the parity gate runs the gcc cases only");
    }
    cases
}

/// What one run produced.
struct Observed {
    result: CompileResult,
    files: Files,
}

fn collect_outputs(work: &Path, case: &Case) -> Files {
    case.outputs
        .iter()
        .map(|name| {
            let path = work.join(name);
            let data = fs::read(&path).ok();
            let _ = fs::remove_file(&path);
            (*name, data)
        })
        .collect()
}

fn request(case: &Case, work: &Path, env: &Env) -> CompileRequest {
    let mut request = CompileRequest::new(case.args.iter().copied(), work);
    request.env = Some(env.to_vec());
    request
}

fn run(backend: &CompileBackend, case: &Case, work: &Path, env: &Env) -> Observed {
    let result = backend
        .compile(&request(case, work, env))
        .unwrap_or_else(|e| panic!("{}: {} compile failed: {e}", case.name, backend.kind()));
    Observed { result, files: collect_outputs(work, case) }
}

/// The plain compiler, for the reference outputs. Only exit code, stdout, stderr and the files
/// mean anything in the result.
fn run_plain(case: &Case, work: &Path, env: &Env) -> Observed {
    let out = Command::new(case.args[0])
        .args(&case.args[1..])
        .current_dir(work)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let mut result = CompileResult::new(out.status.code().unwrap_or(-1), Outcome::Uncacheable);
    result.stdout = out.stdout;
    result.stderr = out.stderr;
    Observed { result, files: collect_outputs(work, case) }
}

fn assert_same_bytes(what: &str, a: &[u8], b: &[u8]) {
    if a != b {
        let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let show = |x: &[u8]| String::from_utf8_lossy(&x[..x.len().min(400)]).into_owned();
        panic!(
            "{what}: differ (lengths {} and {}, first difference at byte {at})\n\
             --- first:\n{}\n--- second:\n{}",
            a.len(),
            b.len(),
            show(a),
            show(b)
        );
    }
}

/// Everything the parity gate compares, between two runs.
fn assert_same(what: &str, a: &Observed, b: &Observed) {
    assert_eq!(a.result.outcome, b.result.outcome, "{what}: cache outcome");
    assert_eq!(a.result.reason, b.result.reason, "{what}: reason");
    assert_same_output(what, a, b);
}

/// What a build sees of two runs: exit code, stdout, stderr and output files.
fn assert_same_output(what: &str, a: &Observed, b: &Observed) {
    assert_eq!(a.result.exit_code, b.result.exit_code, "{what}: exit code");
    assert_same_bytes(&format!("{what}: stdout"), &a.result.stdout, &b.result.stdout);
    assert_same_bytes(&format!("{what}: stderr"), &a.result.stderr, &b.result.stderr);
    for ((name, x), (_, y)) in a.files.iter().zip(&b.files) {
        match (x, y) {
            (Some(x), Some(y)) => assert_same_bytes(&format!("{what}: {name}"), x, y),
            (None, None) => {}
            _ => panic!("{what}: {name} written by one run only: {:?}", (x.is_some(), y.is_some())),
        }
    }
}

// ---- Parity -------------------------------------------------------------------------------------

/// Every case through both backends, each on its own fresh cache, then warm, in one working
/// directory; and against the plain compiler.
fn parity(daemon: &str) {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new(&format!("daemon-{daemon}"));
    let work = scratch.dir("work");
    let embedded_cache = scratch.path().join("cache-embedded");
    let wrapped_cache = scratch.path().join("cache-wrapped");
    let _stopper = DaemonStopper { zcwrap: zcwrap.clone(), cache: wrapped_cache.clone() };
    let env = compile_env(daemon);
    write_sources(&work, SOURCES);
    let embedded = embedded(&embedded_cache);
    let wrapped = wrapped(&wrapped_cache, &zcwrap);

    for case in cases() {
        let what = |phase: &str| format!("[daemon={daemon}] {}, {phase}", case.name);
        let plain = run_plain(&case, &work, &env);
        assert_eq!(plain.result.exit_code, case.exit_code, "{}", what("plain compiler exit code"));

        let e_fresh = run(&embedded, &case, &work, &env);
        let w_fresh = run(&wrapped, &case, &work, &env);
        let e_warm = run(&embedded, &case, &work, &env);
        let w_warm = run(&wrapped, &case, &work, &env);

        assert_same(&what("fresh caches"), &e_fresh, &w_fresh);
        assert_same(&what("warm caches"), &e_warm, &w_warm);
        assert_same_output(&what("embedded fresh vs warm"), &e_fresh, &e_warm);
        // The cache changes nothing a build can see.
        assert_same_output(&what("plain compiler vs embedded warm"), &plain, &e_warm);
        assert_same_output(&what("plain compiler vs wrapped warm"), &plain, &w_warm);

        if case.exit_code == 0 {
            assert_eq!(e_fresh.result.outcome, Outcome::Miss, "{}", what("fresh outcome"));
            assert_eq!(e_warm.result.outcome, Outcome::Hit, "{}", what("warm outcome"));
            for (name, data) in &e_warm.files {
                assert!(data.is_some(), "{}: {name} not restored", what("warm"));
            }
            eprintln!(
                "timing [daemon={daemon}] {}: hit embedded {:?}, wrapped {:?}; \
                 miss embedded {:?}, wrapped {:?}",
                case.name,
                e_warm.result.total,
                w_warm.result.total,
                e_fresh.result.total,
                w_fresh.result.total
            );
        } else {
            for (name, data) in e_fresh.files.iter().chain(&w_fresh.files).chain(&e_warm.files) {
                assert!(data.is_none(), "{}: {name} written by a failed compile", what("error"));
            }
            assert_ne!(e_warm.result.outcome, Outcome::Hit, "{}: failure cached", what("warm"));
        }
    }
    assert_daemon_ran(daemon, &zcwrap, &wrapped_cache);
}

#[test]
fn parity_without_daemon() {
    parity("off");
}

#[test]
fn parity_with_daemon() {
    parity("on");
}

/// One cache directory, both backends: what one stores, the other hits, with the same bytes.
fn shared_cache(daemon: &str) {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new(&format!("shared-{daemon}"));
    let work = scratch.dir("work");
    let cache = scratch.path().join("cache");
    let _stopper = DaemonStopper { zcwrap: zcwrap.clone(), cache: cache.clone() };
    let env = compile_env(daemon);
    write_sources(&work, SOURCES);
    let embedded = embedded(&cache);
    let wrapped = wrapped(&cache, &zcwrap);
    let all = cases();

    let (c_case, dep_case) = (&all[0], &all[3]);
    for (store, hit, case) in [(&embedded, &wrapped, c_case), (&wrapped, &embedded, dep_case)] {
        let what = format!("[daemon={daemon}] {} stores, {} hits", store.kind(), hit.kind());
        let first = run(store, case, &work, &env);
        let second = run(hit, case, &work, &env);
        assert_eq!(first.result.outcome, Outcome::Miss, "{what}");
        assert_eq!(second.result.outcome, Outcome::Hit, "{what}");
        assert_same_output(&what, &first, &second);
    }
    assert_daemon_ran(daemon, &zcwrap, &cache);
}

#[test]
fn shared_cache_without_daemon() {
    shared_cache("off");
}

#[test]
fn shared_cache_with_daemon() {
    shared_cache("on");
}

// ---- Audit --------------------------------------------------------------------------------------

fn lines_of(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn embedded_audit_events_carry_the_hosts_ids_and_wrapped_ones_join_them() {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new("audit");
    let work = scratch.dir("work");
    let audit = scratch.path().join("log").join("audit.jsonl");
    let env = compile_env("off");
    write_sources(&work, SOURCES);
    let mut cfg = config(&scratch.path().join("cache"));
    cfg.audit_mode = AuditMode::Normal;
    cfg.audit_path = Some(audit.clone());
    let service = Arc::new(Service::start(&cfg).unwrap());

    let all = cases();
    let link = Case {
        name: "link",
        args: vec!["gcc", "warn.c", "-o", "warn"],
        outputs: vec!["warn"],
        exit_code: 0,
    };
    let mut ids = Vec::new();
    for case in [&all[0], &all[0], &link] {
        let mut req = request(case, &work, &env);
        req.audit.run_id = Some("run-parity-7".into());
        req.audit.command_id = Some("cmd-3".into());
        req.audit.trace_id = Some("trace-abc".into());
        let result = service.compile(&req).unwrap();
        collect_outputs(&work, case);
        ids.push((result.compile_id.clone(), result.outcome));
    }
    let outcomes: Vec<Outcome> = ids.iter().map(|(_, o)| *o).collect();
    assert_eq!(outcomes, vec![Outcome::Miss, Outcome::Hit, Outcome::Uncacheable]);
    let report = service.flush().unwrap();
    assert!(report.audit_events >= 8, "{report:?}");

    // The compiles' events; the service's own (service.started, service.flushed) carry no ids.
    let lines: Vec<String> =
        lines_of(&audit).into_iter().filter(|l| !l.contains("\"event\":\"service.")).collect();
    assert!(!lines.is_empty());
    let ids_on_every_event =
        ["\"run_id\":\"run-parity-7\"", "\"command_id\":\"cmd-3\"", "\"trace_id\":\"trace-abc\""];
    for line in &lines {
        for needle in ids_on_every_event.iter().chain(&["\"schema\":"]) {
            assert!(line.contains(needle), "an embedded event without {needle}: {line}");
        }
    }
    let names = ["compile.started", "cache.miss", "cache.store", "cache.hit", "compile.finished"];
    let seen: BTreeSet<&str> = names
        .iter()
        .copied()
        .filter(|name| lines.iter().any(|l| l.contains(&format!("\"event\":\"{name}\""))))
        .collect();
    assert_eq!(seen.len(), names.len(), "events seen: {seen:?}");
    for (id, _) in &ids {
        let finished = |l: &&String| {
            l.contains(&format!("\"compile_id\":\"{id}\"")) && l.contains("compile.finished")
        };
        assert!(lines.iter().any(|l| finished(&l)), "no compile.finished for {id}");
    }

    // The wrapped backend appends zcwrap's events to the same file, with the host's ids.
    let wrapped = WrappedZcwrap::new(&cfg, &zcwrap).unwrap();
    let mut req = request(&all[0], &work, &env);
    req.audit.run_id = Some("run-parity-7w".into());
    let result = wrapped.compile(&req).unwrap();
    collect_outputs(&work, &all[0]);
    assert_eq!(result.outcome, Outcome::Hit);
    let new_lines: Vec<String> = lines_of(&audit)
        .into_iter()
        .filter(|l| !l.contains("\"event\":\"service."))
        .skip(lines.len())
        .collect();
    assert!(new_lines.len() >= 3, "wrapped events appended: {new_lines:?}");
    for line in &new_lines {
        assert!(line.contains("\"run_id\":\"run-parity-7w\""), "{line}");
        assert!(line.contains(&format!("\"compile_id\":\"{}\"", result.compile_id)), "{line}");
    }
}

// ---- Cancellation -------------------------------------------------------------------------------

/// A "compiler" that records its pid and sleeps, whatever it is asked.
fn slow_compiler(dir: &Path) -> PathBuf {
    let path = dir.join("slowcc");
    let script = "#!/bin/sh\necho $$ >> \"$(dirname \"$0\")/pids\"\nexec sleep 30\n";
    fs::write(&path, script).unwrap();
    let ok = Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    assert!(ok.success());
    path
}

fn alive(pid: &str) -> bool {
    // A zombie (killed, not yet reaped by its parent) is as good as dead here.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

fn assert_compilers_dead(what: &str, dir: &Path) {
    let pids = fs::read_to_string(dir.join("pids")).unwrap_or_default();
    assert!(!pids.trim().is_empty(), "{what}: the slow compiler never ran");
    thread::sleep(Duration::from_millis(100));
    for pid in pids.split_whitespace() {
        assert!(!alive(pid), "{what}: compiler {pid} survived");
    }
}

fn assert_cancels_promptly(backend: &CompileBackend, dir: &Path, env: &Env) {
    let what = format!("{} cancellation", backend.kind());
    let _ = fs::remove_file(dir.join("pids"));
    let mut req = CompileRequest::new(["cc", "-c", "warn.c", "-o", "warn.o"], dir);
    req.compiler = Some(slow_compiler(dir).into_os_string());
    req.env = Some(env.to_vec());
    let token = CancelToken::new().unwrap();
    req.cancel = Some(token.clone());
    let trigger = thread::spawn(move || {
        thread::sleep(Duration::from_millis(500));
        token.trigger();
    });
    let start = Instant::now();
    let e = backend.compile(&req).unwrap_err();
    let took = start.elapsed();
    trigger.join().unwrap();
    assert_eq!(e.status, Status::Cancelled, "{what}: {e}");
    assert!(took < Duration::from_secs(5), "{what} took {took:?}");
    assert_compilers_dead(&what, dir);
    assert!(!dir.join("warn.o").exists(), "{what}: output left behind");
}

#[test]
fn both_backends_cancel_a_long_compile_and_kill_the_compiler() {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new("cancel");
    let work = scratch.dir("work");
    write_sources(&work, SOURCES);
    let env = compile_env("off");
    assert_cancels_promptly(&embedded(&scratch.path().join("c1")), &work, &env);
    assert_cancels_promptly(&wrapped(&scratch.path().join("c2"), &zcwrap), &work, &env);
}

#[test]
fn force_shutdown_stops_a_long_embedded_compile() {
    let scratch = Scratch::new("force");
    let work = scratch.dir("work");
    write_sources(&work, SOURCES);
    let service = Arc::new(Service::start(&config(&scratch.path().join("cache"))).unwrap());
    let mut req = CompileRequest::new(["cc", "-c", "warn.c", "-o", "warn.o"], &work);
    req.compiler = Some(slow_compiler(&work).into_os_string());
    let compiling = {
        let service = service.clone();
        thread::spawn(move || service.compile(&req))
    };
    while !work.join("pids").exists() {
        thread::sleep(Duration::from_millis(10));
    }
    let start = Instant::now();
    service.shutdown(ShutdownMode::Force).unwrap();
    let e = compiling.join().unwrap().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5), "force shutdown took {:?}", start.elapsed());
    assert_eq!(e.status, Status::Cancelled, "{e}");
    assert_compilers_dead("forced shutdown", &work);
}

// ---- Latency ------------------------------------------------------------------------------------

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Not a gate: prints the hit latency of each backend (run with --nocapture).
#[test]
fn hit_latency_of_both_backends() {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new("latency");
    let work = scratch.dir("work");
    let cache = scratch.path().join("cache");
    let _stopper = DaemonStopper { zcwrap: zcwrap.clone(), cache: cache.clone() };
    write_sources(&work, SOURCES);
    let embedded = embedded(&cache);
    let wrapped = wrapped(&cache, &zcwrap);
    let all = cases();
    let case = &all[1];
    run(&embedded, case, &work, &compile_env("off")); // store
    for (backend, daemon) in [(&embedded, "off"), (&wrapped, "off"), (&wrapped, "on")] {
        let env = compile_env(daemon);
        run(backend, case, &work, &env); // warm-up (and the daemon's start)
        let mut times = Vec::new();
        for _ in 0..30 {
            let start = Instant::now();
            let o = run(backend, case, &work, &env);
            times.push(start.elapsed());
            assert_eq!(o.result.outcome, Outcome::Hit);
        }
        eprintln!(
            "latency: {} (daemon={daemon}) hit, median of 30, call to return: {:?}",
            backend.kind(),
            median(times)
        );
    }
}
