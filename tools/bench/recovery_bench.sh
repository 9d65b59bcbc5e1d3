#!/usr/bin/env bash
# Recovery benchmark (issue 6), measured side by side in one run, against
# the reference server on 127.0.0.1:
#   a plain first push of the large handset's vault to a fresh server
#   vs, right after, the recovery from a wipe of that server: holdfast recover
#      from detection to verified (re-upload and read-back included).
# Target: recovery / first push at most 1.3. Medians over the runs.
#
# usage: tools/bench/recovery_bench.sh [--profile large|small] [--runs N] [--work DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
PROFILE=large
RUNS=3
WORK=${TMPDIR:-/tmp}/holdfast-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
HF="$BUILD/agent/holdfast"
GEN="$BUILD/tools/holdfast-handset-gen"
SERVER="$BUILD/tools/holdfast-server"
for b in "$HF" "$GEN" "$SERVER"; do [ -x "$b" ] || { echo "build first: tools/dev.sh test" >&2; exit 2; }; done
command -v bc >/dev/null && command -v jq >/dev/null && [ -x /usr/bin/time ] || { echo "needs bc, jq, /usr/bin/time" >&2; exit 2; }

TREE="$WORK/handset-$PROFILE"
mkdir -p "$WORK"
if [ ! -f "$TREE.done" ]; then
  rm -rf "$TREE"
  "$GEN" --profile "$PROFILE" --seed 2009 --out "$TREE" >&2
  touch "$TREE.done"
fi
# The same captured vault as tools/bench/export_bench.sh.
VAULT="$WORK/export-vault.db"
CONFIG="$WORK/export-config.json"
if [ ! -f "$VAULT.done" ]; then
  rm -f "$VAULT" "$VAULT"-* "$CONFIG"
  "$HF" --vault "$VAULT" init >/dev/null
  for spec in contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos; do
    "$HF" --config "$CONFIG" source add --kind "${spec%%:*}" "$TREE/${spec#*:}" --name "${spec#*:}" >/dev/null
  done
  "$HF" --vault "$VAULT" --config "$CONFIG" capture >/dev/null
  touch "$VAULT.done"
fi

SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT
now() { date +%s.%N; }

declare -a PUSH_S RECOVER_S RECOVER_RSS
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  rm -rf "$WORK/rserver"; mkdir -p "$WORK/rserver"
  "$SERVER" add-account --data "$WORK/rserver/data" --account phone > "$WORK/rserver/token"
  chmod 600 "$WORK/rserver/token"
  "$SERVER" serve --data "$WORK/rserver/data" --listen 127.0.0.1:0 > "$WORK/rserver/out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/rserver/out" && break; sleep 0.1; done
  URL="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/rserver/out")"
  rm -f "$WORK/recovery-config.json"
  "$HF" --config "$WORK/recovery-config.json" remote add "bench-$(date +%s%N)" --url "$URL" --account phone \
    --token-file "$WORK/rserver/token" >/dev/null
  H=("$HF" --vault "$VAULT" --config "$WORK/recovery-config.json")
  sync
  t0=$(now); "${H[@]}" push > "$WORK/push.out"; t1=$(now)
  PUSH_S+=("$(echo "$t1 - $t0" | bc)")

  "$SERVER" wipe --data "$WORK/rserver/data" --account phone >/dev/null
  sync
  t0=$(now)
  /usr/bin/time -o "$WORK/time.out" -f "%M" "${H[@]}" recover > "$WORK/recover.out"
  t1=$(now)
  RECOVER_S+=("$(echo "$t1 - $t0" | bc)"); RECOVER_RSS+=("$(cat "$WORK/time.out")")
  grep -q "^VERIFIED" "$WORK/recover.out" || { echo "the recovery did not verify" >&2; cat "$WORK/recover.out" >&2; exit 1; }
  stop_server
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
push_s=$(median "${PUSH_S[@]}"); recover_s=$(median "${RECOVER_S[@]}"); rss=$(max "${RECOVER_RSS[@]}")
fmt() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
ITEMS=$("$HF" --vault "$VAULT" status --json | jq '[.kinds[].items] | add')

cat <<MD
### Recovery after a wipe, \`$PROFILE\` handset ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

$ITEMS items; $RUNS runs, medians (all runs: first push ${PUSH_S[*]} s; recovery ${RECOVER_S[*]} s). Every recovery ended VERIFIED.

| measure | holdfast | baseline | ratio | target |
|---|---|---|---|---|
| recovery, detection to verified, vs a plain first push | $(fmt "$recover_s") s | $(fmt "$push_s") s | $(fmt "$(echo "$recover_s / $push_s" | bc -l)") | ≤ 1.3 |
| peak RSS, recovery | $(fmt "$(echo "$rss / 1024" | bc -l)") MiB | | | |
MD
