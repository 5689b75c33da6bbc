#!/usr/bin/env bash
# Audit completeness (issue 7, docs/perf.md): the share of compiles whose audit events carry the
# host's run id, for the wrapped path (zcwrap with the daemon off and on) and the embedded path
# (libzcshim), replaying one compilation database cold then warm.
#
#   bench/audit_completeness.sh ZC_REPLAY ZCWRAP COMPILE_COMMANDS_JSON [JOBS]
#
# Prints one Markdown table row per backend: compiles, compile.finished events, those carrying the
# run id, all events carrying it, and the share.
set -euo pipefail
replay=$(realpath "$1")
zcwrap=$(realpath "$2")
db=$(realpath "$3")
jobs=${4:-2}
work=$(mktemp -d /tmp/zcwrap-audit-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "| backend | compiles | compile.finished | with the run id | events with the run id / all events | share |"
echo "|---|--:|--:|--:|--:|--:|"
for backend in zcwrap-off zcwrap-daemon shim; do
  audit="$work/$backend.jsonl"
  run_id="run-$backend-$$"
  ZCWRAP_AUDIT_FILE="$audit" ZCWRAP_RUN_ID="$run_id" \
    "$replay" --backend "$backend" -j "$jobs" --mode both --zcwrap "$zcwrap" \
    --cache-dir "$work/cache-$backend" --json "$db" > "$work/$backend.json" 2> "$work/$backend.log"
  compiles=$(python3 -c 'import json,sys; print(sum(json.loads(l)["compiles"] for l in open(sys.argv[1]) if l.strip()))' "$work/$backend.json")
  finished=$(grep -c '"event":"compile.finished"' "$audit" || true)
  finished_with=$(grep '"event":"compile.finished"' "$audit" | grep -c "\"run_id\":\"$run_id\"" || true)
  events=$(wc -l < "$audit")
  events_with=$(grep -c "\"run_id\":\"$run_id\"" "$audit" || true)
  share=$(awk -v a="$finished_with" -v b="$compiles" 'BEGIN { printf "%.1f%%", b ? 100 * a / b : 0 }')
  echo "| $backend | $compiles | $finished | $finished_with | $events_with / $events | $share |"
done
