// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// CPU emulation of the CUDA superpixel pipeline: the pipeline of slic_pipeline.hpp over a host
// backend that runs each functor of slic_device_math.hpp for every item in order (the device
// runs them one thread per item; all steps are order independent). Serial on purpose: it is a
// test oracle for the kernels, not a fast path (the CPU path is ximgproc). Also the host tables
// of the device Lab conversion and blur.

#include "precomp.hpp"
#include "superpixels/slic_pipeline.hpp"
#include <cmath>
#include <cstring>
#include <limits>

namespace cv {
namespace escrf {
namespace slicdev {

static LabTables buildLabTables()
{
    LabTables t;
    // sRGB -> linear, 255 * 8 levels (OpenCV's sRGBGammaTab_b).
    for (int i = 0; i < 256; i++)
    {
        const double x = i / 255.0;
        const double g = x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4);
        t.gamma[i] = (uint16_t)cvRound(255.0 * (1 << kGammaShift) * g);
    }
    // f(t) of CIE Lab in 1/2^15 for t = i / (255 * 8) (OpenCV's LabCbrtTab_b).
    const double lthresh = 216.0 / 24389.0, lscale = 841.0 / 108.0, lbias = 16.0 / 116.0;
    for (int i = 0; i < kCbrtTabSize; i++)
    {
        const double x = i / (255.0 * (1 << kGammaShift));
        const double f = x < lthresh ? x * lscale + lbias : std::cbrt(x);
        t.cbrt[i] = (uint16_t)cvRound((1 << kLabShift2) * f);
    }
    // sRGB (D65) -> XYZ, rows divided by the D65 white point, columns in B, G, R order.
    static const double M[9] = { 0.412453, 0.357580, 0.180423,
                                 0.212671, 0.715160, 0.072169,
                                 0.019334, 0.119193, 0.950227 };
    static const double white[3] = { 0.950456, 1.0, 1.088754 };
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            t.coeffs[r * 3 + (2 - c)] = cvRound((1 << kLabShift) * M[r * 3 + c] / white[r]);
    return t;
}

const LabTables& labTables()
{
    static const LabTables t = buildLabTables();
    return t;
}

bool blurOnDevice(int ksize)
{
    return ksize <= 1 || ksize == 3 || ksize == 5 || ksize == 7;
}

BlurKernel smallGaussianKernel(int ksize)
{
    // getGaussianKernel's fixed tables for sigma <= 0 (0.25 0.5 0.25; 1 4 6 4 1 / 16;
    // 0.03125 0.109375 0.21875 0.28125 ...), all exact in 1/256.
    static const int k3[] = { 64, 128, 64 };
    static const int k5[] = { 16, 64, 96, 64, 16 };
    static const int k7[] = { 8, 28, 56, 72, 56, 28, 8 };
    CV_Assert(ksize == 3 || ksize == 5 || ksize == 7);
    const int* w = ksize == 3 ? k3 : (ksize == 5 ? k5 : k7);
    BlurKernel k;
    k.radius = ksize / 2;
    for (int i = 0; i < 2 * kMaxBlurRadius + 1; i++)
        k.w[i] = i < ksize ? w[i] : 0;
    return k;
}

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
