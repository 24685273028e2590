// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_CRF_HPP
#define OPENCV_ESCRF_CRF_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {

//! @addtogroup escrf
//! @{

/** @defgroup escrf_crf DenseCRF post-processing (the vanilla-crf comparison)
@ingroup escrf

The fully connected CRF of Kraehenbuehl and Koltun @cite kraehenbuehl2011densecrf applied to the
class probabilities of a segmenter at inference only (the spec's `vanilla-crf` variant): nothing
is learned, the image and the probabilities are the only inputs.

Energy over the labels x of the N pixels, with unary U_i(l) = -log(max(P_i(l), probabilityFloor)):

    E(x) = sum_i U_i(x_i) + sum_{i<j} mu(x_i, x_j) sum_m w_m k_m(f_i, f_j),   mu(l, l') = [l != l'] (Potts)

with two Gaussian kernels of the pixel position p and the colour I (B, G, R, 0..255):

- appearance (bilateral): k_1 = exp(-|p_i - p_j|^2 / (2 bilateralSxy^2) - |I_i - I_j|^2 / (2 bilateralSrgb^2)),
- smoothness: k_2 = exp(-|p_i - p_j|^2 / (2 gaussianSxy^2)).

As in Kraehenbuehl's code each kernel is normalised per pixel, kbar_m(i, j) = k_m(i, j) / sum_j' k_m(i, j')
(the sum includes j' = i), and as in the paper the message leaves the pixel itself out. Mean-field
inference starts from Q = softmax(-U) and repeats `iterations` times

    mbar_{m,i}(l) = sum_{j != i} kbar_m(i, j) Q_j(l)
    Q_i(l) = softmax_l( -U_i(l) - sum_m w_m sum_{l'} mu(l, l') mbar_{m,i}(l') )

The sums over j are computed in O(N) with the permutohedral lattice @cite adams2010fast, an
approximation of the Gaussian filter (its own self weight is subtracted, see doc/architecture.md).
@{
*/

/** @brief Parameters of denseCrf().

The defaults are the DenseCRF parameters tuned on CamVid val for ESPNet's probabilities.
The kernel widths are in pixels (Sxy) and in 8-bit colour levels (Srgb), the standard deviations
of the Gaussians, as in Kraehenbuehl's code (its features are p / sxy and I / srgb). */
struct CV_EXPORTS_W_SIMPLE DenseCrfParams
{
    // The defaults are set by the constructor, not by member initialisers: OpenCV's Python binding
    // generator (hdr_parser.py) would read "iterations = 5" as the name of the property.
    //! The defaults: 5 iterations, appearance kernel 50 px / 3 levels / weight 5, smoothness kernel 3 px / weight 3.
    CV_WRAP DenseCrfParams()
        : iterations(5), bilateralSxy(50.f), bilateralSrgb(3.f), bilateralWeight(5.f),
          gaussianSxy(3.f), gaussianWeight(3.f), probabilityFloor(1e-5f)
    {}

    CV_PROP_RW int iterations;         //!< mean-field iterations (>= 0; 0 returns normalised input), default 5
    CV_PROP_RW float bilateralSxy;     //!< spatial std of the appearance kernel, pixels (> 0), default 50
    CV_PROP_RW float bilateralSrgb;    //!< colour std of the appearance kernel, levels (> 0), default 3
    CV_PROP_RW float bilateralWeight;  //!< w_1 (>= 0; 0 drops the kernel), default 5
    CV_PROP_RW float gaussianSxy;      //!< spatial std of the smoothness kernel, pixels (> 0), default 3
    CV_PROP_RW float gaussianWeight;   //!< w_2 (>= 0; 0 drops the kernel), default 3
    CV_PROP_RW float probabilityFloor; //!< probabilities are clamped to [floor, 1] before -log (in (0, 1)), default 1e-5
};

/** @brief Refines per-pixel class probabilities with DenseCRF mean-field inference.

@param image CV_8UC3 BGR image (as cv::imread gives it), H x W, not empty.
@param probabilities K x H x W CV_32F probabilities (a 3-D Mat, as Segmenter::predict() gives
them; a 1 x K x H x W blob is accepted too), finite and >= 0, K >= 1. Each pixel's values are
normalised to sum 1 (after the floor), so scores that are only proportional to probabilities work.
@param refined output of the same shape as probabilities: the mean-field marginals Q, summing to
1 at each pixel. May be the same Mat as probabilities.
@param params kernel widths, weights, iterations.

Bad input (empty image, wrong type, shape or size, NaN/Inf or negative probabilities, invalid
parameters) throws cv::Exception naming the argument. Runs in parallel with cv::parallel_for_. */
CV_EXPORTS_W void denseCrf(InputArray image, InputArray probabilities, OutputArray refined,
                           const DenseCrfParams& params = DenseCrfParams());

//! @}
//! @}

}} // namespace cv::escrf

#endif
