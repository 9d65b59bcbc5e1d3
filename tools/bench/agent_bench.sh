#!/usr/bin/env bash
# Background agent benchmark (issue 15): `holdfast run` measured from outside,
# by reading the vault, /proc and strace. Three parts, chosen with
# AGENT_BENCH_PARTS (default "latency idle day"):
#
#   latency  The agent with default settings on a vault of three sources of the
#            handset (contacts vdir, calendar vdir, photos). A writer makes
#            AGENT_BENCH_CHANGES changes (default 1000) of mixed kinds, one at a
#            time, with a random gap of 0.2-3 s before each (uniform; no bursts):
#            30% new contact, 25% changed contact, 15% new event, 10% new photo
#            (2.5-3.5 MiB of incompressible bytes, as a JPEG is), 20% deletion
#            (half contacts, half events). Each file is written beside the tree
#            and renamed into it; its time is taken after the rename (or the
#            unlink). A poller reads the vault every 100 ms (sqlite3, read-only,
#            WAL) for new revisions and tombstones. Per change it reports
#              visible:  when the poller first saw the commit (an upper bound:
#                        the end of the poll that saw it) minus the write time;
#              captured: the revision's captured_at_ms (or the tombstone's
#                        deleted_at_ms), i.e. the capture's start, minus the
#                        write time (negative when the capture started before
#                        the write and read the file later).
#   idle     The agent on the whole handset with a remote on 127.0.0.1; once
#            the first capture and push are done, nothing changes for
#            AGENT_BENCH_IDLE_MIN minutes (default 60): CPU time (utime+stime
#            of /proc/PID/stat), context switches (all threads' voluntary and
#            involuntary, /proc/PID/task/*/status), then the same number of
#            minutes under `strace -f -tt` (every system call, per thread),
#            all extrapolated to an hour.
#   day      "A day" compressed: the whole handset's first capture and push, then
#            AGENT_BENCH_DAY_CHANGES changes (default 3000, gaps 0.05-0.5 s) with
#            rescan_interval_s=60 and check_interval_s=120; VmHWM of the agent at
#            the end. Baseline: `holdfast capture` then `holdfast push` one-shot
#            on the same handset into a fresh vault and server (/usr/bin/time %M).
#            Checked at the end: `holdfast check` finds no loss, and the server's
#            inventory has as many items as the vault has live items.
#
# usage: tools/bench/agent_bench.sh [--profile large|small] [--work DIR]
# Needs a built tree, bc, /usr/bin/time, sqlite3, jq, strace. Prints Markdown.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v sqlite3 >/dev/null && command -v jq >/dev/null && command -v strace >/dev/null ||
  { echo "needs sqlite3, jq and strace" >&2; exit 2; }
PARTS=${AGENT_BENCH_PARTS:-latency idle day}
CHANGES=${AGENT_BENCH_CHANGES:-1000}
IDLE_MIN=${AGENT_BENCH_IDLE_MIN:-60}
DAY_CHANGES=${AGENT_BENCH_DAY_CHANGES:-3000}
ensure_handset

AGENT_PID=""
SERVER_PID=""
POLLER_PID=""
cleanup() {
  [ -n "$POLLER_PID" ] && kill "$POLLER_PID" 2>/dev/null
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  true
}
trap cleanup EXIT

