#!/usr/bin/env bash
# Evolution Data Server benchmark (issue 16): capture and restore of an EDS
# store through Holdfast against the same through EDS's own client libraries
# alone (holdfast-eds-tool, libebook/libecal), side by side in one run, in a
# private EDS session (its own dbus-daemon --session and scratch XDG_* dirs,
# as tests/support/eds_session.cc starts it; never the machine's own EDS).
#
#   populate   EDS_BENCH_CONTACTS contacts (default 10000; EDS_BENCH_PHOTOS of
#              them with an inline JPEG, default 500, which EDS moves to files)
#              and EDS_BENCH_EVENTS events (default 2000; some recurring ones
#              get an overridden instance, an item of its own) with
#              holdfast-eds-tool populate; timed once, apart.
#   capture    `holdfast capture` of an eds source into a fresh vault, then the
#              same again with nothing changed, vs `holdfast-eds-tool read-all
#              --out FILE` + `sync FILE` (every item read through EDS's API,
#              photos inlined, saved and flushed, as the vault is).
#   restore    Each run in a fresh reset: the session stopped, its
#              $XDG_DATA_HOME/evolution deleted, a new session, EDS started by
#              `holdfast-eds-tool count` (which must say 0 items; not timed).
#              Then `holdfast restore-device` from the captured vault vs
#              `holdfast-eds-tool write-all` of the read-all file, and
#              `holdfast-eds-tool count` after each (must give the counts of
#              the populated store).
# Per measured command: wall time, CPU (user+sys of the process and its
# threads) and peak RSS (/usr/bin/time), and the CPU the session's EDS
# processes spent meanwhile (utime+stime from /proc/PID/stat before and after,
# by process: address-book factory, calendar factory, source registry, bus).
# Rounds (EDS_BENCH_ROUNDS, default 3) alternate baseline and Holdfast;
# medians are reported, all runs listed.
#
# usage: tools/bench/eds_bench.sh [--work DIR]
# A quick run: EDS_BENCH_CONTACTS=500 EDS_BENCH_PHOTOS=20 EDS_BENCH_EVENTS=100 EDS_BENCH_ROUNDS=1
# Needs a build with EDS (HOLDFAST_HAVE_EDS), dbus-daemon, bc, /usr/bin/time.
# Prints a Markdown section for docs/benchmarks.md; progress goes to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
WORK=${TMPDIR:-/tmp}/holdfast-bench-eds
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
CONTACTS=${EDS_BENCH_CONTACTS:-10000}
PHOTOS=${EDS_BENCH_PHOTOS:-500}
EVENTS=${EDS_BENCH_EVENTS:-2000}
ROUNDS=${EDS_BENCH_ROUNDS:-3}
HF="$BUILD/agent/holdfast"
TOOL="$BUILD/tools/holdfast-eds-tool"
for b in "$HF" "$TOOL"; do
  [ -x "$b" ] || { echo "$b missing: build with EDS (pkg-config libebook-1.2 libecal-2.0) first" >&2; exit 2; }
done
command -v dbus-daemon >/dev/null && command -v bc >/dev/null && [ -x /usr/bin/time ] ||
  { echo "needs dbus-daemon, bc and /usr/bin/time" >&2; exit 2; }
TICKS=$(getconf CLK_TCK)

# The session lives in $S; its processes carry $MARKER in their environment.
rm -rf "$WORK"; mkdir -p "$WORK"
S="$WORK/session"
MARKER="HOLDFAST_EDS_SESSION=$S"
for sub in data config cache runtime; do mkdir -p "$S/$sub"; chmod 700 "$S/$sub"; done
EVO="$S/data/evolution"
BUS_PID=""
BUS_ADDRESS=""

