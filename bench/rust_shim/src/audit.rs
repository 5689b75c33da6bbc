//! Audit completeness through the crate: every request carries `request.audit.run_id` and a
//! `command_id` of its own; audit mode `Normal`. Each path compiles N distinct sources cold, then
//! again warm (2N compiles), and the events are matched to the compiles: the `compile.finished`
//! event with the compile's id must carry the run id and that compile's command id.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use zcshim::{
    AuditMode, CompileRequest, CompileResult, Error, Outcome, Service, ShutdownMode, WrappedZcwrap,
};

use crate::fixture::{self, Scratch};

/// The string value of `"name":"..."` in one JSON line (ids hold no escapes).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = line.find(&key)? + key.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// The compiles one path made: (compile id, command id, outcome).
type Made = Vec<(String, String, Outcome)>;

fn compile_all(
    dir: &Path,
    files: usize,
    run_id: &str,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
    mut compile: impl FnMut(&CompileRequest) -> Result<CompileResult, Error>,
) -> Made {
    let mut made = Vec::new();
    for pass in ["cold", "warm"] {
        for i in 0..files {
            let mut request = fixture::gxx_request(dir, &format!("a{i}.cc"), Some(env.to_vec()));
            let command_id = format!("{pass}-{i}");
            request.audit.run_id = Some(run_id.to_string());
            request.audit.command_id = Some(command_id.clone());
            let result = compile(&request).expect("compile");
            assert_eq!(result.exit_code, 0, "{}", String::from_utf8_lossy(&result.stderr));
            made.push((result.compile_id, command_id, result.outcome));
        }
    }
    made
}

/// One table row for the events in `lines`.
fn row(name: &str, source: &str, lines: &[String], run_id: &str, made: &Made) {
    let finished: Vec<&String> =
        lines.iter().filter(|l| l.contains("\"event\":\"compile.finished\"")).collect();
    let with_run = finished.iter().filter(|l| field(l, "run_id") == Some(run_id)).count();
    let by_id: HashMap<&str, &str> = finished
        .iter()
        .filter_map(|l| Some((field(l, "compile_id")?, field(l, "command_id").unwrap_or(""))))
        .collect();
    let matched = made
        .iter()
        .filter(|(compile_id, command_id, _)| by_id.get(compile_id.as_str()) == Some(&command_id.as_str()))
        .count();
    let events_with = lines.iter().filter(|l| field(l, "run_id") == Some(run_id)).count();
    let compile_events = lines.iter().filter(|l| field(l, "compile_id").is_some()).count();
    let hits = made.iter().filter(|m| m.2 == Outcome::Hit).count();
    let misses = made.iter().filter(|m| m.2 == Outcome::Miss).count();
    println!(
        "| {name} | {source} | {} ({misses} misses, {hits} hits) | {} | {with_run} | {matched} | \
         {events_with} / {compile_events} / {} | {:.1}% |",
        made.len(),
        finished.len(),
        lines.len(),
        100.0 * matched as f64 / made.len() as f64
    );
}

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

pub fn run(zcwrap: &Path, files: usize) {
    let scratch = Scratch::new("audit");
    let cache = scratch.cache();
    let (emb, wrap) = (scratch.dir.join("embedded"), scratch.dir.join("wrapped"));
    for i in 0..files {
        fixture::write(&emb.join(format!("a{i}.cc")), &fixture::distinct_source(&format!("ae{i}")));
        fixture::write(&wrap.join(format!("a{i}.cc")), &fixture::distinct_source(&format!("aw{i}")));
    }
    fixture::settle();
    fixture::daemon_start(zcwrap, &cache);

    println!("## Audit completeness: {files} distinct sources, cold then warm, audit mode normal\n");
    println!("| path | events read from | compiles | compile.finished | with the run id | \
              matched (compile id + its command id) | events with the run id / compile events / all | share |");
    println!("|---|---|--:|--:|--:|--:|--:|--:|");

    // Embedded: the service's audit file, as in the run of docs/perf.md (issue 18: that run met
    // the AuditSink crash fixed since in acaf706, and was not repeated with a sink).
    let run_id = format!("soldr-run-{}-embedded", std::process::id());
    let mut config = fixture::config(&cache);
    config.audit_mode = AuditMode::Normal;
    config.audit_path = Some(scratch.dir.join("audit-embedded.jsonl"));
    let service = Service::start(&config).expect("service");
    let env = fixture::build_script_env(&emb);
    let made = compile_all(&emb, files, &run_id, &env, |r| service.compile(r));
    service.flush().expect("flush");
    service.shutdown(ShutdownMode::Graceful).expect("shutdown");
    drop(service);
    row("embedded (`Service::compile`)", "`Config.audit_path` file", &read_lines(&scratch.dir.join("audit-embedded.jsonl")), &run_id, &made);

    // Wrapped: zcwrap (through its daemon) writes each compile's events; the crate appends them
    // to the configured file.
    let run_id = format!("soldr-run-{}-wrapped", std::process::id());
    let mut config = fixture::config(&cache);
    config.audit_mode = AuditMode::Normal;
    config.audit_path = Some(scratch.dir.join("audit-wrapped.jsonl"));
    let wrapped = WrappedZcwrap::new(&config, zcwrap).unwrap();
    let env = fixture::wrapped_env(&wrap);
    let made = compile_all(&wrap, files, &run_id, &env, |r| wrapped.compile(r));
    row("wrapped (`WrappedZcwrap::compile`, daemon on)", "`Config.audit_path` file", &read_lines(&scratch.dir.join("audit-wrapped.jsonl")), &run_id, &made);
    fixture::daemon_stop(zcwrap, &cache);
}
