// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host drivers of the ES-CRF block's CUDA path (CPU twin: src/block/block_driver.cpp): argument
// checks (all of them before the first CUDA call, so bad input is a clear cv::Exception even
// without a device), the plan of the evaluated terms, uploads, kernel order, downloads and the
// cache between the passes. The cache holds host Mats (re-uploaded by the backward pass): simple,
// and the cost is one copy of tensors that the forward pass had to produce anyway.

#include "cuda/block_kernels.hpp"
#include "block/block_cuda.hpp"
#include "block/block_cache.hpp"
#include "core/cuda_device.hpp"
#include <cmath>
#include <climits>
#include <vector>

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

// ------------------------------------------------------------------ fusion and reductions
// The kernels of the driver's own steps (the CPU driver uses cv::scaleAdd and Mat::dot there).

namespace {

__global__ void scaleKernel(const float* __restrict__ x, float s, size_t n, float* __restrict__ y)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n)
        y[t] = s * x[t];
}

// Pointers may be null (term skipped); out may not alias the inputs (separate buffers).
__global__ void combineKernel(const float* __restrict__ X, const float* __restrict__ Y1, float s1,
                              const float* __restrict__ Y2, float s2, const float* __restrict__ a,
                              const float* __restrict__ p, const float* __restrict__ b,
                              const float* __restrict__ q, int C, int N, float* __restrict__ out)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)C * N)
        return;
    const int c = (int)(t / N), i = (int)(t % N);
    float v = X[t];
    if (Y1)
        v = Y1[t] * s1 + v;
    if (Y2)
        v = Y2[t] * s2 + v;
    if (a)
        v += a[c] * p[i];
    if (b)
        v += b[c] * q[i];
    out[t] = v;
}

// One block per output row: each thread sums a fixed strided subset in double, then a fixed
// shared-memory tree. No atomics, so the result does not depend on scheduling.
__global__ void rowDotsKernel(const float* __restrict__ X, const float* __restrict__ Y, int yRowStride, int n,
                              double* __restrict__ out)
{
    __shared__ double part[kThreads];
    const int r = blockIdx.x;
    const float* x = X + (size_t)r * n;
    const float* y = Y ? Y + (size_t)r * yRowStride : nullptr;
    double acc = 0;
    for (int i = threadIdx.x; i < n; i += kThreads)
        acc += y ? (double)x[i] * (double)y[i] : (double)x[i];
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1)
    {
        if (threadIdx.x < s)
            part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[r] = part[0];
}

} // namespace

