#!/usr/bin/env bash
# The agent's main job, end to end, on this machine (loopback only):
#   a handset is captured and pushed to a real holdfast-server; then the
#   incident: the server is wiped and the handset reset. Holdfast refuses to
#   record the handset's loss, restores the handset from the vault, detects
#   the server's loss, re-uploads with progress and verifies by read-back.
# Ends with a table per kind; exits non-zero if anything does not verify.
#
# usage: tools/demo.sh [--profile small|large] [--build DIR]   (tools/dev.sh demo runs it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
PROFILE=small
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
HF="$BUILD/agent/holdfast"
GEN="$BUILD/tools/holdfast-handset-gen"
SERVER="$BUILD/tools/holdfast-server"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-demo-XXXXXX")
export XDG_DATA_HOME="$SCRATCH/data" XDG_CONFIG_HOME="$SCRATCH/config"
HANDSET="$SCRATCH/handset"
SOURCES="contacts:contacts:contact calendar:calendars:event tasks:tasks:task notes:notes:note photos:photos:photo"

SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
step() { printf '\n==> %s\n' "$*"; }

# Items per kind: on the handset (one item per generated file), in the vault, on the server.
handset_count() { find "$HANDSET/$1" -type f ! -name '.*' 2>/dev/null | wc -l; }
vault_count() { "$HF" status --json | jq ".kinds.$1.items"; }
server_count() {
  "$SERVER" inventory --data "$SCRATCH/server" --account phone |
    awk -v kind="$1" '$2 == kind {n += $4} END {print n + 0}'
}
declare -A BEFORE VAULT WIPED AFTER_HANDSET AFTER_SERVER

step "starting holdfast-server on 127.0.0.1 (data in $SCRATCH/server)"
"$SERVER" add-account --data "$SCRATCH/server" --account phone > "$SCRATCH/token"
chmod 600 "$SCRATCH/token"
"$SERVER" serve --data "$SCRATCH/server" --listen 127.0.0.1:0 > "$SCRATCH/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q listening "$SCRATCH/server.out" && break; sleep 0.1; done
URL="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$SCRATCH/server.out")"
echo "listening at $URL"

step "generating the '$PROFILE' handset in $HANDSET"
"$GEN" --profile "$PROFILE" --seed 1 --out "$HANDSET"
"$HF" init
for spec in $SOURCES; do
  IFS=: read -r kind folder _ <<<"$spec"
  "$HF" source add --kind "$kind" "$HANDSET/$folder" --name "$folder" >/dev/null
done
"$HF" remote add home --url "$URL" --account phone --token-file "$SCRATCH/token"

step "holdfast capture"
"$HF" capture
step "holdfast push"
"$HF" push
for spec in $SOURCES; do IFS=: read -r _ folder kind <<<"$spec"; BEFORE[$kind]=$(handset_count "$folder"); done

step "THE INCIDENT: the server loses its data (wipe) and the handset is reset (its sources emptied)"
"$SERVER" wipe --data "$SCRATCH/server" --account phone
for spec in $SOURCES; do
  IFS=: read -r _ folder kind <<<"$spec"
  find "$HANDSET/$folder" -type f -delete
  WIPED[$kind]=$(server_count "$kind")
done

step "holdfast capture: the emptied handset is NOT taken for the user's wish"
set +e
"$HF" capture
capture_rc=$?
set -e
echo "(capture exited $capture_rc: the guard refused to record the deletions)"
[ "$capture_rc" -eq 9 ] || { echo "DEMO FAILED: the guard did not trip" >&2; exit 1; }
for spec in $SOURCES; do IFS=: read -r _ _ kind <<<"$spec"; VAULT[$kind]=$(vault_count "$kind"); done

step "holdfast restore-device: the handset gets its data back from the vault"
"$HF" restore-device
"$HF" capture >/dev/null

step "holdfast check: the server's loss is detected"
set +e
"$HF" check
check_rc=$?
set -e
[ "$check_rc" -eq 9 ] || { echo "DEMO FAILED: the loss was not detected (check exited $check_rc)" >&2; exit 1; }

step "holdfast recover: re-upload, then read-back verification"
set +e
"$HF" recover
recover_rc=$?
set -e

for spec in $SOURCES; do
  IFS=: read -r _ folder kind <<<"$spec"
  AFTER_HANDSET[$kind]=$(handset_count "$folder")
  AFTER_SERVER[$kind]=$(server_count "$kind")
done
verified=$("$HF" status --json | jq -r '.remotes[0].last_recovery.verified')

step "the story in numbers (items)"
printf '%-9s %14s %8s %18s %16s %15s\n' kind "handset before" vault "server after wipe" "handset after" "server after"
ok=1
for spec in $SOURCES; do
  IFS=: read -r _ _ kind <<<"$spec"
  printf '%-9s %14s %8s %18s %16s %15s\n' "$kind" "${BEFORE[$kind]}" "${VAULT[$kind]}" "${WIPED[$kind]}" \
    "${AFTER_HANDSET[$kind]}" "${AFTER_SERVER[$kind]}"
  [ "${BEFORE[$kind]}" = "${VAULT[$kind]}" ] && [ "${VAULT[$kind]}" = "${AFTER_HANDSET[$kind]}" ] &&
    [ "${VAULT[$kind]}" = "${AFTER_SERVER[$kind]}" ] || ok=0
done
echo "verified by read-back: $verified"
echo "(scratch folder: $SCRATCH)"
if [ "$recover_rc" -ne 0 ] || [ "$verified" != "true" ] || [ "$ok" -ne 1 ]; then
  echo "DEMO FAILED: something did not verify" >&2
  exit 1
fi
echo "DEMO OK: nothing was lost."
