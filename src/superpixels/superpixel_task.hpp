// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixels computed on their own thread while the caller runs the backbone: the one way the
// module overlaps the two (the trainer's feature cache and the Segmenter). The backbone keeps
// cv::parallel_for_'s threads busy only in bursts (many small layers), and SLIC fills the gaps.
#ifndef OPENCV_ESCRF_SUPERPIXEL_TASK_HPP
#define OPENCV_ESCRF_SUPERPIXEL_TASK_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include <future>

namespace cv {
namespace escrf {
namespace detail {

class SuperpixelTask
{
public:
    SuperpixelTask() {}
    SuperpixelTask(const SuperpixelTask&) = delete;
    SuperpixelTask& operator=(const SuperpixelTask&) = delete;
    //! Waits for a task still running (its result and any exception are dropped).
    ~SuperpixelTask();

    /** computeSuperpixels(bgr8, labels, params) starts on another thread. bgr8 must stay unchanged
    until get(); a task still running is waited for first. */
    void start(const Mat& bgr8, const SuperpixelParams& params);

    //! True between start() and get().
    bool running() const { return future_.valid(); }

    /** Waits for the result: labels (CV_32SC1, the image size; the task's buffer, reused by the next
    start()) and M, the number of superpixels. Rethrows what computeSuperpixels threw. */
    int get(Mat& labels);

    //! How long the last task computed (milliseconds), valid after get().
    double milliseconds() const { return milliseconds_; }

private:
    void drop();   // waits for a running task, dropping its result and its exception

    std::future<int> future_;
    Mat labels_;               // written by the task's thread only
    double milliseconds_ = 0;  // likewise
};

}}} // namespace cv::escrf::detail

#endif
