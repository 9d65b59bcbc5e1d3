#!/usr/bin/env bash
# Measures what a DAV client meets on each test server (Radicale, Xandikos,
# Apache mod_dav, nginx dav + dav_ext), started from the same config templates
# as the tests' launcher (tests/support/dav/*.in). Prints a plain-text report;
# docs/dav.md summarises it. Needs the packages in tools/dev.sh (TEST_PACKAGES).
#   tools/dav/probe.sh [radicale|xandikos|apache|nginx ...]   (default: all four)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

WORK=$(mktemp -d /tmp/holdfast-dav-probe-XXXXXX)
chmod 0711 "$WORK"
trap 'for d in "$WORK"/*/; do stop_server "$d"; done; rm -rf "$WORK"' EXIT
AUTH=(-u "$DAV_USER:$DAV_PASSWORD")
CRLF() { sed 's/$/\r/'; }

# The items, with CRLF line ends, a line longer than 75 octets, escaped text
# and an inline JPEG (1x1 pixel).
JPEG_B64='/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA='
LONG_NOTE='Met at the conference\, then again in Lyon; she prefers email over phone calls and answers within a day'
CRLF >"$WORK/v3.vcf" <<EOF
BEGIN:VCARD
VERSION:3.0
UID:probe-v3-0001
FN:Ada Probe
N:Probe;Ada;;;
EMAIL;TYPE=INTERNET:ada@example.org
TEL;TYPE=CELL:+33 6 12 34 56 78
NOTE:$LONG_NOTE
PHOTO;ENCODING=b;TYPE=JPEG:$JPEG_B64
END:VCARD
EOF
CRLF >"$WORK/v4.vcf" <<EOF
BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Bea Probe
N:Probe;Bea;;;
TEL;VALUE=uri;TYPE=cell:tel:+33-6-98-76-54-32
NOTE:$LONG_NOTE
PHOTO:data:image/jpeg;base64,$JPEG_B64
END:VCARD
EOF
CRLF >"$WORK/event.ics" <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//probe//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:probe-event-0001
DTSTAMP:20240101T120000Z
DTSTART;TZID=Europe/Berlin:20240315T090000
DTEND;TZID=Europe/Berlin:20240315T100000
SUMMARY:Dentist\, then lunch
DESCRIPTION:$LONG_NOTE
END:VEVENT
END:VCALENDAR
EOF
CRLF >"$WORK/task.ics" <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//probe//EN
BEGIN:VTODO
UID:probe-task-0001
DTSTAMP:20240101T120000Z
SUMMARY:Renew passport
DUE;VALUE=DATE:20240401
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
EOF
CRLF >"$WORK/journal.ics" <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//probe//EN
BEGIN:VJOURNAL
UID:probe-journal-0001
DTSTAMP:20240101T120000Z
DTSTART;VALUE=DATE:20240101
SUMMARY:Notes
DESCRIPTION:First line\nsecond line
END:VJOURNAL
END:VCALENDAR
EOF
echo "$JPEG_B64" | base64 -d >"$WORK/photo.jpg"
head -c 300000 /dev/urandom >>"$WORK/photo.jpg"

# req METHOD URL [curl args...]: prints "METHOD path -> STATUS" and the headers
# a client cares about; the body goes to $WORK/body.
req() {
  local method=$1 url=$2
  shift 2
  local code
  code=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" "${AUTH[@]}" "$@" "$url")
  local hdrs
  hdrs=$(grep -iE '^(etag|location|content-type|connection):' "$WORK/headers" | tr -d '\r' | tr '\n' ' ')
  echo "  $method ${url#http://127.0.0.1:*/} -> $code  $hdrs"
  LAST=$code
}
body() { sed 's/^/      /' "$WORK/body" | tr -d '\r' | head -c "${1:-1200}"; echo; }
etag_of() { grep -i '^etag:' "$WORK/headers" | sed 's/^[^:]*: *//' | tr -d '\r'; }

