// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The solver loop: cache backbone outputs, then mini-batch steps of head forward, loss,
// head backward and optimizer update, with validation, checkpoints and resumption.
#include "precomp.hpp"
#include "opencv2/escrf/train.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "core/alignment.hpp"
#include "head/argmax.hpp"
#include "head/bilinear.hpp"
#include "head/head_cuda.hpp"
#include "core/cuda_device.hpp"
#include "train/checkpoint.hpp"
#include "train/feature_cache.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
#include "train/progress.hpp"

namespace cv {
namespace escrf {

TrainParams::TrainParams()
    : epochs(3), batchSize(4), optimizer(OPTIMIZER_ADAMW), learningRate(5e-3), momentum(0.9), beta2(0.999),
      weightDecay(1e-4), schedule(LR_POLY), polyPower(0.9), warmupSteps(20), classWeighting(CLASS_WEIGHTS_NONE),
      flip(true), valEvery(1), seed(1), cacheBudgetMB(6000), checkpointEvery(50), resume(true), maxImages(0),
      verbose(1), device(TRAIN_DEVICE_CPU)
{
}

HeadTrainer::~HeadTrainer() {}

namespace {

using detail::CachedSample;
using detail::FeatureCache;

class HeadTrainerImpl CV_FINAL : public HeadTrainer
{
public:
    HeadTrainerImpl(const BackboneDescription& backbone, const HeadConfig& config, const TrainParams& params)
        : desc_(backbone), config_(config), p_(params)
    {
        desc_.validate();
        if (config_.numClasses == 0)
            config_.numClasses = desc_.numClasses();
        if (config_.numClasses != desc_.numClasses())
            CV_Error_(Error::StsBadArg, ("HeadTrainer: config.numClasses is %d but the backbone has %d classes",
                                         config_.numClasses, desc_.numClasses()));
        if (config_.inputs.empty())
            CV_Error(Error::StsBadArg, "HeadTrainer: config.inputs names no backbone output");
        if (p_.epochs < 1 || p_.batchSize < 1 || !(p_.learningRate > 0) || p_.valEvery < 0 || p_.maxImages < 0)
            CV_Error_(Error::StsBadArg, ("HeadTrainer: expected epochs >= 1, batchSize >= 1, learningRate > 0, "
                                         "valEvery >= 0, maxImages >= 0; got %d, %d, %g, %d, %d",
                                         p_.epochs, p_.batchSize, p_.learningRate, p_.valEvery, p_.maxImages));
        if (p_.device != TRAIN_DEVICE_CPU && p_.device != TRAIN_DEVICE_CUDA)
            CV_Error_(Error::StsBadArg, ("TrainParams::device: expected TRAIN_DEVICE_CPU (0) or TRAIN_DEVICE_CUDA (1), "
                                         "got %d", p_.device));
        if (p_.device == TRAIN_DEVICE_CUDA)
            detail::requireCudaDevice("HeadTrainer: TrainParams::device is TRAIN_DEVICE_CUDA", "TRAIN_DEVICE_CPU");
    }

    Ptr<Head> train(const String& trainList, const String& valList, const String& outputFile) CV_OVERRIDE;
    std::vector<TrainEpochStats> history() const CV_OVERRIDE { return history_; }
    void setStepCallback(const std::function<void(int)>& cb) CV_OVERRIDE { callback_ = cb; }

private:
    void fillCache(FeatureCache& cache, const String& list, bool flip, detail::Progress& progress);
    int alignment() const;
    std::vector<float> classWeights(const FeatureCache& cache) const;
    void validate(const Head& head, detail::HeadRunner* runner, const FeatureCache& cache, TrainEpochStats& stats) const;
    void guideFor(const Head& head, const CachedSample& s, Size headSize, EscrfGuide& guide) const;

