// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// CUDA SLIC: the per-pixel assignment step runs on the GPU (one thread per pixel, 3x3
// neighbouring grid centres); the centre update and the connectivity pass run on the CPU
// (src/superpixels/slic_steps.cpp), which keeps the result deterministic.

#include "cuda/cuda_utils.hpp"
#include "superpixels/superpixels_cuda.hpp"

namespace cv {
namespace escrf {
namespace cuda {

// Explicitly rounded operations (no FMA contraction) in the same order as
// detail::slicAssignCpu, so that GPU and CPU labels are bit-identical.
__global__ void slicAssignKernel(const unsigned char* __restrict__ lab, int W, int H,
                                 const float* __restrict__ centres, int gx, int gy,
                                 const float* __restrict__ invColorScale, float invSpatialScale,
                                 int* __restrict__ labels)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= W || y >= H)
        return;
    const size_t idx = (size_t)y * W + x;
    const float p0 = lab[3 * idx], p1 = lab[3 * idx + 1], p2 = lab[3 * idx + 2];
    const int cx = (int)((long long)x * gx / W);
    const int cy = (int)((long long)y * gy / H);
    float best = 3.402823466e+38f;
    int bestK = -1;
    for (int j = max(0, cy - 1); j <= min(gy - 1, cy + 1); j++)
        for (int i = max(0, cx - 1); i <= min(gx - 1, cx + 1); i++)
        {
            const int k = j * gx + i;
            const float* c = centres + 5 * k;
            const float dl = __fsub_rn(p0, c[0]), da = __fsub_rn(p1, c[1]), db = __fsub_rn(p2, c[2]);
            const float dx = __fsub_rn((float)x, c[3]), dy = __fsub_rn((float)y, c[4]);
            const float dc2 = __fadd_rn(__fadd_rn(__fmul_rn(dl, dl), __fmul_rn(da, da)), __fmul_rn(db, db));
            const float ds2 = __fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy));
            const float d = __fadd_rn(__fmul_rn(dc2, invColorScale[k]), __fmul_rn(ds2, invSpatialScale));
            if (d < best)
            {
                best = d;
                bestK = k;
            }
        }
    labels[idx] = bestK;
}

namespace {

// Device state of one SLIC run: the image stays on the GPU, centres go up every iteration.
struct SlicDevice
{
    DeviceBuffer<unsigned char> lab;
    DeviceBuffer<float> centres, invColor;
    DeviceBuffer<int> labels;
    int W = 0, H = 0;

    void assign(const Mat& centresHost, const detail::SlicGrid& g, const std::vector<float>& invColorScale,
                float invSpatialScale, Mat& labelsHost)
    {
        uploadMat(centresHost, centres);
        invColor.upload(invColorScale.data(), invColorScale.size());
        labels.allocate((size_t)W * H);
        const dim3 block(32, 8);
        const dim3 grid(divUp(W, block.x), divUp(H, block.y));
        slicAssignKernel<<<grid, block>>>(lab.get(), W, H, centres.get(), g.gx, g.gy,
                                          invColor.get(), invSpatialScale, labels.get());
        ESCRF_CUDA_CHECK_LAUNCH();
        labelsHost.create(H, W, CV_32SC1);
        CV_Assert(labelsHost.isContinuous());
        labels.download(labelsHost.ptr<int>(), (size_t)W * H);
    }
};

void uploadLab(const Mat& lab, SlicDevice& dev)
{
    CV_Assert(lab.type() == CV_8UC3 && !lab.empty());
    uploadMat(lab, dev.lab);
    dev.W = lab.cols;
    dev.H = lab.rows;
}

} // namespace

void slicAssign(const Mat& lab, const Mat& centres, const detail::SlicGrid& grid,
                const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels)
{
    CV_Assert(lab.type() == CV_8UC3);
    CV_Assert(centres.type() == CV_32FC1 && centres.cols == 5 && centres.rows == grid.gx * grid.gy);
    CV_Assert((int)invColorScale.size() == centres.rows);
    SlicDevice dev;
    uploadLab(lab, dev);
    dev.assign(centres, grid, invColorScale, invSpatialScale, labels);
}

void computeSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params)
{
    CV_Assert(lab.type() == CV_8UC3);
    // The image stays on the GPU for all iterations; only centres go up and labels come down.
    SlicDevice dev;
    uploadLab(lab, dev);
    detail::runSlic(lab, labels, params,
                    [&dev](const Mat&, const Mat& centres, const detail::SlicGrid& g,
                           const std::vector<float>& invColor, float invSpatial, Mat& out) {
                        dev.assign(centres, g, invColor, invSpatial, out);
                    });
}

}}} // namespace cv::escrf::cuda
