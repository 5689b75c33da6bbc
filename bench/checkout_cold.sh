#!/usr/bin/env bash
# What a base directory costs a cold build (issue 13): bench/gen_project.py's project made a git
# checkout, replayed cold (zc_replay) without -g, plain and through zcwrap, once with
# base_dir=none and once with base_dir=auto (the checkout's top: every miss then decides whether
# its result may be shared, which reads what it read and, for sources whose headers use
# __FILE__, runs the preprocessor). Prints zc_replay's tables; the ratios zcwrap/plain of the two
# runs are what to compare.
#
#   bench/checkout_cold.sh build/wrapper/zcwrap build/bench/replay/zc_replay [files] [rounds]
set -euo pipefail
zcwrap=$(realpath "$1")
replay=$(realpath "$2")
files=${3:-300}
rounds=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/zcwrap-checkout-cold-XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_project.py" --out "$work/proj" --files "$files" 2>/dev/null
git -C "$work/proj" init -q
git -C "$work/proj" add -A
git -C "$work/proj" -c user.name=bench -c user.email=bench@localhost commit -qm project
# Without -g, so that results are shareable and the base's checks run in full.
python3 - "$work/proj/compile_commands.json" "$work/nog.json" <<'PY'
import json, sys
db = json.load(open(sys.argv[1]))
for e in db:
    e["arguments"] = [a for a in e["arguments"] if a != "-g"]
json.dump(db, open(sys.argv[2], "w"), indent=1)
PY
for base in none auto; do
  echo "== base_dir=$base"
  rm -rf "$work/cache-$base"
  ZCWRAP_BASE_DIR=$base ZCWRAP_DAEMON=off "$replay" --backend plain,zcwrap-off --mode cold \
    --rounds "$rounds" -j 2 --zcwrap "$zcwrap" --cache-dir "$work/cache-$base" \
    --label "generated $files, base_dir=$base" "$work/nog.json"
done
