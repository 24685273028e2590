// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixel average prior Fs = F P, P = A D^-1 A^T with A the cell-to-superpixel assignment
// (one-hot for the reference nearest labels, area weights for soft superpixels) and D its
// column sums. P is symmetric, so the backward pass applies the same operator to dOut.

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "opencv2/core/hal/intrin.hpp"

namespace cv {
namespace escrf {
namespace block {

// mass[s] = sum_i A[i,s]: a histogram of the labels for the hard assignment.
static void superpixelMasses(int N, const int* label, const SoftAssignment* soft, std::vector<double>& mass)
{
    for (int i = 0; i < N; i++)
    {
        if (!soft)
            mass[label[i]] += 1;
        else
            for (int k = soft->offsets[i]; k < soft->offsets[i + 1]; k++)
                mass[soft->superpixel[k]] += soft->weight[k];
    }
}

// means(c, s) = sum_i A[i,s] X[c][i] / sum_i A[i,s] (0 for an empty superpixel), in double, each
// channel summed in cell order. One task per channel plus one (the last) for the masses, so that
// no thread waits for a serial pass over the cells.
template <typename T>
static void meansT(const Mat& X, const int* label, int M, const SoftAssignment* soft, Mat& means)
{
    const int C = X.rows, N = X.cols;
    std::vector<double> mass(M, 0.0);
    means.create(C, M, CV_64F);
    parallel_for_(Range(0, C + 1), [&](const Range& r) {
        for (int c = r.start; c < r.end; c++)
        {
            if (c == C)
            {
                superpixelMasses(N, label, soft, mass);
                continue;
            }
            const T* x = X.ptr<T>(c);
            double* sum = means.ptr<double>(c);
            std::fill(sum, sum + M, 0.0);
            if (!soft)
                for (int i = 0; i < N; i++)
                    sum[label[i]] += x[i];
            else
                for (int i = 0; i < N; i++)
                    for (int k = soft->offsets[i]; k < soft->offsets[i + 1]; k++)
                        sum[soft->superpixel[k]] += soft->weight[k] * (double)x[i];
        }
    });
    for (int c = 0; c < C; c++)
    {
        double* sum = means.ptr<double>(c);
        for (int s = 0; s < M; s++)
            sum[s] = mass[s] > 0 ? sum[s] / mass[s] : 0.0;
    }
}

void superpixelMeans(const Mat& X, const Mat& cellLabels, int numSuperpixels, const SoftAssignment* soft,
                     Mat& means)
{
    const int* label = soft ? nullptr : cellLabels.ptr<int>();
    const int M = soft ? soft->numSuperpixels : numSuperpixels;
    if (X.depth() == CV_32F)
        meansT<float>(X, label, M, soft, means);
    else
        meansT<double>(X, label, M, soft, means);
}

template <typename T>
void priorCells(const Mat& means, const int* label, const SoftAssignment* soft, int i0, int i1, bool accumulate,
                T alpha, T* Y, size_t stride)
{
    for (int c = 0; c < means.rows; c++)
    {
        const double* m = means.ptr<double>(c);
        T* y = Y + c * stride;   // cell i at y[i - i0]
        for (int i = i0; i < i1; i++)
        {
            T p;
            if (!soft)
                p = (T)m[label[i]];
            else
            {
                double v = 0;
                for (int k = soft->offsets[i]; k < soft->offsets[i + 1]; k++)
                    v += soft->weight[k] * m[soft->superpixel[k]];
                p = (T)v;
            }
            y[i - i0] = accumulate ? p * alpha + y[i - i0] : p;
        }
    }
}

template <typename T>
void scaledPriorTable(const Mat& means, T alpha, Mat& table)
{
    // priorCells' rounding: the mean cast to T, then scaled in T. Adding the entry to y is then bit
    // for bit priorCells' p * alpha + y because the module compiles with -ffp-contract=off (no FMA
    // contraction of that expression, see CMakeLists.txt).
    table.create(means.size(), DataType<T>::depth);
    for (int c = 0; c < means.rows; c++)
    {
        const double* m = means.ptr<double>(c);
        T* t = table.ptr<T>(c);
        for (int s = 0; s < means.cols; s++)
            t[s] = (T)m[s] * alpha;
    }
}

template <typename T>
void addPriorCells(const Mat& table, const int* label, int i0, int i1, T* Y, size_t stride)
{
    for (int c = 0; c < table.rows; c++)
    {
        const T* t = table.ptr<T>(c);
        T* y = Y + c * stride;   // cell i at y[i - i0]
        int i = i0;
#if CV_SIMD
        if constexpr (std::is_same<T, float>::value)
            for (; i + v_float32::nlanes <= i1; i += v_float32::nlanes)
                v_store(y + (i - i0), v_lut(t, vx_load(label + i)) + vx_load(y + (i - i0)));
#endif
        for (; i < i1; i++)
            y[i - i0] = t[label[i]] + y[i - i0];
    }
}

template void scaledPriorTable<float>(const Mat&, float, Mat&);
template void scaledPriorTable<double>(const Mat&, double, Mat&);
template void addPriorCells<float>(const Mat&, const int*, int, int, float*, size_t);
template void addPriorCells<double>(const Mat&, const int*, int, int, double*, size_t);
template void priorCells<float>(const Mat&, const int*, const SoftAssignment*, int, int, bool, float, float*, size_t);
template void priorCells<double>(const Mat&, const int*, const SoftAssignment*, int, int, bool, double, double*,
                                 size_t);

void superpixelPrior(const Mat& X, const Mat& cellLabels, int numSuperpixels,
                     const SoftAssignment* soft, Mat& Y)
{
    Mat means;
    superpixelMeans(X, cellLabels, numSuperpixels, soft, means);
    Y.create(X.size(), X.type());
    const int N = X.cols;
    const int* label = soft ? nullptr : cellLabels.ptr<int>();
    parallel_for_(Range(0, N), [&](const Range& r) {
        if (X.depth() == CV_32F)
            priorCells<float>(means, label, soft, r.start, r.end, false, 0.f, Y.ptr<float>() + r.start, N);
        else
            priorCells<double>(means, label, soft, r.start, r.end, false, 0.0, Y.ptr<double>() + r.start, N);
    }, std::max(1.0, (double)N * X.rows / 65536.0));
}

}}} // namespace cv::escrf::block
