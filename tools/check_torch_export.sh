#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch) when /usr/bin/python3 lacks it, then runs the CTest
# entry Escrf_TorchExport.parity of a built tree (ESCRF_BUILD_DIR, default ./build):
# tools/escrf_torch.py checks its PyTorch block on the parity fixtures and runs the exported ONNX
# ESCRF node through cv::dnn. Fails if the entry fails; without ../shared's parity fixtures it
# is skipped, as the C++ parity tests are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
if ! /usr/bin/python3 -c "import torch, yaml" 2>/dev/null; then
  echo "escrf torch export: installing python3-torch"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-yaml >/dev/null
fi
ctest --test-dir "$build" -R '^Escrf_TorchExport\.' --no-tests=error --output-on-failure
