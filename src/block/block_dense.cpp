// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Dense pairwise message: G(i) = every cell. Memory stays O(N (C + 2E)); no N x N buffer:
//  * plain scores with the reference compatibility are linear in the pairs, so
//    Fp = (F diag(mu) e^T) e is two thin matrix products;
//  * otherwise (softmax, pair compatibility and/or the Gaussian kernel) the pairs are streamed in tiles with an
//    online softmax (as memory-efficient attention); the backward pass recomputes the tiles
//    in one pass over blocks of j: the terms of j belong to the block's owner, the terms of i
//    go to a fixed number of stripe accumulators summed in order (deterministic).
// The streamed path doubles as plain softmax attention (separate keys, no compatibility) for the
// non-local block; see block_kernels.hpp.

#include "precomp.hpp"
#include "block_kernels.hpp"

namespace cv {
namespace escrf {
namespace block {

namespace {

const int TILE_I = 16;    // rows of cells sharing one streamed tile of neighbours
const int TILE_J = 128;   // neighbours per tile (TILE_J x C stays in L2)

template <typename T>
void scaleRows(const T* s, const Mat& X, Mat& Y)
{
    Y.create(X.size(), X.type());
    for (int i = 0; i < X.rows; i++)
    {
        const T* x = X.ptr<T>(i);
        T* y = Y.ptr<T>(i);
        for (int c = 0; c < X.cols; c++)
            y[c] = s[i] * x[c];
    }
}

template <typename T>
Mat wrap(const T* p, int rows, int cols)
{
    return Mat(rows, cols, DataType<T>::depth, const_cast<T*>(p));
}

template <typename T>
void linearForward(const MessageInput<T>& in, Mat& FpT)
{
    const int N = in.N();
    Mat FT = wrap(in.FT, N, in.C), eT = wrap(in.eT, N, in.D), GT, Qt;
    scaleRows(in.muJ, FT, GT);
    gemm(eT, GT, 1, noArray(), 0, Qt, GEMM_1_T);   // D x C
    gemm(eT, Qt, 1, noArray(), 0, FpT);             // N x C
}

template <typename T>
void linearBackward(const MessageInput<T>& in, const Mat& gT, MessageGrad& grad)
{
    const int N = in.N(), C = in.C;
    Mat FT = wrap(in.FT, N, C), eT = wrap(in.eT, N, in.D), GT, Qt, dQt, dGT, tmp;
    scaleRows(in.muJ, FT, GT);
    gemm(eT, GT, 1, noArray(), 0, Qt, GEMM_1_T);
    gemm(eT, gT, 1, noArray(), 0, dQt, GEMM_1_T);    // D x C
    gemm(gT, Qt, 1, noArray(), 0, grad.deT, GEMM_2_T);
    gemm(GT, dQt, 1, grad.deT, 1, grad.deT, GEMM_2_T);
    gemm(eT, dQt, 1, noArray(), 0, dGT);             // N x C
    scaleRows(in.muJ, dGT, grad.dFT);
    grad.du = Mat::zeros(1, N, DataType<T>::depth);
    grad.dv.create(1, N, DataType<T>::depth);
    T* dv = grad.dv.ptr<T>();
    for (int j = 0; j < N; j++)
    {
        const T m = in.muJ[j];
        dv[j] = dotN(FT.ptr<T>(j), dGT.ptr<T>(j), C) * m * (T(1) - m);
    }
}

// Per-pair quantities of one tile: score, compatibility and kernel weight.
template <typename T>
struct PairTile
{
    std::vector<T> s, mu;
    PairTile() : s(TILE_I * TILE_J), mu(TILE_I * TILE_J) {}

