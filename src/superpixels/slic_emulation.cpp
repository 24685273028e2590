// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// CPU emulation of the CUDA superpixel pipeline: the pipeline of slic_pipeline.hpp over a host
// backend that runs each functor of slic_device_math.hpp for every item in order (the device
// runs them one thread per item; all steps are order independent). Serial on purpose: it is a
// test oracle for the kernels, not a fast path (the CPU path is ximgproc). Compiled into the
// tests, not the library (CMakeLists.txt: *_emulation.cpp).

#include "precomp.hpp"
#include "superpixels/slic_emulation.hpp"
#include "superpixels/slic_pipeline.hpp"
#include <cmath>
#include <cstring>
#include <limits>

namespace cv {
namespace escrf {
namespace slicdev {

namespace {

//! Host twin of cuda::DeviceBuffer. allocate() fills the buffer with a sentinel (NaN, or 0xAB
//! bytes), as device memory holds garbage after an allocation: a step that reads what no
//! earlier step wrote gives visibly wrong results here instead of zeros.
template <class T>
class HostBuffer
{
public:
    void allocate(size_t n)
    {
        v_.resize(n);
        if (std::numeric_limits<T>::has_quiet_NaN)
            std::fill(v_.begin(), v_.end(), std::numeric_limits<T>::quiet_NaN());
        else if (n)
            std::memset((void*)v_.data(), 0xAB, n * sizeof(T));
    }
    void upload(const T* p, size_t n) { v_.assign(p, p + n); }
    void download(T* p, size_t n) const
    {
        CV_Assert(n <= v_.size());
        std::copy(v_.begin(), v_.begin() + n, p);
    }
    T* get() { return v_.data(); }
    const T* get() const { return v_.data(); }
    std::vector<T>& vec() { return v_; }

private:
    std::vector<T> v_;
};

//! Runs every "thread" of a launch in order, one after the other.
struct HostBackend
{
    template <class T> using Buffer = HostBuffer<T>;
    template <class T> void zero(Buffer<T>& b) { std::fill(b.vec().begin(), b.vec().end(), T()); }
    template <class T> void copy(const Buffer<T>& from, Buffer<T>& to, size_t n)
    {
        to.allocate(n);
        from.download(to.get(), n);
    }
    template <class F> void pixels(int W, int H, const F& f)
    {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                f(x, y);
    }
    template <class F> void items(int n, const F& f)
    {
        for (int i = 0; i < n; i++)
            f(i);
    }
};

} // namespace
} // namespace slicdev

namespace detail {

void emulateGpuBlurLab(const Mat& bgr, int blurKernel, Mat& lab)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    slicdev::HostBackend be;
    slicdev::HostBuffer<uint8_t> buf;
    slicdev::blurAndLab(be, bgr, blurKernel, buf);
    lab.create(bgr.size(), CV_8UC3);
    buf.download(lab.ptr<uint8_t>(), lab.total() * 3);
}

void emulateGpuBlur(const Mat& bgr, int blurKernel, Mat& blurred)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    const int W = bgr.cols, H = bgr.rows;
    const slicdev::BlurKernel k = slicdev::smallGaussianKernel(blurKernel);
    const Mat src = bgr.isContinuous() ? bgr : bgr.clone();
    std::vector<int> tmp((size_t)W * H * 3);
    blurred.create(bgr.size(), CV_8UC3);
    slicdev::HostBackend be;
    be.pixels(W, H, slicdev::BlurRows{ src.ptr<uint8_t>(), tmp.data(), W, H, k });
    be.pixels(W, H, slicdev::BlurCols{ tmp.data(), blurred.ptr<uint8_t>(), W, H, k });
}

void emulateGpuSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params)
{
    CV_Assert(lab.type() == CV_8UC3 && !lab.empty());
    slicdev::HostBackend be;
    slicdev::HostBuffer<uint8_t> labBuf;
    slicdev::HostBuffer<int> out;
    slicdev::uploadMatTo<slicdev::HostBackend, uint8_t>(be, lab, labBuf);
    slicdev::slic(be, labBuf, lab.cols, lab.rows, params, out);
    slicdev::downloadLabels<slicdev::HostBackend>(out, lab.cols, lab.rows, labels);
}

int emulateGpuEnforceConnectivity(Mat& labels, int minSize)
{
    CV_Assert(labels.type() == CV_32SC1 && !labels.empty());
    slicdev::HostBackend be;
    slicdev::HostBuffer<int> buf;
    slicdev::uploadMatTo<slicdev::HostBackend, int>(be, labels, buf);
    slicdev::enforceConnectivity(be, buf, labels.cols, labels.rows, minSize);
    Mat out;
    slicdev::downloadLabels<slicdev::HostBackend>(buf, labels.cols, labels.rows, out);
    out.copyTo(labels);
    return renumberLabelsRasterOrder(labels);
}

int emulateGpuSuperpixels(const Mat& bgr, Mat& labels, const SuperpixelParams& params)
{
    checkSuperpixelParams(params, bgr.size());
    Mat lab;
    emulateGpuBlurLab(bgr, params.blurKernel, lab);
    emulateGpuSlic(lab, labels, params);
    return renumberLabelsRasterOrder(labels);
}

} // namespace detail
}} // namespace cv::escrf
