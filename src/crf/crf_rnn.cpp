// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Mean-field steps are computed cell-major (Nc x K, one row per cell of the mean-field grid):
// the Gaussian filters splat and slice whole rows, and the softmax and the compatibility act on
// one cell's K labels. The scores are transposed once on the way in and once on the way out.
// The forward pass stores Q and the two messages of every step (3 T Nc K values), so that the
// backward pass applies only the adjoint filters (one per kernel and step) and no forward one.

#include "precomp.hpp"
#include "opencv2/escrf/crf.hpp"
#include "crf/crf_rnn.hpp"

#include <cfloat>

namespace cv {
namespace escrf {
namespace detail {

namespace {

enum { BILATERAL = 0, SPATIAL = 1 };

void checkParams(const char* fn, const CrfRnnParams& p)
{
    checkCrfRnnParams(fn, "params", p);
}

//! out = rows of X scaled by s (N x 1): out_i = s_i X_i; out may be X.
template <typename T>
void scaleRows(const Mat& s, const Mat& X, Mat& out)
{
    out.create(X.size(), X.type());
    parallel_for_(Range(0, X.rows), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const T a = s.at<T>(i);
            const T* x = X.ptr<T>(i);
            T* o = out.ptr<T>(i);
            for (int c = 0; c < X.cols; c++)
                o[c] = a * x[c];
        }
    });
}

//! M -= self .* X, row-wise: leaves each cell out of its own filtered value.
template <typename T>
void leaveOut(const Mat& self, const Mat& X, Mat& M)
{
    parallel_for_(Range(0, M.rows), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const T s = self.at<T>(i);
            const T* x = X.ptr<T>(i);
            T* m = M.ptr<T>(i);
            for (int c = 0; c < M.cols; c++)
                m[c] -= s * x[c];
        }
    });
}

//! Q = softmax of each row of z (Nc x K); the exponentials through cv::exp (vectorised).
template <typename T>
void softmaxRows(const Mat& z, Mat& Q)
{
    Q.create(z.size(), z.type());
    parallel_for_(Range(0, z.rows), [&](const Range& r) {
        const int K = z.cols;
        for (int i = r.start; i < r.end; i++)
        {
            const T* zi = z.ptr<T>(i);
            const T mx = *std::max_element(zi, zi + K);
            T* q = Q.ptr<T>(i);
            for (int k = 0; k < K; k++)
                q[k] = zi[k] - mx;
        }
        Mat block = Q.rowRange(r.start, r.end);
        exp(block, block);
        for (int i = r.start; i < r.end; i++)
        {
            T* q = Q.ptr<T>(i);
            T sum = 0;
            for (int k = 0; k < K; k++)
                sum += q[k];
            const T inv = T(1) / sum;
            for (int k = 0; k < K; k++)
                q[k] *= inv;
        }
    });
}

//! gz = Q .* (gQ - sum_l Q(l) gQ(l)) per row: the softmax's backward pass.
template <typename T>
void softmaxBackward(const Mat& Q, const Mat& gQ, Mat& gz)
{
    gz.create(Q.size(), Q.type());
    parallel_for_(Range(0, Q.rows), [&](const Range& r) {
        const int K = Q.cols;
        for (int i = r.start; i < r.end; i++)
        {
            const T* q = Q.ptr<T>(i);
            const T* g = gQ.ptr<T>(i);
            T* o = gz.ptr<T>(i);
            T dot = 0;
            for (int k = 0; k < K; k++)
                dot += q[k] * g[k];
            for (int k = 0; k < K; k++)
                o[k] = q[k] * (g[k] - dot);
        }
    });
}

//! a = Mb diag(wb) + Ms diag(ws): the kernel-weighted messages (Nc x K).
template <typename T>
void weightedMessages(const Mat& Mb, const Mat& Ms, const Mat& wb, const Mat& ws, Mat& a)
{
    a.create(Mb.size(), Mb.type());
    const T* b = wb.ptr<T>();
    const T* s = ws.ptr<T>();
    parallel_for_(Range(0, Mb.rows), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const T* mb = Mb.ptr<T>(i);
            const T* ms = Ms.ptr<T>(i);
            T* o = a.ptr<T>(i);
            for (int k = 0; k < Mb.cols; k++)
                o[k] = b[k] * mb[k] + s[k] * ms[k];
        }
    });
}

