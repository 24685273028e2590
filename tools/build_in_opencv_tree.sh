#!/usr/bin/env bash
# Builds the escrf module INSIDE an OpenCV 4.6 source tree and runs its accuracy tests.
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
#   ESCRF_SHARED_DIR  test data folder (default: ../shared next to the repository)
#   GTEST_FILTER      optional gtest filter for the test run
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
BUILD="$WORK/build"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
log() { echo "[escrf in-tree] $*"; }
t0=$(date +%s)

# --- 1. build tools and system libraries (3rdparty codecs and protobuf are not bundled)
pkgs=(dpkg-dev cmake g++ ninja-build ccache libprotobuf-dev protobuf-compiler zlib1g-dev libpng-dev libjpeg-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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

# --- 4. configure: only the modules escrf needs (BUILD_LIST pulls their dependencies)
CCACHE=()
command -v ccache >/dev/null && CCACHE=(-DENABLE_CCACHE=ON)
cmake -S "$SRC" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_LIST=core,imgproc,imgcodecs,dnn,ximgproc,ts,escrf \
  -DOPENCV_EXTRA_MODULES_PATH="$CONTRIB;$WORK/extra-modules" \
  -DBUILD_TESTS=ON -DBUILD_PERF_TESTS=ON -DBUILD_EXAMPLES=ON \
  -DBUILD_opencv_apps=OFF -DBUILD_opencv_python2=OFF -DBUILD_opencv_python3=OFF \
  -DBUILD_JAVA=OFF -DBUILD_DOCS=OFF -DOPENCV_PYTHON_SKIP_DETECTION=ON \
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
grep -E "^--     To be built:" "$WORK/configure.log" || true
grep -q "opencv_escrf" "$BUILD/CMakeCache.txt" || { echo "escrf was not registered, see $WORK/configure.log" >&2; exit 1; }

# --- 5. build the module, its tests, perf tests and samples (whichever exist)
targets=(opencv_escrf opencv_test_escrf)
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

# --- 6. run the accuracy tests (OpenCV's own test data is not needed)
if [ "${SKIP_TESTS:-0}" != 1 ]; then
  unset OPENCV_TEST_DATA_PATH
  export ESCRF_SHARED_DIR=${ESCRF_SHARED_DIR:-$(cd "$REPO/.." && pwd)/shared}
  log "running tests (ESCRF_SHARED_DIR=$ESCRF_SHARED_DIR)"
  "$TEST_BIN" ${GTEST_FILTER:+--gtest_filter=$GTEST_FILTER}
fi
log "done in $(( $(date +%s) - t0 )) s"
