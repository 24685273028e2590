// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_CHECKPOINT_HPP
#define OPENCV_ESCRF_TRAIN_CHECKPOINT_HPP

#include "opencv2/escrf/train.hpp"
#include "train/optimizer.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Where a training run stands: enough to continue it exactly.
struct TrainState
{
    int epoch = 0;          //!< current epoch (0-based)
    int stepInEpoch = 0;    //!< steps of the current epoch already done
    int globalStep = 0;     //!< steps done in all
    double lossSum = 0;     //!< running sums of the current epoch
    double weightSum = 0;
    double epochSeconds = 0;
    double bestScore = -1;  //!< best validation mIoU so far
    std::vector<Mat> best;  //!< parameters of the best head (empty: none yet)
    std::vector<TrainEpochStats> history;
};

//! Writes state, current parameters and optimizer atomically (temporary file + rename).
void saveCheckpoint(const String& file, const TrainState& state, const std::vector<String>& names,
                    const std::vector<Mat>& params, const Optimizer& optimizer);

//! Reads a checkpoint into state, params (copied into the given tensors) and optimizer;
//! throws when the file does not match the head (names, shapes).
void loadCheckpoint(const String& file, TrainState& state, const std::vector<String>& names,
                    std::vector<Mat>& params, Optimizer& optimizer);

}}} // namespace cv::escrf::detail

#endif
