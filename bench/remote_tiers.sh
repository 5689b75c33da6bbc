#!/usr/bin/env bash
# Remote tiers (issue: remote cache benchmark): how fast a warm build is when its results come
# from each remote tier, against the local tier and the plain compiler, for zcwrap (Redis, HTTP
# WebDAV, S3) and ccache (the same Redis and the same HTTP server, under its own keys); and how
# long a remote hit takes inside the zcwrap daemon against a raw GET of the same values on the
# same server. All from one run, on servers started here (tests/support/remote_servers.sh).
#
#   bench/remote_tiers.sh build/wrapper/zcwrap [OUT]    # ~5 min on 2 cores with 1 round
#   BENCH_ROUNDS=3 bench/remote_tiers.sh build/wrapper/zcwrap bench/results/x-remote
#
# Projects: bench/gen_project.py's (compile_commands.json run BENCH_JOBS at a time, as
# tests/e2e_project/remote_machines.sh does) and /usr/src/googletest (CMake + Ninja with
# CMAKE_<LANG>_COMPILER_LAUNCHER). Only the builds are timed, not CMake's configure step.
#   1. "Machine A" (one cache directory) builds both cold, writing every tier (zcwrap: Redis, HTTP,
#      S3; ccache: Redis, HTTP); timed once, for information.
#   2. Each round: the plain compiler; then per tool and tier a fresh "machine B" (empty cache
#      directory, only that tier) builds both: "remote warm"; the same B again: "local warm".
#      The zcwrap daemon is on (ZCWRAP_DAEMON=auto) and stopped after each build, so that every
#      timed build starts it; before it is stopped, after the remote-warm build, its
#      --daemon-status --json gives each tier's GET latency (after the generated project, and
#      after both projects). Then per tier a fresh B builds the generated project one compile at
#      a time (untimed), for the daemon's GET latency without the build's contention.
#   3. Raw GETs from one Python process with connections kept open (RESP on a socket, HTTP/1.1
#      keep-alive; S3 unsigned (s3rver allows anonymous reads) and SigV4-signed), sequentially:
#      the stored value of the median size the generated project read, BENCH_REMOTE_GETS times,
#      and every value the remote-warm build read, once each.
#
# Writes remote-tiers.json (raw data: every timing, counters, latencies) into OUT (default
# BENCH_OUT, else bench/results/<date>-remote), then bench/render_report.py OUT renders it into
# summary.md with remote-tiers.svg and remote-latency.svg (gnuplot).
#
# Environment (all optional): BENCH_ROUNDS=1 (medians over rounds), BENCH_JOBS=2,
# BENCH_FILES=300, BENCH_GTEST_TESTS=0 (1: googletest's own tests too), BENCH_REMOTE_GETS=200,
# BENCH_PROJECTS="genproj googletest", KEEP=1 (keep the work directory).
# Every server and daemon started here is stopped on exit, also on failure and Ctrl-C.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 ZCWRAP [OUT]" >&2; exit 2; }
zcwrap=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
invocation=""  # the command with the knobs it was given, for the report
for var in BENCH_ROUNDS BENCH_JOBS BENCH_FILES BENCH_GTEST_TESTS BENCH_REMOTE_GETS BENCH_PROJECTS \
           BENCH_OUT; do
  if [ -n "${!var:-}" ]; then invocation+=$(printf '%q ' "$var=${!var}"); fi
done
invocation+=$(printf '%q ' "$0" "$@")
rounds=${BENCH_ROUNDS:-1}
jobs=${BENCH_JOBS:-2}
files=${BENCH_FILES:-300}
gets=${BENCH_REMOTE_GETS:-200}
read -r -a projects <<<"${BENCH_PROJECTS:-genproj googletest}"
out=${2:-${BENCH_OUT:-}}
if [ -z "$out" ]; then
  out=$repo/bench/results/$(date +%Y-%m-%d)-remote
  n=2
  while [ -e "$out" ]; do out=$repo/bench/results/$(date +%Y-%m-%d)-remote-$n; n=$((n + 1)); done
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { echo "remote_tiers.sh: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
for tool in cmake ninja ccache python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install_packages.sh)"
done
[ -f /usr/src/googletest/CMakeLists.txt ] || fail "no /usr/src/googletest (package googletest)"
ccache=$(command -v ccache)

# Nothing from the caller's environment changes either cache.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(ZCWRAP|CCACHE)_' || true)
export CC=gcc CXX=g++ ZCWRAP_DAEMON=auto
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER

