// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixels of an image (or of a generated test picture) drawn as contours.
//
//   escrf_slic --output=slic.png
//   escrf_slic --input=photo.jpg --output=slic.png --superpixels=600 --algorithm=slico

#include "opencv2/core.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/escrf/superpixels.hpp"

#include <iostream>
#include <string>

using namespace cv;

// Shapes on gradients, so the demo runs without any data on disk.
static Mat makeSyntheticImage()
{
    Mat img(360, 480, CV_8UC3);
    for (int y = 0; y < img.rows; y++)
        for (int x = 0; x < img.cols; x++)
            img.at<Vec3b>(y, x) = Vec3b(saturate_cast<uchar>(255 * x / img.cols),
                                        saturate_cast<uchar>(80 + 120 * y / img.rows),
                                        saturate_cast<uchar>(200 - 150 * x / img.cols));
    circle(img, Point(130, 150), 80, Scalar(30, 60, 220), FILLED);
    rectangle(img, Rect(260, 60, 160, 110), Scalar(40, 200, 60), FILLED);
    ellipse(img, Point(330, 270), Size(110, 50), 20, 0, 360, Scalar(230, 230, 40), FILLED);
    const Point tri[] = { Point(40, 340), Point(150, 250), Point(220, 345) };
    fillConvexPoly(img, tri, 3, Scalar(120, 20, 140));
    return img;
}

// A pixel is on a contour when its right or lower neighbour has another label.
static void drawContours(Mat& img, const Mat& labels, const Vec3b& colour)
{
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int l = labels.at<int>(y, x);
            if ((x + 1 < labels.cols && labels.at<int>(y, x + 1) != l) ||
                (y + 1 < labels.rows && labels.at<int>(y + 1, x) != l))
                img.at<Vec3b>(y, x) = colour;
        }
}

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{input          |      | input image (BGR); a synthetic test picture when absent }"
        "{output         |      | output picture with the superpixel contours (required) }"
        "{superpixels    | 600  | wanted number of superpixels }"
        "{algorithm      | slico| slico, slic or mslic (mslic: ximgproc only) }"
        "{implementation | escrf| escrf (the module's SLIC) or ximgproc }"
        "{ruler          | 10   | SLIC compactness }"
        "{iterations     | 10   | SLIC iterations }";
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_slic: superpixels of an image, drawn as contours");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const String input = parser.get<String>("input");
    const String output = parser.get<String>("output");
    const String algorithm = parser.get<String>("algorithm");
    const String implementation = parser.get<String>("implementation");
    escrf::SuperpixelParams params;
    params.numSuperpixels = parser.get<int>("superpixels");
    params.ruler = parser.get<float>("ruler");
    params.iterations = parser.get<int>("iterations");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    if (output.empty())
    {
        std::cerr << "escrf_slic: --output=<picture.png> is required" << std::endl;
        return 2;
    }
    if (algorithm == "slico")
        params.algorithm = escrf::SUPERPIXEL_SLICO;
    else if (algorithm == "slic")
        params.algorithm = escrf::SUPERPIXEL_SLIC;
    else if (algorithm == "mslic")
        params.algorithm = escrf::SUPERPIXEL_MSLIC;
    else
    {
        std::cerr << "escrf_slic: --algorithm=" << algorithm << " is unknown, expected slico, slic or mslic" << std::endl;
        return 2;
    }

    if (implementation == "escrf" || implementation == "ximgproc")
        params.implementation = implementation == "escrf" ? escrf::SUPERPIXEL_IMPL_ESCRF : escrf::SUPERPIXEL_IMPL_XIMGPROC;
    else
    {
        std::cerr << "escrf_slic: --implementation=" << implementation << " is unknown, expected escrf or ximgproc" << std::endl;
        return 2;
    }

    Mat image;
    if (input.empty())
    {
        image = makeSyntheticImage();
        std::cout << "no --input: using a generated " << image.cols << "x" << image.rows << " test picture" << std::endl;
    }
    else
    {
        image = imread(input, IMREAD_COLOR);
        if (image.empty())
        {
            std::cerr << "escrf_slic: cannot read the image '" << input << "'" << std::endl;
            return 1;
        }
    }

    try
    {
        Mat labels;
        TickMeter tm;
        tm.start();
        const int M = escrf::computeSuperpixels(image, labels, params);
        tm.stop();
        Mat picture = image.clone();
        drawContours(picture, labels, Vec3b(0, 0, 0));  // black shows on every colour of the demo
        if (!imwrite(output, picture))
        {
            std::cerr << "escrf_slic: cannot write '" << output << "'" << std::endl;
            return 1;
        }
        std::cout << "superpixels: M = " << M << " (requested " << params.numSuperpixels << ", " << algorithm
                  << ") on " << image.cols << "x" << image.rows << " in " << tm.getTimeMilli() << " ms" << std::endl
                  << "written: " << output << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_slic: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