//! out = X diag(w) for X (Nc x K) and w (1 x K).
template <typename T>
void scaleColumns(const Mat& X, const Mat& w, Mat& out)
{
    out.create(X.size(), X.type());
    const T* wk = w.ptr<T>();
    parallel_for_(Range(0, X.rows), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const T* x = X.ptr<T>(i);
            T* o = out.ptr<T>(i);
            for (int k = 0; k < X.cols; k++)
                o[k] = wk[k] * x[k];
        }
    });
}

//! sum_i X_i(l) Y_i(l) for each column l, added to acc (1 x K).
template <typename T>
void addColumnDots(const Mat& X, const Mat& Y, Mat& acc)
{
    T* a = acc.ptr<T>();
    for (int i = 0; i < X.rows; i++)
    {
        const T* x = X.ptr<T>(i);
        const T* y = Y.ptr<T>(i);
        for (int k = 0; k < X.cols; k++)
            a[k] += x[k] * y[k];
    }
}

Mat transposed(const Mat& m)
{
    Mat t;
    transpose(m, t);
    return t;
}

void checkWeights(const char* fn, const char* what, const CrfRnnWeights& w, int K, int depth)
{
    const struct { const char* name; const Mat& m; int rows; } items[] = {
        { "bilateral", w.bilateral, 1 }, { "spatial", w.spatial, 1 }, { "compat", w.compat, K } };
    for (const auto& it : items)
        if (it.m.rows != it.rows || it.m.cols != K || it.m.type() != CV_MAKETYPE(depth, 1) || !it.m.isContinuous())
            CV_Error_(Error::StsBadArg, ("%s: %s.%s is %dx%d %s, expected %dx%d %s (K = %d classes, the depth of "
                                         "the scores)", fn, what, it.name, it.m.rows, it.m.cols,
                                         typeToString(it.m.type()).c_str(), it.rows, K,
                                         typeToString(CV_MAKETYPE(depth, 1)).c_str(), K));
}

void checkScores(const char* fn, const char* name, const Mat& U, const CrfRnnGuide& guide)
{
    const int N = guide.grid().fine().area();
    if (U.dims != 2 || U.rows < 1 || U.cols != N || U.type() != CV_MAKETYPE(guide.depth(), 1))
        CV_Error_(Error::StsBadArg, ("%s: %s is %dx%d %s, expected K x N = K x %d %s (the guide's grid and depth)",
                                     fn, name, U.rows, U.cols, typeToString(U.type()).c_str(), N,
                                     typeToString(CV_MAKETYPE(guide.depth(), 1)).c_str()));
}

template <typename T>
void forwardT(const CrfRnnParams& p, const CrfRnnWeights& w, const CrfRnnGuide& guide, const Mat& U, Mat& out,
              CrfRnnCache* cache)
{
    const CoarseGrid& grid = guide.grid();
    Mat Uc;
    grid.pool(U, Uc);
    const Mat UcT = transposed(Uc);   // Nc x K
    Mat z = UcT.clone(), a;
    std::vector<CrfRnnCache::Step> steps(cache ? p.iterations : 0);
    CrfRnnCache::Step scratch;   // without a cache, every step reuses these buffers
    for (int t = 1; t <= p.iterations; t++)
    {
        CrfRnnCache::Step& s = cache ? steps[t - 1] : scratch;
        softmaxRows<T>(z, s.Q);
        guide.message(BILATERAL, s.Q, s.Mb);
        guide.message(SPATIAL, s.Q, s.Ms);
        weightedMessages<T>(s.Mb, s.Ms, w.bilateral, w.spatial, a);
        gemm(a, w.compat, -1, UcT, 1, z, GEMM_2_T);   // z = U - a mu^T
    }
    if (grid.factor() == 1)
        transpose(z, out);
    else
    {
        Mat up;
        grid.upsample(transposed(z - UcT), up);
        out = U + up;
    }
    if (cache)
    {
        cache->key = CrfRnnCache::Key(p, U.rows, guide);
        cache->steps = std::move(steps);
    }
}