work=$(mktemp -d /tmp/zcwrap-remote-bench-XXXXXX)
cp /proc/loadavg "$work/loadavg-start"  # others' load on the machine shows in every figure
# shellcheck source-path=SCRIPTDIR/.. source=tests/support/remote_servers.sh
. "$repo/tests/support/remote_servers.sh"
cleanup() {
  local c
  for c in "$work"/zc-*; do
    if [ -d "$c" ]; then ZCWRAP_DIR=$c "$zcwrap" --daemon-stop >/dev/null 2>&1 || true; fi
  done
  stop_servers
  if [ -n "${KEEP:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_redis "$work/redis"
start_dav "$work/dav"
start_s3 "$work/s3" bench
zc_tier_redis=$REDIS_URL
zc_tier_http=$DAV_URL/zcwrap
zc_tier_s3="s3://bench/zcwrap|endpoint=$S3_ENDPOINT"
cc_tier_redis=$REDIS_URL        # ccache's keys are ccache:<hash>, zcwrap's zcwrap:<hash>
cc_tier_http=$DAV_URL/ccache
log "servers: $REDIS_URL $DAV_URL $S3_ENDPOINT"

# --- Projects ---------------------------------------------------------------------------------
gp=$work/genproj
python3 "$here/gen_project.py" --out "$gp" --files "$files" --cc gcc --cxx g++ >/dev/null 2>&1
cat >"$work/run_db.py" <<'PY'
import concurrent.futures, json, os, subprocess, sys
root, jobs, launcher = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(os.path.join(root, "compile_commands.json"), encoding="utf-8") as f:
    entries = json.load(f)
def run(e):
    os.makedirs(os.path.dirname(e["output"]), exist_ok=True)
    return subprocess.run(launcher + e["arguments"], cwd=e["directory"]).returncode
with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
    failed = sum(1 for rc in pool.map(run, entries) if rc != 0)
sys.exit(f"run_db.py: {failed} compiles failed" if failed else 0)
PY
gt_build=$work/gt-build
gt_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${BENCH_GTEST_TESTS:-0}" = 1 ]; then
  gt_args+=(-Dgtest_build_tests=ON -Dgmock_build_tests=ON)
fi

# Raw data: one line per timed build.
times=$work/times.tsv
printf 'round\ttool\ttier\tphase\tproject\tseconds\n' >"$times"
mkdir -p "$work/stats" "$work/status"

# build ROUND TOOL TIER PHASE [WRAPPER]: builds every project from clean, timing each build.
# After each project of a zcwrap remote-warm build, keeps the daemon's status; in round 1 of
# zcwrap's HTTP remote-warm build, keeps which part of nginx's access log each project wrote.
build() {
  local round=$1 tool=$2 tier=$3 phase=$4 wrapper=${5:-} project t0 t1 launch=()
  [ -z "$wrapper" ] || launch=("$wrapper")
  for project in "${projects[@]}"; do
    case $project in
      genproj)
        find "$gp" -name '*.o' -delete
        t0=$EPOCHREALTIME
        python3 "$work/run_db.py" "$gp" "$jobs" "${launch[@]}" ||
          fail "$tool $tier $phase: the generated project does not build"
        t1=$EPOCHREALTIME
        ;;
      googletest)
        local with=()
        [ -z "$wrapper" ] ||
          with=(-DCMAKE_C_COMPILER_LAUNCHER="$wrapper" -DCMAKE_CXX_COMPILER_LAUNCHER="$wrapper")
        rm -rf "$gt_build"
        cmake -S /usr/src/googletest -B "$gt_build" -G Ninja "${gt_args[@]}" "${with[@]}" >/dev/null
        t0=$EPOCHREALTIME
        ninja -C "$gt_build" >/dev/null || fail "$tool $tier $phase: googletest does not build"
        t1=$EPOCHREALTIME
        ;;
      *) fail "unknown project $project (BENCH_PROJECTS: genproj googletest)" ;;
    esac
    local seconds
    seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$tool" "$tier" "$phase" "$project" "$seconds" \
      >>"$times"
    log "round $round: $tool $tier $phase $project: $seconds s"
    if [ "$tool" = zcwrap ] && [ "$phase" = remote-warm ]; then
      "$zcwrap" --daemon-status --json >"$work/status/$tier-r$round-$project.json" ||
        log "zcwrap --daemon-status --json failed after $tier $project (round $round)"
      if [ "$tier" = http ] && [ "$round" = 1 ]; then
        wc -c <"$work/dav/access.log" >"$work/status/access-after-$project"
      fi
    fi
  done
}
zc_stop() { "$zcwrap" --daemon-stop >/dev/null 2>&1 || true; }
zc_stats() { "$zcwrap" --print-stats --json >"$work/stats/$1.json"; }
cc_stats() { "$ccache" --print-stats >"$work/stats/$1.tsv"; }

