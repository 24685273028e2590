// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What one ES-CRF block call evaluates, and the checks of its arguments: shared by the CPU
// driver (block_driver.cpp) and the CUDA driver (cuda/block_driver.cu), so that both skip and
// check exactly the same things (checks in block_plan.cpp).
#ifndef OPENCV_ESCRF_BLOCK_PLAN_HPP
#define OPENCV_ESCRF_BLOCK_PLAN_HPP

#include "opencv2/escrf/block.hpp"

namespace cv {
namespace escrf {
namespace block {

struct Plan
{
    double alphaS = 0, alphaP = 0;
    bool prior = false;      // the superpixel prior is evaluated
    bool pairwise = false;   // the pairwise message is evaluated
};

// Without learnable fusion the weights are the constants of params and a term whose weight is 0
// is skipped. With learnable fusion params hold the initial values: a term configured with 0 is
// off (that is how the pairwise and superpixel variants remove one), every other term is
// evaluated with its trained weight from weights, even when that weight is 0 - its alpha
// gradient, sum(term .* dOut), needs the term itself.
inline Plan makePlan(const EscrfBlockParams& p, const EscrfBlockWeights& w)
{
    Plan plan;
    if (p.learnableFusion)
    {
        plan.prior = p.alphaS != 0;
        plan.pairwise = p.alphaP != 0;
        plan.alphaS = plan.prior ? w.alphaS : 0.0;
        plan.alphaP = plan.pairwise ? w.alphaP : 0.0;
    }
    else
    {
        plan.alphaS = p.alphaS;
        plan.alphaP = p.alphaP;
        plan.prior = plan.alphaS != 0;
        plan.pairwise = plan.alphaP != 0;
    }
    return plan;
}

// What a backend of the block supports beyond the common contract of escrfBlockForward /
// escrfBlockBackward (include/opencv2/escrf/block.hpp).
struct Backend
{
    const char* who;        // the function, as messages name it ("escrfBlockForward (CUDA)")
    bool float32Only;       // F and the weights must be CV_32F (the CUDA kernels)
    bool dense;             // params.dense is implemented
    bool intElementCount;   // C x N must fit an int (device indexing)
};

// The largest option values the block accepts. Head files and ONNX attributes carry these
// options, so they are bounded before anything is allocated or indexed with them: the window
// offsets hold window^2 entries, a neighbour's coordinate is y + dy * dilation (|dy| <= window/2),
// and the embedding weights are embedDim x 3 and embedDim x 2 posDim. The maxima are far above
// any useful value (the reference uses windows of 3 to 7, dilations of 1 to 4 and dimensions of
// 32 to 64) and keep every such product far inside int.
enum BlockLimits
{
    kMaxWindow = 31,      //!< 961 neighbours per cell
    kMaxDilation = 64,
    kMaxEmbedDim = 1024,
    kMaxPosDim = 1024
};

// The window contract of every entry point that takes one (the block drivers, HeadConfig, the
// ESCRF layer): an odd window in [1, kMaxWindow] and a dilation in [1, kMaxDilation].
// `windowName` is what the caller calls the window ("window", the layer's "k").
void checkWindow(const String& who, const char* windowName, int window, int dilation);

// The contract of the options themselves, for every place that takes a whole EscrfBlockParams
// (HeadConfig, EscrfBlockWeights::create, the drivers, the ESCRF layer): the window (checkWindow),
// embedDim in [1, kMaxEmbedDim], an even posDim in [2, kMaxPosDim], finite fusion weights.
void checkParams(const String& who, const EscrfBlockParams& p, const char* windowName = "window");

// Every argument of a block call that the plan evaluates: F, the window, the guide (superpixel
// labels or soft assignment, image and position), the weights of the depth of F. Everything is
// checked before the first computation (and before any CUDA call), so that bad input is a clear
// cv::Exception on every backend, also without a device.
void checkInputs(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                 const Mat& F, const Plan& plan);

// The weights (and window) of a block call on C channels of depth `depth`, without a guide: for
// callers that make the guide themselves (the head's inference path).
void checkWeights(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, int C, int depth,
                  const Plan& plan);

// dOut of a backward pass has the shape and type of F.
void checkOutputGradient(const Backend& be, const Mat& F, const Mat& dOut);

// The weight gradients the pairwise term adds to must have the shapes and types of the weights.
void checkGrads(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w,
                const EscrfBlockWeights& grads, const Plan& plan);

}}} // namespace cv::escrf::block

#endif
