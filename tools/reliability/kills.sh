#!/usr/bin/env bash
# The long kill -9 campaign (issue 7) in one command: builds, then runs
# tests/crash/kill_campaign_test.cc with many more kills than CI does.
#
#   tools/reliability/kills.sh [KILLS] [SEED] [JOBS]
#
# KILLS (default 10000) is the total, split evenly over JOBS processes
# (default 1) and within each over capture, push, recovery, export and import.
# Job j (0-based) uses seed SEED+j (SEED defaults to 7), so a failure replays
# with `HOLDFAST_KILLS=<its share> HOLDFAST_KILL_SEED=<its seed>
# build/tests/kill_campaign_test`. Runs niced; prints one summary line per
# operation and job (kills, mid-operation, verified, resumed) and the wall
# time. Build dir: $HOLDFAST_BUILD_DIR or ./build.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
KILLS=${1:-10000}
SEED=${2:-7}
JOBS=${3:-1}
case "$KILLS$SEED$JOBS" in *[!0-9]*) echo "usage: $0 [KILLS] [SEED] [JOBS] (whole numbers)" >&2; exit 2 ;; esac
[ "$JOBS" -ge 1 ] || { echo "$0: JOBS must be at least 1" >&2; exit 2; }
[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j2 --target kill_campaign_test holdfast holdfast-server holdfast-handset-gen vault_tool

# What ctest would set (tests/CMakeLists.txt): the programs the test starts.
export HOLDFAST_BIN=$BUILD/agent/holdfast HOLDFAST_VAULT_TOOL=$BUILD/tests/vault_tool \
  HOLDFAST_GEN_BIN=$BUILD/tools/holdfast-handset-gen HOLDFAST_SERVER_BIN=$BUILD/tools/holdfast-server \
  HOLDFAST_BUILD_DIR=$BUILD
start=$(date +%s)
pids=()
logs=()
for ((j = 0; j < JOBS; j++)); do
  share=$(( KILLS / JOBS + (j < KILLS % JOBS ? 1 : 0) ))
  seed=$(( SEED + j ))
  log=${TMPDIR:-/tmp}/holdfast-kills-$share-$seed.log
  logs+=("$log")
  echo "job $j: $share kills, seed $seed, output in $log"
  HOLDFAST_KILLS=$share HOLDFAST_KILL_SEED=$seed nice "$BUILD/tests/kill_campaign_test" >"$log" 2>&1 &
  pids+=($!)
done
status=0
for ((j = 0; j < JOBS; j++)); do
  job_status=0
  wait "${pids[$j]}" || job_status=$?
  grep -E ' kills, |ERROR|test cases' "${logs[$j]}" | sed "s/^/job $j: /" || true
  [ "$job_status" -eq 0 ] || { echo "job $j failed (exit $job_status): ${logs[$j]}"; status=1; }
done
echo "kill campaign: $KILLS kills (seed $SEED, $JOBS jobs) in $(( $(date +%s) - start )) s, exit $status"
exit "$status"