template <typename T>
void backwardT(const CrfRnnParams& p, const CrfRnnWeights& w, const CrfRnnGuide& guide, const CrfRnnCache& cache,
               const Mat& dOut, Mat& dU, CrfRnnWeights& grads)
{
    const CoarseGrid& grid = guide.grid();
    Mat gOutC;
    grid.upsampleAdjoint(dOut, gOutC);
    const Mat gTop = transposed(gOutC);   // gradient of z_T, Nc x K
    Mat gz = gTop.clone(), gU = Mat::zeros(gTop.size(), gTop.type());
    Mat a, ga, gMb, gMs, gQ, gQs;   // reused by every step
    for (int t = p.iterations; t >= 1; t--)
    {
        const Mat &Q = cache.steps[t - 1].Q, &Mb = cache.steps[t - 1].Mb, &Ms = cache.steps[t - 1].Ms;
        gU += gz;
        weightedMessages<T>(Mb, Ms, w.bilateral, w.spatial, a);
        gemm(gz, a, -1, grads.compat, 1, grads.compat, GEMM_1_T);   // dmu = -gz^T a
        gemm(gz, w.compat, -1, noArray(), 0, ga);                     // da = -gz mu
        addColumnDots<T>(ga, Mb, grads.bilateral);
        addColumnDots<T>(ga, Ms, grads.spatial);
        scaleColumns<T>(ga, w.bilateral, gMb);
        scaleColumns<T>(ga, w.spatial, gMs);
        guide.messageAdjoint(BILATERAL, gMb, gQ);
        guide.messageAdjoint(SPATIAL, gMs, gQs);
        gQ += gQs;
        softmaxBackward<T>(Q, gQ, gz);
    }
    gU += gz;   // z_0 = pool(U)
    if (grid.factor() == 1)
        transpose(gU, dU);
    else
    {
        // out = U + up(z_T - pool(U)): the identity, plus the mean field's gradient less gTop, pooled back.
        Mat fine;
        grid.poolAdjoint(transposed(gU - gTop), fine);
        dU = dOut + fine;
    }
}

} // namespace

void checkCrfRnnParams(const char* fn, const char* what, const CrfRnnParams& p)
{
    if (p.iterations < 0)
        CV_Error_(Error::StsOutOfRange, ("%s: %s.iterations = %d, expected >= 0", fn, what, p.iterations));
    if (p.factor < 1)
        CV_Error_(Error::StsOutOfRange, ("%s: %s.factor = %d, expected >= 1", fn, what, p.factor));
    const struct { const char* name; float value; } widths[] = {
        { "bilateralSxy", p.bilateralSxy }, { "bilateralSrgb", p.bilateralSrgb }, { "spatialSxy", p.spatialSxy } };
    for (const auto& w : widths)
        if (!(w.value > 0.f && w.value <= FLT_MAX))
            CV_Error_(Error::StsOutOfRange, ("%s: %s.%s = %g, expected finite and > 0", fn, what, w.name, w.value));
}

CrfRnnCache::Key::Key(const CrfRnnParams& params, int K, const CrfRnnGuide& guide)
    : iterations(params.iterations), classes(K), cells(guide.grid().coarse().area()), factor(params.factor)
{
}

CrfRnnWeights CrfRnnWeights::create(int numClasses, int depth)
{
    if (numClasses < 1)
        CV_Error_(Error::StsBadArg, ("CrfRnnWeights::create: numClasses = %d, expected >= 1", numClasses));
    if (depth != CV_32F && depth != CV_64F)
        CV_Error_(Error::StsBadArg, ("CrfRnnWeights::create: depth %d, expected CV_32F or CV_64F", depth));
    const DenseCrfParams dense;
    CrfRnnWeights w;
    w.bilateral = Mat(1, numClasses, depth, Scalar(dense.bilateralWeight));
    w.spatial = Mat(1, numClasses, depth, Scalar(dense.gaussianWeight));
    w.compat = Mat(numClasses, numClasses, depth, Scalar(1));
    w.compat.diag().setTo(0);
    return w;
}

