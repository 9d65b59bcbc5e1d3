#!/usr/bin/env bash
# Capture benchmark (issue 3), measured side by side in one run:
#   full capture of a fresh vault (+ sync)   vs  tar -cf of the same tree to a file on the same disk + sync
#   no-op rescan                             vs  find TREE -newer FILE
#   peak resident memory of each capture (target: 64 MiB), items/s and MB/s.
# Runs alternate (baseline, holdfast, baseline, holdfast, ...) and medians are
# reported, so a noisy shared machine affects both sides alike.
#
# usage: tools/bench/capture_bench.sh [--profile large|small] [--runs N] [--work DIR]
# Needs a built tree (tools/dev.sh test or demo) and /usr/bin/time. Prints a
# Markdown section for docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_handset
FILES=$(find "$TREE" -type f | wc -l)
BYTES=$(du -sb "$TREE" | cut -f1)

export XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config"
rm -rf "$XDG_CONFIG_HOME"
for spec in contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos; do
  "$HF" source add --kind "${spec%%:*}" "$TREE/${spec#*:}" --name "${spec#*:}" >/dev/null
done

# seconds and peak RSS (KiB) of a command, as "SECONDS KIB"
measure() {
  /usr/bin/time -o "$WORK/time.out" -f "%e %M" "$@" >/dev/null 2>&1 || true
  cat "$WORK/time.out"
}

# Warm-up, not measured: the tree in the page cache and nothing left to write
# back from generating it, so that the first run of each side is like the rest.
# GNU tar reads no file contents when the archive is /dev/null: write the
# archive to a pipe so that every byte is really read (wc counts them).
echo "warm-up read: $(tar -cf - -C "$WORK" "handset-$PROFILE" | wc -c) bytes" >&2; sync

declare -a TAR CAP CAP_RSS FIND RESCAN RESCAN_RSS
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  rm -f "$WORK/tree.tar"; sync
  t0=$(now); tar -cf "$WORK/tree.tar" -C "$WORK" "handset-$PROFILE"; sync; t1=$(now)
  TAR+=("$(echo "$t1 - $t0" | bc)")
  rm -f "$WORK/tree.tar"

  rm -rf "$XDG_DATA_HOME"; "$HF" init >/dev/null; sync
  t0=$(now); read -r _ rss <<<"$(measure "$HF" capture)"; sync; t1=$(now)
  CAP+=("$(echo "$t1 - $t0" | bc)"); CAP_RSS+=("$rss")

  touch "$WORK/ref"
  t0=$(now); find "$TREE" -newer "$WORK/ref" >/dev/null; t1=$(now)
  FIND+=("$(echo "$t1 - $t0" | bc)")

  t0=$(now); read -r _ rss <<<"$(measure "$HF" capture)"; t1=$(now)
  RESCAN+=("$(echo "$t1 - $t0" | bc)"); RESCAN_RSS+=("$rss")
done

tar_s=$(median "${TAR[@]}"); cap_s=$(median "${CAP[@]}")
find_s=$(median "${FIND[@]}"); rescan_s=$(median "${RESCAN[@]}")
cap_rss=$(max "${CAP_RSS[@]}"); rescan_rss=$(max "${RESCAN_RSS[@]}")

cat <<MD
### Capture, \`$PROFILE\` handset ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(df -T "$WORK" | awk 'NR==2 {print $2}'))

$FILES files, $(fmt "$(echo "$BYTES / 1048576" | bc -l)") MiB; $RUNS runs, medians (all runs: capture ${CAP[*]} s; tar ${TAR[*]} s; rescan ${RESCAN[*]} s; find ${FIND[*]} s).

| measure | holdfast | baseline | ratio | target |
|---|---|---|---|---|
| full capture (+ sync) vs \`tar -cf\` + \`sync\` | $(fmt "$cap_s") s | $(fmt "$tar_s") s | $(fmt "$(echo "$cap_s / $tar_s" | bc -l)") | ≤ 2.0 |
| no-op rescan vs \`find TREE -newer FILE\` | $(fmt "$rescan_s") s | $(fmt "$find_s") s | $(fmt "$(echo "$rescan_s / $find_s" | bc -l)") | ≤ 2.0 |
| peak RSS, full capture | $(fmt "$(echo "$cap_rss / 1024" | bc -l)") MiB | | | ≤ 64 MiB |
| peak RSS, rescan | $(fmt "$(echo "$rescan_rss / 1024" | bc -l)") MiB | | | ≤ 64 MiB |
| throughput, full capture (one item per file) | $(fmt "$(echo "$FILES / $cap_s" | bc -l)") items/s, $(fmt "$(echo "$BYTES / 1048576 / $cap_s" | bc -l)") MiB/s | | | |
MD
