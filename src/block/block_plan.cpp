// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The argument checks of the ES-CRF block, one per contract, for every backend (block_plan.hpp).
#include "precomp.hpp"
#include "block/block_cache.hpp"
#include <climits>

namespace cv {
namespace escrf {
namespace block {

namespace {

void checkF(const Backend& be, const EscrfGuide& g, const Mat& F)
{
    const bool typeOk = be.float32Only ? F.type() == CV_32FC1
                                       : F.channels() == 1 && (F.depth() == CV_32F || F.depth() == CV_64F);
    if (F.empty() || F.dims != 2 || !typeOk)
        CV_Error_(Error::StsBadArg, ("%s: F is %s, expected a non-empty single-channel %s C x N matrix", be.who,
                                     typeToString(F.type()).c_str(),
                                     be.float32Only ? "CV_32F (this path is float32 only)" : "CV_32F or CV_64F"));
    const int N = g.featureSize.area();
    if (g.featureSize.width <= 0 || g.featureSize.height <= 0 || F.cols != N)
        CV_Error_(Error::StsBadSize, ("%s: F has %d columns, expected N = w*h = %d of guide.featureSize %dx%d", be.who,
                                      F.cols, N, g.featureSize.width, g.featureSize.height));
    if (be.intElementCount && (int64)F.rows * N > INT_MAX)
        CV_Error_(Error::StsOutOfRange, ("%s: F has %d x %d elements, at most %d supported", be.who, F.rows, N,
                                         INT_MAX));
}

void checkCellLabels(const Backend& be, const Mat& labels, int N, int M)
{
    if (labels.type() != CV_32SC1 || (int)labels.total() != N || !labels.isContinuous())
        CV_Error_(Error::StsBadArg, ("%s: guide.cellLabels is %s with %d cells, expected a continuous CV_32S row of "
                                     "N = %d labels (use prepareGuide)", be.who, typeToString(labels.type()).c_str(),
                                     (int)labels.total(), N));
    const int* l = labels.ptr<int>();
    for (int i = 0; i < N; i++)
        if (l[i] < 0 || l[i] >= M)
            CV_Error_(Error::StsOutOfRange, ("%s: guide.cellLabels[%d] = %d, expected 0..numSuperpixels-1 = 0..%d",
                                             be.who, i, l[i], M - 1));
}

// The prior indexes per-superpixel sums with every entry, so all of them are checked (O(N)):
// a bad index would be an out-of-bounds access (on the device, not even an exception).
void checkSoftAssignment(const Backend& be, const SoftAssignment& A, int N)
{
    if (A.numCells != N || (int)A.offsets.size() != N + 1 || A.numSuperpixels <= 0)
        CV_Error_(Error::StsBadArg, ("%s: guide.soft holds %d cells, expected an assignment of N = %d cells (prepare "
                                     "the guide with params.softSuperpixels)", be.who, A.numCells, N));
    if (A.offsets[0] != 0 || A.offsets[N] != (int)A.superpixel.size() || A.superpixel.size() != A.weight.size())
        CV_Error_(Error::StsBadArg, ("%s: guide.soft is inconsistent (offsets end at %d, %d superpixel entries, "
                                     "%d weights)", be.who, A.offsets[N], (int)A.superpixel.size(),
                                     (int)A.weight.size()));
    for (int i = 0; i < N; i++)
        if (A.offsets[i + 1] < A.offsets[i])
            CV_Error_(Error::StsBadArg, ("%s: guide.soft.offsets decrease at cell %d", be.who, i));
    const int M = A.numSuperpixels;
    for (size_t k = 0; k < A.superpixel.size(); k++)
        if (A.superpixel[k] < 0 || A.superpixel[k] >= M || !(A.weight[k] >= 0))
            CV_Error_(Error::StsOutOfRange, ("%s: guide.soft entry %d names superpixel %d with weight %g, expected "
                                             "0..%d and a weight >= 0", be.who, (int)k, A.superpixel[k], A.weight[k],
                                             M - 1));
}

void checkPrior(const Backend& be, const EscrfBlockParams& p, const EscrfGuide& g, int N)
{
    if (g.numSuperpixels <= 0)
        CV_Error_(Error::StsBadArg, ("%s: guide.numSuperpixels = %d, expected > 0 (use prepareGuide)", be.who,
                                     g.numSuperpixels));
    if (p.softSuperpixels)
        checkSoftAssignment(be, g.soft, N);
    else
        checkCellLabels(be, g.cellLabels, N, g.numSuperpixels);
}

void checkRow(const Backend& be, const char* name, const Mat& m, int C, int depth)
{
    if (m.rows != 1 || m.cols != C || m.type() != CV_MAKETYPE(depth, 1))
        CV_Error_(Error::StsBadArg, ("%s: weights.%s is %dx%d %s, expected 1x%d of the depth of F", be.who, name,
                                     m.rows, m.cols, typeToString(m.type()).c_str(), C));
}

void checkPairwiseWeights(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, int C, int depth)
{
    const int E = w.W_img.rows;
    if (w.W_img.cols != 3 || E != p.embedDim || E <= 0 || w.W_img.type() != CV_MAKETYPE(depth, 1))
        CV_Error_(Error::StsBadArg, ("%s: weights.W_img is %dx%d %s, expected embedDim x 3 = %dx3 of the depth of F",
                                     be.who, w.W_img.rows, w.W_img.cols, typeToString(w.W_img.type()).c_str(),
                                     p.embedDim));
    if (w.W_pos.rows != E || w.W_pos.cols != 2 * p.posDim || p.posDim <= 0 || w.W_pos.type() != CV_MAKETYPE(depth, 1))
        CV_Error_(Error::StsBadArg, ("%s: weights.W_pos is %dx%d %s, expected embedDim x 2*posDim = %dx%d of the "
                                     "depth of F", be.who, w.W_pos.rows, w.W_pos.cols,
                                     typeToString(w.W_pos.type()).c_str(), E, 2 * p.posDim));
    if (p.pairCompatibility)
    {
        checkRow(be, "a", w.a, C, depth);
        checkRow(be, "b", w.b, C, depth);
    }
    else
        checkRow(be, "w_comp", w.w_comp, C, depth);
    if (p.dense && !be.dense)
        CV_Error_(Error::StsNotImplemented, ("%s: dense is CPU-only in this build (use cv::escrf::escrfBlockForward / "
                                             "escrfBlockBackward, or params.dense = false)", be.who));
}

void checkPairwise(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                   const Mat& F)
{
    checkPairwiseWeights(be, p, w, F.rows, F.depth());
    const int N = F.cols;
    auto guideOk = [](const Mat& m, int rows, int cols) {
        return m.rows == rows && m.cols == cols && m.channels() == 1 && (m.depth() == CV_32F || m.depth() == CV_64F);
    };
    if (!guideOk(g.image, 3, N) || !guideOk(g.position, 2 * p.posDim, N))
        CV_Error_(Error::StsBadArg, ("%s: guide has image %dx%d and position %dx%d, expected 3x%d and %dx%d CV_32F "
                                     "or CV_64F (prepare it with the same params and feature size)", be.who,
                                     g.image.rows, g.image.cols, g.position.rows, g.position.cols, N, 2 * p.posDim, N));
}

} // namespace

void checkWindow(const String& who, const char* windowName, int window, int dilation)
{
    if (window < 1 || window > kMaxWindow || window % 2 == 0 || dilation < 1 || dilation > kMaxDilation)
        CV_Error_(Error::StsOutOfRange, ("%s: %s = %d, dilation = %d, expected an odd %s in [1, %d] (kMaxWindow) "
                                         "and a dilation in [1, %d] (kMaxDilation)", who.c_str(), windowName, window,
                                         dilation, windowName, (int)kMaxWindow, (int)kMaxDilation));
}

void checkParams(const String& who, const EscrfBlockParams& p, const char* windowName)
{
    checkWindow(who, windowName, p.window, p.dilation);
    if (p.embedDim < 1 || p.embedDim > kMaxEmbedDim)
        CV_Error_(Error::StsOutOfRange, ("%s: embedDim = %d, expected 1..%d (kMaxEmbedDim)", who.c_str(), p.embedDim,
                                         (int)kMaxEmbedDim));
    if (p.posDim < 2 || p.posDim > kMaxPosDim || p.posDim % 2 != 0)
        CV_Error_(Error::StsOutOfRange, ("%s: posDim = %d, expected an even value in [2, %d] (kMaxPosDim)", who.c_str(),
                                         p.posDim, (int)kMaxPosDim));
    if (!std::isfinite(p.alphaS) || !std::isfinite(p.alphaP))
        CV_Error_(Error::StsOutOfRange, ("%s: alphaS = %g, alphaP = %g, expected finite fusion weights", who.c_str(),
                                         (double)p.alphaS, (double)p.alphaP));
}

void checkInputs(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                 const Mat& F, const Plan& plan)
{
    checkF(be, g, F);
    checkParams(be.who, p);
    if (plan.prior)
        checkPrior(be, p, g, F.cols);
    if (plan.pairwise)
        checkPairwise(be, p, w, g, F);
}

void checkWeights(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w, int C, int depth,
                  const Plan& plan)
{
    checkWindow(be.who, "window", p.window, p.dilation);
    if (plan.pairwise)
        checkPairwiseWeights(be, p, w, C, depth);
}

void checkOutputGradient(const Backend& be, const Mat& F, const Mat& dOut)
{
    if (dOut.size() != F.size() || dOut.type() != F.type())
        CV_Error_(Error::StsBadArg, ("%s: dOut is %dx%d %s, expected the shape and type of F (%dx%d %s)", be.who,
                                     dOut.rows, dOut.cols, typeToString(dOut.type()).c_str(), F.rows, F.cols,
                                     typeToString(F.type()).c_str()));
}

void checkGrads(const Backend& be, const EscrfBlockParams& p, const EscrfBlockWeights& w,
                const EscrfBlockWeights& gr, const Plan& plan)
{
    if (!plan.pairwise || plan.alphaP == 0)
        return;
    auto same = [&be](const char* name, const Mat& a, const Mat& b) {
        if (a.size() != b.size() || a.type() != b.type())
            CV_Error_(Error::StsBadArg, ("%s: grads.%s is %dx%d %s, expected the shape and type of weights.%s "
                                         "(use weights.zerosLike())", be.who, name, b.rows, b.cols,
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

const detail::BlockCacheState& cacheFor(const Backend& be, CacheBackend backend, const EscrfBlockCache& cache,
                                      const CacheKey& key)
{
    static const char* const kFilledBy[] = { "cv::escrf::escrfBlockForward", "cv::escrf::cuda::escrfBlockForward" };
    const Ptr<detail::BlockCacheState>& s = cache.state();
    if (!s || s->backend != backend)
        CV_Error_(Error::StsBadArg, ("%s: cache was not filled by %s", be.who, kFilledBy[backend]));
    if (!(s->key == key))
        CV_Error_(Error::StsBadArg, ("%s: cache comes from a forward pass with other params, weights or feature size",
                                     be.who));
    return *s;
}

}}} // namespace cv::escrf::block
