// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_METRICS_HPP
#define OPENCV_ESCRF_METRICS_HPP

#include "opencv2/core.hpp"
#include <vector>

namespace cv {
namespace escrf {

//! @addtogroup escrf
//! @{

/** @defgroup escrf_metrics Segmentation metrics: mIoU and boundary F-score
@ingroup escrf

Both metrics are accumulated over a data set (sums of counts, not means of per-image scores),
as the module's specification defines them:

- **Confusion matrix** C (K x K, rows = ground truth, columns = prediction), pixels whose ground
  truth is the ignore label excluded. IoU_c = C_cc / (sum_j C_cj + sum_i C_ic - C_cc).
  A class that occurs neither in the ground truth nor in the prediction of the whole data set
  has an undefined IoU: classIoU() reports NaN for it and meanIoU() averages the other classes
  (with every class present this is the mean over the K classes). A class that is predicted but
  never occurs in the ground truth has IoU 0 and counts in the mean.
- **Boundary F-score (1 pixel)**: for class c the boundary of a binary mask is the set of its
  pixels that a 3x3 erosion with replicated border removes (so the image border itself is not a
  boundary). Masks are gt == c and prediction == c; boundary pixels lying on ignore pixels of the
  ground truth are dropped from both boundaries (the ignore pixels still shape the masks: a class
  region next to an unlabelled region has a boundary there). A predicted boundary pixel is
  matched when a ground-truth boundary pixel of c lies in its 3x3 neighbourhood, and vice versa.
  Matched and total counts are summed over the data set; P_c = matchedPred / totalPred,
  R_c = matchedGt / totalGt, F_c = 2 P R / (P + R). F_c is NaN when the class has no ground-truth
  boundary pixel (excluded from meanBoundaryF()); P_c = 0 when there is no predicted boundary
  pixel, and F_c = 0 when P + R = 0.

All scores are fractions in [0, 1]; report() prints them in percent.
@{
*/

/** @brief Accumulates the confusion matrix and the boundary statistics of label maps. */
class CV_EXPORTS_W SegmentationMetrics
{
public:
    /** @param numClasses K > 0: labels 0..K-1 are classes.
     *  @param ignoreLabel ground-truth label that is not scored (outside [0, K)), or -1 for none. */
    CV_WRAP explicit SegmentationMetrics(int numClasses, int ignoreLabel = -1);

    //! Copies are independent accumulators (the counts are cloned, never shared).
    SegmentationMetrics(const SegmentationMetrics& other);
    SegmentationMetrics& operator=(const SegmentationMetrics& other);

    /** @brief Adds one image.
    @param prediction single-channel CV_8U, CV_16U or CV_32S map of labels in [0, K).
    @param groundTruth map of the same size and one of the same depths, labels in [0, K) or the
    ignore label.
    Values out of range throw cv::Exception (naming the value); the accumulators are unchanged then. */
    CV_WRAP void add(InputArray prediction, InputArray groundTruth);

    //! Adds the counts of another accumulator (same K and ignore label), e.g. one per thread.
    void merge(const SegmentationMetrics& other);
    /** @overload
    The form the Python bindings use (they hold accumulators by Ptr); an empty other raises cv::Exception. */
    CV_WRAP void merge(const Ptr<SegmentationMetrics>& other)
    {
        if (!other)
            CV_Error(Error::StsNullPtr, "SegmentationMetrics::merge: other is empty");
        merge(*other);
    }
    //! Clears the counts.
    CV_WRAP void reset();

    CV_WRAP int numClasses() const { return numClasses_; }
    CV_WRAP int ignoreLabel() const { return ignoreLabel_; }
    //! Number of images added since construction or reset().
    CV_WRAP int numImages() const { return numImages_; }

