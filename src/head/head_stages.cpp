// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/head_stages.hpp"
#include "block/block_plan.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

HeadStage stageOf(const Head& head)
{
    return headVariantTraits(head.config().variant).stage;
}

} // namespace

void checkStageOptions(const HeadConfig& config)
{
    const HeadVariantTraits& traits = headVariantTraits(config.variant);
    if (traits.stage == STAGE_JOINT_CRF)
    {
        checkCrfRnnParams("Head::create", "config.jointCrf", crfRnnParams(config, true));
        if (config.jointCrf.inferenceIterations < -1)
            CV_Error_(Error::StsOutOfRange, ("Head::create: config.jointCrf.inferenceIterations = %d, expected >= 0 "
                                             "or -1 (the training value)", config.jointCrf.inferenceIterations));
    }
    if (traits.stage == STAGE_NONLOCAL)
        checkNonlocalParams("Head::create", "config.nonlocal", nonlocalParams(config));
}

void createStageWeights(const HeadConfig& config, int channels, RNG& rng, Head& head)
{
    switch (headVariantTraits(config.variant).stage)
    {
    case STAGE_BLOCK:
        head.blockWeights = EscrfBlockWeights::create(effectiveBlockParams(config), channels, rng, CV_32F);
        return;
    case STAGE_NONLOCAL:
    {
        const NonlocalWeights w = NonlocalWeights::create(nonlocalParams(config), channels, rng);
        head.nonlocalTheta = w.W_theta;
        head.nonlocalPhi = w.W_phi;
        head.nonlocalG = w.W_g;
        head.nonlocalOut = w.W_out;   // zero: a new block is the identity
        return;
    }
    case STAGE_JOINT_CRF:
    {
        // Potts compatibility and zero kernel weights: a new stage is the identity too. DenseCRF's
        // weights (CrfRnnWeights::create) would act on the random scores of a new classifier and put
        // every cell on one label (doc/variants.md, "In the head").
        const CrfRnnWeights w = CrfRnnWeights::create(config.numClasses);
        head.crfBilateral = Mat::zeros(w.bilateral.size(), CV_32F);
        head.crfSpatial = Mat::zeros(w.spatial.size(), CV_32F);
        head.crfCompat = w.compat;
        return;
    }
    default:
        return;
    }
}

CrfRnnParams crfRnnParams(const HeadConfig& config, bool training)
{
    const JointCrfOptions& o = config.jointCrf;
    CrfRnnParams p;
    p.iterations = training || o.inferenceIterations < 0 ? o.iterations : o.inferenceIterations;
    p.factor = o.factor;
    p.bilateralSxy = o.bilateralSxy;
    p.bilateralSrgb = o.bilateralSrgb;
    p.spatialSxy = o.spatialSxy;
    return p;
}

NonlocalParams nonlocalParams(const HeadConfig& config)
{
    NonlocalParams p;
    p.embedDim = config.nonlocal.embedDim;
    p.factor = config.nonlocal.factor;
    return p;
}

void featureStageForward(const Head& head, Size headSize, const EscrfGuide* guide, const Mat& F, Mat& Fstar,
                         HeadCacheState* saved)
{
    switch (stageOf(head))
    {
    case STAGE_BLOCK:
        escrfBlockForward(head.effectiveBlockParams(), head.blockWeights, *guide, F, Fstar,
                          saved ? &saved->block : nullptr);
        return;
    case STAGE_NONLOCAL:
        nonlocalForward(nonlocalParams(head.config()), nonlocalWeightsOf(head), headSize, F, Fstar,
                        saved ? &saved->nonlocal : nullptr);
        return;
    default:
        Fstar = F;
    }
}

void featureStageBackward(const Head& head, Size headSize, const EscrfGuide* guide, const Mat& F,
                          const HeadCacheState& saved, const Mat& dFstar, Mat& dF, HeadTensors& g)
{
    switch (stageOf(head))
    {
    case STAGE_BLOCK:
        escrfBlockBackward(head.effectiveBlockParams(), head.blockWeights, *guide, F, saved.block, dFstar, dF,
                           g.blockWeights);
        return;
    case STAGE_NONLOCAL:
    {
        NonlocalWeights grads = nonlocalWeightsOf(g);
        nonlocalBackward(nonlocalParams(head.config()), nonlocalWeightsOf(head), headSize, F, saved.nonlocal, dFstar,
                         dF, grads);
        return;
    }
    default:
        dF = dFstar;
    }
}

void scoreStageForward(const Head& head, Size headSize, const EscrfGuide* guide, Mat& logits, HeadCacheState* saved)
{
    if (stageOf(head) != STAGE_JOINT_CRF)
        return;
    const HeadConfig& cfg = head.config();
    const CrfRnnParams params = crfRnnParams(cfg, saved != nullptr);
    // The kernels of this image, built once for the forward pass and kept for the backward pass.
    const Size imageSize(headSize.width * cfg.stride, headSize.height * cfg.stride);
    auto crfGuide = std::make_shared<const CrfRnnGuide>(params, guide->image, headSize, imageSize);
    Mat refined;
    crfRnnForward(params, crfWeightsOf(head), *crfGuide, logits, refined, saved ? &saved->crf : nullptr);
    logits = refined;
    if (saved)
        saved->crfGuide = crfGuide;
}

void scoreStageBackward(const Head& head, const HeadCacheState& saved, const Mat& dLogits, Mat& dScores,
                        HeadTensors& g)
{
    if (stageOf(head) != STAGE_JOINT_CRF)
    {
        dScores = dLogits;
        return;
    }
    if (!saved.crfGuide)
        CV_Error(Error::StsBadArg, "Head::backward: the cache holds no joint-crf state (filled by another head?)");
    CrfRnnWeights grads = crfWeightsOf(g);
    crfRnnBackward(crfRnnParams(head.config(), true), crfWeightsOf(head), *saved.crfGuide, saved.crf, dLogits, dScores,
                   grads);
}

}}} // namespace cv::escrf::detail