void scale(const float* x, float s, size_t n, float* y)
{
    if (n == 0)
        return;
    scaleKernel<<<blocksFor(n), kThreads>>>(x, s, n, y);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void combine(const float* X, const float* Y1, float s1, const float* Y2, float s2,
             const float* a, const float* p, const float* b, const float* q, int C, int N, float* out)
{
    const size_t n = (size_t)C * N;
    if (n == 0)
        return;
    CV_Assert((a == nullptr) == (p == nullptr) && (b == nullptr) == (q == nullptr));
    combineKernel<<<blocksFor(n), kThreads>>>(X, Y1, s1, Y2, s2, a, p, b, q, C, N, out);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void rowDots(const float* X, const float* Y, int yRowStride, int R, int n, double* out)
{
    if (R <= 0)
        return;
    rowDotsKernel<<<(unsigned)R, kThreads>>>(X, Y, yRowStride, n, out);
    ESCRF_CUDA_CHECK_LAUNCH();
}

} // namespace blockgpu

// ------------------------------------------------------------------ host driver

using namespace blockgpu;

namespace {

const block::Backend kForward = { "escrfBlockForward (CUDA)", true, false, true };
const block::Backend kBackward = { "escrfBlockBackward (CUDA)", true, false, true };

// The cache of a forward pass of this path, with the shapes the kernels will index (a wrong
// tensor would otherwise be an out-of-bounds device access).
const block::CudaCacheTensors& checkCache(const EscrfBlockParams& p, const EscrfBlockWeights& w, const Mat& F,
                                          const block::Plan& plan, const EscrfBlockCache& cache)
{
    const block::CudaCacheTensors& s =
        block::cacheFor(kBackward, block::CACHE_CUDA, cache, block::CacheKey(p, plan, F)).cuda;
    if (!plan.pairwise)
        return s;
    auto shape = [](const Mat& m, int rows, int cols) {
        return m.type() == CV_32FC1 && m.rows == rows && m.cols == cols && m.isContinuous();
    };
    const int C = F.rows, N = F.cols, K = p.window * p.window, D = 2 * w.W_img.rows;
    const bool ok = shape(s.Fp, C, N) && shape(s.pairs, 2 * K, N) && shape(s.e, D, N) && shape(s.v, 1, N) &&
                    (p.pairCompatibility ? shape(s.u, 1, N) : shape(s.mu, 1, N));
    if (!ok)
        CV_Error_(Error::StsBadArg, ("%s: cache tensors have unexpected shapes (cache from another forward pass?)",
                                     kBackward.who));
    return s;
}

Mat asFloat(const Mat& m)
{
    if (m.type() == CV_32FC1 && m.isContinuous())
        return m;
    Mat out;
    m.convertTo(out, CV_32F);
    return out;
}

// pe_x (P x w) and pe_y (P x h) of the separable position encoding (as block_embedding.cpp).
void separablePosition(const Mat& position, Size fs, Mat& pex, Mat& pey)
{
    const int P = position.rows / 2, w = fs.width, h = fs.height;
    pex = position(Range(0, P), Range(0, w)).clone();
    pey.create(P, h, position.type());
    for (int y = 0; y < h; y++)
        position(Range(P, 2 * P), Range(y * w, y * w + 1)).copyTo(pey.col(y));
}

template <typename T>
DeviceBuffer<T> upload(const Mat& m)
{
    DeviceBuffer<T> buf;
    uploadMat(m, buf);
    return buf;
}

// rows x cols float Mat from the device, into dst (reused when it has that shape and is continuous).
void download(const DeviceBuffer<float>& buf, int rows, int cols, Mat& dst)
{
    dst.create(rows, cols, CV_32F);
    if (dst.isContinuous())
    {
        buf.download(dst.ptr<float>(), (size_t)rows * cols);
        return;
    }
    Mat tmp(rows, cols, CV_32F);   // dst is a ROI of a larger matrix
    buf.download(tmp.ptr<float>(), (size_t)rows * cols);
    tmp.copyTo(dst);
}

Mat downloadMat(const DeviceBuffer<float>& buf, int rows, int cols)
{
    Mat m;
    download(buf, rows, cols, m);
    return m;
}

std::vector<double> downloadDoubles(const DeviceBuffer<double>& buf, size_t n)
{
    std::vector<double> v(n);
    buf.download(v.data(), n);
    return v;
}

// sum(X .* Y) of two C x N device tensors: per-channel device dots, summed on the host in order.
double tensorDot(const float* X, const float* Y, int C, int N)
{
    DeviceBuffer<double> part(C);
    rowDots(X, Y, N, C, N, part.get());
    double s = 0;
    for (double v : downloadDoubles(part, C))
        s += v;
    return s;
}

// dw (1 x C, float) += F dz^T, i.e. dw[c] += sum_i F[c][i] dz[i].
void addRowGradient(const float* F, const float* dz, int C, int N, Mat& dw)
{
    DeviceBuffer<double> part(C);
    rowDots(F, dz, 0, C, N, part.get());
    const std::vector<double> v = downloadDoubles(part, C);
    float* out = dw.ptr<float>();
    for (int c = 0; c < C; c++)
        out[c] += (float)v[c];
}

// The device tensors of the pairwise message: what the window kernels read besides F.
struct MessageTensors
{
    DeviceBuffer<float> e;          // 2E x N embeddings
    DeviceBuffer<float> u, v, mu;   // compatibility logits (u: pair only), sigmoid(v) (reference only)
    DeviceBuffer<float> halfNorm;   // |e_j|^2 / 2 (Gaussian kernel only)
    DeviceBuffer<float> pairs;      // 2K x N kernel weights and compatibilities (forward output)
};

// The window kernels' arguments for this call; computes the half norms the Gaussian kernel needs.
WindowArgs makeWindowArgs(const EscrfBlockParams& p, const EscrfBlockWeights& w, Size featureSize, int C,
                          const float* F, MessageTensors& m)
{
    const int E = w.W_img.rows;
    WindowArgs a;
    a.h = featureSize.height; a.w = featureSize.width; a.C = C; a.D = 2 * E;
    a.window = p.window; a.dilation = p.dilation;
    a.pair = p.pairCompatibility; a.normalize = p.normalize;
    a.invTau = (float)(1.0 / std::sqrt(2.0 * E));
    a.c = (float)w.c;
    a.F = F; a.e = m.e.get(); a.u = m.u.get(); a.v = m.v.get(); a.mu = m.mu.get();
    if (p.gaussianKernel)
    {
        m.halfNorm.allocate(a.N());
        halfSquaredNorms(m.e.get(), a.D, a.N(), m.halfNorm.get());
        a.gaussian = true;
        a.halfNorm = m.halfNorm.get();
    }
    return a;
}

// Y (C x N) = X P, the superpixel prior of the guide applied to the device tensor X.
void priorOnDevice(const EscrfBlockParams& p, const EscrfGuide& g, const float* X, int C, DeviceBuffer<float>& Y)
{
    const int N = g.featureSize.area();
    PriorOperator op;
    preparePrior(g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, N, op);
    DeviceBuffer<double> mean;
    Y.allocate((size_t)C * N);
    applyPrior(op, X, C, Y.get(), mean);
}

// e = [W_img Ig ; W_pos PE]. The position half is separable: its small factors
// A = W_pos[:, :P] pe_x (E x w) and B = W_pos[:, P:] pe_y (E x h) are host products, as on the CPU.
void embeddingsOnDevice(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                        DeviceBuffer<float>& e)
{
    const int E = w.W_img.rows, P = p.posDim;
    Mat pex, pey, A, B;
    separablePosition(asFloat(g.position), g.featureSize, pex, pey);
    gemm(w.W_pos.colRange(0, P), pex, 1.0, noArray(), 0.0, A);
    gemm(w.W_pos.colRange(P, 2 * P), pey, 1.0, noArray(), 0.0, B);
    const DeviceBuffer<float> dWimg = upload<float>(w.W_img), dImage = upload<float>(asFloat(g.image));
    const DeviceBuffer<float> dA = upload<float>(A), dB = upload<float>(B);
    e.allocate((size_t)2 * E * g.featureSize.area());
    embeddingForward(dWimg.get(), dImage.get(), dA.get(), dB.get(), E, g.featureSize.height, g.featureSize.width,
                     e.get());
}

// u, v (and mu) of the compatibility: a.F_i and b.F_j, or w_comp.F_j and its sigmoid.
void compatibilityOnDevice(const EscrfBlockParams& p, const EscrfBlockWeights& w, const float* F, int C, int N,
                           MessageTensors& m)
{
    m.v.allocate(N);
    if (p.pairCompatibility)
    {
        const DeviceBuffer<float> da = upload<float>(w.a), db = upload<float>(w.b);
        m.u.allocate(N);
        compatLogits(da.get(), F, C, N, m.u.get());
        compatLogits(db.get(), F, C, N, m.v.get());
    }
    else
    {
        const DeviceBuffer<float> dw = upload<float>(w.w_comp);
        compatLogits(dw.get(), F, C, N, m.v.get());
        m.mu.allocate(N);
        sigmoidRow(m.v.get(), N, m.mu.get());
    }
}

// The pairwise message Fp (C x N) of the device features F, with the tensors its backward pass needs.
void messageForward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const float* F,
                    int C, MessageTensors& m, DeviceBuffer<float>& Fp)
{
    const int N = g.featureSize.area(), K = p.window * p.window;
    embeddingsOnDevice(p, w, g, m.e);
    compatibilityOnDevice(p, w, F, C, N, m);
    const WindowArgs a = makeWindowArgs(p, w, g.featureSize, C, F, m);
    Fp.allocate((size_t)C * N);
    m.pairs.allocate((size_t)2 * K * N);
    windowForward(a, Fp.get(), m.pairs.get());
}

// The cache of a forward pass: its key and host copies of the message tensors.
Ptr<detail::BlockCacheState> saveCache(const EscrfBlockParams& p, const block::Plan& plan, const Mat& F,
                                       const EscrfBlockWeights& w, const MessageTensors& m,
                                       const DeviceBuffer<float>& Fp)
{
    Ptr<detail::BlockCacheState> state = makePtr<detail::BlockCacheState>();
    state->backend = block::CACHE_CUDA;
    state->key = block::CacheKey(p, plan, F);
    if (!plan.pairwise)
        return state;
    block::CudaCacheTensors& t = state->cuda;
    const int C = F.rows, N = F.cols, K = p.window * p.window, D = 2 * w.W_img.rows;
    t.Fp = downloadMat(Fp, C, N);
    t.pairs = downloadMat(m.pairs, 2 * K, N);
    t.e = downloadMat(m.e, D, N);
    t.v = downloadMat(m.v, 1, N);
    if (p.pairCompatibility)
        t.u = downloadMat(m.u, 1, N);
    else
        t.mu = downloadMat(m.mu, 1, N);
    return state;
}

// The message tensors of a cache, back on the device.
void loadMessage(const block::CudaCacheTensors& t, bool pairCompatibility, MessageTensors& m)
{
    m.e = upload<float>(t.e);
    m.pairs = upload<float>(t.pairs);
    m.v = upload<float>(t.v);
    if (pairCompatibility)
        m.u = upload<float>(t.u);
    else
        m.mu = upload<float>(t.mu);
}

// What the message's backward pass gives: the direct term of dF, the logit gradients du and dv
// (dz summed over i and over j), and the compatibility rows they multiply in the fusion of dF.
struct MessageGradients
{
    DeviceBuffer<float> direct, du, dv;
    DeviceBuffer<float> rowA, rowB;   // a and b, or w_comp (rowB empty)
};

// Compatibility weights: dw += F dz^T for each logit; c += sum(dv).
void addCompatibilityGradients(const EscrfBlockParams& p, const EscrfBlockWeights& w, const float* F, int C, int N,
                               MessageGradients& mg, EscrfBlockWeights& grads)
{
    if (p.pairCompatibility)
    {
        addRowGradient(F, mg.du.get(), C, N, grads.a);
        addRowGradient(F, mg.dv.get(), C, N, grads.b);
        DeviceBuffer<double> s(1);
        rowDots(mg.dv.get(), nullptr, 0, 1, N, s.get());
        grads.c += downloadDoubles(s, 1)[0];
        mg.rowA = upload<float>(w.a);
        mg.rowB = upload<float>(w.b);
    }
    else
    {
        addRowGradient(F, mg.dv.get(), C, N, grads.w_comp);
        mg.rowA = upload<float>(w.w_comp);
    }
}

// Embedding weights: dW_img[e][c] = sum_i de[e][i] Ig[c][i]; the position half through its
// separable factors, dA = sum over y, dB = sum over x, then small host products.
void addEmbeddingGradients(const EscrfGuide& g, const float* de, int E, EscrfBlockWeights& grads)
{
    const int N = g.featureSize.area(), h = g.featureSize.height, wd = g.featureSize.width;
    const DeviceBuffer<float> dImage = upload<float>(asFloat(g.image));
    DeviceBuffer<double> imgPart((size_t)3 * E), colPart((size_t)E * wd), rowPart((size_t)E * h);
    for (int ch = 0; ch < 3; ch++)
        rowDots(de, dImage.get() + (size_t)ch * N, 0, E, N, imgPart.get() + (size_t)ch * E);
    columnSums(de + (size_t)E * N, E, h, wd, colPart.get());
    rowDots(de + (size_t)E * N, nullptr, 0, E * h, wd, rowPart.get());
    const std::vector<double> img = downloadDoubles(imgPart, (size_t)3 * E);
    for (int k = 0; k < E; k++)
        for (int ch = 0; ch < 3; ch++)
            grads.W_img.at<float>(k, ch) += (float)img[(size_t)ch * E + k];
    std::vector<double> colv = downloadDoubles(colPart, (size_t)E * wd);
    std::vector<double> rowv = downloadDoubles(rowPart, (size_t)E * h);
    Mat dAx(E, wd, CV_64F, colv.data()), dBy(E, h, CV_64F, rowv.data());
    Mat pex, pey, gx, gy, add;
    separablePosition(asFloat(g.position), g.featureSize, pex, pey);
    pex.convertTo(pex, CV_64F);
    pey.convertTo(pey, CV_64F);
    gemm(dAx, pex, 1.0, noArray(), 0.0, gx, GEMM_2_T);   // E x P
    gemm(dBy, pey, 1.0, noArray(), 0.0, gy, GEMM_2_T);
    hconcat(gx, gy, add);
    add.convertTo(add, CV_32F);
    grads.W_pos += add;
}

// Backward of the message for dOut (device, C x N) with weight alphaP: fills mg and adds the
// weight gradients to grads.
void messageBackward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                     const block::CudaCacheTensors& saved, const float* F, const float* dOut, double alphaP, int C,
                     MessageGradients& mg, EscrfBlockWeights& grads)
{
    const int N = g.featureSize.area(), K = p.window * p.window, E = w.W_img.rows, D = 2 * E;
    DeviceBuffer<float> gbuf((size_t)C * N);
    scale(dOut, (float)alphaP, (size_t)C * N, gbuf.get());
    MessageTensors m;
    loadMessage(saved, p.pairCompatibility, m);
    const WindowArgs a = makeWindowArgs(p, w, g.featureSize, C, F, m);
    mg.direct.allocate((size_t)C * N);
    DeviceBuffer<float> de((size_t)D * N), dpair((size_t)2 * K * N);
    mg.du.allocate(N);
    mg.dv.allocate(N);
    windowBackward(a, m.pairs.get(), gbuf.get(), mg.direct.get(), de.get(), dpair.get(), mg.du.get(), mg.dv.get());
    addCompatibilityGradients(p, w, F, C, N, mg, grads);
    addEmbeddingGradients(g, de.get(), E, grads);
}

} // namespace