propfind() {  # propfind URL DEPTH PROPS-XML
  req PROPFIND "$1" -H "Depth: $2" -H 'Content-Type: application/xml; charset=utf-8' \
    --data-binary "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\" xmlns:cs=\"http://calendarserver.org/ns/\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\"><d:prop>$3</d:prop></d:propfind>"
}
sync_report() {  # sync_report URL TOKEN
  req REPORT "$1" -H 'Depth: 1' -H 'Content-Type: application/xml; charset=utf-8' \
    --data-binary "<?xml version=\"1.0\"?><d:sync-collection xmlns:d=\"DAV:\"><d:sync-token>$2</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
}
token_of() { grep -o '<[^>]*sync-token>[^<]*<' "$WORK/body" | head -1 | sed 's/.*>//; s/<$//'; }
ctag_of() { grep -o '<[^>]*getctag>[^<]*<' "$WORK/body" | head -1 | sed 's/.*>//; s/<$//'; }

mkaddressbook() {
  req MKCOL "$1" -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
    '<?xml version="1.0"?><d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>Probe contacts</d:displayname></d:prop></d:set></d:mkcol>'
}
mkcalendar() {  # mkcalendar URL COMP...
  local comps=""
  for c in "${@:2}"; do comps+="<c:comp name=\"$c\"/>"; done
  req MKCALENDAR "$1" -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
    "<?xml version=\"1.0\"?><c:mkcalendar xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:set><d:prop><d:displayname>Probe ${*:2}</d:displayname><c:supported-calendar-component-set>$comps</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"
}
put_item() {  # put_item URL FILE CONTENT-TYPE [curl args]
  req PUT "$1" -H "Content-Type: $3" --data-binary "@$2" "${@:4}"
}
# Diff what was sent with what came back (line ends shown as ^M by cat -A).
roundtrip() {  # roundtrip URL FILE CONTENT-TYPE
  put_item "$1" "$2" "$3" -H 'If-None-Match: *'
  local put_etag
  put_etag=$(etag_of)
  echo "    PUT ETag: ${put_etag:-none}$( [[ $put_etag == W/* ]] && echo ' (weak)')"
  req GET "$1"
  cp "$WORK/body" "$WORK/got"
  echo "    GET ETag: $(etag_of)  CRLF lines sent/got: $(grep -c $'\r$' "$2")/$(grep -c $'\r$' "$WORK/got") of $(wc -l <"$2")/$(wc -l <"$WORK/got")"
  if cmp -s "$2" "$WORK/got"; then echo "    byte-identical"; else
    diff -u <(tr -d '\r' <"$2") <(tr -d '\r' <"$WORK/got") | tail -n +3 | sed 's/^/    | /'
  fi
}
keepalive() {
  local out
  out=$(curl -sv -o /dev/null -o /dev/null "${AUTH[@]}" "$1" "$1" 2>&1 | grep -E 'Re-using|Closing connection|left intact|Connection: close' | tr -d '\r' | tr '\n' ';')
  echo "  keep-alive (two GETs in one curl): $out"
}
preconditions() {  # preconditions URL FILE CONTENT-TYPE (URL exists already)
  req PUT "$1" -H "Content-Type: $3" --data-binary "@$2" -H 'If-None-Match: *'
  echo "    ^ If-None-Match: * on an existing item: $LAST (412 = honoured)"
  req PUT "$1" -H "Content-Type: $3" --data-binary "@$2" -H 'If-Match: "not-the-etag"'
  echo "    ^ If-Match with a wrong ETag: $LAST (412 = honoured)"
  req DELETE "$1" -H 'If-Match: "not-the-etag"'
  echo "    ^ DELETE If-Match wrong ETag: $LAST (412 = honoured)"
  req GET "$1"
  local e
  e=$(etag_of)
  req PUT "$1" -H "Content-Type: $3" --data-binary "@$2" -H "If-Match: $e"
  echo "    ^ If-Match with the current ETag: $LAST"
  req DELETE "$1" -H "If-Match: $(etag_of)"
  echo "    ^ DELETE with the current ETag: $LAST"
  req GET "$1"
  echo "    ^ GET after DELETE: $LAST"
}

