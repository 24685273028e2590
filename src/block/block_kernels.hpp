// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Internal pieces of the ES-CRF block, shared by the forward/backward drivers.
//
// The message kernels work cell-major: features, gradients and embeddings are N x C (or
// N x 2E) so that the C channels of one neighbour are contiguous and every per-pair loop is a
// contiguous dot product or axpy. Both compatibility forms are one formula,
// mu(i,j) = sigmoid(u_i + v_j + c): the reference form has u = 0, c = 0 and v = w_comp.F, and
// then mu depends on j only and is precomputed once per cell (muJ).
//
// The dense (streamed) message is also the module's plain softmax attention engine: with
// separate key embeddings (eKT), no compatibility (muJ null, pair off) and normalize on it
// computes y_i = sum_j softmax_j(q_i . k_j * invTau) v_j with queries eT, keys eKT and values FT
// (the non-local block, src/block/nonlocal.cpp).
#ifndef OPENCV_ESCRF_BLOCK_KERNELS_HPP
#define OPENCV_ESCRF_BLOCK_KERNELS_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cv {
namespace escrf {
namespace block {

//! Read-only inputs of the pairwise message (all cell-major, continuous, depth T).
template <typename T>
struct MessageInput
{
    int h = 0, w = 0, C = 0, D = 0;   //!< map size, channels, embedding channels (2E)
    const T* FT = nullptr;            //!< N x C features
    const T* eT = nullptr;            //!< N x D embeddings (the queries when eKT is set)
    const T* eKT = nullptr;           //!< N x D key embeddings, or null: the keys are eT (dense only)
    const T* u = nullptr;             //!< N, pair compatibility term of i (pair only)
    const T* v = nullptr;             //!< N, compatibility logit of j
    const T* muJ = nullptr;           //!< N, sigmoid(v) (reference compatibility; null = no compatibility, mu = 1)
    const T* halfNorm = nullptr;      //!< N, |e_j|^2 / 2 (Gaussian kernel only)
    T c = 0;                          //!< pair compatibility bias
    bool pair = false;
    bool normalize = false;
    bool gaussian = false;            //!< score = -|e_i - e_j|^2 / 2, weight exp(score) unnormalised
    T invTau = 1;                     //!< 1 / sqrt(2E) for the softmax
    int window = 3, dilation = 2;
    int N() const { return h * w; }
    const T* keys() const { return eKT ? eKT : eT; }
};

//! Gradients produced by the message backward; the buffers are written (not added).
struct MessageGrad
{
    Mat dFT;   //!< N x C, direct term sum_i w_ij g_i (message weights only)
    Mat deT;   //!< N x D (the query terms only when in.eKT is set)
    Mat deKT;  //!< N x D, the key terms when in.eKT is set (empty otherwise: they are in deT)
    Mat du;    //!< 1 x N, gradient of the pair term u_i (pair only)
    Mat dv;    //!< 1 x N, gradient of the logit v_j
    double dc = 0;
};

/** Windowed message. FpT (N x C) = sum_j mu K F_j. `pairs` (N x 2k^2) keeps K (kernel weight,
 * score or softmax) and mu of every (cell, window offset) for the backward pass. */
template <typename T>
void windowForward(const MessageInput<T>& in, Mat& FpT, Mat& pairs);

/** Windowed message backward for g (N x C, already scaled by a_p). */
template <typename T>
void windowBackward(const MessageInput<T>& in, const Mat& pairs, const Mat& gT, MessageGrad& grad);

/** Dense message (every cell is a neighbour), streamed over tiles of j: memory O(N (C + D)).
 * stats (2 x N) keeps the running max and partition function of each row (normalize). */
template <typename T>
void denseForward(const MessageInput<T>& in, Mat& FpT, Mat& stats);

/** Dense message backward; recomputes the pair terms tile by tile (needs FpT for the softmax). */
template <typename T>
void denseBackward(const MessageInput<T>& in, const Mat& FpT, const Mat& stats, const Mat& gT,
                   MessageGrad& grad);

/** Superpixel mean prior applied to the rows of X (C x N): Y = X P with P = A D^-1 A^T, which is
 * symmetric, so the same call maps dOut to the gradient. Hard assignment when soft is empty.
 * The labels or the assignment are those checkInputs (block_plan.hpp) accepted. */
void superpixelPrior(const Mat& X, const Mat& cellLabels, int numSuperpixels,
                     const SoftAssignment* soft, Mat& Y);

//! dst = src^T (parallel, cache-blocked); dst must not share data with src.
void transposeFast(const Mat& src, Mat& dst);

/** e (N x 2E) = concat(W_img Ig, W_pos PE) per cell. The position encoding of prepareGuide is
 * separable (rows [0, P) depend on x only, rows [P, 2P) on y only), so W_pos PE is computed as
 * A[:, x] + B[:, y] with A = W_pos[:, :P] pe_x and B = W_pos[:, P:] pe_y: E P (w + h) products
 * instead of 2 E P N. */
void computeEmbedding(const Mat& W_img, const Mat& W_pos, const Mat& image, const Mat& position,
                      Size featureSize, Mat& eT);

//! dW_img += deT_img^T Ig^T, dW_pos += deT_pos^T PE^T (separably, see computeEmbedding).
void embeddingBackward(const Mat& deT, const Mat& image, const Mat& position, Size featureSize,
                       Mat& dW_img, Mat& dW_pos);

// ---------------------------------------------------------------- small vector helpers
// Written with independent partial sums so that the compiler vectorises them without
// -ffast-math (a plain sum reduction is not reassociated).

template <typename T>
static inline T dotN(const T* a, const T* b, int n)
{
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int k = 0;
    for (; k + 8 <= n; k += 8)
    {
        s0 += a[k] * b[k];         s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2]; s3 += a[k + 3] * b[k + 3];
        s4 += a[k + 4] * b[k + 4]; s5 += a[k + 5] * b[k + 5];
        s6 += a[k + 6] * b[k + 6]; s7 += a[k + 7] * b[k + 7];
    }
    for (; k < n; k++)
        s0 += a[k] * b[k];
    return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
}

template <typename T>
static inline T sigmoidT(T z)
{
    return z >= 0 ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
}

/** Score of the pair (i, j): e_i . e_j, or -|e_i - e_j|^2 / 2 = e_i . e_j - |e_i|^2/2 - |e_j|^2/2
 * with the Gaussian kernel (the norms are precomputed once per cell). */
template <typename T>
static inline T pairScore(const MessageInput<T>& in, int i, int j)
{
    const T s = dotN(in.eT + (size_t)i * in.D, in.keys() + (size_t)j * in.D, in.D);
    return in.gaussian ? s - in.halfNorm[i] - in.halfNorm[j] : s;
}

//! Compatibility mu(i, j) of the pair: pair form, reference form (muJ), or 1 without one.
template <typename T>
static inline T pairCompat(const MessageInput<T>& in, int i, int j)
{
    return in.pair ? sigmoidT(in.u[i] + in.v[j] + in.c) : in.muJ ? in.muJ[j] : T(1);
}

//! The offsets of a k x k window of dilation d, in raster order of the window (G(i) of the block).
struct WindowOffsets
{
    int K = 0;
    std::vector<int> dy, dx;
    WindowOffsets(int k, int d) : K(k * k), dy(k * k), dx(k * k)
    {
        const int r = k / 2;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                dy[a * k + b] = (a - r) * d;
                dx[a * k + b] = (b - r) * d;
            }
    }
};