    //! K x K CV_64F confusion matrix (rows = ground truth, columns = prediction); exact counts.
    CV_WRAP Mat confusionMatrix() const { return confusion_.clone(); }
    //! Per-class IoU (NaN for classes absent from both ground truth and prediction).
    CV_WRAP std::vector<double> classIoU() const;
    //! Mean of classIoU() over the classes where it is defined (NaN if none).
    CV_WRAP double meanIoU() const;
    //! Correct pixels / scored pixels (NaN when no pixel was scored).
    CV_WRAP double pixelAccuracy() const;
    //! Per-class boundary F-score (NaN for classes without ground-truth boundary pixels).
    CV_WRAP std::vector<double> classBoundaryF() const;
    //! Mean of classBoundaryF() over the classes with ground-truth boundary pixels (NaN if none).
    CV_WRAP double meanBoundaryF() const;
    /** @brief Boundary counts: a 4 x K CV_64F matrix whose rows are matched predicted, total
     * predicted, matched ground-truth and total ground-truth boundary pixels of each class. */
    CV_WRAP Mat boundaryCounts() const { return boundary_.clone(); }

    /** @brief Human-readable summary: mIoU, boundary F, pixel accuracy and a per-class table.
    @param classNames optional names of the K classes (the class index otherwise). */
    CV_WRAP String report(const std::vector<String>& classNames = std::vector<String>()) const;

private:
    int numClasses_;
    int ignoreLabel_;
    int numImages_;
    Mat confusion_;   // K x K CV_64F
    Mat boundary_;    // 4 x K CV_64F
};

//! @}

/** @defgroup escrf_class_analysis Adjacent classes and classifier similarity (the PFB analysis)
@ingroup escrf

The ES-CRF paper's Fig. 1(a) ("pernicious favour on boundary"): for each class, the class whose
pixels touch it most often in the ground truth, and how alike the classifier's weight vectors of
the two classes are. A head whose classifier makes adjacent classes similar has a harder time
separating them at their common boundary. `samples/escrf_analyze_pfb.cpp` plots it.
@{
*/

/** @brief Adds the 4-neighbour class adjacencies of one ground-truth label map to `counts`.

Every pair of horizontally or vertically neighbouring pixels with labels a != b, neither the
ignore label, adds 1 to counts(a, b) and to counts(b, a); the diagonal stays 0.
@param labels single-channel CV_8U, CV_16U or CV_32S map of labels in [0, numClasses) or ignoreLabel.
@param numClasses K > 0.
@param ignoreLabel the label that is skipped (outside [0, K)), or -1 for none.
@param counts K x K CV_64F accumulator; allocated (zeros) when empty. Labels out of range raise
cv::Exception naming the value and its position, and leave counts unchanged. */
CV_EXPORTS_W void accumulateClassAdjacency(InputArray labels, int numClasses, int ignoreLabel,
                                           InputOutputArray counts);

/** @brief Cosine similarity of every pair of rows of `weights` (K x D, CV_32F or CV_64F), e.g. a
classifier's weight matrix: a K x K CV_64F matrix, 1 on the diagonal. A zero row has similarity 0
with every row (and 1 with itself). */
CV_EXPORTS_W Mat rowCosineSimilarity(InputArray weights);

//! One point of the analysis: a class, its most adjacent class and what they share.
struct CV_EXPORTS_W_SIMPLE AdjacentClassPair
{
    CV_WRAP AdjacentClassPair() : classA(-1), classB(-1), adjacency(0), similarity(0) {}

    CV_PROP_RW int classA;         //!< the smaller class index of the pair
    CV_PROP_RW int classB;         //!< the larger class index of the pair
    CV_PROP_RW double adjacency;   //!< counts(classA, classB) of accumulateClassAdjacency
    CV_PROP_RW double similarity;  //!< similarity(classA, classB), e.g. of rowCosineSimilarity
};

/** @brief For each class, the class it is most often adjacent to; each unordered pair listed once,
sorted by decreasing adjacency (ties: by classA, then classB).

A class without any neighbour gives no pair; among equally adjacent partners the smaller index is
taken.
@param adjacency K x K CV_64F symmetric counts (accumulateClassAdjacency).
@param similarity K x K matrix giving each pair's similarity (rowCosineSimilarity), or empty (0). */
CV_EXPORTS std::vector<AdjacentClassPair> mostAdjacentClassPairs(InputArray adjacency,
                                                                 InputArray similarity = noArray());

//! @}
//! @}

}} // namespace cv::escrf

#endif
