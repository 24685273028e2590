// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Quality of superpixels against ground-truth regions: boundary recall and the corrected
// under-segmentation error, as the module's comparisons of SLIC implementations report them.

#include "precomp.hpp"

namespace cv {
namespace escrf {

namespace {

//! The two maps as CV_32SC1, after the checks every quality measure makes.
void labelMaps(const char* fn, InputArray _superpixels, InputArray _regions, Mat& sp, Mat& gt)
{
    if (_superpixels.empty() || _superpixels.type() != CV_32SC1)
        CV_Error_(Error::StsBadArg, ("%s: superpixels is %s, expected a CV_32SC1 label map", fn,
                                     _superpixels.empty() ? "empty" : typeToString(_superpixels.type()).c_str()));
    const int t = _regions.type();
    if (_regions.empty() || (t != CV_8UC1 && t != CV_16UC1 && t != CV_32SC1))
        CV_Error_(Error::StsBadArg, ("%s: regions is %s, expected a CV_8UC1, CV_16UC1 or CV_32SC1 label map", fn,
                                     _regions.empty() ? "empty" : typeToString(t).c_str()));
    if (_regions.size() != _superpixels.size())
        CV_Error_(Error::StsBadSize, ("%s: regions is %dx%d, expected the size of superpixels, %dx%d", fn,
                                      _regions.size().width, _regions.size().height,
                                      _superpixels.size().width, _superpixels.size().height));
    sp = _superpixels.getMat();
    _regions.getMat().convertTo(gt, CV_32S);
}

//! 255 where the right or lower neighbour has another label.
Mat boundaryMask(const Mat& labels)
{
    Mat m(labels.size(), CV_8UC1, Scalar(0));
    for (int y = 0; y < labels.rows; y++)
    {
        const int* l = labels.ptr<int>(y);
        const int* below = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
        uchar* out = m.ptr<uchar>(y);
        for (int x = 0; x < labels.cols; x++)
            if ((x + 1 < labels.cols && l[x + 1] != l[x]) || (below && below[x] != l[x]))
                out[x] = 255;
    }
    return m;
}

} // namespace

double superpixelBoundaryRecall(InputArray superpixels, InputArray regions, int tolerance)
{
    Mat sp, gt;
    labelMaps("superpixelBoundaryRecall", superpixels, regions, sp, gt);
    if (tolerance < 0)
        CV_Error_(Error::StsOutOfRange, ("superpixelBoundaryRecall: tolerance = %d, expected >= 0", tolerance));
    const Mat gb = boundaryMask(gt);
    Mat sb;
    dilate(boundaryMask(sp), sb, getStructuringElement(MORPH_RECT, Size(2 * tolerance + 1, 2 * tolerance + 1)));
    const int total = countNonZero(gb);
    return total == 0 ? 1.0 : (double)countNonZero(gb & sb) / total;
}

double superpixelUndersegmentationError(InputArray superpixels, InputArray regions)
{
    Mat sp, gt;
    labelMaps("superpixelUndersegmentationError", superpixels, regions, sp, gt);
    // Overlaps |s & g| as the run lengths of the sorted (s, g) pairs.
    std::vector<std::pair<int, int> > pairs;
    pairs.reserve(sp.total());
    for (int y = 0; y < sp.rows; y++)
    {
        const int* s = sp.ptr<int>(y);
        const int* g = gt.ptr<int>(y);
        for (int x = 0; x < sp.cols; x++)
            pairs.emplace_back(s[x], g[x]);
    }
    std::sort(pairs.begin(), pairs.end());
    double error = 0;
    for (size_t i = 0; i < pairs.size();)
    {
        // The pairs of superpixel s: [i, end); each region run inside it is one overlap.
        size_t end = i;
        while (end < pairs.size() && pairs[end].first == pairs[i].first)
            end++;
        const double area = (double)(end - i);
        for (size_t j = i; j < end;)
        {
            size_t k = j;
            while (k < end && pairs[k].second == pairs[j].second)
                k++;
            error += std::min((double)(k - j), area - (double)(k - j));
            j = k;
        }
        i = end;
    }
    return error / (double)sp.total();
}

}} // namespace cv::escrf
