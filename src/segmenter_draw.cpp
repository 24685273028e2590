// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Pictures of label maps: colour coding and overlays with class boundaries.
#include "precomp.hpp"

namespace cv {
namespace escrf {

namespace {

Mat labelsAsInt(InputArray labels, const char* fn)
{
    Mat l = labels.getMat();
    if (l.empty())
        CV_Error_(Error::StsBadArg, ("%s: labels are empty", fn));
    if (l.type() != CV_8UC1 && l.type() != CV_32SC1)
        CV_Error_(Error::StsBadArg, ("%s: labels must be CV_8UC1 or CV_32SC1, got %s", fn, typeToString(l.type()).c_str()));
    Mat out;
    l.convertTo(out, CV_32S);
    return out;
}

} // namespace

void colorizeLabels(InputArray labels, const std::vector<Vec3b>& colors, OutputArray colored)
{
    Mat l = labelsAsInt(labels, "colorizeLabels");
    Mat out(l.size(), CV_8UC3, Scalar::all(0));
    for (int y = 0; y < l.rows; y++)
        for (int x = 0; x < l.cols; x++)
        {
            const int v = l.at<int>(y, x);
            if (v >= 0 && v < (int)colors.size())
            {
                const Vec3b& rgb = colors[v];
                out.at<Vec3b>(y, x) = Vec3b(rgb[2], rgb[1], rgb[0]);
            }
        }
    out.copyTo(colored);
}

void drawSegmentationOverlay(InputArray image, InputArray labels, const std::vector<Vec3b>& colors,
                             OutputArray overlay, double alpha)
{
    Mat img = image.getMat();
    if (img.empty() || img.type() != CV_8UC3)
        CV_Error(Error::StsBadArg, "drawSegmentationOverlay: image must be a non-empty CV_8UC3 BGR image");
    Mat l = labelsAsInt(labels, "drawSegmentationOverlay");
    if (l.size() != img.size())
        CV_Error_(Error::StsBadArg, ("drawSegmentationOverlay: labels are %dx%d, image is %dx%d",
                                     l.cols, l.rows, img.cols, img.rows));
    if (!(alpha >= 0 && alpha <= 1))
        CV_Error_(Error::StsBadArg, ("drawSegmentationOverlay: alpha must be in [0,1], got %g", alpha));
    Mat color, out;
    colorizeLabels(l, colors, color);
    addWeighted(img, 1 - alpha, color, alpha, 0, out);
    // Class boundaries: pixels whose 3x3 neighbourhood holds another label.
    Mat lf, mn, mx;
    l.convertTo(lf, CV_32F);
    erode(lf, mn, Mat());
    dilate(lf, mx, Mat());
    out.setTo(Scalar::all(255), mn != mx);
    out.copyTo(overlay);
}

}} // namespace cv::escrf