CrfRnnWeights CrfRnnWeights::zerosLike() const
{
    CrfRnnWeights z;
    z.bilateral = Mat::zeros(bilateral.size(), bilateral.type());
    z.spatial = Mat::zeros(spatial.size(), spatial.type());
    z.compat = Mat::zeros(compat.size(), compat.type());
    return z;
}

namespace {

// The guide's arguments are checked before its members are built from them.
CoarseGrid checkedGrid(const CrfRnnParams& params, Size grid)
{
    checkParams("CrfRnnGuide", params);
    if (grid.width < 1 || grid.height < 1)
        CV_Error_(Error::StsBadArg, ("CrfRnnGuide: grid is %dx%d, expected the non-empty size of the head's map",
                                     grid.width, grid.height));
    return CoarseGrid(grid, params.factor);
}

} // namespace

CrfRnnGuide::CrfRnnGuide(const CrfRnnParams& params, const Mat& colour, Size grid, Size imageSize, int depth)
    : grid_(checkedGrid(params, grid)), depth_(depth)
{
    const char* fn = "CrfRnnGuide";
    if (imageSize.width < 1 || imageSize.height < 1)
        CV_Error_(Error::StsBadArg, ("%s: imageSize is %dx%d, expected a non-empty image", fn, imageSize.width,
                                     imageSize.height));
    if (colour.dims != 2 || colour.rows != 3 || colour.cols != grid.area() || colour.type() != CV_32FC1)
        CV_Error_(Error::StsBadArg, ("%s: colour is %dx%d %s, expected 3 x N = 3 x %d CV_32F planes (grid %dx%d)",
                                     fn, colour.rows, colour.cols, typeToString(colour.type()).c_str(),
                                     grid.area(), grid.width, grid.height));
    if (depth != CV_32F && !(depth == CV_64F && params.exactBilateral))
        CV_Error_(Error::StsBadArg, ("%s: depth %s, expected CV_32F, or CV_64F with params.exactBilateral (the "
                                     "lattice filters floats)", fn, typeToString(depth).c_str()));
    // Features in double (exact for a CV_64F guide), converted to float for the lattice.
    Mat colourD, pooled;
    colour.convertTo(colourD, CV_64F);
    grid_.pool(colourD, pooled);
    const Size coarse = grid_.coarse();
    Mat features(coarse.area(), 5, CV_64F);
    const double colourScale = 255.0 / params.bilateralSrgb;
    for (int Y = 0; Y < coarse.height; Y++)
        for (int X = 0; X < coarse.width; X++)
        {
            const int i = Y * coarse.width + X;
            const Point2d c = grid_.cellCentre(X, Y, imageSize);
            double* f = features.ptr<double>(i);
            f[0] = c.x / params.bilateralSxy;
            f[1] = c.y / params.bilateralSxy;
            for (int k = 0; k < 3; k++)
                f[2 + k] = pooled.at<double>(k, i) * colourScale;
        }
    features.convertTo(features, params.exactBilateral ? depth : CV_32F);
    bilateral_ = params.exactBilateral ? makeExactGaussianFilter(features) : makeLatticeGaussianFilter(features);
    // Cell spacing in image pixels along each axis, to express the spatial width in cells.
    const double stepX = (double)imageSize.width / coarse.width, stepY = (double)imageSize.height / coarse.height;
    spatial_ = makeGridGaussianFilter(coarse, params.spatialSxy / stepX, params.spatialSxy / stepY, depth);

    const GaussianFilter* filters[2] = { bilateral_.get(), spatial_.get() };
    const Mat ones(coarse.area(), 1, depth, Scalar(1));
    for (int k = 0; k < 2; k++)
    {
        Mat total;
        filters[k]->apply(ones, total);
        // The sum includes the cell itself (>= its self weight > 0); the floor only guards rounding.
        max(total, depth == CV_32F ? FLT_MIN : DBL_MIN, total);
        divide(1.0, total, invNorm_[k]);
    }
}

