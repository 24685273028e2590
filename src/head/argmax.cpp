// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/argmax.hpp"
#include "head/bilinear.hpp"
#include "head/head_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

void argmaxPlanar(const Mat& scores, Size size, int ltype, Mat& labels)
{
    CV_Assert(scores.type() == CV_32F && scores.cols == size.area() && scores.rows > 0);
    CV_Assert(ltype == CV_8U || ltype == CV_32S);
    const int K = scores.rows;
    labels.create(size, ltype);
    parallel_for_(Range(0, size.height), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
            argmaxCells(scores.ptr<float>() + (size_t)y * size.width, scores.step1(), K, size.width, ltype, labels.ptr(y));
    });
}

void argmaxResized(const Mat& scores, Size srcSize, Size dstSize, Size outSize, int ltype, Mat& labels,
                   std::vector<std::vector<float> >& scratch)
{
    CV_Assert(scores.type() == CV_32F && scores.isContinuous() && scores.cols == srcSize.area() && scores.rows > 0);
    CV_Assert(!outSize.empty() && outSize.width <= dstSize.width && outSize.height <= dstSize.height);
    CV_Assert(ltype == CV_8U || ltype == CV_32S);
    const int K = scores.rows, W = dstSize.width;
    labels.create(outSize, ltype);
    if (srcSize == dstSize)
    {
        parallel_for_(Range(0, outSize.height), [&](const Range& r) {
            for (int y = r.start; y < r.end; y++)
                argmaxCells(scores.ptr<float>() + (size_t)y * W, scores.cols, K, outSize.width, ltype, labels.ptr(y));
        });
        return;
    }
    const LinearTaps tx(srcSize.width, W), ty(srcSize.height, dstSize.height);
    const int band = 16, bands = (outSize.height + band - 1) / band;
    const int strips = std::max(1, std::min(bands, 4 * getNumThreads()));
    scratch.resize(2 * strips);
    parallel_for_(Range(0, strips), [&](const Range& r) {
        for (int s = r.start; s < r.end; s++)
        {
            std::vector<float>& rows = scratch[2 * s];
            rows.resize((size_t)K * band * W);
            for (int b = bands * s / strips; b < bands * (s + 1) / strips; b++)
            {
                const int y0 = b * band, y1 = std::min(outSize.height, y0 + band), n = y1 - y0;
                for (int k = 0; k < K; k++)
                    resizePlaneRows(scores.ptr<float>(k), srcSize, tx, ty, y0, y1, rows.data() + (size_t)k * n * W, false,
                                    scratch[2 * s + 1]);
                for (int y = y0; y < y1; y++)
                    argmaxCells(rows.data() + (size_t)(y - y0) * W, (size_t)n * W, K, outSize.width, ltype, labels.ptr(y));
            }
        }
    }, strips);
}

}}} // namespace cv::escrf::detail
