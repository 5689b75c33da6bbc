#!/usr/bin/env bash
# Distributed builds on a real farm started here on loopback (tests/support/compile_farms.sh):
# googletest (CMake, Ninja) and bench/gen_project.py's project (make) built through zcwrap with
# prefix_command = distcc or icecc:
#   - cold: every object identical to a plain build's (googletest: local; the generated project,
#     whose -g objects the farm's engines build a little differently: through the farm without
#     zcwrap, or, for a job icecream's scheduler gave back, the local compiler's), every compile a
#     miss that went through the launcher and was handled by the farm (distccd's dcc_compile_ok,
#     icecream's daemons' logs, count each one), none retried locally, no launcher message;
#   - warm (after a clean): 100% hits, identical objects, and the farm was not contacted at all
#     (distccd accepted no connection; icecream's daemon ran no job);
#   - distcc only: distccd killed (SIGKILL) in the middle of a cold build of a generated project:
#     the build is green, every object identical, the compiles that found no farm retried locally.
# distcc runs with DISTCC_FALLBACK=0, so a compile it could not distribute fails instead of being
# compiled locally behind our back: only zcwrap's counted retry can then save it.
#
#   farm_build.sh ZCWRAP distcc|icecream on|off [files [kill_files]]   (KEEP=1 keeps the work dir)
set -euo pipefail
zcwrap=$(realpath "$1")
farm=$2
daemon=$3
files=${4:-300}
kill_files=${5:-90}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if ! command -v cmake >/dev/null || [ ! -f /usr/src/googletest/CMakeLists.txt ]; then
  echo "FAIL: needs cmake and Debian's googletest sources (scripts/install_packages.sh)"
  exit 1
fi
# shellcheck source=../support/compile_farms.sh
. "$repo/tests/support/compile_farms.sh"

work=$(mktemp -d /tmp/zcwrap-farm-XXXXXX)
chmod 755 "$work"  # the farm's daemons run as other users, in directories below this one
export ZCWRAP_DIR="$work/cache" ZCWRAP_DAEMON="$daemon" CC=gcc CXX=g++
unset ZCWRAP_DISABLE ZCWRAP_RECACHE ZCWRAP_READONLY ZCWRAP_DIRECT ZCWRAP_PREFIX
cleanup() {
  "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  stop_servers
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL ($farm, daemon $daemon): $*"; "$zcwrap" -s || true; exit 1; }
stat_of() { "$zcwrap" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }
objects() { (cd "$1" && find . -name '*.o' | sort); }
same_objects() {  # reference_dir dir what
  local n=0 o
  while read -r o; do
    cmp -s "$1/$o" "$2/$o" || fail "$3: $o differs from the plain build's"
    n=$((n + 1))
  done < <(objects "$1")
  [ "$n" -gt 0 ] || fail "$3: no objects"
  [ "$(objects "$2" | wc -l)" = "$n" ] || fail "$3: $(objects "$2" | wc -l) objects, plain has $n"
}

# Every object in DIR is the farm's (FARM_REF) or the local compiler's (LOCAL_REF), byte for
# byte; prints how many are the local compiler's and not the farm's.
farm_or_local_objects() {  # farm_ref local_ref dir what
  local n=0 o
  while read -r o; do
    if ! cmp -s "$1/$o" "$3/$o"; then
      cmp -s "$2/$o" "$3/$o" || fail "$4: $o is neither the farm's nor the local compiler's"
      n=$((n + 1))
    fi
  done < <(objects "$1")
  [ "$(objects "$3" | wc -l)" = "$(objects "$1" | wc -l)" ] || fail "$4: objects missing"
  echo "$n"
}

# The farm's counter of compiles it handled, and of connections it took. icecream's are the jobs
# its compile daemon ran plus those its scheduler gave back to the client to compile itself (no
# compile slot free at that moment; icecc 1.4 cannot be told not to), which are counted apart.
farm_jobs() {
  if [ "$farm" = distcc ]; then
    distcc_stat dcc_compile_ok
  else
    echo $(( $(icecream_jobs) + $(icecream_jobs local) ))
  fi
}
farm_contacts() {
  if [ "$farm" = distcc ]; then distcc_stat dcc_tcp_accept; else farm_jobs; fi
}
given_back() { if [ "$farm" = distcc ]; then echo 0; else icecream_jobs local; fi; }
# Waits up to 5 s for the farm's job counter to reach $1 (distccd counts a job just after it
# answers), then prints it.
farm_jobs_reach() {
  local i n
  for ((i = 0; i < 50; i++)); do
    n=$(farm_jobs)
    [ "$n" -ge "$1" ] && break
    sleep 0.1
  done
  echo "$n"
}

case "$farm" in
  distcc)
    start_distcc "$work/farm" 4
    farm_env=("${DISTCC_FARM_ENV[@]}" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1
              ZCWRAP_PREFIX=distcc)
    ;;
  icecream)
    start_icecream "$work/farm" 4
    farm_env=("${ICECREAM_FARM_ENV[@]}" ZCWRAP_PREFIX=icecc)
    ;;
  *) echo "farm_build.sh: the farm is distcc or icecream" >&2; exit 2 ;;
