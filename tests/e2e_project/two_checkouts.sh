#!/usr/bin/env bash
# End-to-end for base directories (base_dir = auto): one project checked out at two absolute paths
# of different names and depths (each a git checkout, so each is its own base) shares results
# where that is safe, and only there. Two projects: Debian's googletest built with CMake and
# CMAKE_<LANG>_COMPILER_LAUNCHER=zcwrap, and bench/gen_project.py's 300-source project compiled
# the way CMake would (from build/, absolute sources and -I, absolute -o, -MD -MT -MF relative).
# For each of three variants, with a fresh cache and fresh build directories: build checkout A
# through zcwrap (cold), zero the counters, build checkout B through zcwrap, then build B with the
# plain compiler and compare every object (and, for the generated project, every .d) byte for
# byte with what zcwrap gave B:
#   V1  -g -ffile-prefix-map=<checkout>=.   B hits on every compile;
#   V2  -g without a prefix map              B misses on every compile (debug info names the
#                                            checkout);
#   V3  no -g, no prefix map                 B misses exactly on the compiles whose object holds
#                                            the checkout's path or whose preprocessed text names
#                                            it (googletest's __FILE__s, even in inline functions
#                                            the object does not keep) and hits on the others
#                                            (every compile of the generated project).
#
#   two_checkouts.sh /path/to/zcwrap gcc|clang on|off|auto [FILES]
#   (FILES: sources of the generated project, 300 by default)
#   (KEEP=1: keep the work directory)
set -euo pipefail
zcwrap=$1
compiler=$2
daemon=$3
files=${4:-300}
here=$(cd "$(dirname "$0")" && pwd)
gen_project=$(cd "$here/../.." && pwd)/bench/gen_project.py
if ! command -v cmake >/dev/null || ! command -v git >/dev/null ||
   [ ! -f /usr/src/googletest/CMakeLists.txt ] || [ ! -f "$gen_project" ]; then
  echo "FAIL: needs cmake, git and Debian's googletest sources (scripts/install_packages.sh)"
  exit 1
fi
case "$compiler" in
  gcc) export CC=gcc CXX=g++ ;;
  clang) export CC=clang CXX=clang++ ;;
  *) echo "two_checkouts.sh: compiler must be gcc or clang" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/zcwrap-two-checkouts-XXXXXX)
