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
    SUPERPIXEL_MSLIC = 102  //!< manifold SLIC (SUPERPIXEL_IMPL_XIMGPROC only)
};

/** @brief Which code computes the superpixels (orthogonal to where, SuperpixelDevice).

The two implementations follow the same parameters and label contract but are different SLIC
variants, so their superpixels differ: a head should run with the implementation it was trained
with (the head file records it).
*/
enum SuperpixelImplementation
{
    /** cv::ximgproc::SuperpixelSLIC (SLIC, SLICO, MSLIC) on the CPU: seeds on ximgproc's grid,
    moved to the lowest gradient of their 3x3 neighbourhood, search windows of 2S x 2S around
    each centre. The reference, and what heads trained before the module had its own SLIC use. */
    SUPERPIXEL_IMPL_XIMGPROC = 0,
    /** The module's SLIC (SLIC and SLICO) on the CPU (SUPERPIXEL_DEVICE_CPU, SIMD and
    multi-threaded) or the GPU (SUPERPIXEL_DEVICE_CUDA): seeds at the grid cell middles, every
    pixel compared with the 2x2 centres whose cells surround it (each centre searches 2S x 2S
    around its initial position), 8-bit Lab in the module's fixed-point conversion. Both devices
    give the same labels, for any number of threads. */
    SUPERPIXEL_IMPL_ESCRF = 1
};

//! Where superpixels are computed.
enum SuperpixelDevice
{
    SUPERPIXEL_DEVICE_CPU  = 0, //!< on the CPU (either implementation)
    SUPERPIXEL_DEVICE_CUDA = 1  //!< on the GPU (SUPERPIXEL_IMPL_ESCRF only; same labels as its CPU path)
};

/** @brief Parameters of the superpixel segmentation that guides the ES-CRF superpixel prior.

The defaults follow the ES-CRF paper for street scenes (600 superpixels, SLICO), computed by the
module's SLIC on the CPU.
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
    CV_PROP_RW int implementation;      //!< SuperpixelImplementation, default SUPERPIXEL_IMPL_ESCRF
};

/** @brief Computes superpixels of an 8-bit BGR image.

@param image CV_8UC3 BGR image (as cv::imread returns it), not empty; a ROI gives the labels of
its clone.
@param labels output CV_32SC1 label map of the image size, labels contiguous in 0..M-1.
@param params superpixel parameters.
@return M, the number of superpixels.

Both implementations blur the image (Gaussian, params.blurKernel), convert it to 8-bit Lab, run
params.iterations SLIC iterations on a grid of step S = round(sqrt(W*H / numSuperpixels)),
merge 4-connected pieces smaller than minElementSize percent of the mean superpixel into a
neighbour when enforceConnectivity is set, and renumber the labels in raster order of their
first pixel, so that the result is deterministic and contiguous.
SUPERPIXEL_IMPL_XIMGPROC runs cv::ximgproc::createSuperpixelSLIC with region size S;
SUPERPIXEL_IMPL_ESCRF runs the module's SLIC (see SuperpixelImplementation).
*/
CV_EXPORTS_W int computeSuperpixels(InputArray image, OutputArray labels,
                                    const SuperpixelParams& params = SuperpixelParams());

/** @brief Boundary recall of superpixels against ground-truth regions.

The boundary of a label map is the set of pixels whose right or lower neighbour has another
label. The recall is the fraction of ground-truth boundary pixels that have a superpixel
boundary pixel within @p tolerance pixels (Chebyshev distance); 1 when the regions have no
boundary.
@param superpixels CV_32SC1 superpixel label map.
@param regions ground-truth region map (e.g. a class annotation), CV_8UC1, CV_16UC1 or
CV_32SC1, of the same size.
@param tolerance >= 0, in pixels (2 in the module's quality figures).
*/
CV_EXPORTS_W double superpixelBoundaryRecall(InputArray superpixels, InputArray regions, int tolerance = 2);

/** @brief Corrected under-segmentation error of superpixels (Neubert and Protzel, 2012).

sum over superpixels s and regions g of min(|s & g|, |s - g|), divided by the number of pixels:
the pixels a superpixel leaks into, or takes from, a region, whichever is smaller.
@param superpixels CV_32SC1 superpixel label map.
@param regions ground-truth region map, CV_8UC1, CV_16UC1 or CV_32SC1, of the same size.
*/
CV_EXPORTS_W double superpixelUndersegmentationError(InputArray superpixels, InputArray regions);

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
