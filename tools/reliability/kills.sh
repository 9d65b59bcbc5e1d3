#!/usr/bin/env bash
# The long kill -9 campaign (issue 7) in one command: builds, then runs
# tests/crash/kill_campaign_test.cc with many more kills than CI does.
#
#   tools/reliability/kills.sh [KILLS] [SEED]
#
# KILLS (default 10000) is the total, split evenly over capture, push,
# recovery, export and import; SEED (default 7) picks the kill moments, so a
# failure can be replayed with the same two numbers. Runs niced; prints one
# summary line per operation (kills, mid-operation, verified, resumed) and the
# wall time. Build dir: $HOLDFAST_BUILD_DIR or ./build.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
KILLS=${1:-10000}
SEED=${2:-7}
case "$KILLS$SEED" in *[!0-9]*) echo "usage: $0 [KILLS] [SEED] (whole numbers)" >&2; exit 2 ;; esac
[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j2 --target kill_campaign_test holdfast holdfast-server holdfast-handset-gen
LOG=${TMPDIR:-/tmp}/holdfast-kills-$KILLS-$SEED.log
start=$(date +%s)
status=0
HOLDFAST_KILLS=$KILLS HOLDFAST_KILL_SEED=$SEED nice ctest --test-dir "$BUILD" -R '^kill_campaign_test$' \
  --timeout 0 --output-on-failure -V >"$LOG" 2>&1 || status=$?
grep -E ' kills, |ERROR|test cases' "$LOG" | sed 's/^[0-9]*: //' || true
echo "full output: $LOG"
echo "kill campaign: $KILLS kills (seed $SEED) in $(( $(date +%s) - start )) s, ctest exit $status"
exit "$status"
