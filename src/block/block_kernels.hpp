// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Internal pieces of the ES-CRF block, shared by the forward/backward drivers and by the head's
// inference path (src/head/head_inference.cpp), which runs the same row kernels without keeping
// what only a backward pass reads.
//
// The windowed forward message works row by row on channel-major features (C x N), vectorised
// along the row, with the factored pair scores of WindowScores. The backward passes and the dense
// message work cell-major: features, gradients and embeddings are N x C (or N x 2E) so that the
// C channels of one neighbour are contiguous and every per-pair loop is a contiguous dot product
// or axpy. Both compatibility forms are one formula,
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
#include "opencv2/escrf/block.hpp"
#include <cmath>
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

//! The message inputs of the backward and dense kernels.
template <typename T>
inline MessageInput<T> messageInput(const EscrfBlockParams& p, int h, int w, int C, int E, const Mat& FT,
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

//! The k x k window of dilation d: offset o = a k + b is (dy, dx) = ((a - k/2) d, (b - k/2) d).
struct WindowOffsets
{
    int K = 0;
    std::vector<int> dy, dx;
    WindowOffsets(int k, int d);
};

/** The block's guide as the kernels read it: the image at feature resolution and the two 1-D
 * halves of the separable position encoding (rows [0, P) of EscrfGuide::position along x, rows
 * [P, 2P) along y), never the 2P x N planes; with the superpixels of the cells. */
struct GuideView
{
    Size size;                              //!< w x h
    Mat image;                              //!< 3 x N RGB, depth of F
    Mat posX, posY;                         //!< P x w and P x h, depth of F
    Mat cellLabels;                         //!< 1 x N CV_32S (hard assignment)
    const SoftAssignment* soft = nullptr;   //!< the area-weighted assignment, when softSuperpixels
    int numSuperpixels = 0;
};

//! The buffers behind a GuideView made by prepareGuideView, kept between images.
struct GuideBuffers
{
    Mat bgr, rgb, small;   //!< conversion steps of an 8-bit image
    Mat image;             //!< 3 x N
    Mat posX, posY;
    Mat cells;             //!< cell labels when the features are smaller than the labels
    SoftAssignment soft;
};

/** The guide of one image, as prepareGuide makes it (same arguments and checks) but as a view
into b: no 2P x N position planes; at the labels' size the cell labels are the labels
themselves (not copied); the soft assignment only when params.softSuperpixels. */
void prepareGuideView(InputArray image, InputArray superpixels, int numSuperpixels, Size featureSize,
                      const EscrfBlockParams& params, int depth, GuideBuffers& b, GuideView& view);

//! The view of a prepared guide (posX, posY are read off its position planes).
GuideView guideView(const EscrfGuide& g, const EscrfBlockParams& p, int depth);

/** The per-axis position embeddings: W_pos PE_i = A[:, x] + B[:, y] with A = W_pos[:, :P] posX
 * (E x w) and B = W_pos[:, P:] posY (E x h), the separable form every user of the position
 * embedding goes through. */
void positionFactors(const Mat& W_pos, const GuideView& g, Mat& A, Mat& B);

/** The window's pair scores in factored form. With e_i = (W_img g_i, A_x + B_y), for the pair
 * (i, j = i + (dy, dx)):
 *   e_i . e_j = gR_i . gR_j + A_x . A_x' + B_y . B_y' + A_x . B_y' + B_y . A_x'
 *   -|e_i - e_j|^2 / 2 = -(|gR_i - gR_j|^2 + |A_x - A_x'|^2 + |B_y - B_y'|^2
 *                         + 2 (A_x - A_x') . (B_y - B_y')) / 2
 * (x' = x + dx, y' = y + dy), with gR = R g for a 3 x 3 R such that R^T R = W_img^T W_img. The
 * terms along one axis depend on (offset, x) or (offset, y) only, and every cross term is an
 * entry of the h x w table A_x . B_y: a pair costs a few operations instead of a 2E-long product,
 * and no N x 2E embedding exists (the backward pass still reads the embeddings, computeEmbedding). */
template <typename T>
struct WindowScores
{
    int w = 0, h = 0;
    WindowOffsets offsets{ 1, 1 };
    bool gaussian = false;
    Mat image;    //!< 3 x N, gR
    Mat alongX;   //!< K x w: A_x . A_x' (dot) or |A_x - A_x'|^2 (Gaussian), where x' is in the map
    Mat alongY;   //!< K x h: the same along y
    Mat cross;    //!< h x w: A_x . B_y
};

//! The tables of the window scores of one image and one set of block weights.
template <typename T>
void buildWindowScores(const EscrfBlockParams& p, const Mat& W_img, const Mat& W_pos, const GuideView& g,
                       WindowScores<T>& s);

//! Everything one row of the windowed message reads (F and the compatibilities: C x N, 1 x N).
template <typename T>
struct WindowInput
{
    const WindowScores<T>* scores = nullptr;
    const T* F = nullptr;                 //!< C x N features, channel-major
    int C = 0;
    const T* u = nullptr;                 //!< N, pair compatibility term of i (pair only)
    const T* v = nullptr;                 //!< N, compatibility logit of j (pair only)
    const T* muJ = nullptr;               //!< N, sigmoid(w_comp . F_j) (reference compatibility)
    T c = 0;                              //!< pair compatibility bias
    bool pair = false;
    bool normalize = false;
    T invTau = 1;                         //!< 1 / sqrt(2E)
};

//! mu[i] = sigmoid(z[i]) for n values, vectorised (t: n elements of scratch; z may be mu).
template <typename T>
void sigmoidN(const T* z, T* mu, T* t, int n);

//! Scratch elements windowForwardRow needs for a row of w cells.
inline size_t windowScratchSize(int K, int w) { return (size_t)(3 * K + 2) * w; }

/** Windowed message of the cells of row y, vectorised along the row: Fp (C rows of w, channel c at
 * Fp + c * FpStride) = sum_j mu K F_j. When pairs is not null its w rows of 2K (kernel weights,
 * then compatibilities, 0 outside the map) are written for the backward pass. */
template <typename T>
void windowForwardRow(const WindowInput<T>& in, int y, T* Fp, size_t FpStride, T* pairs, T* scratch);

/** Windowed message backward for g (N x C, already scaled by a_p), with the pairs of the forward
 * pass (N x 2K). */
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

/** Superpixel mean prior, Y = X P with P = A D^-1 A^T (symmetric, so the same operator maps dOut
 * to the gradient), in two steps: the means (C x M, CV_64F) of the rows of X over each
 * superpixel, then per cell Y_i = sum_s A[i,s] means[:, s]. Hard assignment when soft is null;
 * the labels or the assignment are those checkInputs (block_plan.hpp) accepted. */
void superpixelMeans(const Mat& X, const Mat& cellLabels, int numSuperpixels, const SoftAssignment* soft,
                     Mat& means);

/** Cells [i0, i1) of the prior: Y[c][i] = p, or p * alpha + Y[c][i] when accumulating, p the prior
 * value cast to T; channel c of Y at Y + c * stride, cell i at index i - i0. */
template <typename T>
void priorCells(const Mat& means, const int* cellLabels, const SoftAssignment* soft, int i0, int i1, bool accumulate,
                T alpha, T* Y, size_t stride);

/** The hard assignment's prior of a row, precomputed: table (C x M, T) = (T)means * alpha, so
 * that addPriorCells gives priorCells' accumulated result bit for bit with one table lookup per
 * cell (a vector gather) instead of a double load, a conversion and a product. */
template <typename T>
void scaledPriorTable(const Mat& means, T alpha, Mat& table);

//! Y[c][i] += table(c, label[i]) for cells [i0, i1) (the layout of priorCells).
template <typename T>
void addPriorCells(const Mat& table, const int* label, int i0, int i1, T* Y, size_t stride);

//! Y (C x N) = X P, the whole map (the backward pass applies it to dOut).
void superpixelPrior(const Mat& X, const Mat& cellLabels, int numSuperpixels,
                     const SoftAssignment* soft, Mat& Y);

//! dst = src^T (parallel, cache-blocked); dst must not share data with src.
void transposeFast(const Mat& src, Mat& dst);

/** e (N x 2E) = concat(W_img Ig, W_pos PE) per cell, with W_pos PE = A[:, x] + B[:, y]
 * (positionFactors): E P (w + h) products instead of 2 E P N. */
void computeEmbedding(const Mat& W_img, const Mat& W_pos, const GuideView& g, Mat& eT);

//! dW_img += deT_img^T Ig^T, dW_pos += deT_pos^T PE^T (separably, see computeEmbedding).
void embeddingBackward(const Mat& deT, const GuideView& g, Mat& dW_img, Mat& dW_pos);

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

template <typename T>
static inline void axpyN(T* y, T a, const T* x, int n)
{
    for (int k = 0; k < n; k++)
        y[k] += a * x[k];
}

//! |e_j|^2 / 2 per cell of the N x 2E embeddings (the Gaussian kernel's score), empty without it.
template <typename T>
inline Mat halfSquaredNorms(const EscrfBlockParams& p, const Mat& eT)
{
    if (!p.gaussianKernel)
        return Mat();
    Mat hn(1, eT.rows, eT.type());
    for (int j = 0; j < eT.rows; j++)
        hn.at<T>(j) = T(0.5) * dotN(eT.ptr<T>(j), eT.ptr<T>(j), eT.cols);
    return hn;
}

}}} // namespace cv::escrf::block

#endif
