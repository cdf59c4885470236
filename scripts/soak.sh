#!/usr/bin/env bash
# Runs the whole suite N times in a row, each on a fresh clone of HEAD, while a CPU hog keeps every core busy:
# the proof that the suite is green on a loaded machine, not only on a quiet one.
#
#   scripts/soak.sh [runs=5] [hog workers=nproc]
# Prints one line per run (result, wall time) and keeps each run's log under $SOAK_DIR (default /tmp/msgmate-soak).
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
HOGS=${2:-$(nproc)}
DIR=${SOAK_DIR:-/tmp/msgmate-soak}
rm -rf "$DIR" && mkdir -p "$DIR"
REV=$(git rev-parse HEAD)

hog_pids=()
if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu "$HOGS" --quiet & hog_pids+=($!)
else
  for _ in $(seq 1 "$HOGS"); do (yes > /dev/null) & hog_pids+=($!); done
fi
trap 'kill "${hog_pids[@]}" 2>/dev/null' EXIT

failed=0
for i in $(seq 1 "$RUNS"); do
  clone="$DIR/clone-$i"
  git clone -q "$PWD" "$clone" && git -C "$clone" checkout -q "$REV"
  start=$(date +%s)
  if "$clone/scripts/test.sh" > "$DIR/run-$i.log" 2>&1; then result=green; else result=RED; failed=1; fi
  secs=$(( $(date +%s) - start ))
  totals=$(awk '/^     Passed: /{p+=$2} /^     Failed: /{f+=$2} END {printf "%d passed, %d failed", p, f}' "$DIR/run-$i.log")
  printf 'run %d: %s in %dm%02ds (%s) rev %s\n' "$i" "$result" $((secs / 60)) $((secs % 60)) "$totals" "${REV:0:7}" | tee -a "$DIR/summary.txt"
  rm -rf "$clone"
done
exit $failed
