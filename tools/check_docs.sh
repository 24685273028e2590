#!/usr/bin/env bash
# Builds the API reference and the tutorials with Doxygen (doc/Doxyfile -> build/doc/html) and
# fails on any Doxygen warning or on a public entity outside the @defgroup tree
# (tools/check_doc_groups.py). Installs doxygen and bibtex (texlive-binaries) when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! command -v doxygen >/dev/null || ! command -v bibtex >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends doxygen texlive-binaries >/dev/null
fi
out="$(mktemp -d "${TMPDIR:-/tmp}/escrf-docs.XXXXXX")"
trap 'rm -rf "$out"' EXIT
rm -rf build/doc
# Doxygen runs bibtex on its own style and a copy of doc/escrf.bib in its working folder; without
# a TeX tree bibtex finds them only through these variables.
BSTINPUTS=. BIBINPUTS=. doxygen doc/Doxyfile >"$out/doxygen.log" 2>"$out/warnings.log" || {
  cat "$out/doxygen.log" "$out/warnings.log"; exit 1; }
if [ -s "$out/warnings.log" ]; then
  echo "escrf docs: doxygen warnings:"; cat "$out/warnings.log"; exit 1
fi
python3 tools/check_doc_groups.py build/doc/xml
echo "escrf docs: doxygen $(doxygen --version), no warnings; HTML in build/doc/html"
