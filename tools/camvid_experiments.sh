#!/usr/bin/env bash
# Reproduces the CamVid table of doc/results.md: trains each head variant on train.txt with
# the same features, solver and epochs (escrf_train's defaults), scores it on val.txt with
# escrf_eval, and prints one line per variant. Also scores the backbone alone.
#
#   bash tools/camvid_experiments.sh [variant ...]
#       (default: baseline pairwise superpixel escrf joint-crf nonlocal)
#
# Needs ../shared (or $ESCRF_SHARED_DIR). Heads, logs (.csv), curves (.png) and val predictions
# go to $ESCRF_EXPERIMENTS (default ./camvid_experiments); backbone outputs and superpixels are
# cached in its cache/ folder and reused by later runs. One variant takes at most 15 minutes on
# a 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
shared="${ESCRF_SHARED_DIR:-$root/../shared}"
out="${ESCRF_EXPERIMENTS:-$PWD/camvid_experiments}"
[ -f "$shared/models/espnet_camvid.yml" ] || { echo "no $shared/models/espnet_camvid.yml: set ESCRF_SHARED_DIR"; exit 1; }
bash "$root/tools/build.sh" >/dev/null
mkdir -p "$out"
bb="$shared/models/espnet_camvid.yml"
train="$shared/data/camvid/train.txt"
val="$shared/data/camvid/val.txt"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(baseline pairwise superpixel escrf joint-crf nonlocal)

echo "backbone alone: $("$build/bin/escrf_eval_backbone" --backbone="$bb" --list="$val" | tail -n 1)"
for v in "${variants[@]}"; do
  start=$(date +%s)
  "$build/bin/escrf_train" --backbone="$bb" --train="$train" --val="$val" --variant="$v" \
      --out="$out/$v.yml" --cache-dir="$out/cache" 2>"$out/$v.log"
  minutes=$(( ($(date +%s) - start + 59) / 60 ))
  score=$("$build/bin/escrf_eval" --head="$out/$v.yml" --backbone="$bb" --list="$val" \
      --pred-dir="$out/pred_$v" | tail -n 1)
  echo "$v: $score (training ${minutes} min)"
done

# The vanilla-crf comparison: DenseCRF (the issue's reference parameters) after the backbone
# and after the baseline head, at inference only.
echo "backbone + DenseCRF: $("$build/bin/escrf_crf_eval" --backbone="$bb" --list="$val" --crf-threads=0 | tail -n 1)"
if [ -f "$out/baseline.yml" ]; then
  echo "vanilla-crf (baseline + DenseCRF): $("$build/bin/escrf_eval" --head="$out/baseline.yml" --backbone="$bb" \
      --list="$val" --crf | tail -n 1)"
fi
