// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/checkpoint.hpp"
#include "core/atomic_file.hpp"
#include "core/yaml_gate.hpp"

namespace cv {
namespace escrf {
namespace detail {

// Version 2 ends with a checksum line (core/yaml_gate.hpp); version 1 checkpoints still resume.
static const int kCheckpointVersion = 2;
static const int kCheckpointVersionUnchecked = 1;

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
    std::string text = fs.releaseAndGetString();
    appendChecksumLine(text);
    writeFileAtomically(file, text, "checkpoint");
}

namespace {

void readCheckpointRoot(const FileNode& root, const String& file, TrainState& s, const std::vector<String>& names,
                        std::vector<Mat>& params, Optimizer& optimizer)
{
    const YamlReader r("checkpoint '" + file + "'", " (delete it to start over)");
    std::vector<String> storedNames;
    if (root["names"].isSeq())
        root["names"] >> storedNames;
    if (storedNames != names)
        CV_Error_(Error::StsParseError, ("checkpoint '%s' belongs to another head configuration (delete it to start over)",
                                         file.c_str()));
    // Shapes and counts are checked against this head before anything is allocated.
    std::vector<Mat> stored, best;
    readMatrices(root["params"], params, stored, format("checkpoint '%s': params", file.c_str()));
    for (size_t i = 0; i < params.size(); i++)
        stored[i].copyTo(params[i]);
    s.epoch = r.count(root, "epoch");
    s.stepInEpoch = r.count(root, "step_in_epoch");
    s.globalStep = r.count(root, "global_step");
    s.lossSum = r.number(root, "loss_sum");
    s.weightSum = r.number(root, "weight_sum");
    s.epochSeconds = r.number(root, "epoch_seconds");
    s.bestScore = r.number(root, "best_score");
    const FileNode bestNode = root["best"];
    if (bestNode.isSeq() && bestNode.size() > 0)
        readMatrices(bestNode, params, best, format("checkpoint '%s': best", file.c_str()));
    s.best = best;
    s.history.clear();
    const FileNode history = root["history"];
    if (!history.empty() && !history.isSeq())
        CV_Error_(Error::StsParseError, ("checkpoint '%s': history is not a sequence", file.c_str()));
    for (const FileNode& n : history)
    {
        TrainEpochStats h;
        h.epoch = r.count(n, "epoch");
        h.loss = r.number(n, "loss");
        h.learningRate = r.number(n, "lr");
        h.seconds = r.number(n, "seconds");
        h.valMeanIoU = r.number(n, "miou");
        h.valBoundaryF = r.number(n, "bf");
        h.valPixelAccuracy = r.number(n, "pa");
        s.history.push_back(h);
    }
    optimizer.read(root["optimizer"], file);
}

} // namespace

void loadCheckpoint(const String& file, TrainState& s, const std::vector<String>& names,
                    std::vector<Mat>& params, Optimizer& optimizer)
{
    guardLoad(file, "checkpoint", [&] {
        bool checksummed = false;
        FileStorage fs = openYamlFile(file, "checkpoint", kMaxCheckpointBytes, &checksummed);
        FileNode root = fs["escrf_checkpoint"];
        const int version = root.isMap() && root["version"].isInt() ? (int)root["version"] : -1;
        if (version != kCheckpointVersion && version != kCheckpointVersionUnchecked)
            CV_Error_(Error::StsParseError, ("checkpoint '%s' is not a version %d or %d escrf checkpoint (delete it to "
                                             "start over)", file.c_str(), kCheckpointVersionUnchecked,
                                             kCheckpointVersion));
        if (version >= kCheckpointVersion && !checksummed)
            CV_Error_(Error::StsParseError, ("checkpoint '%s' is corrupt or truncated: it has no checksum line (delete "
                                             "it to start over)", file.c_str()));
        // Read into copies: a checkpoint that fails half way leaves the run as it was.
        TrainState state;
        std::vector<Mat> values(params.size());
        for (size_t i = 0; i < params.size(); i++)
            values[i] = params[i].clone();
        Optimizer opt = optimizer;
        readCheckpointRoot(root, file, state, names, values, opt);
        for (size_t i = 0; i < params.size(); i++)
            values[i].copyTo(params[i]);
        s = state;
        optimizer = opt;
    });
}

}}} // namespace cv::escrf::detail
