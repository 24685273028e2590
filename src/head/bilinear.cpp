// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/bilinear.hpp"

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
    const int type = src.type();
    dst.create(channels, dstSize.area(), type);
    parallel_for_(Range(0, channels), [&](const Range& r) {
        for (int c = r.start; c < r.end; c++)
        {
            Mat s(srcSize, type, (void*)src.ptr(c));
            Mat d(dstSize, type, dst.ptr(c));
            resize(s, d, dstSize, 0, 0, INTER_LINEAR);
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
