#!/usr/bin/env bash
# Recovery benchmark (issue 6), measured side by side in one run, against
# the reference server on 127.0.0.1:
#   a plain first push of the large handset's vault to a fresh server
#   vs, right after, the recovery from a wipe of that server: holdfast recover
#      from detection to verified (re-upload and read-back included).
# Target: recovery / first push at most 1.3. Medians over the runs.
#
# usage: tools/bench/recovery_bench.sh [--profile large|small] [--runs N] [--work DIR]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }
ensure_vault

SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT

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

push_s=$(median "${PUSH_S[@]}"); recover_s=$(median "${RECOVER_S[@]}"); rss=$(max "${RECOVER_RSS[@]}")
ITEMS=$("$HF" --vault "$VAULT" status --json | jq '[.kinds[].items] | add')

cat <<MD
### Recovery after a wipe, \`$PROFILE\` handset ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

$ITEMS items; $RUNS runs, medians (all runs: first push ${PUSH_S[*]} s; recovery ${RECOVER_S[*]} s). Every recovery ended VERIFIED.

| measure | holdfast | baseline | ratio | target |
|---|---|---|---|---|
| recovery, detection to verified, vs a plain first push | $(fmt "$recover_s") s | $(fmt "$push_s") s | $(fmt "$(echo "$recover_s / $push_s" | bc -l)") | ≤ 1.3 |
| peak RSS, recovery | $(fmt "$(echo "$rss / 1024" | bc -l)") MiB | | | |
MD
