// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_PROGRESS_HPP
#define OPENCV_ESCRF_TRAIN_PROGRESS_HPP

#include "opencv2/escrf/train.hpp"
#include <string>

namespace cv {
namespace escrf {
namespace detail {

/** Training progress on stderr: a one-line bar (loss, throughput, ETA) redrawn in place on a
 * terminal, plain lines every few seconds otherwise (logs, CI). */
class Progress
{
public:
    explicit Progress(int verbose);
    void start(const std::string& phase, int total);
    void update(int done, double loss, int images);
    void finish(const std::string& summary);
    void message(const std::string& line);

private:
    int verbose_;
    bool tty_;
    std::string phase_;
    int total_ = 0, images_ = 0;
    int64 t0_ = 0, lastPrint_ = 0;
};

//! Writes the history as CSV (atomically).
void writeHistoryCsv(const String& file, const std::vector<TrainEpochStats>& history);
//! Draws the loss and the validation mIoU / boundary F per epoch into a PNG.
void plotHistory(const String& file, const std::vector<TrainEpochStats>& history);

}}} // namespace cv::escrf::detail

#endif
