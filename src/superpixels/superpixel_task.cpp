// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "superpixels/superpixel_task.hpp"

namespace cv {
namespace escrf {
namespace detail {

SuperpixelTask::~SuperpixelTask()
{
    drop();
}

void SuperpixelTask::drop()
{
    if (!future_.valid())
        return;
    try
    {
        future_.get();
    }
    catch (...)   // nobody asked for this result any more (e.g. the backbone threw first)
    {
    }
}

void SuperpixelTask::start(const Mat& bgr8, const SuperpixelParams& params)
{
    drop();
    Mat* out = &labels_;
    double* ms = &milliseconds_;
    future_ = std::async(std::launch::async, [bgr8, params, out, ms]() {
        const int64 t0 = getTickCount();
        const int M = computeSuperpixels(bgr8, *out, params);
        *ms = (getTickCount() - t0) * 1000.0 / getTickFrequency();   // read after get(): ordered by the future
        return M;
    });
}

int SuperpixelTask::get(Mat& labels)
{
    CV_Assert(future_.valid());
    const int M = future_.get();   // rethrows; the future is no longer valid afterwards
    labels = labels_;
    return M;
}

}}} // namespace cv::escrf::detail
