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
#include "head/head_stages.hpp"

namespace cv {
namespace escrf {

namespace {

// A 1 x C x h x w blob (or a C x N matrix) as a continuous C x (h*w) CV_32F header.
Mat planar(const Mat& blob, int channels, Size& size, const String& name)
{
    if (blob.empty())
        CV_Error_(Error::StsBadArg, ("Head: input '%s' is empty", name.c_str()));
    if (blob.type() != CV_32F || !blob.isContinuous())
        CV_Error_(Error::StsBadArg, ("Head: input '%s' must be a continuous CV_32F blob", name.c_str()));
    if (blob.dims != 4 || blob.size[0] != 1 || blob.size[1] != channels)
        CV_Error_(Error::StsBadArg, ("Head: input '%s' must be a 1 x %d x h x w blob, got dims=%d channels=%d",
                                     name.c_str(), channels, blob.dims, blob.dims >= 2 ? blob.size[1] : -1));
    size = Size(blob.size[3], blob.size[2]);
    return Mat(channels, size.area(), CV_32F, (void*)blob.ptr<float>());
}

// Kaiming-uniform bound of a 1x1 convolution with fanIn inputs, as PyTorch initialises it.
void kaimingUniform(Mat& w, int fanIn, RNG& rng)
{
    const float bound = 1.f / std::sqrt((float)fanIn);
    rng.fill(w, RNG::UNIFORM, -bound, bound);
}

// m.row(r) += bias(r) for a D x N matrix and a D x 1 bias, without a D x N temporary.
void addRowBias(Mat& m, const Mat& bias)
{
    CV_Assert(m.type() == CV_32F && bias.type() == CV_32F && bias.total() == (size_t)m.rows);
    parallel_for_(Range(0, m.rows), [&](const Range& r) {
        for (int d = r.start; d < r.end; d++)
        {
            float* row = m.ptr<float>(d);
            const float b = bias.at<float>(d);
            for (int i = 0; i < m.cols; i++)
                row[i] += b;
        }
    });
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

Ptr<Head> Head::create(const HeadConfig& config, const std::vector<int>& inputChannels, uint64 seed)
{
    headVariantToString(config.variant); // validates
    if (config.inputs.empty())
        CV_Error(Error::StsBadArg, "HeadConfig::inputs: expected at least one backbone output name");
    if (inputChannels.size() != config.inputs.size())
        CV_Error_(Error::StsBadArg, ("Head::create: inputChannels has %d entries, config.inputs has %d",
                                     (int)inputChannels.size(), (int)config.inputs.size()));
    for (size_t i = 0; i < inputChannels.size(); i++)
        if (inputChannels[i] <= 0)
            CV_Error_(Error::StsBadArg, ("Head::create: input '%s' has %d channels, expected > 0",
                                         config.inputs[i].c_str(), inputChannels[i]));
    if (config.stride < 1)
        CV_Error_(Error::StsBadArg, ("HeadConfig::stride: expected >= 1, got %d", config.stride));
    if (config.projection < 0)
        CV_Error_(Error::StsBadArg, ("HeadConfig::projection: expected >= 0, got %d", config.projection));
    if (config.numClasses < 1)
        CV_Error_(Error::StsBadArg, ("HeadConfig::numClasses: expected >= 1, got %d", config.numClasses));
    detail::checkStageOptions(config);

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
    const HeadConfig& config = head.config();
    const int D = head.featureChannels();
    const int N = headSize.area();

    Z = Mat(D, N, CV_32F, Scalar(0));
    int row = 0;
    for (size_t l = 0; l < inputs.size(); l++)
    {
        // Fresh headers per input: a same-size resize shares its source, which must never be
        // written by the next input's resize.
        Mat tmp, resized;
        Size sz;
        Mat X = planar(inputs[l], head.inputChannels()[l], sz, config.inputs[l]);
        if (config.projection > 0)
        {
            // Project first, at the input's own resolution: it commutes with the resize.
            gemm(head.projectionWeights[l], X, 1.0, noArray(), 0.0, tmp);
            detail::resizeBilinear(tmp, sz, headSize, resized);
            Z += resized;
        }
        else
        {
            Mat dst = Z.rowRange(row, row + X.rows);
            detail::resizeBilinear(X, sz, headSize, resized);
            resized.copyTo(dst);
            row += X.rows;
        }
    }
    if (config.projection > 0)
    {
        addRowBias(Z, head.projectionBias);
        F = config.projectionRelu ? Mat(max(Z, 0.f)) : Z;
    }
    else
        F = Z;
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
    detail::checkHeadGuide(*this, headSize, guide, "Head::forward");
    Mat Z, F;
    detail::headFeatures(*this, inputs, headSize, Z, F);

    Ptr<detail::HeadCacheState> saved;
    if (cache)
        saved = makePtr<detail::HeadCacheState>();
    Mat Fstar;
    detail::featureStageForward(*this, headSize, guide, F, Fstar, saved.get());
    gemm(classifierWeights, Fstar, 1.0, noArray(), 0.0, logits);
    addRowBias(logits, classifierBias);
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
    detail::checkHeadGuide(*this, headSize, guide, "Head::backward");
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
            Mat X = planar(inputs[l], inputChannels_[l], sz, config_.inputs[l]);
            detail::resizeBilinearAdjoint(dZ, sz, headSize, dP);
            gemm(dP, X, 1.0, g.projectionWeights[l], 1.0, g.projectionWeights[l], GEMM_2_T);
        }
    }
    detail::addScalarGradients(*this, g, grads);
}

}} // namespace cv::escrf