void escrfBlockForward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                       const Mat& F, Mat& out, EscrfBlockCache* cache)
{
    const block::Plan plan = block::makePlan(p, w);
    block::checkInputs(kForward, p, w, g, F, plan);
    detail::requireCudaDevice("cuda::escrfBlockForward called", "cv::escrf::escrfBlockForward");
    const int C = F.rows, N = F.cols;
    const DeviceBuffer<float> dF = upload<float>(F);
    DeviceBuffer<float> Fs, Fp;
    MessageTensors m;
    if (plan.prior)
        priorOnDevice(p, g, dF.get(), C, Fs);
    if (plan.pairwise)
        messageForward(p, w, g, dF.get(), C, m, Fp);
    DeviceBuffer<float> result((size_t)C * N);
    combine(dF.get(), plan.prior ? Fs.get() : nullptr, (float)plan.alphaS, plan.pairwise ? Fp.get() : nullptr,
            (float)plan.alphaP, nullptr, nullptr, nullptr, nullptr, C, N, result.get());
    Ptr<detail::BlockCacheState> state;
    if (cache)
        state = saveCache(p, plan, F, w, m, Fp);   // before out is written: out may alias F
    download(result, C, N, out);   // F is on the device already: out may alias it
    if (cache)
        cache->setState(state);
}

