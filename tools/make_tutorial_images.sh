#!/usr/bin/env bash
# Regenerates the pictures of doc/tutorials/ with the module's own samples on a CamVid val image:
#   segment_overlay.png  escrf_segment with the shipped head (models/escrf_espnet_camvid.yml)
#   superpixels.png      escrf_slic with the shipped head's superpixel settings
# then stores them as 256-colour PNGs (Debian's python3-pil) to keep each well under 200 KB.
# Needs a build with the samples (ESCRF_BUILD_DIR, default ./build) and ../shared
# (ESCRF_SHARED_DIR). training_curves.png is a copy of doc/images/camvid_escrf_curves.png, the
# curves escrf_train wrote for the shipped head (doc/results.md), so that the tutorial folder is
# self-contained for Markdown viewers as well as Doxygen.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
shared="${ESCRF_SHARED_DIR:-$root/../shared}"
out="$root/doc/tutorials/images"
image="$shared/data/camvid/val/0016E5_07959.png"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
"$build/bin/escrf_segment" --head="$root/models/escrf_espnet_camvid.yml" \
    --backbone="$shared/models/espnet_camvid.yml" --input="$image" \
    --output="$tmp/labels.png" --overlay="$tmp/segment_overlay.png"
"$build/bin/escrf_slic" --input="$image" --output="$tmp/superpixels.png" \
    --superpixels=2500 --algorithm=slic --ruler=5
cp "$root/doc/images/camvid_escrf_curves.png" "$out/training_curves.png"
/usr/bin/python3 - "$tmp" "$out" <<'PY'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for name in ("segment_overlay.png", "superpixels.png"):
    img = Image.open(os.path.join(src, name)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(os.path.join(dst, name), optimize=True)
    print("%s: %d bytes" % (name, os.path.getsize(os.path.join(dst, name))))
PY