esac
jobs=4

# build_cold NAME BUILD_COMMAND... / build_warm: through zcwrap and the farm; the checks above.
build_cold() {
  local name=$1 compiles=$2 jobs_before contacts_before given_back_before
  shift 2
  "$zcwrap" -z >/dev/null
  jobs_before=$(farm_jobs)
  given_back_before=$(given_back)
  env "${farm_env[@]}" "$@" >/dev/null || fail "$name: the cold build fails"
  [ "$(stat_of cache_miss)" = "$compiles" ] ||
    fail "$name cold: $(stat_of cache_miss) misses for $compiles compiles"
  [ "$(stat_of prefix_command_run)" = "$compiles" ] ||
    fail "$name cold: $(stat_of prefix_command_run) compiles through the launcher, not $compiles"
  [ "$(stat_of prefix_command_retried_locally)" = 0 ] || fail "$name cold: compiles retried locally"
  [ "$(stat_of prefix_command_messages)" = 0 ] || fail "$name cold: the launcher complained"
  local ran=$(( $(farm_jobs_reach $((jobs_before + compiles))) - jobs_before ))
  [ "$ran" = "$compiles" ] || fail "$name cold: the farm handled $ran of $compiles compiles"
  echo "  $name cold: $compiles misses, all $ran handled by the farm" \
    "($(( $(given_back) - given_back_before )) given back by its scheduler to compile here)"
}
build_warm() {
  local name=$1 compiles=$2 contacts_before hits
  shift 2
  "$zcwrap" -z >/dev/null
  contacts_before=$(farm_contacts)
  env "${farm_env[@]}" "$@" >/dev/null || fail "$name: the warm build fails"
  hits=$(( $(stat_of direct_cache_hit) + $(stat_of preprocessed_cache_hit) ))
  [ "$hits" = "$compiles" ] && [ "$(stat_of cache_miss)" = 0 ] ||
    fail "$name warm: $hits hits and $(stat_of cache_miss) misses for $compiles compiles"
  [ "$(stat_of prefix_command_run)" = 0 ] || fail "$name warm: the launcher ran"
  sleep 0.5  # what the farm would count arrives just after a job
  [ "$(farm_contacts)" = "$contacts_before" ] || fail "$name warm: the farm was contacted"
  echo "  $name warm: $hits hits, the farm not contacted"
}

# googletest: plain, then cold and warm through zcwrap + the farm.
gt=/usr/src/googletest
cmake -S "$gt" -B "$work/gt-plain" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$work/gt-plain" >/dev/null
cmake -S "$gt" -B "$work/gt" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER_LAUNCHER="$zcwrap" -DCMAKE_CXX_COMPILER_LAUNCHER="$zcwrap" >/dev/null
gt_compiles=$(ninja -C "$work/gt" -t commands | grep -c -F -- "$zcwrap" || true)
[ "$gt_compiles" -gt 0 ] || fail "no googletest compile goes through zcwrap"
build_cold googletest "$gt_compiles" ninja -C "$work/gt" -j "$jobs"
same_objects "$work/gt-plain" "$work/gt" "googletest cold"
ninja -C "$work/gt" clean >/dev/null
build_warm googletest "$gt_compiles" ninja -C "$work/gt" -j "$jobs"
same_objects "$work/gt-plain" "$work/gt" "googletest warm"

# The generated project, with its own flags (-O2 -g). distcc and icecream compile the
# preprocessed text, in which gcc counts some columns differently (a macro's expansion), so with -g
# their objects are not always a local compile's byte for byte (the same holds without zcwrap);
# the reference is the project built through the farm without zcwrap. Every build runs in the
# same directory (the objects name it).
proj=$work/proj
python3 "$repo/bench/gen_project.py" --out "$proj" --files "$files" 2>/dev/null
case "$farm" in
  distcc) launcher=distcc ;;
  icecream) launcher=icecc ;;
