#!/usr/bin/env bash
# Export and restore benchmark (issue 4), measured side by side in one run:
#   holdfast export --format archive (whole vault)  vs  tar -cf of the source tree (+ sync each)
#   holdfast restore-device into an empty tree      vs  tar -xf of the same files (+ sync each)
#   peak resident memory of export and restore.
# Runs alternate (baseline, holdfast, ...) and medians are reported, so a
# noisy shared machine affects both sides alike.
#
# usage: tools/bench/export_bench.sh [--profile small|large|huge] [--runs N] [--work DIR]
# Needs a built tree (tools/dev.sh test), bc and /usr/bin/time. Prints a
# Markdown section for docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_vault
# "$TREE/" (and tar -C "$TREE" .): the tree may be a symbolic link to a shared
# copy (a huge handset is generated once per machine).
FILES=$(find "$TREE/" -type f | wc -l)
BYTES=$(du -sb "$TREE/" | cut -f1)
SOURCES="contacts:contacts calendar:calendars tasks:tasks notes:notes photos:photos"

# A second config whose sources point at an empty tree, for restore-device.
RESTORE_CONFIG="$WORK/restore-config.json"
RESTORED="$WORK/restored"
if [ ! -f "$RESTORE_CONFIG" ]; then
  for spec in $SOURCES; do
    "$HF" --config "$RESTORE_CONFIG" source add --kind "${spec%%:*}" "$RESTORED/${spec#*:}" --name "${spec#*:}" >/dev/null 2>&1
  done
fi

# Runs a command; prints "PEAK_RSS_KIB" and fails the benchmark if it failed.
measure() {
  if ! /usr/bin/time -o "$WORK/time.out" -f "%M" "$@" >"$WORK/cmd.out" 2>&1; then
    echo "failed: $*" >&2; cat "$WORK/cmd.out" >&2; exit 1
  fi
  cat "$WORK/time.out"
}

# Warm-up, not measured: the tree and the vault in the page cache.
# GNU tar reads no file contents when the archive is /dev/null: write the
# archive to a pipe so that every byte is really read (wc counts them).
echo "warm-up read: $(tar -cf - -C "$TREE" . | wc -c) + $(tar -cf - -C "$WORK" "$(basename "$VAULT")" | wc -c) bytes" >&2; sync

declare -a TAR_C EXP EXP_RSS TAR_X RES RES_RSS
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  rm -f "$WORK/tree.tar" "$WORK/export.tar"; sync
  t0=$(now); tar -cf "$WORK/tree.tar" -C "$TREE" .; sync; t1=$(now)
  TAR_C+=("$(echo "$t1 - $t0" | bc)")

  t0=$(now); rss=$(measure "$HF" --vault "$VAULT" export --format archive --to "$WORK/export.tar"); sync; t1=$(now)
  EXP+=("$(echo "$t1 - $t0" | bc)"); EXP_RSS+=("$rss")
  rm -f "$WORK/export.tar"

  rm -rf "$WORK/untar" && mkdir -p "$WORK/untar"; sync
  t0=$(now); tar -xf "$WORK/tree.tar" -C "$WORK/untar"; sync; t1=$(now)
  TAR_X+=("$(echo "$t1 - $t0" | bc)")
  rm -rf "$WORK/untar" "$WORK/tree.tar"

  rm -rf "$RESTORED" && mkdir -p "$RESTORED"; sync
  t0=$(now); rss=$(measure "$HF" --vault "$VAULT" --config "$RESTORE_CONFIG" restore-device); sync; t1=$(now)
  RES+=("$(echo "$t1 - $t0" | bc)"); RES_RSS+=("$rss")
  restored_files=$(find "$RESTORED" -type f | wc -l)
  [ "$restored_files" -eq "$FILES" ] || { echo "restore wrote $restored_files files, expected $FILES" >&2; exit 1; }
  rm -rf "$RESTORED"
done

tar_c=$(median "${TAR_C[@]}"); exp_s=$(median "${EXP[@]}")
tar_x=$(median "${TAR_X[@]}"); res_s=$(median "${RES[@]}")
exp_rss=$(max "${EXP_RSS[@]}"); res_rss=$(max "${RES_RSS[@]}")

cat <<MD
### Export and restore, \`$PROFILE\` handset ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(df -T "$WORK" | awk 'NR==2 {print $2}'))

$FILES files, $(fmt "$(echo "$BYTES / 1048576" | bc -l)") MiB; $RUNS runs, medians (all runs: export ${EXP[*]} s; tar -cf ${TAR_C[*]} s; restore ${RES[*]} s; tar -xf ${TAR_X[*]} s).

| measure | holdfast | baseline | ratio | target |
|---|---|---|---|---|
| \`export --format archive\` (+ sync) vs \`tar -cf\` of the tree + \`sync\` | $(fmt "$exp_s") s | $(fmt "$tar_c") s | $(fmt "$(echo "$exp_s / $tar_c" | bc -l)") | ≤ 2.0 |
| \`restore-device\` into an empty tree (+ sync) vs \`tar -xf\` + \`sync\` | $(fmt "$res_s") s | $(fmt "$tar_x") s | $(fmt "$(echo "$res_s / $tar_x" | bc -l)") | ≤ 2.0 |
| peak RSS, export | $(fmt "$(echo "$exp_rss / 1024" | bc -l)") MiB | | | |
| peak RSS, restore-device | $(fmt "$(echo "$res_rss / 1024" | bc -l)") MiB | | | |
MD
