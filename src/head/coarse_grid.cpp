// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/coarse_grid.hpp"
#include "head/bilinear.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

void checkMap(const char* name, const Mat& m, Size size)
{
    if ((m.type() != CV_32FC1 && m.type() != CV_64FC1) || m.dims != 2 || m.cols != size.area() ||
        !m.isContinuous())
        CV_Error_(Error::StsBadArg, ("CoarseGrid: %s is %dx%d %s, expected a continuous CV_32F or CV_64F C x %d "
                                     "matrix (%d x %d cells)", name, m.rows, m.cols, typeToString(m.type()).c_str(),
                                     size.area(), size.width, size.height));
}

// Box means (adjoint = false) or their adjoint (adjoint = true) between the fine map `fine` and
// the coarse one: the same loop over fine cells, reading one side and accumulating into the other.
template <typename T>
void boxT(const Mat& src, Mat& dst, Size fine, Size coarse, int f, bool adjoint)
{
    parallel_for_(Range(0, src.rows), [&](const Range& r) {
        for (int c = r.start; c < r.end; c++)
        {
            const T* s = src.ptr<T>(c);
            T* d = dst.ptr<T>(c);
            if (!adjoint)
                std::fill(d, d + coarse.area(), T(0));
            for (int Y = 0; Y < coarse.height; Y++)
            {
                const int y0 = Y * f, y1 = std::min(y0 + f, fine.height);
                for (int X = 0; X < coarse.width; X++)
                {
                    const int x0 = X * f, x1 = std::min(x0 + f, fine.width);
                    const T inv = T(1) / T((y1 - y0) * (x1 - x0));
                    const int cell = Y * coarse.width + X;
                    if (adjoint)
                    {
                        const T v = s[cell] * inv;
                        for (int y = y0; y < y1; y++)
                            std::fill(d + (size_t)y * fine.width + x0, d + (size_t)y * fine.width + x1, v);
                    }
                    else
                    {
                        T sum = 0;
                        for (int y = y0; y < y1; y++)
                            for (int x = x0; x < x1; x++)
                                sum += s[(size_t)y * fine.width + x];
                        d[cell] = sum * inv;
                    }
                }
            }
        }
    });
}

} // namespace

CoarseGrid::CoarseGrid(Size fine, int factor) : fine_(fine), factor_(factor)
{
    if (fine.width <= 0 || fine.height <= 0)
        CV_Error_(Error::StsBadArg, ("CoarseGrid: fine size is %dx%d, expected a non-empty map", fine.width,
                                     fine.height));
    if (factor < 1)
        CV_Error_(Error::StsOutOfRange, ("CoarseGrid: factor = %d, expected >= 1", factor));
    coarse_ = Size((fine.width + factor - 1) / factor, (fine.height + factor - 1) / factor);
}

void CoarseGrid::pool(const Mat& X, Mat& Y) const
{
    checkMap("pool input", X, fine_);
    if (factor_ == 1)
    {
        Y = X;
        return;
    }
    if (Y.data == X.data)
        Y.release();
    Y.create(X.rows, coarse_.area(), X.type());
    if (X.depth() == CV_32F)
        boxT<float>(X, Y, fine_, coarse_, factor_, false);
    else
        boxT<double>(X, Y, fine_, coarse_, factor_, false);
}

void CoarseGrid::poolAdjoint(const Mat& dY, Mat& dX) const
{
    checkMap("poolAdjoint input", dY, coarse_);
    if (factor_ == 1)
    {
        dX = dY;
        return;
    }
    if (dX.data == dY.data)
        dX.release();
    dX.create(dY.rows, fine_.area(), dY.type());
    if (dY.depth() == CV_32F)
        boxT<float>(dY, dX, fine_, coarse_, factor_, true);
    else
        boxT<double>(dY, dX, fine_, coarse_, factor_, true);
}

void CoarseGrid::upsample(const Mat& Y, Mat& X) const
{
    checkMap("upsample input", Y, coarse_);
    resizeBilinear(Y, coarse_, fine_, X);
}

void CoarseGrid::upsampleAdjoint(const Mat& dX, Mat& dY) const
{
    checkMap("upsampleAdjoint input", dX, fine_);
    resizeBilinearAdjoint(dX, coarse_, fine_, dY);
}

Point2d CoarseGrid::cellCentre(int X, int Y, Size imageSize) const
{
    return Point2d((X + 0.5) * imageSize.width / coarse_.width - 0.5,
                   (Y + 0.5) * imageSize.height / coarse_.height - 0.5);
}

}}} // namespace cv::escrf::detail
