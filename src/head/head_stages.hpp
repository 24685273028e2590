// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The stage each head variant adds to the projection and the classifier (head_variants.hpp says
// which): on the features before the classifier (the ES-CRF block, the non-local block) or on the
// class scores after it (the joint-crf mean field). Head::forward / Head::backward call the two
// hooks; a new variant adds its case here.
#ifndef OPENCV_ESCRF_HEAD_STAGES_HPP
#define OPENCV_ESCRF_HEAD_STAGES_HPP

#include "opencv2/escrf/head.hpp"
#include "block/nonlocal.hpp"
#include "crf/crf_rnn.hpp"
#include "head/head_cache.hpp"
#include "head/head_parameters.hpp"
#include "head/head_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** The features the stages start from, for one image: Z (D x N) the projections at each input's
 * resolution resized to headSize and summed with the bias (or the resized inputs concatenated) and
 * F the ReLU of Z (or Z), as Head::forward computes them. The inputs are checked. */
void headFeatures(const Head& head, const std::vector<Mat>& inputs, Size headSize, Mat& Z, Mat& F);

/** Checks the options of the comparison stages in config (jointCrf, nonlocal) for their variant, as
 * Head::create needs them (detail::checkHeadConfig checks the block and superpixel options). */
void checkStageOptions(const HeadConfig& config);

/** The initial weights of the variant's stage (members of head), for `channels` features: the
block's, the non-local block's (drawing from rng, in this order before the classifier) or the
joint-crf's (no draws). */
void createStageWeights(const HeadConfig& config, int channels, RNG& rng, Head& head);

/* The cores' weight structs as headers onto a Head's or a HeadTensors' members (shared storage,
so that what a backward pass adds lands in the members); the dnn export reads them too. */
template <class Set>
CrfRnnWeights crfWeightsOf(Set& s)
{
    CrfRnnWeights w;
    w.bilateral = s.crfBilateral;
    w.spatial = s.crfSpatial;
    w.compat = s.crfCompat;
    return w;
}

template <class Set>
NonlocalWeights nonlocalWeightsOf(Set& s)
{
    NonlocalWeights w;
    w.W_theta = s.nonlocalTheta;
    w.W_phi = s.nonlocalPhi;
    w.W_g = s.nonlocalG;
    w.W_out = s.nonlocalOut;
    return w;
}

//! The joint-crf's settings for a head: training (iterations) or inference (inferenceIterations).
CrfRnnParams crfRnnParams(const HeadConfig& config, bool training);
//! The non-local block's settings for a head.
NonlocalParams nonlocalParams(const HeadConfig& config);

/** The stage on the D x N features: Fstar = F when the variant has none. `saved`, when not null,
 * receives the stage's cache. */
void featureStageForward(const Head& head, Size headSize, const EscrfGuide* guide, const Mat& F, Mat& Fstar,
                         HeadCacheState* saved);
//! Its backward pass: dF (dF = dFstar without a stage); weight gradients ADDED to g.
void featureStageBackward(const Head& head, Size headSize, const EscrfGuide* guide, const Mat& F,
                          const HeadCacheState& saved, const Mat& dFstar, Mat& dF, HeadTensors& g);

/** The stage on the K x N logits (joint-crf; nothing otherwise), replacing them. With `saved` it runs
 * the training iterations and keeps what its backward pass needs, else the inference iterations. */
void scoreStageForward(const Head& head, Size headSize, const EscrfGuide* guide, Mat& logits,
                       HeadCacheState* saved);
//! Its backward pass: dScores, the gradient of the classifier's logits (= dLogits without a stage).
void scoreStageBackward(const Head& head, const HeadCacheState& saved, const Mat& dLogits, Mat& dScores,
                        HeadTensors& g);

}}} // namespace cv::escrf::detail

#endif
