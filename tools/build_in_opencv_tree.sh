#!/usr/bin/env bash
# Builds the escrf module and its Python bindings (cv2.escrf) INSIDE an OpenCV 4.6 source tree,
# then runs the C++ accuracy tests, the Python tests (misc/python/test, through OpenCV's own
# runner modules/python/test/test.py), the Python sample samples/escrf_segment.py once, and the
# perf program once per case through OpenCV's modules/ts/misc/run.py --check.
#
# Usage: tools/build_in_opencv_tree.sh [work_dir]
#   work_dir (sources, build, logs) defaults to ./opencv-intree-build, or to
#   ../opencv-intree-build next to the repository when run from inside it (keeps the
#   ~500 MB of sources and objects out of the working tree).
#
# The OpenCV sources are Debian 12's "opencv" source package (4.6.0, opencv_contrib in its
# contrib/ folder). Each step is skipped when already done, so the script can be re-run
# after editing the module: it then only recompiles escrf.
#
# Environment:
#   JOBS=2            parallel compile jobs (the build runs under `nice -n 10`)
#   PYTHON=/usr/bin/python3  interpreter the bindings are built for; it needs numpy (Debian's
#                     python3-numpy); a pyenv/venv python without numpy makes OpenCV skip python3
#   ESCRF_SHARED_DIR  test data folder (default: ../shared next to the repository)
#   GTEST_FILTER      optional gtest filter for the C++ test run
#   SKIP_TESTS=1      build only
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${1:-}" ]; then
  WORK=$1
else
  case "$PWD/" in
    "$REPO"/*) WORK="$(dirname "$REPO")/opencv-intree-build" ;;
    *) WORK="$PWD/opencv-intree-build" ;;
  esac
fi
WORK=$(mkdir -p "$WORK" && cd "$WORK" && pwd)
JOBS=${JOBS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD="$WORK/build"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
log() { echo "[escrf in-tree] $*"; }
t0=$(date +%s)

# --- 1. build tools and system libraries (3rdparty codecs and protobuf are not bundled);
# python3-dev and python3-numpy for the bindings
pkgs=(dpkg-dev cmake g++ ninja-build ccache libprotobuf-dev protobuf-compiler zlib1g-dev libpng-dev libjpeg-dev
      python3-dev python3-numpy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$PYTHON" -c "import numpy" 2>/dev/null ||
  { echo "$PYTHON cannot import numpy: set PYTHON to an interpreter with numpy (Debian: /usr/bin/python3)" >&2; exit 1; }

# --- 2. OpenCV 4.6 + contrib sources (Debian source package), fetched once
SRC=$(ls -d "$WORK"/opencv-4.6.0*/ 2>/dev/null | head -n1 || true)
if [ -z "$SRC" ]; then
  if [ -z "$(apt-cache showsrc opencv 2>/dev/null | grep -m1 '^Version: 4\.6\.')" ]; then
    # deb-src entries for bookworm main, in a file of their own.
    log "adding deb-src for Debian 12 (bookworm) main"
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
      "Suites: bookworm bookworm-updates" "Components: main" \
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
      $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    $SUDO apt-get update -qq
  fi
  log "apt-get source opencv in $WORK"
  (cd "$WORK" && apt-get source -qq opencv > "$WORK/apt-source.log" 2>&1) ||
    { cat "$WORK/apt-source.log" >&2; exit 1; }
  SRC=$(ls -d "$WORK"/opencv-4.6.0*/ | head -n1)
fi
SRC=${SRC%/}
CONTRIB="$SRC/contrib/modules"
[ -f "$CONTRIB/ximgproc/CMakeLists.txt" ] || { echo "ximgproc not found in $CONTRIB" >&2; exit 1; }
log "OpenCV sources: $SRC (contrib: $CONTRIB)"

# --- 3. a modules folder holding escrf -> this repository
# (OPENCV_EXTRA_MODULES_PATH entries are either a module folder or a folder of modules.)
mkdir -p "$WORK/extra-modules"
ln -sfn "$REPO" "$WORK/extra-modules/escrf"

