// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's CPU inference path: Head::forward without what only a backward pass reads, fused
// by rows. Two passes over the head resolution:
//  1. the projection (head_rows.hpp) gives F, D x N, the one full-resolution tensor kept (the
//     window reads neighbouring rows of it and the superpixel prior its means over the image);
//  2. strips of rows in parallel, row by row: the block's row (block_rows.hpp: prior, windowed
//     message, fusion), the classifier and, for a label map, the argmax, all in row buffers:
//     no F*, no embeddings, no pairs, no logits unless asked for.
// The functions are those of the training path, so both compute the same numbers (the tests
// check it for every variant and option). The comparison variants without a row form (joint-crf:
// a mean field over the whole map after the classifier; nonlocal: attention over all cells) run
// Head::forward whole at setGuide() and keep its logits. Buffers are members and keep their size: a steady
// stream of images of one size allocates nothing large.
#ifndef OPENCV_ESCRF_HEAD_INFERENCE_HPP
#define OPENCV_ESCRF_HEAD_INFERENCE_HPP

#include "opencv2/escrf/head.hpp"
#include "block/block_rows.hpp"
#include "head/head_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

class HeadInference
{
public:
    /** Pass 1: F of the inputs (as for Head::forward) at headSize. The head and the inputs must
    outlive the next labels() / logits(). */
    void project(const Head& head, const std::vector<Mat>& inputs, Size headSize);

    /** The guide of the processed image (CV_8UC3 BGR, the image the backbone read) and its
    superpixel labels (CV_32SC1, that size; empty for a variant without superpixels), at the head
    resolution; after project(). Nothing to do for the baseline variant. */
    void setGuide(const Mat& bgr8, const Mat& superpixels, int numSuperpixels);

    //! The guide as Head::forward takes it (checked as Head::forward checks it).
    void setGuide(const EscrfGuide* guide);

    //! Pass 2: the K x N logits at the head resolution (Head::forward's).
    void logits(Mat& logits);

    /** Pass 2 with the argmax, at the head resolution, of its top-left outSize cells (the processed
    image is the input padded at the right and bottom): a CV_8U or CV_32S label map. */
    void labels(Size outSize, int ltype, Mat& labels);

private:
    void prepareRows();
    // Head::forward of a variant without a row form (whole_), into wholeLogits_.
    void runWhole(const EscrfGuide* guide);
    // Runs fn(y, logitsRow) for the rows [0, rows) in parallel strips; logitsRow holds K x w.
    template <typename Fn> void forRows(int rows, const Fn& fn);

    const Head* head_ = nullptr;
    HeadProjection projection_;
    Conv1x1 classifier_;
    Size headSize_;
    Mat F_;                                     // D x N
    block::GuideBuffers guideBuffers_;
    block::GuideView guide_;
    bool hasGuide_ = false;
    bool whole_ = false;                        // joint-crf, nonlocal: Head::forward, not rows
    const std::vector<Mat>* inputs_ = nullptr;  // their inputs (project() to setGuide())
    Mat wholeLogits_;                           // their K x N logits
    block::BlockRows<float> rows_;
    std::vector<std::vector<float> > strips_;   // per-strip scratch
    std::vector<std::vector<float> > resize_;   // per-strip scratch of the projection
};

}}} // namespace cv::escrf::detail

#endif