    BackboneDescription desc_;
    HeadConfig config_;
    TrainParams p_;
    Ptr<Backbone> backbone_;
    std::vector<TrainEpochStats> history_;
    std::function<void(int)> callback_;
};

int HeadTrainerImpl::alignment() const
{
    return detail::sizeAlignment(desc_.sizeMultiple, config_.stride);
}

void HeadTrainerImpl::fillCache(FeatureCache& cache, const String& list, bool flip, detail::Progress& progress)
{
    Dataset data(list);
    if (data.empty())
        CV_Error_(Error::StsBadArg, ("HeadTrainer: list '%s' holds no samples", list.c_str()));
    const int n = p_.maxImages > 0 ? std::min(p_.maxImages, data.size()) : data.size();
    const int a = alignment(), K = config_.numClasses;
    progress.start("backbone", n);
    for (int i = 0; i < n; i++)
    {
        Mat image, labels;
        data.load(i, image, labels);
        const String where = format("%s:%d (%s)", list.c_str(), data.sample(i).line, data.sample(i).imagePath.c_str());
        if (image.cols < a || image.rows < a || image.cols % a || image.rows % a)
            CV_Error_(Error::StsBadArg, ("HeadTrainer: %s is %dx%d; training images must be at least and a multiple of %d "
                                         "(the backbone's size multiple and the head stride)",
                                         where.c_str(), image.cols, image.rows, a));
        for (int y = 0; y < labels.rows; y++)
            for (int x = 0; x < labels.cols; x++)
            {
                const int v = labels.at<int>(y, x);
                if ((v < 0 || v >= K) && v != desc_.ignoreLabel)
                    CV_Error_(Error::StsOutOfRange, ("HeadTrainer: %s: label %d at (%d, %d) is outside [0, %d) and is not "
                                                     "the ignore label %d", where.c_str(), v, x, y, K, desc_.ignoreLabel));
            }
        cache.add(image, labels, false, data.sample(i).imagePath);
        if (flip)
            cache.add(image, labels, true, data.sample(i).imagePath);
        progress.update(i + 1, -1, 1);
    }
    progress.finish(format("cached backbone outputs of %d images from %s (%.0f MB in memory)", n, list.c_str(),
                           cache.memoryBytes() / 1048576.0));
}

std::vector<float> HeadTrainerImpl::classWeights(const FeatureCache& cache) const
{
    if (p_.classWeighting == CLASS_WEIGHTS_NONE)
        return std::vector<float>();
    if (p_.classWeighting != CLASS_WEIGHTS_ENET)
        CV_Error_(Error::StsBadArg, ("TrainParams::classWeighting: expected CLASS_WEIGHTS_NONE or CLASS_WEIGHTS_ENET, got %d",
                                     p_.classWeighting));
    const int K = config_.numClasses;
    std::vector<double> counts(K, 0.0);
    CachedSample s;
    for (int i = 0; i < cache.size(); i++)
    {
        cache.get(i, s);
        for (int y = 0; y < s.labels.rows; y++)
            for (int x = 0; x < s.labels.cols; x++)
            {
                const int v = s.labels.at<int>(y, x);
                if (v >= 0 && v < K)
                    counts[v]++;
            }
    }
    double total = 0;
    for (double c : counts)
        total += c;
    std::vector<float> w(K);
    for (int k = 0; k < K; k++)
        w[k] = (float)(1.0 / std::log(1.02 + counts[k] / std::max(total, 1.0)));
    return w;
}

void HeadTrainerImpl::guideFor(const Head& head, const CachedSample& s, Size headSize, EscrfGuide& guide) const
{
    if (head.needsGuide())
        prepareGuide(s.image, s.superpixels, s.numSuperpixels, headSize, head.effectiveBlockParams(), guide);
}

void HeadTrainerImpl::validate(const Head& head, detail::HeadRunner* runner, const FeatureCache& cache,
                               TrainEpochStats& stats) const
{
    SegmentationMetrics metrics(config_.numClasses, desc_.ignoreLabel);
    CachedSample s;
    EscrfGuide guide;
    Mat logits, full, pred;
    for (int i = 0; i < cache.size(); i++)
    {
        cache.get(i, s);
        const Size headSize(s.image.cols / config_.stride, s.image.rows / config_.stride);
        guideFor(head, s, headSize, guide);
        if (runner)
            runner->predict(s.features, headSize, head.needsGuide() ? &guide : nullptr, s.image.size(), s.image.size(),
                            false, CV_32S, pred);
        else
        {
            head.forward(s.features, headSize, head.needsGuide() ? &guide : nullptr, logits);
            detail::resizeBilinear(logits, headSize, s.image.size(), full);
            detail::argmaxPlanar(full, s.image.size(), CV_32S, pred);
        }
        metrics.add(pred, s.labels);
    }
    stats.valMeanIoU = 100 * metrics.meanIoU();
    stats.valBoundaryF = 100 * metrics.meanBoundaryF();
    stats.valPixelAccuracy = 100 * metrics.pixelAccuracy();
}

Ptr<Head> HeadTrainerImpl::train(const String& trainList, const String& valList, const String& outputFile)
{
    if (outputFile.empty())
        CV_Error(Error::StsBadArg, "HeadTrainer::train: outputFile is empty");
    detail::Progress progress(p_.verbose);
    backbone_ = Backbone::create(desc_);
    Ptr<Head> probe = Head::create(config_, std::vector<int>(config_.inputs.size(), 1));
    const SuperpixelParams* sp = probe->needsGuide() ? &config_.superpixels : nullptr;

    FeatureCache trainCache(backbone_, config_.inputs, sp, p_.cacheBudgetMB, p_.cacheDir);
    fillCache(trainCache, trainList, p_.flip, progress);
    FeatureCache valCache(backbone_, config_.inputs, sp, p_.cacheBudgetMB, p_.cacheDir);
    if (!valList.empty())
        fillCache(valCache, valList, false, progress);

    CachedSample s;
    trainCache.get(0, s);
    std::vector<int> channels;
    for (const Mat& f : s.features)
        channels.push_back(f.size[1]);
    Ptr<Head> head = Head::create(config_, channels, (uint64)p_.seed);
    head->setBackbone(desc_);
    std::vector<Mat> params = head->parameters();
    const std::vector<String> names = head->parameterNames();
    detail::Optimizer optimizer(p_, detail::headParameterRoles(*head), params);
    const std::vector<float> weights = classWeights(trainCache);
    // The GPU runs the head and the loss; parameters go up and gradients come down once per step.
    Ptr<detail::HeadRunner> runner;
#ifdef HAVE_ESCRF_CUDA
    if (p_.device == TRAIN_DEVICE_CUDA)
        runner = cuda::createHeadRunner(*head);
#endif

    const int n = trainCache.size();
    const int stepsPerEpoch = (n + p_.batchSize - 1) / p_.batchSize;
    const int totalSteps = stepsPerEpoch * p_.epochs;
    const String ckpt = outputFile + ".ckpt";
    detail::TrainState state;
    if (p_.resume && utils::fs::exists(ckpt))
    {
        detail::loadCheckpoint(ckpt, state, names, params, optimizer);
        progress.message(format("resuming from %s at epoch %d, step %d", ckpt.c_str(), state.epoch + 1, state.stepInEpoch));
    }

    for (; state.epoch < p_.epochs; state.epoch++)
    {
        // The order of an epoch depends on the seed and the epoch alone, so a resumed run
        // continues with exactly the samples an uninterrupted one would see.
        std::vector<int> order(n);
        for (int i = 0; i < n; i++)
            order[i] = i;
        RNG rng((uint64)p_.seed * 1000003ULL + (uint64)state.epoch);
        randShuffle(order, 1.0, &rng);
        progress.start(format("epoch %d/%d", state.epoch + 1, p_.epochs), stepsPerEpoch);
        while (state.stepInEpoch < stepsPerEpoch)
        {
            const int64 t0 = getTickCount();
            std::vector<Mat> grads = head->zeroGradients();
            double loss = 0, wsum = 0;
            const int first = state.stepInEpoch * p_.batchSize, last = std::min(n, first + p_.batchSize);
            if (runner)
                runner->syncParameters();
            for (int b = first; b < last; b++)
            {
                trainCache.get(order[b], s);
                const Size headSize(s.image.cols / config_.stride, s.image.rows / config_.stride);
                EscrfGuide guide;
                guideFor(*head, s, headSize, guide);
                double w = 0;
                if (runner)
                    loss += runner->trainSample(s.features, headSize, head->needsGuide() ? &guide : nullptr, s.labels,
                                                desc_.ignoreLabel, weights, w);
                else
                {
                    HeadCache hc;
                    Mat logits, dLogits;
                    head->forward(s.features, headSize, head->needsGuide() ? &guide : nullptr, logits, &hc);
                    loss += detail::softmaxCrossEntropy(logits, headSize, s.labels, desc_.ignoreLabel, weights, dLogits, w);
                    head->backward(s.features, headSize, head->needsGuide() ? &guide : nullptr, hc, dLogits, grads);
                }
                wsum += w;
            }
            if (runner)
                runner->addGradients(grads);
            // A batch of ignore pixels only has nothing to teach: skip its update.
            if (wsum > 0)
            {
                const double batchLoss = loss / wsum;
                if (!std::isfinite(batchLoss))
                    CV_Error_(Error::StsError, ("HeadTrainer: the loss became %g at epoch %d, step %d (global step %d); "
                                                "the last good checkpoint is kept in %s - lower the learning rate",
                                                batchLoss, state.epoch + 1, state.stepInEpoch + 1, state.globalStep + 1,
                                                ckpt.c_str()));
                for (Mat& g : grads)
                    g *= 1.0 / wsum;
                optimizer.step(params, grads, detail::learningRateAt(p_, state.globalStep, totalSteps));
                state.lossSum += loss;
                state.weightSum += wsum;
            }
            state.epochSeconds += (getTickCount() - t0) / getTickFrequency();
            state.globalStep++;
            state.stepInEpoch++;
            progress.update(state.stepInEpoch, state.weightSum > 0 ? state.lossSum / state.weightSum : 0, last - first);
            if (p_.checkpointEvery > 0 && state.globalStep % p_.checkpointEvery == 0 && state.stepInEpoch < stepsPerEpoch)
                detail::saveCheckpoint(ckpt, state, names, params, optimizer);
            if (callback_)
                callback_(state.globalStep);
        }

        TrainEpochStats stats;
        stats.epoch = state.epoch + 1;
        stats.loss = state.weightSum > 0 ? state.lossSum / state.weightSum : 0;
        stats.learningRate = detail::learningRateAt(p_, std::max(0, state.globalStep - 1), totalSteps);
        stats.seconds = state.epochSeconds;
        const bool lastEpoch = state.epoch + 1 == p_.epochs;
        if (valCache.size() > 0 && p_.valEvery > 0 && ((state.epoch + 1) % p_.valEvery == 0 || lastEpoch))
        {
            if (runner)
                runner->syncParameters();
            validate(*head, runner.get(), valCache, stats);
            if (stats.valMeanIoU > state.bestScore)
            {
                state.bestScore = stats.valMeanIoU;
                state.best.clear();
                for (const Mat& p : params)
                    state.best.push_back(p.clone());
            }
        }
        state.history.push_back(stats);
        progress.finish(format("epoch %d/%d: loss %.4f, lr %.2e, %.0f s", stats.epoch, p_.epochs, stats.loss,
                               stats.learningRate, stats.seconds) +
                        (stats.valMeanIoU >= 0 ? format(", val mIoU %.2f bF %.2f", stats.valMeanIoU, stats.valBoundaryF)
                                               : std::string()));
        state.stepInEpoch = 0;
        state.lossSum = state.weightSum = state.epochSeconds = 0;
        detail::TrainState next = state;
        next.epoch++;
        detail::saveCheckpoint(ckpt, next, names, params, optimizer);
        history_ = state.history;
        detail::writeHistoryCsv(outputFile + ".csv", history_);
        detail::plotHistory(outputFile + ".png", history_);
    }
    history_ = state.history;
    if (!state.best.empty())
        for (size_t i = 0; i < params.size(); i++)
            state.best[i].copyTo(params[i]);
    head->save(outputFile);
    std::remove(ckpt.c_str());
    if (!state.best.empty())
        progress.message(format("best val mIoU %.2f; head written to %s", state.bestScore, outputFile.c_str()));
    return head;
}

} // namespace

Ptr<HeadTrainer> HeadTrainer::create(const BackboneDescription& backbone, const HeadConfig& config,
                                     const TrainParams& params)
{
    return makePtr<HeadTrainerImpl>(backbone, config, params);
}

}} // namespace cv::escrf
