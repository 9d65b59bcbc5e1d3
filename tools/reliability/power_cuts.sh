#!/usr/bin/env bash
# The long power-cut run (docs/reliability.md): every I/O event of every
# workload, SEEDS seeds per event and device model (default 16), every run
# resumed to the end; every file event of the atomic writes with SEEDS+2
# seeds; an I/O error at every operation, once and sticky.
#   tools/reliability/power_cuts.sh [SEEDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SEEDS=${1:-16}
BUILD_DIR=${HOLDFAST_BUILD_DIR:-$PWD/build}
tools/dev.sh build
export HOLDFAST_POWER_CUT_SEEDS=$SEEDS HOLDFAST_POWER_CUT_RESUME_EVERY=1 HOLDFAST_IO_ERROR_STRIDE=1
export HOLDFAST_SERVER_BIN="$BUILD_DIR/tools/holdfast-server"
start=$(date +%s)
"$BUILD_DIR/tests/power_cut_test" | grep -E "^(power cuts|I/O errors|negative control)|Status|ERROR"
"$BUILD_DIR/tests/file_cut_test" | grep -E "^file cuts|Status|ERROR"
echo "power-cut long run: $(( $(date +%s) - start )) s"
