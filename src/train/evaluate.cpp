// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "opencv2/escrf/train.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "core/atomic_file.hpp"

namespace cv {
namespace escrf {

SegmentationMetrics evaluateSegmenter(const Ptr<Segmenter>& segmenter, const String& listFile, int ignoreLabel,
                                      const String& predictionDir, int maxImages)
{
    if (!segmenter)
        CV_Error(Error::StsBadArg, "evaluateSegmenter: segmenter is null");
    Dataset data(listFile);
    if (data.empty())
        CV_Error_(Error::StsBadArg, ("evaluateSegmenter: list '%s' holds no samples", listFile.c_str()));
    if (!predictionDir.empty() && !utils::fs::isDirectory(predictionDir) && !utils::fs::createDirectories(predictionDir))
        CV_Error_(Error::StsError, ("evaluateSegmenter: cannot create the prediction folder '%s'", predictionDir.c_str()));
    const int K = segmenter->head()->config().numClasses;
    if (!predictionDir.empty() && K > 65536)
        CV_Error_(Error::StsOutOfRange, ("evaluateSegmenter: %d classes do not fit the 16-bit PNG predictions; "
                                         "pass an empty predictionDir", K));
    SegmentationMetrics metrics(K, ignoreLabel);
    const int n = maxImages > 0 ? std::min(maxImages, data.size()) : data.size();
    for (int i = 0; i < n; i++)
    {
        Mat image, gt, pred;
        data.load(i, image, gt);
        segmenter->segment(image, pred, K <= 256 ? CV_8U : CV_32S);
        metrics.add(pred, gt);
        if (!predictionDir.empty())
        {
            String name = data.sample(i).imagePath;
            const size_t slash = name.find_last_of("/\\");
            if (slash != String::npos)
                name = name.substr(slash + 1);
            const size_t dot = name.find_last_of('.');
            const String file = utils::fs::join(predictionDir, (dot == String::npos ? name : name.substr(0, dot)) + ".png");
            if (K <= 256)
                detail::writeImageAtomically(file, pred, "evaluateSegmenter");
            else
            {
                Mat pred16; // PNG stores 8 or 16 bits, not CV_32S
                pred.convertTo(pred16, CV_16U);
                detail::writeImageAtomically(file, pred16, "evaluateSegmenter");
            }
        }
    }
    return metrics;
}

}} // namespace cv::escrf