# --- 1. Machine A, cold, writing every tier ------------------------------------------------------
export ZCWRAP_DIR=$work/zc-a ZCWRAP_REMOTE_STORAGE="$zc_tier_redis $zc_tier_http $zc_tier_s3"
build 0 zcwrap redis+http+s3 cold "$zcwrap"
# Compiles per project: the database's entries, googletest's objects.
python3 - "$gp" "$gt_build" "${projects[@]}" >"$work/compiles.json" <<'PY'
import json, os, sys
gp, gt, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
n = {}
for p in projects:
    if p == "genproj":
        n[p] = len(json.load(open(os.path.join(gp, "compile_commands.json"))))
    else:
        n[p] = sum(f.endswith(".o") for _, _, fs in os.walk(gt) for f in fs)
print(json.dumps(n))
PY
t0=$EPOCHREALTIME
zc_stop  # publishes the queued writes
t1=$EPOCHREALTIME
printf '0\tzcwrap\tredis+http+s3\tdrain\tall\t%s\n' \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" >>"$times"
zc_stats zcwrap-a-cold
export CCACHE_DIR=$work/cc-a CCACHE_REMOTE_STORAGE="$cc_tier_redis $cc_tier_http"
build 0 ccache redis+http cold "$ccache"
cc_stats ccache-a-cold

# --- 2. Rounds: plain, then per tool and tier a fresh machine B ----------------------------------
for ((round = 1; round <= rounds; round++)); do
  build "$round" plain - plain
  for tier in redis http s3; do
    url_var=zc_tier_$tier
    export ZCWRAP_DIR=$work/zc-b-$tier ZCWRAP_REMOTE_STORAGE=${!url_var}
    rm -rf "$ZCWRAP_DIR"
    if [ "$tier" = http ] && [ "$round" = 1 ]; then
      wc -c <"$work/dav/access.log" >"$work/status/access-before"
    fi
    build "$round" zcwrap "$tier" remote-warm "$zcwrap"
    zc_stop
    zc_stats "zcwrap-$tier-r$round-remote-warm"
    build "$round" zcwrap "$tier" local-warm "$zcwrap"
    zc_stop
    zc_stats "zcwrap-$tier-r$round-local-warm"
  done
  for tier in redis http; do
    url_var=cc_tier_$tier
    export CCACHE_DIR=$work/cc-b-$tier CCACHE_REMOTE_STORAGE=${!url_var}
    rm -rf "$CCACHE_DIR"
    build "$round" ccache "$tier" remote-warm "$ccache"
    cc_stats "ccache-$tier-r$round-remote-warm"
    build "$round" ccache "$tier" local-warm "$ccache"
    cc_stats "ccache-$tier-r$round-local-warm"
  done
done

# --- 2b. The daemon's GETs without the build's contention: a fresh B, one compile at a time ------
if [[ " ${projects[*]} " == *" genproj "* ]]; then
  for tier in redis http s3; do
    url_var=zc_tier_$tier
    export ZCWRAP_DIR=$work/zc-j1-$tier ZCWRAP_REMOTE_STORAGE=${!url_var}
    find "$gp" -name '*.o' -delete
    python3 "$work/run_db.py" "$gp" 1 "$zcwrap" || fail "$tier -j 1: the generated project fails"
    "$zcwrap" --daemon-status --json >"$work/status/$tier-j1-genproj.json" || true
    zc_stop
    zc_stats "zcwrap-$tier-j1-remote-warm"
  done
fi

# --- 3. Raw GETs of the values zcwrap's remote-warm build read --------------------------------
# What zcwrap's HTTP machine B read (round 1), per project, from nginx's access log: the same
# names are under zcwrap:<name> in Redis and <prefix>/<name> in S3, with the same bytes.
python3 - "$work/dav/access.log" "$work/status" "${projects[@]}" >"$work/read.json" <<'PY'
import json, os, re, sys
log, status, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
def offset(name):
    with open(os.path.join(status, name)) as f:
        return int(f.read())
