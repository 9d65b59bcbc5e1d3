#!/usr/bin/env bash
# Runs docs/fleet.md's three scenarios with holdfast-reupload-sim and plots
# arrivals per second against the server's capacity (gnuplot: apt-get install
# gnuplot-nox). Not run in CI. Usage:
#   tools/sim/plot_storm.sh [--devices N] [--seed S] [--out DIR]
# Writes DIR/fleet_storm.png (default docs/) and, beside the CSVs in
# ${TMPDIR:-/tmp}/holdfast-storm, each scenario's figures (*.txt).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOLDFAST_BUILD_DIR:-$ROOT/build}
SIM="$BUILD/tools/holdfast-reupload-sim"
DEVICES=1000000
SEED=1
OUT="$ROOT/docs"
WORK=${TMPDIR:-/tmp}/holdfast-storm
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$SIM" ] || { echo "build first: ninja -C build holdfast-reupload-sim" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
mkdir -p "$WORK" "$OUT"
# The server's capacity: the same for all three, and the line on the plot.
CAPACITY=400
COMMON=(--devices "$DEVICES" --seed "$SEED" --capacity "$CAPACITY" --outage 7200 --spread 3600 --retry-after 1)

run() {  # name, then the scenario's own flags
  local name=$1; shift
  "$SIM" "${COMMON[@]}" "$@" --csv "$WORK/$name.csv" | tee "$WORK/$name.txt"
  echo
}
run agent-now --fleet agent --not-before 0
# No --not-before: the window request-reupload opens by default (75 min with the agent's defaults).
run agent-default --fleet agent
run baseline --fleet baseline --baseline-retry 60

gnuplot <<GP
set terminal pngcairo size 1100,800 font ",10"
set output "$OUT/fleet_storm.png"
set datafile separator ","
set key top right
set grid
set multiplot layout 2,1 title "$DEVICES devices asked to re-upload after a 2 h outage; server capacity $CAPACITY uploads/s"
set xlabel "minutes after the request"
set ylabel "upload requests arriving per second"
set logscale y
set yrange [1:*]
set xrange [0:180]
set title "all three (log scale)"
plot "$WORK/baseline.csv" using (\$1/60.0):(\$2>0?\$2:1/0) with lines lw 1 lc rgb "#c0392b" title "baseline: no jitter, retry every 60 s, no slot", \
     "$WORK/agent-now.csv" using (\$1/60.0):(\$2>0?\$2:1/0) with lines lw 1 lc rgb "#2471a3" title "agent, window opens at the request (--not-before 0)", \
     "$WORK/agent-default.csv" using (\$1/60.0):(\$2>0?\$2:1/0) with lines lw 1 lc rgb "#239b56" title "agent, request-reupload's default request (window opens 75 min after it)", \
     $CAPACITY with lines lw 2 dt 2 lc rgb "black" title "capacity"
unset logscale y
set yrange [0:$((CAPACITY * 2))]
set title "the agent's two runs (linear scale)"
plot "$WORK/agent-now.csv" using (\$1/60.0):2 with lines lw 1 lc rgb "#2471a3" title "agent, window opens at the request (--not-before 0)", \
     "$WORK/agent-default.csv" using (\$1/60.0):2 with lines lw 1 lc rgb "#239b56" title "agent, the default request (window opens 75 min after it)", \
     $CAPACITY with lines lw 2 dt 2 lc rgb "black" title "capacity"
unset multiplot
GP
echo "wrote $OUT/fleet_storm.png; figures in $WORK/*.txt"
