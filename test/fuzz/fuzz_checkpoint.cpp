// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Checkpoint loading on arbitrary bytes, for a small head (the test suite's toy head: inputs of
// 4 and 5 channels, projection 8, 3 classes) with an AdamW optimizer. A run's state must be left
// as it was when the load fails.
#include "fuzz_common.hpp"
#include "opencv2/escrf.hpp"
#include "head/head_parameters.hpp"
#include "train/checkpoint.hpp"

namespace ed = cv::escrf::detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static cv::Ptr<cv::escrf::Head> head = [] {
        cv::escrf::HeadConfig cfg;
        cfg.inputs = { "feat_a", "feat_b" };
        cfg.projection = 8;
        cfg.numClasses = 3;
        cfg.superpixels.numSuperpixels = 20;
        cfg.block.embedDim = 4;
        cfg.block.posDim = 4;
        cfg.block.learnableFusion = true;
        return cv::escrf::Head::create(cfg, { 4, 5 });
    }();
    const std::string path = escrf_fuzz::writeInput("run.ckpt", data, size);
    std::vector<cv::Mat> params = head->parameters();
    cv::escrf::TrainParams tp;
    ed::Optimizer optimizer(tp, ed::headParameterRoles(*head), params);
    ed::TrainState state;
    try
    {
        ed::loadCheckpoint(path, state, head->parameterNames(), params, optimizer);
    }
    catch (const cv::Exception&)
    {
    }
    return 0;
}
