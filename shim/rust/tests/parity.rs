//! The parity gate: every case runs through the plain compiler, then through the embedded service
//! and through `zcwrap` (with and without its daemon), each backend on its own fresh cache and
//! then warm, each run in its own copy of the sources at one path. The gate compares
//! - what a build sees: exit codes, stdout, stderr, and every file each run created, changed or
//!   removed in its directory (names, bytes and permission bits), against the plain compiler;
//! - the cache outcome and reason of each compile, embedded against wrapped and against what the
//!   case expects, confirmed by the cache's own counters (`Service::stats` for the embedded side,
//!   `zcwrap --print-stats` for the wrapped one): the deltas must agree with each other and with
//!   the outcomes;
//! - each compile's audit events: names in order and every field but ids, clocks and the writer.
//!
//! A result stored by either backend is a hit for the other (one shared cache). Needs
//! `ZCWRAP_BIN` (the `zcwrap` of the build under test); `tests/shim/cargo_test.sh` sets it. Run
//! with `--nocapture` to see timings, and what each backend says when a compiler is missing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    assert_same_changes, changes, copy_tree, delta, events_of, first_difference, on_path, snapshot,
    zcwrap_bin, zcwrap_counters, Change, Changes, Counters, DaemonStopper, Event, Node, Scratch,
};
use zcshim::{
    AuditMode, CancelToken, CompileBackend, CompileRequest, CompileResult, Config, HostIdentity,
    Outcome, Service, ShutdownMode, Status, WrappedZcwrap,
};

/// A compile's whole environment.
type Env = [(OsString, OsString)];

// ---- Fixtures -----------------------------------------------------------------------------------

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
    let mut env: Vec<(OsString, OsString)> =
        env::vars_os().filter(|(name, _)| !name.to_string_lossy().starts_with("ZCWRAP_")).collect();
    env.push(("ZCWRAP_DAEMON".into(), daemon.into()));
    env
}

/// Waits out the kernel's timestamp tick: a file changed in the tick a compile starts counts as
/// modified during the compile, and its result is not stored.
fn wait_out_timestamp_tick() {
    thread::sleep(Duration::from_millis(50));
}

/// Writes `files` under `dir` (executable when the mode says so).
fn write_tree(dir: &Path, files: &[(&str, &str, u32)]) {
    for (name, text, mode) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
    }
}

fn write_sources(dir: &Path, files: &[(&str, &str, u32)]) {
    write_tree(dir, files);
    wait_out_timestamp_tick();
}

/// "Compilers" that die of a signal (without a core file), whatever they are asked. Named `gcc`
/// in SOURCES, so that both backends take them for one.
const SEGV_COMPILER: &str = "#!/bin/sh\nulimit -c 0\nkill -SEGV $$\nexit 3\n";
const KILL_COMPILER: &str = "#!/bin/sh\nulimit -c 0\nkill -KILL $$\nexit 3\n";

const SOURCES: &[(&str, &str, u32)] = &[
    ("warn.c", "int main(void) {\n  int unused;\n  return 0;\n}\n", 0o644),
    (
        "warn.cc",
        "#include <vector>\n\
         int f() {\n  int unused;\n  std::vector<int> v{1, 2};\n  return (int)v.size();\n}\n",
        0o644,
    ),
    ("broken.c", "int main(void) {\n  return undefined_name;\n}\n", 0o644),
    ("dep.h", "#pragma once\ninline int twice(int x) { return 2 * x; }\n", 0o644),
    ("dep.cc", "#include \"dep.h\"\nint g(int x) { return twice(x) + 1; }\n", 0o644),
    ("args.rsp", "-Wall -O2 -c warn.c\n-o rsp.o\n", 0o644),
    // pch.h.gch is built from pch_used.h, which defines PCH_USED: usepch.c compiles only if gcc
    // used the .gch for pch.h.
    (
        "pch.h",
        "#ifndef PCH_H\n#define PCH_H\nstatic inline int pchf(int x) { return 3 * x; }\n#endif\n",
        0o644,
    ),
    ("pch_used.h", "#include \"pch.h\"\n#define PCH_USED 1\n", 0o644),
    (
        "usepch.c",
        "#include \"pch.h\"\n#ifndef PCH_USED\n#error the precompiled header was not used\n#endif\n\
         int usepch(int x) { return pchf(x) + 1; }\n",
        0o644,
    ),
    (
        "hdr.h",
        "#ifndef HDR_H\n#define HDR_H\nstatic inline int hdr(void) { return 7; }\n#endif\n",
        0o644,
    ),
    ("killed-segv/gcc", SEGV_COMPILER, 0o755),
    ("killed-kill/gcc", KILL_COMPILER, 0o755),
    ("conc0.c", "int conc0(int x) { return x + 0; }\n", 0o644),
    ("conc1.c", "int conc1(int x) { return x + 1; }\n", 0o644),
    ("conc2.c", "int conc2(int x) { return x + 2; }\n", 0o644),
    ("conc3.c", "int conc3(int x) { return x + 3; }\n", 0o644),
    ("conc4.c", "int conc4(int x) { return x + 4; }\n", 0o644),
    ("conc5.c", "int conc5(int x) { return x + 5; }\n", 0o644),
];

