#!/usr/bin/env bash
# Installs the Debian packages the module needs to build and test (idempotent, quiet).
# Runs apt-get only when something is missing. With the argument "sanitizers" it also installs
# Clang 14 and its runtimes (AddressSanitizer, UndefinedBehaviorSanitizer, libFuzzer) for the
# sanitized build and the fuzzers of .ci/run and tools/fuzz.sh.
set -euo pipefail
pkgs=(cmake g++ make pkg-config libopencv-dev libopencv-contrib-dev libgtest-dev libbenchmark-dev)
if [ "${1:-}" = sanitizers ]; then
  pkgs+=(clang-14 libclang-rt-14-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "escrf: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
