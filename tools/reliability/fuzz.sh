#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (one per kind of hostile input:
# vCard, iCalendar, the server's JSON answers, the config file, an archive to
# import, a damaged vault file) for a given time each.
#
#   tools/reliability/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#     SECONDS_PER_TARGET  default 60
#     TARGET              default all: vcard_fuzz icalendar_fuzz json_reply_fuzz
#                         config_fuzz archive_import_fuzz vault_open_fuzz
#
# Installs clang and its libFuzzer runtime when missing (apt-get, idempotent),
# builds the targets with clang++ -fsanitize=fuzzer,address,undefined in
# build-fuzz (HOLDFAST_FUZZ=ON; HOLDFAST_FUZZ_BUILD_DIR overrides), starts
# each from its seed corpus tests/fuzz/corpus/<target>/ plus what earlier runs
# found (build-fuzz/corpus/<target>/), with tests/fuzz/<target>.dict as its
# dictionary when there is one, and prints executions per target.
# A crash, leak, timeout or out-of-memory input is saved under
# build-fuzz/crashes/<target>/ and makes the script exit 1 (inputs saved by
# earlier runs do not); once fixed, move it into the seed corpus so that
# ctest replays it (label fuzz).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
BUILD_DIR=${HOLDFAST_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(vcard_fuzz icalendar_fuzz json_reply_fuzz config_fuzz archive_import_fuzz vault_open_fuzz)
case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "usage: tools/reliability/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac

# clang and the libFuzzer runtime (libclang_rt.fuzzer) come from Debian.
missing=()
for p in clang libclang-rt-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "==> configuring $BUILD_DIR (clang++, HOLDFAST_FUZZ=ON)"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHOLDFAST_FUZZ=ON >/dev/null
fi
echo "==> building the fuzz targets"
nice cmake --build "$BUILD_DIR" -j 2 --target fuzz_targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
summary=()
for t in "${TARGETS[@]}"; do
  work="$BUILD_DIR/corpus/$t"
  crashes="$BUILD_DIR/crashes/$t"
  log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  echo "==> $t: ${SECONDS_PER_TARGET}s"
  dict=()
  [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  before=$(find "$crashes" -type f | wc -l)
  status=0
  nice "$BUILD_DIR/tests/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 "${dict[@]}" -artifact_prefix="$crashes/" "$work" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  found=$(( $(find "$crashes" -type f | wc -l) - before ))
  line="$t: ${execs:-?} executions in ${SECONDS_PER_TARGET}s (${rate:-?}/s), corpus $(find "$work" -type f | wc -l) files, $found new crash files, exit $status"
  echo "    $line"
  summary+=("$line")
  if [ "$status" -ne 0 ] || [ "$found" -gt 0 ]; then
    failed+=("$t")
    grep -m1 -E "ERROR: |fuzz invariant failed|runtime error" "$log" | sed 's/^/    /' || true
    echo "    log: $log; inputs: $crashes"
  fi
done

echo "==> summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
