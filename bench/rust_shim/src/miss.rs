//! Cold miss overhead: distinct sources compiled cold through the embedded path and the wrapped
//! path, against plain `g++` with the same arguments, interleaved per file (the order rotates).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use zcshim::{Outcome, Service, ShutdownMode};

use crate::fixture::{self, Scratch};
use crate::samples::{median, Samples};

pub fn run(zcwrap: &Path, files: usize) {
    let scratch = Scratch::new("miss");
    let dir = &scratch.dir;
    let cache = scratch.cache();
    let (emb, plain, wrap) = (dir.join("embedded"), dir.join("plain"), dir.join("wrapped"));
    let tag = format!("p{}", std::process::id());
    for i in 0..files {
        // Plain g++ compiles the embedded path's file; the wrapped path needs its own content
        // (one cache: the same content would be a hit).
        let source = fixture::distinct_source(&format!("e{i}_{tag}"));
        fixture::write(&emb.join(format!("m{i}.cc")), &source);
        fixture::write(&plain.join(format!("m{i}.cc")), &source);
        fixture::write(&wrap.join(format!("m{i}.cc")), &fixture::distinct_source(&format!("w{i}_{tag}")));
    }
    fixture::settle();

    fixture::daemon_start(zcwrap, &cache);
    let service = Service::start(&fixture::config(&cache)).expect("service");
    let wrapped = fixture::wrapped(&cache, zcwrap);
    // Warm what every later compile finds warm in a build: the compiler's identity memo, the
    // daemon's engine (one untimed miss each, not counted).
    fixture::write(&dir.join("warm/w.cc"), &fixture::distinct_source(&format!("warm_{tag}")));
    fixture::write(&dir.join("warm/w2.cc"), &fixture::distinct_source(&format!("warm2_{tag}")));
    fixture::settle();
    let warm = dir.join("warm");
    service
        .compile(&fixture::gxx_request(&warm, "w.cc", Some(fixture::build_script_env(&warm))))
        .unwrap();
    wrapped.compile(&fixture::gxx_request(&warm, "w2.cc", Some(fixture::wrapped_env(&warm)))).unwrap();

    let load_before = fixture::load1();
    let mut t_emb = Samples::default();
    let mut t_plain = Samples::default();
    let mut t_wrap = Samples::default();
    let (mut r_emb, mut r_wrap) = (Vec::new(), Vec::new());
    let (mut emb_misses, mut wrap_misses) = (0, 0);
    let begin = Instant::now();
    for i in 0..files {
        let source = format!("m{i}.cc");
        let mut times = [0f64; 3];
        for k in 0..3 {
            let which = (i + k) % 3;
            let start = Instant::now();
            match which {
                0 => {
                    let request =
                        fixture::gxx_request(&emb, &source, Some(fixture::build_script_env(&emb)));
                    let r = service.compile(&request).expect("embedded");
                    assert_eq!(r.exit_code, 0, "{}", String::from_utf8_lossy(&r.stderr));
                    emb_misses += (r.outcome == Outcome::Miss) as usize;
                }
                1 => {
                    let status = Command::new("g++")
                        .args(["-O2", "-c", &source, "-o", &format!("m{i}.o")])
                        .current_dir(&plain)
                        .env_clear()
                        .envs(fixture::build_script_env(&plain))
                        .stdin(Stdio::null())
                        .output()
                        .expect("g++");
                    assert!(status.status.success());
                }
                _ => {
                    let request =
                        fixture::gxx_request(&wrap, &source, Some(fixture::wrapped_env(&wrap)));
                    let r = wrapped.compile(&request).expect("wrapped");
                    assert_eq!(r.exit_code, 0, "{}", String::from_utf8_lossy(&r.stderr));
                    wrap_misses += (r.outcome == Outcome::Miss) as usize;
                }
            }
            let elapsed = start.elapsed();
            times[which] = elapsed.as_secs_f64();
            match which {
                0 => t_emb.push(elapsed),
                1 => t_plain.push(elapsed),
                _ => t_wrap.push(elapsed),
            }
        }
        r_emb.push(times[0] / times[1]);
        r_wrap.push(times[2] / times[1]);
    }
    let elapsed = begin.elapsed();
    let load_after = fixture::load1();

    // Untimed checks: each miss was stored (a second compile hits) and the embedded objects
    // are plain g++'s, byte for byte.
    let mut stored = 0;
    let mut identical = 0;
    for i in 0..files {
        let source = format!("m{i}.cc");
        let object = format!("m{i}.o");
        let plain_object = fs::read(plain.join(&object)).ok();
        identical += (fs::read(emb.join(&object)).ok() == plain_object) as usize;
        let request = fixture::gxx_request(&emb, &source, Some(fixture::build_script_env(&emb)));
        stored += (service.compile(&request).unwrap().outcome == Outcome::Hit) as usize;
    }

    println!(
        "## Cold misses: {files} distinct sources (the dozen STL headers, -O2), per file in rotating \
         order ({:.1} s; 1-min load {load_before} before, {load_after} after)\n",
        elapsed.as_secs_f64()
    );
    println!("| path | total s | per file p50 ms | per file mean ms | median ratio to plain (per file) | total ratio to plain | misses |");
    println!("|---|--:|--:|--:|--:|--:|--:|");
    let total = |s: &Samples| s.summary().mean * s.len() as f64 / 1e6;
    let plain_total = total(&t_plain);
    let row = |name: &str, s: &Samples, ratios: Option<&[f64]>, misses: String| {
        let sum = s.summary();
        println!(
            "| {name} | {:.2} | {:.0} | {:.0} | {} | {:.3} | {misses} |",
            total(s),
            sum.p50 / 1e3,
            sum.mean / 1e3,
            ratios.map_or("1".to_string(), |r| format!("{:.3}", median(r))),
            total(s) / plain_total
        );
    };
    row("plain `g++` (`std::process::Command`)", &t_plain, None, "-".to_string());
    row("embedded, `Service::compile`, explicit env", &t_emb, Some(&r_emb), format!("{emb_misses}/{files}"));
    row("wrapped, `WrappedZcwrap::compile`, daemon on", &t_wrap, Some(&r_wrap), format!("{wrap_misses}/{files}"));
    let spread = |r: &[f64]| {
        let lo = r.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.3}-{hi:.3}")
    };
    println!(
        "\nPer-file ratios range: embedded {}, wrapped {}. Stored (a second embedded compile hits): \
         {stored}/{files}. Embedded objects identical to plain g++'s: {identical}/{files}.",
        spread(&r_emb),
        spread(&r_wrap)
    );
    service.shutdown(ShutdownMode::Graceful).expect("shutdown");
    fixture::daemon_stop(zcwrap, &cache);
}
