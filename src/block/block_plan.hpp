// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What one ES-CRF block call evaluates, and the checks of its gradient tensors: shared by the
// CPU driver (block_driver.cpp) and the CUDA driver (cuda/escrf_block.cu), so that both skip
// and check exactly the same things.
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

// The weight gradients the pairwise term adds to must have the shapes and types of the weights.
inline void checkGrads(const char* fn, const EscrfBlockParams& p, const EscrfBlockWeights& w,
                       const EscrfBlockWeights& gr, const Plan& plan)
{
    if (!plan.pairwise || plan.alphaP == 0)
        return;
    auto same = [fn](const char* name, const Mat& a, const Mat& b) {
        if (a.size() != b.size() || a.type() != b.type())
            CV_Error_(Error::StsBadArg, ("%s: grads.%s is %dx%d %s, expected the shape and type of weights.%s "
                                         "(use weights.zerosLike())", fn, name, b.rows, b.cols,
                                         typeToString(b.type()).c_str(), name));
    };
    same("W_img", w.W_img, gr.W_img);
    same("W_pos", w.W_pos, gr.W_pos);
    if (p.pairCompatibility)
    {
        same("a", w.a, gr.a);
        same("b", w.b, gr.b);
    }
    else
        same("w_comp", w.w_comp, gr.w_comp);
}

}}} // namespace cv::escrf::block

#endif
