# Shared by the benchmark scripts in this folder (sourced, not run).
# Parses --profile, --runs and --work into PROFILE, RUNS and WORK; sets ROOT,
# BUILD, HF (holdfast), GEN (the handset generator) and SERVER; and offers
# ensure_handset, ensure_vault, median, max and fmt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
PROFILE=large
RUNS=3
WORK=${TMPDIR:-/tmp}/holdfast-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
HF="$BUILD/agent/holdfast"
GEN="$BUILD/tools/holdfast-handset-gen"
SERVER="$BUILD/tools/holdfast-server"
for b in "$HF" "$GEN" "$SERVER"; do [ -x "$b" ] || { echo "build first: tools/dev.sh test" >&2; exit 2; }; done
command -v bc >/dev/null && [ -x /usr/bin/time ] || { echo "needs bc and /usr/bin/time (apt-get install bc time)" >&2; exit 2; }
mkdir -p "$WORK"
TREE="$WORK/handset-$PROFILE"
# The captured vault the export, push and recovery benchmarks share.
VAULT="$WORK/export-vault.db"
CONFIG="$WORK/export-config.json"

# Generates the handset once per work folder (seed 2009).
ensure_handset() {
  if [ ! -f "$TREE.done" ]; then
    rm -rf "$TREE"
    echo "generating the $PROFILE handset in $TREE" >&2
    "$GEN" --profile "$PROFILE" --seed 2009 --out "$TREE" >&2
    touch "$TREE.done"
  fi
}

# Captures the handset into $VAULT once per work folder; sources in $CONFIG.
# Extra arguments name a second config whose sources point under that folder.
ensure_vault() {
  ensure_handset
  if [ ! -f "$VAULT.done" ]; then
    rm -f "$VAULT" "$VAULT"-* "$CONFIG"
    "$HF" --vault "$VAULT" init >/dev/null
    for spec in contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos; do
      "$HF" --config "$CONFIG" source add --kind "${spec%%:*}" "$TREE/${spec#*:}" --name "${spec#*:}" >/dev/null
    done
    echo "capturing the $PROFILE handset into $VAULT" >&2
    "$HF" --vault "$VAULT" --config "$CONFIG" capture >/dev/null
    touch "$VAULT.done"
  fi
}

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
fmt() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