// ---- Cases --------------------------------------------------------------------------------------

/// What a compile must give, on a fresh and on a warm cache.
#[derive(Clone, Copy, Debug)]
struct Expect {
    exit_code: i32,
    fresh: Outcome,
    warm: Outcome,
    /// The fresh compile stores an entry.
    stores: bool,
    /// Each backend words its own message (the compiler could not be run): stdout and stderr are
    /// not compared, only shown.
    own_messages: bool,
}

/// One compile of a case. `{work}` in an argument is the directory it runs in.
#[derive(Clone, Debug)]
struct Compile {
    args: Vec<&'static str>,
    stdin: Option<&'static str>,
    /// `env: None`: the host's environment, instead of an explicit one.
    host_env: bool,
    expect: Expect,
}

impl Compile {
    /// A successful compile the cache stores, then hits.
    fn cached(args: &[&'static str]) -> Compile {
        let expect = Expect {
            exit_code: 0,
            fresh: Outcome::Miss,
            warm: Outcome::Hit,
            stores: true,
            own_messages: false,
        };
        Compile { args: args.to_vec(), stdin: None, host_env: false, expect }
    }

    /// A compile that fails with `exit_code`: a miss each time, nothing stored.
    fn failing(args: &[&'static str], exit_code: i32) -> Compile {
        let mut compile = Compile::cached(args);
        compile.expect = Expect { exit_code, warm: Outcome::Miss, stores: false, ..compile.expect };
        compile
    }

    /// A call the cache runs plainly.
    fn uncacheable(args: &[&'static str]) -> Compile {
        let mut compile = Compile::cached(args);
        compile.expect = Expect {
            fresh: Outcome::Uncacheable,
            warm: Outcome::Uncacheable,
            stores: false,
            ..compile.expect
        };
        compile
    }

    /// A compiler that cannot be run: exit 127 as from a shell, outcome Error, nothing stored.
    /// How each backend words it is its own.
    fn not_found(args: &[&'static str]) -> Compile {
        let expect = Expect {
            exit_code: 127,
            fresh: Outcome::Error,
            warm: Outcome::Error,
            stores: false,
            own_messages: true,
        };
        Compile { expect, ..Compile::cached(args) }
    }

    fn args_in(&self, work: &Path) -> Vec<String> {
        let work = work.to_str().unwrap();
        self.args.iter().map(|arg| arg.replace("{work}", work)).collect()
    }

    fn request(&self, work: &Path, env: &Env) -> CompileRequest {
        let mut request = CompileRequest::new(self.args_in(work), work);
        request.env = if self.host_env { None } else { Some(env.to_vec()) };
        request.stdin = self.stdin.map(|text| text.as_bytes().to_vec());
        request
    }
}

/// Compiles run at once (one thread each when there are several), in one directory.
struct Case {
    name: &'static str,
    compiles: Vec<Compile>,
    /// A plain command run once in the sources before any run (e.g. building a .gch).
    setup: Option<Vec<&'static str>>,
    /// Outputs the compiler itself does not reproduce byte for byte (gcc's PCH: address space
    /// randomization shows in it): compared by name and mode between compiles, and exactly
    /// between a hit and the compile that stored it; `cache.store`'s `bytes` and the cache
    /// size counter are not compared.
    unreproducible: Vec<&'static str>,
}

fn case(name: &'static str, compile: Compile) -> Case {
    Case { name, compiles: vec![compile], setup: None, unreproducible: Vec::new() }
}

/// The cases behind `parity`, in the order they run (each backend's cache is shared by all).
fn cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "gcc C with a warning",
            Compile::cached(&["gcc", "-Wall", "-g", "-O1", "-c", "warn.c", "-o", "warn.o"]),
        ),
        case(
            "g++ C++ with a warning",
            Compile::cached(&[
                "g++",
                "-Wall",
                "-g",
                "-std=c++17",
                "-c",
                "warn.cc",
                "-o",
                "warn_cc.o",
            ]),
        ),
        case(
            "gcc C with an error",
            Compile::failing(&["gcc", "-Wall", "-c", "broken.c", "-o", "broken.o"], 1),
        ),
        case(
            "g++ C++ with a .d file",
            Compile::cached(&["g++", "-g", "-MD", "-MF", "dep.d", "-c", "dep.cc", "-o", "dep.o"]),
        ),
        case(
            "gcc in the host's environment (env: None)",
            Compile {
                host_env: true,
                ..Compile::cached(&["gcc", "-Wall", "-Os", "-c", "warn.c", "-o", "host_env.o"])
            },
        ),
        case("gcc with a response file", Compile::cached(&["gcc", "@args.rsp"])),
        case(
            "gcc reading the source on stdin",
            Compile {
                stdin: Some(SOURCES[0].1),
                ..Compile::uncacheable(&["gcc", "-Wall", "-x", "c", "-", "-c", "-o", "stdin.o"])
            },
        ),
        case(
            "gcc with split DWARF",
            Compile::cached(&["gcc", "-g", "-gsplit-dwarf", "-c", "warn.c", "-o", "split.o"]),
        ),
        Case {
            unreproducible: vec!["hdr.h.gch"],
            ..case(
                "gcc building a precompiled header",
                Compile::cached(&["gcc", "-x", "c-header", "hdr.h", "-o", "hdr.h.gch"]),
            )
        },
        Case {
            name: "gcc using a precompiled header",
            compiles: vec![Compile::cached(&[
                "gcc",
                "-Winvalid-pch",
                "-O1",
                "-c",
                "usepch.c",
                "-o",
                "usepch.o",
            ])],
            setup: Some(vec!["gcc", "-O1", "-x", "c-header", "pch_used.h", "-o", "pch.h.gch"]),
            unreproducible: Vec::new(),
        },
        case(
            "gcc linking (uncacheable)",
            Compile::uncacheable(&["gcc", "warn.c", "-o", "warn_exe"]),
        ),
        case(
            "a compiler that is not on PATH",
            Compile::not_found(&["zc-no-such-compiler", "-c", "warn.c", "-o", "missing.o"]),
        ),
        case(
            "a compiler path that does not exist",
            Compile::not_found(&["{work}/no-such-dir/gcc", "-c", "warn.c", "-o", "missing.o"]),
        ),
        case(
            "a compiler killed by SIGSEGV",
            Compile::failing(&["{work}/killed-segv/gcc", "-c", "warn.c", "-o", "segv.o"], 128 + 11),
        ),
        case(
            "a compiler killed by SIGKILL",
            Compile::failing(&["{work}/killed-kill/gcc", "-c", "warn.c", "-o", "kill.o"], 128 + 9),
        ),
        Case {
            name: "8 compiles at once",
            compiles: vec![
                Compile::cached(&["gcc", "-O1", "-c", "conc0.c", "-o", "conc0.o"]),
                Compile::cached(&["gcc", "-O1", "-c", "conc1.c", "-o", "conc1.o"]),
                Compile::cached(&["gcc", "-O1", "-g", "-c", "conc2.c", "-o", "conc2.o"]),
                Compile::cached(&["gcc", "-O1", "-MMD", "-c", "conc3.c", "-o", "conc3.o"]),
                Compile::cached(&["gcc", "-O2", "-c", "conc4.c", "-o", "conc4.o"]),
                Compile::cached(&["gcc", "-O2", "-c", "conc5.c", "-o", "conc5.o"]),
                Compile::failing(&["gcc", "-c", "broken.c", "-o", "conc_broken.o"], 1),
                Compile::uncacheable(&["gcc", "warn.c", "-o", "conc_exe"]),
            ],
            setup: None,
            unreproducible: Vec::new(),
        },
    ];
    if on_path("clang") && on_path("clang++") {
        cases.push(case(
            "clang C with a warning",
            Compile::cached(&["clang", "-Wall", "-g", "-c", "warn.c", "-o", "warn_clang.o"]),
        ));
        cases.push(case(
            "clang++ C++ with a .d file",
            Compile::cached(&[
                "clang++", "-g", "-MMD", "-MF", "dep_cl.d", "-c", "dep.cc", "-o", "dep_cl.o",
            ]),
        ));
        cases.push(case(
            "clang with split DWARF",
            Compile::cached(&["clang", "-g", "-gsplit-dwarf", "-c", "warn.c", "-o", "split_cl.o"]),
        ));
    } else {
        eprintln!("note: clang/clang++ not on PATH: the parity gate runs the gcc cases only");
    }
    cases
}

// ---- Runs ---------------------------------------------------------------------------------------

/// A backend with where to read what it did besides its results.
struct Side {
    backend: CompileBackend,
    cache: PathBuf,
    audit: PathBuf,
    zcwrap: PathBuf,
}

impl Side {
    fn new(kind: &str, dir: &Path, zcwrap: &Path) -> Side {
        let cache = dir.join(format!("cache-{kind}"));
        let audit = dir.join(format!("audit-{kind}.jsonl"));
        let mut cfg = config(&cache);
        cfg.audit_mode = AuditMode::Normal;
        cfg.audit_path = Some(audit.clone());
        let backend = match kind {
            "embedded" => CompileBackend::Embedded(Arc::new(Service::start(&cfg).unwrap())),
            _ => CompileBackend::Wrapped(WrappedZcwrap::new(&cfg, zcwrap).unwrap()),
        };
        Side { backend, cache, audit, zcwrap: zcwrap.to_path_buf() }
    }

