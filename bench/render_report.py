#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh into summary.md and SVG charts (standard library only;
the charts need gnuplot, and are left out without it).

    bench/render_report.py bench/results/2024-05-01

Reads, in that directory:
  replay-<project>.jsonl   zc_replay --json output, one object per (backend, mode)
  micro/<name>.json        Google Benchmark --benchmark_out JSON files (optional)
  commands.txt             the exact commands that produced them, one per line (optional)
  machine.txt              extra lines for the machine table, "key: value" (optional)
  remote-tiers.json        bench/remote_tiers.sh's raw data (optional)
Writes summary.md, and with gnuplot replay-<project>.svg (wall time per backend, cold and warm),
micro.svg (median latency per micro-benchmark), remote-tiers.svg (warm builds served by each
remote tier) and remote-latency.svg (remote GETs in the daemon and raw), plus the .dat/.gp files
behind them.

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


def load_remote(results_dir):
    path = os.path.join(results_dir, "remote-tiers.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"render_report: {path}: {e}", file=sys.stderr)
        return None


REMOTE_PHASE_LABEL = {"plain": "plain compiler", "cold": "cold, machine A (writes every tier)",
                      "remote-warm": "remote warm (fresh machine B)",
                      "local-warm": "local warm (machine B again)"}
REMOTE_TIER_ORDER = ["-", "redis+http+s3", "redis+http", "redis", "http", "s3"]
REMOTE_PHASE_ORDER = ["plain", "cold", "remote-warm", "local-warm"]


def remote_rows(doc):
    """[(tool, tier, phase, {project: median s}, total median s)] in table order. The total is
    the median over rounds of each round's sum over projects."""
    projects = list(doc["compiles"])
    seconds = {}
    for b in doc["builds"]:
        if b["phase"] != "drain":
            seconds.setdefault((b["tool"], b["tier"], b["phase"]), {})[b["project"]] = b["seconds"]
    rows = []
    for (tool, tier, phase), per in seconds.items():
        n = min(len(v) for v in per.values())
        totals = sorted(sum(per[p][i] for p in per) for i in range(n))
        median = (totals[(n - 1) // 2] + totals[n // 2]) / 2
        medians = {p: sorted(v)[(len(v) - 1) // 2] / 2 + sorted(v)[len(v) // 2] / 2
                   for p, v in per.items()}
        rows.append((tool, tier, phase, {p: medians.get(p) for p in projects}, median))

    def key(r):
        tool, tier, phase = r[0], r[1], r[2]
        return (["plain", "zcwrap", "ccache"].index(tool) if tool in ("plain", "zcwrap", "ccache")
                else 9, REMOTE_PHASE_ORDER.index(phase) if phase in REMOTE_PHASE_ORDER else 9,
                REMOTE_TIER_ORDER.index(tier) if tier in REMOTE_TIER_ORDER else 9)
    return sorted(rows, key=key)


def remote_hits(doc, tool, tier, phase):
    """'remote + local / compiles' of round 1's build, from the tool's counters (each build's
    counters are those after it minus those before it on the same cache directory)."""
    counters = doc.get("counters", {})
    if phase == "cold":
        now = counters.get(f"{tool}-a-cold", {}).get("counters")
        before = {}
    else:
        now = counters.get(f"{tool}-{tier}-r1-{phase}", {}).get("counters")
        before = (counters.get(f"{tool}-{tier}-r1-remote-warm", {}).get("counters", {})
                  if phase == "local-warm" else {})
    if now is None:
        return ""
    d = lambda k: now.get(k, 0) - before.get(k, 0)
    hits = d("direct_cache_hit") + d("preprocessed_cache_hit")
    remote = d("remote_storage_hit")
    total = sum(doc["compiles"].values())
    text = f"{remote} + {hits - remote} / {total}"
    if d("cache_miss"):
        text += f" ({d('cache_miss')} misses)"
    return text


def remote_latency(doc, tier, project, run="r"):
    """The daemon's get_latency for `tier` after `project`, median over rounds (run "r"), or
    after the one-compile-at-a-time build (run "j1")."""
    picks = []
    for name, tiers in doc.get("daemon_status_remote_tiers", {}).items():
        if re.fullmatch(f"{re.escape(tier)}-{run}[0-9]*-{re.escape(project)}", name) and tiers:
            picks.append(tiers[0]["get_latency"])
    if not picks:
        return None
    med = lambda k: sorted(p[k] for p in picks)[(len(picks) - 1) // 2]
    return {"count": med("count"), "p50_us": med("p50_us"), "p99_us": med("p99_us")}


def us(v):
    if v is None:
        return "–"
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"


def remote_section(results_dir, doc):
    projects = list(doc["compiles"])
    total = sum(doc["compiles"].values())
    rows = remote_rows(doc)
    plain = next((r[4] for r in rows if r[0] == "plain"), 0)
    v = dict(doc.get("versions", {}))
    m = re.search(r"v=(\S+)", v.get("redis-server", ""))
    if m:  # "Redis server v=7.0.15 sha=... malloc=..."
        v["redis-server"] = f"redis-server {m.group(1)}"
    counts = ", ".join(f"{p} {n}" for p, n in doc["compiles"].items())
    out = ["## Remote tiers", "",
           f"From `{doc.get('command', 'bench/remote_tiers.sh')}`: {total} compiles ({counts}; "
           f"the generated project's compile database run {doc['jobs']} at a time, googletest "
           "with CMake + Ninja and `CMAKE_<LANG>_COMPILER_LAUNCHER`; only the builds are timed, "
           "not the configure step). Machine A builds cold, writing every tier; then per tool "
           "and tier a fresh machine B (empty cache directory, that tier only) builds: remote "
           "warm; then B again: local warm. zcwrap's daemon is on and stopped after each build, "
           "so that each timed build starts it. Same servers for both tools: "
           f"{v.get('redis-server', 'redis-server')}; {v.get('nginx', 'nginx')} (WebDAV); "
           f"s3rver {v.get('s3rver', '')}. {v.get('ccache', 'ccache')}. "
           f"Median of {doc['rounds']} round(s) (machine A: one build); ratios against the "
           "plain compiler's build of the same projects in the same run.", "",
           "| tool | tier | build | " + " | ".join(f"{p} s" for p in projects)
           + " | total s | vs plain | hits: remote + local / compiles |",
           "|---|---|---|" + "---:|" * len(projects) + "---:|---:|---|"]
    for tool, tier, phase, per, tot in rows:
        cells = " | ".join(f"{per[p]:.2f}" if per[p] is not None else "–" for p in projects)
        hits = "" if tool == "plain" else remote_hits(doc, tool, tier, phase)
        out.append(f"| {tool} | {tier if tier != '-' else ''} | "
                   f"{REMOTE_PHASE_LABEL.get(phase, phase)} | {cells} | {tot:.2f} "
                   f"| {ratio(tot, plain)} | {hits} |")
    drain = [b for b in doc["builds"] if b["phase"] == "drain"]
    if drain:
        out += ["", f"zcwrap's machine A then stopped its daemon, which published the queued "
                f"remote writes: {drain[0]['median_s']:.2f} s more."]
    out.append("")
    if remote_build_chart(results_dir, rows, plain):
        out += ["![warm builds served by each tier](remote-tiers.svg)", ""]
    for c in doc.get("counter_checks", []):
        out.append(f"- Unexpected counter: {c}")
    if doc.get("counter_checks"):
        out.append("")

    # Latency.
    raw = doc.get("raw_get", {})
    placements = [p for p in ["same-cpu", "other-cpu", "unpinned"] if p in raw]
    typical = doc.get("raw_get_typical", ["", 0])
    reps = doc.get("raw_get_reps", 0)
    first = projects[0]
    read = doc.get("values_read", {})
    where = {"same-cpu": "same CPU", "other-cpu": "other CPU", "unpinned": "unpinned"}
    out += ["### Remote hits: in the daemon and raw", "",
            "Daemon: `zcwrap --daemon-status --json` (the tier's `get_latency`) after machine "
            f"B's remote-warm build of {first}, and after the whole build, before the daemon "
            "stops: every GET the daemon timed (two per compile: manifest and result, the "
            "build's other compile running beside it); and, for the -j 1 column, after a fresh "
            "B built the generated project one compile at a time (no contention from the "
            "build's other job). Its percentiles come from a histogram "
            "with two buckets per power of two, reported at a bucket's geometric middle (about "
            "±20%). Raw: one Python process, sequential, connections kept open (Redis: RESP on "
            "one socket; HTTP and S3: `http.client` keep-alive), each request timed, after 5 "
            f"warm-up requests: the stored value of the median size {first} read "
            f"({typical[1]} bytes; with latency rising with size, the p50 of the whole mix is "
            f"about this value's) {reps} times, and every value B's build read once each (the "
            "mix the daemon timed). S3 raw GETs are unsigned (s3rver allows anonymous reads); "
            "the last row signs them with SigV4, as zcwrap does. Raw GETs ran with client and "
            "servers pinned to the same CPU, and to different CPUs: on this VM a loopback round "
            "trip to an idle CPU costs a wake-up (~0.1 ms).", "",
            "p50 / p99 per cell:", "",
            f"| tier | daemon, {first} | daemon, {first}, -j 1 | daemon, whole build | "
            + " | ".join(f"raw {typical[1]} B ×{reps}, {where[p]}" for p in placements) + " | "
            + " | ".join(f"raw {first}'s values, {where[p]}" for p in placements) + " | "
            + " | ".join(f"raw whole build's values, {where[p]}" for p in placements) + " |",
            "|---|---:|---:|---:|" + "---:|" * (3 * len(placements))]
    pair = lambda x: f"{us(x.get('p50_us'))} / {us(x.get('p99_us'))}" if x else "–"
    lat_rows = []
    for tier in ["redis", "http", "s3", "s3-signed"]:
        if not any(tier in raw[p] for p in placements):
            continue
        base = "s3" if tier == "s3-signed" else tier
        d_first = remote_latency(doc, base, first)
        d_all = remote_latency(doc, base, projects[-1])
        d_j1 = remote_latency(doc, base, "genproj", run="j1")
        r = {p: raw[p].get(tier, {}) for p in placements}
        cells = ([pair(r[p].get("typical")) for p in placements]
                 + [pair(r[p].get("replay", {}).get(first)) for p in placements]
                 + [pair(r[p].get("replay_all")) for p in placements])
        label = "s3, raw GETs signed" if tier == "s3-signed" else tier
        same = "″" if tier == "s3-signed" else None
        out.append(f"| {label} | {same or pair(d_first)} | {same or pair(d_j1)} "
                   f"| {same or pair(d_all)} | "
                   + " | ".join(cells) + " |")
        lat_rows.append((label, d_first, d_j1, {p: r[p].get("replay", {}).get(first, {})
                                                for p in placements}))
    out += ["", "Values read: " + "; ".join(
        f"{p}: {x['count']} values, median {x['bytes_median']} bytes, "
        f"{x['bytes_total'] / 1e6:.1f} MB in all" for p, x in read.items()) + ".", ""]
    if remote_latency_chart(results_dir, lat_rows, placements, where, first):
        out += ["![remote GET latency per tier](remote-latency.svg)", ""]
    load = doc.get("load_average")
    if load:
        out += [f"Load average (1, 5, 15 min) at the start: {' '.join(load['start'])}; at the "
                f"end: {' '.join(load['end'])}.", ""]
    return out


def remote_build_chart(results_dir, rows, plain):
    cats = []
    for label, phase, tier in [("remote: redis", "remote-warm", "redis"),
                               ("remote: http", "remote-warm", "http"),
                               ("remote: s3 (zcwrap only)", "remote-warm", "s3"),
                               ("local", "local-warm", None)]:
        vals = []
        for tool in ["zcwrap", "ccache"]:
            got = sorted(r[4] for r in rows if r[0] == tool and r[2] == phase
                         and (tier is None or r[1] == tier))
            vals.append(got[(len(got) - 1) // 2] if got else None)
        cats.append((label, vals))
    with open(os.path.join(results_dir, "remote-tiers.dat"), "w", encoding="utf-8") as f:
        f.write("# build zcwrap_s ccache_s (local: median over the machines B)\n")
        for label, vals in cats:
            f.write(f'"{label}" ' + " ".join(f"{x:.3f}" if x else "NaN" for x in vals) + "\n")
    script = f"""set terminal svg size 900,480 dynamic font "sans,11" noenhanced
set output "remote-tiers.svg"
set title "Warm build served by each tier (lower is better, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "seconds (all projects)"
set yrange [0.1:{plain * 8 if plain else "*"}]
set grid ytics
set key top left
plot "remote-tiers.dat" using 2:xtic(1) title "zcwrap", \\
     "" using 3 title "ccache", \\
     {plain if plain else "NaN"} with lines lw 2 dt 2 title "plain compiler"
"""
    return gnuplot(results_dir, "remote-tiers", script)


def remote_latency_chart(results_dir, lat_rows, placements, where, first):
    cols = (["daemon p50", "daemon p50, -j 1"] + [f"raw p50, {where[p]}" for p in placements]
            + ["daemon p99", "daemon p99, -j 1"] + [f"raw p99, {where[p]}" for p in placements])
    with open(os.path.join(results_dir, "remote-latency.dat"), "w", encoding="utf-8") as f:
        f.write("# tier " + ", ".join(cols) + " (microseconds)\n")
        for label, d, j1, raw in lat_rows:
            d, j1 = d or {}, j1 or {}
            vals = ([d.get("p50_us"), j1.get("p50_us")] + [raw[p].get("p50_us") for p in placements]
                    + [d.get("p99_us"), j1.get("p99_us")]
                    + [raw[p].get("p99_us") for p in placements])
            f.write(f'"{label}" ' + " ".join(str(x) if x else "NaN" for x in vals) + "\n")
    plots = ", ".join(f'"{"remote-latency.dat" if i == 0 else ""}" using {i + 2}'
                      + (":xtic(1)" if i == 0 else "") + f' title "{c}"'
                      for i, c in enumerate(cols))
    script = f"""set terminal svg size 1000,480 dynamic font "sans,11" noenhanced
set output "remote-latency.svg"
set title "Remote GET latency, {first}'s values: in the zcwrap daemon vs raw (log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "microseconds"
set grid ytics
set key top left
plot {plots}
"""
    return gnuplot(results_dir, "remote-latency", script)


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
    remote = load_remote(results_dir)
    only_remote = remote is not None and not projects and not micro

    out = [f"# zcwrap benchmark: {os.path.basename(os.path.abspath(results_dir))}", ""]
    if only_remote:
        out += ["Numbers from one run of `bench/remote_tiers.sh` on the machine below.", ""]
    else:
        out += ["Numbers from one run of `scripts/bench.sh` on the machine below; ratios are "
                "against the plain compiler's cold replay of the same project in the same run. "
                "Wall time is the replay of the whole compilation database with `-j` workers; "
                "CPU time is user + system time of every process involved (the replayer's "
                "children, the zcwrap daemon or sccache server, and the replayer itself for the "
                "in-process shim).", ""]
    out += ["## Machine", "", "| | |", "|---|---|"]
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

    if remote is not None:
        out += remote_section(results_dir, remote)

    if micro:
        out += ["## Micro-benchmarks", ""] + micro_table(micro) + [""]
        # The chart shows the layers (issue 7: shim call, daemon round trip, connect, process,
        # raw floor) when the micro-suite has them, else every micro-benchmark.
        layer_files = sorted(glob.glob(os.path.join(results_dir, "micro", "*layer*.json")))
        layers = load_micro(results_dir, layer_files) if layer_files else {}
        if layers and micro_chart(results_dir, layers, "Latency per layer"):
            out += ["![median latency per layer](micro.svg)", ""]
        elif micro_chart(results_dir, micro, "Micro-benchmarks"):
            out += ["![median latency per micro-benchmark](micro.svg)", ""]
    elif not only_remote:
        out += ["## Micro-benchmarks", "",
                "No Google Benchmark results (micro/*.json) in this run.", ""]

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
