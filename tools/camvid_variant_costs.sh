#!/usr/bin/env bash
# Per-image training and inference costs of the head variants at CamVid size, from short
# escrf_train runs (the first N train images and their flips, one epoch) and escrf_eval on the
# first N val images, all variants interleaved in each round so that the machine's load affects
# them alike (doc/performance.md, "Comparison variants in the head"). Prints one line per variant
# and round: train seconds per sample (the epoch's step time), validation seconds per image (run
# with --val minus run without), inference milliseconds per image (escrf_eval: backbone,
# superpixels when the head needs them, head, resize).
#
#   bash tools/camvid_variant_costs.sh [rounds] [images]      (default 2 rounds, 48 images)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
shared="${ESCRF_SHARED_DIR:-$root/../shared}"
out="${ESCRF_EXPERIMENTS:-$PWD/camvid_costs}"
rounds="${1:-2}"
n="${2:-48}"
mkdir -p "$out"
bb="$shared/models/espnet_camvid.yml"
train="$shared/data/camvid/train.txt"
val="$shared/data/camvid/val.txt"
declare -A opts=(
  [baseline]="--variant=baseline"
  [escrf]="--variant=escrf"
  [joint-crf-f3]="--variant=joint-crf --crf-factor=3"
  [joint-crf-f4]="--variant=joint-crf --crf-factor=4"
  [nonlocal-f8]="--variant=nonlocal --nonlocal-factor=8"
)
names=(baseline escrf joint-crf-f3 joint-crf-f4 nonlocal-f8)
run() {   # name, extra args...; prints the epoch's train seconds, then the wall seconds
  local name=$1; shift
  local t0 t1 log
  t0=$(date +%s.%N)
  log=$("$build/bin/escrf_train" --backbone="$bb" --train="$train" ${opts[$name]} --out="$out/$name.yml" \
        --cache-dir="$out/cache" --max-images="$n" --epochs=1 "$@" 2>&1 | tr '\r' '\n')
  t1=$(date +%s.%N)
  echo "$(echo "$log" | sed -n 's/^epoch 1\/1: .*, \([0-9.]*\) s.*/\1/p') $(echo "$t1 - $t0" | bc)"
}
for name in "${names[@]}"; do run "$name" --val="$val" >/dev/null; done   # fills the cache
for r in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    read -r trainS wallVal < <(run "$name" --val="$val")
    read -r _ wallNoVal < <(run "$name")
    ms=$("$build/bin/escrf_eval" --head="$out/$name.yml" --backbone="$bb" --list="$val" --max-images="$n" \
         | sed -n 's/^\([0-9]*\) images, \([0-9.]*\) ms per image/\2/p')
    printf "round %d %-14s train %.3f s/sample  val %.3f s/image  infer %s ms/image  (load %s)\n" "$r" "$name" \
      "$(echo "$trainS / (2 * $n)" | bc -l)" "$(echo "($wallVal - $wallNoVal) / $n" | bc -l)" "$ms" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
