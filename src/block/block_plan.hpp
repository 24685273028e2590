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

// The fusion weights are the trained ones (weights) when learnable, the constants of params
// otherwise. A term whose weight is 0 is skipped, unless learnable: its alpha gradient,
// sum(term .* dOut), needs the term itself.
inline Plan makePlan(const EscrfBlockParams& p, const EscrfBlockWeights& w)
{
    Plan plan;
    plan.alphaS = p.learnableFusion ? w.alphaS : (double)p.alphaS;
    plan.alphaP = p.learnableFusion ? w.alphaP : (double)p.alphaP;
    plan.prior = plan.alphaS != 0 || p.learnableFusion;
    plan.pairwise = plan.alphaP != 0 || p.learnableFusion;
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
