#!/usr/bin/env bash
# Runs one test executable of a HOLDFAST_SANITIZE build (tests/CMakeLists.txt)
# and fails it when ANY process of the test wrote a sanitizer report: the test
# itself, or a holdfast / holdfast-server / vault_tool child it started. A
# child's report would otherwise only change its exit code, which a test that
# expects the agent to fail (exit 3 for a malformed file, say) might accept.
#
# Usage: sanitized_run.sh LOG_DIR TEST_EXE [ARGS...]
# Every process inherits ASAN_OPTIONS / UBSAN_OPTIONS with log_path under
# LOG_DIR (one file per reporting process, named by pid); the folder is
# emptied first and must be empty afterwards. Options a caller already set
# come first, so these win. g++ 12's UBSan runtime ignores log_path: its
# reports go to stderr and the reporting process aborts (exit status 134),
# which fails a test through that process's exit status.
set -uo pipefail

log_dir=$1
shift
rm -rf "$log_dir"
mkdir -p "$log_dir"

common="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$log_dir/report"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$common:detect_leaks=1"
# libarchive 3.6 skips its write callbacks' close when freeing an archive that a
# write error left in its fatal state, leaking its fd client data and block
# buffer (about 10 KiB, once, in a process that then exits with no-space).
# Only leaks whose allocation is inside libarchive are ignored.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(dirname "$0")/lsan_suppressions.txt:print_suppressions=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}$common"
# Long campaigns scale their default counts down under sanitizers (every test still runs).
export HOLDFAST_SANITIZED=1

"$@"
status=$?

# Two kinds of report file are not memory errors, and are shown but pass:
# - a process under vault_tool's memory limit (max_allocation_size_mb with
#   allocator_may_return_null) gets a null from an allocation over the limit
#   and ASan logs a one-line warning: that is the limit working;
# - a process the kill campaign SIGKILLs while LeakSanitizer is scanning it at
#   exit leaves LeakSanitizer's tracer unable to read the dead thread's
#   registers, and the scan ends with that one line: the kill working.
# Any other line in a report fails the test.
benign=(
  -e '^$'
  -e '^(==[0-9]+==)?WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes$'
  -e '^==[0-9]+==Unable to get registers from thread [0-9]+\.$'
)
failed=0
for r in $(find "$log_dir" -type f | sort); do
  if ! grep -Ev "${benign[@]}" "$r" | grep -q .; then
    echo "==== not a memory error (see sanitized_run.sh): $(cat "$r")"
    continue
  fi
  echo "==== sanitizer report: $r"
  cat "$r"
  failed=1
done
if [ "$failed" -ne 0 ]; then
  echo "FAILED: sanitizer reports above (test exit status $status)" >&2
  exit 1
fi
exit "$status"
