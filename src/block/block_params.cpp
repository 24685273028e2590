// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Default options and weight initialisation of the ES-CRF block.

#include "precomp.hpp"
#include "block/block_plan.hpp"

namespace cv {
namespace escrf {

EscrfBlockParams::EscrfBlockParams()
    : embedDim(32), posDim(32), window(3), dilation(2), alphaS(0.1f), alphaP(0.2f),
      normalize(false), dense(false), pairCompatibility(false), softSuperpixels(false),
      learnableFusion(false), gaussianKernel(false)
{
}

// PyTorch's default Conv2d initialisation (kaiming_uniform with a = sqrt(5)) reduces to
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for 1x1 kernels; the reference trains from it.
static Mat uniformInit(int rows, int cols, int fanIn, RNG& rng, int depth)
{
    Mat m(rows, cols, CV_64F);
    const double bound = 1.0 / std::sqrt((double)fanIn);
    rng.fill(m, RNG::UNIFORM, Scalar(-bound), Scalar(bound));
    Mat out;
    m.convertTo(out, depth);
    return out;
}

EscrfBlockWeights EscrfBlockWeights::create(const EscrfBlockParams& params, int channels, RNG& rng, int depth)
{
    CV_Assert(depth == CV_32F || depth == CV_64F);
    if (channels <= 0)
        CV_Error_(Error::StsBadArg, ("EscrfBlockWeights::create: channels = %d, expected > 0", channels));
    block::checkParams("EscrfBlockWeights::create", params);
    EscrfBlockWeights w;
    w.W_img = uniformInit(params.embedDim, 3, 3, rng, depth);
    w.W_pos = uniformInit(params.embedDim, 2 * params.posDim, 2 * params.posDim, rng, depth);
    w.w_comp = uniformInit(1, channels, channels, rng, depth);
    if (params.pairCompatibility)
    {
        w.a = uniformInit(1, channels, channels, rng, depth);
        w.b = uniformInit(1, channels, channels, rng, depth);
    }
    w.c = 0;
    w.alphaS = params.alphaS;
    w.alphaP = params.alphaP;
    return w;
}

static Mat zerosOf(const Mat& m)
{
    return m.empty() ? Mat() : Mat::zeros(m.size(), m.type());
}

EscrfBlockWeights EscrfBlockWeights::zerosLike() const
{
    EscrfBlockWeights g;
    g.W_img = zerosOf(W_img);
    g.W_pos = zerosOf(W_pos);
    g.w_comp = zerosOf(w_comp);
    g.a = zerosOf(a);
    g.b = zerosOf(b);
    g.c = 0;
    g.alphaS = 0;
    g.alphaP = 0;
    return g;
}

}} // namespace cv::escrf
