// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// CUDA superpixels: the whole pipeline of src/superpixels/slic_pipeline.hpp (Gaussian blur,
// 8-bit Lab, SLIC / SLICO iterations with the centre update, connectivity enforcement) on the
// device, one thread per pixel or per centre running the functors of slic_device_math.hpp.
// The CPU emulation (slic_emulation.cpp) runs the same functors and the same pipeline, and
// every step is order independent (integer atomics, Jacobi iterations, explicitly rounded float
// operations), so the device labels equal the emulated ones bit for bit.

#include "cuda/cuda_utils.hpp"
#include "superpixels/superpixels_cuda.hpp"
#include "superpixels/slic_pipeline.hpp"

namespace cv {
namespace escrf {
namespace cuda {

template <class F>
__global__ void forEachPixelKernel(F f, int W, int H)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < W && y < H)
        f(x, y);
}

template <class F>
__global__ void forEachItemKernel(F f, int n)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        f(i);
}

namespace {

//! One thread per item; the default stream orders the launches and the copies.
struct DeviceBackend
{
    template <class T> using Buffer = DeviceBuffer<T>;
    template <class T> void zero(Buffer<T>& b)
    {
        if (b.size() > 0)
            ESCRF_CUDA_CHECK(cudaMemset(b.get(), 0, b.size() * sizeof(T)));
    }
    template <class T> void copy(const Buffer<T>& from, Buffer<T>& to, size_t n)
    {
        CV_Assert(n <= from.size());
        to.allocate(n);
        if (n > 0)
            ESCRF_CUDA_CHECK(cudaMemcpy(to.get(), from.get(), n * sizeof(T), cudaMemcpyDeviceToDevice));
    }
    template <class F> void pixels(int W, int H, const F& f)
    {
        const dim3 block(32, 8);
        const dim3 grid(divUp(W, block.x), divUp(H, block.y));
        forEachPixelKernel<<<grid, block>>>(f, W, H);
        ESCRF_CUDA_CHECK_LAUNCH();
    }
    template <class F> void items(int n, const F& f)
    {
        if (n <= 0)
            return;
        forEachItemKernel<<<divUp(n, 256), 256>>>(f, n);
        ESCRF_CUDA_CHECK_LAUNCH();
    }
};

} // namespace

void slicAssign(const Mat& lab, const Mat& centres, const detail::SlicGrid& grid,
                const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels)
{
    CV_Assert(lab.type() == CV_8UC3 && !lab.empty());
    CV_Assert(centres.type() == CV_32FC1 && centres.cols == 5 && centres.rows == grid.gx * grid.gy);
    CV_Assert((int)invColorScale.size() == centres.rows);
    DeviceBackend be;
    DeviceBuffer<unsigned char> labBuf;
    DeviceBuffer<float> c, inv;
    DeviceBuffer<int> out((size_t)lab.total());
    uploadMat(lab, labBuf);
    uploadMat(centres, c);
    inv.upload(invColorScale.data(), invColorScale.size());
    be.pixels(lab.cols, lab.rows, slicdev::SlicAssign{ labBuf.get(), c.get(), inv.get(), out.get(),
                                                       lab.cols, lab.rows, grid.gx, grid.gy, invSpatialScale });
    slicdev::downloadLabels<DeviceBackend>(out, lab.cols, lab.rows, labels);
}

void blurLab(const Mat& bgr, int blurKernel, Mat& lab)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    DeviceBackend be;
    DeviceBuffer<unsigned char> buf;
    slicdev::blurAndLab(be, bgr, blurKernel, buf);
    lab.create(bgr.size(), CV_8UC3);
    buf.download(lab.ptr<unsigned char>(), lab.total() * 3);
}

void computeSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params)
{
    CV_Assert(lab.type() == CV_8UC3 && !lab.empty());
    DeviceBackend be;
    DeviceBuffer<unsigned char> labBuf;
    DeviceBuffer<int> out;
    uploadMat(lab, labBuf);
    slicdev::slic(be, labBuf, lab.cols, lab.rows, params, out);
    slicdev::downloadLabels<DeviceBackend>(out, lab.cols, lab.rows, labels);
}

int enforceLabelConnectivity(Mat& labels, int minSize)
{
    CV_Assert(labels.type() == CV_32SC1 && !labels.empty());
    DeviceBackend be;
    DeviceBuffer<int> buf;
    uploadMat(labels, buf);
    slicdev::enforceConnectivity(be, buf, labels.cols, labels.rows, minSize);
    Mat out;
    slicdev::downloadLabels<DeviceBackend>(buf, labels.cols, labels.rows, out);
    out.copyTo(labels);
    return detail::renumberLabelsRasterOrder(labels);
}

void computeSuperpixelLabels(const Mat& bgr, Mat& labels, const SuperpixelParams& params)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    // The image goes up once; only the labels come back.
    DeviceBackend be;
    DeviceBuffer<unsigned char> lab;
    DeviceBuffer<int> out;
    slicdev::blurAndLab(be, bgr, params.blurKernel, lab);
    slicdev::slic(be, lab, bgr.cols, bgr.rows, params, out);
    slicdev::downloadLabels<DeviceBackend>(out, bgr.cols, bgr.rows, labels);
}

}}} // namespace cv::escrf::cuda
