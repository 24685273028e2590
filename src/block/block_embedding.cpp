// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Embedding e_i = concat(W_img Ig_i, W_pos PE_i) (two 1x1 convolutions without bias): stored
// cell-major (N x 2E) for the backward and dense kernels, in the factored form of the window
// scores (WindowScores) for the windowed forward pass, and its weight gradients.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "core/simd_rows.hpp"

namespace cv {
namespace escrf {
namespace block {

// out_i[0..E) = sum_p X[p][i] * Wt[p][0..E): a contiguous axpy over E per input channel.
template <typename T>
static void project(const Mat& W, const Mat& X, Mat& eT, int col0)
{
    const int E = W.rows, Pin = W.cols, N = X.cols;
    Mat Wt = W.t();
    parallel_for_(Range(0, N), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            T* out = eT.ptr<T>(i) + col0;
            for (int e = 0; e < E; e++)
                out[e] = 0;
            for (int p = 0; p < Pin; p++)
                axpyN(out, X.at<T>(p, i), Wt.ptr<T>(p), E);
        }
    }, std::max(1.0, N / 2048.0));
}

// pe_x (P x w) and pe_y (P x h): the x part of the first image row, the y part of the first column.
static void separablePosition(const Mat& position, Size fs, Mat& pex, Mat& pey)
{
    const int P = position.rows / 2, w = fs.width, h = fs.height;
    CV_Assert(position.cols == fs.area() && position.rows == 2 * P);
    pex = position(Range(0, P), Range(0, w)).clone();
    pey.create(P, h, position.type());
    for (int y = 0; y < h; y++)
        position(Range(P, 2 * P), Range(y * w, y * w + 1)).copyTo(pey.col(y));
}

static Mat asDepth(const Mat& m, int depth)
{
    if (m.empty() || m.depth() == depth)
        return m;
    Mat out;
    m.convertTo(out, depth);
    return out;
}

GuideView guideView(const EscrfGuide& g, const EscrfBlockParams& p, int depth)
{
    GuideView v;
    v.size = g.featureSize;
    v.image = asDepth(g.image, depth);
    // Read only when it has the layout prepareGuide gives it (checkInputs requires it when the
    // pairwise term runs, the only user).
    if (!g.position.empty() && g.position.rows % 2 == 0 && g.position.cols == g.featureSize.area())
        separablePosition(asDepth(g.position, depth), g.featureSize, v.posX, v.posY);
    v.cellLabels = g.cellLabels;
    v.soft = p.softSuperpixels ? &g.soft : nullptr;
    v.numSuperpixels = g.numSuperpixels;
    return v;
}

void positionFactors(const Mat& W_pos, const GuideView& g, Mat& A, Mat& B)
{
    const int P = W_pos.cols / 2;
    CV_Assert(g.posX.rows == P && g.posY.rows == P && g.posX.cols == g.size.width && g.posY.cols == g.size.height);
    gemm(W_pos.colRange(0, P), g.posX, 1.0, noArray(), 0.0, A);       // E x w
    gemm(W_pos.colRange(P, 2 * P), g.posY, 1.0, noArray(), 0.0, B);   // E x h
}

template <typename T>
static void positionEmbedding(const Mat& W_pos, const GuideView& g, Mat& eT, int col0)
{
    const int E = W_pos.rows, w = g.size.width;
    Mat A, B;
    positionFactors(W_pos, g, A, B);
    Mat At = A.t(), Bt = B.t();                                   // w x E, h x E
    parallel_for_(Range(0, g.size.height), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
        {
            const T* b = Bt.ptr<T>(y);
            for (int x = 0; x < w; x++)
            {
                T* out = eT.ptr<T>(y * w + x) + col0;
                const T* a = At.ptr<T>(x);
                for (int e = 0; e < E; e++)
                    out[e] = a[e] + b[e];
            }
        }
    });
}

void computeEmbedding(const Mat& W_img, const Mat& W_pos, const GuideView& g, Mat& eT)
{
    const int E = W_img.rows, N = g.image.cols;
    eT.create(N, 2 * E, W_img.type());
    if (W_img.depth() == CV_32F)
    {
        project<float>(W_img, g.image, eT, 0);
        positionEmbedding<float>(W_pos, g, eT, E);
    }
    else
    {
        project<double>(W_img, g.image, eT, 0);
        positionEmbedding<double>(W_pos, g, eT, E);
    }
}