export ZCWRAP_DAEMON="$daemon"
unset ZCWRAP_DIR ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DIRECT ZCWRAP_BASE_DIR
cleanup() {
  local c
  for c in "$work"/cache-*; do
    [ -d "$c" ] && { ZCWRAP_DIR=$c "$zcwrap" --daemon-stop >/dev/null 2>&1 || true; }
  done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
start=$SECONDS

stat_of() { "$zcwrap" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }
hits_now() { echo $(( $(stat_of direct_cache_hit) + $(stat_of preprocessed_cache_hit) )); }
fail() {
  echo "FAIL ($compiler, daemon $daemon): $*"
  "$zcwrap" -s || true
  exit 1
}

# Checkout A at $work/a/<name>, checkout B cloned from it at $work/other/place/b/<name>-clone:
# different names and depths, each with its own .git.
make_checkouts() {  # a b
  git -C "$1" init -q
  git -C "$1" add -A
  git -C "$1" -c user.name=t -c user.email=t@t commit -q -m "$(basename "$1")"
  mkdir -p "$(dirname "$2")"
  git clone -q "$1" "$2"
}

gt_a=$work/a/googletest
gt_b=$work/other/place/b/googletest-clone
mkdir -p "$work/a"
cp -r /usr/src/googletest "$gt_a"
make_checkouts "$gt_a" "$gt_b"

gp_a=$work/a/proj
gp_b=$work/other/place/b/proj-clone
python3 "$gen_project" --out "$gp_a" --files "$files" --cc "$CC" --cxx "$CXX" 2>/dev/null
make_checkouts "$gp_a" "$gp_b"
# B's own compilation database (absolute paths under B); only compile_commands.json changes.
python3 "$gen_project" --out "$gp_b" --files "$files" --cc "$CC" --cxx "$CXX" 2>/dev/null
! grep -q -F -- "$gp_a" "$gp_b/compile_commands.json" || fail "B's compile_commands.json names A"

# The generated project compiled "CMake-style": from <checkout>/build, the object at
# <checkout>/build/<obj> (absolute) with -MD -MT <obj> -MF <obj>.d, -g replaced per variant,
# two at a time.
cat > "$work/run_db.py" <<'EOF'
import concurrent.futures, json, os, shlex, subprocess, sys

print_only = sys.argv[1] == "--commands"  # print the commands (shell syntax) instead of running
if print_only:
    del sys.argv[1]
root, variant, launcher = sys.argv[1], sys.argv[2], sys.argv[3:]
build = os.path.join(root, "build")
g_flags = {"V1": ["-g", f"-ffile-prefix-map={root}=."], "V2": ["-g"], "V3": []}[variant]
with open(os.path.join(root, "compile_commands.json"), encoding="utf-8") as f:
    entries = json.load(f)
commands = []
for e in entries:
    out = e["output"]
    obj = os.path.relpath(out, build)
    if obj.startswith("..") or e["arguments"].count("-g") != 1:
        sys.exit(f"run_db.py: unexpected entry {e}")
    args = []
    for a in e["arguments"]:
        args.extend(g_flags if a == "-g" else [a])
    if args[args.index("-o") + 1] != out or not os.path.isabs(out):
        sys.exit(f"run_db.py: the object is not {out}: {args}")
    c = args.index("-c")
    args[c:c] = ["-MD", "-MT", obj, "-MF", obj + ".d"]
    if print_only:
        print(shlex.join(launcher + args))
    else:
        os.makedirs(os.path.dirname(out), exist_ok=True)
    commands.append(launcher + args)
if print_only:
    sys.exit(0)

def run(cmd):
    return cmd, subprocess.run(cmd, cwd=build, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)

failed = 0
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    for cmd, p in pool.map(run, commands):
        if p.returncode != 0:
            failed += 1
            if failed <= 3:
                print(f"run_db.py: exit {p.returncode}: (cd {build} && {shlex.join(cmd)})\n"
                      f"{p.stdout}", file=sys.stderr)
if failed:
    sys.exit(f"run_db.py: {failed} of {len(commands)} compiles failed")
EOF

# The objects (as ./<path> under the build directory) of the compiles, one shell command a line
# on stdin, whose preprocessed text names <path> outside line markers: a __FILE__ expanded to an
# absolute path under the checkout, a string naming it. zcwrap does not share such a compile with
# other checkouts even when the object does not keep the path (the __FILE__ in an inline function
# never emitted): that is its "safe by construction" rule (cachecore/compile/portability.h).
cat > "$work/cpp_names.py" <<'EOF'
import concurrent.futures, os, re, shlex, subprocess, sys

build, path, launcher = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
marker = re.compile(rb"^#(line)? [0-9]")
commands = []
for line in sys.stdin:
    args = shlex.split(line)
    if not args or args[0] != launcher:
        continue
    args, obj, i = args[1:], None, 0
    kept = []
    while i < len(args):
        a = args[i]
        if a in ("-MD", "-MMD"):
            i += 1
        elif a in ("-MT", "-MF", "-MQ"):
            i += 2
        elif a == "-o":
            obj = args[i + 1]
            i += 2
        else:
            kept.append(a)
            i += 1
    commands.append(("./" + os.path.relpath(os.path.join(build, obj), build), kept + ["-E"]))

def names_path(job):
    obj, cmd = job
    p = subprocess.run(cmd, cwd=build, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"cpp_names.py: {shlex.join(cmd)} fails:\n{p.stderr.decode(errors='replace')}")
    return obj, any(path in l for l in p.stdout.splitlines() if not marker.match(l))

with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    for obj, named in pool.map(names_path, commands):
        if named:
            print(obj)
EOF

gt_flags() {  # variant checkout
  case "$1" in
    V1) echo "-g -ffile-prefix-map=$2=." ;;
    V2) echo "-g" ;;
    V3) echo "" ;;
  esac
}
build_project() {  # project variant checkout [launcher]
  local b=$3/build
  rm -rf "$b"
  if [ "$1" = googletest ]; then
    local launcher=()
    [ -z "${4:-}" ] ||
      launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$4" -DCMAKE_CXX_COMPILER_LAUNCHER="$4")
    cmake -S "$3" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
      -DCMAKE_CXX_FLAGS="$(gt_flags "$2" "$3")" >/dev/null
    [ -z "${4:-}" ] || [ "$(ninja -C "$b" -t commands | grep -c -F -- "$4" || true)" = "$5" ] ||
      fail "$1 $2: $3: not $5 compiles through zcwrap"
    ninja -C "$b" >/dev/null || fail "$1 $2: the build of $3 fails"
  else
    mkdir -p "$b"
    python3 "$work/run_db.py" "$3" "$2" ${4:+"$4"} || fail "$1 $2: the build of $3 fails"
  fi
}
# The number of compiles: googletest's from a configured build directory (out of the checkouts),
# the generated project's from its compilation database.
ZCWRAP_DIR=$work/cache-count cmake -S "$gt_a" -B "$work/count-build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER="$zcwrap" >/dev/null
n_googletest=$(ninja -C "$work/count-build" -t commands | grep -c -F -- "$zcwrap" || true)
rm -rf "$work/count-build"
n_generated=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
  "$gp_a/compile_commands.json")