void CrfRnnGuide::message(int kernel, const Mat& Q, Mat& M) const
{
    CV_Assert(kernel == BILATERAL || kernel == SPATIAL);
    const GaussianFilter& f = kernel == BILATERAL ? *bilateral_ : *spatial_;
    // M = D^-1 (G - S) Q: filter, leave the cell out, normalise.
    f.apply(Q, M);
    if (depth_ == CV_32F)
    {
        leaveOut<float>(f.selfWeights(), Q, M);
        scaleRows<float>(invNorm_[kernel], M, M);
    }
    else
    {
        leaveOut<double>(f.selfWeights(), Q, M);
        scaleRows<double>(invNorm_[kernel], M, M);
    }
}

void CrfRnnGuide::messageAdjoint(int kernel, const Mat& gM, Mat& gQ) const
{
    CV_Assert(kernel == BILATERAL || kernel == SPATIAL);
    const GaussianFilter& f = kernel == BILATERAL ? *bilateral_ : *spatial_;
    // gQ = (G^T - S) D^-1 gM.
    Mat h;
    if (depth_ == CV_32F)
        scaleRows<float>(invNorm_[kernel], gM, h);
    else
        scaleRows<double>(invNorm_[kernel], gM, h);
    f.applyAdjoint(h, gQ);
    if (depth_ == CV_32F)
        leaveOut<float>(f.selfWeights(), h, gQ);
    else
        leaveOut<double>(f.selfWeights(), h, gQ);
}

void crfRnnForward(const CrfRnnParams& params, const CrfRnnWeights& weights, const CrfRnnGuide& guide,
                   const Mat& U, Mat& out, CrfRnnCache* cache)
{
    const char* fn = "crfRnnForward";
    checkParams(fn, params);
    if (params.factor != guide.grid().factor())
        CV_Error_(Error::StsBadArg, ("%s: params.factor = %d but the guide was built with factor %d", fn,
                                     params.factor, guide.grid().factor()));
    checkScores(fn, "U", U, guide);
    checkWeights(fn, "weights", weights, U.rows, guide.depth());
    const Mat Uc = U.isContinuous() ? U : U.clone();
    if (guide.depth() == CV_32F)
        forwardT<float>(params, weights, guide, Uc, out, cache);
    else
        forwardT<double>(params, weights, guide, Uc, out, cache);
}

void crfRnnBackward(const CrfRnnParams& params, const CrfRnnWeights& weights, const CrfRnnGuide& guide,
                    const CrfRnnCache& cache, const Mat& dOut, Mat& dU, CrfRnnWeights& grads)
{
    const char* fn = "crfRnnBackward";
    checkParams(fn, params);
    checkScores(fn, "dOut", dOut, guide);
    const int K = dOut.rows, depth = guide.depth();
    if (cache.empty())
        CV_Error(Error::StsBadArg, "crfRnnBackward: cache was not filled by crfRnnForward");
    if (cache.key.classes != K)
        CV_Error_(Error::StsBadArg, ("crfRnnBackward: dOut has %d classes, the forward pass that filled cache had %d",
                                     K, cache.key.classes));
    if (!(cache.key == CrfRnnCache::Key(params, K, guide)) || (int)cache.steps.size() != params.iterations)
        CV_Error(Error::StsBadArg, "crfRnnBackward: cache comes from a forward pass with other params or guide");
    checkWeights(fn, "weights", weights, K, depth);
    checkWeights(fn, "grads", grads, K, depth);
    const Mat dOutc = dOut.isContinuous() ? dOut : dOut.clone();
    if (depth == CV_32F)
        backwardT<float>(params, weights, guide, cache, dOutc, dU, grads);
    else
        backwardT<double>(params, weights, guide, cache, dOutc, dU, grads);
}

}}} // namespace cv::escrf::detail
