// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Segmentation metrics of the module's specification: data-set confusion matrix (mIoU) and the
// 1-pixel boundary F-score. The per-class boundary work is done with whole-image morphology
// (erode / dilate / compare / countNonZero) so that one 480x360 image costs a few milliseconds.

#include "precomp.hpp"
#include "metrics/label_map.hpp"
#include <cstdio>
#include <limits>

namespace cv {
namespace escrf {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

enum { B_MATCHED_PRED = 0, B_TOTAL_PRED = 1, B_MATCHED_GT = 2, B_TOTAL_GT = 3 };

//! Pixels of a binary (0/255) mask that the 3x3 erosion with replicated border removes.
void maskBoundary(const Mat& mask, Mat& boundary)
{
    Mat eroded;
    erode(mask, eroded, Mat(), Point(-1, -1), 1, BORDER_REPLICATE);
    subtract(mask, eroded, boundary);  // eroded is a subset of mask
}

} // namespace

SegmentationMetrics::SegmentationMetrics(const SegmentationMetrics& other)
    : numClasses_(other.numClasses_), ignoreLabel_(other.ignoreLabel_), numImages_(other.numImages_),
      confusion_(other.confusion_.clone()), boundary_(other.boundary_.clone())
{
}

SegmentationMetrics& SegmentationMetrics::operator=(const SegmentationMetrics& other)
{
    if (this != &other)
    {
        numClasses_ = other.numClasses_;
        ignoreLabel_ = other.ignoreLabel_;
        numImages_ = other.numImages_;
        confusion_ = other.confusion_.clone();
        boundary_ = other.boundary_.clone();
    }
    return *this;
}

SegmentationMetrics::SegmentationMetrics(int numClasses, int ignoreLabel)
    : numClasses_(numClasses), ignoreLabel_(ignoreLabel), numImages_(0)
{
    if (numClasses <= 0)
        CV_Error_(Error::StsOutOfRange, ("SegmentationMetrics: numClasses must be > 0, got %d", numClasses));
    if (ignoreLabel >= 0 && ignoreLabel < numClasses)
        CV_Error_(Error::StsOutOfRange, ("SegmentationMetrics: ignoreLabel %d is a class label (numClasses %d); "
                                         "use a label outside [0, numClasses) or -1 for none",
                                         ignoreLabel, numClasses));
    reset();
}

void SegmentationMetrics::reset()
{
    confusion_ = Mat::zeros(numClasses_, numClasses_, CV_64F);
    boundary_ = Mat::zeros(4, numClasses_, CV_64F);
    numImages_ = 0;
}

void SegmentationMetrics::add(InputArray prediction, InputArray groundTruth)
{
    const int K = numClasses_;
    Mat pred = detail::labelMapAs32S(prediction, "SegmentationMetrics::add", "prediction");
    Mat gt = detail::labelMapAs32S(groundTruth, "SegmentationMetrics::add", "groundTruth");
    if (pred.size() != gt.size())
        CV_Error_(Error::StsUnmatchedSizes, ("SegmentationMetrics::add: prediction is %dx%d but groundTruth is %dx%d",
                                             pred.cols, pred.rows, gt.cols, gt.rows));

    // One pass: validate and build this image's confusion matrix and label histograms (the
    // accumulators are only touched once the whole image is known to be valid).
    std::vector<int64> conf((size_t)K * K, 0), predHist(K, 0), gtHist(K, 0);
    int64 ignored = 0;
    for (int y = 0; y < pred.rows; y++)
    {
        const int* p = pred.ptr<int>(y);
        const int* g = gt.ptr<int>(y);
        for (int x = 0; x < pred.cols; x++)
        {
            const int pv = p[x], gv = g[x];
            if ((unsigned)pv >= (unsigned)K)
                CV_Error_(Error::StsOutOfRange, ("SegmentationMetrics::add: prediction label %d at (x=%d, y=%d) "
                                                 "is outside [0, %d)", pv, x, y, K));
            predHist[pv]++;
            if ((unsigned)gv < (unsigned)K)
            {
                conf[(size_t)gv * K + pv]++;
                gtHist[gv]++;
            }
            else if (gv == ignoreLabel_)
                ignored++;
            else
                CV_Error_(Error::StsOutOfRange, ("SegmentationMetrics::add: groundTruth label %d at (x=%d, y=%d) "
                                                 "is neither in [0, %d) nor the ignore label %d",
                                                 gv, x, y, K, ignoreLabel_));
        }
    }

    // Boundary statistics, one class at a time, only for classes present in this image.
    Mat valid;  // 255 where the ground truth is scored
    if (ignored > 0)
        compare(gt, Scalar(ignoreLabel_), valid, CMP_NE);
    std::vector<double> bcounts((size_t)4 * K, 0.0);
    Mat gtMask, predMask, gtB, predB, dil, both;
    for (int c = 0; c < K; c++)
    {
        if (gtHist[c] == 0 && predHist[c] == 0)
            continue;
        compare(gt, Scalar(c), gtMask, CMP_EQ);
        compare(pred, Scalar(c), predMask, CMP_EQ);
        maskBoundary(gtMask, gtB);
        maskBoundary(predMask, predB);
        if (!valid.empty())
        {
            // gt boundary pixels are never ignore pixels (they are gt == c); predicted ones may be.
            bitwise_and(predB, valid, predB);
        }
        const int nGt = countNonZero(gtB), nPred = countNonZero(predB);
        int matchedPred = 0, matchedGt = 0;
        if (nGt > 0 && nPred > 0)
        {
            // Default dilate border (-inf) adds nothing outside the image.
            dilate(gtB, dil, Mat());
            bitwise_and(predB, dil, both);
            matchedPred = countNonZero(both);
            dilate(predB, dil, Mat());
            bitwise_and(gtB, dil, both);
            matchedGt = countNonZero(both);
        }
        bcounts[B_MATCHED_PRED * K + c] = matchedPred;
        bcounts[B_TOTAL_PRED * K + c] = nPred;
        bcounts[B_MATCHED_GT * K + c] = matchedGt;
        bcounts[B_TOTAL_GT * K + c] = nGt;
    }

    for (int i = 0; i < K; i++)
    {
        double* row = confusion_.ptr<double>(i);
        for (int j = 0; j < K; j++)
            row[j] += (double)conf[(size_t)i * K + j];
    }
    for (int r = 0; r < 4; r++)
    {
        double* row = boundary_.ptr<double>(r);
        for (int c = 0; c < K; c++)
            row[c] += bcounts[(size_t)r * K + c];
    }
    numImages_++;
}

void SegmentationMetrics::merge(const SegmentationMetrics& other)
{
    if (other.numClasses_ != numClasses_ || other.ignoreLabel_ != ignoreLabel_)
        CV_Error_(Error::StsBadArg, ("SegmentationMetrics::merge: other has numClasses %d / ignoreLabel %d, "
                                     "expected %d / %d", other.numClasses_, other.ignoreLabel_,
                                     numClasses_, ignoreLabel_));
    if (&other == this)
    {
        confusion_ *= 2;
        boundary_ *= 2;
        numImages_ *= 2;
        return;
    }
    confusion_ += other.confusion_;
    boundary_ += other.boundary_;
    numImages_ += other.numImages_;
}

std::vector<double> SegmentationMetrics::classIoU() const
{
    std::vector<double> iou(numClasses_, kNaN);
    for (int c = 0; c < numClasses_; c++)
    {
        const double tp = confusion_.at<double>(c, c);
        const double gtSum = sum(confusion_.row(c))[0];
        const double predSum = sum(confusion_.col(c))[0];
        const double uni = gtSum + predSum - tp;
        if (uni > 0)
            iou[c] = tp / uni;
    }
    return iou;
}

static double nanMean(const std::vector<double>& v)
{
    double s = 0;
    int n = 0;
    for (double x : v)
        if (!std::isnan(x)) { s += x; n++; }
    return n > 0 ? s / n : kNaN;
}

double SegmentationMetrics::meanIoU() const
{
    return nanMean(classIoU());
}

double SegmentationMetrics::pixelAccuracy() const
{
    const double total = sum(confusion_)[0];
    return total > 0 ? sum(confusion_.diag())[0] / total : kNaN;
}

std::vector<double> SegmentationMetrics::classBoundaryF() const
{
    std::vector<double> f(numClasses_, kNaN);
    for (int c = 0; c < numClasses_; c++)
    {
        const double mp = boundary_.at<double>(B_MATCHED_PRED, c), tp = boundary_.at<double>(B_TOTAL_PRED, c);
        const double mg = boundary_.at<double>(B_MATCHED_GT, c), tg = boundary_.at<double>(B_TOTAL_GT, c);
        if (tg <= 0)
            continue;
        const double P = tp > 0 ? mp / tp : 0.0;
        const double R = mg / tg;
        f[c] = (P + R > 0) ? 2 * P * R / (P + R) : 0.0;
    }
    return f;
}

double SegmentationMetrics::meanBoundaryF() const
{
    return nanMean(classBoundaryF());
}

String SegmentationMetrics::report(const std::vector<String>& classNames) const
{
    if (!classNames.empty() && (int)classNames.size() != numClasses_)
        CV_Error_(Error::StsBadArg, ("SegmentationMetrics::report: %d class names given for %d classes",
                                     (int)classNames.size(), numClasses_));
    const std::vector<double> iou = classIoU(), bf = classBoundaryF();
    char buf[256];
    String out;
    std::snprintf(buf, sizeof(buf), "images %d, pixels %.0f: mIoU %.2f%%, boundary F %.2f%%, pixel accuracy %.2f%%\n",
                  numImages_, sum(confusion_)[0], 100 * meanIoU(), 100 * meanBoundaryF(), 100 * pixelAccuracy());
    out += buf;
    std::snprintf(buf, sizeof(buf), "%-16s %8s %8s\n", "class", "IoU%", "BF%");
    out += buf;
    for (int c = 0; c < numClasses_; c++)
    {
        const String name = classNames.empty() ? std::to_string(c) : classNames[c];
        std::snprintf(buf, sizeof(buf), "%-16s %8.2f %8.2f\n", name.c_str(), 100 * iou[c], 100 * bf[c]);
        out += buf;
    }
    return out;
}

}} // namespace cv::escrf
