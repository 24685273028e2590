// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's forward and backward passes: projection at each input's own resolution,
// bilinear resize to the head resolution, ReLU, ES-CRF block, 1x1 classifier.
#include "precomp.hpp"
#include "opencv2/escrf/head.hpp"
#include "block/block_plan.hpp"
#include "head/bilinear.hpp"
#include "head/head_cache.hpp"
#include "head/head_parameters.hpp"
#include "superpixels/superpixels_detail.hpp"
#include "head/head_rows.hpp"

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

int headVariantFromString(const String& name)
{
    if (name == "baseline") return HEAD_BASELINE;
    if (name == "pairwise") return HEAD_PAIRWISE;
    if (name == "superpixel") return HEAD_SUPERPIXEL;
    if (name == "escrf") return HEAD_ESCRF;
    CV_Error_(Error::StsBadArg, ("head variant: expected baseline, pairwise, superpixel or escrf, got '%s'",
                                 name.c_str()));
}

String headVariantToString(int variant)
{
    switch (variant)
    {
    case HEAD_BASELINE: return "baseline";
    case HEAD_PAIRWISE: return "pairwise";
    case HEAD_SUPERPIXEL: return "superpixel";
    case HEAD_ESCRF: return "escrf";
    }
    CV_Error_(Error::StsBadArg, ("head variant: expected 0..3 (HeadVariant), got %d", variant));
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
    if (config.variant != HEAD_BASELINE)
    {
        block::checkParams(who + ": config.block", config.block);
        checkSuperpixelParams(config.superpixels, Size());
    }
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
    if (config.variant != HEAD_BASELINE)
        head->blockWeights = EscrfBlockWeights::create(head->effectiveBlockParams(), D, rng, CV_32F);
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
    return config_.variant != HEAD_BASELINE;
}

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
    const int D = featureChannels(), K = config_.numClasses;
    const int N = headSize.area(), w = headSize.width;
    detail::HeadProjection projection;
    projection.prepare(*this, inputs, headSize);
    detail::checkHeadGuide(*this, guide, headSize, "Head::forward");

    // The stages of head_rows.hpp over the whole map, keeping what backward() reads.
    Mat Z(D, N, CV_32F);
    Mat F = config_.projection > 0 && config_.projectionRelu ? Mat(D, N, CV_32F) : Z;
    const int bands = std::max(1, std::min(headSize.height, N / 4096));
    parallel_for_(Range(0, bands), [&](const Range& r) {
        std::vector<float> scratch;
        for (int b = r.start; b < r.end; b++)
        {
            const int y0 = headSize.height * b / bands, y1 = headSize.height * (b + 1) / bands;
            projection.rows(y0, y1, Z.ptr<float>() + (size_t)y0 * w, F.ptr<float>() + (size_t)y0 * w, N, scratch);
        }
    });

    Mat Fstar = F;
    Ptr<detail::HeadCacheState> saved;
    if (cache)
        saved = makePtr<detail::HeadCacheState>();
    if (config_.variant != HEAD_BASELINE)
        escrfBlockForward(effectiveBlockParams(), blockWeights, *guide, F, Fstar, saved ? &saved->block : nullptr);
    logits.create(K, N, CV_32F);
    const Mat Fs = Fstar;
    detail::Conv1x1 classifier;
    classifier.set(classifierWeights, classifierBias);
    parallel_for_(Range(0, bands), [&](const Range& r) {
        const int i0 = (int)((int64)N * r.start / bands), i1 = (int)((int64)N * r.end / bands);
        classifier.cells(Fs.ptr<float>() + i0, N, i1 - i0, logits.ptr<float>() + i0, N, false);
    });

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

    // Classifier.
    gemm(dLogits, Fstar, 1.0, g.classifierWeights, 1.0, g.classifierWeights, GEMM_2_T);
    Mat rowSum;
    reduce(dLogits, rowSum, 1, REDUCE_SUM, CV_32F);
    g.classifierBias += rowSum;
    Mat dFstar;
    gemm(classifierWeights, dLogits, 1.0, noArray(), 0.0, dFstar, GEMM_1_T);

    // Block.
    Mat dF = dFstar;
    if (config_.variant != HEAD_BASELINE)
    {
        CV_Assert(guide);
        escrfBlockBackward(effectiveBlockParams(), blockWeights, *guide, F, saved.block, dFstar, dF, g.blockWeights);
    }

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
