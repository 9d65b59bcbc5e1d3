#!/usr/bin/env bash
# DAV benchmark (issue 14): 2,000 vCards and 2,000 events (one item a file in
# a vdir, made here, seed 2009) to a fresh Radicale and a fresh Xandikos on
# 127.0.0.1, side by side in one run, each side against its own fresh server:
#   holdfast   capture into a vault, `remote add --type dav`, `push`; after a
#              wipe (server stopped, storage deleted, started): `check`, then
#              `recover` (re-upload and read-back of every item)
#   vdirsyncer 0.19 (Debian): a filesystem storage on a copy of the same vdir
#              and a carddav/caldav storage on the server; `discover` (timed
#              apart) and `sync`; after the wipe, what it says and what it
#              takes to put the data back
#   curl       the same PUTs (If-None-Match: *, the same bodies, no Expect)
#              from one generated config file per collection after an
#              extended MKCOL / MKCALENDAR: first push with --parallel
#              --parallel-max 4 (holdfast's transfers in flight), recovery
#              one request at a time on one connection (reused where the
#              server keeps it open)
# Each phase: wall time, items/s, peak RSS and CPU of the client (GNU time),
# CPU of the server (/proc), TCP connections opened and bytes on loopback
# (/proc/net/snmp, /proc/net/dev: the run is in a network namespace of its
# own, so no other traffic counts), the items on the server afterwards
# (PROPFIND Depth 1 of every collection), and the cost of each PUT by buckets
# of 100 per collection (Radicale's log; curl's per-transfer time when one
# at a time).
#
# Also, not sides of the comparison: the serial curl recovery again with the
# server's fsync made a no-op (eatmydata, when installed), and on Radicale
# one PUT of each whole collection.
# Time: about 35-40 minutes per server at 2,000 + 2,000 on 2 cores (the
# servers' cost per PUT; Radicale's grows with the collection); --items 500
# runs the same phases in a few minutes.
#
# usage: tools/bench/dav_bench.sh [--items N] [--servers "radicale xandikos"]
#          [--sides "holdfast vdirsyncer curl"] [--work DIR]
# Needs root (unshare -n), a built tree, radicale, xandikos, vdirsyncer, curl,
# python3, bc and /usr/bin/time. Prints a summary; the Markdown section is
# left in WORK/dav-bench.md, the raw figures in WORK/dav-bench.tsv.
set -euo pipefail
if [ "${HOLDFAST_DAV_BENCH_NETNS:-}" != 1 ]; then
  exec unshare -n env HOLDFAST_DAV_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

N=2000
SERVERS="radicale xandikos"
SIDES="holdfast vdirsyncer curl"
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --items) N=$2; shift 2 ;;
    --servers) SERVERS=$2; shift 2 ;;
    --sides) SIDES=$2; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
set -- "${pass[@]+"${pass[@]}"}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$ROOT/tools/dav/servers.sh"
for t in radicale xandikos vdirsyncer curl python3; do command -v "$t" >/dev/null || { echo "needs $t" >&2; exit 2; }; done
ITEMS=$((2 * N))
INFLIGHT=4  # HttpOptions::max_in_flight: holdfast's transfers at once

