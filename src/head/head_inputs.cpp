// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "opencv2/escrf/head.hpp"
#include "head/head_inputs.hpp"
#include "block/block_guide.hpp"

namespace cv {
namespace escrf {
namespace detail {

Mat guideBlob(const Mat& bgr8)
{
    CV_Assert(bgr8.type() == CV_8UC3 && !bgr8.empty());
    const int sz[] = { 1, 3, bgr8.rows, bgr8.cols };
    Mat blob(4, sz, CV_32F);
    std::vector<Mat> planes;
    for (int c = 0; c < 3; c++)
        planes.push_back(Mat(bgr8.size(), CV_32F, blob.ptr<float>(0, c)));
    Mat f;
    bgr8.convertTo(f, CV_32F, 1.0 / 255);
    std::vector<Mat> bgr;
    split(f, bgr);
    for (int c = 0; c < 3; c++)
        bgr[2 - c].copyTo(planes[c]); // RGB order, as the block's guide
    return blob;
}

void prepareHeadGuide(const Head& head, const Mat& image, const Mat& superpixels, int numSuperpixels,
                      Size headSize, EscrfGuide& guide)
{
    if (head.needsSuperpixels())
        prepareGuide(image, superpixels, numSuperpixels, headSize, head.effectiveBlockParams(), guide);
    else if (head.needsGuide())
        prepareImageGuide(image, headSize, guide);
    else
        guide = EscrfGuide();
}

void computeHeadInputs(Backbone& backbone, const Mat& bgr8, const std::vector<String>& names,
                       std::vector<Mat>& inputs)
{
    std::vector<String> outputs;
    std::vector<size_t> slots;   // where each backbone output goes in inputs
    inputs.resize(names.size());
    for (size_t i = 0; i < names.size(); i++)
        if (names[i] != ESCRF_HEAD_INPUT_GUIDE)
        {
            outputs.push_back(names[i]);
            slots.push_back(i);
        }
    if (!outputs.empty())
    {
        // The outputs are copied into inputs' own Mats, reused when they have the size already.
        std::vector<Mat> blobs(outputs.size());
        for (size_t k = 0; k < slots.size(); k++)
            blobs[k] = inputs[slots[k]];
        backbone.forward(bgr8, outputs, blobs);
        for (size_t k = 0; k < slots.size(); k++)
            inputs[slots[k]] = blobs[k];
    }
    for (size_t i = 0; i < names.size(); i++)
        if (names[i] == ESCRF_HEAD_INPUT_GUIDE)
            inputs[i] = guideBlob(bgr8);
}

}}} // namespace cv::escrf::detail
