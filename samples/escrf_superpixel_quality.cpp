// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixel quality of the module's SLIC next to ximgproc's on a labelled list (e.g. CamVid
// val): boundary recall (2-pixel tolerance) and corrected under-segmentation error against the
// annotation's regions, the mean number of superpixels and the time per image.
//
//   escrf_superpixel_quality --list=../shared/data/camvid/val.txt --algorithm=slic --superpixels=2500 --ruler=5
//   escrf_superpixel_quality --list=../shared/data/camvid/val.txt --algorithm=slico --superpixels=600

#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"

#include <iostream>

static const char* keys =
    "{ help h      |        | print this help }"
    "{ list        | <none> | list of images and labels (image label per line) }"
    "{ algorithm   | slic   | slic or slico }"
    "{ superpixels | 2500   | superpixels per image }"
    "{ ruler       | 5      | SLIC compactness }"
    "{ step        | 1      | use every step-th image of the list }";

int main(int argc, char** argv)
{
    using namespace cv;
    using namespace cv::escrf;
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_superpixel_quality: boundary recall and under-segmentation error of ximgproc's and the "
                 "module's SLIC");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const String list = parser.get<String>("list"), algorithm = parser.get<String>("algorithm");
    SuperpixelParams params;
    params.numSuperpixels = parser.get<int>("superpixels");
    params.ruler = parser.get<float>("ruler");
    const int step = parser.get<int>("step");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        if (algorithm != "slic" && algorithm != "slico")
            CV_Error(Error::StsBadArg, "--algorithm must be slic or slico (the module's SLIC has no MSLIC)");
        if (step < 1)
            CV_Error(Error::StsBadArg, "--step must be >= 1");
        params.algorithm = algorithm == "slic" ? SUPERPIXEL_SLIC : SUPERPIXEL_SLICO;
        const Dataset data(list);
        const char* names[2] = { "ximgproc", "escrf" };
        double recall[2] = { 0, 0 }, error[2] = { 0, 0 }, count[2] = { 0, 0 }, ms[2] = { 0, 0 };
        int images = 0;
        for (int i = 0; i < data.size(); i += step, images++)
        {
            Mat image, gt;
            data.load(i, image, gt);
            for (int k = 0; k < 2; k++)
            {
                params.implementation = k == 0 ? SUPERPIXEL_IMPL_XIMGPROC : SUPERPIXEL_IMPL_ESCRF;
                Mat labels;
                TickMeter tm;
                tm.start();
                count[k] += computeSuperpixels(image, labels, params);
                tm.stop();
                ms[k] += tm.getTimeMilli();
                recall[k] += superpixelBoundaryRecall(labels, gt, 2);
                error[k] += superpixelUndersegmentationError(labels, gt);
            }
        }
        if (images == 0)
            CV_Error(Error::StsBadArg, "the list has no images");
        const String ruler = params.algorithm == SUPERPIXEL_SLIC ? format(", ruler %g", params.ruler) : String();
        std::cout << format("%s, %d superpixels%s, %d images, %d threads", algorithm.c_str(), params.numSuperpixels,
                            ruler.c_str(), images, getNumThreads()) << std::endl;
        std::cout << "implementation  boundary recall  under-segmentation error  superpixels  ms/image" << std::endl;
        for (int k = 0; k < 2; k++)
            std::cout << format("%-14s  %14.2f%%  %23.2f%%  %11.1f  %8.1f", names[k], 100 * recall[k] / images,
                                100 * error[k] / images, count[k] / images, ms[k] / images) << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_superpixel_quality: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
