// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_FEATURE_CACHE_HPP
#define OPENCV_ESCRF_TRAIN_FEATURE_CACHE_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/backbone.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "superpixels/superpixel_task.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Everything a training or validation step needs of one image (features as CV_32F blobs).
struct CachedSample
{
    std::vector<Mat> features; //!< backbone outputs, 1 x C x h x w each
    Mat image;                 //!< CV_8UC3 BGR
    Mat labels;                //!< CV_32SC1
    Mat superpixels;           //!< CV_32SC1 (empty when the head needs none)
    int numSuperpixels = 0;
};

/** Backbone outputs of a data set, computed once. Features are kept as float16 in memory
 * up to a budget; with a folder, every output of every sample is also stored there (keyed by the
 * image, the flip, the model, its preprocessing and the output name) and reused by later runs, also by heads that
 * read other outputs, and samples beyond the budget are read back from it on demand. */
class FeatureCache
{
public:
    FeatureCache(const Ptr<Backbone>& backbone, const std::vector<String>& outputs,
                 const SuperpixelParams* superpixels, double budgetMB, const String& folder);

    //! Adds one image (flipped horizontally when flip); `what` names it in messages.
    void add(const Mat& image, const Mat& labels, bool flip, const String& what);
    int size() const { return (int)entries_.size(); }
    //! Sample i with float32 features.
    void get(int i, CachedSample& sample) const;
    //! Bytes of features held in memory.
    size_t memoryBytes() const { return bytes_; }

private:
    struct Entry
    {
        std::vector<Mat> features; // CV_16F, empty when on disk only
        std::vector<String> files; // on-disk copies, one per output (empty when none)
        Mat image, labels, superpixels;
        int numSuperpixels = 0;
    };
    // The steps of add().
    void startSuperpixels(Entry& e, bool flip, const String& what, String& spFile, SuperpixelTask& task) const;
    void finishSuperpixels(Entry& e, const Mat& sp, int M, const String& spFile) const;
    std::vector<Mat> computeFeatures(Entry& e, bool flip, const String& what) const;
    void keepFeatures(Entry& e, const std::vector<Mat>& half, const String& what);

    Ptr<Backbone> backbone_;
    std::vector<String> outputs_;
    bool superpixels_ = false;
    SuperpixelParams spParams_;
    size_t budget_;
    String folder_;
    size_t bytes_ = 0;
    std::vector<Entry> entries_;
};

}}} // namespace cv::escrf::detail

#endif
