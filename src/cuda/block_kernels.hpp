// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Launchers of the ES-CRF block's CUDA kernels, one .cu per CPU file of src/block/ that they
// accelerate (block_embedding.cu, block_compat.cu, block_window.cu, block_prior.cu; the
// driver's own fusion and reduction kernels are in block_driver.cu), called by the host driver
// block_driver.cu. Included by .cu files only.
//
// Layout: every tensor is channel-major on the device (C x N, D x N, and the per-pair buffers
// 2K x N, offset-major), i.e. the CPU's storage of F. The kernels run one thread per cell, so
// consecutive threads read consecutive cells of the same channel (or window offset): coalesced
// loads, which the cell-major layout of the CPU kernels would not give with one thread per cell.
// All pointers are device pointers; all launches go to the default stream, and the next
// cudaMemcpy (download) synchronises and reports asynchronous kernel errors.
#ifndef OPENCV_ESCRF_CUDA_BLOCK_KERNELS_HPP
#define OPENCV_ESCRF_CUDA_BLOCK_KERNELS_HPP

#include "cuda/cuda_utils.hpp"
#include "opencv2/escrf/superpixels.hpp"

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

//! Threads per block of the block's kernels: a power of two (tree reduction in rowDots).
const int kThreads = 256;

//! Blocks of kThreads threads covering n items.
inline unsigned blocksFor(size_t n)
{
    return (unsigned)((n + kThreads - 1) / kThreads);
}

//! The formula of block::sigmoidT (no overflow for large |z|).
__device__ __forceinline__ float sigmoidDev(float z)
{
    return z >= 0.f ? 1.f / (1.f + expf(-z)) : expf(z) / (1.f + expf(z));
}

// ------------------------------------------------------------------ pairwise message

//! Read-only inputs of the windowed message (device pointers, channel-major).
struct WindowArgs
{
    int h = 0, w = 0, C = 0, D = 0;   //!< map size, feature channels, embedding channels (2E)
    int window = 3, dilation = 2;     //!< k (odd), d
    bool pair = false;                //!< mu = sigmoid(u_i + v_j + c) instead of sigmoid(v_j)
    bool normalize = false;           //!< softmax of score * invTau over the in-map cells of G(i)
    bool gaussian = false;            //!< score = -|e_i - e_j|^2 / 2 (weight exp(score) unnormalised)
    float invTau = 1.f;               //!< 1 / sqrt(2E)
    float c = 0.f;                    //!< pair compatibility bias
    const float* F = nullptr;         //!< C x N features
    const float* e = nullptr;         //!< D x N embeddings
    const float* u = nullptr;         //!< N, a.F_i (pair only)
    const float* v = nullptr;         //!< N, b.F_j (pair) or w_comp.F_j
    const float* mu = nullptr;        //!< N, sigmoid(v) (reference compatibility only)
    const float* halfNorm = nullptr;  //!< N, |e_j|^2 / 2 (Gaussian kernel only)
    int N() const { return h * w; }
    int K() const { return window * window; }
};

/** Fp (C x N) = sum_{j in G(i)} mu(i,j) K(i,j) F_j. pairs (2K x N): rows [0, K) the kernel
 * weight K (score or softmax, 0 out of the map), rows [K, 2K) mu (0 out of the map). */
void windowForward(const WindowArgs& a, float* Fp, float* pairs);

/** Backward of the message for g = a_p dOut (C x N). Writes (does not add): dFdirect (C x N,
 * the gradient through F_j of the message weights' multiplicand), de (D x N), du and dv (N,
 * the gradients of the compatibility logits u_i and v_j). dpair (2K x N) is scratch. */
void windowBackward(const WindowArgs& a, const float* pairs, const float* g, float* dFdirect,
                    float* de, float* dpair, float* du, float* dv);

// ------------------------------------------------------------------ superpixel prior

/** The assignment A (N x M) in both directions, on the device: by cell (CSR over cells, the
 * SoftAssignment layout; one entry of weight 1 per cell for the hard labels) and by superpixel
 * (CSR over superpixels, entries in increasing cell order), plus the mass (column sum of A) of
 * each superpixel. Built on the host in a fixed order, so that the sums are deterministic. */
struct PriorOperator
{
    int N = 0, M = 0;
    DeviceBuffer<int> cellOffsets, cellSp;    // N + 1, nnz
    DeviceBuffer<float> cellWeight;           // nnz
    DeviceBuffer<int> spOffsets, spCell;      // M + 1, nnz
    DeviceBuffer<float> spWeight;             // nnz
    DeviceBuffer<double> mass;                // M
};

//! Builds the operator from the guide's labels (soft == nullptr) or soft assignment (checked by the caller).
void preparePrior(const Mat& cellLabels, int numSuperpixels, const SoftAssignment* soft, int N,
                  PriorOperator& op);

//! Y (C x N) = X P, P = A D^-1 A^T (symmetric). mean is scratch, resized to C x M doubles.
void applyPrior(const PriorOperator& op, const float* X, int C, float* Y, DeviceBuffer<double>& mean);

// ------------------------------------------------------------------ small operations

//! e[0..E) rows = W_img (E x 3) Ig (3 x N); e[E..2E) rows = A[:, x] + B[:, y] (A: E x w, B: E x h).
void embeddingForward(const float* Wimg, const float* image, const float* A, const float* B, int E,
                      int h, int w, float* e);

//! z (N) = wrow (C) . F_j per cell, summed over c in increasing order (as the CPU).
void compatLogits(const float* wrow, const float* F, int C, int N, float* z);

//! hn (N) = |e_i|^2 / 2 per cell of e (D x N), d in increasing order.
void halfSquaredNorms(const float* e, int D, int N, float* hn);

//! mu = sigmoid(z), N entries.
void sigmoidRow(const float* z, int N, float* mu);

//! y = s * x, n entries.
void scale(const float* x, float s, size_t n, float* y);

/** out (C x N) = ((X + s1 Y1) + s2 Y2) + a[c] p[i] + b[c] q[i]; a null Y / vector skips its term.
 * The forward output is F + a_s Fs + a_p Fp; the backward one dOut + a_s P dOut + direct +
 * compatibility terms. */
void combine(const float* X, const float* Y1, float s1, const float* Y2, float s2,
             const float* a, const float* p, const float* b, const float* q, int C, int N, float* out);

/** out[r] = sum_i X[r n + i] * Y[r * yRowStride + i] over i < n, for r < R, in double, in a
 * fixed order (deterministic). Y == nullptr means 1; yRowStride 0 broadcasts one vector. */
void rowDots(const float* X, const float* Y, int yRowStride, int R, int n, double* out);

//! out[e w + x] = sum_y X[e N + y w + x] (E x w), in double, y in increasing order.
void columnSums(const float* X, int E, int h, int w, double* out);

}}}} // namespace cv::escrf::cuda::blockgpu

#endif
