#!/usr/bin/env bash
# Push benchmark (issue 5), measured side by side in one run, each side
# against a fresh reference server on 127.0.0.1:
#   holdfast push of the large handset's vault (4 transfers in flight)
#   vs the same requests, bodies prepared beforehand, sent by the curl tool
#      with connection reuse and the same parallelism (--parallel-max 4)
#   and holdfast's peak resident memory (target: 64 MiB).
# Runs alternate and medians are reported.
#
# usage: tools/bench/push_bench.sh [--profile large|small] [--runs N] [--work DIR]
# Needs a built tree, curl, bc and /usr/bin/time. Prints a Markdown section.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REQUESTS="$BUILD/tools/holdfast-bench-requests"
[ -x "$REQUESTS" ] || { echo "build first: tools/dev.sh test" >&2; exit 2; }
command -v curl >/dev/null && command -v sqlite3 >/dev/null || { echo "needs curl and sqlite3" >&2; exit 2; }
ensure_vault
ITEMS=$(sqlite3 -readonly "$VAULT" "SELECT count(*) FROM items")
BYTES=$(sqlite3 -readonly "$VAULT" "SELECT sum(size_bytes) FROM items")

SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT
# A fresh server with account "phone"; sets URL and TOKEN_FILE.
start_server() {
  rm -rf "$WORK/server"; mkdir -p "$WORK/server"
  "$SERVER" add-account --data "$WORK/server/data" --account phone > "$WORK/server/token"
  chmod 600 "$WORK/server/token"
  "$SERVER" serve --data "$WORK/server/data" --listen 127.0.0.1:0 > "$WORK/server/out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/server/out" && break; sleep 0.1; done
  URL="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server/out")"
  TOKEN_FILE="$WORK/server/token"
}

declare -a HF_S HF_RSS CURL_S
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  # Baseline: the same requests from files, with curl.
  start_server
  rm -rf "$WORK/requests"
  "$REQUESTS" --vault "$VAULT" --out "$WORK/requests" --url "$URL" --account phone --token-file "$TOKEN_FILE" >&2
  sync
  t0=$(now)
  curl -sS --no-progress-meter --fail-with-body -K "$WORK/requests/collections.curl" >/dev/null
  curl -sS --no-progress-meter --fail-with-body --parallel --parallel-max 4 -K "$WORK/requests/blobs.curl" >/dev/null
  curl -sS --no-progress-meter --fail-with-body --parallel --parallel-max 4 -K "$WORK/requests/batches.curl" >/dev/null
  t1=$(now)
  CURL_S+=("$(echo "$t1 - $t0" | bc)")
  baseline_inventory=$("$SERVER" inventory --data "$WORK/server/data" --account phone | tail -n +2 | sort)
  stop_server
  rm -rf "$WORK/requests"

  # Holdfast: a first push of the same vault, to a remote of a new name (no ledger yet).
  start_server
  rm -f "$CONFIG.push"
  "$HF" --config "$CONFIG.push" remote add "bench-$(date +%s%N)" --url "$URL" --account phone --token-file "$TOKEN_FILE" >/dev/null
  sync
  t0=$(now)
  /usr/bin/time -o "$WORK/time.out" -f "%M" "$HF" --vault "$VAULT" --config "$CONFIG.push" push > "$WORK/push.out"
  t1=$(now)
  HF_S+=("$(echo "$t1 - $t0" | bc)"); HF_RSS+=("$(cat "$WORK/time.out")")
  holdfast_inventory=$("$SERVER" inventory --data "$WORK/server/data" --account phone | tail -n +2 | sort)
  [ "$holdfast_inventory" = "$baseline_inventory" ] || { echo "the two sides left different inventories" >&2; exit 1; }
  stop_server
done

hf_s=$(median "${HF_S[@]}"); curl_s=$(median "${CURL_S[@]}"); hf_rss=$(max "${HF_RSS[@]}")
mib=$(echo "$BYTES / 1048576" | bc -l)

cat <<MD
### Push, \`$PROFILE\` handset, to the reference server on 127.0.0.1 ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

$ITEMS items, $(fmt "$mib") MiB of content; $RUNS runs, medians (all runs: holdfast ${HF_S[*]} s; curl ${CURL_S[*]} s). Both sides end with the same server inventory (checked each run).

| measure | holdfast | baseline (curl, bodies prepared) | ratio (throughput) | target |
|---|---|---|---|---|
| first push, wall time | $(fmt "$hf_s") s | $(fmt "$curl_s") s | $(fmt "$(echo "$curl_s / $hf_s" | bc -l)") | ≥ 0.8 |
| items per second | $(fmt "$(echo "$ITEMS / $hf_s" | bc -l)") | $(fmt "$(echo "$ITEMS / $curl_s" | bc -l)") | | |
| MiB per second | $(fmt "$(echo "$mib / $hf_s" | bc -l)") | $(fmt "$(echo "$mib / $curl_s" | bc -l)") | | |
| peak RSS | $(fmt "$(echo "$hf_rss / 1024" | bc -l)") MiB | | | ≤ 64 MiB |
MD
