// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's forward and backward passes: projection at each input's own resolution,
// bilinear resize to the head resolution, ReLU, the variant's stage on the features, 1x1
// classifier, the variant's stage on the scores (head_stages.cpp).
#include "precomp.hpp"
#include "opencv2/escrf/head.hpp"
#include "block/block_plan.hpp"
#include "head/bilinear.hpp"
#include "head/head_cache.hpp"
#include "head/head_parameters.hpp"
#include "superpixels/superpixels_detail.hpp"
#include "head/head_rows.hpp"
#include "head/head_stages.hpp"
#include "head/head_variants.hpp"

namespace cv {
namespace escrf {

namespace {

// Kaiming-uniform bound of a 1x1 convolution with fanIn inputs, as PyTorch initialises it.
void kaimingUniform(Mat& w, int fanIn, RNG& rng)
{
    const float bound = 1.f / std::sqrt((float)fanIn);
    rng.fill(w, RNG::UNIFORM, -bound, bound);
}

} // namespace

JointCrfOptions::JointCrfOptions()
    : iterations(5), inferenceIterations(-1), factor(4), bilateralSxy(50.f), bilateralSrgb(3.f), spatialSxy(3.f)
{
}

NonlocalOptions::NonlocalOptions() : embedDim(8), factor(8)
{
}

HeadConfig::HeadConfig()
    : variant(HEAD_ESCRF), stride(1), projection(16), projectionRelu(true), numClasses(0)
{
}

namespace detail {

void checkHeadConfig(const HeadConfig& config, const std::vector<int>& inputChannels, const String& who)
{
    const char* w = who.c_str();
    headVariantToString(config.variant); // validates
    if (config.inputs.empty() || (int)config.inputs.size() > kMaxHeadInputs)
        CV_Error_(Error::StsOutOfRange, ("%s: config.inputs names %d backbone outputs, expected 1..%d (kMaxHeadInputs)",
                                         w, (int)config.inputs.size(), (int)kMaxHeadInputs));
    if (inputChannels.size() != config.inputs.size())
        CV_Error_(Error::StsBadArg, ("%s: inputChannels has %d entries, config.inputs has %d", w,
                                     (int)inputChannels.size(), (int)config.inputs.size()));
    int64 sumChannels = 0;
    for (size_t i = 0; i < inputChannels.size(); i++)
    {
        if (inputChannels[i] <= 0 || inputChannels[i] > kMaxInputChannels)
            CV_Error_(Error::StsOutOfRange, ("%s: input '%s' has %d channels, expected 1..%d (kMaxInputChannels)", w,
                                             config.inputs[i].c_str(), inputChannels[i], (int)kMaxInputChannels));
        sumChannels += inputChannels[i];
    }
    if (config.stride < 1 || config.stride > kMaxHeadStride)
        CV_Error_(Error::StsOutOfRange, ("%s: config.stride = %d, expected 1..%d (kMaxHeadStride)", w, config.stride,
                                         (int)kMaxHeadStride));
    if (config.projection < 0 || config.projection > kMaxProjection)
        CV_Error_(Error::StsOutOfRange, ("%s: config.projection = %d, expected 0 (none) .. %d (kMaxProjection)", w,
                                         config.projection, (int)kMaxProjection));
    if (config.projection == 0 && sumChannels > kMaxProjection)
        CV_Error_(Error::StsOutOfRange, ("%s: without a projection the %lld input channels are the features, "
                                         "expected at most %d (kMaxProjection)", w, (long long)sumChannels,
                                         (int)kMaxProjection));
    if (config.numClasses < 1 || config.numClasses > kMaxClasses)
        CV_Error_(Error::StsOutOfRange, ("%s: config.numClasses = %d, expected 1..%d (kMaxClasses)", w,
                                         config.numClasses, (int)kMaxClasses));
    const HeadVariantTraits& traits = headVariantTraits(config.variant);
    if (traits.stage == STAGE_BLOCK)
        block::checkParams(who + ": config.block", config.block);
    if (traits.superpixels)
        checkSuperpixelParams(config.superpixels, Size());
    checkStageOptions(config);
    int64 total = 0;
    for (const ParameterShape& s : headParameterShapes(config, inputChannels))
        total += (int64)s.rows * s.cols;
    if (total > kMaxHeadParameters)
        CV_Error_(Error::StsOutOfRange, ("%s: this configuration has %lld parameters, at most %d (kMaxHeadParameters)",
                                         w, (long long)total, (int)kMaxHeadParameters));
}

} // namespace detail

Ptr<Head> Head::create(const HeadConfig& config, const std::vector<int>& inputChannels, uint64 seed)
{
    detail::checkHeadConfig(config, inputChannels, "Head::create");

    Ptr<Head> head = makePtr<Head>();
    head->config_ = config;
    head->inputChannels_ = inputChannels;
    RNG rng(seed);
    const int D = head->featureChannels();
    if (config.projection > 0)
    {
        int fanIn = 0;
        for (int c : inputChannels)
            fanIn += c;
        for (int c : inputChannels)
        {
            Mat w(config.projection, c, CV_32F);
            kaimingUniform(w, fanIn, rng);
            head->projectionWeights.push_back(w);
        }
        head->projectionBias = Mat::zeros(config.projection, 1, CV_32F);
    }
    detail::createStageWeights(config, D, rng, *head);   // before the classifier: the seed's draws
    head->classifierWeights.create(config.numClasses, D, CV_32F);
    kaimingUniform(head->classifierWeights, D, rng);
    head->classifierBias = Mat::zeros(config.numClasses, 1, CV_32F);
    return head;
}

int Head::featureChannels() const
{
    if (config_.projection > 0)
        return config_.projection;
    int sum = 0;
    for (int c : inputChannels_)
        sum += c;
    return sum;
}

bool Head::needsGuide() const
{
    return detail::headVariantTraits(config_.variant).guideImage;
}

bool Head::needsSuperpixels() const
{
    return detail::headVariantTraits(config_.variant).superpixels;
}

void Head::setJointCrfInferenceIterations(int iterations)
{
    if (iterations < -1)
        CV_Error_(Error::StsOutOfRange, ("Head::setJointCrfInferenceIterations: iterations = %d, expected >= 0 or -1 "
                                         "(the training value)", iterations));
    config_.jointCrf.inferenceIterations = iterations;
}

namespace detail {

void headFeatures(const Head& head, const std::vector<Mat>& inputs, Size headSize, Mat& Z, Mat& F)
{
    HeadProjection projection;
    projection.prepare(head, inputs, headSize);
    const int D = head.featureChannels(), N = headSize.area(), w = headSize.width;
    const HeadConfig& config = head.config();
    Z.create(D, N, CV_32F);
    F = config.projection > 0 && config.projectionRelu ? Mat(D, N, CV_32F) : Z;
    const int bands = std::max(1, std::min(headSize.height, N / 4096));
    parallel_for_(Range(0, bands), [&](const Range& r) {
        std::vector<float> scratch;
        for (int b = r.start; b < r.end; b++)
        {
            const int y0 = headSize.height * b / bands, y1 = headSize.height * (b + 1) / bands;
            projection.rows(y0, y1, Z.ptr<float>() + (size_t)y0 * w, F.ptr<float>() + (size_t)y0 * w, N, scratch);
        }
    });
}

} // namespace detail

void Head::forward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                   Mat& logits, HeadCache* cache) const
{
    if (classifierWeights.empty())
        CV_Error(Error::StsBadArg, "Head::forward: the head has no weights (use Head::create or Head::load)");
    if (inputs.size() != config_.inputs.size())
        CV_Error_(Error::StsBadArg, ("Head::forward: expected %d inputs (%s...), got %d",
                                     (int)config_.inputs.size(), config_.inputs[0].c_str(), (int)inputs.size()));
    if (headSize.empty())
        CV_Error(Error::StsBadArg, "Head::forward: headSize must not be empty");
    const int K = config_.numClasses, N = headSize.area();
    // The stages of head_rows.hpp over the whole map, keeping what backward() reads.
    Mat Z, F;
    detail::headFeatures(*this, inputs, headSize, Z, F);
    detail::checkHeadGuide(*this, guide, headSize, "Head::forward");

    Ptr<detail::HeadCacheState> saved;
    if (cache)
        saved = makePtr<detail::HeadCacheState>();
    Mat Fstar;
    detail::featureStageForward(*this, headSize, guide, F, Fstar, saved.get());
    logits.create(K, N, CV_32F);
    const Mat Fs = Fstar;
    detail::Conv1x1 classifier;
    classifier.set(classifierWeights, classifierBias);
    const int bands = std::max(1, std::min(headSize.height, N / 4096));
    parallel_for_(Range(0, bands), [&](const Range& r) {
        const int i0 = (int)((int64)N * r.start / bands), i1 = (int)((int64)N * r.end / bands);
        classifier.cells(Fs.ptr<float>() + i0, N, i1 - i0, logits.ptr<float>() + i0, N, false);
    });
    detail::scoreStageForward(*this, headSize, guide, logits, saved.get());

    if (cache)
    {
        saved->Z = Z;
        saved->F = F;
        saved->Fstar = Fstar;
        cache->setState(saved);
    }
}

void Head::backward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                    const HeadCache& cache, const Mat& dLogits, std::vector<Mat>& grads) const
{
    const int N = headSize.area();
    if (cache.empty())
        CV_Error(Error::StsBadArg, "Head::backward: cache was not filled by forward()");
    const detail::HeadCacheState& saved = *cache.state();
    if (dLogits.type() != CV_32F || dLogits.rows != config_.numClasses || dLogits.cols != N)
        CV_Error_(Error::StsBadArg, ("Head::backward: dLogits must be CV_32F %d x %d", config_.numClasses, N));
    detail::checkHeadGradients(*this, grads, "Head::backward");
    if (saved.Z.cols != N)
        CV_Error_(Error::StsBadArg, ("Head::backward: headSize %dx%d differs from the forward pass that filled the cache",
                                     headSize.width, headSize.height));
    // The gradients by member (headers onto grads), in the layout of the parameter table.
    detail::HeadTensors g = detail::bindHeadGradients(*this, grads);
    const Mat &Z = saved.Z, &F = saved.F, &Fstar = saved.Fstar;

    // The stage on the scores, then the classifier.
    Mat dScores;
    detail::scoreStageBackward(*this, saved, dLogits, dScores, g);
    gemm(dScores, Fstar, 1.0, g.classifierWeights, 1.0, g.classifierWeights, GEMM_2_T);
    Mat rowSum;
    reduce(dScores, rowSum, 1, REDUCE_SUM, CV_32F);
    g.classifierBias += rowSum;
    Mat dFstar;
    gemm(classifierWeights, dScores, 1.0, noArray(), 0.0, dFstar, GEMM_1_T);

    // The stage on the features.
    detail::checkHeadGuide(*this, guide, headSize, "Head::backward");
    Mat dF;
    detail::featureStageBackward(*this, headSize, guide, F, saved, dFstar, dF, g);

    // Projection (ReLU, bias, resize adjoint, 1x1 weights at each input's resolution).
    if (config_.projection > 0)
    {
        Mat dZ;
        if (config_.projectionRelu)
        {
            // A fresh buffer: assigning Mat::zeros() to a header of dF would zero dF itself.
            dZ.create(dF.size(), CV_32F);
            dZ.setTo(0);
            dF.copyTo(dZ, Z > 0);
        }
        else
            dZ = dF;
        reduce(dZ, rowSum, 1, REDUCE_SUM, CV_32F);
        g.projectionBias += rowSum;
        Mat dP;
        for (size_t l = 0; l < inputs.size(); l++)
        {
            Size sz;
            Mat X = detail::headInputPlanes(inputs[l], inputChannels_[l], sz, config_.inputs[l]);
            detail::resizeBilinearAdjoint(dZ, sz, headSize, dP);
            gemm(dP, X, 1.0, g.projectionWeights[l], 1.0, g.projectionWeights[l], GEMM_2_T);
        }
    }
    detail::addScalarGradients(*this, g, grads);
}

}} // namespace cv::escrf
