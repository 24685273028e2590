// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Internal helpers of the superpixel stage shared by the CPU and CUDA paths (and the tests).
#ifndef OPENCV_ESCRF_SUPERPIXELS_DETAIL_HPP
#define OPENCV_ESCRF_SUPERPIXELS_DETAIL_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include <functional>
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

/** Initial centres: the Lab value and position of the pixel at the middle of each grid cell. */
CV_EXPORTS void initSlicCentres(const Mat& lab, const SlicGrid& grid, Mat& centres);

/** SLIC assignment step, CPU reference: each pixel takes the nearest of the (up to) 3x3
centres around its grid cell, distance dc2 * invColorScale[k] + ds2 * invSpatialScale
(dc2, ds2: squared Lab and xy distances), lowest centre index on ties. lab is CV_8UC3 or
CV_32FC3 (read as float), invColorScale has one float per centre. The arithmetic is plain
float, in the order the CUDA kernel uses, so both give identical labels. */
CV_EXPORTS void slicAssignCpu(const Mat& lab, const Mat& centres, const SlicGrid& grid,
                              const std::vector<float>& invColorScale, float invSpatialScale,
                              Mat& labels);

/** SLIC update step: centres = mean Lab and position of their pixels (centres without pixels
keep their value); when maxColorDist2 is not null it receives, per centre, the largest
squared Lab distance of its pixels to the new centre (SLICO's adaptive compactness). */
CV_EXPORTS void slicUpdateCentres(const Mat& lab, const Mat& labels, Mat& centres,
                                  std::vector<float>* maxColorDist2);

//! The assignment step of runSlic: (lab, centres, grid, invColorScale, invSpatialScale, labels).
typedef std::function<void(const Mat&, const Mat&, const SlicGrid&, const std::vector<float>&, float, Mat&)> SlicAssignFn;

/** The module's SLIC / SLICO on a CV_8UC3 Lab image with a given assignment step (CPU
reference or CUDA kernel): grid init, params.iterations x (assign, update), then
connectivity enforcement when enabled. SLIC: d = dc2 + ds2 (ruler/S)^2; SLICO:
d = dc2 / maxDc2[k] + ds2 / S^2 with maxDc2[k] the largest colour distance in superpixel k at
the previous iteration (100 at the start), as in ximgproc. labels: CV_32SC1. */
CV_EXPORTS void runSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params, const SlicAssignFn& assign);

//! Smallest piece that connectivity enforcement keeps: percent of the mean superpixel area.
CV_EXPORTS int slicMinPieceSize(Size imageSize, int numCentres, int percent);

/** Relabels pieces that are not 4-connected to their superpixel: every 4-connected piece
smaller than minSize pixels takes the label of the piece met just before it (its left or
upper neighbour in raster order), as SLIC's EnforceLabelConnectivity does. Labels are
renumbered to 0..M-1 in raster order; returns M. */
CV_EXPORTS int enforceLabelConnectivity(Mat& labels, int minSize);

}}} // namespace cv::escrf::detail

#endif