with open(log, "rb") as f:
    data = f.read()
line_re = re.compile(rb'"GET /cache/zcwrap/([0-9a-f]{2})/([0-9a-f]{62}) HTTP/1\.[01]" 200 (\d+)')
read, start = {}, offset("access-before")
for p in projects:
    end = offset(f"access-after-{p}")
    read[p] = [[(m.group(1) + m.group(2)).decode(), int(m.group(3))]
               for m in map(line_re.search, data[start:end].splitlines()) if m]
    start = end
json.dump(read, sys.stdout)
PY

cat >"$work/raw_get.py" <<'PY'
"""Raw GETs, one process, connections kept open, timed per request (perf_counter_ns)."""
import datetime, hashlib, hmac, http.client, json, math, socket, sys, time

cfg = json.load(open(sys.argv[1]))
WARMUP = 5

class Redis:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")
    def get(self, name):
        key = ("zcwrap:" + name).encode()
        self.sock.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
        line = self.f.readline()
        if not line.startswith(b"$") or int(line[1:]) < 0:
            raise RuntimeError(f"redis GET {key!r}: {line!r}")
        return self.f.read(int(line[1:]) + 2)[:-2]

class Http:
    def __init__(self, port, prefix, layout, sign=False):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.host, self.prefix, self.layout, self.sign = f"127.0.0.1:{port}", prefix, layout, sign
    def path(self, name):
        return f"{self.prefix}/{name[:2]}/{name[2:]}" if self.layout == "subdirs" else \
            f"{self.prefix}/{name}"
    def headers(self, path):
        if not self.sign:
            return {}
        # SigV4 as libcurl's CURLOPT_AWS_SIGV4 "aws:amz:us-east-1:s3" with UNSIGNED-PAYLOAD.
        now = datetime.datetime.now(datetime.timezone.utc)
        amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload, signed = "UNSIGNED-PAYLOAD", "host;x-amz-content-sha256;x-amz-date"
        canonical = (f"GET\n{path}\n\nhost:{self.host}\nx-amz-content-sha256:{payload}\n"
                     f"x-amz-date:{amz}\n\n{signed}\n{payload}")
        scope = f"{day}/us-east-1/s3/aws4_request"
        to_sign = (f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n"
                   + hashlib.sha256(canonical.encode()).hexdigest())
        key = ("AWS4" + cfg["s3_secret"]).encode()
        for part in (day, "us-east-1", "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {"x-amz-content-sha256": payload, "x-amz-date": amz,
                "Authorization": f"AWS4-HMAC-SHA256 Credential={cfg['s3_access']}/{scope}, "
                                 f"SignedHeaders={signed}, Signature={sig}"}
    def get(self, name):
        path = self.path(name)
        self.conn.request("GET", path, headers=self.headers(path))
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {r.status}")
        return body

def clients():
    return {
        "redis": lambda: Redis(cfg["redis_port"]),
        "http": lambda: Http(cfg["http_port"], "/cache/zcwrap", "subdirs"),
        "s3": lambda: Http(cfg["s3_port"], "/bench/zcwrap", "flat"),
        "s3-signed": lambda: Http(cfg["s3_port"], "/bench/zcwrap", "flat", sign=True),
    }

def bucketed(us):  # zcwrap's latency histogram: two buckets per power of two, geometric middle
    us = max(1, int(us))
    top = us.bit_length() - 1
    half = (us >> (top - 1)) & 1 if top > 0 else 0
    low = (1.5 if half else 1.0) * 2 ** top
    high = (2.0 if half else 1.5) * 2 ** top
    return round(math.sqrt(low * high))

