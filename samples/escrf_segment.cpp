// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Segments one image with a trained ES-CRF head and writes the label map (8-bit PNG of
// class ids) and, optionally, a colour overlay.
#include "opencv2/escrf.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/core/utility.hpp"

#include <iostream>

static const char* keys =
    "{ help h     |       | print this help }"
    "{ head       | <none>| head file written by escrf_train (Head::save) }"
    "{ backbone   |       | backbone description (.yml) replacing the one stored in the head }"
    "{ input i    | <none>| input image }"
    "{ output o   | <none>| output label map (8-bit PNG of class ids) }"
    "{ overlay    |       | optional colour overlay picture }"
    "{ size       |       | process at WxH (e.g. 480x360) instead of the image's own size }";

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_segment: segment an image with a backbone and an ES-CRF head");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string headFile = parser.get<std::string>("head");
    const std::string backbone = parser.get<std::string>("backbone");
    const std::string input = parser.get<std::string>("input");
    const std::string output = parser.get<std::string>("output");
    const std::string overlay = parser.get<std::string>("overlay");
    const std::string size = parser.get<std::string>("size");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        cv::Mat image = cv::imread(input, cv::IMREAD_COLOR);
        if (image.empty())
            CV_Error(cv::Error::StsObjectNotFound, "cannot read input image '" + input + "'");
        cv::Ptr<cv::escrf::Segmenter> segmenter = cv::escrf::Segmenter::create(headFile, backbone);
        if (!size.empty())
        {
            int w = 0, h = 0;
            if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2)
                CV_Error(cv::Error::StsBadArg, "--size must be WxH, got '" + size + "'");
            segmenter->setProcessingSize(cv::Size(w, h));
        }
        cv::Mat labels;
        cv::TickMeter tm;
        tm.start();
        segmenter->segment(image, labels, CV_8U);
        tm.stop();
        if (!cv::imwrite(output, labels))
            CV_Error(cv::Error::StsError, "cannot write '" + output + "'");
        if (!overlay.empty())
        {
            cv::Mat picture;
            cv::escrf::drawSegmentationOverlay(image, labels, segmenter->classColors(), picture);
            if (!cv::imwrite(overlay, picture))
                CV_Error(cv::Error::StsError, "cannot write '" + overlay + "'");
        }
        std::cout << "segmented " << input << " (" << image.cols << "x" << image.rows << ") with "
                  << cv::escrf::headVariantToString(segmenter->head()->config().variant) << " head in "
                  << cv::format("%.1f", tm.getTimeMilli()) << " ms -> " << output << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_segment: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