// ---------------------------------------------------------------- factored window scores

// R (3 x 3) with R^T R = W^T W, so that (R g_i) . (R g_j) = (W g_i) . (W g_j) for any g: from the
// eigen-decomposition W^T W = V diag(l) V^T, R = diag(sqrt(l)) V^T (in double).
static Mat imageFactor(const Mat& W_img, int depth)
{
    Mat W, G, l, V;
    W_img.convertTo(W, CV_64F);
    G = W.t() * W;
    eigen(G, l, V);   // rows of V are the eigenvectors
    Mat R(3, 3, CV_64F);
    for (int k = 0; k < 3; k++)
        R.row(k) = V.row(k) * std::sqrt(std::max(0.0, l.at<double>(k)));
    Mat out;
    R.convertTo(out, depth);
    return out;
}

// table(o, t) = f(a_t, a_t') over the E rows of a (E x n), t' = t + step[o] in [0, n); 0 elsewhere.
template <typename T>
static void axisTable(const Mat& a, const std::vector<int>& step, bool gaussian, Mat& table)
{
    const int E = a.rows, n = a.cols, K = (int)step.size();
    table = Mat::zeros(K, n, a.type());
    for (int o = 0; o < K; o++)
    {
        T* row = table.ptr<T>(o);
        for (int t = std::max(0, -step[o]); t < std::min(n, n - step[o]); t++)
        {
            T acc = 0;
            for (int e = 0; e < E; e++)
            {
                const T p = a.at<T>(e, t), q = a.at<T>(e, t + step[o]);
                acc += gaussian ? (p - q) * (p - q) : p * q;
            }
            row[t] = acc;
        }
    }
}

template <typename T>
void buildWindowScores(const EscrfBlockParams& p, const Mat& W_img, const Mat& W_pos, const GuideView& g,
                       WindowScores<T>& s)
{
    const int depth = DataType<T>::depth, w = g.size.width, h = g.size.height, N = w * h;
    s.w = w;
    s.h = h;
    s.offsets = WindowOffsets(p.window, p.dilation);
    s.gaussian = p.gaussianKernel;
    const Mat R = imageFactor(W_img, depth);
    s.image.create(3, N, depth);
    Mat A, B;
    positionFactors(W_pos, g, A, B);
    axisTable<T>(A, s.offsets.dx, s.gaussian, s.alongX);
    axisTable<T>(B, s.offsets.dy, s.gaussian, s.alongY);
    s.cross.create(h, w, depth);
    const int E = A.rows;
    parallel_for_(Range(0, h), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
        {
            // gR of the row, and A_x . B_y along it.
            for (int k = 0; k < 3; k++)
            {
                T* out = s.image.template ptr<T>(k) + (size_t)y * w;
                const T* rk = R.ptr<T>(k);
                const T *g0 = g.image.ptr<T>(0) + (size_t)y * w, *g1 = g.image.ptr<T>(1) + (size_t)y * w,
                        *g2 = g.image.ptr<T>(2) + (size_t)y * w;
                simd::forRange<T>(0, w, [&](auto tag, int x) {
                    store(tag, out + x, load(tag, g0 + x) * simd::all(tag, rk[0]) + load(tag, g1 + x) * simd::all(tag, rk[1]) +
                                        load(tag, g2 + x) * simd::all(tag, rk[2]));
                });
            }
            T* ab = s.cross.template ptr<T>(y);
            std::fill(ab, ab + w, T(0));
            for (int e = 0; e < E; e++)
            {
                const T b = B.at<T>(e, y);
                const T* a = A.ptr<T>(e);
                simd::forRange<T>(0, w, [&](auto tag, int x) {
                    store(tag, ab + x, load(tag, a + x) * simd::all(tag, b) + load(tag, ab + x));
                });
            }
        }
    }, std::max(1.0, (double)N * E / 262144.0));
}

template void buildWindowScores<float>(const EscrfBlockParams&, const Mat&, const Mat&, const GuideView&,
                                       WindowScores<float>&);
template void buildWindowScores<double>(const EscrfBlockParams&, const Mat&, const Mat&, const GuideView&,
                                        WindowScores<double>&);

