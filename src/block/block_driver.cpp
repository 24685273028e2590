// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Forward and backward drivers of the ES-CRF block: argument checks, the order of the
// pieces (embedding, compatibility, message, prior, fusion) and the cache between passes.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "block_plan.hpp"
#include "block_compat.hpp"

namespace cv {
namespace escrf {

using namespace block;

namespace {

// Slots of EscrfBlockCache::saved.
enum Slot { SLOT_META, SLOT_FPT, SLOT_AUX, SLOT_ET, SLOT_U, SLOT_V, SLOT_MUJ, SLOT_COUNT };

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

template <typename T>
void forwardT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
              const Plan& plan, Mat& out, EscrfBlockCache* cache)
{
    const int C = F.rows, N = F.cols, depth = F.depth();
    const int h = g.featureSize.height, wd = g.featureSize.width;
    std::vector<Mat> saved(SLOT_COUNT);
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
    {
        Mat Fs;
        superpixelPrior(F, g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, Fs);
        scaleAdd(Fs, plan.alphaS, result, result);
    }
    if (plan.pairwise)
    {
        const int E = w.W_img.rows;
        Mat FT, eT, u, v, muJ, FpT, aux;
        transposeFast(F, FT);
        computeEmbedding(w.W_img, w.W_pos, asDepth(g.image, depth), asDepth(g.position, depth), g.featureSize, eT);
        if (p.pairCompatibility)
        {
            compatLogits(w.a, F, u);
            compatLogits(w.b, F, v);
        }
        else
        {
            compatLogits(w.w_comp, F, v);
            sigmoidRow<T>(v, muJ);
        }
        const Mat halfNorm = halfSquaredNorms<T>(p, eT);
        MessageInput<T> in = messageInput<T>(p, h, wd, C, E, FT, eT, halfNorm, u, v, muJ, w.c);
        if (p.dense)
            denseForward(in, FpT, aux);
        else
            windowForward(in, FpT, aux);
        Mat Fp;
        transposeFast(FpT, Fp);
        scaleAdd(Fp, plan.alphaP, result, result);
        saved[SLOT_FPT] = FpT; saved[SLOT_AUX] = aux; saved[SLOT_ET] = eT;
        saved[SLOT_U] = u; saved[SLOT_V] = v; saved[SLOT_MUJ] = muJ;
    }
    out = result;
    if (cache)
    {
        saved[SLOT_META] = (Mat_<double>(1, 9) << plan.alphaS, plan.alphaP, plan.prior, plan.pairwise,
                            C, N, p.normalize, p.pairCompatibility, p.gaussianKernel);
        cache->saved = saved;
    }
}

template <typename T>
void backwardT(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F,
               const Plan& plan, const EscrfBlockCache& cache, const Mat& dOut, Mat& dF, EscrfBlockWeights& grads)
{
    const int C = F.rows, N = F.cols, depth = F.depth();
    const int h = g.featureSize.height, wd = g.featureSize.width;
    const std::vector<Mat>& saved = cache.saved;
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
        Mat PdOut;
        superpixelPrior(dOut, g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, PdOut);
        scaleAdd(PdOut, plan.alphaS, grad, grad);
        grads.alphaS += F.dot(PdOut);   // sum(Fs .* dOut) = sum(F .* P dOut), P symmetric
    }
    if (plan.pairwise)
    {
        const int E = w.W_img.rows;
        const Mat& FpT = saved[SLOT_FPT];
        CV_Assert(FpT.rows == N && FpT.cols == C && FpT.depth() == depth);
        Mat dOutT;
        transposeFast(dOut, dOutT);
        grads.alphaP += FpT.dot(dOutT);
        if (plan.alphaP != 0)
        {
            Mat FT, gT;
            transposeFast(F, FT);
            gT = dOutT * plan.alphaP;
            const Mat halfNorm = halfSquaredNorms<T>(p, saved[SLOT_ET]);
            MessageInput<T> in = messageInput<T>(p, h, wd, C, E, FT, saved[SLOT_ET], halfNorm, saved[SLOT_U],
                                                 saved[SLOT_V], saved[SLOT_MUJ], w.c);
            MessageGrad mg;
            if (p.dense)
                denseBackward(in, FpT, saved[SLOT_AUX], gT, mg);
            else
                windowBackward(in, saved[SLOT_AUX], gT, mg);
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
            embeddingBackward(mg.deT, asDepth(g.image, depth), asDepth(g.position, depth), g.featureSize,
                              grads.W_img, grads.W_pos);
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
    const std::vector<Mat>& s = cache.saved;
    if ((int)s.size() != SLOT_COUNT || s[SLOT_META].total() != 9)
        CV_Error(Error::StsBadArg, "escrfBlockBackward: cache was not filled by escrfBlockForward");
    const double* meta = s[SLOT_META].ptr<double>();
    if (meta[0] != plan.alphaS || meta[1] != plan.alphaP || (meta[2] != 0) != plan.prior ||
        (meta[3] != 0) != plan.pairwise || meta[4] != F.rows || meta[5] != F.cols ||
        (meta[6] != 0) != params.normalize || (meta[7] != 0) != params.pairCompatibility ||
        (meta[8] != 0) != params.gaussianKernel)
        CV_Error(Error::StsBadArg, "escrfBlockBackward: cache comes from a forward pass with other params, "
                                   "weights or feature size");
    checkGrads(kBackward, params, weights, grads, plan);
    Mat Fc = F.isContinuous() ? F : F.clone();
    Mat dOutc = dOut.isContinuous() ? dOut : dOut.clone();
    if (F.depth() == CV_32F)
        backwardT<float>(params, weights, guide, Fc, plan, cache, dOutc, dF, grads);
    else
        backwardT<double>(params, weights, guide, Fc, plan, cache, dOutc, dF, grads);
}

}} // namespace cv::escrf
