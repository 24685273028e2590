// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Embedding e_i = concat(W_img Ig_i, W_pos PE_i) (two 1x1 convolutions without bias), stored
// cell-major (N x 2E) for the message kernels, and its weight gradients.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include <mutex>

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

void computeEmbedding(const Mat& W_img, const Mat& W_pos, const Mat& image, const Mat& position, Mat& eT)
{
    const int E = W_img.rows, N = image.cols;
    eT.create(N, 2 * E, W_img.type());
    if (W_img.depth() == CV_32F)
    {
        project<float>(W_img, image, eT, 0);
        project<float>(W_pos, position, eT, E);
    }
    else
    {
        project<double>(W_img, image, eT, 0);
        project<double>(W_pos, position, eT, E);
    }
}

// dW[e][p] += sum_i deT[i][col0 + e] X[p][i]; chunks of cells accumulate locally, then merge.
template <typename T>
static void projectBackward(const Mat& deT, int col0, const Mat& X, Mat& dW)
{
    const int E = dW.rows, Pin = dW.cols, N = X.cols;
    const int chunks = std::max(1, std::min(16, N / 1024));
    std::mutex lock;
    Mat total = Mat::zeros(Pin, E, CV_64F);
    parallel_for_(Range(0, chunks), [&](const Range& r) {
        Mat local = Mat::zeros(Pin, E, deT.type());
        for (int ch = r.start; ch < r.end; ch++)
        {
            const int i0 = (int)((int64)N * ch / chunks), i1 = (int)((int64)N * (ch + 1) / chunks);
            for (int p = 0; p < Pin; p++)
            {
                T* acc = local.ptr<T>(p);
                const T* x = X.ptr<T>(p);
                for (int i = i0; i < i1; i++)
                    axpyN(acc, x[i], deT.ptr<T>(i) + col0, E);
            }
        }
        Mat local64;
        local.convertTo(local64, CV_64F);
        std::lock_guard<std::mutex> g(lock);
        total += local64;
    });
    Mat add;
    Mat(total.t()).convertTo(add, dW.type());
    dW += add;
}

void embeddingBackward(const Mat& deT, const Mat& image, const Mat& position, Mat& dW_img, Mat& dW_pos)
{
    const int E = dW_img.rows;
    if (deT.depth() == CV_32F)
    {
        projectBackward<float>(deT, 0, image, dW_img);
        projectBackward<float>(deT, E, position, dW_pos);
    }
    else
    {
        projectBackward<double>(deT, 0, image, dW_img);
        projectBackward<double>(deT, E, position, dW_pos);
    }
}

}}} // namespace cv::escrf::block