def summary(samples_us, sizes):
    s = sorted(samples_us)
    at = lambda q: s[max(0, math.ceil(q * len(s)) - 1)]  # nearest rank, as zcwrap's Summarise
    return {"count": len(s), "bytes_median": sorted(sizes)[len(sizes) // 2],
            "bytes_total": sum(sizes), "p50_us": round(at(0.5), 1), "p95_us": round(at(0.95), 1),
            "p99_us": round(at(0.99), 1), "mean_us": round(sum(s) / len(s), 1),
            "p50_us_bucketed": bucketed(at(0.5)), "p99_us_bucketed": bucketed(at(0.99))}

def timed(client, names):
    samples = []
    for name, size in names:
        t0 = time.perf_counter_ns()
        value = client.get(name)
        samples.append((time.perf_counter_ns() - t0) / 1000)
        if len(value) != size:
            raise RuntimeError(f"{name}: {len(value)} bytes, not {size}")
    return samples

result = {}
typical = cfg["typical"]
for tier, make in clients().items():
    client = make()
    timed(client, [typical] * WARMUP)  # opens the connection
    replay = {p: (timed(client, names), [n[1] for n in names])
              for p, names in cfg["read"].items() if names}
    result[tier] = {
        "typical": summary(timed(client, [typical] * cfg["reps"]), [typical[1]] * cfg["reps"]),
        "replay": {p: summary(*r) for p, r in replay.items()},
        "replay_all": summary([t for r in replay.values() for t in r[0]],
                              [b for r in replay.values() for b in r[1]]),
    }
json.dump(result, sys.stdout, indent=1)
PY
python3 - "$work/read.json" "$REDIS_PORT" "$DAV_PORT" "$S3_PORT" "$gets" \
  >"$work/raw_get.json" <<'PY'
import json, sys
read = json.load(open(sys.argv[1]))
first = next(iter(read.values()))  # the first project's values (genproj's by default)
sizes = sorted(s for _, s in first)
median = sizes[len(sizes) // 2]
typical = min(first, key=lambda n: (abs(n[1] - median), n[0]))
json.dump({"redis_port": int(sys.argv[2]), "http_port": int(sys.argv[3]),
           "s3_port": int(sys.argv[4]), "reps": int(sys.argv[5]), "typical": typical,
           "read": read, "s3_access": "S3RVER", "s3_secret": "S3RVER"}, sys.stdout)
PY
# On a VM a loopback round trip costs ~10 us when client and server share a CPU and ~100 us when
# the server's CPU must be woken: both placements are measured, servers and client pinned.
pin_servers() {
  local pid
  for pid in "$REDIS_PID" "$DAV_PID" "$S3_PID"; do taskset -a -pc "$1" "$pid" >/dev/null; done
}
placements=(same-cpu)
[ "$(nproc)" -gt 1 ] && placements+=(other-cpu)
command -v taskset >/dev/null || placements=(unpinned)
for placement in "${placements[@]}"; do
  log "raw GETs, $placement: $gets of the typical value, and every value read once, per server"
  case $placement in
    same-cpu) pin_servers 0; taskset -c 0 python3 "$work/raw_get.py" "$work/raw_get.json" ;;
    other-cpu) pin_servers 1; taskset -c 0 python3 "$work/raw_get.py" "$work/raw_get.json" ;;
    unpinned) python3 "$work/raw_get.py" "$work/raw_get.json" ;;
  esac >"$work/raw-$placement.json"
done

