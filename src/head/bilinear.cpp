// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/bilinear.hpp"
#include "core/simd_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

LinearTaps::LinearTaps(int srcLen, int dstLen)
{
    CV_Assert(srcLen > 0 && dstLen > 0);
    i0.resize(dstLen); i1.resize(dstLen);
    w0.resize(dstLen); w1.resize(dstLen);
    const double scale = (double)srcLen / dstLen;
    for (int d = 0; d < dstLen; d++)
    {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = cvFloor(f);
        f -= s;
        if (s < 0)
            f = 0.f, s = 0;
        if (s >= srcLen - 1)
            f = 0.f, s = srcLen - 1;
        i0[d] = s;
        i1[d] = std::min(s + 1, srcLen - 1);
        w0[d] = 1.f - f;
        w1[d] = f;
    }
}

namespace {

void checkPlanar(const Mat& m, Size size, const char* name)
{
    CV_Assert(!size.empty());
    if ((m.type() != CV_32FC1 && m.type() != CV_64FC1) || m.dims != 2 || m.cols != size.area() || !m.isContinuous())
        CV_Error_(Error::StsBadArg, ("%s: expected a continuous CV_32FC1 or CV_64FC1 C x %d matrix, got %d x %d of "
                                     "type %s", name, size.area(), m.rows, m.cols, typeToString(m.type()).c_str()));
}

template <typename T>
void adjointT(const Mat& dDst, Size srcSize, Size dstSize, Mat& dSrc)
{
    const LinearTaps tx(srcSize.width, dstSize.width), ty(srcSize.height, dstSize.height);
    parallel_for_(Range(0, dDst.rows), [&](const Range& r) {
        std::vector<T> rowBuf(srcSize.width);
        for (int c = r.start; c < r.end; c++)
        {
            const T* g = dDst.ptr<T>(c);
            T* out = dSrc.ptr<T>(c);
            std::fill(out, out + srcSize.area(), T(0));
            for (int yd = 0; yd < dstSize.height; yd++)
            {
                // Scatter along x into one source-width row, then along y.
                std::fill(rowBuf.begin(), rowBuf.end(), T(0));
                const T* grow = g + (size_t)yd * dstSize.width;
                for (int xd = 0; xd < dstSize.width; xd++)
                {
                    rowBuf[tx.i0[xd]] += tx.w0[xd] * grow[xd];
                    rowBuf[tx.i1[xd]] += tx.w1[xd] * grow[xd];
                }
                T* r0 = out + (size_t)ty.i0[yd] * srcSize.width;
                T* r1 = out + (size_t)ty.i1[yd] * srcSize.width;
                const T a0 = ty.w0[yd], a1 = ty.w1[yd];
                for (int x = 0; x < srcSize.width; x++)
                {
                    r0[x] += a0 * rowBuf[x];
                    r1[x] += a1 * rowBuf[x];
                }
            }
        }
    });
}

} // namespace

template <typename T>
void resizePlaneRows(const T* src, Size srcSize, const LinearTaps& tx, const LinearTaps& ty, int y0, int y1, T* dst,
                     bool accumulate, std::vector<T>& scratch)
{
    CV_Assert(0 <= y0 && y0 < y1 && y1 <= (int)ty.i0.size() && (int)tx.i0.size() > 0);
    const int width = (int)tx.i0.size();
    const int s0 = ty.i0[y0], s1 = ty.i1[y1 - 1];   // the source rows read (the taps never decrease)
    scratch.resize((size_t)(s1 - s0 + 1) * width);
    for (int s = s0; s <= s1; s++)
    {
        const T* in = src + (size_t)s * srcSize.width;
        T* h = scratch.data() + (size_t)(s - s0) * width;
        for (int x = 0; x < width; x++)
            h[x] = in[tx.i0[x]] * (T)tx.w0[x] + in[tx.i1[x]] * (T)tx.w1[x];
    }
    for (int y = y0; y < y1; y++)
    {
        const T* h0 = scratch.data() + (size_t)(ty.i0[y] - s0) * width;
        const T* h1 = scratch.data() + (size_t)(ty.i1[y] - s0) * width;
        const T a0 = (T)ty.w0[y], a1 = (T)ty.w1[y];
        T* out = dst + (size_t)(y - y0) * width;
        if (accumulate)
            simd::forRange<T>(0, width, [&](auto tag, int x) {
                store(tag, out + x, load(tag, h0 + x) * simd::all(tag, a0) + load(tag, h1 + x) * simd::all(tag, a1) +
                                    load(tag, out + x));
            });
        else
            simd::forRange<T>(0, width, [&](auto tag, int x) {
                store(tag, out + x, load(tag, h0 + x) * simd::all(tag, a0) + load(tag, h1 + x) * simd::all(tag, a1));
            });
    }
}

template void resizePlaneRows<float>(const float*, Size, const LinearTaps&, const LinearTaps&, int, int, float*, bool,
                                     std::vector<float>&);
template void resizePlaneRows<double>(const double*, Size, const LinearTaps&, const LinearTaps&, int, int, double*,
                                      bool, std::vector<double>&);

void resizeBilinear(const Mat& src, Size srcSize, Size dstSize, Mat& dst)
{
    checkPlanar(src, srcSize, "resizeBilinear: src");
    CV_Assert(!dstSize.empty());
    const int channels = src.rows;
    if (srcSize == dstSize)
    {
        dst = src; // nothing to interpolate: share the data
        return;
    }
    if (dst.data == src.data)
        dst.release(); // never write into the input
    dst.create(channels, dstSize.area(), src.type());
    const LinearTaps tx(srcSize.width, dstSize.width), ty(srcSize.height, dstSize.height);
    // Tasks of (channel, band of rows), so that few channels still use every thread.
    const int bands = std::max(1, std::min(dstSize.height, (int)std::ceil(16.0 / channels)));
    parallel_for_(Range(0, channels * bands), [&](const Range& r) {
        std::vector<float> f32;
        std::vector<double> f64;
        for (int t = r.start; t < r.end; t++)
        {
            const int c = t / bands, b = t % bands;
            const int y0 = dstSize.height * b / bands, y1 = dstSize.height * (b + 1) / bands;
            if (src.depth() == CV_32F)
                resizePlaneRows(src.ptr<float>(c), srcSize, tx, ty, y0, y1, dst.ptr<float>(c) + (size_t)y0 * dstSize.width,
                                false, f32);
            else
                resizePlaneRows(src.ptr<double>(c), srcSize, tx, ty, y0, y1,
                                dst.ptr<double>(c) + (size_t)y0 * dstSize.width, false, f64);
        }
    });
}

void resizeBilinearAdjoint(const Mat& dDst, Size srcSize, Size dstSize, Mat& dSrc)
{
    checkPlanar(dDst, dstSize, "resizeBilinearAdjoint: dDst");
    CV_Assert(!srcSize.empty());
    const int channels = dDst.rows;
    if (srcSize == dstSize)
    {
        dSrc = dDst; // the identity is its own adjoint: share the data
        return;
    }
    if (dSrc.data == dDst.data)
        dSrc.release(); // never write into the input
    dSrc.create(channels, srcSize.area(), dDst.type());
    if (dDst.depth() == CV_32F)
        adjointT<float>(dDst, srcSize, dstSize, dSrc);
    else
        adjointT<double>(dDst, srcSize, dstSize, dSrc);
}

}}} // namespace cv::escrf::detail
