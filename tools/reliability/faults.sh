#!/bin/sh
# The long run of the fault tests: every server fault kind at every request
# index of a push and of a recovery (tests/crash/server_fault_test), and a
# real ENOSPC at many fill levels of capture, import, export and
# restore-device (tests/crash/disk_full_test; needs root to mount tmpfs).
#
#   tools/reliability/faults.sh [BUILD_DIR]      (default: build)
#   DISK_FULL_LEVELS=24 tools/reliability/faults.sh
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j2 --target server_fault_test disk_full_test holdfast holdfast-server holdfast-handset-gen
start=$(date +%s)
HOLDFAST_FAULT_SWEEP=full HOLDFAST_DISK_FULL_LEVELS=${DISK_FULL_LEVELS:-12} \
  ctest --test-dir "$build" -R '^(server_fault_test|disk_full_test)$' --timeout 7200 -j2 -V |
  grep -E 'MESSAGE|ERROR|FAILED|test cases|Passed|Failed'
echo "faults.sh: $(( $(date +%s) - start )) s"