// ---------------------------------------------------------------- gradients

// dW[e][p] += sum_i deT[i][col0 + e] X[p][i]. Each chunk of cells accumulates on its own and
// the chunks are summed in order, so the result does not depend on thread scheduling (a fixed
// seed must give the same training run).
template <typename T>
static void projectBackward(const Mat& deT, int col0, const Mat& X, Mat& dW)
{
    const int E = dW.rows, Pin = dW.cols, N = X.cols;
    const int chunks = std::max(1, std::min(16, N / 1024));
    std::vector<Mat> partial(chunks);
    parallel_for_(Range(0, chunks), [&](const Range& r) {
        for (int ch = r.start; ch < r.end; ch++)
        {
            Mat local = Mat::zeros(Pin, E, deT.type());
            const int i0 = (int)((int64)N * ch / chunks), i1 = (int)((int64)N * (ch + 1) / chunks);
            for (int p = 0; p < Pin; p++)
            {
                T* acc = local.ptr<T>(p);
                const T* x = X.ptr<T>(p);
                for (int i = i0; i < i1; i++)
                    axpyN(acc, x[i], deT.ptr<T>(i) + col0, E);
            }
            local.convertTo(partial[ch], CV_64F);
        }
    });
    Mat total = Mat::zeros(Pin, E, CV_64F);
    for (const Mat& p : partial)
        total += p;
    Mat add;
    Mat(total.t()).convertTo(add, dW.type());
    dW += add;
}

// dA[x] = sum_y de(x, y), dB[y] = sum_x de(x, y) over the position half of deT, then
// dW_pos[:, :P] += dA pe_x^T and dW_pos[:, P:] += dB pe_y^T. One pass over deT in row order:
// fixed bands of rows keep their own dA, summed in band order (deterministic).
template <typename T>
static void positionBackward(const Mat& deT, int col0, const GuideView& g, Mat& dW_pos)
{
    const int E = dW_pos.rows, w = g.size.width, h = g.size.height;
    const int bands = std::max(1, std::min(8, h));
    std::vector<Mat> dAparts(bands);
    Mat dB = Mat::zeros(h, E, CV_64F);
    parallel_for_(Range(0, bands), [&](const Range& r) {
        std::vector<T> rowSum(E);
        for (int band = r.start; band < r.end; band++)
        {
            Mat dA = Mat::zeros(w, E, deT.type());
            for (int y = h * band / bands; y < h * (band + 1) / bands; y++)
            {
                std::fill(rowSum.begin(), rowSum.end(), T(0));
                for (int x = 0; x < w; x++)
                {
                    const T* de = deT.ptr<T>(y * w + x) + col0;
                    T* a = dA.ptr<T>(x);
                    for (int e = 0; e < E; e++)
                    {
                        a[e] += de[e];
                        rowSum[e] += de[e];
                    }
                }
                double* b = dB.ptr<double>(y);
                for (int e = 0; e < E; e++)
                    b[e] = rowSum[e];
            }
            dA.convertTo(dAparts[band], CV_64F);
        }
    });
    Mat dA = Mat::zeros(w, E, CV_64F);
    for (const Mat& part : dAparts)
        dA += part;
    Mat pex, pey, gx, gy;
    g.posX.convertTo(pex, CV_64F);
    g.posY.convertTo(pey, CV_64F);
    gemm(dA, pex, 1.0, noArray(), 0.0, gx, GEMM_1_T | GEMM_2_T); // E x P
    gemm(dB, pey, 1.0, noArray(), 0.0, gy, GEMM_1_T | GEMM_2_T);
    Mat add;
    hconcat(gx, gy, add);
    add.convertTo(add, dW_pos.type());
    dW_pos += add;
}

void embeddingBackward(const Mat& deT, const GuideView& g, Mat& dW_img, Mat& dW_pos)
{
    const int E = dW_img.rows;
    if (deT.depth() == CV_32F)
    {
        projectBackward<float>(deT, 0, g.image, dW_img);
        positionBackward<float>(deT, E, g, dW_pos);
    }
    else
    {
        projectBackward<double>(deT, 0, g.image, dW_img);
        positionBackward<double>(deT, E, g, dW_pos);
    }
}

}}} // namespace cv::escrf::block
