// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Internal helpers of the superpixel stage shared by the CPU and CUDA paths (and the tests).
#ifndef OPENCV_ESCRF_SUPERPIXELS_DETAIL_HPP
#define OPENCV_ESCRF_SUPERPIXELS_DETAIL_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! The largest superpixel parameters accepted (a head file carries them): far above useful values
//! (600 to 2500 superpixels, 10 iterations, kernels of 3 to 7, rulers of 5 to 40).
enum SuperpixelLimits
{
    kMaxSuperpixels = 1 << 20,
    kMaxSlicIterations = 1000,
    kMaxBlurKernel = 31,
    kMaxRuler = 1000000
};

//! Throws cv::Exception naming the first bad field of p for an image of imageSize; an empty
//! imageSize checks what does not depend on the image (a head's configuration).
CV_EXPORTS void checkSuperpixelParams(const SuperpixelParams& p, Size imageSize);

//! SLIC grid step: round(sqrt(W*H / numSuperpixels)), at least 1.
CV_EXPORTS int superpixelRegionSize(Size imageSize, int numSuperpixels);

//! Renumbers a CV_32SC1 map of labels >= 0 to 0..M-1 in raster order of first appearance; returns M.
CV_EXPORTS int renumberLabelsRasterOrder(Mat& labels);

/** SLIC centres: one row per centre, columns L, a, b, x, y (CV_32FC1, K x 5), on a gx x gy
grid; centre (i, j) is row j*gx + i. The grid has gx = max(1, round(W/S)) columns and
gy = max(1, round(H/S)) rows for step S, and pixel (x, y) belongs to grid cell
(floor(x*gx/W), floor(y*gy/H)). */
struct SlicGrid
{
    int gx = 0, gy = 0;
    float step = 1.f;
};

CV_EXPORTS SlicGrid makeSlicGrid(Size imageSize, int regionSize);

/** Initial centres of a CV_8UC3 continuous Lab image: the Lab value and position of the pixel
at the middle of each grid cell (slicdev::SlicInitCentre). */
CV_EXPORTS void initSlicCentres(const Mat& lab, const SlicGrid& grid, Mat& centres);

/** One SLIC assignment step on the CPU: each pixel of a CV_8UC3 Lab image takes the nearest of
the (up to) 2x2 centres around it (slicdev::candidateCells), distance dc2 * invColorScale[k] + ds2 *
invSpatialScale (dc2, ds2: squared Lab and xy distances), lowest centre index on ties; the
float operations of the GPU kernel in its order, so both give identical labels. */
CV_EXPORTS void slicAssignCpu(const Mat& lab, const Mat& centres, const SlicGrid& grid,
                              const std::vector<float>& invColorScale, float invSpatialScale,
                              Mat& labels);

/** The module's SLIC / SLICO of a CV_8UC3 continuous Lab image on the CPU
(src/superpixels/slic_cpu.cpp): grid init, params.iterations x (assign, update), then
connectivity enforcement when enabled. SLIC: d = dc2 + ds2 (ruler/S)^2; SLICO:
d = dc2 / maxDc2[k] + ds2 / S^2 with maxDc2[k] the largest colour distance in superpixel k at
the previous iteration (100 at the start), as in ximgproc. labels: CV_32SC1, renumbered in
raster order; returns their number M. The labels equal those of the GPU pipeline
(emulateGpuSlic, after renumbering) bit for bit and do not depend on the number of threads. */
CV_EXPORTS int runSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params);

/** Blur (blurKernel as SuperpixelParams::blurKernel) and 8-bit Lab of a CV_8UC3 BGR image on
the CPU: cv::GaussianBlur and the device's fixed-point Lab, so equal to emulateGpuBlurLab. A
ROI is processed as an image of its own. */
CV_EXPORTS void slicBlurLab(const Mat& bgr, int blurKernel, Mat& lab);

//! Smallest piece that connectivity enforcement keeps: percent of the mean superpixel area.
CV_EXPORTS int slicMinPieceSize(Size imageSize, int numCentres, int percent);

/** Relabels pieces that are not 4-connected to their superpixel: every 4-connected piece
smaller than minSize pixels takes the label of the piece met just before it (its left or
upper neighbour in raster order), as SLIC's EnforceLabelConnectivity does. Labels are
renumbered to 0..M-1 in raster order; returns M. */
CV_EXPORTS int enforceLabelConnectivity(Mat& labels, int minSize);

}}} // namespace cv::escrf::detail

#endif