    /// The cache's counters, each side from its own reader: the service's stats call, or the CLI.
    fn counters(&self) -> Counters {
        match &self.backend {
            CompileBackend::Embedded(service) => {
                service.stats().unwrap().counters.into_iter().collect()
            }
            CompileBackend::Wrapped(_) => zcwrap_counters(&self.zcwrap, &self.cache),
        }
    }
}

/// What one run of a case did.
struct Run {
    what: String,
    /// On the backend's fresh cache (each case's first run through it).
    fresh: bool,
    /// Per compile, in the case's order.
    results: Vec<CompileResult>,
    /// Per compile: its audit events (none for the plain compiler).
    events: Vec<Vec<Event>>,
    /// The whole directory, before to after.
    changes: Changes,
    /// The cache's counters, after minus before (empty for the plain compiler).
    counters: BTreeMap<String, i64>,
}

/// The plain compiler. Only exit code, stdout and stderr mean anything in the result; a compiler
/// that cannot be run is 127, as in a shell.
fn compile_plain(compile: &Compile, work: &Path, env: &Env) -> CompileResult {
    let args = compile.args_in(work);
    let mut cmd = Command::new(&args[0]);
    cmd.args(&args[1..]).current_dir(work);
    if !compile.host_env {
        cmd.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    }
    cmd.stdin(if compile.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => {
            let mut result = CompileResult::new(127, Outcome::Uncacheable);
            result.stderr = format!("cannot run {}: {e}\n", args[0]).into_bytes();
            return result;
        }
    };
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), compile.stdin) {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    let mut result = CompileResult::new(code, Outcome::Uncacheable);
    result.stdout = out.stdout;
    result.stderr = out.stderr;
    result
}

