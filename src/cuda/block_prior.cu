// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixel average prior of the ES-CRF block on the GPU (CPU twin: src/block/block_prior.cpp):
// Y = X A D^-1 A^T. Two deterministic passes instead of float atomics: the superpixel means
// (one thread per (channel, superpixel), summing its cells in increasing order in double, as
// the CPU does), then the per-cell gather of the means (one thread per (channel, cell)).
// The hard labels are the special case of one entry of weight 1 per cell.

#include "cuda/block_kernels.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

namespace {

__global__ void superpixelMeans(const float* __restrict__ X, int C, int N, int M,
                                const int* __restrict__ spOffsets, const int* __restrict__ spCell,
                                const float* __restrict__ spWeight, const double* __restrict__ mass,
                                double* __restrict__ mean)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)C * M)
        return;
    const int ch = (int)(t / M), s = (int)(t % M);
    const float* x = X + (size_t)ch * N;
    double sum = 0;
    for (int k = spOffsets[s]; k < spOffsets[s + 1]; k++)
        sum += (double)spWeight[k] * (double)x[spCell[k]];
    mean[t] = mass[s] > 0 ? sum / mass[s] : 0.0;
}

__global__ void gatherMeans(const double* __restrict__ mean, int C, int N, int M,
                            const int* __restrict__ cellOffsets, const int* __restrict__ cellSp,
                            const float* __restrict__ cellWeight, float* __restrict__ Y)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)C * N)
        return;
    const int ch = (int)(t / N), i = (int)(t % N);
    const double* m = mean + (size_t)ch * M;
    double v = 0;
    for (int k = cellOffsets[i]; k < cellOffsets[i + 1]; k++)
        v += (double)cellWeight[k] * m[cellSp[k]];
    Y[t] = (float)v;
}

} // namespace

void preparePrior(const Mat& cellLabels, int numSuperpixels, const SoftAssignment* soft, int N,
                  PriorOperator& op)
{
    std::vector<int> offsets, sp;
    std::vector<float> weight;
    int M = numSuperpixels;
    if (soft)
    {
        M = soft->numSuperpixels;
        offsets = soft->offsets;
        sp = soft->superpixel;
        weight = soft->weight;
    }
    else
    {
        CV_Assert(cellLabels.type() == CV_32SC1 && (int)cellLabels.total() == N && cellLabels.isContinuous());
        offsets.resize(N + 1);
        const int* label = cellLabels.ptr<int>();
        for (int i = 0; i <= N; i++)
            offsets[i] = i;
        sp.assign(label, label + N);
        weight.assign(N, 1.f);
    }
    const int nnz = offsets[N];
    CV_Assert((int)sp.size() >= nnz && (int)weight.size() >= nnz && M > 0);

    // Transpose (counting sort by superpixel, stable in cell order) and the masses, summed in
    // cell order like the CPU.
    std::vector<int> spOffsets(M + 1, 0), spCell(nnz);
    std::vector<float> spWeight(nnz);
    std::vector<double> mass(M, 0.0);
    for (int k = 0; k < nnz; k++)
    {
        CV_Assert(sp[k] >= 0 && sp[k] < M);
        spOffsets[sp[k] + 1]++;
    }
    for (int s = 0; s < M; s++)
        spOffsets[s + 1] += spOffsets[s];
    std::vector<int> fill(spOffsets.begin(), spOffsets.end() - 1);
    for (int i = 0; i < N; i++)
        for (int k = offsets[i]; k < offsets[i + 1]; k++)
        {
            const int s = sp[k], at = fill[s]++;
            spCell[at] = i;
            spWeight[at] = weight[k];
            mass[s] += weight[k];
        }

    op.N = N;
    op.M = M;
    op.cellOffsets.upload(offsets.data(), offsets.size());
    op.cellSp.upload(sp.data(), nnz);
    op.cellWeight.upload(weight.data(), nnz);
    op.spOffsets.upload(spOffsets.data(), spOffsets.size());
    op.spCell.upload(spCell.data(), nnz);
    op.spWeight.upload(spWeight.data(), nnz);
    op.mass.upload(mass.data(), mass.size());
}

void applyPrior(const PriorOperator& op, const float* X, int C, float* Y, DeviceBuffer<double>& mean)
{
    const int N = op.N, M = op.M;
    if (C <= 0 || N <= 0)
        return;
    mean.allocate((size_t)C * M);
    superpixelMeans<<<blocksFor((size_t)C * M), kThreads>>>(X, C, N, M, op.spOffsets.get(), op.spCell.get(),
                                                          op.spWeight.get(), op.mass.get(), mean.get());
    ESCRF_CUDA_CHECK_LAUNCH();
    gatherMeans<<<blocksFor((size_t)C * N), kThreads>>>(mean.get(), C, N, M, op.cellOffsets.get(),
                                                        op.cellSp.get(), op.cellWeight.get(), Y);
    ESCRF_CUDA_CHECK_LAUNCH();
}

}}}} // namespace cv::escrf::cuda::blockgpu
