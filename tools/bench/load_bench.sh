#!/usr/bin/env bash
# Load benchmark (issue 17): DEVICES simulated devices (holdfast-load-gen) push
# small batches and check their inventory at once against one reference
# server on 127.0.0.1, first with a stated capacity (--max-inflight LIMIT:
# beyond it 429 + Retry-After), then with no limit, alternating, RUNS times
# each. Every run must end with every device converged (the server holds
# exactly what each device pushed). Loopback only, bounded by --max-seconds.
#
# usage: tools/bench/load_bench.sh [--devices N] [--items N] [--batch N] [--limit N] [--runs N] [--work DIR]
# Prints a Markdown section; each run's JSON report stays in WORK.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
SERVER="$BUILD/tools/holdfast-server"
GEN="$BUILD/tools/holdfast-load-gen"
DEVICES=1000 ITEMS=50 BATCH=10 LIMIT=16 RUNS=2 MAX_SECONDS=600
WORK=${TMPDIR:-/tmp}/holdfast-load-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES=$2; shift 2 ;;
    --items) ITEMS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for b in "$SERVER" "$GEN"; do [ -x "$b" ] || { echo "build first: ninja -C build holdfast-server holdfast-load-gen" >&2; exit 2; }; done
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }
mkdir -p "$WORK"

SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT

# run NAME MAX_INFLIGHT: a fresh server with DEVICES accounts, then the generator.
run() {
  local name=$1 limit=$2 dir="$WORK/$1"
  rm -rf "$dir"; mkdir -p "$dir"
  "$SERVER" add-account --data "$dir/data" --account device --count "$DEVICES" > "$dir/accounts"
  "$SERVER" serve --data "$dir/data" --listen 127.0.0.1:0 --max-inflight "$limit" \
    --worker-threads $((DEVICES + 16)) --max-connections-per-client $((DEVICES + 16)) > "$dir/server.out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q listening "$dir/server.out" && break; sleep 0.1; done
  local url="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/server.out")"
  local status=0
  "$GEN" --url "$url" --accounts "$dir/accounts" --devices "$DEVICES" --items "$ITEMS" --batch "$BATCH" \
    --max-seconds "$MAX_SECONDS" > "$dir/report.json" || status=$?
  stop_server
  cp "$dir/report.json" "$WORK/$name.json"
  rm -rf "$dir/data"
  [ "$status" = 0 ] || { echo "$name: not every device converged (see $WORK/$name.json)" >&2; cat "$WORK/$name.json" >&2; exit 1; }
}

for r in $(seq 1 "$RUNS"); do
  echo "run $r/$RUNS" >&2
  run "limited-$r" "$LIMIT"
  run "unlimited-$r" 0
done

row() {  # row LABEL FILE
  jq -r --arg name "$1" '"| \($name) | \(.seconds*100|round/100) | \(.accepted) | \(.accepted_per_s|round) | \(.items_per_s|round) | \(.latency_ms.p50*10|round/10) | \(.latency_ms.p95*10|round/10) | \(.latency_ms.p99*10|round/10) | \(.latency_ms.max*10|round/10) | \(.rate_limited_429) | \(.rate_limited_without_retry_after) | \(.failed_retried) | \(.converged)/\(.devices) |"' "$2"
}
cat <<MD
### Load: $DEVICES devices, $ITEMS items each in batches of $BATCH, on 127.0.0.1 ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

| run | wall s | accepted requests | accepted/s | items/s | p50 ms | p95 ms | p99 ms | max ms | 429 | 429 without Retry-After | failures retried | converged |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
MD
for r in $(seq 1 "$RUNS"); do
  row "--max-inflight $LIMIT, run $r" "$WORK/limited-$r.json"
  row "no limit, run $r" "$WORK/unlimited-$r.json"
done