/// Runs `case` in `work` (its sources moved in from `stage`, the directory moved on to `done`
/// afterwards), through `side` or the plain compiler.
fn run_case(
    what: String,
    fresh: bool,
    side: Option<&Side>,
    case: &Case,
    dirs: (&Path, &Path, &Path),
    env: &Env,
) -> Run {
    let (stage, work, done) = dirs;
    fs::rename(stage, work).unwrap();
    let before = snapshot(work);
    let counters_before = side.map(Side::counters);
    let compile_one = |compile: &Compile| match side {
        Some(side) => side
            .backend
            .compile(&compile.request(work, env))
            .unwrap_or_else(|e| panic!("{what}: {} failed: {e}", side.backend.kind())),
        None => compile_plain(compile, work, env),
    };
    let results: Vec<CompileResult> = if case.compiles.len() == 1 {
        vec![compile_one(&case.compiles[0])]
    } else {
        thread::scope(|scope| {
            let threads: Vec<_> =
                case.compiles.iter().map(|c| scope.spawn(|| compile_one(c))).collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        })
    };
    let counters = match (side, counters_before) {
        (Some(side), Some(before)) => delta(&before, &side.counters()),
        _ => BTreeMap::new(),
    };
    let changes = changes(&before, &snapshot(work));
    fs::rename(work, done).unwrap();
    let events = results
        .iter()
        .map(|r| side.map(|s| events_of(&s.audit, &r.compile_id)).unwrap_or_default())
        .collect();
    Run { what, fresh, results, events, changes, counters }
}

// ---- Comparisons --------------------------------------------------------------------------------