probe_dav_server() {  # radicale / xandikos
  local kind=$1 d="$WORK/$1"
  mkdir -p "$d"
  start_server "$kind" "$d" || return
  local base="http://127.0.0.1:$PORT" home
  echo "== $kind ($(dpkg-query -W -f='${Version}' "$kind")) on $base"
  if [ "$kind" = radicale ]; then home=/holdfast/; else home=/user/; fi
  echo "-- discovery"
  req GET "$base/.well-known/carddav"
  req PROPFIND "$base/.well-known/caldav" -H 'Depth: 0'
  propfind "$base/" 0 '<d:current-user-principal/>'; body 600
  propfind "$base$home" 0 '<d:current-user-principal/><card:addressbook-home-set/><c:calendar-home-set/>'; body 900
  local abhome calhome
  if [ "$kind" = radicale ]; then abhome=$home calhome=$home; else abhome=${home}contacts/ calhome=${home}calendars/; fi
  echo "-- collections"
  mkaddressbook "$base${abhome}probe-ab/"; [ "$LAST" != 201 ] && body 600
  mkcalendar "$base${calhome}probe-events/" VEVENT; [ "$LAST" != 201 ] && body 600
  mkcalendar "$base${calhome}probe-tasks/" VTODO
  mkcalendar "$base${calhome}probe-journal/" VJOURNAL
  mkcalendar "$base${calhome}probe-mixed/" VEVENT VTODO
  propfind "$base${calhome}probe-mixed/" 0 '<c:supported-calendar-component-set/><d:resourcetype/>'; body 700
  echo "-- round trips (sent vs got; - sent, + got)"
  roundtrip "$base${abhome}probe-ab/v3.vcf" "$WORK/v3.vcf" 'text/vcard; charset=utf-8'
  roundtrip "$base${abhome}probe-ab/v4.vcf" "$WORK/v4.vcf" 'text/vcard; charset=utf-8'
  roundtrip "$base${calhome}probe-events/event.ics" "$WORK/event.ics" 'text/calendar; charset=utf-8'
  roundtrip "$base${calhome}probe-tasks/task.ics" "$WORK/task.ics" 'text/calendar; charset=utf-8'
  roundtrip "$base${calhome}probe-journal/journal.ics" "$WORK/journal.ics" 'text/calendar; charset=utf-8'
  echo "-- component checks"
  put_item "$base${calhome}probe-events/task.ics" "$WORK/task.ics" 'text/calendar'; echo "    ^ a VTODO into a VEVENT-only calendar"; [ "$LAST" -ge 300 ] && body 400
  put_item "$base${calhome}probe-mixed/task.ics" "$WORK/task.ics" 'text/calendar'; echo "    ^ a VTODO into the VEVENT+VTODO calendar"
  put_item "$base${calhome}probe-mixed/event.ics" "$WORK/event.ics" 'text/calendar'; echo "    ^ a VEVENT into the VEVENT+VTODO calendar"
  put_item "$base${abhome}probe-ab/other-name.vcf" "$WORK/v3.vcf" 'text/vcard'; echo "    ^ the same UID under a second name"; [ "$LAST" -ge 300 ] && body 400
  echo "-- preconditions"
  put_item "$base${abhome}probe-ab/pre.vcf" "$WORK/v4.vcf" 'text/vcard' >/dev/null
  sed 's/probe-v3-0001/probe-pre/' "$WORK/v3.vcf" >"$WORK/pre.vcf"
  req DELETE "$base${abhome}probe-ab/pre.vcf"
  put_item "$base${abhome}probe-ab/pre.vcf" "$WORK/pre.vcf" 'text/vcard'
  preconditions "$base${abhome}probe-ab/pre.vcf" "$WORK/pre.vcf" 'text/vcard'
  echo "-- inventory and sync"
  propfind "$base${abhome}probe-ab/" 1 '<d:getetag/><cs:getctag/><d:sync-token/>'; body 1500
  sync_report "$base${abhome}probe-ab/" ""; body 900
  local tok; tok=$(token_of); echo "    initial token: $tok"
  put_item "$base${abhome}probe-ab/pre.vcf" "$WORK/pre.vcf" 'text/vcard'
  sync_report "$base${abhome}probe-ab/" "$tok"; echo "    ^ with the old token after one PUT"; body 900
  sync_report "$base${abhome}probe-ab/" "http://example.invalid/ns/sync/1234"; echo "    ^ a token the server never gave"; body 600
  sync_report "$base${abhome}probe-ab/" "garbage"; echo "    ^ a malformed token"; body 600
  echo "-- plain files (a photo) in a collection and outside"
  put_item "$base${home}photo.jpg" "$WORK/photo.jpg" 'image/jpeg'; [ "$LAST" -ge 300 ] && body 300
  req MKCOL "$base${home}photos/"; [ "$LAST" -ge 300 ] && body 300
  put_item "$base${home}photos/photo.jpg" "$WORK/photo.jpg" 'image/jpeg'; [ "$LAST" -ge 300 ] && body 300
  put_item "$base${abhome}probe-ab/photo.jpg" "$WORK/photo.jpg" 'image/jpeg'; echo "    ^ a JPEG into the address book"; [ "$LAST" -ge 300 ] && body 300
  echo "-- keep-alive"
  keepalive "$base${abhome}probe-ab/v3.vcf"
  echo "-- auth"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' "$base$home"); echo "  PROPFIND without credentials -> $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' -u holdfast:wrong -X PROPFIND -H 'Depth: 0' "$base$home"); echo "  PROPFIND with a wrong password -> $code"
  stop_server "$d"
  probe_wipes "$kind" "${abhome}probe-ab/"
}

