// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host-side entry points of the head's CUDA path (src/cuda/head_pipeline.cu). Plain OpenCV types
// only, so that C++ files (Segmenter, the trainer, the tests) can call them without the CUDA
// headers. Only declared when the module is built with CUDA (HAVE_ESCRF_CUDA).
#ifndef OPENCV_ESCRF_HEAD_CUDA_HPP
#define OPENCV_ESCRF_HEAD_CUDA_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "head/head_runner.hpp"

#ifdef HAVE_ESCRF_CUDA

namespace cv {
namespace escrf {
namespace cuda {

/** Whether the whole head can run on the CUDA device: false (with the reason) for block
options the CUDA block does not implement (dense). The runner still accepts
such a head and runs its block on the CPU between the device stages. */
CV_EXPORTS bool headBlockOnDevice(const Head& head, String* reason = nullptr);

/** The head on the current CUDA device: projection and classifier with cuBLAS, resize, bias,
ReLU, loss and argmax with the kernels of head_device_math.hpp, the block with
cuda::escrfBlockForward / escrfBlockBackward (whose host interface costs one download of the
block's input and one upload of its output per pass). Throws cv::Exception
(Error::GpuNotSupported, "no CUDA device") without a device. */
CV_EXPORTS Ptr<detail::HeadRunner> createHeadRunner(const Head& head);

//! Head::forward on the GPU (one runner per call: parameters uploaded each time).
CV_EXPORTS void headForward(const Head& head, const std::vector<Mat>& inputs, Size headSize,
                            const EscrfGuide* guide, Mat& logits, HeadCache* cache = nullptr);

//! Head::backward on the GPU, with a cache from cuda::headForward; ADDS to grads.
CV_EXPORTS void headBackward(const Head& head, const std::vector<Mat>& inputs, Size headSize,
                             const EscrfGuide* guide, const HeadCache& cache, const Mat& dLogits,
                             std::vector<Mat>& grads);

}}} // namespace cv::escrf::cuda

#endif // HAVE_ESCRF_CUDA
#endif
