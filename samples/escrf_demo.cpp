// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// End-to-end demo: segment an image with a backbone and an ES-CRF head, write the label map
// and a colour overlay.
//  * With --backbone and --head: the real thing (e.g. ESPNet on CamVid and a trained head).
//  * With --backbone only: trains a head on --train/--val first (escrf_train's defaults).
//  * With neither: a self-contained run on generated street-like scenes: the small ONNX
//    backbone given by --toy-model (test/data/escrf_tiny_backbone.onnx), a head trained on
//    generated scenes for a few seconds, and a generated input when --input is absent.
#include "opencv2/escrf.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "opencv2/core/utility.hpp"

#include <iostream>

static const char* keys =
    "{ help h    |         | print this help }"
    "{ input i   |         | image to segment (a generated scene when absent) }"
    "{ backbone  |         | backbone description (.yml) }"
    "{ head      |         | head file; trained on --train/--val when absent }"
    "{ train     |         | training list (with --backbone and no --head) }"
    "{ val       |         | validation list (with --backbone and no --head) }"
    "{ toy-model |         | ONNX model of the toy backbone (used without --backbone) }"
    "{ work      | escrf_demo_work | folder for generated data and trained heads }"
    "{ output o  | escrf_demo_overlay.png | output overlay picture }"
    "{ labels    |         | optional output label map (8-bit PNG) }";

using namespace cv;
using namespace cv::escrf;

// A description of the toy backbone: a 1x1 convolution of the image at full resolution
// (feat_a) and one of its 2x2 average at half resolution (feat_b).
static String writeToyDescription(const String& work, const String& model)
{
    const String file = utils::fs::join(work, "toy_backbone.yml");
    FileStorage fs(file, FileStorage::WRITE);
    fs << "toy" << "{" << "model" << model << "mean" << std::vector<double>{ 0, 0, 0 }
       << "std" << std::vector<double>{ 1, 1, 1 } << "scale" << 1.0 / 255 << "rgb" << 0
       << "width" << 96 << "height" << 72 << "size_multiple" << 2
       << "features" << std::vector<String>{ "feat_a", "feat_b" } << "logits" << "feat_a"
       << "classes" << std::vector<String>{ "background", "box", "disc" }
       << "ignore_label" << 255 << "colors" << "[";
    const int colors[3][3] = { { 90, 90, 90 }, { 220, 40, 40 }, { 40, 200, 60 } }; // RGB
    for (const auto& c : colors)
        fs << "[:" << c[0] << c[1] << c[2] << "]";
    fs << "]" << "}";
    return file;
}

int main(int argc, char** argv)
{
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_demo: segment an image end to end with an ES-CRF head");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    String input = parser.get<String>("input"), backbone = parser.get<String>("backbone");
    String head = parser.get<String>("head"), train = parser.get<String>("train"), val = parser.get<String>("val");
    const String toyModel = parser.get<String>("toy-model"), work = parser.get<String>("work");
    const String output = parser.get<String>("output"), labelsFile = parser.get<String>("labels");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        if (!utils::fs::isDirectory(work) && !utils::fs::createDirectories(work))
            CV_Error(Error::StsError, "cannot create the work folder '" + work + "'");
        Mat image;
        if (backbone.empty())
        {
            if (toyModel.empty())
                CV_Error(Error::StsBadArg, "give --backbone (and --head), or --toy-model for the self-contained demo");
            std::cout << "no backbone given: toy run on generated scenes with " << toyModel << std::endl;
            backbone = writeToyDescription(work, toyModel);
            train = writeSyntheticDataset(utils::fs::join(work, "train"), 24, Size(96, 72), 1);
            val = writeSyntheticDataset(utils::fs::join(work, "val"), 6, Size(96, 72), 2);
            if (input.empty())
            {
                RNG rng(7);
                Mat gt;
                generateSyntheticScene(Size(96, 72), rng, image, gt);
                input = utils::fs::join(work, "input.png");
                imwrite(input, image);
            }
            if (head.empty())
            {
                HeadConfig cfg;
                cfg.inputs = { "feat_a", "feat_b" };
                cfg.projection = 8;
                cfg.superpixels.numSuperpixels = 60;
                cfg.block.embedDim = 8;
                cfg.block.posDim = 8;
                cfg.block.learnableFusion = true;
                TrainParams p;
                p.epochs = 10;
                p.batchSize = 2;
                p.learningRate = 0.05;
                p.warmupSteps = 5;
                head = utils::fs::join(work, "toy_escrf_head.yml");
                HeadTrainer::create(BackboneDescription::read(backbone), cfg, p)->train(train, val, head);
            }
        }
        else if (head.empty())
        {
            if (train.empty())
                CV_Error(Error::StsBadArg, "--backbone without --head needs --train (and --val) to train a head");
            head = utils::fs::join(work, "escrf_head.yml");
            HeadTrainer::create(BackboneDescription::read(backbone), HeadConfig())->train(train, val, head);
        }
        if (input.empty())
            CV_Error(Error::StsBadArg, "give --input");
        if (image.empty())
            image = imread(input, IMREAD_COLOR);
        if (image.empty())
            CV_Error(Error::StsObjectNotFound, "cannot read the input image '" + input + "'");

        Ptr<Segmenter> seg = Segmenter::create(head, backbone);
        Mat labels, overlay;
        TickMeter first, tm;
        first.start();
        seg->segment(image, labels);   // the first call also loads the network
        first.stop();
        tm.start();
        seg->segment(image, labels);   // the time of every further image of this size
        tm.stop();
        std::vector<String> stages;
        std::vector<double> stageMs;
        seg->getPerfProfile(stages, stageMs);
        drawSegmentationOverlay(image, labels, seg->classColors(), overlay);
        if (!imwrite(output, overlay))
            CV_Error(Error::StsError, "cannot write '" + output + "'");
        if (!labelsFile.empty() && !imwrite(labelsFile, labels))
            CV_Error(Error::StsError, "cannot write '" + labelsFile + "'");
        std::cout << "segmented " << input << " (" << image.cols << "x" << image.rows << ") with the "
                  << headVariantToString(seg->head()->config().variant) << " head " << head << " in "
                  << format("%.1f ms per image", tm.getTimeMilli()) << format(" (first call, loading the network: %.1f ms)",
                                                                               first.getTimeMilli())
                  << "; overlay written to " << output << std::endl;
        for (size_t i = 0; i < stages.size(); i++)
            std::cout << format("  %8.1f ms  ", stageMs[i]) << stages[i] << std::endl;
        if (!val.empty())
        {
            const BackboneDescription desc = BackboneDescription::read(backbone);
            SegmentationMetrics m = evaluateSegmenter(seg, val, desc.ignoreLabel, String(), 20);
            std::cout << format("validation (%d images): mIoU %.2f bF %.2f", m.numImages(), 100 * m.meanIoU(),
                                100 * m.meanBoundaryF()) << std::endl;
        }
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_demo: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
