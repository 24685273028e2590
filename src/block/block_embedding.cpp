// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Embedding e_i = concat(W_img Ig_i, W_pos PE_i) (two 1x1 convolutions without bias), stored
// cell-major (N x 2E) for the message kernels, and its weight gradients.

#include "precomp.hpp"
#include "block_kernels.hpp"

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

template <typename T>
static void positionEmbedding(const Mat& W_pos, const Mat& position, Size fs, Mat& eT, int col0)
{
    const int E = W_pos.rows, P = W_pos.cols / 2, w = fs.width;
    Mat pex, pey, A, B;
    separablePosition(position, fs, pex, pey);
    gemm(W_pos.colRange(0, P), pex, 1.0, noArray(), 0.0, A);   // E x w
    gemm(W_pos.colRange(P, 2 * P), pey, 1.0, noArray(), 0.0, B); // E x h
    Mat At = A.t(), Bt = B.t();                                   // w x E, h x E
    parallel_for_(Range(0, fs.height), [&](const Range& r) {
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

void computeEmbedding(const Mat& W_img, const Mat& W_pos, const Mat& image, const Mat& position,
                      Size featureSize, Mat& eT)
{
    const int E = W_img.rows, N = image.cols;
    eT.create(N, 2 * E, W_img.type());
    if (W_img.depth() == CV_32F)
    {
        project<float>(W_img, image, eT, 0);
        positionEmbedding<float>(W_pos, position, featureSize, eT, E);
    }
    else
    {
        project<double>(W_img, image, eT, 0);
        positionEmbedding<double>(W_pos, position, featureSize, eT, E);
    }
}

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
static void positionBackward(const Mat& deT, int col0, const Mat& position, Size fs, Mat& dW_pos)
{
    const int E = dW_pos.rows, w = fs.width, h = fs.height;
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
    separablePosition(position, fs, pex, pey);
    pex.convertTo(pex, CV_64F);
    pey.convertTo(pey, CV_64F);
    gemm(dA, pex, 1.0, noArray(), 0.0, gx, GEMM_1_T | GEMM_2_T); // E x P
    gemm(dB, pey, 1.0, noArray(), 0.0, gy, GEMM_1_T | GEMM_2_T);
    Mat add;
    hconcat(gx, gy, add);
    add.convertTo(add, dW_pos.type());
    dW_pos += add;
}

void embeddingBackward(const Mat& deT, const Mat& image, const Mat& position, Size featureSize,
                       Mat& dW_img, Mat& dW_pos)
{
    const int E = dW_img.rows;
    if (deT.depth() == CV_32F)
    {
        projectBackward<float>(deT, 0, image, dW_img);
        positionBackward<float>(deT, E, position, featureSize, dW_pos);
    }
    else
    {
        projectBackward<double>(deT, 0, image, dW_img);
        positionBackward<double>(deT, E, position, featureSize, dW_pos);
    }
}

}}} // namespace cv::escrf::block