probe_webdav_folder() {  # apache / nginx
  local kind=$1 d="$WORK/$1" pkg
  mkdir -p "$d"
  start_server "$kind" "$d" || return
  local base="http://127.0.0.1:$PORT"
  pkg=$([ "$kind" = apache ] && echo apache2 || echo nginx)
  echo "== $kind ($(dpkg-query -W -f='${Version}' "$pkg")) on $base"
  echo "-- discovery"
  req GET "$base/.well-known/carddav"
  req OPTIONS "$base/dav/"; grep -iE '^(dav|allow):' "$WORK/headers" | tr -d '\r' | sed 's/^/      /'
  propfind "$base/dav/" 0 '<d:current-user-principal/><d:resourcetype/>'; body 500
  echo "-- folders and photos"
  req MKCOL "$base/dav/photos/"
  req MKCOL "$base/dav/photos/2024/"
  req MKCOL "$base/dav/photos/2024/"; echo "    ^ MKCOL on an existing folder"
  req MKCOL "$base/dav/photos/a/b/"; echo "    ^ MKCOL whose parent is missing"
  put_item "$base/dav/photos/nested/deep/x.jpg" "$WORK/photo.jpg" image/jpeg; echo "    ^ PUT whose parent folders are missing"
  put_item "$base/dav/photos/2024/photo.jpg" "$WORK/photo.jpg" image/jpeg -H 'If-None-Match: *'
  local e; e=$(etag_of); echo "    PUT ETag: ${e:-none}$( [[ $e == W/* ]] && echo ' (weak)')"
  req GET "$base/dav/photos/2024/photo.jpg"
  echo "    GET ETag: $(etag_of); SHA-256 sent $(sha256sum <"$WORK/photo.jpg" | cut -c1-16) got $(sha256sum <"$WORK/body" | cut -c1-16)"
  req MKCALENDAR "$base/dav/cal/"; echo "    ^ MKCALENDAR"
  mkaddressbook "$base/dav/ab/"; echo "    ^ extended MKCOL (address book)"
  echo "-- a vCard as a plain file"
  roundtrip "$base/dav/v3.vcf" "$WORK/v3.vcf" 'text/vcard; charset=utf-8'
  echo "-- preconditions"
  preconditions "$base/dav/v3.vcf" "$WORK/v3.vcf" 'text/vcard'
  echo "-- inventory"
  propfind "$base/dav/photos/" 1 '<d:getetag/><cs:getctag/><d:sync-token/><d:getlastmodified/>'; body 1500
  sync_report "$base/dav/photos/" ""; echo "    ^ sync-collection"; body 300
  echo "-- keep-alive"
  keepalive "$base/dav/photos/2024/photo.jpg"
  echo "-- auth"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' "$base/dav/"); echo "  PROPFIND without credentials -> $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' -u holdfast:wrong "$base/dav/photos/2024/photo.jpg"); echo "  GET with a wrong password -> $code"
  stop_server "$d"
  probe_wipes "$kind" "/dav/photos/"
}