ms() { date +%s%3N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# A copy of the handset made of hard links: the writer never writes a file in
# place (it renames a new file over it), so the generated tree stays intact.
copy_tree() {  # DEST SUBDIR...
  local dest=$1; shift
  rm -rf "$dest"; mkdir -p "$dest"
  for d in "$@"; do cp -al "$TREE/$d" "$dest/$d"; done
}

# A fresh vault at $1 with config $2 and the sources "kind:folder" of tree $3.
make_vault() {
  local vault=$1 config=$2 tree=$3; shift 3
  rm -f "$vault" "$vault"-* "$vault".* "$config"
  "$HF" --vault "$vault" init >/dev/null
  for spec in "$@"; do
    "$HF" --config "$config" source add --kind "${spec%%:*}" "$tree/${spec#*:}" --name "${spec#*:}" >/dev/null
  done
}

# A fresh reference server with account "phone" in $1; sets URL, TOKEN_FILE.
start_server() {
  rm -rf "$1"; mkdir -p "$1"
  "$SERVER" add-account --data "$1/data" --account phone > "$1/token"
  chmod 600 "$1/token"
  "$SERVER" serve --data "$1/data" --listen 127.0.0.1:0 > "$1/out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q listening "$1/out" && break; sleep 0.1; done
  URL="http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$1/out")"
  TOKEN_FILE="$1/token"
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

start_agent() {  # VAULT CONFIG LOG
  "$HF" --vault "$1" --config "$2" run 2> "$3" &
  AGENT_PID=$!
}
stop_agent() {
  kill -TERM "$AGENT_PID"
  wait "$AGENT_PID" || { echo "the agent ended with status $? (log: see above)" >&2; exit 1; }
  AGENT_PID=""
}
# Waits until the agent's state says its first capture is done, it is idle
# and (with remotes) every remote was reached once.
wait_idle() {  # VAULT TIMEOUT_S
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$AGENT_PID" 2>/dev/null || { echo "the agent died" >&2; exit 1; }
    if jq -e '.activity == "idle" and .last_capture_ms > 0 and all(.remotes[]; .last_reached_ms > 0)' \
        "$1.agent.json" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "the agent did not become idle within $2 s: $(cat "$1.agent.json")" >&2; exit 1
}

# --- the writer -------------------------------------------------------------

# Lists of handset files the writer may change or delete (each at most once),
# in a random order fixed by the seed. Sets EDIT_CONTACTS and DEL_ITEMS.
pick_targets() {  # TREE
  local seedfile="$1.seed"
  head -c 1048576 < <(yes 2009) > "$seedfile"
  local contacts half
  mapfile -t contacts < <(cd "$1" && find contacts -name '*.vcf' | sort | shuf --random-source="$seedfile")
  half=$(( ${#contacts[@]} / 2 ))
  EDIT_CONTACTS=("${contacts[@]:0:half}")
  mapfile -t DEL_ITEMS < <({ printf '%s\n' "${contacts[@]:half}"; (cd "$1" && find calendars -name '*.ics' | sort); } |
                           shuf --random-source="$seedfile")
  NEXT_EDIT=0; NEXT_DEL=0
}

# Makes change number $2 in tree $1 and prints "N KIND PATH WRITE_MS", PATH
# relative to the source's folder (as items.source_path holds it).
write_change() {  # TREE N
  local tree=$1 n=$2 tmp="$1.writer-tmp" r=$((RANDOM % 100)) kind rel src now
  mkdir -p "$tmp"
  now=$(date -u +%Y%m%dT%H%M%SZ)
  if [ $r -lt 30 ]; then
    kind=new-contact; src=contacts; rel=personal/bench-c-$n.vcf
    printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-c-%s\r\nFN:Bench Person %s\r\nN:Person;Bench %s;;;\r\nTEL;TYPE=CELL:+33 6 12 34 %02d %02d\r\nEMAIL:bench%s@example.org\r\nREV:%s\r\nEND:VCARD\r\n' \
      "$n" "$n" "$n" $((n % 100)) $((n / 100 % 100)) "$n" "$now" > "$tmp/f"
    mv "$tmp/f" "$tree/$src/$rel"
  elif [ $r -lt 55 ]; then
    kind=edit-contact; local path=${EDIT_CONTACTS[$NEXT_EDIT]}; NEXT_EDIT=$((NEXT_EDIT + 1))
    src=contacts; rel=${path#contacts/}
    sed "s/^END:VCARD/NOTE:bench edit $n\r\nEND:VCARD/" "$tree/$path" > "$tmp/f"
    mv "$tmp/f" "$tree/$path"
  elif [ $r -lt 70 ]; then
    kind=new-event; src=calendars; rel=home/bench-e-$n.ics
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//agent//EN\r\nBEGIN:VEVENT\r\nUID:bench-e-%s\r\nDTSTAMP:%s\r\nDTSTART:20270115T%02d0000Z\r\nDTEND:20270115T%02d3000Z\r\nSUMMARY:Bench meeting %s\r\nLOCATION:Room %s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
      "$n" "$now" $((n % 20)) $((n % 20)) "$n" $((n % 50)) > "$tmp/f"
    mv "$tmp/f" "$tree/$src/$rel"
  elif [ $r -lt 80 ]; then
    kind=new-photo; src=photos; rel=DCIM/Camera/IMG_bench_$n.jpg
    head -c $((2621440 + (RANDOM * 32) )) /dev/urandom > "$tmp/f"
    mv "$tmp/f" "$tree/$src/$rel"
  else
    kind=delete; local path=${DEL_ITEMS[$NEXT_DEL]}; NEXT_DEL=$((NEXT_DEL + 1))
    src=${path%%/*}; rel=${path#*/}
    rm "$tree/$path"
  fi
  echo "$n $kind $src/$rel $(ms)"
}

# Polls the vault every 100 ms; prints "R|source|source_path|captured_ms|seen_ms"
# per new revision and "T|...|deleted_ms|seen_ms" per new tombstone.
poll_vault() {  # VAULT OUT
  local vault=$1 out=$2 r t rows now
  r=$(sqlite3 -readonly "$vault" "SELECT coalesce(max(id), 0) FROM revisions")
  t=$(sqlite3 -readonly "$vault" "SELECT coalesce(max(id), 0) FROM tombstones")
  : > "$out"
  while :; do
    rows=$(sqlite3 -readonly -separator '|' "$vault" \
      "SELECT 'R', r.id, c.source, i.source_path, r.captured_at_ms FROM revisions r JOIN items i ON i.id = r.item_id
         JOIN collections c ON c.id = i.collection_id WHERE r.id > $r ORDER BY r.id;
       SELECT 'T', t.id, c.source, i.source_path, t.deleted_at_ms FROM tombstones t JOIN items i ON i.id = t.item_id
         JOIN collections c ON c.id = i.collection_id WHERE t.id > $t ORDER BY t.id;" 2>/dev/null) || { sleep 0.1; continue; }
    now=$(ms)
    if [ -n "$rows" ]; then
      while IFS='|' read -r k id src path at; do
        if [ "$k" = R ]; then r=$id; else t=$id; fi
        echo "$k|$src|$path|$at|$now"
      done <<< "$rows" >> "$out"
    fi
    sleep 0.1
  done
}

# Joins the writer's log and the poller's; prints "N KIND VISIBLE_MS CAPTURED_MS"
# per change seen (VISIBLE -1 if never seen).
join_latencies() {  # WRITES SEEN
  awk -F'|' 'NR == FNR { key = $1 "|" $2 "/" $3; if (!(key in seen)) { seen[key] = $5; cap[key] = $4 }; next }
    { split($0, w, " "); k = (w[2] == "delete" ? "T" : "R") "|" w[3]
      if (k in seen) print w[1], w[2], seen[k] - w[4], cap[k] - w[4]; else print w[1], w[2], -1, "" }' "$2" "$1"
}

# Nearest-rank percentile P of the numbers on stdin.
pct() { sort -g | awk -v p="$1" '{a[NR] = $1} END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i] }'; }
stats_row() {  # LABEL FILE COLUMN
  local col=$3
  local v; v=$(awk -v c="$col" '$3 >= 0 { print $c / 1000 }' "$2")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(echo "$v" | grep -c .)" "$(fmt "$(echo "$v" | pct 50)")" \
    "$(fmt "$(echo "$v" | pct 90)")" "$(fmt "$(echo "$v" | pct 99)")" "$(fmt "$(echo "$v" | pct 100)")"
}

# --- part 1: latency --------------------------------------------------------
part_latency() {
  local dir="$WORK/latency"
  rm -rf "$dir"; mkdir -p "$dir"
  copy_tree "$dir/tree" contacts calendars photos
  make_vault "$dir/vault.db" "$dir/config.json" "$dir/tree" contacts:contacts calendar:calendars photos:photos
  pick_targets "$dir/tree"
  start_agent "$dir/vault.db" "$dir/config.json" "$dir/agent.log"
  wait_idle "$dir/vault.db" 600
  poll_vault "$dir/vault.db" "$dir/seen" &
  POLLER_PID=$!
  sleep 1
  local load0 t0 load1 t1; load0=$(load); t0=$(date +%s)
  : > "$dir/writes"
  for n in $(seq 1 "$CHANGES"); do
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.2 + 2.8 * r / 32767 }')"
    write_change "$dir/tree" "$n" >> "$dir/writes"
    [ $((n % 100)) -eq 0 ] && echo "latency: $n/$CHANGES changes written" >&2
  done
  load1=$(load); t1=$(date +%s)
  # Every change seen, or 60 s without news.
  local last; last=$(wc -l < "$dir/seen") quiet=0
  while [ "$(join_latencies "$dir/writes" "$dir/seen" | awk '$3 < 0' | wc -l)" -gt 0 ] && [ $quiet -lt 60 ]; do
    sleep 1; quiet=$((quiet + 1))
    [ "$(wc -l < "$dir/seen")" -ne "$last" ] && { last=$(wc -l < "$dir/seen"); quiet=0; }
  done
  kill "$POLLER_PID"; wait "$POLLER_PID" 2>/dev/null || true; POLLER_PID=""
  local hwm; hwm=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)
  stop_agent
  join_latencies "$dir/writes" "$dir/seen" > "$dir/latencies"
  local missing; missing=$(awk '$3 < 0' "$dir/latencies" | wc -l)
  local captures; captures=$(grep -c 'holdfast run: captured' "$dir/agent.log" || true)
  cat <<MD
### Latency: device write to vault commit, default agent settings ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

Sources: contacts, calendars and photos of the \`$PROFILE\` handset; $CHANGES changes over $((t1 - t0)) s, one at a
time, gaps uniform in 0.2-3 s; kinds: $(awk '{print $2}' "$dir/writes" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}').
Load average before / after the writer: $load0 / $load1. Changes never seen in the vault: $missing.
The agent logged $captures captures that changed something; its VmHWM at the end: $(fmt "$(echo "$hwm / 1024" | bc -l)") MiB.

| seconds from write to ... | changes | median | p90 | p99 | max |
|---|---|---|---|---|---|
$(stats_row "commit visible to a reader (poll every 100 ms)" "$dir/latencies" 3)
$(stats_row "capture start (captured_at_ms / deleted_at_ms)" "$dir/latencies" 4)
$(for k in new-contact edit-contact new-event new-photo delete; do awk -v k=$k '$2 == k' "$dir/latencies" > "$dir/lat-$k"; stats_row "visible: $k" "$dir/lat-$k" 3; done)

MD
}

# --- part 2: idle -----------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ctx_switches() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v, n}'; }

part_idle() {
  local dir="$WORK/idle" hz; hz=$(getconf CLK_TCK)
  rm -rf "$dir"; mkdir -p "$dir"
  make_vault "$dir/vault.db" "$dir/config.json" "$TREE" contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos
  start_server "$dir/server"
  "$HF" --config "$dir/config.json" remote add home --url "$URL" --account phone --token-file "$TOKEN_FILE" >/dev/null
  start_agent "$dir/vault.db" "$dir/config.json" "$dir/agent.log"
  wait_idle "$dir/vault.db" 1800
  sleep 5
  local threads; threads=$(ls /proc/$AGENT_PID/task | wc -l)
  local c0 s0 l0 c1 s1 l1 secs; secs=$(awk -v m="$IDLE_MIN" 'BEGIN { printf "%d", m * 60 }')
  c0=$(cpu_ticks $AGENT_PID); s0=$(ctx_switches $AGENT_PID); l0=$(load)
  sleep "$secs"
  c1=$(cpu_ticks $AGENT_PID); s1=$(ctx_switches $AGENT_PID); l1=$(load)
  local cpu_h vol_h inv_h
  cpu_h=$(echo "($c1 - $c0) / $hz * 3600 / $secs" | bc -l)
  vol_h=$(echo "(${s1% *} - ${s0% *}) * 3600 / $secs" | bc -l)
  inv_h=$(echo "(${s1#* } - ${s0#* }) * 3600 / $secs" | bc -l)
  # The same time again under strace: every system call of every thread.
  timeout -s INT "$secs" strace -f -tt -p "$AGENT_PID" -o "$dir/strace" 2>/dev/null || true
  local calls; calls=$(grep -v -e 'resumed>' -e '+++' -e '---' "$dir/strace" | grep -c '(' || true)
  local l2; l2=$(load)
  local log_lines; log_lines=$(wc -l < "$dir/agent.log")
  stop_agent
  stop_server
  cat <<MD
### Idle: the whole \`$PROFILE\` handset, one remote, nothing changing ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

After the first capture and push ended (the agent's state "idle", the remote reached), $IDLE_MIN min measured, then
$IDLE_MIN min more under \`strace -f -tt\`. The agent had $threads threads. Load average at the start / end of the
first window / end of the strace window: $l0 / $l1 / $l2. Log lines of the agent in all: $log_lines.

| per hour, extrapolated | measured | target |
|---|---|---|
| CPU time (utime + stime, /proc/PID/stat, $hz ticks/s) | $(fmt "$cpu_h") s | < 1 s |
| voluntary context switches, all threads | $(fmt "$vol_h") | |
| involuntary context switches, all threads | $(fmt "$inv_h") | |
| system calls seen by strace, all threads | $(fmt "$(echo "$calls * 3600 / $secs" | bc -l)") | |

System calls in the strace window, by name: $(grep -v -e 'resumed>' -e '+++' -e '---' "$dir/strace" | sed -n 's/^[0-9]* *[0-9:.]* \([a-z_0-9]*\)(.*/\1/p' | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')

MD
}

# --- part 3: a day compressed -----------------------------------------------
part_day() {
  local dir="$WORK/day"
  rm -rf "$dir"; mkdir -p "$dir"
  # Baseline: one-shot capture and push of the same handset.
  make_vault "$dir/base-vault.db" "$dir/base-config.json" "$TREE" contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos
  start_server "$dir/base-server"
  "$HF" --config "$dir/base-config.json" remote add home --url "$URL" --account phone --token-file "$TOKEN_FILE" >/dev/null
  local lb; lb=$(load)
  /usr/bin/time -o "$dir/capture.time" -f "%M %e" "$HF" --vault "$dir/base-vault.db" --config "$dir/base-config.json" capture >/dev/null
  /usr/bin/time -o "$dir/push.time" -f "%M %e" "$HF" --vault "$dir/base-vault.db" --config "$dir/base-config.json" push >/dev/null
  stop_server
  rm -rf "$dir/base-vault.db"* "$dir/base-server"

  copy_tree "$dir/tree" contacts calendars tasks notes photos
  make_vault "$dir/vault.db" "$dir/config.json" "$dir/tree" contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos
  start_server "$dir/server"
  "$HF" --config "$dir/config.json" remote add home --url "$URL" --account phone --token-file "$TOKEN_FILE" >/dev/null
  jq '.agent = {rescan_interval_s: 60, check_interval_s: 120}' "$dir/config.json" > "$dir/config.new" && mv "$dir/config.new" "$dir/config.json"
  pick_targets "$dir/tree"
  local l0 t0 l1 t1; l0=$(load); t0=$(date +%s)
  start_agent "$dir/vault.db" "$dir/config.json" "$dir/agent.log"
  wait_idle "$dir/vault.db" 1800
  local hwm_first; hwm_first=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)
  : > "$dir/writes"
  for n in $(seq 1 "$DAY_CHANGES"); do
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.05 + 0.45 * r / 32767 }')"
    write_change "$dir/tree" "$n" >> "$dir/writes"
    [ $((n % 500)) -eq 0 ] && echo "day: $n/$DAY_CHANGES changes written" >&2
  done
  # Let the last changes go through, then one more rescan and check.
  sleep 130
  local hwm rss; hwm=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status); rss=$(awk '/VmRSS/ {print $2}' /proc/$AGENT_PID/status)
  l1=$(load); t1=$(date +%s)
  stop_agent
  local rescans captures pushes checks
  captures=$(grep -c 'holdfast run: captured' "$dir/agent.log" || true)
  pushes=$(grep -c 'home: pushed' "$dir/agent.log" || true)
  "$HF" --vault "$dir/vault.db" --config "$dir/config.json" check --remote home > "$dir/check.out" 2>&1 || true
  local live server_items
  live=$(sqlite3 -readonly "$dir/vault.db" "SELECT count(*) FROM items i WHERE NOT EXISTS(SELECT 1 FROM tombstones t WHERE t.item_id = i.id AND t.restored_at_ms IS NULL)")
  server_items=$(sed -n "s/.*, \([0-9]*\) on the server).*/\1/p" "$dir/check.out" | awk "{s += \$1} END {print s}")
  stop_server
  local mib="bc -l"
  cat <<MD
### A day compressed: the whole \`$PROFILE\` handset, one remote on 127.0.0.1 ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))

Agent: rescan_interval_s 60, check_interval_s 120, other settings default. First capture and push, then
$DAY_CHANGES changes (gaps 0.05-0.5 s; kinds: $(awk '{print $2}' "$dir/writes" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')), then 130 s more; $((t1 - t0)) s in all.
The agent logged $captures captures that changed something and $pushes pushes that sent something.
Load average at the start / end: $l0 / $l1 (baseline: $lb at its start).
Checked: \`holdfast check home\` said: $(grep -c healthy "$dir/check.out") of $(grep -c "acknowledged" "$dir/check.out") collections healthy; live items in the vault $live, items
on the server by that check $server_items.

| peak RSS | MiB | target |
|---|---|---|
| agent, after its first capture and push (VmHWM) | $(fmt "$(echo "$hwm_first / 1024" | $mib)") | |
| agent, at the end of the day (VmHWM) | $(fmt "$(echo "$hwm / 1024" | $mib)") | ≤ 64 |
| agent, resident at the end (VmRSS) | $(fmt "$(echo "$rss / 1024" | $mib)") | |
| baseline: \`holdfast capture\` one-shot ($(cut -d' ' -f2 "$dir/capture.time") s) | $(fmt "$(echo "$(cut -d' ' -f1 "$dir/capture.time") / 1024" | $mib)") | |
| baseline: \`holdfast push\` one-shot ($(cut -d' ' -f2 "$dir/push.time") s) | $(fmt "$(echo "$(cut -d' ' -f1 "$dir/push.time") / 1024" | $mib)") | |

MD
}

for part in $PARTS; do
  case "$part" in
    latency) part_latency ;;
    idle) part_idle ;;
    day) part_day ;;
    *) echo "unknown part $part (latency, idle, day)" >&2; exit 2 ;;
  esac
done