fn assert_same_bytes(what: &str, a: &[u8], b: &[u8]) {
    if a != b {
        let show = |x: &[u8]| String::from_utf8_lossy(&x[..x.len().min(400)]).into_owned();
        panic!(
            "{what}: differ (lengths {} and {}, first difference at byte {})\n\
             --- first:\n{}\n--- second:\n{}",
            a.len(),
            b.len(),
            first_difference(a, b),
            show(a),
            show(b)
        );
    }
}

/// What a build sees of compile `i` in two runs: exit code, stdout, stderr.
fn assert_same_output(what: &str, expect: &Expect, a: &CompileResult, b: &CompileResult) {
    assert_eq!(a.exit_code, b.exit_code, "{what}: exit code");
    if !expect.own_messages {
        assert_same_bytes(&format!("{what}: stdout"), &a.stdout, &b.stdout);
        assert_same_bytes(&format!("{what}: stderr"), &a.stderr, &b.stderr);
    }
}

/// `exit_code` of compile.finished: `zcwrap` writes `null` when it handed the call to the
/// compiler with `exec` (docs/audit.md); the embedded service always knows the exit code. That
/// one difference is allowed, nothing else.
fn exit_code_field_agrees(embedded: &Event, wrapped: &Event, result: &CompileResult) -> bool {
    let (e, w) = (embedded.field("exit_code"), wrapped.field("exit_code"));
    let exec = w == Some("null")
        && e == Some(result.exit_code.to_string().as_str())
        && matches!(result.outcome, Outcome::Uncacheable | Outcome::Error);
    e == w || exec
}

/// Both backends wrote the same events for one compile, field for field (see
/// `common::UNCOMPARED_FIELDS` for what is left out).
fn assert_same_events(what: &str, case: &Case, e: &[Event], w: &[Event], result: &CompileResult) {
    let names = |events: &[Event]| events.iter().map(|ev| ev.name.clone()).collect::<Vec<_>>();
    let comparable = |ev: &Event| {
        let mut ev = ev.clone();
        if !case.unreproducible.is_empty() && ev.name == "cache.store" {
            ev.fields.retain(|(n, _)| n != "bytes");
        }
        ev
    };
    assert_eq!(names(e), names(w), "{what}: audit event names, embedded vs wrapped");
    for (x, y) in e.iter().zip(w) {
        if x.name == "compile.finished" {
            let (ex, wx) = (x.field("exit_code"), y.field("exit_code"));
            assert!(
                exit_code_field_agrees(x, y, result),
                "{what}: compile.finished exit_code: embedded {ex:?}, wrapped {wx:?}"
            );
            if ex != wx {
                eprintln!(
                    "note [{what}]: compile.finished exit_code {ex:?} embedded, {wx:?} wrapped"
                );
            }
            let rest = |ev: &Event| {
                ev.fields.iter().filter(|(n, _)| n != "exit_code").cloned().collect::<Vec<_>>()
            };
            assert_eq!(rest(x), rest(y), "{what}: compile.finished, embedded vs wrapped");
        } else {
            assert_eq!(comparable(x), comparable(y), "{what}: audit event, embedded vs wrapped");
        }
    }
}

/// A compile's events are whole and say what its result says; a store is where one is expected.
fn assert_events_tell_the_result(
    what: &str,
    events: &[Event],
    result: &CompileResult,
    stored: bool,
) {
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"compile.started"), "{what}: events {names:?}");
    assert_eq!(names.last(), Some(&"compile.finished"), "{what}: events {names:?}");
    let finished = events.last().unwrap();
    assert_eq!(
        finished.field("outcome"),
        Some(format!("\"{}\"", result.outcome).as_str()),
        "{what}"
    );
    assert_eq!(finished.field("reason"), Some(format!("\"{}\"", result.reason).as_str()), "{what}");
    assert_eq!(names.contains(&"cache.store"), stored, "{what}: cache.store in {names:?}");
    let hit_event = names.contains(&"cache.hit");
    assert_eq!(hit_event, result.outcome == Outcome::Hit, "{what}: cache.hit in {names:?}");
}