# After a wipe: what the collection, its item and the old sync token give.
after_wipe() {  # after_wipe BASE COLLECTION ITEM TOKEN CTAG
  propfind "$1$2" 0 '<d:getetag/><cs:getctag/><d:sync-token/><d:resourcetype/>'
  local c t; c=$(ctag_of); t=$(token_of)
  [ "$LAST" = 207 ] && grep -o 'HTTP/1.1 [0-9]*[^<]*' "$WORK/body" | sort | uniq -c | tr '\n' ';' | sed 's/^/      /' && echo
  echo "      ctag $( [ "$c" = "$5" ] && echo unchanged || echo "now '$c'"); sync-token $( [ "$t" = "$4" ] && echo unchanged || echo "now '$t'")"
  propfind "$1$2" 1 '<d:getetag/>'
  echo "      hrefs listed (the collection included): $(grep -o '<[^>/]*href>' "$WORK/body" | wc -l), with an ETag: $(grep -o '<[^>/]*getetag>[^<]' "$WORK/body" | wc -l)"
  req GET "$1$3"
  [ -n "$4" ] && { sync_report "$1$2" "$4"; echo "    ^ sync-collection with the token from before the wipe"; body 500; }
}
probe_wipes() {  # probe_wipes KIND COLLECTION
  local kind=$1 coll=$2 d base item ext ctype
  if [ "$kind" = apache ] || [ "$kind" = nginx ]; then ext=jpg ctype=image/jpeg; else ext=vcf ctype=text/vcard; fi
  for wipe in running stopped older-running older-stopped; do
    d="$WORK/$kind-wipe-$wipe"
    mkdir -p "$d"
    start_server "$kind" "$d" || return
    base="http://127.0.0.1:$PORT"
    echo "-- wipe: $wipe"
    if [ "$ext" = vcf ]; then mkaddressbook "$base$coll" >/dev/null; else req MKCOL "$base$coll" >/dev/null; fi
    put_item "$base${coll}one.$ext" "$WORK/$([ $ext = vcf ] && echo v3.vcf || echo photo.jpg)" "$ctype" >/dev/null
    [[ $wipe == older* ]] && cp -a "$d/storage" "$d/storage.old"
    sed 's/probe-v3-0001/probe-two/' "$WORK/v3.vcf" >"$WORK/two.vcf"
    put_item "$base${coll}two.$ext" "$WORK/$([ $ext = vcf ] && echo two.vcf || echo photo.jpg)" "$ctype" >/dev/null
    propfind "$base$coll" 0 '<cs:getctag/><d:sync-token/>' >/dev/null
    local ctag tok; ctag=$(ctag_of); tok=$(token_of)
    [ "$ext" = vcf ] && { sync_report "$base$coll" "" >/dev/null; tok=$(token_of); }
    echo "    before: ctag '$ctag' token '$tok'"
    case $wipe in
      running) rm -rf "$d/storage" ;;
      stopped) stop_server "$d"; rm -rf "$d/storage"; start_server "$kind" "$d" ;;
      older-running) rm -rf "$d/storage"; mv "$d/storage.old" "$d/storage" ;;
      older-stopped) stop_server "$d"; rm -rf "$d/storage"; mv "$d/storage.old" "$d/storage"; start_server "$kind" "$d" ;;
    esac
    after_wipe "$base" "$coll" "${coll}two.$ext" "$tok" "$ctag"
    if [ "$wipe" = running ]; then
      put_item "$base${coll}three.$ext" "$WORK/$([ $ext = vcf ] && echo v3.vcf || echo photo.jpg)" "$ctype"; echo "    ^ PUT into the wiped collection"; [ "$LAST" -ge 300 ] && body 300
      propfind "$base/" 0 '<d:resourcetype/>'; echo "    ^ PROPFIND / after the wipe"
    fi
    stop_server "$d"
  done
}

KINDS=("$@")
[ ${#KINDS[@]} -eq 0 ] && KINDS=(radicale xandikos apache nginx)
for k in "${KINDS[@]}"; do
  case $k in
    radicale|xandikos) probe_dav_server "$k" ;;
    apache|nginx) probe_webdav_folder "$k" ;;
    *) echo "unknown server $k" >&2; exit 2 ;;
  esac
  echo
done
