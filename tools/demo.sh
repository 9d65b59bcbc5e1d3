#!/usr/bin/env bash
# The agent's main job, end to end, on this machine (loopback only):
#   a handset is captured and pushed to a real holdfast-server; then the
#   incident: the server is wiped and the handset reset. Holdfast refuses to
#   record the handset's loss, restores the handset from the vault, detects
#   the server's loss, re-uploads with progress and verifies by read-back.
# Ends with a table per kind; exits non-zero if anything does not verify.
#
# With --server radicale, the same agent against a standard CalDAV/CardDAV
# server instead: a real Radicale on 127.0.0.1 in the scratch folder; the
# handset's contacts, calendars, tasks and notes are captured and pushed, the
# server's storage is wiped while it is stopped, check says lost, recover
# verifies by read-back, and an export shows what the vault holds.
#
# usage: tools/demo.sh [--profile small|large] [--server holdfast|radicale] [--build DIR]
#        (tools/dev.sh demo runs it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
PROFILE=small
SERVER_KIND=holdfast
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --server) SERVER_KIND=$2; shift 2 ;;
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

# ---- --server radicale: the story against a real Radicale (docs/dav.md).
RADICALE_PID=""
radicale_start() {
  radicale --config "$SCRATCH/radicale/config" > "$SCRATCH/radicale/log" 2>&1 &
  RADICALE_PID=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
    kill -0 "$RADICALE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "DEMO FAILED: radicale did not start:" >&2
  cat "$SCRATCH/radicale/log" >&2
  exit 1
}
radicale_stop() {
  [ -n "$RADICALE_PID" ] || return 0
  kill "$RADICALE_PID" 2>/dev/null || true
  wait "$RADICALE_PID" 2>/dev/null || true
  RADICALE_PID=""
}
# Items on the server per kind: the members of its holdfast-KIND-* collections,
# listed by PROPFIND with curl (not the agent's code).
dav_count() {
  local auth="phone:$(cat "$SCRATCH/password")" n=0 c
  for c in $(curl -s -u "$auth" -X PROPFIND -H 'Depth: 1' "http://127.0.0.1:$PORT/phone/" |
               grep -o "/phone/holdfast-$1-[0-9a-f]*/" | sort -u); do
    n=$((n + $(curl -s -u "$auth" -X PROPFIND -H 'Depth: 1' "http://127.0.0.1:$PORT$c" |
                  grep -o "href>[^<]*<" | sort -u | grep -c "^href>$c[^<]" || true)))
  done
  echo "$n"
}
run_radicale() {
  command -v radicale >/dev/null || { echo "radicale is not installed (apt-get install radicale)" >&2; exit 1; }
  local sources="contacts:contacts:contact calendar:calendars:event tasks:tasks:task notes:notes:note"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$SCRATCH/radicale"
  head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$SCRATCH/password"
  chmod 600 "$SCRATCH/password"
  echo "phone:$(cat "$SCRATCH/password")" > "$SCRATCH/radicale/users"
  cat > "$SCRATCH/radicale/config" <<CONF
[server]
hosts = 127.0.0.1:$PORT
[auth]
type = htpasswd
htpasswd_filename = $SCRATCH/radicale/users
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = $SCRATCH/radicale/storage
[web]
type = none
CONF
  step "starting Radicale on 127.0.0.1:$PORT (storage in $SCRATCH/radicale/storage)"
  radicale_start
  trap 'radicale_stop; cleanup' EXIT

  step "generating the '$PROFILE' handset in $HANDSET"
  "$GEN" --profile "$PROFILE" --seed 1 --out "$HANDSET"
  "$HF" init
  for spec in $sources; do
    IFS=: read -r kind folder _ <<<"$spec"
    "$HF" source add --kind "$kind" "$HANDSET/$folder" --name "$folder" >/dev/null
  done
  "$HF" remote add radicale --type dav --url "http://127.0.0.1:$PORT/phone/" --user phone \
    --password-file "$SCRATCH/password"

  step "holdfast capture"
  "$HF" capture
  step "holdfast push (CardDAV and CalDAV: discovery, MKCOL/MKCALENDAR, PUT with If-None-Match)"
  set +e
  "$HF" push > "$SCRATCH/push.out"
  push_rc=$?
  set -e
  grep -v '^  REFUSED' "$SCRATCH/push.out" || true
  REFUSED=$("$HF" status --json | jq '.remotes[0].refused | length')
  if [ "$push_rc" -ne 0 ] && { [ "$push_rc" -ne 10 ] || [ "$REFUSED" -eq 0 ]; }; then
    echo "DEMO FAILED: push exited $push_rc" >&2
    exit 1
  fi
  if [ "$REFUSED" -gt 0 ]; then
    # Radicale cannot parse some real-world vCards (docs/dav.md): kept in the
    # vault, listed by status, sent again at each push.
    echo "Radicale refused $REFUSED items (push exited $push_rc); holdfast status lists them, e.g.:"
    "$HF" status | grep -A3 'REFUSED by the server'
  fi
  for spec in $sources; do IFS=: read -r _ _ kind <<<"$spec"; VAULT[$kind]=$(vault_count "$kind"); BEFORE[$kind]=$(dav_count "$kind"); done

  step "THE INCIDENT: Radicale is stopped, its storage deleted, and started again"
  radicale_stop
  rm -rf "$SCRATCH/radicale/storage"
  radicale_start
  for spec in $sources; do IFS=: read -r _ _ kind <<<"$spec"; WIPED[$kind]=$(dav_count "$kind"); done

  step "holdfast check: the server's loss is detected"
  set +e
  "$HF" check
  check_rc=$?
  set -e
  [ "$check_rc" -eq 9 ] || { echo "DEMO FAILED: the loss was not detected (check exited $check_rc)" >&2; exit 1; }

  step "holdfast recover: re-upload, then every item read back and compared"
  set +e
  "$HF" recover
  recover_rc=$?
  set -e
  for spec in $sources; do IFS=: read -r _ _ kind <<<"$spec"; AFTER_SERVER[$kind]=$(dav_count "$kind"); done
  verified=$("$HF" status --json | jq -r '.remotes[0].last_recovery.verified')
  differing=$("$HF" status --json | jq -r '.remotes[0].last_recovery.differing_at_end')
  REFUSED=$("$HF" status --json | jq '.remotes[0].refused | length')
  if [ "$REFUSED" -gt 0 ]; then
    # What Radicale refuses (400) or keeps only rewritten (the read-back finds
    # another version: 412 on the re-send) cannot verify; each is named.
    echo "Radicale cannot keep $REFUSED items as sent; holdfast status names each with the server's answer:"
    "$HF" status | grep -A4 'REFUSED by the server'
  fi

  step "holdfast export --format vdir: what the vault holds, as files"
  "$HF" export --format vdir --to "$SCRATCH/export"
  find "$SCRATCH/export" -type f | wc -l | xargs echo "files exported:"

  step "the story in numbers (items)"
  printf '%-9s %8s %18s %18s %15s\n' kind vault "server after push" "server after wipe" "server after"
  ok=1
  for spec in $sources; do
    IFS=: read -r _ _ kind <<<"$spec"
    printf '%-9s %8s %18s %18s %15s\n' "$kind" "${VAULT[$kind]}" "${BEFORE[$kind]}" "${WIPED[$kind]}" \
      "${AFTER_SERVER[$kind]}"
    [ "${WIPED[$kind]}" = 0 ] && [ "${BEFORE[$kind]}" = "${AFTER_SERVER[$kind]}" ] || ok=0
  done
  echo "verified by read-back: $verified ($differing items differ, $REFUSED named as refused by Radicale)"
  echo "(scratch folder: $SCRATCH)"
  # Verified, or every item that did not verify is one the server refused
  # and status names: nothing is silently lost.
  if [ "$ok" -ne 1 ] || { [ "$verified" != "true" ] && [ "$differing" != "$REFUSED" ]; } ||
     { [ "$recover_rc" -ne 0 ] && [ "$recover_rc" -ne 10 ]; }; then
    echo "DEMO FAILED: something did not verify" >&2
    exit 1
  fi
  if [ "$verified" = "true" ]; then
    echo "DEMO OK: nothing was lost."
  else
    echo "DEMO OK: everything Radicale can keep is back and verified; the $REFUSED items it cannot keep stay in"
    echo "the vault and are named by holdfast status (try tools/demo.sh for the Holdfast server)."
  fi
}
case "$SERVER_KIND" in
  holdfast) ;;
  radicale) run_radicale; exit 0 ;;
  *) echo "unknown server $SERVER_KIND (holdfast or radicale)" >&2; exit 2 ;;
esac

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
