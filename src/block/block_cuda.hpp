// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host-side entry points of the ES-CRF block's CUDA path (src/cuda/block_*.cu). Plain OpenCV
// types only, so that C++ files (the dnn layer, the tests) can call them without the CUDA
// headers. Only declared when the module is built with CUDA (HAVE_ESCRF_CUDA).
#ifndef OPENCV_ESCRF_BLOCK_CUDA_HPP
#define OPENCV_ESCRF_BLOCK_CUDA_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/block.hpp"

#ifdef HAVE_ESCRF_CUDA

namespace cv {
namespace escrf {
namespace cuda {

/** @brief GPU version of cv::escrf::escrfBlockForward, same contract and result to float32 rounding.

Host Mats in and out: the inputs are uploaded, the block runs on the current CUDA device and
`out` is downloaded. Differences from the CPU function:
 - float32 only: F, the weights and the guide's superpixel data must be CV_32F (the guide's
   image and position may be CV_64F, they are converted as on the CPU);
 - params.dense is not implemented: it throws Error::StsNotImplemented ("dense is CPU-only in
   this build") when the pairwise term is evaluated;
 - the cache holds this path's own tensors (host Mats): it must go to cuda::escrfBlockBackward,
   and a CPU cache is rejected there (and vice versa).
All arguments are checked before any CUDA call; without a CUDA device a valid call throws
cv::Exception (Error::GpuNotSupported, "no CUDA device"). The result is deterministic (no
atomics: the reductions run in a fixed order).
*/
CV_EXPORTS void escrfBlockForward(const EscrfBlockParams& params, const EscrfBlockWeights& weights,
                                  const EscrfGuide& guide, const Mat& F, Mat& out,
                                  EscrfBlockCache* cache = nullptr);

/** @brief GPU version of cv::escrf::escrfBlockBackward (same contract; grads are ADDED to).
The cache must come from cuda::escrfBlockForward with the same params, weights and F. */
CV_EXPORTS void escrfBlockBackward(const EscrfBlockParams& params, const EscrfBlockWeights& weights,
                                   const EscrfGuide& guide, const Mat& F, const EscrfBlockCache& cache,
                                   const Mat& dOut, Mat& dF, EscrfBlockWeights& grads);

}}} // namespace cv::escrf::cuda

#endif // HAVE_ESCRF_CUDA
#endif