# Radicale logs each request with its time at level info (the tests' template
# says warning; everything else is the same).
mkdir -p "$WORK/dav-templates"
cp "$DAV_TEMPLATES"/*.in "$WORK/dav-templates/"
sed -i 's/^level = warning/level = info/' "$WORK/dav-templates/radicale.conf.in"
DAV_TEMPLATES="$WORK/dav-templates"

DATA="$WORK/dav-data-$N"
if [ ! -f "$DATA.done" ]; then
  rm -rf "$DATA"
  echo "generating $N vCards and $N events in $DATA" >&2
  python3 - "$DATA" "$N" "$N" <<'PY'
import base64, hashlib, os, random, sys
out, n_cards, n_events = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(2009)
FIRST = "Anna Ben Chloe David Elif Farid Greta Hugo Ines Jonas Kemal Lena Marek Nora Oskar Priya Quentin Rosa Sven Tomas Ulla Viktor Wanda Yusuf Zoe".split()
LAST = "Andersen Bauer Costa Dubois Eriksen Fischer Garcia Hansen Ivanova Jensen Kowalski Larsen Moreau Nakamura Olsen Petrov Quist Rossi Schmidt Tanaka Ueda Vogel Weber Yilmaz Zimmermann".split()
WORDS = "meeting project budget review quarterly design team lunch call planning notes garden dentist school concert flight hotel station bridge river market library office coffee follow-up draft contract invoice client visit".split()
CITIES = "Oslo Bergen Lyon Porto Graz Gent Turku Aarhus Malmo Basel".split()
def fold(line):  # RFC 6350 / 5545: at most 75 octets a line, CRLF + space
    parts, cur = [], b""
    for ch in line:
        c = ch.encode()
        if len(cur) + len(c) > (75 if not parts else 74):
            parts.append(cur); cur = b""
        cur += c
    parts.append(cur)
    return "\r\n ".join(p.decode() for p in parts) + "\r\n"
def text(k): return " ".join(rnd.choice(WORDS) for _ in range(k))
def esc(s): return s.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
os.makedirs(f"{out}/contacts/book")
os.makedirs(f"{out}/calendar/events")
for i in range(n_cards):
    fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
    uid = f"card-{i:05d}-{hashlib.sha256(str(i).encode()).hexdigest()[:12]}"
    L = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{fn} {ln}", f"N:{ln};{fn};;;"]
    for t in rnd.sample(["CELL", "HOME", "WORK"], rnd.randint(1, 3)):
        L.append(f"TEL;TYPE={t}:+47 {rnd.randint(100,999)} {rnd.randint(10,99)} {rnd.randint(100,999)}")
    for _ in range(rnd.randint(0, 2)):
        L.append(f"EMAIL;TYPE=INTERNET:{fn.lower()}.{ln.lower()}{rnd.randint(1,99)}@example.org")
    if rnd.random() < 0.6:
        L.append(f"ADR;TYPE=HOME:;;{rnd.randint(1,200)} {rnd.choice(WORDS).title()} Street;{rnd.choice(CITIES)};;{rnd.randint(1000,9999)};Norway")
    if rnd.random() < 0.5: L.append(f"ORG:{rnd.choice(LAST)} {rnd.choice(['AS','GmbH','Ltd','SA'])}")
    if rnd.random() < 0.3: L.append(f"TITLE:{text(2).title()}")
    if rnd.random() < 0.4: L.append(f"BDAY:{rnd.randint(1940,2015)}-{rnd.randint(1,12):02d}-{rnd.randint(1,28):02d}")
    if rnd.random() < 0.35: L.append("NOTE:" + esc(text(rnd.randint(10, 120))))  # long: folded
    if rnd.random() < 0.03:  # a photo of 3-24 KiB
        L.append("PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(rnd.randbytes(rnd.randint(3, 24) * 1024)).decode())
    L.append("END:VCARD")
    with open(f"{out}/contacts/book/{uid}.vcf", "w", newline="") as f:
        f.write("".join(fold(l) for l in L))
TZ = ["BEGIN:VTIMEZONE", "TZID:Europe/Oslo", "BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
      "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:19700329T020000",
      "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "END:DAYLIGHT", "END:VTIMEZONE"]
for i in range(n_events):
    uid = f"event-{i:05d}-{hashlib.sha256(str(-i).encode()).hexdigest()[:12]}"
    y, m, d, h = rnd.randint(2019, 2027), rnd.randint(1, 12), rnd.randint(1, 27), rnd.randint(7, 19)
    tz = rnd.random() < 0.5
    L = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//holdfast bench//EN"] + (TZ if tz else [])
    L += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{y}{m:02d}{d:02d}T080000Z"]
    if rnd.random() < 0.15:
        L += [f"DTSTART;VALUE=DATE:{y}{m:02d}{d:02d}", f"DTEND;VALUE=DATE:{y}{m:02d}{d+1:02d}"]
    elif tz:
        L += [f"DTSTART;TZID=Europe/Oslo:{y}{m:02d}{d:02d}T{h:02d}0000", f"DTEND;TZID=Europe/Oslo:{y}{m:02d}{d:02d}T{h+1:02d}3000"]
    else:
        L += [f"DTSTART:{y}{m:02d}{d:02d}T{h:02d}0000Z", f"DTEND:{y}{m:02d}{d:02d}T{h+1:02d}0000Z"]
    L.append("SUMMARY:" + esc(text(rnd.randint(1, 6)).capitalize()))
    if rnd.random() < 0.5: L.append(f"LOCATION:{rnd.choice(CITIES)}\\, {rnd.choice(WORDS)} room {rnd.randint(1,40)}")
    if rnd.random() < 0.4: L.append("DESCRIPTION:" + esc(text(rnd.randint(8, 150))))
    if rnd.random() < 0.2: L.append(rnd.choice(["RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "RRULE:FREQ=MONTHLY;COUNT=12", "RRULE:FREQ=YEARLY"]))
    if rnd.random() < 0.3:
        L.append(f"ORGANIZER;CN={rnd.choice(FIRST)}:mailto:{rnd.choice(FIRST).lower()}@example.org")
        for _ in range(rnd.randint(1, 6)):
            a = rnd.choice(FIRST)
            L.append(f"ATTENDEE;CN={a} {rnd.choice(LAST)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a.lower()}@example.org")
    if rnd.random() < 0.3:
        L += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", f"TRIGGER:-PT{rnd.choice([5,10,15,30,60])}M", "END:VALARM"]
    L += ["END:VEVENT", "END:VCALENDAR"]
    with open(f"{out}/calendar/events/{uid}.ics", "w", newline="") as f:
        f.write("".join(fold(l) for l in L))
PY
  touch "$DATA.done"
fi
BYTES=$(cat "$DATA"/contacts/book/* "$DATA"/calendar/events/* | wc -c)

# Items on the server: PROPFIND Depth 1 of every collection under the given
# homes (two levels), non-collection members answered 200. Prints the count;
# any answer other than 207 (or 404 for a home that is gone) is an error.
cat >"$WORK/dav_count.py" <<'PY'
import base64, sys, urllib.error, urllib.request, xml.etree.ElementTree as ET
base, user, password, homes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
D = "{DAV:}"
def propfind(path):
    req = urllib.request.Request(base + path, method="PROPFIND", headers={"Depth": "1", "Content-Type": "application/xml"},
        data=b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/><getetag/></prop></propfind>')
    if user: req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            if r.status != 207: raise SystemExit(f"PROPFIND {path}: HTTP {r.status}")
            return ET.fromstring(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 404: return None
        raise SystemExit(f"PROPFIND {path}: HTTP {e.code}")
def members(path):
    tree = propfind(path)
    if tree is None: return
    for resp in tree.iter(D + "response"):
        href = urllib.request.unquote(resp.find(D + "href").text)
        if href.rstrip("/") == urllib.request.unquote(path).rstrip("/"): continue
        ok = any(ps.find(D + "status").text.split()[1] == "200" for ps in resp.iter(D + "propstat"))
        is_coll = resp.find(f".//{D}resourcetype/{D}collection") is not None
        if ok: yield href, is_coll
count = 0
for home in homes:
    for href, is_coll in members(home):
        if is_coll:
            count += sum(1 for _, c in members(href) if not c)
        else:
            count += 1
print(count)
PY

# Radicale's log: the PUTs of one phase (lines after $2), by buckets of 100
# per collection: "collection (n PUTs): server ms/wall ms ...", server ms
# the mean time Radicale logs for a PUT (with requests in parallel it holds
# the wait for its storage lock), wall ms the span of the bucket's log
# stamps (1 s resolution) divided by 100.
put_buckets() {
  tail -n +"$(($2 + 1))" "$1" |
    sed -n "s/^\[[0-9-]* \([0-9:]*\) .*PUT response status for '\([^']*\)\/[^/']*' in \([0-9.]*\) seconds.*/\2 \1 \3/p" |
    awk '{split($2, h, ":"); ts = h[1] * 3600 + h[2] * 60 + h[3]; c = $1
          if (n[c] % 100 == 0) first[c] = ts
          n[c]++; t[c] += $3
          if (n[c] % 100 == 0) {b[c] = b[c] sprintf(" %.0f/%.0f", t[c] * 10, (ts - first[c]) * 10); t[c] = 0}}
         END {for (c in n) {k = c; sub(/.*\//, "", k); printf "%s (%d PUTs):%s\n", k, n[c], b[c]}}'
}
# curl's per-transfer times (one request at a time): ms by buckets of 100.
curl_buckets() {
  awk '$1 == "PUT" {n++; t+=$3} n && n%100==0 && $1 == "PUT" {b=b sprintf(" %.0f", t*10); t=0} END {printf "%d PUTs:%s\n", n, b}' "$1"
}

snmp() { awk '/^Tcp: [0-9]/ {print $6}' /proc/net/snmp; }        # ActiveOpens
lo_bytes() { awk '/^ *lo:/ {print $2}' /proc/net/dev; }             # every byte crosses lo once
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # all cores, not idle or iowait
HZ=$(getconf CLK_TCK)

RESULTS="$WORK/dav-bench.tsv"
printf 'server\tside\tphase\twall_s\titems\trc\trss_kib\tclient_cpu_s\tserver_cpu_s\tconnections\tlo_bytes\tupload_bytes\tother_cpu_s\tserver_items\n' >"$RESULTS"
BUCKETS="$WORK/dav-bench-buckets.txt"
: >"$BUCKETS"
NOTES="$WORK/dav-bench-notes.txt"
: >"$NOTES"

# measure SERVER SIDE PHASE CMD...: runs CMD under GNU time; appends a row
# (its server_items column is filled by count_after). Sets RC.
measure() {
  local server=$1 side=$2 phase=$3; shift 3
  local out="$WORK/out.$server.$side.$phase"
  local c0 b0 s0 t0 t1 c1 b1 s1 k0 k1
  c0=$(snmp); b0=$(lo_bytes); s0=$(cpu_ticks "$PID"); k0=$(busy_ticks); LOG0=$(wc -l <"$SDIR/server.log")
  sync
  t0=$(now)
  RC=0
  /usr/bin/time -v -o "$out.time" "$@" >"$out" 2>"$out.err" || RC=$?
  t1=$(now)
  c1=$(snmp); b1=$(lo_bytes); s1=$(cpu_ticks "$PID"); k1=$(busy_ticks)
  local rss cpu up=""
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out.time")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$out.time")
  [ -f "$out.upload" ] && up=$(awk '{s+=$4} END {print s}' "$out.upload")
  # Other CPU: what the rest of the machine (other processes) used meanwhile.
  ROW=$(printf '%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t%.2f' "$server" "$side" "$phase" "$(echo "$t1 - $t0" | bc)" \
    "$ITEMS" "$RC" "$rss" "$cpu" "$(echo "($s1 - $s0) / $HZ" | bc -l)" "$((c1 - c0))" "$((b1 - b0))" "$up" \
    "$(echo "($k1 - $k0 - $s1 + $s0) / $HZ - $cpu" | bc -l)")
  echo "  $side $phase: rc $RC, $(echo "$t1 - $t0" | bc | cut -c1-6) s" >&2
}
# count_after: PROPFIND the server, finish the row, and keep the PUT buckets.
count_after() {
  local n
  n=$(python3 "$WORK/dav_count.py" "$BASE" "$USER_NAME" "$PASSWORD" "${HOMES[@]}") || n="error"
  printf '%s\t%s\n' "$ROW" "$n" >>"$RESULTS"
  if [ "$KIND" = radicale ]; then
    put_buckets "$SDIR/server.log" "$LOG0" | sed "s/^/$KIND $1: /" >>"$BUCKETS"
  fi
}

# A fresh server of KIND in SDIR (sets PORT, PID, BASE, HOMES, the names).
fresh_server() {
  KIND=$1
  SDIR="$WORK/dav-$KIND"
  [ -f "$SDIR/leader.pid" ] && stop_server "$SDIR"
  rm -rf "$SDIR"; mkdir -p "$SDIR"
  start_server "$KIND" "$SDIR"
  BASE="http://127.0.0.1:$PORT"
  case $KIND in
    radicale)
      USER_NAME=$DAV_USER; PASSWORD=$DAV_PASSWORD; URL="$BASE/$DAV_USER/"; HOMES=("/$DAV_USER/")
      BOOK_HOME="/$DAV_USER/"; CAL_HOME="/$DAV_USER/" ;;
    xandikos)
      USER_NAME=""; PASSWORD=""; URL="$BASE/user/"; HOMES=(/user/contacts/ /user/calendars/)
      BOOK_HOME=/user/contacts/; CAL_HOME=/user/calendars/ ;;
  esac
}
# The wipe: server stopped, its storage deleted, started again (same port).
wipe() {
  stop_server "$SDIR"
  rm -rf "$SDIR/storage"
  start_server "$KIND" "$SDIR"
}
trap '[ -n "${SDIR:-}" ] && stop_server "$SDIR"' EXIT