/// The cache's counters moved as the outcomes say: each hit, successful miss and failed compile
/// counted once, each result's reason counted as often as it was given, and entries added exactly
/// when something was stored.
fn assert_counters_confirm(what: &str, run: &Run, stored: bool) {
    let d = |name: &str| run.counters.get(name).copied().unwrap_or(0);
    let count =
        |f: &dyn Fn(&CompileResult) -> bool| run.results.iter().filter(|r| f(r)).count() as i64;
    let what = format!("{what}: counters {:?}", run.counters);
    assert_eq!(
        d("direct_cache_hit") + d("preprocessed_cache_hit"),
        count(&|r| r.outcome == Outcome::Hit),
        "{what}: hits"
    );
    assert_eq!(
        d("cache_miss"),
        count(&|r| r.outcome == Outcome::Miss && r.exit_code == 0),
        "{what}: misses"
    );
    assert_eq!(
        d("compile_failed"),
        count(&|r| r.outcome == Outcome::Miss && r.exit_code != 0),
        "{what}: failed compiles"
    );
    let reasons: BTreeSet<&str> = run.results.iter().map(|r| r.reason.as_str()).collect();
    for reason in reasons {
        let given = count(&|r| r.reason == reason);
        assert_eq!(d(reason), given, "{what}: counter {reason:?}, the reason of {given} result(s)");
    }
    assert_eq!(d("files_in_cache") > 0, stored, "{what}: entries added");
}

/// Every comparison of one case: plain compiler, embedded and wrapped, fresh and warm.
fn check_case(case: &Case, plain: &Run, runs: [&Run; 4]) {
    let [e_fresh, w_fresh, e_warm, w_warm] = runs;
    for (i, compile) in case.compiles.iter().enumerate() {
        let x = &compile.expect;
        let what = |run: &Run| format!("{} #{i} ({})", run.what, compile.args.join(" "));
        assert_eq!(plain.results[i].exit_code, x.exit_code, "{}: exit code", what(plain));
        for run in runs {
            let r = &run.results[i];
            let expected = if run.fresh { x.fresh } else { x.warm };
            assert_eq!(
                r.outcome,
                expected,
                "{}: outcome ({}), events {:?}",
                what(run),
                r.reason,
                run.events[i]
            );
            // The cache changes nothing a build can see.
            assert_same_output(
                &format!("{} vs {}", what(plain), run.what),
                x,
                &plain.results[i],
                r,
            );
            assert_events_tell_the_result(&what(run), &run.events[i], r, run.fresh && x.stores);
            if x.own_messages {
                assert_ne!(r.exit_code, 0, "{}", what(run));
                eprintln!(
                    "message [{}]: exit {}, outcome {} ({}), stderr {:?}, counters {:?}, {:?}",
                    what(run),
                    r.exit_code,
                    r.outcome,
                    r.reason,
                    String::from_utf8_lossy(&r.stderr),
                    run.counters,
                    run.events[i].last()
                );
            }
        }
        for (e, w) in [(e_fresh, w_fresh), (e_warm, w_warm)] {
            let what = format!("{} vs {}", what(e), w.what);
            let (re, rw) = (&e.results[i], &w.results[i]);
            assert_eq!(
                (re.outcome, &re.reason),
                (rw.outcome, &rw.reason),
                "{what}: outcome, reason"
            );
            assert_same_output(&what, x, re, rw);
            assert_same_events(&what, case, &e.events[i], &w.events[i], re);
        }
    }
    let stores = case.compiles.iter().any(|c| c.expect.stores);
    let masked = |run: &Run| masked(&run.changes, &case.unreproducible);
    for run in runs {
        let what = format!("{} vs {}", plain.what, run.what);
        assert_same_changes(&what, &masked(plain), &masked(run));
        assert_counters_confirm(&run.what, run, run.fresh && stores);
    }
    for (e, w) in [(e_fresh, w_fresh), (e_warm, w_warm)] {
        assert_same_changes(&format!("{} vs {}", e.what, w.what), &masked(e), &masked(w));
        // The size is a running total in KiB: its step rounds differently once the two caches
        // hold different bytes (an unreproducible output earlier): within 1 KiB, or anything
        // for this case's own unreproducible outputs.
        let without_size = |run: &Run| {
            let mut counters = run.counters.clone();
            let size = counters.remove("cache_size_kibibyte").unwrap_or(0);
            (counters, size)
        };
        let ((ce, size_e), (cw, size_w)) = (without_size(e), without_size(w));
        assert_eq!(ce, cw, "{} vs {}: counter deltas", e.what, w.what);
        assert!(
            (size_e - size_w).abs() <= 1 || !case.unreproducible.is_empty(),
            "{} vs {}: cache_size_kibibyte deltas {size_e} and {size_w}",
            e.what,
            w.what
        );
    }
    // A hit restores exactly what its backend's fresh compile wrote, unreproducible bytes too.
    for (fresh, warm) in [(e_fresh, e_warm), (w_fresh, w_warm)] {
        assert_same_changes(
            &format!("{} vs {}", fresh.what, warm.what),
            &fresh.changes,
            &warm.changes,
        );
    }
}