//! nb[o] = the cell at window offset o of cell (x, y) on a w x h map, or -1 outside the map.
static inline void windowNeighbours(const WindowOffsets& off, int x, int y, int w, int h, int* nb)
{
    for (int o = 0; o < off.K; o++)
    {
        const int yy = y + off.dy[o], xx = x + off.dx[o];
        nb[o] = yy < 0 || yy >= h || xx < 0 || xx >= w ? -1 : yy * w + xx;
    }
}

/** The kernel weights K(i, j) of cell i for its neighbours nb[0..count) (-1: not a neighbour, weight
 * 0), as the message uses them: the score, exp(score) with the Gaussian kernel, or with normalize
 * softmax_j(score * invTau) over the neighbours. The windowed message calls it for every cell; the
 * kernel picture (explainBlockCell) for one. */
template <typename T>
static inline void kernelWeights(const MessageInput<T>& in, int i, const int* nb, int count, T* kw)
{
    T smax = -std::numeric_limits<T>::infinity();
    for (int o = 0; o < count; o++)
    {
        if (nb[o] < 0)
        {
            kw[o] = 0;
            continue;
        }
        kw[o] = pairScore(in, i, nb[o]);
        smax = std::max(smax, kw[o] * in.invTau);
    }
    if (in.normalize)
    {
        // Out-of-map neighbours are not part of G(i): they are left out of Z_i.
        T Z = 0;
        for (int o = 0; o < count; o++)
            if (nb[o] >= 0)
            {
                kw[o] = std::exp(kw[o] * in.invTau - smax);
                Z += kw[o];
            }
        const T invZ = T(1) / Z;
        for (int o = 0; o < count; o++)
            kw[o] *= invZ;
    }
    else if (in.gaussian)
    {
        for (int o = 0; o < count; o++)
            if (nb[o] >= 0)
                kw[o] = std::exp(kw[o]);
    }
}

template <typename T>
static inline void axpyN(T* y, T a, const T* x, int n)
{
    for (int k = 0; k < n; k++)
        y[k] += a * x[k];
}

}}} // namespace cv::escrf::block

#endif
