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
#include "block_explain.hpp"

#include <algorithm>
#include <limits>

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

// nb[o] = the cell at window offset o of cell (x, y) on a w x h map, or -1 outside the map.
void windowNeighbours(const WindowOffsets& off, int x, int y, int w, int h, int* nb)
{
    for (int o = 0; o < off.K; o++)
    {
        const int yy = y + off.dy[o], xx = x + off.dx[o];
        nb[o] = yy < 0 || yy >= h || xx < 0 || xx >= w ? -1 : yy * w + xx;
    }
}

// The kernel weights K(i, j) of cell i for its neighbours nb[0..count), one cell at a time from
// pairScore: the score, exp(score) with the Gaussian kernel, or with normalize the softmax over the
// neighbours. The message computes the same weights in factored form for whole rows (WindowScores)
// or streamed (denseForward); test_explain.cpp checks that the sum of weight * F is the message.
template <typename T>
void kernelWeights(const MessageInput<T>& in, int i, const int* nb, int count, T* kw)
{
    T smax = -std::numeric_limits<T>::infinity();
    for (int o = 0; o < count; o++)
    {
        kw[o] = pairScore(in, i, nb[o]);
        smax = std::max(smax, kw[o] * in.invTau);
    }
    if (in.normalize)
    {
        T Z = 0;
        for (int o = 0; o < count; o++)
        {
            kw[o] = std::exp(kw[o] * in.invTau - smax);
            Z += kw[o];
        }
        for (int o = 0; o < count; o++)
            kw[o] /= Z;
    }
    else if (in.gaussian)
        for (int o = 0; o < count; o++)
            kw[o] = std::exp(kw[o]);
}

// The terms of one cell's message (detail::explainBlockCell): the embeddings and compatibilities
// the forward pass prepares for its backward pass, the score split into its appearance and
// position halves of the embedding.
template <typename T>
void explainCellT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
                  Point cell, detail::CellMessageTerms& terms)
{
    const GuideView view = guideView(g, p, F.depth());
    CpuCacheTensors t;
    BlockRows<T> rows;
    prepareBlockRows<T>(p, w, view, F, makePlan(p, w), rows, &t);
    Mat FT;
    transposeFast(F, FT);
    const int width = g.featureSize.width, E = w.W_img.rows, i = cell.y * width + cell.x;
    const Mat halfNorm = halfSquaredNorms<T>(p, t.eT);
    const MessageInput<T> in = messageInput<T>(p, g.featureSize.height, width, F.rows, E, FT, t.eT, halfNorm, t.u,
                                               t.v, t.muJ, w.c);
    std::vector<int> nb;
    if (p.dense)
        for (int j = 0; j < in.N(); j++)
            nb.push_back(j);
    else
    {
        const WindowOffsets off(p.window, p.dilation);
        nb.resize(off.K);
        windowNeighbours(off, cell.x, cell.y, width, g.featureSize.height, nb.data());
        nb.erase(std::remove(nb.begin(), nb.end(), -1), nb.end());   // out of the map: not in G(i)
    }
    std::vector<T> kw(nb.size());
    kernelWeights(in, i, nb.data(), (int)nb.size(), kw.data());
    terms = detail::CellMessageTerms();
    terms.invTau = in.invTau;
    const T* ei = in.eT + (size_t)i * in.D;
    for (size_t o = 0; o < nb.size(); o++)
    {
        const int j = nb[o];
        const T* ej = in.eT + (size_t)j * in.D;
        // The halves of score(i, j): e = [W_img Ig ; W_pos PE], so the dot product and the squared
        // distance are sums over the two halves.
        double part[2];
        for (int half = 0; half < 2; half++)
        {
            const T* a = ei + half * E;
            const T* b = ej + half * E;
            part[half] = p.gaussianKernel ? -0.5 * (dotN(a, a, E) - 2 * dotN(a, b, E) + dotN(b, b, E))
                                          : (double)dotN(a, b, E);
        }
        terms.neighbours.push_back(Point(j % width, j / width));
        terms.appearance.push_back(part[0]);
        terms.position.push_back(part[1]);
        terms.kernel.push_back(kw[o]);
        terms.compat.push_back(pairCompat(in, i, j));
        terms.weight.push_back(terms.compat.back() * terms.kernel.back());
    }
}

} // namespace

namespace detail {

void explainBlockCell(const EscrfBlockParams& params, const EscrfBlockWeights& weights, const EscrfGuide& guide,
                      const Mat& F, Point cell, CellMessageTerms& terms)
{
    const Backend be = { "explainBlockCell", false, true, false };
    EscrfBlockParams p = params;
    p.alphaP = 1.f;   // the message is what is explained, whatever its weight (and without the prior)
    p.alphaS = 0.f;
    p.learnableFusion = false;
    checkInputs(be, p, weights, guide, F, makePlan(p, weights));
    const Size fs = guide.featureSize;
    if (cell.x < 0 || cell.y < 0 || cell.x >= fs.width || cell.y >= fs.height)
        CV_Error_(Error::StsOutOfRange, ("explainBlockCell: cell (%d, %d) is outside the %dx%d feature map", cell.x,
                                         cell.y, fs.width, fs.height));
    const Mat Fc = F.isContinuous() ? F : F.clone();
    if (F.depth() == CV_32F)
        explainCellT<float>(p, weights, guide, Fc, cell, terms);
    else
        explainCellT<double>(p, weights, guide, Fc, cell, terms);
}

} // namespace detail

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
