//! The embedded path's cost measured through the `zcshim` crate, as soldr calls it (issue 18 item
//! 9): an explicit environment on every request, `compile` and `compile_async`, the wrapped path
//! beside it. Built and run by bench/rust_shim/run.sh; the figures are in docs/perf.md.
//!
//!   zcshim-bench hit   --zcwrap Z [--rounds 20] [--per-round 100] [--warmup 20]
//!   zcshim-bench miss  --zcwrap Z [--files 40]
//!   zcshim-bench audit --zcwrap Z [--files 20]
//!   zcshim-bench trace-setup --zcwrap Z --dir D
//!   zcshim-bench trace --zcwrap Z --dir D --path embedded|wrapped --phase hit|miss [--n 20]
//!        [--env build|none] [--call blocking|async]
//!
//! Each phase uses a fresh scratch directory and cache under /tmp (trace: D), starts the cache's
//! daemon for the wrapped path and stops it at the end. Markdown goes to stdout.

mod audit;
mod executor;
mod fixture;
mod hit;
mod miss;
mod samples;
mod trace;

use std::collections::HashMap;
use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: zcshim-bench hit|miss|audit|trace-setup|trace --zcwrap PATH [--rounds N] \
         [--per-round N] [--warmup N] [--files N] [--dir D] [--path embedded|wrapped] \
         [--phase hit|miss] [--n N]"
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().cloned().unwrap_or_else(|| usage());
    let mut options: HashMap<String, String> = HashMap::new();
    let mut rest = args[1..].iter();
    while let Some(name) = rest.next() {
        let name = name.strip_prefix("--").unwrap_or_else(|| usage());
        let value = rest.next().unwrap_or_else(|| usage());
        options.insert(name.to_string(), value.clone());
    }
    let number = |name: &str, default: usize| -> usize {
        options.get(name).map_or(default, |v| v.parse().unwrap_or_else(|_| usage()))
    };
    let text = |name: &str| -> String { options.get(name).cloned().unwrap_or_else(|| usage()) };
    let zcwrap = std::fs::canonicalize(text("zcwrap")).expect("--zcwrap must exist");

    match command.as_str() {
        "hit" => hit::run(
            &zcwrap,
            &hit::Options {
                rounds: number("rounds", 20),
                per_round: number("per-round", 100),
                warmup: number("warmup", 20),
            },
        ),
        "miss" => miss::run(&zcwrap, number("files", 40)),
        "audit" => audit::run(&zcwrap, number("files", 20)),
        "trace-setup" => trace::setup(&PathBuf::from(text("dir")), &zcwrap),
        "trace" => trace::run(
            &PathBuf::from(text("dir")),
            &zcwrap,
            &text("path"),
            &text("phase"),
            number("n", 20),
            options.get("env").map_or("build", String::as_str),
            options.get("call").map_or("blocking", String::as_str),
        ),
        _ => usage(),
    }
}
