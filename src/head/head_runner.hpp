// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's GPU pipeline behind one interface: the CUDA runner (cuda::createHeadRunner,
// src/head/head_cuda.hpp) and its host emulation (detail::createHeadRunnerEmulation,
// head_emulation.hpp, a test backend), which runs the same pipeline (head_pipeline.hpp) and the
// same per-element functors on the CPU, so machines without a GPU test everything but the
// kernels' launch and cuBLAS.
#ifndef OPENCV_ESCRF_HEAD_RUNNER_HPP
#define OPENCV_ESCRF_HEAD_RUNNER_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** Runs one head on a device. The head must outlive the runner; its parameters are copied to
the device when the runner is created and again by syncParameters() (after an optimizer step).
Inputs and guides are as for Head::forward. */
class CV_EXPORTS HeadRunner
{
public:
    virtual ~HeadRunner();

    //! Copies the head's current parameters to the device.
    virtual void syncParameters() = 0;

    //! Head::forward on the device (logits downloaded; the cache holds host copies).
    virtual void forward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, Mat& logits,
                         HeadCache* cache = nullptr) = 0;

    /** Head::backward on the device, with a cache from this runner's forward(); ADDS to grads.
    Gradients still pending from trainSample() are discarded (call addGradients() first). */
    virtual void backward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                          const HeadCache& cache, const Mat& dLogits, std::vector<Mat>& grads) = 0;

    /** One training sample: forward, detail::softmaxCrossEntropy against labels (at their own
    size) and backward, all on the device; the gradients stay there (see addGradients).
    @return the loss sum, weightSum its weight sum (as softmaxCrossEntropy). */
    virtual double trainSample(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                               const Mat& labels, int ignoreLabel, const std::vector<float>& classWeights,
                               double& weightSum) = 0;

    //! Adds the gradients accumulated by trainSample() to grads (Head::zeroGradients() layout) and clears them.
    virtual void addGradients(std::vector<Mat>& grads) = 0;

    /** Forward, then the logits resized bilinearly to workSize, then either resized to outSize
    (resizeBack) or cropped to its top-left outSize (outSize <= workSize). With ltype CV_8U or
    CV_32S, `out` is the outSize argmax label map; with ltype -1 it is the K x outSize.area()
    CV_32F scores. Only `out` is downloaded. */
    virtual void predict(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, Size workSize,
                         Size outSize, bool resizeBack, int ltype, Mat& out) = 0;
};

}}} // namespace cv::escrf::detail

#endif
