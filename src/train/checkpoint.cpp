// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/checkpoint.hpp"
#include "core/atomic_file.hpp"

namespace cv {
namespace escrf {
namespace detail {

static const int kCheckpointVersion = 1;

void saveCheckpoint(const String& file, const TrainState& s, const std::vector<String>& names,
                    const std::vector<Mat>& params, const Optimizer& optimizer)
{
    FileStorage fs(".yml", FileStorage::WRITE | FileStorage::MEMORY | FileStorage::FORMAT_YAML |
                           FileStorage::WRITE_BASE64);
    fs << "escrf_checkpoint" << "{";
    fs << "version" << kCheckpointVersion << "epoch" << s.epoch << "step_in_epoch" << s.stepInEpoch
       << "global_step" << s.globalStep << "loss_sum" << s.lossSum << "weight_sum" << s.weightSum
       << "epoch_seconds" << s.epochSeconds << "best_score" << s.bestScore;
    fs << "names" << names << "params" << params << "best" << s.best;
    fs << "history" << "[";
    for (const TrainEpochStats& h : s.history)
        fs << "{" << "epoch" << h.epoch << "loss" << h.loss << "lr" << h.learningRate << "seconds" << h.seconds
           << "miou" << h.valMeanIoU << "bf" << h.valBoundaryF << "pa" << h.valPixelAccuracy << "}";
    fs << "]";
    optimizer.write(fs);
    fs << "}";
    writeFileAtomically(file, fs.releaseAndGetString(), "checkpoint");
}

void loadCheckpoint(const String& file, TrainState& s, const std::vector<String>& names,
                    std::vector<Mat>& params, Optimizer& optimizer)
{
    FileStorage fs;
    try
    {
        fs.open(file, FileStorage::READ);
    }
    catch (const cv::Exception& e)
    {
        CV_Error_(Error::StsParseError, ("checkpoint '%s' is corrupt: %s (delete it to start over)", file.c_str(), e.err.c_str()));
    }
    FileNode root = fs["escrf_checkpoint"];
    if (root.empty() || (int)root["version"] != kCheckpointVersion)
        CV_Error_(Error::StsParseError, ("checkpoint '%s' is not a version %d escrf checkpoint (delete it to start over)",
                                         file.c_str(), kCheckpointVersion));
    std::vector<String> storedNames;
    std::vector<Mat> stored;
    root["names"] >> storedNames;
    root["params"] >> stored;
    if (storedNames != names || stored.size() != params.size())
        CV_Error_(Error::StsParseError, ("checkpoint '%s' belongs to another head configuration (delete it to start over)",
                                         file.c_str()));
    for (size_t i = 0; i < params.size(); i++)
    {
        if (stored[i].size() != params[i].size() || stored[i].type() != params[i].type())
            CV_Error_(Error::StsParseError, ("checkpoint '%s': parameter '%s' has another shape (delete it to start over)",
                                             file.c_str(), names[i].c_str()));
        stored[i].copyTo(params[i]);
    }
    s.epoch = (int)root["epoch"];
    s.stepInEpoch = (int)root["step_in_epoch"];
    s.globalStep = (int)root["global_step"];
    s.lossSum = (double)root["loss_sum"];
    s.weightSum = (double)root["weight_sum"];
    s.epochSeconds = (double)root["epoch_seconds"];
    s.bestScore = (double)root["best_score"];
    root["best"] >> s.best;
    s.history.clear();
    for (const FileNode& n : root["history"])
    {
        TrainEpochStats h;
        h.epoch = (int)n["epoch"];
        h.loss = (double)n["loss"];
        h.learningRate = (double)n["lr"];
        h.seconds = (double)n["seconds"];
        h.valMeanIoU = (double)n["miou"];
        h.valBoundaryF = (double)n["bf"];
        h.valPixelAccuracy = (double)n["pa"];
        s.history.push_back(h);
    }
    optimizer.read(root["optimizer"]);
}

}}} // namespace cv::escrf::detail
