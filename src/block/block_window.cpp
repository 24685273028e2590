// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Windowed pairwise message over the k x k window of dilation d (the reference G(i)):
// Fp_i = sum_{j in G(i)} mu(i,j) K(i,j) F_j with K = score or softmax(score / sqrt(2E)), and
// with the Gaussian kernel score = -|e_i - e_j|^2 / 2 and K = exp(score) or the same softmax.
// Scores are computed once per pair and reused across channels. The window is symmetric
// (j in G(i) <=> i in G(j)), so the backward pass needs no scatter: a first pass over i
// computes the per-pair gradients, a second pass over j gathers them from G(j).

#include "precomp.hpp"
#include "block_kernels.hpp"

namespace cv {
namespace escrf {
namespace block {

namespace {

// Rows of cells per parallel task: enough work to amortise scheduling.
double stripes(int h, int w, int C)
{
    return std::max(1.0, std::min((double)h, (double)h * w * (C + 16) / 65536.0));
}

} // namespace

template <typename T>
void windowForward(const MessageInput<T>& in, Mat& FpT, Mat& pairs)
{
    const int h = in.h, w = in.w, C = in.C, N = in.N();
    const WindowOffsets off(in.window, in.dilation);
    const int K = off.K;
    const int depth = DataType<T>::depth;
    FpT.create(N, C, depth);
    pairs.create(N, 2 * K, depth);
    parallel_for_(Range(0, h), [&](const Range& rows) {
        std::vector<int> nb(K);
        for (int y = rows.start; y < rows.end; y++)
            for (int x = 0; x < w; x++)
            {
                const int i = y * w + x;
                T* kw = pairs.ptr<T>(i);
                T* mw = kw + K;
                windowNeighbours(off, x, y, w, h, nb.data());
                kernelWeights(in, i, nb.data(), K, kw);
                std::fill(mw, mw + K, T(0));
                T* fp = FpT.ptr<T>(i);
                std::fill(fp, fp + C, T(0));
                for (int o = 0; o < K; o++)
                {
                    const int j = nb[o];
                    if (j < 0)
                        continue;
                    mw[o] = in.pair ? sigmoidT(in.u[i] + in.v[j] + in.c) : in.muJ[j];
                    axpyN(fp, mw[o] * kw[o], in.FT + (size_t)j * C, C);
                }
            }
    }, stripes(h, w, C));
}

template <typename T>
void windowBackward(const MessageInput<T>& in, const Mat& pairs, const Mat& gT, MessageGrad& grad)
{
    const int h = in.h, w = in.w, C = in.C, D = in.D, N = in.N();
    const WindowOffsets off(in.window, in.dilation);
    const int K = off.K;
    const int depth = DataType<T>::depth;
    CV_Assert(pairs.rows == N && pairs.cols == 2 * K && pairs.depth() == depth);
    grad.dFT.create(N, C, depth);
    grad.deT.create(N, D, depth);
    grad.du = Mat::zeros(1, N, depth);
    grad.dv = Mat::zeros(1, N, depth);
    Mat dpair(N, 2 * K, depth);   // d score and d logit of every (i, offset)
    T* du = grad.du.ptr<T>();
    T* dv = grad.dv.ptr<T>();

    // Pass 1, over i: per-pair gradients and the terms that belong to i.
    parallel_for_(Range(0, h), [&](const Range& rows) {
        std::vector<T> dK(K);
        for (int y = rows.start; y < rows.end; y++)
            for (int x = 0; x < w; x++)
            {
                const int i = y * w + x;
                const T* kw = pairs.ptr<T>(i);
                const T* mw = kw + K;
                const T* gi = gT.ptr<T>(i);
                T* ds = dpair.ptr<T>(i);
                T* dz = ds + K;
                T* dei = grad.deT.ptr<T>(i);
                std::fill(dei, dei + D, T(0));
                T kdk = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y + off.dy[o], xx = x + off.dx[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                    {
                        dK[o] = 0; dz[o] = 0;
                        continue;
                    }
                    const T t = dotN(gi, in.FT + (size_t)(yy * w + xx) * C, C);
                    dK[o] = mw[o] * t;
                    dz[o] = kw[o] * t * mw[o] * (T(1) - mw[o]);
                    kdk += kw[o] * dK[o];
                }
                T dui = 0, dsSum = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y + off.dy[o], xx = x + off.dx[o];
                    ds[o] = in.normalize ? kw[o] * (dK[o] - kdk) * in.invTau
                                         : in.gaussian ? kw[o] * dK[o] : dK[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    axpyN(dei, ds[o], in.eT + (size_t)(yy * w + xx) * D, D);
                    dsSum += ds[o];
                    dui += dz[o];
                }
                // Gaussian kernel: d score / d e_i = e_j - e_i.
                if (in.gaussian)
                    axpyN(dei, -dsSum, in.eT + (size_t)i * D, D);
                du[i] = dui;
            }
    }, stripes(h, w, C));

    // Pass 2, over j: gather from every i with j in G(i), i.e. i = j - offset.
    parallel_for_(Range(0, h), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
            for (int x = 0; x < w; x++)
            {
                const int j = y * w + x;
                T* dfj = grad.dFT.ptr<T>(j);
                T* dej = grad.deT.ptr<T>(j);
                std::fill(dfj, dfj + C, T(0));
                T dvj = 0, dsSum = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y - off.dy[o], xx = x - off.dx[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    const int i = yy * w + xx;
                    const T* kw = pairs.ptr<T>(i);
                    const T* ds = dpair.ptr<T>(i);
                    axpyN(dfj, kw[o] * kw[K + o], gT.ptr<T>(i), C);
                    axpyN(dej, ds[o], in.eT + (size_t)i * D, D);
                    dsSum += ds[o];
                    dvj += ds[K + o];
                }
                // Gaussian kernel: d score / d e_j = e_i - e_j.
                if (in.gaussian)
                    axpyN(dej, -dsSum, in.eT + (size_t)j * D, D);
                dv[j] = dvj;
            }
    }, stripes(h, w, C));
}

template void windowForward<float>(const MessageInput<float>&, Mat&, Mat&);
template void windowForward<double>(const MessageInput<double>&, Mat&, Mat&);
template void windowBackward<float>(const MessageInput<float>&, const Mat&, const Mat&, MessageGrad&);
template void windowBackward<double>(const MessageInput<double>&, const Mat&, const Mat&, MessageGrad&);

}}} // namespace cv::escrf::block