# --- 4. remote-tiers.json, then the report -------------------------------------------------------
versions=$work/versions.json
python3 - "$zcwrap" "$ccache" >"$versions" <<'PY'
import json, subprocess, sys
def first(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return ((r.stdout or r.stderr).strip().splitlines() or [""])[0]
    except OSError:
        return ""
print(json.dumps({"zcwrap": first([sys.argv[1], "--version"]),
                  "ccache": first([sys.argv[2], "--version"]),
                  "redis-server": first(["redis-server", "--version"]),
                  "nginx": first(["nginx", "-v"]) or first(["/usr/sbin/nginx", "-v"]),
                  "s3rver": first(["s3rver", "--version"]),
                  "gcc": first(["gcc", "--version"])}))
PY
python3 - "$work" "$out/remote-tiers.json" "$invocation" "$rounds" "$jobs" "$files" "$gets" \
  "${BENCH_GTEST_TESTS:-0}" "$zc_tier_redis" "$zc_tier_http" "$zc_tier_s3" "$cc_tier_redis" \
  "$cc_tier_http" <<'PY'
import csv, glob, json, os, statistics, sys
(work, dest, invocation, rounds, jobs, files, gets, gtest_tests,
 zc_redis, zc_http, zc_s3, cc_redis, cc_http) = sys.argv[1:]
rows = list(csv.DictReader(open(os.path.join(work, "times.tsv")), delimiter="\t"))
builds = {}
for r in rows:
    builds.setdefault((r["tool"], r["tier"], r["phase"], r["project"]), []).append(
        float(r["seconds"]))

def stats_file(path):
    if path.endswith(".json"):
        d = json.load(open(path))
        tiers = d.pop("remote_tiers", [])
        return {"counters": {k: v for k, v in d.items() if v and "timestamp" not in k},
                "remote_tiers": tiers}
    c = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("\t")
        if v.isdigit() and int(v) and "timestamp" not in k:
            c[k] = int(v)
    return {"counters": c}

counters = {os.path.splitext(os.path.basename(p))[0]: stats_file(p)
            for p in sorted(glob.glob(os.path.join(work, "stats", "*")))}
daemon = {os.path.splitext(os.path.basename(p))[0]: json.load(open(p)).get("remote_tiers", [])
          for p in sorted(glob.glob(os.path.join(work, "status", "*.json")))}
compiles = json.load(open(os.path.join(work, "compiles.json")))
read = json.load(open(os.path.join(work, "read.json")))

# What the counters should say on machine B (counters accumulate over its two builds).
checks = []
def expect(name, key, want):
    got = counters.get(name, {}).get("counters", {}).get(key, 0)
    if got != want:
        checks.append(f"{name}: {key} is {got}, expected {want}")
for name in counters:
    tool, tier, phase = name.split("-")[0], name.split("-")[1], name.split("-", 3)[-1]
    total = compiles["genproj"] if "-j1-" in name else sum(compiles.values())
    if tool == "zcwrap" and phase == "remote-warm":
        for k, v in [("cache_miss", 0), ("remote_storage_hit", total),
                     ("remote_storage_read_hit", 2 * total), ("remote_storage_read_miss", 0),
                     ("remote_storage_error", 0), ("remote_storage_timeout", 0),
                     ("daemon_fallback", 0)]:
            expect(name, k, v)
    elif tool == "zcwrap" and phase == "local-warm":
        for k, v in [("cache_miss", 0), ("remote_storage_hit", total),
                     ("direct_cache_hit", 2 * total), ("daemon_fallback", 0)]:
            expect(name, k, v)
    elif tool == "ccache" and phase == "remote-warm":
        for k, v in [("cache_miss", 0), ("remote_storage_hit", total),
                     ("remote_storage_read_hit", 2 * total), ("remote_storage_error", 0),
                     ("remote_storage_timeout", 0)]:
            expect(name, k, v)
    elif tool == "ccache" and phase == "local-warm":
        for k, v in [("cache_miss", 0), ("remote_storage_hit", total),
                     ("local_storage_hit", total)]:
            expect(name, k, v)
for c in checks:
    print(f"remote_tiers.sh: unexpected counter: {c}", file=sys.stderr)

doc = {
    "command": invocation.strip(),
    "rounds": int(rounds), "jobs": int(jobs), "files": int(files),
    "gtest_tests": gtest_tests == "1",
    "versions": json.load(open(os.path.join(work, "versions.json"))),
    "tiers": {"zcwrap": {"redis": zc_redis, "http": zc_http, "s3": zc_s3},
              "ccache": {"redis": cc_redis, "http": cc_http}},
    "compiles": compiles,
    "builds": [{"tool": k[0], "tier": k[1], "phase": k[2], "project": k[3], "seconds": v,
                "median_s": statistics.median(v)} for k, v in builds.items()],
    "counters": counters,
    "counter_checks": checks,
    "daemon_status_remote_tiers": daemon,
    "values_read": {p: {"count": len(v), "bytes_total": sum(s for _, s in v),
                        "bytes_median": sorted(s for _, s in v)[len(v) // 2] if v else 0}
                    for p, v in read.items()},
    "raw_get_reps": int(gets),
    "raw_get_typical": json.load(open(os.path.join(work, "raw_get.json")))["typical"],
    "raw_get": {os.path.basename(p)[4:-5]: json.load(open(p))
                for p in sorted(glob.glob(os.path.join(work, "raw-*.json")))},
    "load_average": {"start": open(os.path.join(work, "loadavg-start")).read().split()[:3],
                     "end": open("/proc/loadavg").read().split()[:3]},
}
with open(dest, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1)
PY
if [ ! -f "$out/machine.txt" ]; then  # run on its own, not from scripts/bench.sh
  echo "zcwrap: $("$zcwrap" --version | head -1) ($zcwrap)" >"$out/machine.txt"
  echo "${invocation% }" >>"$out/commands.txt"
fi
python3 "$here/render_report.py" "$out" >/dev/null
log "results in $out (remote-tiers.json, summary.md)"