    void compute(const MessageInput<T>& in, int i0, int ni, int j0, int nj)
    {
        for (int a = 0; a < ni; a++)
        {
            const int i = i0 + a;
            T* srow = &s[a * TILE_J];
            T* mrow = &mu[a * TILE_J];
            for (int b = 0; b < nj; b++)
            {
                const int j = j0 + b;
                srow[b] = pairScore(in, i, j);
                mrow[b] = pairCompat(in, i, j);
            }
        }
    }
};

template <typename T>
void streamForward(const MessageInput<T>& in, Mat& FpT, Mat& stats)
{
    const int N = in.N(), C = in.C;
    FpT.create(N, C, DataType<T>::depth);
    stats.create(2, N, DataType<T>::depth);
    const int blocks = (N + TILE_I - 1) / TILE_I;
    parallel_for_(Range(0, blocks), [&](const Range& r) {
        PairTile<T> tile;
        for (int blk = r.start; blk < r.end; blk++)
        {
            const int i0 = blk * TILE_I, ni = std::min(TILE_I, N - i0);
            T m[TILE_I], l[TILE_I];
            for (int a = 0; a < ni; a++)
            {
                m[a] = -std::numeric_limits<T>::infinity();
                l[a] = 0;
                T* acc = FpT.ptr<T>(i0 + a);
                std::fill(acc, acc + C, T(0));
            }
            for (int j0 = 0; j0 < N; j0 += TILE_J)
            {
                const int nj = std::min(TILE_J, N - j0);
                tile.compute(in, i0, ni, j0, nj);
                for (int a = 0; a < ni; a++)
                {
                    T* srow = &tile.s[a * TILE_J];
                    const T* mrow = &tile.mu[a * TILE_J];
                    T* acc = FpT.ptr<T>(i0 + a);
                    if (in.normalize)
                    {
                        T tmax = m[a];
                        for (int b = 0; b < nj; b++)
                            tmax = std::max(tmax, srow[b] * in.invTau);
                        if (tmax > m[a])
                        {
                            // Rescale what was accumulated under the old maximum.
                            const T scale = std::exp(m[a] - tmax);
                            l[a] *= scale;
                            for (int c = 0; c < C; c++)
                                acc[c] *= scale;
                            m[a] = tmax;
                        }
                        for (int b = 0; b < nj; b++)
                        {
                            const T p = std::exp(srow[b] * in.invTau - m[a]);
                            l[a] += p;
                            srow[b] = p * mrow[b];
                        }
                    }
                    else
                    {
                        for (int b = 0; b < nj; b++)
                            srow[b] = (in.gaussian ? std::exp(srow[b]) : srow[b]) * mrow[b];
                    }
                    for (int b = 0; b < nj; b++)
                        axpyN(acc, srow[b], in.FT + (size_t)(j0 + b) * C, C);
                }
            }
            for (int a = 0; a < ni; a++)
            {
                const int i = i0 + a;
                if (in.normalize)
                {
                    T* acc = FpT.ptr<T>(i);
                    const T inv = T(1) / l[a];
                    for (int c = 0; c < C; c++)
                        acc[c] *= inv;
                }
                stats.at<T>(0, i) = m[a];
                stats.at<T>(1, i) = l[a];
            }
        }
    });
}

// Gradients of one pair (i, j) given the recomputed score s and compatibility mu.
template <typename T>
struct PairGrad
{
    T weight;   // mu K, the message weight (for dF_j)
    T ds;       // d score
    T dz;       // d compatibility logit
};

template <typename T>
inline PairGrad<T> pairGrad(const MessageInput<T>& in, T s, T mu, T t, T mi, T invL, T Di)
{
    PairGrad<T> g;
    const T K = in.normalize ? std::exp(s * in.invTau - mi) * invL : in.gaussian ? std::exp(s) : s;
    const T dK = mu * t;
    g.weight = mu * K;
    g.ds = in.normalize ? K * (dK - Di) * in.invTau : in.gaussian ? K * dK : dK;
    g.dz = K * t * mu * (T(1) - mu);
    return g;
}

template <typename T>
void streamBackward(const MessageInput<T>& in, const Mat& FpT, const Mat& stats, const Mat& gT,
                    MessageGrad& grad)
{
    const int N = in.N(), C = in.C, D = in.D;
    const int depth = DataType<T>::depth;
    grad.dFT.create(N, C, depth);
    grad.deT = Mat::zeros(N, D, depth);
    if (in.eKT)
        grad.deKT = Mat::zeros(N, D, depth);   // rows of j written by j's owner only
    else
        grad.deKT.release();
    grad.du = Mat::zeros(1, N, depth);
    grad.dv.create(1, N, depth);
    // D_i = sum_j K_ij dK_ij = g_i . Fp_i (the softmax backward term).
    std::vector<T> Dsum(N), invL(N), mrow(N);
    for (int i = 0; i < N; i++)
    {
        Dsum[i] = dotN(gT.ptr<T>(i), FpT.ptr<T>(i), C);
        mrow[i] = stats.at<T>(0, i);
        invL[i] = T(1) / stats.at<T>(1, i);
    }
    const int blocks = (N + TILE_I - 1) / TILE_I;
    T* dv = grad.dv.ptr<T>();

    // One pass over blocks of j, all i. The terms of j (dF_j, de_j, dv_j) belong to the block's
    // owner; the terms of i (de_i, du_i) go to a per-stripe accumulator, summed at the end:
    // memory O(stripes N (2E + 1)), still no N x N buffer.
    // A fixed number of stripes, summed in order afterwards: the result depends neither on the
    // thread scheduling nor on the thread count (memory: 8 N (2E + 1) values at most).
    const int stripes = std::max(1, std::min(blocks, 8));
    std::vector<Mat> deParts(stripes), duParts(stripes), dsParts(stripes);
    parallel_for_(Range(0, stripes), [&](const Range& r) {
        for (int st = r.start; st < r.end; st++)
        {
            Mat deLocal = Mat::zeros(N, D, depth), duLocal = Mat::zeros(1, N, depth);
            Mat dsLocal = Mat::zeros(1, N, depth);   // sum_j ds_ij per i (Gaussian kernel)
            T* dul = duLocal.ptr<T>();
            T* dsl = dsLocal.ptr<T>();
            const int b0 = (int)((int64)blocks * st / stripes), b1 = (int)((int64)blocks * (st + 1) / stripes);
            for (int blk = b0; blk < b1; blk++)
            {
                const int j0 = blk * TILE_I, nj = std::min(TILE_I, N - j0);
                for (int b = 0; b < nj; b++)
                {
                    T* df = grad.dFT.ptr<T>(j0 + b);
                    std::fill(df, df + C, T(0));
                    dv[j0 + b] = 0;
                }
                for (int i0 = 0; i0 < N; i0 += TILE_J)
                {
                    const int ni = std::min(TILE_J, N - i0);
                    for (int b = 0; b < nj; b++)
                    {
                        const int j = j0 + b;
                        const T* ej = in.keys() + (size_t)j * D;
                        const T* fj = in.FT + (size_t)j * C;
                        T* df = grad.dFT.ptr<T>(j);
                        // Key terms of j: with shared embeddings summed with the other stripes below.
                        T* de = in.eKT ? grad.deKT.ptr<T>(j) : deLocal.ptr<T>(j);
                        T dvj = 0, dsj = 0;
                        for (int a = 0; a < ni; a++)
                        {
                            const int i = i0 + a;
                            const T* gi = gT.ptr<T>(i);
                            const T* ei = in.eT + (size_t)i * D;
                            const T s = pairScore(in, i, j);
                            const T mu = pairCompat(in, i, j);
                            const T t = dotN(gi, fj, C);
                            const PairGrad<T> g = pairGrad(in, s, mu, t, mrow[i], invL[i], Dsum[i]);
                            axpyN(df, g.weight, gi, C);
                            axpyN(de, g.ds, ei, D);
                            axpyN(deLocal.ptr<T>(i), g.ds, ej, D);
                            dul[i] += g.dz;
                            dsl[i] += g.ds;
                            dsj += g.ds;
                            dvj += g.dz;
                        }
                        // Gaussian kernel: d score / d e_j = e_i - e_j.
                        if (in.gaussian)
                            axpyN(de, -dsj, ej, D);
                        dv[j] += dvj;
                    }
                }
            }
            deParts[st] = deLocal;
            duParts[st] = duLocal;
            dsParts[st] = dsLocal;
        }
    }, stripes);
    Mat dsSum = Mat::zeros(1, N, depth);
    for (int st = 0; st < stripes; st++)
    {
        grad.deT += deParts[st];
        grad.du += duParts[st];
        dsSum += dsParts[st];
    }
    // Gaussian kernel: d score / d e_i = e_j - e_i, the e_i part summed over j.
    if (in.gaussian)
        for (int i = 0; i < N; i++)
            axpyN(grad.deT.ptr<T>(i), -dsSum.at<T>(i), in.eT + (size_t)i * D, D);
}

} // namespace

template <typename T>
void denseForward(const MessageInput<T>& in, Mat& FpT, Mat& stats)
{
    // Separate keys: plain (non-Gaussian) scores only, and no linear path (it uses eT for both).
    CV_Assert(!in.eKT || (!in.gaussian && (in.normalize || in.pair)));
    if (!in.normalize && !in.pair && !in.gaussian)
    {
        linearForward(in, FpT);
        stats.release();
        return;
    }
    streamForward(in, FpT, stats);
}

template <typename T>
void denseBackward(const MessageInput<T>& in, const Mat& FpT, const Mat& stats, const Mat& gT,
                   MessageGrad& grad)
{
    if (!in.normalize && !in.pair && !in.gaussian)
    {
        linearBackward(in, gT, grad);
        return;
    }
    CV_Assert(!in.eKT || (!in.gaussian && (in.normalize || in.pair)));
    CV_Assert(stats.rows == 2 && stats.cols == in.N() && stats.depth() == DataType<T>::depth);
    streamBackward(in, FpT, stats, gT, grad);
}

template void denseForward<float>(const MessageInput<float>&, Mat&, Mat&);
template void denseForward<double>(const MessageInput<double>&, Mat&, Mat&);
template void denseBackward<float>(const MessageInput<float>&, const Mat&, const Mat&, const Mat&, MessageGrad&);
template void denseBackward<double>(const MessageInput<double>&, const Mat&, const Mat&, const Mat&, MessageGrad&);

}}} // namespace cv::escrf::block
