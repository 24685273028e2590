// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_OPTIMIZER_HPP
#define OPENCV_ESCRF_TRAIN_OPTIMIZER_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/train.hpp"
#include "head/head_parameters.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Learning rate at a global step: linear warm-up, then the schedule over the remaining steps.
double learningRateAt(const TrainParams& params, int step, int totalSteps);

/** SGD with momentum (L2 decay folded into the gradient) or AdamW (decoupled decay).
 * Works on any mix of CV_32F and CV_64F tensors. Weight decay applies to weight matrices only
 * (PARAM_WEIGHT of the head's parameter table): biases and scalars are not decayed. */
class Optimizer
{
public:
    Optimizer(const TrainParams& params, const std::vector<ParameterRole>& roles, const std::vector<Mat>& shapes);

    //! One update of params (in place) with grads.
    void step(std::vector<Mat>& params, const std::vector<Mat>& grads, double lr);

    //! State for checkpoints.
    void write(FileStorage& fs) const;
    //! Reads the state written by write(); shapes and types must be those of this optimizer's
    //! parameters (checked before allocating). `file` names the checkpoint in messages.
    void read(const FileNode& node, const String& file);

private:
    TrainParams p_;
    std::vector<bool> decay_;
    std::vector<Mat> m_, v_;
    int t_ = 0;
};

}}} // namespace cv::escrf::detail

#endif
