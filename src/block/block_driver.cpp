// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Forward and backward drivers of the ES-CRF block: argument checks, the order of the
// pieces (embedding, compatibility, message, prior, fusion) and the cache between passes. The
// forward pass runs the rows of block_rows.hpp, which the head's inference path shares.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "block_cache.hpp"
#include "block_compat.hpp"
#include "block_rows.hpp"

namespace cv {
namespace escrf {

using namespace block;

namespace {

const Backend kForward = { "escrfBlockForward", false, true, false };
const Backend kBackward = { "escrfBlockBackward", false, true, false };

// Whether two matrices share any byte (headers over user memory have no refcount, so the
// allocation pointers cannot tell).
bool overlaps(const Mat& a, const Mat& b)
{
    return !a.empty() && !b.empty() && a.datastart < b.dataend && b.datastart < a.dataend;
}

// result += alpha * (X P): the superpixel prior of dOut in the backward pass (P symmetric).
Mat addPrior(const EscrfBlockParams& p, const EscrfGuide& g, const Mat& X, double alpha, Mat& result)
{
    Mat PX;
    superpixelPrior(X, g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, PX);
    scaleAdd(PX, alpha, result, result);
    return PX;
}

// F* = F + a_s Fs + a_p Fp row by row (block_rows.hpp); with a cache, the rows also keep the
// message and its pairs, and the embeddings are computed for the backward pass.
template <typename T>
void forwardT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
              const Plan& plan, Mat& out, EscrfBlockCache* cache)
{
    const GuideView view = guideView(g, p, F.depth());
    CpuCacheTensors t;
    CpuCacheTensors* keep = cache ? &t : nullptr;
    BlockRows<T> rows;
    prepareBlockRows<T>(p, w, view, F, plan, rows, keep);
    // Rows read neighbouring rows of F: the output goes to the caller's buffer only when it does not alias F.
    Mat result;
    if (overlaps(out, F))
        result.create(F.size(), F.type());
    else
    {
        out.create(F.size(), F.type());
        result = out;
    }
    const int h = view.size.height, w0 = view.size.width;
    const size_t N = F.cols;
    parallel_for_(Range(0, h), [&](const Range& r) {
        std::vector<T> scratch(rows.scratchSize());
        for (int y = r.start; y < r.end; y++)
            blockForwardRow(rows, y, result.ptr<T>() + (size_t)y * w0, N, keep, scratch.data());
    }, std::max(1.0, std::min((double)h, (double)N * (F.rows + 16) / 65536.0)));
    out = result;
    if (cache)
    {
        Ptr<detail::BlockCacheState> s = makePtr<detail::BlockCacheState>();
        s->backend = CACHE_CPU;
        s->key = CacheKey(p, plan, F);
        s->cpu = t;
        cache->setState(s);
    }
}

// Adds the gradients of the message term (with its weight a_p) to grad (w.r.t. F) and grads.
template <typename T>
void pairwiseBackward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
                      const CpuCacheTensors& t, const Mat& dOutT, double alphaP, Mat& grad, EscrfBlockWeights& grads)
{
    const int C = F.rows, E = w.W_img.rows;
    Mat FT, gT;
    transposeFast(F, FT);
    gT = dOutT * alphaP;
    const Mat halfNorm = halfSquaredNorms<T>(p, t.eT);
    MessageInput<T> in = messageInput<T>(p, g.featureSize.height, g.featureSize.width, C, E, FT, t.eT, halfNorm,
                                         t.u, t.v, t.muJ, w.c);
    MessageGrad mg;
    if (p.dense)
    {
        Mat FpT;
        transposeFast(t.Fp, FpT);
        denseBackward(in, FpT, t.aux, gT, mg);
    }
    else
        windowBackward(in, t.aux, gT, mg);
    // Direct message term, then compatibility: dz_ij summed over i (dv) and over j (du).
    Mat dFdirect;
    transposeFast(mg.dFT, dFdirect);
    grad += dFdirect;
    if (p.pairCompatibility)
    {
        compatLogitsBackward(w.a, F, mg.du, grad, grads.a);
        compatLogitsBackward(w.b, F, mg.dv, grad, grads.b);
        grads.c += sum(mg.dv)[0];
    }
    else
        compatLogitsBackward(w.w_comp, F, mg.dv, grad, grads.w_comp);
    embeddingBackward(mg.deT, guideView(g, p, F.depth()), grads.W_img, grads.W_pos);
}

template <typename T>
void backwardT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
               const Plan& plan, const CpuCacheTensors& t, const Mat& dOut, Mat& dF, EscrfBlockWeights& grads)
{
    Mat grad;   // starts as the identity term
    if (overlaps(dF, dOut) || overlaps(dF, F))
        grad = dOut.clone();
    else
    {
        dOut.copyTo(dF);
        grad = dF;
    }
    if (plan.prior)
    {
        const Mat PdOut = addPrior(p, g, dOut, plan.alphaS, grad);
        grads.alphaS += F.dot(PdOut);   // sum(Fs .* dOut) = sum(F .* P dOut), P symmetric
    }
    if (plan.pairwise)
    {
        CV_Assert(t.Fp.size() == F.size() && t.Fp.depth() == F.depth());
        grads.alphaP += t.Fp.dot(dOut);
        if (plan.alphaP != 0)
        {
            Mat dOutT;
            transposeFast(dOut, dOutT);
            pairwiseBackward<T>(p, w, g, F, t, dOutT, plan.alphaP, grad, grads);
        }
    }
    dF = grad;
}

} // namespace

void escrfBlockForward(const EscrfBlockParams& params, const EscrfBlockWeights& weights, const EscrfGuide& guide,
                       const Mat& F, Mat& out, EscrfBlockCache* cache)
{
    const Plan plan = makePlan(params, weights);
    checkInputs(kForward, params, weights, guide, F, plan);
    Mat Fc = F.isContinuous() ? F : F.clone();
    if (F.depth() == CV_32F)
        forwardT<float>(params, weights, guide, Fc, plan, out, cache);
    else
        forwardT<double>(params, weights, guide, Fc, plan, out, cache);
}

void escrfBlockBackward(const EscrfBlockParams& params, const EscrfBlockWeights& weights, const EscrfGuide& guide,
                        const Mat& F, const EscrfBlockCache& cache, const Mat& dOut, Mat& dF,
                        EscrfBlockWeights& grads)
{
    const Plan plan = makePlan(params, weights);
    checkInputs(kBackward, params, weights, guide, F, plan);
    checkOutputGradient(kBackward, F, dOut);
    const CpuCacheTensors& saved = cacheFor(kBackward, CACHE_CPU, cache, CacheKey(params, plan, F)).cpu;
    checkGrads(kBackward, params, weights, grads, plan);
    Mat Fc = F.isContinuous() ? F : F.clone();
    Mat dOutc = dOut.isContinuous() ? dOut : dOut.clone();
    if (F.depth() == CV_32F)
        backwardT<float>(params, weights, guide, Fc, plan, saved, dOutc, dF, grads);
    else
        backwardT<double>(params, weights, guide, Fc, plan, saved, dOutc, dF, grads);
}

}} // namespace cv::escrf
