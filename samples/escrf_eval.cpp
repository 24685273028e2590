// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Scores a head on a list with the module's metrics (mIoU, boundary F). The last line is
// exactly "mIoU <value> bF <value>" (percent, two decimals) for scripts.
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"

#include <iostream>

static const char* keys =
    "{ help h     |        | print this help }"
    "{ head       | <none> | head file }"
    "{ list       | <none> | list of images and labels }"
    "{ backbone   |        | backbone description replacing the one stored in the head }"
    "{ pred-dir   |        | write one 8-bit PNG label map per image here }"
    "{ max-images | 0      | evaluate only the first N images }"
    "{ crf        | false  | DenseCRF post-processing of the head's probabilities (vanilla-crf) }"
    "{ crf-iterations | -2 | joint-crf heads: mean-field steps at inference (-1: as in training; -2: as the head file says) }"
    "{ superpixels-impl |  | superpixel implementation replacing the head's: ximgproc or escrf }";

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_eval: score a head with mIoU and boundary F");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string head = parser.get<std::string>("head");
    const std::string list = parser.get<std::string>("list");
    const std::string backbone = parser.get<std::string>("backbone");
    const std::string predDir = parser.get<std::string>("pred-dir");
    const int maxImages = parser.get<int>("max-images");
    const bool crf = parser.get<bool>("crf");
    const int crfIterations = parser.get<int>("crf-iterations");
    const std::string spImpl = parser.get<std::string>("superpixels-impl");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        cv::Ptr<cv::escrf::Segmenter> seg = cv::escrf::Segmenter::create(head, backbone);
        seg->setDenseCrf(crf);
        if (crfIterations != -2)
        {
            if (seg->head()->config().variant != cv::escrf::HEAD_JOINT_CRF)
                CV_Error(cv::Error::StsBadArg, "--crf-iterations: the head is " +
                                               cv::escrf::headVariantToString(seg->head()->config().variant) +
                                               ", not joint-crf");
            seg->head()->setJointCrfInferenceIterations(crfIterations);
        }
        if (!spImpl.empty())
        {
            if (spImpl != "ximgproc" && spImpl != "escrf")
                CV_Error(cv::Error::StsBadArg, "--superpixels-impl must be ximgproc or escrf, got '" + spImpl + "'");
            cv::escrf::SuperpixelParams sp = seg->getSuperpixelParams();
            sp.implementation = spImpl == "escrf" ? cv::escrf::SUPERPIXEL_IMPL_ESCRF : cv::escrf::SUPERPIXEL_IMPL_XIMGPROC;
            seg->setSuperpixelParams(sp);
        }
        const cv::escrf::BackboneDescription desc = backbone.empty() ? seg->head()->backbone()
                                                                     : cv::escrf::BackboneDescription::read(backbone);
        cv::TickMeter tm;
        tm.start();
        cv::escrf::SegmentationMetrics m = cv::escrf::evaluateSegmenter(seg, list, desc.ignoreLabel, predDir, maxImages);
        tm.stop();
        std::cout << m.report(desc.classes) << std::endl;
        std::cout << cv::format("%d images, %.1f ms per image", m.numImages(), tm.getTimeMilli() / std::max(1, m.numImages()))
                  << std::endl;
        std::cout << cv::format("mIoU %.2f bF %.2f", 100 * m.meanIoU(), 100 * m.meanBoundaryF()) << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_eval: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
