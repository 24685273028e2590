// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Forward and backward drivers of the ES-CRF block: argument checks, the order of the
// pieces (embedding, compatibility, message, prior, fusion) and the cache between passes.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "block_cache.hpp"
#include "block_compat.hpp"
#include "block_explain.hpp"

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

Mat asDepth(const Mat& m, int depth)
{
    if (m.depth() == depth)
        return m;
    Mat out;
    m.convertTo(out, depth);
    return out;
}

// |e_j|^2 / 2 per cell (the Gaussian kernel's score needs it; cheap to recompute in backward).
template <typename T>
Mat halfSquaredNorms(const EscrfBlockParams& p, const Mat& eT)
{
    if (!p.gaussianKernel)
        return Mat();
    Mat hn(1, eT.rows, eT.type());
    for (int j = 0; j < eT.rows; j++)
        hn.at<T>(j) = T(0.5) * dotN(eT.ptr<T>(j), eT.ptr<T>(j), eT.cols);
    return hn;
}

template <typename T>
MessageInput<T> messageInput(const EscrfBlockParams& p, int h, int w, int C, int E, const Mat& FT,
                             const Mat& eT, const Mat& halfNorm, const Mat& u, const Mat& v, const Mat& muJ,
                             double c)
{
    MessageInput<T> in;
    in.h = h; in.w = w; in.C = C; in.D = 2 * E;
    in.FT = FT.ptr<T>();
    in.eT = eT.ptr<T>();
    in.u = u.empty() ? nullptr : u.ptr<T>();
    in.v = v.ptr<T>();
    in.muJ = muJ.empty() ? nullptr : muJ.ptr<T>();
    in.c = (T)c;
    in.pair = p.pairCompatibility;
    in.normalize = p.normalize;
    in.gaussian = p.gaussianKernel;
    in.halfNorm = halfNorm.empty() ? nullptr : halfNorm.ptr<T>();
    in.invTau = (T)(1.0 / std::sqrt(2.0 * E));
    in.window = p.window;
    in.dilation = p.dilation;
    return in;
}

template <typename T>
void sigmoidRow(const Mat& v, Mat& mu)
{
    mu.create(v.size(), v.type());
    const T* z = v.ptr<T>();
    T* m = mu.ptr<T>();
    for (int j = 0; j < (int)v.total(); j++)
        m[j] = sigmoidT(z[j]);
}

// result += alpha * (X P): the superpixel prior of X (P symmetric: F in forward, dOut in backward).
Mat addPrior(const EscrfBlockParams& p, const EscrfGuide& g, const Mat& X, double alpha, Mat& result)
{
    Mat PX;
    superpixelPrior(X, g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, PX);
    scaleAdd(PX, alpha, result, result);
    return PX;
}

// The inputs of the pairwise message of F: embeddings and compatibility logits in t, FT = F^T and
// the Gaussian kernel's norms in halfNorm (all of which the returned MessageInput points into).
template <typename T>
MessageInput<T> pairwiseInput(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                              const Mat& F, CpuCacheTensors& t, Mat& FT, Mat& halfNorm)
{
    const int C = F.rows, depth = F.depth(), E = w.W_img.rows;
    transposeFast(F, FT);
    computeEmbedding(w.W_img, w.W_pos, asDepth(g.image, depth), asDepth(g.position, depth), g.featureSize, t.eT);
    if (p.pairCompatibility)
    {
        compatLogits(w.a, F, t.u);
        compatLogits(w.b, F, t.v);
    }
    else
    {
        compatLogits(w.w_comp, F, t.v);
        sigmoidRow<T>(t.v, t.muJ);
    }
    halfNorm = halfSquaredNorms<T>(p, t.eT);
    return messageInput<T>(p, g.featureSize.height, g.featureSize.width, C, E, FT, t.eT, halfNorm, t.u, t.v, t.muJ,
                           w.c);
}

// The pairwise message of F, transposed (t.FpT), with what its backward pass needs in t.
template <typename T>
void pairwiseForward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
                     CpuCacheTensors& t)
{
    Mat FT, halfNorm;
    const MessageInput<T> in = pairwiseInput<T>(p, w, g, F, t, FT, halfNorm);
    if (p.dense)
        denseForward(in, t.FpT, t.aux);
    else
        windowForward(in, t.FpT, t.aux);
}

template <typename T>
void forwardT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
              const Plan& plan, Mat& out, EscrfBlockCache* cache)
{
    // Writes into the caller's buffer when it does not alias F (saves a fresh allocation).
    Mat result;
    if (overlaps(out, F))
        result = F.clone();
    else
    {
        F.copyTo(out);
        result = out;
    }
    if (plan.prior)
        addPrior(p, g, F, plan.alphaS, result);
    CpuCacheTensors t;
    if (plan.pairwise)
    {
        pairwiseForward<T>(p, w, g, F, t);
        Mat Fp;
        transposeFast(t.FpT, Fp);
        scaleAdd(Fp, plan.alphaP, result, result);
    }
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
    const int C = F.rows, depth = F.depth(), E = w.W_img.rows;
    Mat FT, gT;
    transposeFast(F, FT);
    gT = dOutT * alphaP;
    const Mat halfNorm = halfSquaredNorms<T>(p, t.eT);
    MessageInput<T> in = messageInput<T>(p, g.featureSize.height, g.featureSize.width, C, E, FT, t.eT, halfNorm,
                                         t.u, t.v, t.muJ, w.c);
    MessageGrad mg;
    if (p.dense)
        denseBackward(in, t.FpT, t.aux, gT, mg);
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
    embeddingBackward(mg.deT, asDepth(g.image, depth), asDepth(g.position, depth), g.featureSize, grads.W_img,
                      grads.W_pos);
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
        CV_Assert(t.FpT.rows == F.cols && t.FpT.cols == F.rows && t.FpT.depth() == F.depth());
        Mat dOutT;
        transposeFast(dOut, dOutT);
        grads.alphaP += t.FpT.dot(dOutT);
        if (plan.alphaP != 0)
            pairwiseBackward<T>(p, w, g, F, t, dOutT, plan.alphaP, grad, grads);
    }
    dF = grad;
}

// The terms of one cell's message (detail::explainBlockCell): the same inputs and kernel weights
// as the message, the score split into its appearance and position halves of the embedding.
template <typename T>
void explainCellT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
                  Point cell, detail::CellMessageTerms& terms)
{
    CpuCacheTensors t;
    Mat FT, halfNorm;
    const MessageInput<T> in = pairwiseInput<T>(p, w, g, F, t, FT, halfNorm);
    const int width = g.featureSize.width, E = w.W_img.rows, i = cell.y * width + cell.x;
    std::vector<int> nb;
    if (p.dense)
        for (int j = 0; j < in.N(); j++)
            nb.push_back(j);
    else
    {
        const WindowOffsets off(p.window, p.dilation);
        nb.resize(off.K);
        windowNeighbours(off, cell.x, cell.y, width, g.featureSize.height, nb.data());
        nb.erase(std::remove(nb.begin(), nb.end(), -1), nb.end());
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
