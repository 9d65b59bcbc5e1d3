#!/usr/bin/env bash
# The reference server's batch commit (issue 17), measured side by side in one
# run: a first `holdfast push` of the captured handset to a fresh server built
# from this tree and to a fresh server built from an older commit
# (--old-server BIN), alternating, RUNS times each. Both must end with the
# same inventory. With --strace, one more push to each counts the server's
# fsync and fdatasync calls (strace -c -f).
#
# usage: tools/bench/server_push_bench.sh --old-server BIN [--profile large|small] [--runs N] [--work DIR] [--strace]
# Prints a Markdown section.
OLD_SERVER="" STRACE=0 ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --old-server) OLD_SERVER=$2; shift 2 ;;
    --strace) STRACE=1; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
set -- "${ARGS[@]}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -x "$OLD_SERVER" ] || { echo "give --old-server BIN (holdfast-server built from the older commit)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3" >&2; exit 2; }
ensure_vault
ITEMS=$(sqlite3 -readonly "$VAULT" "SELECT count(*) FROM items")
BYTES=$(sqlite3 -readonly "$VAULT" "SELECT sum(size_bytes) FROM items")

SERVER_PID=""
# strace passes no SIGTERM on to the server it runs: stop the server itself (strace's child) then.
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local child; child=$(pgrep -P "$SERVER_PID" || true)
  kill "${child:-$SERVER_PID}" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
}
trap stop_server EXIT

# push BIN [strace-output]: a fresh server from BIN, a first push to it; sets SECONDS_TAKEN and INVENTORY.
push() {
  local bin=$1 trace=${2:-}
  rm -rf "$WORK/server"; mkdir -p "$WORK/server"; : > "$WORK/server/out"
  "$bin" add-account --data "$WORK/server/data" --account phone > "$WORK/server/token"
  chmod 600 "$WORK/server/token"
  if [ -n "$trace" ]; then
    strace -c -f -e trace=fsync,fdatasync,pwrite64,write -o "$trace" \
      "$bin" serve --data "$WORK/server/data" --listen 127.0.0.1:0 > "$WORK/server/out" 2>&1 &
  else
    "$bin" serve --data "$WORK/server/data" --listen 127.0.0.1:0 > "$WORK/server/out" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q listening "$WORK/server/out" && break; sleep 0.1; done
  local url="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server/out")"
  rm -f "$CONFIG.push"
  "$HF" --config "$CONFIG.push" remote add "bench-$(date +%s%N)" --url "$url" --account phone \
    --token-file "$WORK/server/token" >/dev/null
  sync
  local t0 t1
  t0=$(now)
  /usr/bin/time -o "$WORK/time.out" -f "%U %S" "$HF" --vault "$VAULT" --config "$CONFIG.push" push > "$WORK/push.out"
  t1=$(now)
  SECONDS_TAKEN=$(echo "$t1 - $t0" | bc)
  AGENT_CPU=$(awk '{print $1 + $2}' "$WORK/time.out")
  SERVER_CPU=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
  SERVER_CPU=$(echo "$SERVER_CPU / $(getconf CLK_TCK)" | bc -l)
  stop_server
  INVENTORY=$("$bin" inventory --data "$WORK/server/data" --account phone | tail -n +2 | sort)
}

declare -a OLD_S NEW_S OLD_AGENT NEW_AGENT OLD_SRV NEW_SRV
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  push "$OLD_SERVER"; OLD_S+=("$SECONDS_TAKEN"); OLD_AGENT+=("$AGENT_CPU"); OLD_SRV+=("$SERVER_CPU"); old_inventory=$INVENTORY
  push "$SERVER"; NEW_S+=("$SECONDS_TAKEN"); NEW_AGENT+=("$AGENT_CPU"); NEW_SRV+=("$SERVER_CPU")
  [ "$INVENTORY" = "$old_inventory" ] || { echo "the two servers ended with different inventories" >&2; exit 1; }
done
old_s=$(median "${OLD_S[@]}"); new_s=$(median "${NEW_S[@]}")
mib=$(echo "$BYTES / 1048576" | bc -l)

cat <<MD
### First push, \`$PROFILE\` handset, old server vs batch commit, 127.0.0.1 ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

$ITEMS items, $(fmt "$mib") MiB; $RUNS runs alternating, medians (all runs: old ${OLD_S[*]} s; new ${NEW_S[*]} s).
Agent CPU (user+sys) old ${OLD_AGENT[*]} s, new ${NEW_AGENT[*]} s; server CPU old ${OLD_SRV[*]} s, new ${NEW_SRV[*]} s.
Both servers ended with the same inventory in every run.

| measure | old server | batch commit | ratio (throughput) | target |
|---|---|---|---|---|
| first push, wall time | $(fmt "$old_s") s | $(fmt "$new_s") s | $(fmt "$(echo "$old_s / $new_s" | bc -l)") | ≥ 3 |
| items per second | $(fmt "$(echo "$ITEMS / $old_s" | bc -l)") | $(fmt "$(echo "$ITEMS / $new_s" | bc -l)") | | |
| MiB per second | $(fmt "$(echo "$mib / $old_s" | bc -l)") | $(fmt "$(echo "$mib / $new_s" | bc -l)") | | |
MD

if [ "$STRACE" = 1 ] && command -v strace >/dev/null; then
  push "$OLD_SERVER" "$WORK/strace-old.txt"
  push "$SERVER" "$WORK/strace-new.txt"
  echo
  echo "Server system calls during one push each (strace -c -f; the pushes under strace are slower and not timed above):"
  echo
  echo '| call | old server | batch commit |'
  echo '|---|---|---|'
  for call in fsync fdatasync pwrite64 write; do
    o=$(awk -v c="$call" '$NF == c {print $4}' "$WORK/strace-old.txt"); n=$(awk -v c="$call" '$NF == c {print $4}' "$WORK/strace-new.txt")
    echo "| $call | ${o:-0} | ${n:-0} |"
  done
fi