esac
env "${farm_env[@]}" make -C "$proj" -j "$jobs" CC="$launcher gcc" CXX="$launcher g++" >/dev/null ||
  fail "the plain $launcher build of the project fails"
cp -r "$proj/build" "$work/proj-plain"
proj_compiles=$(objects "$work/proj-plain" | wc -l)
make -C "$proj" clean >/dev/null
through=(make -C "$proj" -j "$jobs" CC="$zcwrap gcc" CXX="$zcwrap g++")
if [ "$farm" = distcc ]; then
  build_cold project "$proj_compiles" "${through[@]}"
  same_objects "$work/proj-plain" "$proj/build" "project cold"
  make -C "$proj" clean >/dev/null
  build_warm project "$proj_compiles" "${through[@]}"
  same_objects "$work/proj-plain" "$proj/build" "project warm"
else
  # icecream's scheduler may give a job back to the client to compile here (above), in the plain
  # build as in ours: each object is the farm's or the local compiler's.
  make -C "$proj" -j2 >/dev/null
  cp -r "$proj/build" "$work/proj-local"
  make -C "$proj" clean >/dev/null
  build_cold project "$proj_compiles" "${through[@]}"
  n=$(farm_or_local_objects "$work/proj-plain" "$work/proj-local" "$proj/build" "project cold")
  echo "  project cold: every object the farm's or the local compiler's ($n not the plain farm build's)"
  make -C "$proj" clean >/dev/null
  build_warm project "$proj_compiles" "${through[@]}"
  n=$(farm_or_local_objects "$work/proj-plain" "$work/proj-local" "$proj/build" "project warm")
fi

if [ "$farm" = distcc ]; then
  # distccd killed mid-build, on an empty cache, in a generated project of $kill_files sources
  # (the same code paths as 300, in a third of the time). The compiles retried locally give the
  # local compiler's objects: each object must be the farm's or the local compiler's, byte for
  # byte.
  proj=$work/kproj
  python3 "$repo/bench/gen_project.py" --out "$proj" --files "$kill_files" 2>/dev/null
  env "${farm_env[@]}" make -C "$proj" -j "$jobs" CC="distcc gcc" CXX="distcc g++" >/dev/null ||
    fail "the plain distcc build of the second project fails"
  rm -rf "$work/proj-plain" "$work/proj-local"
  cp -r "$proj/build" "$work/proj-plain"
  gen_compiles=$proj_compiles
  proj_compiles=$(objects "$work/proj-plain" | wc -l)
  make -C "$proj" clean >/dev/null
  make -C "$proj" -j2 >/dev/null
  cp -r "$proj/build" "$work/proj-local"
  through=(make -C "$proj" -j "$jobs" CC="$zcwrap gcc" CXX="$zcwrap g++")
  "$zcwrap" --daemon-stop >/dev/null 2>&1 || true
  rm -rf "$ZCWRAP_DIR"
  make -C "$proj" clean >/dev/null
  jobs_before=$(farm_jobs)
  env "${farm_env[@]}" "${through[@]}" >"$work/kill.log" 2>&1 &
  build=$!
  for ((i = 0; i < 600; i++)); do
    [ "$(farm_jobs)" -ge $((jobs_before + proj_compiles / 3)) ] && break
    kill -0 "$build" 2>/dev/null || break
    sleep 0.1
  done
  killed_after=$(( $(farm_jobs) - jobs_before ))
  kill -KILL -- "-$DISTCC_FARM_PID" 2>/dev/null || kill -KILL "$DISTCC_FARM_PID"
  wait "$build" || { tail -20 "$work/kill.log"; fail "the build fails after distccd was killed"; }
  local_objects=$(farm_or_local_objects "$work/proj-plain" "$work/proj-local" "$proj/build" \
    "distccd killed")
  retried=$(stat_of prefix_command_retried_locally)
  [ "$(stat_of cache_miss)" = "$proj_compiles" ] ||
    fail "distccd killed: $(stat_of cache_miss) misses for $proj_compiles compiles"
  [ "$retried" -gt 0 ] || fail "distccd killed: nothing was retried locally"
  echo "  distccd killed after $killed_after of $proj_compiles compiles: green; $retried retried" \
    "locally; every object the farm's or the local compiler's ($local_objects differ from the" \
    "farm's)"
fi

echo "PASS ($farm, daemon $daemon): googletest ($gt_compiles compiles) and the generated project" \
  "(${gen_compiles:-$proj_compiles}): cold all on the farm, warm 100% hits without contacting it, identical to plain"
