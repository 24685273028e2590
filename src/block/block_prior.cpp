// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixel average prior Fs = F P, P = A D^-1 A^T with A the cell-to-superpixel assignment
// (one-hot for the reference nearest labels, area weights for soft superpixels) and D its
// column sums. P is symmetric, so the backward pass applies the same operator to dOut.

#include "precomp.hpp"
#include "block_kernels.hpp"

namespace cv {
namespace escrf {
namespace block {

template <typename T>
static void hardPrior(const Mat& X, const int* label, int M, Mat& Y)
{
    const int C = X.rows, N = X.cols;
    std::vector<double> count(M, 0.0);
    for (int i = 0; i < N; i++)
        count[label[i]] += 1;
    parallel_for_(Range(0, C), [&](const Range& r) {
        std::vector<double> sum(M);
        for (int c = r.start; c < r.end; c++)
        {
            const T* x = X.ptr<T>(c);
            T* y = Y.ptr<T>(c);
            std::fill(sum.begin(), sum.end(), 0.0);
            for (int i = 0; i < N; i++)
                sum[label[i]] += x[i];
            for (int s = 0; s < M; s++)
                sum[s] = count[s] > 0 ? sum[s] / count[s] : 0.0;
            for (int i = 0; i < N; i++)
                y[i] = (T)sum[label[i]];
        }
    });
}

template <typename T>
static void softPrior(const Mat& X, const SoftAssignment& A, Mat& Y)
{
    const int C = X.rows, N = X.cols, M = A.numSuperpixels;
    std::vector<double> mass(M, 0.0);
    for (int i = 0; i < N; i++)
        for (int k = A.offsets[i]; k < A.offsets[i + 1]; k++)
            mass[A.superpixel[k]] += A.weight[k];
    parallel_for_(Range(0, C), [&](const Range& r) {
        std::vector<double> sum(M);
        for (int c = r.start; c < r.end; c++)
        {
            const T* x = X.ptr<T>(c);
            T* y = Y.ptr<T>(c);
            std::fill(sum.begin(), sum.end(), 0.0);
            for (int i = 0; i < N; i++)
                for (int k = A.offsets[i]; k < A.offsets[i + 1]; k++)
                    sum[A.superpixel[k]] += A.weight[k] * (double)x[i];
            for (int s = 0; s < M; s++)
                sum[s] = mass[s] > 0 ? sum[s] / mass[s] : 0.0;
            for (int i = 0; i < N; i++)
            {
                double v = 0;
                for (int k = A.offsets[i]; k < A.offsets[i + 1]; k++)
                    v += A.weight[k] * sum[A.superpixel[k]];
                y[i] = (T)v;
            }
        }
    });
}

void superpixelPrior(const Mat& X, const Mat& cellLabels, int numSuperpixels,
                     const SoftAssignment* soft, Mat& Y)
{
    Y.create(X.size(), X.type());
    if (soft)
    {
        if (X.depth() == CV_32F) softPrior<float>(X, *soft, Y);
        else softPrior<double>(X, *soft, Y);
        return;
    }
    const int* label = cellLabels.ptr<int>();
    if (X.depth() == CV_32F) hardPrior<float>(X, label, numSuperpixels, Y);
    else hardPrior<double>(X, label, numSuperpixels, Y);
}

}}} // namespace cv::escrf::block