# The holdfast vault: the vdir captured once per work folder.
HVAULT="$WORK/dav-vault-$N.db"
HCONFIG="$WORK/dav-config-$N.json"
if [ ! -f "$HVAULT.done" ]; then
  rm -f "$HVAULT" "$HVAULT"-* "$HCONFIG"
  "$HF" --vault "$HVAULT" init >/dev/null
  "$HF" --config "$HCONFIG" source add --kind contacts "$DATA/contacts/book" --name contacts >/dev/null
  "$HF" --config "$HCONFIG" source add --kind calendar "$DATA/calendar/events" --name calendar >/dev/null
  "$HF" --vault "$HVAULT" --config "$HCONFIG" capture >/dev/null
  touch "$HVAULT.done"
fi

run_holdfast() {
  echo "$KIND: holdfast" >&2
  fresh_server "$KIND"
  local cfg="$WORK/dav-config-run.json"
  cp "$HCONFIG" "$cfg"
  local add=(remote add "bench-$KIND-$(date +%s%N)" --type dav --url "$URL")
  if [ -n "$USER_NAME" ]; then
    printf '%s\n' "$PASSWORD" >"$WORK/dav-password"; chmod 600 "$WORK/dav-password"
    add+=(--user "$USER_NAME" --password-file "$WORK/dav-password")
  fi
  "$HF" --config "$cfg" "${add[@]}" >/dev/null
  measure "$KIND" holdfast push "$HF" --vault "$HVAULT" --config "$cfg" push; count_after "holdfast push"
  wipe
  measure "$KIND" holdfast check "$HF" --vault "$HVAULT" --config "$cfg" check; count_after "holdfast check"
  grep -m3 -i "lost\|gone" "$WORK/out.$KIND.holdfast.check" | sed "s/^/$KIND holdfast check after the wipe: /" >>"$NOTES" || true
  measure "$KIND" holdfast recover "$HF" --vault "$HVAULT" --config "$cfg" recover; count_after "holdfast recover"
  grep -m2 "VERIFIED" "$WORK/out.$KIND.holdfast.recover" | sed "s/^/$KIND holdfast recover: /" >>"$NOTES" || true
  stop_server "$SDIR"; cp "$SDIR/server.log" "$WORK/server.$KIND.holdfast.log"
}