# --- 4. configure: only the modules escrf needs (BUILD_LIST pulls their dependencies), python3
# (the cv2 extension) and python_tests (writes opencv_python_tests.cfg, the list of
# misc/python/test folders that OpenCV's Python test runner reads; BUILD_LIST would drop it)
CCACHE=()
command -v ccache >/dev/null && CCACHE=(-DENABLE_CCACHE=ON)
cmake -S "$SRC" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_LIST=core,imgproc,imgcodecs,dnn,ximgproc,ts,escrf,python3,python_tests \
  -DOPENCV_EXTRA_MODULES_PATH="$CONTRIB;$WORK/extra-modules" \
  -DBUILD_TESTS=ON -DBUILD_PERF_TESTS=ON -DBUILD_EXAMPLES=ON \
  -DBUILD_opencv_apps=OFF -DBUILD_opencv_python2=OFF -DBUILD_opencv_python3=ON \
  -DPYTHON3_EXECUTABLE="$PYTHON" -DPYTHON_DEFAULT_EXECUTABLE="$PYTHON" \
  -DBUILD_JAVA=OFF -DBUILD_DOCS=OFF \
  -DBUILD_PROTOBUF=OFF -DWITH_PROTOBUF=ON -DPROTOBUF_UPDATE_FILES=ON \
  -DBUILD_ZLIB=OFF -DBUILD_PNG=OFF -DBUILD_JPEG=OFF -DBUILD_TIFF=OFF -DBUILD_WEBP=OFF \
  -DBUILD_OPENJPEG=OFF -DBUILD_OPENEXR=OFF -DBUILD_JASPER=OFF \
  -DWITH_PNG=ON -DWITH_JPEG=ON -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF \
  -DWITH_OPENEXR=OFF -DWITH_JASPER=OFF -DWITH_IMGCODEC_HDR=ON \
  -DWITH_CUDA=OFF -DWITH_OPENCL=OFF -DWITH_IPP=OFF -DWITH_ITT=OFF -DWITH_ADE=OFF \
  -DWITH_CAROTENE=OFF -DWITH_QUIRC=OFF -DWITH_EIGEN=OFF -DWITH_LAPACK=OFF -DWITH_TBB=OFF \
  -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_GPHOTO2=OFF \
  -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_VTK=OFF -DWITH_OPENGL=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF \
  -DWITH_GDAL=OFF -DWITH_GDCM=OFF -DWITH_OPENVINO=OFF -DWITH_NGRAPH=OFF \
  -DCPU_DISPATCH= \
  -DENABLE_PRECOMPILED_HEADERS=OFF \
  -DOPENCV_DOWNLOAD_TRIES_LIST= \
  "${CCACHE[@]}" > "$WORK/configure.log"
grep -E "^--     To be built:|^--     (Interpreter|numpy):" "$WORK/configure.log" || true
grep -q "opencv_escrf" "$BUILD/CMakeCache.txt" || { echo "escrf was not registered, see $WORK/configure.log" >&2; exit 1; }
grep -E "^--     To be built:" "$WORK/configure.log" | grep -qw python3 ||
  { echo "python3 is not built (no numpy or no Python.h for $PYTHON?), see $WORK/configure.log" >&2; exit 1; }

# --- 5. build the module, its tests, perf tests, samples (whichever exist) and cv2
targets=(opencv_escrf opencv_test_escrf opencv_python3)
all_targets=$(ninja -C "$BUILD" -t targets all | cut -d: -f1)
grep -qx opencv_perf_escrf <<<"$all_targets" && targets+=(opencv_perf_escrf)
grep -qx opencv_samples_escrf <<<"$all_targets" && targets+=(opencv_samples_escrf)
log "building ${targets[*]} with $JOBS jobs (log: $WORK/build.log)"
tb=$(date +%s)
if ! nice -n 10 ninja -C "$BUILD" -j "$JOBS" "${targets[@]}" > "$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log" >&2
  echo "build failed, see $WORK/build.log" >&2
  exit 1
fi
log "build took $(( $(date +%s) - tb )) s"