void escrfBlockBackward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                        const Mat& F, const EscrfBlockCache& cache, const Mat& dOut, Mat& dF,
                        EscrfBlockWeights& grads)
{
    const block::Plan plan = block::makePlan(p, w);
    block::checkInputs(kBackward, p, w, g, F, plan);
    block::checkOutputGradient(kBackward, F, dOut);
    const block::CudaCacheTensors& saved = checkCache(p, w, F, plan, cache);
    block::checkGrads(kBackward, p, w, grads, plan);
    detail::requireCudaDevice("cuda::escrfBlockBackward called", "cv::escrf::escrfBlockBackward");
    const int C = F.rows, N = F.cols;
    const DeviceBuffer<float> dFin = upload<float>(F), dG = upload<float>(dOut);
    DeviceBuffer<float> PdOut;
    if (plan.prior)
    {
        priorOnDevice(p, g, dG.get(), C, PdOut);
        grads.alphaS += tensorDot(dFin.get(), PdOut.get(), C, N);   // sum(Fs .* dOut), P symmetric
    }
    MessageGradients mg;
    const bool message = plan.pairwise && plan.alphaP != 0;
    if (plan.pairwise)
    {
        const DeviceBuffer<float> Fp = upload<float>(saved.Fp);
        grads.alphaP += tensorDot(Fp.get(), dG.get(), C, N);
    }
    if (message)
        messageBackward(p, w, g, saved, dFin.get(), dG.get(), plan.alphaP, C, mg, grads);
    // dF = dOut + a_s P dOut + direct + the compatibility terms (rowA du or dv, rowB dv).
    DeviceBuffer<float> result((size_t)C * N);
    combine(dG.get(), plan.prior ? PdOut.get() : nullptr, (float)plan.alphaS, message ? mg.direct.get() : nullptr, 1.f,
            message ? mg.rowA.get() : nullptr, message ? (p.pairCompatibility ? mg.du.get() : mg.dv.get()) : nullptr,
            message && p.pairCompatibility ? mg.rowB.get() : nullptr,
            message && p.pairCompatibility ? mg.dv.get() : nullptr, C, N, result.get());
    download(result, C, N, dF);   // F and dOut are on the device already: dF may alias them
}

}}} // namespace cv::escrf::cuda
