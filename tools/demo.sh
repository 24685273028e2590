#!/usr/bin/env bash
# The README's main command: builds the module, then segments an image end to end and writes
# a colour overlay (escrf_demo_overlay.png) and the label map (escrf_demo_labels.png).
#
#  * When the ESPNet CamVid backbone is available ($ESCRF_SHARED_DIR, default ../shared) the
#    head trained by escrf_train that ships in models/ segments a CamVid image (or $1).
#  * Otherwise the demo is self-contained: a toy ONNX backbone from test/data, a head
#    trained for a few seconds on generated scenes, and a generated input (or $1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
mkdir -p "$build"
bash "$root/tools/build.sh" >"$build/escrf-demo-build.log" 2>&1 || { tail -n 40 "$build/escrf-demo-build.log"; exit 1; }
shared="${ESCRF_SHARED_DIR:-$root/../shared}"
head="$root/models/escrf_espnet_camvid.yml"
out=(--output=escrf_demo_overlay.png --labels=escrf_demo_labels.png)
if [ -f "$shared/models/espnet_camvid.yml" ] && [ -f "$head" ]; then
  input="${1:-$shared/data/camvid/val/0016E5_07959.png}"
  "$build/bin/escrf_demo" --backbone="$shared/models/espnet_camvid.yml" --head="$head" --input="$input" "${out[@]}"
else
  [ -d "$shared" ] || echo "escrf demo: no data folder at $shared; running the self-contained toy demo"
  args=(--toy-model="$root/test/data/escrf_tiny_backbone.onnx" --work="${TMPDIR:-/tmp}/escrf_demo_work")
  [ $# -ge 1 ] && args+=(--input="$1")
  "$build/bin/escrf_demo" "${args[@]}" "${out[@]}"
fi