run_vdirsyncer() {
  echo "$KIND: vdirsyncer" >&2
  fresh_server "$KIND"
  local v="$WORK/vds-$KIND"
  rm -rf "$v"; mkdir -p "$v"
  cp -a "$DATA" "$v/vdir"   # it may write to its local side: a copy
  local auth=""
  [ -n "$USER_NAME" ] && auth=$(printf 'username = "%s"\npassword = "%s"' "$USER_NAME" "$PASSWORD")
  cat >"$v/config" <<CFG
[general]
status_path = "$v/status/"

[pair contacts]
a = "contacts_local"
b = "contacts_remote"
collections = ["from a"]

[storage contacts_local]
type = "filesystem"
path = "$v/vdir/contacts/"
fileext = ".vcf"

[storage contacts_remote]
type = "carddav"
url = "$URL"
$auth

[pair calendar]
a = "calendar_local"
b = "calendar_remote"
collections = ["from a"]

[storage calendar_local]
type = "filesystem"
path = "$v/vdir/calendar/"
fileext = ".ics"

[storage calendar_remote]
type = "caldav"
url = "$URL"
$auth
CFG
  local vds=(vdirsyncer -c "$v/config")
  measure "$KIND" vdirsyncer discover bash -c 'yes | "$@"' - "${vds[@]}" discover; count_after "vdirsyncer discover"
  measure "$KIND" vdirsyncer sync "${vds[@]}" sync; count_after "vdirsyncer sync"
  wipe
  # What it does after the wipe, step by step, as a user would go on.
  measure "$KIND" vdirsyncer sync-after-wipe "${vds[@]}" sync; count_after "vdirsyncer sync-after-wipe"
  grep -m3 -i "error\|critical" "$WORK/out.$KIND.vdirsyncer.sync-after-wipe.err" |
    sed "s/^/$KIND vdirsyncer sync after the wipe (rc $RC): /" >>"$NOTES" || true
  measure "$KIND" vdirsyncer rediscover bash -c 'yes | "$@"' - "${vds[@]}" discover; count_after "vdirsyncer rediscover"
  measure "$KIND" vdirsyncer sync-again "${vds[@]}" sync; count_after "vdirsyncer sync-again"
  grep -m3 -i "error\|critical" "$WORK/out.$KIND.vdirsyncer.sync-again.err" |
    sed "s/^/$KIND vdirsyncer sync after discover again (rc $RC): /" >>"$NOTES" || true
  # Putting the data back: forget the sync status (as its message says), then
  # discover and a first sync again.
  rm -rf "$v/status"
  measure "$KIND" vdirsyncer discover-fresh-status bash -c 'yes | "$@"' - "${vds[@]}" discover; count_after "vdirsyncer discover-fresh-status"
  measure "$KIND" vdirsyncer sync-fresh-status "${vds[@]}" sync; count_after "vdirsyncer sync-fresh-status"
  local left
  left=$(find "$v/vdir" -type f \( -name '*.vcf' -o -name '*.ics' \) | wc -l)
  echo "$KIND vdirsyncer: its local copy of the vdir holds $left of $ITEMS items at the end" >>"$NOTES"
  stop_server "$SDIR"; cp "$SDIR/server.log" "$WORK/server.$KIND.vdirsyncer.log"
}

