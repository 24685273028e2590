// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Channel-major <-> cell-major conversion of the block's tensors: a cache-blocked, parallel
// transpose (cv::transpose is single-threaded and was a visible share of the block's time).

#include "precomp.hpp"
#include "block_kernels.hpp"

namespace cv {
namespace escrf {
namespace block {

template <typename T>
static void transposeT(const Mat& src, Mat& dst)
{
    const int R = src.rows, Cc = src.cols, B = 32;
    const int tiles = (Cc + B - 1) / B;
    parallel_for_(Range(0, tiles), [&](const Range& r) {
        for (int t = r.start; t < r.end; t++)
        {
            const int c0 = t * B, c1 = std::min(Cc, c0 + B);
            for (int r0 = 0; r0 < R; r0 += B)
            {
                const int r1 = std::min(R, r0 + B);
                for (int c = c0; c < c1; c++)
                {
                    T* d = dst.ptr<T>(c);
                    for (int i = r0; i < r1; i++)
                        d[i] = src.ptr<T>(i)[c];
                }
            }
        }
    }, std::max(1.0, (double)R * Cc / 65536.0));
}

void transposeFast(const Mat& src, Mat& dst)
{
    CV_Assert(src.channels() == 1 && src.data != dst.data);
    dst.create(src.cols, src.rows, src.type());
    if (src.depth() == CV_32F) transposeT<float>(src, dst);
    else if (src.depth() == CV_64F) transposeT<double>(src, dst);
    else transpose(src, dst);
}

}}} // namespace cv::escrf::block