start_session() {
  rm -f "$S/runtime/bus" "$S/bus.address"
  env -u DBUS_SESSION_BUS_ADDRESS XDG_DATA_HOME="$S/data" XDG_CONFIG_HOME="$S/config" \
    XDG_CACHE_HOME="$S/cache" XDG_RUNTIME_DIR="$S/runtime" "$MARKER" \
    dbus-daemon --session --nofork --address="unix:path=$S/runtime/bus" --print-address=3 \
    3>"$S/bus.address" >>"$S/bus.log" 2>&1 &
  BUS_PID=$!
  local i
  for i in $(seq 200); do
    grep -q . "$S/bus.address" 2>/dev/null && break
    kill -0 "$BUS_PID" 2>/dev/null || { echo "dbus-daemon ended: $(cat "$S/bus.log")" >&2; exit 1; }
    sleep 0.1
  done
  BUS_ADDRESS=$(head -1 "$S/bus.address")
  [ -n "$BUS_ADDRESS" ] || { echo "dbus-daemon printed no address in 20 s" >&2; exit 1; }
}

# PIDs of the processes whose environment holds the marker (the bus and what
# it started; EDS processes are reparented to init, so they are found here).
session_pids() {
  local p
  for p in /proc/[0-9]*; do
    grep -qzxF "$MARKER" "$p/environ" 2>/dev/null && echo "${p#/proc/}"
  done
  true
}

stop_session() {
  if [ -n "$BUS_PID" ]; then kill "$BUS_PID" 2>/dev/null || true; wait "$BUS_PID" 2>/dev/null || true; BUS_PID=""; fi
  local waited=0 left
  while :; do
    left=$(session_pids)
    [ -z "$left" ] && return 0
    case $waited in
      100) echo "EDS processes left 10 s after their bus: SIGTERM" >&2; kill -TERM $left 2>/dev/null || true ;;
      150) kill -KILL $left 2>/dev/null || true ;;
      200) echo "EDS processes survive SIGKILL: $left" >&2; return 1 ;;
    esac
    sleep 0.1; waited=$((waited + 1))
  done
}
trap 'stop_session || true' EXIT

# Runs a command in the session (not marked: it is not one of EDS's processes).
in_session() {
  env DBUS_SESSION_BUS_ADDRESS="$BUS_ADDRESS" XDG_DATA_HOME="$S/data" XDG_CONFIG_HOME="$S/config" \
    XDG_CACHE_HOME="$S/cache" XDG_RUNTIME_DIR="$S/runtime" "$@"
}

