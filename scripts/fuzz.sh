#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -Dfuzzers=enabled, in build-fuzz/) and runs each for a
# while on a scratch copy of its checked-in seed corpus. docs/reliability.md lists the
# targets; tests/fuzz/README.md says how to add one.
#
#   scripts/fuzz.sh                      # every target, 10 s each (what CI runs)
#   scripts/fuzz.sh --seconds 300        # a long run
#   scripts/fuzz.sh --only manifest      # one target (repeatable)
#   scripts/fuzz.sh --merge              # also merge new coverage into tests/fuzz/corpus/
#
# Prints one line per target (executions, final cov/ft, new corpus units, result) and exits 1 if
# any target crashed, leaked, timed out or ran out of memory, naming the saved input; its scratch
# directory is then kept. Builds only the fuzzers and the cachecore library they link.
# Environment: ZCWRAP_WERROR=1 configures with --werror; ZCWRAP_FUZZ_JOBS sets ninja's -j.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
merge=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --only) only+=("$2"); shift 2 ;;
    --only=*) only+=("${1#*=}"); shift ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number" >&2; exit 2 ;; esac

# name  binary (under build-fuzz/)  seed corpus  -max_len (bytes: a few times the seeds, room for
# the format's structure without letting one input take seconds)
targets=(
  "protocol      tests/daemon/protocol_fuzzer   tests/daemon/corpus            4096"
  "arguments     tests/fuzz/arguments_fuzzer    tests/fuzz/corpus/arguments    2048"
  "config        tests/fuzz/config_fuzzer       tests/fuzz/corpus/config       2048"
  "dep_file      tests/fuzz/dep_file_fuzzer     tests/fuzz/corpus/dep_file     2048"
  "entry_format  tests/fuzz/entry_format_fuzzer tests/fuzz/corpus/entry_format 4096"
  "manifest      tests/fuzz/manifest_fuzzer     tests/fuzz/corpus/manifest     4096"
  "remote_entry  tests/fuzz/remote_entry_fuzzer tests/fuzz/corpus/remote_entry 4096"
  "tier_spec     tests/fuzz/tier_spec_fuzzer    tests/fuzz/corpus/tier_spec    1024"
  "tier_state    tests/fuzz/tier_state_fuzzer   tests/fuzz/corpus/tier_state   2200"
)
selected=()
for t in "${targets[@]}"; do
  read -r name _ <<<"$t"
  if [ ${#only[@]} -eq 0 ] || printf '%s\n' "${only[@]}" | grep -qx "$name"; then
    selected+=("$t")
  fi
done
if [ ${#selected[@]} -eq 0 ]; then
  names=$(printf '%s\n' "${targets[@]}" | awk '{print $1}' | xargs)
  echo "fuzz.sh: no target named ${only[*]}; targets: $names" >&2
  exit 2
fi

# clang and libFuzzer (Debian 12: clang, libclang-rt-14-dev), installed only if missing.
if ! command -v clang++ >/dev/null ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  scripts/install_packages.sh
fi

build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  werror=()
  [ "${ZCWRAP_WERROR:-0}" = 1 ] && werror=(--werror)
  CC=clang CXX=clang++ meson setup "$build" --wrap-mode=nodownload -Dfuzzers=enabled \
    -Dtests=disabled -Dbenchmarks=disabled "${werror[@]}" >/dev/null
fi
binaries=()
for t in "${selected[@]}"; do
  read -r _ bin _ <<<"$t"
  binaries+=("$bin")
done
build_start=$(date +%s)
ninja -C "$build" ${ZCWRAP_FUZZ_JOBS:+-j "$ZCWRAP_FUZZ_JOBS"} "${binaries[@]}" >/dev/null
echo "fuzz.sh: built ${#binaries[@]} fuzzers in $(( $(date +%s) - build_start )) s" >&2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/zcwrap-fuzz-run.XXXXXX")
export TMPDIR="$scratch/tmp"  # the targets' own scratch directories, gone with this one
mkdir -p "$TMPDIR"
# UBSan findings are crashes too (the fuzzers are built without -fno-sanitize-recover).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

failed=0
printf '%-13s %12s %8s %8s %6s  %s\n' target executions cov ft new result
for t in "${selected[@]}"; do
  read -r name bin seeds max_len <<<"$t"
  corpus="$scratch/corpus/$name"
  artifacts="$scratch/artifacts/$name"
  log="$scratch/$name.log"
  mkdir -p "$corpus" "$artifacts"
  cp "$seeds"/* "$corpus"/
  before=$(find "$corpus" -type f | wc -l)
  status=0
  "$build/$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || status=$?
  after=$(find "$corpus" -type f | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$status" -ne 0 ]; then
    failed=1
    if grep -q 'ERROR: LeakSanitizer' "$log"; then result=leak
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then result=timeout
    elif grep -q -e 'out-of-memory' -e 'malloc(.*) exceeds limit' "$log"; then result=out-of-memory
    else result=crash
    fi
    saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="$result: input saved in ${saved:-$artifacts}, log $log"
  elif [ "$merge" = 1 ]; then
    "$build/$bin" -merge=1 -max_len="$max_len" "$seeds" "$corpus" >>"$log" 2>&1
    result="ok, merged into $seeds"
  fi
  printf '%-13s %12s %8s %8s %6s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$((after - before))" "$result"
done

if [ "$failed" = 1 ]; then
  echo "fuzz.sh: a target failed; scratch corpora and logs kept in $scratch" >&2
  echo "  reproduce: $build/tests/fuzz/<name>_fuzzer <saved input>; then add it as" \
       "tests/fuzz/corpus/<name>/regress-<what> (tests/fuzz/README.md)" >&2
  exit 1
fi
rm -rf "$scratch"
