// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host drivers of the ES-CRF block's CUDA path (CPU twin: src/block/block_driver.cpp): argument
// checks (all of them before the first CUDA call, so bad input is a clear cv::Exception even
// without a device), the plan of the evaluated terms, uploads, kernel order, downloads and the
// cache between the passes. The cache holds host Mats (re-uploaded by the backward pass): simple,
// and the cost is one copy of tensors that the forward pass had to produce anyway.

#include "cuda/escrf_block_kernels.hpp"
#include "block/block_cuda.hpp"
#include "block/block_cache.hpp"
#include "core/cuda_device.hpp"
#include <cmath>
#include <climits>
#include <vector>

namespace cv {
namespace escrf {
namespace cuda {

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

} // namespace

void escrfBlockForward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g,
                       const Mat& F, Mat& out, EscrfBlockCache* cache)
{
    const block::Plan plan = block::makePlan(p, w);
    block::checkInputs(kForward, p, w, g, F, plan);
    detail::requireCudaDevice("cuda::escrfBlockForward called", "cv::escrf::escrfBlockForward");
    const int C = F.rows, N = F.cols, h = g.featureSize.height, wd = g.featureSize.width;
    const int K = p.window * p.window;
    const DeviceBuffer<float> dF = upload<float>(F);
    DeviceBuffer<float> Fs, Fp, e, u, v, mu, pairs;
    if (plan.prior)
    {
        PriorOperator op;
        preparePrior(g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, N, op);
        DeviceBuffer<double> mean;
        Fs.allocate((size_t)C * N);
        applyPrior(op, dF.get(), C, Fs.get(), mean);
    }
    if (plan.pairwise)
    {
        const int E = w.W_img.rows, P = p.posDim;
        // The position half of the embedding is separable: its small factors A = W_pos[:, :P] pe_x
        // (E x w) and B = W_pos[:, P:] pe_y (E x h) are host products, as on the CPU.
        Mat pex, pey, A, B;
        separablePosition(asFloat(g.position), g.featureSize, pex, pey);
        gemm(w.W_pos.colRange(0, P), pex, 1.0, noArray(), 0.0, A);
        gemm(w.W_pos.colRange(P, 2 * P), pey, 1.0, noArray(), 0.0, B);
        const DeviceBuffer<float> dWimg = upload<float>(w.W_img), dImage = upload<float>(asFloat(g.image));
        const DeviceBuffer<float> dA = upload<float>(A), dB = upload<float>(B);
        e.allocate((size_t)2 * E * N);
        embeddingForward(dWimg.get(), dImage.get(), dA.get(), dB.get(), E, h, wd, e.get());

        v.allocate(N);
        DeviceBuffer<float> da, db;
        if (p.pairCompatibility)
        {
            da = upload<float>(w.a);
            db = upload<float>(w.b);
            u.allocate(N);
            compatLogits(da.get(), dF.get(), C, N, u.get());
            compatLogits(db.get(), dF.get(), C, N, v.get());
        }
        else
        {
            da = upload<float>(w.w_comp);
            compatLogits(da.get(), dF.get(), C, N, v.get());
            mu.allocate(N);
            sigmoidRow(v.get(), N, mu.get());
        }
        WindowArgs a;
        a.h = h; a.w = wd; a.C = C; a.D = 2 * E;
        a.window = p.window; a.dilation = p.dilation;
        a.pair = p.pairCompatibility; a.normalize = p.normalize;
        a.invTau = (float)(1.0 / std::sqrt(2.0 * E));
        a.c = (float)w.c;
        a.F = dF.get(); a.e = e.get(); a.u = u.get(); a.v = v.get(); a.mu = mu.get();
        DeviceBuffer<float> halfNorm;
        if (p.gaussianKernel)
        {
            halfNorm.allocate(N);
            halfSquaredNorms(e.get(), 2 * E, N, halfNorm.get());
            a.gaussian = true;
            a.halfNorm = halfNorm.get();
        }
        Fp.allocate((size_t)C * N);
        pairs.allocate((size_t)2 * K * N);
        windowForward(a, Fp.get(), pairs.get());
    }
    DeviceBuffer<float> result((size_t)C * N);
    combine(dF.get(), plan.prior ? Fs.get() : nullptr, (float)plan.alphaS, plan.pairwise ? Fp.get() : nullptr,
            (float)plan.alphaP, nullptr, nullptr, nullptr, nullptr, C, N, result.get());
    Ptr<detail::BlockCacheState> state;
    if (cache)
    {
        state = makePtr<detail::BlockCacheState>();
        state->backend = block::CACHE_CUDA;
        state->key = block::CacheKey(p, plan, F);   // before out is written: out may alias F
        if (plan.pairwise)
        {
            block::CudaCacheTensors& t = state->cuda;
            const int D = 2 * w.W_img.rows;
            t.Fp = downloadMat(Fp, C, N);
            t.pairs = downloadMat(pairs, 2 * K, N);
            t.e = downloadMat(e, D, N);
            t.v = downloadMat(v, 1, N);
            if (p.pairCompatibility)
                t.u = downloadMat(u, 1, N);
            else
                t.mu = downloadMat(mu, 1, N);
        }
    }
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
    const int C = F.rows, N = F.cols, h = g.featureSize.height, wd = g.featureSize.width;
    const int K = p.window * p.window;
    const DeviceBuffer<float> dFin = upload<float>(F), dG = upload<float>(dOut);
    DeviceBuffer<float> PdOut, direct, du, dv, dwA, dwB;
    if (plan.prior)
    {
        PriorOperator op;
        preparePrior(g.cellLabels, g.numSuperpixels, p.softSuperpixels ? &g.soft : nullptr, N, op);
        DeviceBuffer<double> mean;
        PdOut.allocate((size_t)C * N);
        applyPrior(op, dG.get(), C, PdOut.get(), mean);
        grads.alphaS += tensorDot(dFin.get(), PdOut.get(), C, N);   // sum(Fs .* dOut), P symmetric
    }
    if (plan.pairwise)
    {
        {
            const DeviceBuffer<float> Fp = upload<float>(saved.Fp);
            grads.alphaP += tensorDot(Fp.get(), dG.get(), C, N);
        }
        if (plan.alphaP != 0)
        {
            const int E = w.W_img.rows, D = 2 * E;
            DeviceBuffer<float> gbuf((size_t)C * N);
            scale(dG.get(), (float)plan.alphaP, (size_t)C * N, gbuf.get());
            const DeviceBuffer<float> e = upload<float>(saved.e), pairs = upload<float>(saved.pairs);
            const DeviceBuffer<float> v = upload<float>(saved.v);
            DeviceBuffer<float> u, mu;
            if (p.pairCompatibility)
                u = upload<float>(saved.u);
            else
                mu = upload<float>(saved.mu);
            WindowArgs a;
            a.h = h; a.w = wd; a.C = C; a.D = D;
            a.window = p.window; a.dilation = p.dilation;
            a.pair = p.pairCompatibility; a.normalize = p.normalize;
            a.invTau = (float)(1.0 / std::sqrt(2.0 * E));
            a.c = (float)w.c;
            a.F = dFin.get(); a.e = e.get(); a.u = u.get(); a.v = v.get(); a.mu = mu.get();
            DeviceBuffer<float> halfNorm;
            if (p.gaussianKernel)
            {
                halfNorm.allocate(N);
                halfSquaredNorms(e.get(), D, N, halfNorm.get());
                a.gaussian = true;
                a.halfNorm = halfNorm.get();
            }
            direct.allocate((size_t)C * N);
            DeviceBuffer<float> de((size_t)D * N), dpair((size_t)2 * K * N);
            du.allocate(N);
            dv.allocate(N);
            windowBackward(a, pairs.get(), gbuf.get(), direct.get(), de.get(), dpair.get(), du.get(), dv.get());

            // Compatibility weights: dz summed over i (dv) and over j (du).
            if (p.pairCompatibility)
            {
                addRowGradient(dFin.get(), du.get(), C, N, grads.a);
                addRowGradient(dFin.get(), dv.get(), C, N, grads.b);
                DeviceBuffer<double> s(1);
                rowDots(dv.get(), nullptr, 0, 1, N, s.get());
                grads.c += downloadDoubles(s, 1)[0];
                dwA = upload<float>(w.a);
                dwB = upload<float>(w.b);
            }
            else
            {
                addRowGradient(dFin.get(), dv.get(), C, N, grads.w_comp);
                dwA = upload<float>(w.w_comp);
            }

            // Embedding weights: dW_img[e][c] = sum_i de[e][i] Ig[c][i]; the position half through
            // its separable factors, dA = sum over y, dB = sum over x, then small host products.
            const Mat image = asFloat(g.image);
            const DeviceBuffer<float> dImage = upload<float>(image);
            DeviceBuffer<double> imgPart((size_t)3 * E), colPart((size_t)E * wd), rowPart((size_t)E * h);
            for (int ch = 0; ch < 3; ch++)
                rowDots(de.get(), dImage.get() + (size_t)ch * N, 0, E, N, imgPart.get() + (size_t)ch * E);
            columnSums(de.get() + (size_t)E * N, E, h, wd, colPart.get());
            rowDots(de.get() + (size_t)E * N, nullptr, 0, E * h, wd, rowPart.get());
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
    }
    DeviceBuffer<float> result((size_t)C * N);
    const bool message = plan.pairwise && plan.alphaP != 0;
    combine(dG.get(), plan.prior ? PdOut.get() : nullptr, (float)plan.alphaS, message ? direct.get() : nullptr, 1.f,
            message ? dwA.get() : nullptr, message ? (p.pairCompatibility ? du.get() : dv.get()) : nullptr,
            message && p.pairCompatibility ? dwB.get() : nullptr,
            message && p.pairCompatibility ? dv.get() : nullptr, C, N, result.get());
    download(result, C, N, dF);   // F and dOut are on the device already: dF may alias them
}

}}} // namespace cv::escrf::cuda
