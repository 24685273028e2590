// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "segmenter_scales.hpp"

namespace cv {
namespace escrf {
namespace detail {

void checkTestScales(const char* caller, const std::vector<double>& scales)
{
    if (scales.empty())
        CV_Error_(Error::StsBadArg, ("%s: scales is empty, expected at least one scale (e.g. {1})", caller));
    for (size_t i = 0; i < scales.size(); i++)
        if (!std::isfinite(scales[i]) || scales[i] <= 0 || scales[i] > kMaxTestScale)
            CV_Error_(Error::StsBadArg, ("%s: scales[%d] = %g, expected a finite scale in (0, %g]", caller, (int)i,
                                         scales[i], kMaxTestScale));
}

bool isTestTimeAugmented(const std::vector<double>& scales, bool flip)
{
    return flip || scales.size() != 1 || scales[0] != 1.0;
}

Size scaledImageSize(Size size, double scale)
{
    return Size(std::max(1, cvRound(size.width * scale)), std::max(1, cvRound(size.height * scale)));
}

namespace {

// Adds one pass's K x h x w probabilities to the K x H x W sum, flipped back first when the pass
// ran on the flipped image.
void accumulatePass(const Mat& pass, bool flipped, Mat& sum)
{
    const int K = sum.size[0];
    const Size size(sum.size[2], sum.size[1]);
    if (pass.dims != 3 || pass.size[0] != K)
        CV_Error(Error::StsInternal, "averageOverScales: a pass gave probabilities of another class count");
    const Size passSize(pass.size[2], pass.size[1]);
    Mat plane;
    for (int k = 0; k < K; k++)
    {
        Mat src(passSize, CV_32F, const_cast<float*>(pass.ptr<float>(k)));
        if (flipped)
        {
            flip(src, plane, 1);
            src = plane;
        }
        Mat dst(size, CV_32F, sum.ptr<float>(k));
        if (passSize == size)
            dst += src;
        else
        {
            Mat back;
            resize(src, back, size, 0, 0, INTER_LINEAR);
            dst += back;
        }
    }
}

} // namespace

void averageOverScales(const Mat& image, const std::vector<double>& scales, bool flip,
                       const std::function<void(const Mat&, Mat&)>& probabilitiesOf, Mat& probabilities)
{
    checkTestScales("averageOverScales", scales);
    Mat sum;
    int passes = 0;
    for (double scale : scales)
    {
        const Size scaledSize = scaledImageSize(image.size(), scale);
        Mat scaled = image;
        if (scaledSize != image.size())
            resize(image, scaled, scaledSize, 0, 0, INTER_LINEAR);
        for (int flipped = 0; flipped <= (flip ? 1 : 0); flipped++)
        {
            Mat input, pass;
            if (flipped)
                cv::flip(scaled, input, 1);   // into a new buffer: `scaled` may be the caller's image
            else
                input = scaled;
            probabilitiesOf(input, pass);
            if (sum.empty())
            {
                const int sz[] = { pass.size[0], image.rows, image.cols };
                sum.create(3, sz, CV_32F);
                sum.setTo(Scalar(0));
            }
            accumulatePass(pass, flipped != 0, sum);
            passes++;
        }
    }
    sum *= 1.0 / passes;
    probabilities = sum;
}

}}} // namespace cv::escrf::detail