TEST_BIN="$BUILD/bin/opencv_test_escrf"
log "test binary: $TEST_BIN"
[ -x "$BUILD/bin/opencv_perf_escrf" ] && log "perf binary: $BUILD/bin/opencv_perf_escrf"
ls "$BUILD"/bin/example_escrf_* 2>/dev/null | sed 's/^/[escrf in-tree] sample: /' || true
# OpenCV's python_loader package finds the extension (lib/python3) and the libraries (lib).
export PYTHONPATH="$BUILD/python_loader${PYTHONPATH:+:$PYTHONPATH}"
log "cv2: $("$PYTHON" -c 'import cv2; print(cv2.__version__, cv2.__file__, "escrf" if hasattr(cv2, "escrf") else "NO escrf")')"

[ "${SKIP_TESTS:-0}" = 1 ] && { log "done in $(( $(date +%s) - t0 )) s"; exit 0; }
unset OPENCV_TEST_DATA_PATH
export ESCRF_SHARED_DIR=${ESCRF_SHARED_DIR:-$(cd "$REPO/.." && pwd)/shared}
failed=()

# --- 6. the C++ accuracy tests (OpenCV's own test data is not needed)
log "running C++ tests (ESCRF_SHARED_DIR=$ESCRF_SHARED_DIR)"
tt=$(date +%s)
"$TEST_BIN" ${GTEST_FILTER:+--gtest_filter=$GTEST_FILTER} || failed+=("C++ tests")
log "C++ tests took $(( $(date +%s) - tt )) s"

# --- 7. the Python tests, through OpenCV's runner: it reads opencv_python_tests.cfg from the
# current folder and discovers test_*.py in every listed misc/python/test folder; the filter
# keeps it to test_escrf.py (OpenCV's own Python tests want its sample images).
log "running Python tests (OpenCV's modules/python/test/test.py, filter test_escrf)"
tt=$(date +%s)
(cd "$BUILD" && OPENCV_PYTEST_FILTER=test_escrf "$PYTHON" "$SRC/modules/python/test/test.py" --repo "$SRC" -v) ||
  failed+=("Python tests")
log "Python tests took $(( $(date +%s) - tt )) s"

# --- 8. the Python sample, once: the shipped head on a CamVid image when the data is there,
# otherwise on a generated scene with a toy head that the C++ demo trains in a few seconds
out="$WORK/python_sample"
mkdir -p "$out"
if [ -f "$ESCRF_SHARED_DIR/models/espnet_camvid.yml" ]; then
  sample_args=(--head "$REPO/models/escrf_espnet_camvid.yml" --backbone "$ESCRF_SHARED_DIR/models/espnet_camvid.yml"
               --input "$ESCRF_SHARED_DIR/data/camvid/val/0016E5_07959.png")
else
  "$BUILD/bin/example_escrf_escrf_demo" --toy-model="$REPO/test/data/escrf_tiny_backbone.onnx" \
      --work="$out/toy" --output="$out/toy/demo_overlay.png" > "$out/toy_demo.log"
  sample_args=(--head "$out/toy/toy_escrf_head.yml" --input "$out/toy/input.png")
fi
log "running samples/escrf_segment.py ${sample_args[*]}"
"$PYTHON" "$REPO/samples/escrf_segment.py" "${sample_args[@]}" \
    --output "$out/labels.png" --overlay "$out/overlay.png" || failed+=("Python sample")

# --- 9. the perf program through OpenCV's run.py, one sample per case (--check): every case
# runs; timings are for doc/performance.md's commands, not for this check
if [ -x "$BUILD/bin/opencv_perf_escrf" ]; then
  log "running opencv_perf_escrf through modules/ts/misc/run.py --check (XML in $WORK/perf_check)"
  tt=$(date +%s)
  mkdir -p "$WORK/perf_check"
  "$PYTHON" "$SRC/modules/ts/misc/run.py" -t escrf --check -w "$WORK/perf_check" "$BUILD" ||
    failed+=("perf check")
  log "perf check took $(( $(date +%s) - tt )) s"
fi

log "done in $(( $(date +%s) - t0 )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "[escrf in-tree] FAILED: ${failed[*]}" >&2
  exit 1
fi
