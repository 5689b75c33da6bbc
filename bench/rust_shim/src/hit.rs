//! Warm hit latency through the crate: the same hit (`g++ -O2 -c hit.cc`, a dozen STL headers) on
//! one cache through every way a host can ask for it, in interleaved rounds.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zcshim::{AuditMode, CompileRequest, Outcome, Service, ShutdownMode};

use crate::executor::Executor;
use crate::fixture::{self, Scratch};
use crate::samples::{median, Samples};

pub struct Options {
    pub rounds: usize,
    pub per_round: usize,
    pub warmup: usize,
}

/// One way to get the hit. `run` does one compile and says whether it was a hit.
struct Variant<'a> {
    key: &'static str,
    what: &'static str,
    run: Box<dyn FnMut() -> bool + 'a>,
    all: Samples,
    round_p50: Vec<f64>,
    hits: usize,
}

fn embedded_hit(service: &Service, request: &CompileRequest) -> bool {
    let result = service.compile(request).expect("embedded compile");
    result.exit_code == 0 && result.outcome == Outcome::Hit
}

pub fn run(zcwrap: &Path, options: &Options) {
    let scratch = Scratch::new("hit");
    let dir = scratch.dir.clone();
    let cache = scratch.cache();
    fixture::write(&dir.join("hit.cc"), &fixture::hit_source());
    fixture::settle();

    fixture::daemon_start(zcwrap, &cache);

    let service = Service::start(&fixture::config(&cache)).expect("service");
    // A second service on the same cache, as soldr runs it with audit on: every event to an
    // audit file, the host's run and command ids on every request. (Not an AuditSink: the crate's
    // sink pointer dangles once Service::start returns; see docs/perf.md, issue 18.)
    let audit_file = dir.join("audit-embedded.jsonl");
    let mut audited_config = fixture::config(&cache);
    audited_config.audit_mode = AuditMode::Normal;
    audited_config.audit_path = Some(audit_file.clone());
    let audited = Service::start(&audited_config).expect("audited service");
    let wrapped = fixture::wrapped(&cache, zcwrap);
    let executor = Executor::new();

    let with_env = fixture::gxx_request(&dir, "hit.cc", Some(fixture::build_script_env(&dir)));
    let without_env = fixture::gxx_request(&dir, "hit.cc", None);
    let wrapped_request = fixture::gxx_request(&dir, "hit.cc", Some(fixture::wrapped_env(&dir)));
    let run_id = format!("soldr-run-{}", std::process::id());
    let mut command_seq = 0u64;

    // Store the result, then let the inputs age past the racy window so hits trust stat
    // signatures (bench/ipc_layers_benchmark.cc does the same).
    let first = service.compile(&with_env).expect("first compile");
    assert_eq!(first.exit_code, 0, "{}", String::from_utf8_lossy(&first.stderr));
    std::thread::sleep(Duration::from_secs(3));

    let mut variants: Vec<Variant> = vec![
        Variant {
            key: "a",
            what: "`Service::compile` (blocking), explicit env (30 variables)",
            run: Box::new(|| embedded_hit(&service, &with_env)),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
        Variant {
            key: "b",
            what: "`Service::compile_async`, awaited by a one-thread executor, explicit env",
            run: Box::new(|| {
                let result = executor.block_on(service.compile_async(&with_env)).expect("async");
                result.exit_code == 0 && result.outcome == Outcome::Hit
            }),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
        Variant {
            key: "c",
            what: "`Service::compile` (blocking), `env: None` (the old C-API figure's path)",
            run: Box::new(|| embedded_hit(&service, &without_env)),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
        Variant {
            key: "e",
            what: "as (a), audit `Normal` to a file, `request.audit` run and command ids",
            run: Box::new(|| {
                let mut request = with_env.clone();
                command_seq += 1;
                request.audit.run_id = Some(run_id.clone());
                request.audit.command_id = Some(format!("cmd-{command_seq}"));
                embedded_hit(&audited, &request)
            }),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
        Variant {
            key: "d",
            what: "`WrappedZcwrap::compile`: a `zcwrap` process per compile, daemon on",
            run: Box::new(|| {
                let result = wrapped.compile(&wrapped_request).expect("wrapped compile");
                result.exit_code == 0 && result.outcome == Outcome::Hit
            }),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
        Variant {
            key: "d0",
            what: "`zcwrap g++ ...` spawned directly (`std::process::Command`, same env, no audit file), daemon on",
            run: Box::new(|| {
                let out = Command::new(zcwrap)
                    .args(["g++", "-O2", "-c", "hit.cc", "-o", "hit.o"])
                    .current_dir(&dir)
                    .env_clear()
                    .envs(fixture::wrapped_env(&dir))
                    .env("ZCWRAP_DIR", &cache)
                    .stdin(Stdio::null())
                    .output()
                    .expect("spawn zcwrap");
                // No outcome to read without an audit file: a success counts (the daemon's
                // counters are compared below).
                out.status.success()
            }),
            all: Samples::default(),
            round_p50: Vec::new(),
            hits: 0,
        },
    ];

    for v in variants.iter_mut() {
        for _ in 0..options.warmup {
            (v.run)();
        }
    }
    let load_before = fixture::load1();
    let started_at = Instant::now();
    let n = variants.len();
    for round in 0..options.rounds {
        for k in 0..n {
            let v = &mut variants[(round + k) % n];
            let mut samples = Samples::default();
            for _ in 0..options.per_round {
                let start = Instant::now();
                let hit = (v.run)();
                samples.push(start.elapsed());
                v.hits += hit as usize;
            }
            v.round_p50.push(samples.summary().p50);
            v.all.extend(&samples);
        }
    }
    let elapsed = started_at.elapsed();
    let load_after = fixture::load1();

    println!(
        "## Warm hits: {} rounds x {} hits per variant, order rotated each round ({:.1} s; \
         1-min load {load_before} before, {load_after} after)\n",
        options.rounds,
        options.per_round,
        elapsed.as_secs_f64()
    );
    println!("| | path | hits | mean µs | p50 µs | p95 µs | p99 µs | min µs | hit rate |");
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|");
    for v in &variants {
        let s = v.all.summary();
        println!(
            "| ({}) | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1}% |",
            v.key,
            v.what,
            s.n,
            s.mean,
            s.p50,
            s.p95,
            s.p99,
            s.min,
            100.0 * v.hits as f64 / s.n as f64
        );
    }
    let wrapped = variants.iter().find(|v| v.key == "d").unwrap();
    let w = wrapped.all.summary();
    println!("\nRatios, wrapped (d) / each embedded variant (per-round p50 ratios: median, min-max):\n");
    println!("| | p50 | mean | p99 | per-round p50 ratio, median (min-max) |");
    println!("|---|--:|--:|--:|---|");
    for v in variants.iter().filter(|v| v.key != "d") {
        let s = v.all.summary();
        let per_round: Vec<f64> =
            wrapped.round_p50.iter().zip(&v.round_p50).map(|(w, e)| w / e).collect();
        let lo = per_round.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = per_round.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        println!(
            "| (d) / ({}) | {:.2} | {:.2} | {:.2} | {:.2} ({:.2}-{:.2}) |",
            v.key,
            w.p50 / s.p50,
            w.mean / s.mean,
            w.p99 / s.p99,
            median(&per_round),
            lo,
            hi
        );
    }
    let a = variants.iter().find(|v| v.key == "a").unwrap().all.summary();
    println!("\nEmbedded variants against (a):\n");
    println!("| | p50 / (a) p50 | mean / (a) mean |");
    println!("|---|--:|--:|");
    for v in variants.iter().filter(|v| v.key != "a") {
        let s = v.all.summary();
        println!("| ({}) | {:.2} | {:.2} |", v.key, s.p50 / a.p50, s.mean / a.mean);
    }
    let events = std::fs::read_to_string(&audit_file).unwrap_or_default();
    println!(
        "\nAudit file of (e): {} events, {} compile.finished carrying the run id.",
        events.lines().count(),
        events
            .lines()
            .filter(|l| l.contains("\"event\":\"compile.finished\"")
                && l.contains(&format!("\"run_id\":\"{run_id}\"")))
            .count()
    );
    drop(variants);

    let stats = service.stats().expect("stats");
    println!(
        "Cache counters after the run (all paths, one cache): direct_cache_hit={:?} cache_miss={:?}",
        stats.counter("direct_cache_hit"),
        stats.counter("cache_miss")
    );
    audited.shutdown(ShutdownMode::Graceful).expect("shutdown");
    service.shutdown(ShutdownMode::Graceful).expect("shutdown");
    fixture::daemon_stop(zcwrap, &cache);
}