/// `changes` with the bytes of the files named in `names` left out (kinds and modes kept).
fn masked(changes: &Changes, names: &[&str]) -> Changes {
    let mut out = changes.clone();
    for (name, change) in out.iter_mut() {
        if let Change::Created(Node::File { data, .. }) | Change::Changed(Node::File { data, .. }) =
            change
        {
            if names.iter().any(|n| Path::new(n) == name) {
                *data = b"<not reproducible>".to_vec();
            }
        }
    }
    out
}

// ---- Parity -------------------------------------------------------------------------------------

const RUNS: [&str; 5] =
    ["plain", "embedded fresh", "wrapped fresh", "embedded warm", "wrapped warm"];

/// Every case through the plain compiler and both backends, each backend on its own cache, fresh
/// then warm; each run in its own copy of the sources, moved to one path (so debug info and
/// dependency files name the same directory).
fn parity(daemon: &str) {
    let started = Instant::now();
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new(&format!("daemon-{daemon}"));
    let root = scratch.path();
    let work = root.join("work");
    let embedded = Side::new("embedded", root, &zcwrap);
    let wrapped = Side::new("wrapped", root, &zcwrap);
    let _stopper = DaemonStopper { zcwrap: zcwrap.clone(), cache: wrapped.cache.clone() };
    let env = compile_env(daemon);
    let cases = cases();

    // Every copy first, then one wait for the timestamp tick.
    let template = scratch.dir("template");
    write_tree(&template, SOURCES);
    for (c, case) in cases.iter().enumerate() {
        let sources = root.join(format!("sources-{c}"));
        copy_tree(&template, &sources);
        if let Some(setup) = &case.setup {
            let out =
                Command::new(setup[0]).args(&setup[1..]).current_dir(&sources).output().unwrap();
            assert!(
                out.status.success(),
                "{}: setup: {}",
                case.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for r in 0..RUNS.len() {
            copy_tree(&sources, &root.join(format!("stage-{c}-{r}")));
        }
    }
    wait_out_timestamp_tick();

    for (c, case) in cases.iter().enumerate() {
        let sides = [None, Some(&embedded), Some(&wrapped), Some(&embedded), Some(&wrapped)];
        let runs: Vec<Run> = sides
            .iter()
            .zip(RUNS)
            .enumerate()
            .map(|(r, (side, label))| {
                let stage = root.join(format!("stage-{c}-{r}"));
                let done = root.join(format!("done-{c}-{r}"));
                let what = format!("[daemon={daemon}] {}, {label}", case.name);
                let fresh = label.ends_with("fresh");
                run_case(what, fresh, *side, case, (&stage, &work, &done), &env)
            })
            .collect();
        check_case(case, &runs[0], [&runs[1], &runs[2], &runs[3], &runs[4]]);
        let took = |r: usize| runs[r].results.iter().map(|x| x.total).max().unwrap();
        eprintln!(
            "timing [daemon={daemon}] {}: fresh embedded {:?}, wrapped {:?}; warm embedded {:?}, \
             wrapped {:?}",
            case.name,
            took(1),
            took(2),
            took(3),
            took(4)
        );
    }
    // The service's counters are the cache's: the CLI reads the same numbers from disk.
    let through_cli = zcwrap_counters(&zcwrap, &embedded.cache);
    let through_service = embedded.counters();
    let strip = |c: &Counters| {
        c.iter()
            .filter(|(n, _)| !common::is_clock(n))
            .map(|(n, v)| (n.clone(), *v))
            .collect::<Counters>()
    };
    assert_eq!(strip(&through_service), strip(&through_cli), "embedded counters: service vs CLI");
    assert_daemon_ran(daemon, &zcwrap, &wrapped.cache);
    eprintln!("timing [daemon={daemon}] all {} cases: {:?}", cases.len(), started.elapsed());
}

#[test]
fn parity_without_daemon() {
    parity("off");
}

#[test]
fn parity_with_daemon() {
    parity("on");
}

/// One compile in `work` through `backend`; what it wrote is removed afterwards, and returned.
fn compile_and_clean(
    backend: &CompileBackend,
    compile: &Compile,
    work: &Path,
    env: &Env,
) -> (CompileResult, Changes) {
    let before = snapshot(work);
    let result = backend
        .compile(&compile.request(work, env))
        .unwrap_or_else(|e| panic!("{} compile failed: {e}", backend.kind()));
    let changes = changes(&before, &snapshot(work));
    for (name, change) in &changes {
        assert!(matches!(change, Change::Created(_)), "{}: {change:?}", name.display());
        fs::remove_file(work.join(name)).unwrap();
    }
    (result, changes)
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

    let (c_case, dep_case) = (&all[0].compiles[0], &all[3].compiles[0]);
    for (store, hit, compile) in [(&embedded, &wrapped, c_case), (&wrapped, &embedded, dep_case)] {
        let what = format!("[daemon={daemon}] {} stores, {} hits", store.kind(), hit.kind());
        let (first, first_files) = compile_and_clean(store, compile, &work, &env);
        let (second, second_files) = compile_and_clean(hit, compile, &work, &env);
        assert_eq!(first.outcome, Outcome::Miss, "{what}");
        assert_eq!(second.outcome, Outcome::Hit, "{what}");
        assert_same_output(&what, &compile.expect, &first, &second);
        assert_same_changes(&what, &first_files, &second_files);
    }
    assert_daemon_ran(daemon, &zcwrap, &cache);
}

/// `zc-no-such-compiler` (not on PATH) ends with reason could_not_find_compiler through both
/// backends, and that counter moves by one on each (it did not before: zcwrap_main.cc and
/// shim/internal/service.cc returned 127 without counting; found by this gate).
#[test]
fn a_compiler_missing_from_path_is_counted() {
    let zcwrap = zcwrap_bin();
    let scratch = Scratch::new("uncounted");
    let work = scratch.dir("work");
    write_sources(&work, SOURCES);
    let env = compile_env("off");
    let compile = Compile::not_found(&["zc-no-such-compiler", "-c", "warn.c", "-o", "missing.o"]);
    let mut uncounted = Vec::new();
    for side in [
        Side::new("embedded", scratch.path(), &zcwrap),
        Side::new("wrapped", scratch.path(), &zcwrap),
    ] {
        let before = side.counters();
        let result = side.backend.compile(&compile.request(&work, &env)).unwrap();
        let counted = delta(&before, &side.counters());
        assert_eq!((result.exit_code, result.reason.as_str()), (127, "could_not_find_compiler"));
        if counted.get("could_not_find_compiler") != Some(&1) {
            uncounted.push(format!("{}: the counters moved by {counted:?}", side.backend.kind()));
        }
    }
    assert!(
        uncounted.is_empty(),
        "reason could_not_find_compiler, but not counted by {}",
        uncounted.join("; ")
    );
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

fn remove_outputs(work: &Path, before: &common::Tree) {
    for (name, _) in changes(before, &snapshot(work)) {
        fs::remove_file(work.join(name)).unwrap();
    }
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
    let c_compile = &all[0].compiles[0];
    let link = Compile::uncacheable(&["gcc", "warn.c", "-o", "warn"]);
    let sources = snapshot(&work);
    let mut ids = Vec::new();
    for compile in [c_compile, c_compile, &link] {
        let mut req = compile.request(&work, &env);
        req.audit.run_id = Some("run-parity-7".into());
        req.audit.command_id = Some("cmd-3".into());
        req.audit.trace_id = Some("trace-abc".into());
        let result = service.compile(&req).unwrap();
        remove_outputs(&work, &sources);
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
    let mut req = c_compile.request(&work, &env);
    req.audit.run_id = Some("run-parity-7w".into());
    let result = wrapped.compile(&req).unwrap();
    remove_outputs(&work, &sources);
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
    let compile = &all[1].compiles[0];
    let sources = snapshot(&work);
    let run = |backend: &CompileBackend, env: &Env| {
        let result = backend.compile(&compile.request(&work, env)).unwrap();
        remove_outputs(&work, &sources);
        result
    };
    run(&embedded, &compile_env("off")); // store
    for (backend, daemon) in [(&embedded, "off"), (&wrapped, "off"), (&wrapped, "on")] {
        let env = compile_env(daemon);
        run(backend, &env); // warm-up (and the daemon's start)
        let mut times = Vec::new();
        for _ in 0..30 {
            let start = Instant::now();
            let result = run(backend, &env);
            times.push(start.elapsed());
            assert_eq!(result.outcome, Outcome::Hit);
        }
        eprintln!(
            "latency: {} (daemon={daemon}) hit, median of 30, call to return: {:?}",
            backend.kind(),
            median(times)
        );
    }
}
