// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_SUPERPIXELS_HPP
#define OPENCV_ESCRF_SUPERPIXELS_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {

//! @addtogroup escrf
//! @{

/** @defgroup escrf_superpixels Superpixels and their label maps at feature resolution
@ingroup escrf
@{
*/

//! Superpixel algorithm; the values are those of cv::ximgproc::SLICType.
enum SuperpixelAlgorithm
{
    SUPERPIXEL_SLIC  = 100, //!< SLIC with a fixed compactness (ruler)
    SUPERPIXEL_SLICO = 101, //!< zero-parameter SLIC: adaptive compactness per superpixel
    SUPERPIXEL_MSLIC = 102  //!< manifold SLIC (CPU only)
};

//! Where superpixels are computed.
enum SuperpixelDevice
{
    SUPERPIXEL_DEVICE_CPU  = 0, //!< cv::ximgproc::SuperpixelSLIC
    SUPERPIXEL_DEVICE_CUDA = 1  //!< the module's CUDA SLIC (same algorithm and label contract)
};

/** @brief Parameters of the superpixel segmentation that guides the ES-CRF superpixel prior.

The defaults follow the ES-CRF paper for street scenes (600 superpixels, SLICO).
*/
struct CV_EXPORTS_W_SIMPLE SuperpixelParams
{
    CV_WRAP SuperpixelParams();

    CV_PROP_RW int algorithm;           //!< SuperpixelAlgorithm, default SUPERPIXEL_SLICO
    CV_PROP_RW int numSuperpixels;      //!< wanted number of superpixels (> 0), default 600
    CV_PROP_RW float ruler;             //!< SLIC compactness (> 0), default 10
    CV_PROP_RW int iterations;          //!< SLIC iterations (> 0), default 10
    CV_PROP_RW bool enforceConnectivity;//!< merge small disconnected pieces, default true
    CV_PROP_RW int minElementSize;      //!< minimum piece size in percent of the mean superpixel, default 25
    CV_PROP_RW int blurKernel;          //!< Gaussian pre-blur kernel (odd, 0 = none), default 3
    CV_PROP_RW int device;              //!< SuperpixelDevice, default SUPERPIXEL_DEVICE_CPU
};

/** @brief Computes superpixels of an 8-bit BGR image.

@param image CV_8UC3 BGR image (as cv::imread returns it), not empty; a ROI gives the labels of
its clone.
@param labels output CV_32SC1 label map of the image size, labels contiguous in 0..M-1.
@param params superpixel parameters.
@return M, the number of superpixels.

The CPU path blurs the image, converts it to Lab and runs cv::ximgproc::createSuperpixelSLIC
with region size sqrt(W*H / numSuperpixels); labels are then renumbered in raster order of
their first pixel so that the result is deterministic and contiguous.
*/
CV_EXPORTS_W int computeSuperpixels(InputArray image, OutputArray labels,
                                    const SuperpixelParams& params = SuperpixelParams());

/** @brief Superpixel label of each feature cell, the reference (nearest) way.

Exactly cv::resize(labels, featureSize, 0, 0, INTER_NEAREST), as the specification says:
cellLabels(y, x) = labels(floor(y * H / h), floor(x * W / w)) with the ratios evaluated in double
precision as OpenCV does (for a few non-integer ratios, e.g. W = 26, w = 10, x = 5, this gives
12 where exact arithmetic would give 13; the PyTorch reference agrees with OpenCV).

@param labels CV_32SC1 H x W label map.
@param featureSize w x h, at most the size of labels.
@param cellLabels output CV_32SC1 h x w map.
*/
CV_EXPORTS_W void downsampleLabelsNearest(InputArray labels, Size featureSize, OutputArray cellLabels);

/** @brief Area-weighted (soft) assignment of feature cells to superpixels.

Feature cell i = (x, y) of an h x w map covers the image rectangle
[x W/w, (x+1) W/w) x [y H/h, (y+1) H/h), which may cut pixels when the scale is not an
integer; A[i,s] is the fraction of that rectangle's area (pixels weighted by their covered
part) that lies in superpixel s, so that sum_s A[i,s] = 1. Stored as sparse per-cell lists
(CSR): the entries of cell i are [offsets[i], offsets[i+1]).
*/
struct CV_EXPORTS SoftAssignment
{
    int numCells = 0;             //!< N = w * h
    int numSuperpixels = 0;       //!< M
    std::vector<int> offsets;     //!< N + 1 entries
    std::vector<int> superpixel;  //!< superpixel index of each entry
    std::vector<float> weight;    //!< A[i,s] of each entry, > 0
};

/** @brief Computes the area-weighted assignment of the cells of a featureSize map.
@param labels CV_32SC1 label map with labels in 0..numSuperpixels-1.
@param numSuperpixels M (> 0); a label outside [0, M) is an error.
@param featureSize w x h, at most the size of labels.
@param assignment output.
*/
CV_EXPORTS void computeSoftAssignment(InputArray labels, int numSuperpixels, Size featureSize,
                                      SoftAssignment& assignment);

//! @}
//! @}

}} // namespace cv::escrf

#endif
