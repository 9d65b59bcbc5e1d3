#!/usr/bin/env bash
# The long power-cut run (docs/reliability.md) in one command: builds, then
# runs tests/crash/power_cut_test.cc at every I/O event of every workload with
# SEEDS seeds per event and device model (default 16), every run resumed to
# the end, and an I/O error at every operation, once and sticky; then
# tests/crash/file_cut_test.cc with SEEDS+2 seeds at every file event.
#
#   tools/reliability/power_cuts.sh [SEEDS]
#
# Build dir: $HOLDFAST_BUILD_DIR or ./build. Prints one line per workload.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
SEEDS=${1:-16}
case "$SEEDS" in *[!0-9]*|"") echo "usage: $0 [SEEDS] (a whole number)" >&2; exit 2 ;; esac
[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j2 --target power_cut_test file_cut_test holdfast-server
export HOLDFAST_POWER_CUT_SEEDS=$SEEDS HOLDFAST_POWER_CUT_RESUME_EVERY=1 HOLDFAST_IO_ERROR_STRIDE=1
export HOLDFAST_SERVER_BIN="$BUILD/tools/holdfast-server"
start=$(date +%s)
status=0
nice "$BUILD/tests/power_cut_test" | grep -E "^(power cuts|I/O errors|negative control)|ERROR|test cases" || status=1
nice "$BUILD/tests/file_cut_test" | grep -E "^file cuts|ERROR|test cases" || status=1
echo "power cuts: seeds $SEEDS in $(( $(date +%s) - start )) s"
exit "$status"
