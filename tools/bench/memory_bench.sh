#!/usr/bin/env bash
# Peak resident memory of every long command on one handset (issue 17's
# memory targets: capture, push and recover at most 32 MiB; export and
# restore-device at most 64 MiB; the same at ten times the items):
#   holdfast capture (a fresh vault), capture again (nothing changed),
#   push (a first push to a fresh reference server on 127.0.0.1),
#   recover (after the server's account is wiped; must end VERIFIED),
#   export --format archive, restore-device into an empty tree.
# Each is measured once with /usr/bin/time -f %M (the kernel's high-water
# mark of the process's resident set); run it on `large` and `huge` and
# compare. Wall times are printed too, but this is not a speed benchmark.
#
# usage: tools/bench/memory_bench.sh [--profile large|huge|small] [--work DIR]
# (--runs is accepted and ignored.) MEMORY_BENCH_KEEP_VAULT=1 reuses the vault
# a run before captured in the same work folder (its capture figures are then
# the earlier run's). Needs a few times the handset's size free
# in DIR: the vault, the server's store, the archive and the restored tree.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_handset
ITEMS=$(find -L "$TREE" -type f | wc -l)
M="$WORK/memory"
V="$M/vault.db"
C="$M/config.json"
KEEP=0
if [ "${MEMORY_BENCH_KEEP_VAULT:-0}" = 1 ] && [ -f "$M/captured" ]; then
  KEEP=1
  rm -rf "$M/server" "$M/restored" "$M/restore-config.json"
else
  rm -rf "$M"
  mkdir -p "$M"
fi

# measure NAME COMMAND...: runs it, records its peak RSS (KiB) and wall time.
declare -A RSS WALL
measure() {
  local name=$1
  shift
  local t0 t1
  t0=$(now)
  /usr/bin/time -o "$M/time.out" -f "%M" "$@" >"$M/$name.out" 2>"$M/$name.err" ||
    { echo "$name failed: $*" >&2; cat "$M/$name.err" >&2; exit 1; }
  t1=$(now)
  RSS[$name]=$(tail -1 "$M/time.out")
  WALL[$name]=$(echo "$t1 - $t0" | bc -l)
  echo "$name: $(fmt "$(echo "${RSS[$name]} / 1024" | bc -l)") MiB, $(fmt "${WALL[$name]}") s" >&2
}

if [ "$KEEP" = 1 ]; then
  read -r RSS[capture] WALL[capture] RSS[rescan] WALL[rescan] <"$M/captured"
else
  "$HF" --vault "$V" init >/dev/null
  for spec in contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos; do
    "$HF" --config "$C" source add --kind "${spec%%:*}" "$TREE/${spec#*:}" --name "${spec#*:}" >/dev/null
  done
  measure capture "$HF" --vault "$V" --config "$C" capture
  measure rescan "$HF" --vault "$V" --config "$C" capture
  echo "${RSS[capture]} ${WALL[capture]} ${RSS[rescan]} ${WALL[rescan]}" >"$M/captured"
fi

mkdir -p "$M/server"
"$SERVER" add-account --data "$M/server/data" --account phone >"$M/server/token"
chmod 600 "$M/server/token"
# No quota in the way: the huge handset holds over a million items.
"$SERVER" serve --data "$M/server/data" --listen 127.0.0.1:0 --quota-items 100000000 \
  --quota-bytes 1000000000000 >"$M/server/out" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$M/server/out" && break; sleep 0.1; done
URL="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$M/server/out")"
TOKEN_FILE="$M/server/token"
# A remote of a new name: a first push, whatever an earlier run left in the vault's ledger.
PC="$M/push-config.json"
cp "$C" "$PC"
"$HF" --config "$PC" remote add "bench-$(date +%s%N)" --url "$URL" --account phone --token-file "$TOKEN_FILE" >/dev/null
measure push "$HF" --vault "$V" --config "$PC" push
"$SERVER" wipe --data "$M/server/data" --account phone >/dev/null
measure recover "$HF" --vault "$V" --config "$PC" recover
grep -q "^VERIFIED" "$M/recover.out" || { echo "the recovery did not verify" >&2; cat "$M/recover.out" >&2; exit 1; }
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true

measure export "$HF" --vault "$V" export --format archive --to "$M/export.tar"
rm -f "$M/export.tar"
RC="$M/restore-config.json"
for spec in contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos; do
  mkdir -p "$M/restored/${spec#*:}"
  "$HF" --config "$RC" source add --kind "${spec%%:*}" "$M/restored/${spec#*:}" --name "${spec#*:}" >/dev/null
done
measure restore "$HF" --vault "$V" --config "$RC" restore-device
RESTORED=$(find "$M/restored" -type f | wc -l)

mib() { fmt "$(echo "${RSS[$1]} / 1024" | bc -l)"; }
cat <<EOF
### Peak RSS, \`$PROFILE\` handset ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

$ITEMS files in the handset, $RESTORED restored; one run of each command.

| command | peak RSS | wall time | target |
|---|---|---|---|
| capture, fresh vault | $(mib capture) MiB | $(fmt "${WALL[capture]}") s | ≤ 32 MiB |
| capture, nothing changed | $(mib rescan) MiB | $(fmt "${WALL[rescan]}") s | ≤ 32 MiB |
| push, first | $(mib push) MiB | $(fmt "${WALL[push]}") s | ≤ 32 MiB |
| recover, after a wipe | $(mib recover) MiB | $(fmt "${WALL[recover]}") s | ≤ 32 MiB |
| export --format archive | $(mib export) MiB | $(fmt "${WALL[export]}") s | ≤ 64 MiB |
| restore-device, empty tree | $(mib restore) MiB | $(fmt "${WALL[restore]}") s | ≤ 64 MiB |
EOF
rm -rf "$M/restored" "$M/server"