files_of() { (cd "$1" && find . -name "*.$2" | sort); }
# How many of the objects under $1 hold the bytes of the path $2 (their names in $work/with-path).
with_path() {
  local o n=0
  : > "$work/with-path"
  while read -r o; do
    if grep -q -a -F -- "$2" "$1/$o"; then n=$((n + 1)); echo "$o" >> "$work/with-path"; fi
  done < <(files_of "$1" o)
  echo "$n"
}
# On a counter mismatch: what zcwrap says about a few of B's objects.
explain_some() {  # build-dir
  local o
  while read -r o; do
    echo "--- zcwrap --explain $o (in $1):"
    (cd "$1" && "$zcwrap" --explain "$o" 2>&1 | head -40) || true
  done < <(files_of "$1" o | head -3)
}

variant_name() {
  case "$1" in
    V1) echo "prefix map" ;;
    V2) echo "-g, no prefix map" ;;
    V3) echo "no -g, no prefix map" ;;
  esac
}

runs=0
total_b_compiles=0
total_b_hits=0
total_identical=0
run_variant() {  # project variant
  local project=$1 variant=$2 a b t0=$SECONDS note
  if [ "$project" = googletest ]; then a=$gt_a b=$gt_b; else a=$gp_a b=$gp_b; fi
  local what="$project $variant ($(variant_name "$variant"))"
  export ZCWRAP_DIR=$work/cache-$project-$variant
  local n
  if [ "$project" = googletest ]; then n=$n_googletest; else n=$n_generated; fi
  [ "$n" -gt 0 ] || fail "$what: no compiles"

  # A, cold: every compile stored.
  build_project "$project" "$variant" "$a" "$zcwrap" "$n"
  local a_misses a_hits
  a_misses=$(stat_of cache_miss) a_hits=$(hits_now)
  [ "$a_misses" = "$n" ] && [ "$a_hits" = 0 ] ||
    fail "$what: A (cold): $a_misses misses and $a_hits hits for $n compiles"
  [ "$(files_of "$a/build" o | wc -l)" = "$n" ] || fail "$what: A has not $n objects"
  local a_with_path
  a_with_path=$(with_path "$a/build" "$a")
  cp "$work/with-path" "$work/with-path-a"
  note=", $a_with_path of A's objects hold A's path"

  # B through zcwrap, counters zeroed.
  "$zcwrap" -z >/dev/null
  local t1=$SECONDS
  build_project "$project" "$variant" "$b" "$zcwrap" "$n"
  local t_b=$((SECONDS - t1))
  local hits misses direct preprocessed cpp_only=0
  direct=$(stat_of direct_cache_hit) preprocessed=$(stat_of preprocessed_cache_hit)
  hits=$((direct + preprocessed)) misses=$(stat_of cache_miss)
  local want_hits
  case "$variant" in
    V1) want_hits=$n ;;
    V2) want_hits=0 ;;
    V3) # Misses: the compiles whose object holds A's path, and those whose preprocessed text
        # names it (__FILE__ in code the object does not keep).
        if [ "$project" = googletest ]; then
          ninja -C "$a/build" -t commands
        else
          python3 "$work/run_db.py" --commands "$a" "$variant" "$zcwrap"
        fi | python3 "$work/cpp_names.py" "$a/build" "$a" "$zcwrap" | sort > "$work/cpp-names-a"
        comm -23 "$work/cpp-names-a" <(sort "$work/with-path-a") > "$work/cpp-only-a"
        cpp_only=$(wc -l < "$work/cpp-only-a")
        want_hits=$((n - a_with_path - cpp_only))
        note=", $a_with_path of A's objects hold A's path"
        if [ "$cpp_only" != 0 ]; then
          note+=", $cpp_only more name it in their preprocessed text only"
          note+=" ($(xargs -n1 basename < "$work/cpp-only-a" | tr '\n' ' ' | sed 's/ $//'))"
        fi
        [ "$project" = googletest ] || [ "$want_hits" = "$n" ] ||
          fail "$what: without -g, $a_with_path of A's objects hold A's path and" \
            "$(wc -l < "$work/cpp-names-a") preprocessed texts name it:" \
            "$(cat "$work/with-path-a" "$work/cpp-names-a" | sort -u | tr '\n' ' ')" ;;
  esac
  if [ "$hits" != "$want_hits" ] || [ "$misses" != $((n - want_hits)) ]; then
    echo "$what: A's objects holding A's path ($a_with_path): $(tr '\n' ' ' < "$work/with-path-a")"
    [ "$variant" != V3 ] ||
      echo "$what: naming it only in their preprocessed text: $(tr '\n' ' ' < "$work/cpp-only-a")"
    explain_some "$b/build"
    fail "$what: B: $hits hits ($direct direct, $preprocessed preprocessed) and $misses" \
      "misses for $n compiles;" \
      "expected $want_hits hits and $((n - want_hits)) misses"
  fi

  # What zcwrap gave B, set aside; then B with the plain compiler, in the same build directory.
  local saved=$work/saved-$project-$variant
  rm -rf "$saved"
  mkdir -p "$saved"
  files_of "$b/build" o > "$work/objects"
  [ "$(wc -l < "$work/objects")" = "$n" ] || fail "$what: B has not $n objects"
  (cd "$b/build" && xargs -a "$work/objects" cp --parents -t "$saved")
  local deps=0
  if [ "$project" = generated ]; then
    files_of "$b/build" d > "$work/deps"
    deps=$(wc -l < "$work/deps")
    [ "$deps" = "$n" ] || fail "$what: B has $deps .d files for $n compiles"
    (cd "$b/build" && xargs -a "$work/deps" cp --parents -t "$saved")
  fi
  build_project "$project" "$variant" "$b" ""
  files_of "$b/build" o | cmp -s - "$work/objects" ||
    fail "$what: the plain build of B makes other objects than zcwrap's"
  local o differ=0
  while read -r o; do
    cmp -s "$b/build/$o" "$saved/$o" && continue
    echo "$what: $o differs from the plain build's"
    differ=$((differ + 1))
  done < "$work/objects"
  if [ "$project" = generated ]; then
    files_of "$b/build" d | cmp -s - "$work/deps" ||
      fail "$what: the plain build of B makes other .d files than zcwrap's"
    while read -r o; do
      cmp -s "$b/build/$o" "$saved/$o" && continue
      echo "$what: $o differs from the plain build's (< zcwrap's, > the plain compiler's):"
      diff "$saved/$o" "$b/build/$o" | head -10 || true
      differ=$((differ + 1))
    done < "$work/deps"
  fi
  [ "$differ" = 0 ] || fail "$what: $differ files of B's zcwrap build differ from the plain build's"

  "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  local extra=""
  [ "$project" = generated ] && extra=" and $deps .d files"
  echo "PASS $what: $n compiles in B, $hits hits ($direct direct, $preprocessed preprocessed)," \
    "$misses misses$note, $n objects$extra identical to the plain build (B via zcwrap" \
    "${t_b}s, variant $((SECONDS - t0))s)"
  runs=$((runs + 1))
  total_b_compiles=$((total_b_compiles + n))
  total_b_hits=$((total_b_hits + hits))
  total_identical=$((total_identical + n + deps))
}

for project in googletest generated; do
  for variant in V1 V2 V3; do
    run_variant "$project" "$variant"
  done
done
echo "PASS ($compiler, daemon $daemon): $runs project/variant runs across two checkouts," \
  "$total_b_compiles compiles in B, $total_b_hits hits, no false hit," \
  "$total_identical files identical to the plain build, in $((SECONDS - start))s"
