// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Scores a pretrained backbone alone (argmax over the first K logits) on a list with the
// module's metrics: the baseline every ES-CRF head is compared with. The last line is exactly
// "mIoU <value> bF <value>" (percent, two decimals) for scripts.
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"

#include <cstdio>
#include <iostream>

static const char* keys =
    "{ help h     |        | print this help }"
    "{ backbone   | <none> | backbone description (.yml) }"
    "{ name       |        | entry of the description file (the first by default) }"
    "{ list       | <none> | list of images and labels }"
    "{ max-images | 0      | evaluate only the first N images }";

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_eval_backbone: score a cv::dnn backbone with mIoU and boundary F");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string file = parser.get<std::string>("backbone");
    const std::string name = parser.get<std::string>("name");
    const std::string list = parser.get<std::string>("list");
    const int maxImages = parser.get<int>("max-images");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        const cv::escrf::BackboneDescription desc = cv::escrf::BackboneDescription::read(file, name);
        cv::Ptr<cv::escrf::Backbone> backbone = cv::escrf::Backbone::create(desc);
        const cv::escrf::Dataset data(list);
        const int n = maxImages > 0 ? std::min(maxImages, data.size()) : data.size();
        cv::escrf::SegmentationMetrics metrics(desc.numClasses(), desc.ignoreLabel);
        cv::Mat image, label, pred;
        cv::TickMeter tm;
        for (int i = 0; i < n; i++)
        {
            data.load(i, image, label);
            tm.start();
            backbone->predict(image, pred);
            tm.stop();
            metrics.add(pred, label);
        }
        std::cout << metrics.report(desc.classes);
        std::printf("%.1f ms per image (backbone)\n", n > 0 ? tm.getTimeMilli() / n : 0.0);
        std::printf("mIoU %.2f bF %.2f\n", 100 * metrics.meanIoU(), 100 * metrics.meanBoundaryF());
    }
    catch (const cv::Exception& e)
    {
        std::cerr << e.what() << std::endl;
        return 1;
    }
    return 0;
}
