#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh into summary.md and SVG charts (standard library only;
the charts need gnuplot, and are left out without it).

    bench/render_report.py bench/results/2024-05-01

Reads, in that directory:
  replay-<project>.jsonl   zc_replay --json output, one object per (backend, mode)
  micro/<name>.json        Google Benchmark --benchmark_out JSON files (optional)
  commands.txt             the exact commands that produced them, one per line (optional)
  machine.txt              extra lines for the machine table, "key: value" (optional)
Writes summary.md, and with gnuplot replay-<project>.svg (wall time per backend, cold and warm)
and micro.svg (median latency per micro-benchmark), plus the .dat/.gp files behind them.

Ratios are against the plain compiler's cold replay of the same project, from the same run.
"""

import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys

BACKEND_ORDER = ["plain", "zcwrap-off", "zcwrap-daemon", "shim", "ccache", "sccache"]
BACKEND_LABEL = {
    "plain": "plain compiler",
    "zcwrap-off": "zcwrap (daemon off)",
    "zcwrap-daemon": "zcwrap (daemon on)",
    "shim": "shim (in-process)",
    "ccache": "ccache",
    "sccache": "sccache",
}
TIME_UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def run(argv):
    """First line of a command's output, or '' if it cannot run."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if text else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_rows(results_dir):
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rows = [
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU model", cpu or "unknown"),
        ("kernel", platform.release()),
        ("OS", run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"])),
        ("gcc", run(["gcc", "--version"])),
        ("clang", run(["clang", "--version"])),
        ("ccache", run(["ccache", "--version"])),
        ("sccache", run(["sccache", "--version"])),
    ]
    extra = os.path.join(results_dir, "machine.txt")
    if os.path.exists(extra):
        with open(extra, encoding="utf-8") as f:
            for line in f:
                if ":" in line:
                    key, value = line.split(":", 1)
                    rows.append((key.strip(), value.strip()))
    return rows


def load_replays(results_dir):
    projects = {}
    # In the order they were run (file modification time).
    paths = glob.glob(os.path.join(results_dir, "replay-*.jsonl"))
    for path in sorted(paths, key=lambda p: (os.path.getmtime(p), p)):
        project = os.path.basename(path)[len("replay-"):-len(".jsonl")]
        records = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        print(f"render_report: {path}: skipping a bad line: {e}", file=sys.stderr)
        projects[project] = records
    return projects


def order_key(record):
    b = record["backend"]
    return (BACKEND_ORDER.index(b) if b in BACKEND_ORDER else 99, record["mode"] != "cold")


def ratio(value, base):
    return f"{value / base:.3f}×" if base else "–"


def replay_table(records):
    plain = next((r for r in records if r["backend"] == "plain" and r["mode"] == "cold"), None)
    base_wall = plain["wall_s"] if plain else 0
    base_cpu = plain["cpu_s"] if plain else 0
    lines = [
        "| backend | mode | wall s | wall vs plain | CPU s | CPU vs plain | hits | failures "
        "| spawns / compile | IPC round trips / compile |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(records, key=order_key):
        rtt = f"{r['ipc_round_trips_per_compile']:.2f}" + ("" if r["round_trips_measured"] else
                                                           " (model)")
        lines.append(
            f"| {BACKEND_LABEL.get(r['backend'], r['backend'])} | {r['mode']} "
            f"| {r['wall_s']:.2f} | {ratio(r['wall_s'], base_wall)} "
            f"| {r['cpu_s']:.2f} | {ratio(r['cpu_s'], base_cpu)} "
            f"| {r['hits']}/{r['compiles']} | {r['failures']} "
            f"| {r['spawns_per_compile']:.2f} | {rtt} |")
    return lines


def counting_notes(projects):
    seen = {}
    for records in projects.values():
        for r in records:
            seen.setdefault(r["backend"], r.get("counting", ""))
    return [f"- **{BACKEND_LABEL.get(b, b)}**: {seen[b]}"
            for b in sorted(seen, key=lambda b: BACKEND_ORDER.index(b)
                            if b in BACKEND_ORDER else 99)]


def display_name(run_name):
    """A benchmark name without Google Benchmark's run options (min_time:2.000, real_time)."""
    parts = [p for p in run_name.split("/")
             if not re.match(r"^(min_time|min_warmup_time|repeats|iterations|threads):", p)
             and p not in ("real_time", "process_time", "manual_time")]
    return "/".join(parts)


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def load_micro(results_dir, paths=None):
    """{benchmark name: {statistic: microseconds}}: files in name order, each file's benchmarks
    in natural name order (BM_A_x/4096 before BM_A_x/65536)."""
    if paths is None:
        paths = sorted(glob.glob(os.path.join(results_dir, "micro", "*.json")))
    rows = {}
    for path in paths:
        file_rows = {}
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            print(f"render_report: {path}: {e}", file=sys.stderr)
            continue
        for b in data.get("benchmarks", []):
            if b.get("error_occurred"):
                continue
            name = display_name(b.get("run_name", b.get("name", "?")))
            unit = TIME_UNIT_US.get(b.get("time_unit", "ns"), 1e-3)
            if b.get("run_type") == "aggregate":
                stat = b.get("aggregate_name", "")
                if stat in ("stddev", "cv") or b.get("aggregate_unit") == "percentage":
                    continue
            else:
                stat = "time"
            if "real_time" in b:
                file_rows.setdefault(name, {})[stat] = b["real_time"] * unit
        for name in sorted(file_rows, key=natural_key):
            rows[name] = file_rows[name]
    return rows


def micro_table(rows):
    stats = [s for s in ["time", "mean", "median", "p95", "p99"]
             if any(s in v for v in rows.values())]
    stats += sorted({s for v in rows.values() for s in v} - set(stats))
    lines = ["| benchmark | " + " | ".join(f"{s} µs" for s in stats) + " |",
             "|---|" + "---:|" * len(stats)]
    for name, v in rows.items():
        cells = [f"{v[s]:.2f}" if s in v else "" for s in stats]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def gnuplot(results_dir, name, script):
    path = os.path.join(results_dir, name + ".gp")
    with open(path, "w", encoding="utf-8") as f:
        f.write(script)
    if shutil.which("gnuplot") is None:
        return False
    out = subprocess.run(["gnuplot", os.path.basename(path)], cwd=results_dir,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"render_report: gnuplot {path}: {out.stderr.strip()}", file=sys.stderr)
        return False
    return True


def replay_chart(results_dir, project, records):
    backends = [b for b in BACKEND_ORDER if any(r["backend"] == b for r in records)]
    dat = os.path.join(results_dir, f"replay-{project}.dat")
    with open(dat, "w", encoding="utf-8") as f:
        f.write("# backend cold_wall_s warm_wall_s\n")
        for b in backends:
            cold = next((r["wall_s"] for r in records if r["backend"] == b and r["mode"] == "cold"),
                        None)
            warm = next((r["wall_s"] for r in records if r["backend"] == b and r["mode"] == "warm"),
                        None)
            f.write(f'"{BACKEND_LABEL.get(b, b)}" {cold if cold else "NaN"} '
                    f'{warm if warm else "NaN"}\n')
    script = f"""set terminal svg size 900,480 dynamic font "sans,11" noenhanced
set output "replay-{project}.svg"
set title "{project}: replay wall time (lower is better, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "seconds"
set yrange [0.01:*]
set xtics rotate by -20
set grid ytics
set key top right
plot "replay-{project}.dat" using 2:xtic(1) title "cold (empty cache)", \\
     "" using 3 title "warm (second run)"
"""
    return gnuplot(results_dir, f"replay-{project}", script)


def micro_chart(results_dir, rows, title):
    points = [(name, v.get("median", v.get("time", v.get("mean")))) for name, v in rows.items()]
    points = [(n, t) for n, t in points if t]
    if not points:
        return False
    dat = os.path.join(results_dir, "micro.dat")
    with open(dat, "w", encoding="utf-8") as f:
        f.write("# index median_us name\n")
        for i, (name, t) in enumerate(points):
            label = name.replace('"', "'")
            f.write(f'{i} {t} "{label}"\n')
    height = max(300, 22 * len(points) + 120)
    xmin = min(t for _, t in points) / 2
    script = f"""set terminal svg size 1000,{height} dynamic font "sans,10" noenhanced
set output "micro.svg"
set title "{title}: median latency (log scale)"
set style fill solid 0.8 border -1
set logscale x
set xlabel "microseconds"
set ytics scale 0
set yrange [{len(points)}:-1]
set grid xtics
set key off
set xrange [{xmin}:*]
plot "micro.dat" using ({xmin}):1:($2-{xmin}):(0):yticlabels(3) with vectors nohead lw 12
"""
    return gnuplot(results_dir, "micro", script)


def main():
    if len(sys.argv) != 2:
        print("usage: render_report.py RESULTS_DIR", file=sys.stderr)
        return 2
    results_dir = sys.argv[1]
    if not os.path.isdir(results_dir):
        print(f"render_report: {results_dir}: not a directory", file=sys.stderr)
        return 2
    projects = load_replays(results_dir)
    micro = load_micro(results_dir)

    out = [f"# zcwrap benchmark: {os.path.basename(os.path.abspath(results_dir))}", "",
           "Numbers from one run of `scripts/bench.sh` on the machine below; ratios are against "
           "the plain compiler's cold replay of the same project in the same run. Wall time is "
           "the replay of the whole compilation database with `-j` workers; CPU time is user + "
           "system time of every process involved (the replayer's children, the zcwrap daemon or "
           "sccache server, and the replayer itself for the in-process shim).", "",
           "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine_rows(results_dir)]
    out.append("")

    for project, records in projects.items():
        out += [f"## Replay: {project}", ""]
        if records:
            first = records[0]
            out += [f"{first['compiles']} compiles, `-j {first['jobs']}`, "
                    f"{first['rounds']} round(s) per (backend, mode).", ""]
        out += replay_table(records) + [""]
        if replay_chart(results_dir, project, records):
            out += [f"![{project} wall time per backend](replay-{project}.svg)", ""]
        failures = [(r, s) for r in records for s in r.get("failure_samples", [])]
        if failures:
            out += ["Failures:", ""] + [f"- {r['backend']} {r['mode']}: `{s}`"
                                        for r, s in failures] + [""]

    if projects:
        out += ["### What the counts count", ""] + counting_notes(projects) + [
            "", "Round trips marked *(model)* are not measured: they follow from the design "
            "(no IPC for plain, zcwrap without daemon, ccache and the shim).", ""]

    out += ["## Micro-benchmarks", ""]
    if micro:
        out += micro_table(micro) + [""]
        # The chart shows the layers (issue 7: shim call, daemon round trip, connect, process,
        # raw floor) when the micro-suite has them, else every micro-benchmark.
        layer_files = sorted(glob.glob(os.path.join(results_dir, "micro", "*layer*.json")))
        layers = load_micro(results_dir, layer_files) if layer_files else {}
        if layers and micro_chart(results_dir, layers, "Latency per layer"):
            out += ["![median latency per layer](micro.svg)", ""]
        elif micro_chart(results_dir, micro, "Micro-benchmarks"):
            out += ["![median latency per micro-benchmark](micro.svg)", ""]
    else:
        out += ["No Google Benchmark results (micro/*.json) in this run.", ""]

    commands = os.path.join(results_dir, "commands.txt")
    if os.path.exists(commands):
        with open(commands, encoding="utf-8") as f:
            out += ["## Commands", "", "```sh"] + [l.rstrip("\n") for l in f] + ["```", ""]

    with open(os.path.join(results_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    print(os.path.join(results_dir, "summary.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