# The curl configs of one collection: the same PUTs holdfast sends.
curl_config() {  # FILE COLLECTION_URL DIR EXT CONTENT_TYPE
  {
    [ -n "$USER_NAME" ] && printf 'user = "%s:%s"\n' "$USER_NAME" "$PASSWORD"
    printf 'header = "If-None-Match: *"\nheader = "Content-Type: %s"\nheader = "Expect:"\n' "$5"
    printf 'output = "/dev/null"\n'
    printf 'write-out = "PUT %%{http_code} %%{time_total} %%{size_upload} %%{num_connects}\\n"\n'
    for f in "$3"/*"$4"; do
      printf 'url = "%s%s"\nupload-file = "%s"\n' "$2" "$(basename "$f")" "$f"
    done
  } >"$1"
}
run_curl() {
  echo "$KIND: curl" >&2
  fresh_server "$KIND"
  local c="$WORK/curl-$KIND" auth=()
  rm -rf "$c"; mkdir -p "$c"
  [ -n "$USER_NAME" ] && auth=(-u "$USER_NAME:$PASSWORD")
  local book="$BASE${BOOK_HOME}bench-contacts/" cal="$BASE${CAL_HOME}bench-events/"
  curl_config "$c/contacts.curl" "$book" "$DATA/contacts/book" .vcf "text/vcard; charset=utf-8"
  curl_config "$c/events.curl" "$cal" "$DATA/calendar/events" .ics "text/calendar; charset=utf-8"
  cat >"$c/run.sh" <<SH
set -e
mode=\$1; out=\$2
curl -sS --fail ${auth[*]:-} -X MKCOL -H 'Content-Type: application/xml; charset=utf-8' -o /dev/null \
  --data '<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>contacts</D:displayname></D:prop></D:set></D:mkcol>' '$book'
curl -sS --fail ${auth[*]:-} -X MKCALENDAR -H 'Content-Type: application/xml; charset=utf-8' -o /dev/null \
  --data '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>events</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>' '$cal'
if [ "\$mode" = parallel ]; then par=(--parallel --parallel-max $INFLIGHT); else par=(); fi
curl -sS "\${par[@]}" -K '$c/contacts.curl' >\$out
curl -sS "\${par[@]}" -K '$c/events.curl' >>\$out
SH
  measure "$KIND" curl push bash "$c/run.sh" parallel "$WORK/out.$KIND.curl.push.upload"; count_after "curl push (--parallel-max $INFLIGHT)"
  wipe
  measure "$KIND" curl recover bash "$c/run.sh" serial "$WORK/out.$KIND.curl.recover.upload"; count_after "curl recover (one at a time)"
  for p in push recover; do
    local u="$WORK/out.$KIND.curl.$p.upload"
    awk -v k="$KIND" -v p="$p" '{s[$2]++; c+=$5} END {printf "%s curl %s: statuses", k, p; for (x in s) printf " %s x%d", x, s[x]; printf ", connections opened (num_connects) %d\n", c}' "$u" >>"$NOTES"
  done
  curl_buckets "$WORK/out.$KIND.curl.recover.upload" | sed "s/^/$KIND curl recover, client-side ms per 100 PUTs, contacts then events: /" >>"$BUCKETS"
  # Where the time goes (not a side of the comparison): the same serial
  # recovery with the server's fsync calls made no-ops (eatmydata), and on
  # Radicale one PUT of each whole collection (its collection upload).
  if command -v eatmydata >/dev/null; then
    mkdir -p "$WORK/shim"
    printf '#!/bin/sh\nexec eatmydata %s "$@"\n' "$(command -v "$KIND")" >"$WORK/shim/$KIND"
    chmod +x "$WORK/shim/$KIND"
    stop_server "$SDIR"; rm -rf "$SDIR/storage"
    PATH="$WORK/shim:$PATH" start_server "$KIND" "$SDIR"
    measure "$KIND" curl recover-no-fsync bash "$c/run.sh" serial "$WORK/out.$KIND.curl.recover-no-fsync.upload"
    count_after "curl recover-no-fsync (one at a time, server under eatmydata)"
    curl_buckets "$WORK/out.$KIND.curl.recover-no-fsync.upload" |
      sed "s/^/$KIND curl recover under eatmydata, client-side ms per 100 PUTs, contacts then events: /" >>"$BUCKETS"
  fi
  if [ "$KIND" = radicale ]; then
    mkdir -p "$c/whole"
    python3 - "$DATA" "$c/whole" <<'PY'
import glob, sys
data, out = sys.argv[1], sys.argv[2]
with open(f"{out}/contacts.vcf", "w", newline="") as f:
    for p in sorted(glob.glob(f"{data}/contacts/book/*.vcf")): f.write(open(p, newline="").read())
tz, events = None, []
for p in sorted(glob.glob(f"{data}/calendar/events/*.ics")):
    block, cur = None, []
    for l in open(p, newline="").read().split("\r\n"):
        if l in ("BEGIN:VTIMEZONE", "BEGIN:VEVENT"): block, cur = l[6:], []
        if block: cur.append(l)
        if block and l == "END:" + block:
            if block == "VEVENT": events.append("\r\n".join(cur))
            elif tz is None: tz = "\r\n".join(cur)
            block = None
with open(f"{out}/events.ics", "w", newline="") as f:
    f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//holdfast bench//EN\r\n" + (tz + "\r\n" if tz else "") +
            "\r\n".join(events) + "\r\nEND:VCALENDAR\r\n")
PY
    wipe
    cat >"$c/whole.sh" <<SH
set -e
curl -sS --fail ${auth[*]:-} -X PROPFIND -H 'Depth: 0' -o /dev/null '$BASE$BOOK_HOME'
curl -sS --fail ${auth[*]:-} -X PUT -H 'Content-Type: text/vcard; charset=utf-8' -H 'Expect:' --data-binary @'$c/whole/contacts.vcf' -o /dev/null -w 'WHOLE %{http_code} %{time_total} %{size_upload} %{num_connects}\n' '$book'
curl -sS --fail ${auth[*]:-} -X PUT -H 'Content-Type: text/calendar; charset=utf-8' -H 'Expect:' --data-binary @'$c/whole/events.ics' -o /dev/null -w 'WHOLE %{http_code} %{time_total} %{size_upload} %{num_connects}\n' '$cal'
SH
    measure "$KIND" curl recover-whole-collection bash "$c/whole.sh"
    count_after "curl recover-whole-collection (two PUTs)"
    sed "s/^/$KIND curl recover-whole-collection: /" "$WORK/out.$KIND.curl.recover-whole-collection" >>"$NOTES"
  fi
  stop_server "$SDIR"; cp "$SDIR/server.log" "$WORK/server.$KIND.curl.log"
}

for KIND in $SERVERS; do
  for SIDE in $SIDES; do "run_$SIDE"; done
done

python3 - "$RESULTS" "$BYTES" >"$WORK/dav-bench.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
nbytes = int(sys.argv[2])
def get(server, side, phase):
    for r in rows:
        if (r["server"], r["side"], r["phase"]) == (server, side, phase): return r
def up(r): return f"{int(r['upload_bytes']):,}" if r["upload_bytes"] else ""
print("| server | side | phase | wall s | items/s | exit | peak RSS MiB | client CPU s | server CPU s | other CPU s | TCP connections | bytes on lo | curl size_upload | items on server |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    w = float(r["wall_s"])
    print(f"| {r['server']} | {r['side']} | {r['phase']} | {w:.2f} | {int(r['items'])/w:.1f} | {r['rc']} | {int(r['rss_kib'])/1024:.1f} | {r['client_cpu_s']} | {r['server_cpu_s']} | {r.get('other_cpu_s') or ''} | {r['connections']} | {int(r['lo_bytes']):,} | {up(r)} | {r['server_items']} |")
print()
print(f"Content: {nbytes:,} bytes.")
print()
print("| server | measure | holdfast s | vdirsyncer s | curl s | holdfast / vdirsyncer throughput (target >= 2) | holdfast / curl throughput (target >= 0.9) | holdfast peak RSS MiB (target <= 64) |")
print("|---|---|---|---|---|---|---|---|")
for server in sorted({r["server"] for r in rows}):
    def w(side, *phases):
        rs = [get(server, side, p) for p in phases]
        return sum(float(r["wall_s"]) for r in rs) if all(rs) else None
    for label, hf, vd, cu, rssp in [
        ("first push", w("holdfast", "push"), w("vdirsyncer", "sync"), w("curl", "push"), ["push"]),
        ("recovery after the wipe", w("holdfast", "check", "recover"),
         w("vdirsyncer", "sync-after-wipe", "rediscover", "sync-again", "discover-fresh-status", "sync-fresh-status"), w("curl", "recover"), ["check", "recover"])]:
        rss = max(int(get(server, "holdfast", p)["rss_kib"]) for p in rssp if get(server, "holdfast", p)) / 1024
        f = lambda x: f"{x:.2f}" if x else "-"
        print(f"| {server} | {label} | {f(hf)} | {f(vd)} | {f(cu)} | {f(vd / hf if hf and vd else None)} | {f(cu / hf if hf and cu else None)} | {rss:.1f} |")
PY
echo >&2
cat "$WORK/dav-bench.md"
echo
echo "Cost per PUT, ms, by buckets of 100 (Radicale: its own log, per collection; curl: per transfer):"
cat "$BUCKETS"
echo
cat "$NOTES"