# "PID COMM TICKS" per session process (utime+stime; fields after the comm).
eds_ticks() {
  local pid stat comm
  for pid in $(session_pids); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    comm=${stat#*(}; comm=${comm%)*}
    echo "$pid ${comm// /_} $(echo "${stat##*) }" | awk '{print $12 + $13}')"
  done
}
# Seconds of CPU per group between two eds_ticks files: "BOOK CAL REGISTRY BUS OTHER".
eds_cpu_diff() {
  awk -v t="$TICKS" 'NR == FNR { before[$1] = $3; next }
    { d = $3 - ($1 in before ? before[$1] : 0)
      if ($2 ~ /^evolution-addre/) g["book"] += d; else if ($2 ~ /^evolution-calen/) g["cal"] += d
      else if ($2 ~ /^evolution-sourc/) g["reg"] += d; else if ($2 == "dbus-daemon") g["bus"] += d; else g["other"] += d }
    END { printf "%.2f %.2f %.2f %.2f %.2f\n", g["book"] / t, g["cal"] / t, g["reg"] / t, g["bus"] / t, g["other"] / t }' "$1" "$2"
}

# Measures one command in the session: sets M_WALL M_CPU M_RSS_KIB (of the
# command), M_EDS ("BOOK CAL REGISTRY BUS OTHER" seconds of EDS CPU) and M_OUT
# (its stdout). Fails with its stderr when the command fails.
measure() {
  eds_ticks > "$WORK/ticks.before"
  if ! in_session /usr/bin/time -o "$WORK/time.out" -f "%e %U %S %M" "$@" > "$WORK/cmd.out" 2> "$WORK/cmd.err"; then
    echo "failed: $*" >&2; cat "$WORK/cmd.err" "$WORK/cmd.out" >&2; exit 1
  fi
  eds_ticks > "$WORK/ticks.after"
  local u s
  read -r M_WALL u s M_RSS_KIB < "$WORK/time.out"
  M_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
  M_EDS=$(eds_cpu_diff "$WORK/ticks.before" "$WORK/ticks.after")
  M_OUT=$(cat "$WORK/cmd.out")
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
fmt() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
sum_eds() { echo "$1" | awk '{printf "%.2f", $1 + $2 + $3 + $4 + $5}'; }
json_field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<< "$2"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- populate ---------------------------------------------------------------
LOAD_START=$(load); DATE_START=$(date -u '+%Y-%m-%d %H:%M')
start_session
echo "populating: $CONTACTS contacts ($PHOTOS with photos), $EVENTS events" >&2
measure "$TOOL" populate --contacts "$CONTACTS" --photos "$PHOTOS" --events "$EVENTS" --seed 16
POP_WALL=$M_WALL; POP_EDS=$M_EDS
measure "$TOOL" count
EXPECTED=$M_OUT
ITEMS=$(awk '{n += $3} END {print n}' <<< "$EXPECTED")
echo "$EXPECTED" >&2
# EDS counts an overridden instance of a recurring event as an item; Holdfast
# keeps a UID's components as one item.
in_session "$TOOL" dump --all > "$WORK/populated.dump"
# EDS's revisions must be settled before the first capture (docs/eds.md): a
# capture in the second of the last write reads that collection again at the
# next capture, and the second capture below would not be the unchanged one.
sleep 2
OVERRIDES=$(grep -c '^--- .* RECURRENCE-ID:' "$WORK/populated.dump" || true)
HF_ITEMS=$((ITEMS - OVERRIDES))
PHOTO_FILES=$(find "$EVO/addressbook/system/photos" -type f 2>/dev/null | wc -l)
EVO_BYTES=$(du -sb "$EVO" | cut -f1)

CONFIG="$WORK/config.json"
"$HF" --config "$CONFIG" source add --kind eds "$EVO" --name eds >/dev/null
new_vault() { rm -f "$WORK/vault.db" "$WORK/vault.db"-* "$WORK/vault.db".*; "$HF" --vault "$WORK/vault.db" init >/dev/null; }

# Summary line of a capture: "eds: N files (...); items: N new, N changed, ..."
new_items() { sed -n 's/^eds: .*items: \([0-9]*\) new, \([0-9]*\) changed.*/\1 \2/p' <<< "$1"; }

# --- capture ----------------------------------------------------------------
# Warm-up, not measured: EDS's files in the page cache and its backends open
# for both sides alike.
measure "$TOOL" read-all
echo "warm-up read-all: $M_OUT" >&2
declare -a BR_EDSP HC_EDSP H2_EDSP BR_WALL BR_CPU BR_RSS BR_EDS HC_WALL HC_CPU HC_RSS HC_EDS H2_WALL H2_CPU H2_RSS H2_EDS
for r in $(seq 1 "$ROUNDS"); do
  echo "capture round $r/$ROUNDS" >&2
  rm -f "$WORK/items.dump"; sync
  measure sh -c '"$0" read-all --out "$1" && sync "$1"' "$TOOL" "$WORK/items.dump"
  BR_WALL+=("$M_WALL"); BR_CPU+=("$M_CPU"); BR_RSS+=("$M_RSS_KIB"); BR_EDS+=("$(sum_eds "$M_EDS")")
  READ_OUT=$M_OUT; BR_EDSP+=("$M_EDS")
  read_items=$(json_field items "$M_OUT")
  [ "$read_items" = "$ITEMS" ] || { echo "read-all read $read_items items, the store has $ITEMS" >&2; exit 1; }

  new_vault; sync
  measure "$HF" --vault "$WORK/vault.db" --config "$CONFIG" capture
  HC_WALL+=("$M_WALL"); HC_CPU+=("$M_CPU"); HC_RSS+=("$M_RSS_KIB"); HC_EDS+=("$(sum_eds "$M_EDS")")
  CAP_OUT=$M_OUT; HC_EDSP+=("$M_EDS")
  read -r cap_new cap_changed <<< "$(new_items "$M_OUT")"
  [ "${cap_new:-}" = "$HF_ITEMS" ] || { echo "capture: $M_OUT (expected $HF_ITEMS new items)" >&2; exit 1; }

  # Settled revisions again (EDS may give a collection a new revision when
  # it opens it): the second capture is then the steady state, and its line
  # below says how many collections it read.
  sleep 2
  measure "$HF" --vault "$WORK/vault.db" --config "$CONFIG" capture
  H2_WALL+=("$M_WALL"); H2_CPU+=("$M_CPU"); H2_RSS+=("$M_RSS_KIB"); H2_EDS+=("$(sum_eds "$M_EDS")")
  CAP2_OUT=$M_OUT; H2_EDSP+=("$M_EDS")
  read -r c2_new c2_changed <<< "$(new_items "$M_OUT")"
  [ "${c2_new:-}" = 0 ] && [ "${c2_changed:-}" = 0 ] || { echo "second capture changed something: $M_OUT" >&2; exit 1; }
done
DUMP_BYTES=$(stat -c %s "$WORK/items.dump")
VAULT_BYTES=$(du -cb "$WORK/vault.db"* | tail -1 | cut -f1)

# --- restore ----------------------------------------------------------------
reset_store() {
  stop_session
  rm -rf "$EVO"
  start_session
  measure "$TOOL" count
  local n
  n=$(awk '{n += $3} END {print n}' <<< "$M_OUT")
  [ "$n" = 0 ] || { echo "after the reset EDS still has $n items: $M_OUT" >&2; exit 1; }
  sync
}
check_counts() {  # WHO
  measure "$TOOL" count
  [ "$M_OUT" = "$EXPECTED" ] || { printf 'after %s, EDS counts\n%s\nexpected\n%s\n' "$1" "$M_OUT" "$EXPECTED" >&2; exit 1; }
}
declare -a BW_EDSP HR_EDSP BW_WALL BW_CPU BW_RSS BW_EDS HR_WALL HR_CPU HR_RSS HR_EDS
for r in $(seq 1 "$ROUNDS"); do
  echo "restore round $r/$ROUNDS" >&2
  reset_store
  measure "$TOOL" write-all "$WORK/items.dump"
  BW_WALL+=("$M_WALL"); BW_CPU+=("$M_CPU"); BW_RSS+=("$M_RSS_KIB"); BW_EDS+=("$(sum_eds "$M_EDS")")
  WRITE_OUT=$M_OUT; BW_EDSP+=("$M_EDS")
  check_counts "write-all"

  reset_store
  measure "$HF" --vault "$WORK/vault.db" --config "$CONFIG" restore-device
  HR_WALL+=("$M_WALL"); HR_CPU+=("$M_CPU"); HR_RSS+=("$M_RSS_KIB"); HR_EDS+=("$(sum_eds "$M_EDS")")
  REST_OUT=$M_OUT; HR_EDSP+=("$M_EDS")
  grep -q "^eds: wrote " <<< "$M_OUT" || { echo "restore-device: $M_OUT" >&2; exit 1; }
  check_counts "restore-device"
done
stop_session
LOAD_END=$(load); DATE_END=$(date -u '+%H:%M')

# --- report -----------------------------------------------------------------
row() {  # LABEL HOLDFAST_ARRAY BASELINE_ARRAY UNIT
  local -n h=$2 b=$3
  local hm bm
  hm=$(median "${h[@]}"); bm=$(median "${b[@]}")
  if [ "$4" = MiB ]; then
    echo "| $1 | $(mib "$hm") MiB | $(mib "$bm") MiB | $(ratio "$hm" "$bm") |"
  else
    echo "| $1 | $(fmt "$hm") s | $(fmt "$bm") s | $(ratio "$hm" "$bm") |"
  fi
}
eds_line() {  # LABEL ARRAY_OF_"BOOK CAL REG BUS OTHER": medians per process
  local -n rows=$2
  local col line=""
  for col in 1 2 3 4 5; do
    line+=" $(fmt "$(median $(printf '%s\n' "${rows[@]}" | awk -v c=$col '{print $c}'))") |"
  done
  echo "| $1 |$line"
}
cat <<MD
### Run of $DATE_START-$DATE_END UTC ($(nproc) cores, $(uname -m), $(df -T "$WORK" | awk 'NR==2 {print $2}'), binaries of $(git -C "$ROOT" rev-parse --short HEAD))

Store: $CONTACTS contacts ($PHOTOS with a photo; EDS keeps $PHOTO_FILES photo files), $EVENTS events; EDS counts
$(tr '\n' ';' <<< "$EXPECTED" | sed 's/;$//; s/;/; /g'): $ITEMS items ($OVERRIDES of them overridden instances of
recurring events, which Holdfast keeps with their event: $HF_ITEMS Holdfast items), $(mib "$((EVO_BYTES / 1024))") MiB in \$XDG_DATA_HOME/evolution.
Populate (holdfast-eds-tool, not compared): $(fmt "$POP_WALL") s. $ROUNDS rounds, medians; load average at the start / end: $LOAD_START / $LOAD_END.

| measure | holdfast | baseline | ratio |
|---|---|---|---|
$(row "capture: wall" HC_WALL BR_WALL s)
$(row "capture: CPU of the process (user+sys)" HC_CPU BR_CPU s)
$(row "capture: CPU of EDS meanwhile (factories, registry, bus)" HC_EDS BR_EDS s)
$(row "capture: peak RSS" HC_RSS BR_RSS MiB)
$(row "second capture, nothing changed: wall" H2_WALL BR_WALL s)
$(row "second capture: CPU of the process" H2_CPU BR_CPU s)
$(row "second capture: CPU of EDS meanwhile" H2_EDS BR_EDS s)
$(row "second capture: peak RSS" H2_RSS BR_RSS MiB)
$(row "restore: wall" HR_WALL BW_WALL s)
$(row "restore: CPU of the process (user+sys)" HR_CPU BW_CPU s)
$(row "restore: CPU of EDS meanwhile (factories, registry, bus)" HR_EDS BW_EDS s)
$(row "restore: peak RSS" HR_RSS BW_RSS MiB)

Baselines: capture = \`holdfast-eds-tool read-all --out FILE\` + \`sync FILE\`; restore = \`holdfast-eds-tool write-all FILE\`.
All runs (s): capture ${HC_WALL[*]} (CPU ${HC_CPU[*]}; EDS ${HC_EDS[*]}); read-all ${BR_WALL[*]} (CPU ${BR_CPU[*]}; EDS ${BR_EDS[*]});
second capture ${H2_WALL[*]} (CPU ${H2_CPU[*]}; EDS ${H2_EDS[*]}); restore-device ${HR_WALL[*]} (CPU ${HR_CPU[*]}; EDS ${HR_EDS[*]});
write-all ${BW_WALL[*]} (CPU ${BW_CPU[*]}; EDS ${BW_EDS[*]}). Peak RSS (KiB): capture ${HC_RSS[*]}; read-all ${BR_RSS[*]};
second capture ${H2_RSS[*]}; restore-device ${HR_RSS[*]}; write-all ${BW_RSS[*]}.

EDS CPU by process, medians over the rounds (s):

| step | address-book factory | calendar factory | source registry | dbus-daemon | other |
|---|---|---|---|---|---|
$(eds_line "holdfast capture" HC_EDSP)
$(eds_line "read-all + sync" BR_EDSP)
$(eds_line "second capture" H2_EDSP)
$(eds_line "holdfast restore-device" HR_EDSP)
$(eds_line "write-all" BW_EDSP)

What each side did (last round): read-all: \`$READ_OUT\` (file of $DUMP_BYTES bytes); capture: \`$(head -1 <<< "$CAP_OUT")\`
(vault and WAL: $VAULT_BYTES bytes); second capture: \`$(head -1 <<< "$CAP2_OUT")\`; write-all: \`$WRITE_OUT\`;
restore-device: \`$(head -1 <<< "$REST_OUT")\`. After every restore of either side, \`holdfast-eds-tool count\`
gave the populated counts.
MD
