// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/loss.hpp"
#include "head/bilinear.hpp"

namespace cv {
namespace escrf {
namespace detail {

double softmaxCrossEntropy(const Mat& logits, Size headSize, const Mat& labels, int ignoreLabel,
                           const std::vector<float>& classWeights, Mat& dLogits, double& weightSum)
{
    const int K = logits.rows;
    CV_Assert(logits.type() == CV_32F && logits.cols == headSize.area());
    if (labels.empty() || (labels.type() != CV_8UC1 && labels.type() != CV_32SC1))
        CV_Error(Error::StsBadArg, "softmaxCrossEntropy: labels must be a non-empty CV_8UC1 or CV_32SC1 map");
    if (!classWeights.empty() && (int)classWeights.size() != K)
        CV_Error_(Error::StsBadArg, ("softmaxCrossEntropy: %d class weights for %d classes",
                                     (int)classWeights.size(), K));
    Mat lab;
    labels.convertTo(lab, CV_32S);
    const Size full = lab.size();
    const int N = full.area();
    Mat z, dz(K, N, CV_32F);
    resizeBilinear(logits, headSize, full, z);

    const int rows = full.height;
    std::vector<double> lossRow(rows, 0.0), weightRow(rows, 0.0);
    // A flag per row, not a sentinel value: every int, -1 included, can be a bad label.
    std::vector<uchar> badRow(rows, 0);
    std::vector<int> badValue(rows, 0);
    parallel_for_(Range(0, rows), [&](const Range& r) {
        std::vector<float> p(K);
        for (int y = r.start; y < r.end; y++)
        {
            double loss = 0, wsum = 0;
            for (int x = 0; x < full.width; x++)
            {
                const int i = y * full.width + x;
                const int t = lab.at<int>(i);
                if (t == ignoreLabel || t < 0 || t >= K)
                {
                    // No contribution; a bad label is reported after the loop, and dz stays
                    // initialised either way.
                    for (int k = 0; k < K; k++)
                        dz.ptr<float>(k)[i] = 0.f;
                    if (t != ignoreLabel && !badRow[y])
                        badRow[y] = 1, badValue[y] = t;
                    continue;
                }
                float m = -FLT_MAX;
                for (int k = 0; k < K; k++)
                    m = std::max(m, z.ptr<float>(k)[i]);
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += (p[k] = std::exp(z.ptr<float>(k)[i] - m));
                const float w = classWeights.empty() ? 1.f : classWeights[t];
                loss += w * (std::log(s) - (z.ptr<float>(t)[i] - m));
                wsum += w;
                const float inv = (float)(1.0 / s);
                for (int k = 0; k < K; k++)
                    dz.ptr<float>(k)[i] = w * (p[k] * inv - (k == t ? 1.f : 0.f));
            }
            lossRow[y] = loss;
            weightRow[y] = wsum;
        }
    });
    for (int y = 0; y < rows; y++)
        if (badRow[y])
            CV_Error_(Error::StsOutOfRange, ("training labels: value %d at row %d is outside [0, %d) and is not the ignore label %d",
                                             badValue[y], y, K, ignoreLabel));
    double loss = 0;
    weightSum = 0;
    for (int y = 0; y < rows; y++)
        loss += lossRow[y], weightSum += weightRow[y];
    resizeBilinearAdjoint(dz, headSize, full, dLogits);
    return loss;
}

}}} // namespace cv::escrf::detail
