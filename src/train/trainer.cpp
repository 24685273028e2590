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
#include "head/head_inputs.hpp"
#include "head/head_parameters.hpp"
#include "head/head_variants.hpp"
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
using detail::Progress;

// What a training run carries from step to step.
struct TrainRun
{
    TrainRun(const TrainParams& p, const Ptr<Head>& h, int samples, const String& outputFile)
        : head(h), params(h->parameters()), names(h->parameterNames()),
          optimizer(p, detail::headParameterRoles(*h), params),
          stepsPerEpoch((samples + p.batchSize - 1) / p.batchSize), totalSteps(stepsPerEpoch * p.epochs),
          checkpoint(outputFile + ".ckpt")
    {
    }

    Ptr<Head> head;
    std::vector<Mat> params;          //!< headers onto the head's parameters (the table's order)
    std::vector<String> names;
    detail::Optimizer optimizer;
    std::vector<float> classWeights;  //!< empty: unweighted loss
    Ptr<detail::HeadRunner> runner;   //!< the head and the loss on the GPU (TRAIN_DEVICE_CUDA)
    detail::TrainState state;
    int stepsPerEpoch, totalSteps;
    String checkpoint;                //!< outputFile + ".ckpt"
};

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
        if (p_.device == TRAIN_DEVICE_CUDA && !detail::headVariantTraits(config_.variant).onDevice)
            CV_Error_(Error::StsNotImplemented, ("HeadTrainer: TrainParams::device is TRAIN_DEVICE_CUDA, but the %s head "
                                                 "has no GPU path; train it with TRAIN_DEVICE_CPU",
                                                 headVariantToString(config_.variant).c_str()));
        if (p_.device == TRAIN_DEVICE_CUDA)
            detail::requireCudaDevice("HeadTrainer: TrainParams::device is TRAIN_DEVICE_CUDA", "TRAIN_DEVICE_CPU");
    }

    Ptr<Head> train(const String& trainList, const String& valList, const String& outputFile) CV_OVERRIDE;
    std::vector<TrainEpochStats> history() const CV_OVERRIDE { return history_; }
    void setStepCallback(const std::function<void(int)>& cb) CV_OVERRIDE { callback_ = cb; }

private:
    Ptr<TrainRun> startRun(const FeatureCache& train, const String& outputFile, Progress& progress) const;
    void runEpoch(TrainRun& run, const FeatureCache& train, const FeatureCache& val, const String& outputFile,
                  Progress& progress);
    std::vector<int> epochOrder(int samples, int epoch) const;
    void trainStep(TrainRun& run, const FeatureCache& train, const std::vector<int>& order, Progress& progress);
    double trainSample(TrainRun& run, const CachedSample& s, std::vector<Mat>& grads, double& weightSum) const;
    void applyUpdate(TrainRun& run, std::vector<Mat>& grads, double loss, double weightSum) const;
    void finishEpoch(TrainRun& run, const FeatureCache& val, const String& outputFile, Progress& progress);
    void validateEpoch(TrainRun& run, const FeatureCache& val, TrainEpochStats& stats) const;
    Ptr<Head> finishRun(TrainRun& run, const String& outputFile, Progress& progress);

    int64 fillCache(FeatureCache& cache, const String& list, bool flip, detail::Progress& progress);
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

// Returns the number of labelled pixels (not the ignore label) of the list's images.
int64 HeadTrainerImpl::fillCache(FeatureCache& cache, const String& list, bool flip, detail::Progress& progress)
{
    Dataset data(list);
    if (data.empty())
        CV_Error_(Error::StsBadArg, ("HeadTrainer: list '%s' holds no samples", list.c_str()));
    const int n = p_.maxImages > 0 ? std::min(p_.maxImages, data.size()) : data.size();
    const int a = alignment(), K = config_.numClasses;
    progress.start("backbone", n);
    int64 labelled = 0;
    int unlabelledImages = 0;
    for (int i = 0; i < n; i++)
    {
        Mat image, labels;
        data.load(i, image, labels);
        const String where = format("%s:%d (%s)", list.c_str(), data.sample(i).line, data.sample(i).imagePath.c_str());
        if (image.cols < a || image.rows < a || image.cols % a || image.rows % a)
            CV_Error_(Error::StsBadArg, ("HeadTrainer: %s is %dx%d; training images must be at least and a multiple of %d "
                                         "(the backbone's size multiple and the head stride)",
                                         where.c_str(), image.cols, image.rows, a));
        int64 imageLabelled = 0;
        for (int y = 0; y < labels.rows; y++)
            for (int x = 0; x < labels.cols; x++)
            {
                const int v = labels.at<int>(y, x);
                if ((v < 0 || v >= K) && v != desc_.ignoreLabel)
                    CV_Error_(Error::StsOutOfRange, ("HeadTrainer: %s: label %d at (%d, %d) is outside [0, %d) and is not "
                                                     "the ignore label %d", where.c_str(), v, x, y, K, desc_.ignoreLabel));
                imageLabelled += v != desc_.ignoreLabel;
            }
        if (imageLabelled == 0)
            unlabelledImages++;
        labelled += imageLabelled;
        cache.add(image, labels, false, data.sample(i).imagePath);
        if (flip)
            cache.add(image, labels, true, data.sample(i).imagePath);
        progress.update(i + 1, -1, 1);
    }
    progress.finish(format("cached backbone outputs of %d images from %s (%.0f MB in memory)", n, list.c_str(),
                           cache.memoryBytes() / 1048576.0));
    if (unlabelledImages > 0 && labelled > 0)
        CV_LOG_WARNING(NULL, "escrf HeadTrainer: " << unlabelledImages << " of the " << n << " images of '" << list
                             << "' hold only the ignore label " << desc_.ignoreLabel << " (nothing to learn from them)");
    return labelled;
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
    detail::prepareHeadGuide(head, s.image, s.superpixels, s.numSuperpixels, headSize, guide);
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
    Progress progress(p_.verbose);
    backbone_ = Backbone::create(desc_);
    Ptr<Head> probe = Head::create(config_, std::vector<int>(config_.inputs.size(), 1));
    const SuperpixelParams* sp = probe->needsSuperpixels() ? &config_.superpixels : nullptr;

    FeatureCache trainCache(backbone_, config_.inputs, sp, p_.cacheBudgetMB, p_.cacheDir);
    if (fillCache(trainCache, trainList, p_.flip, progress) == 0)
        CV_Error_(Error::StsBadArg, ("HeadTrainer: every label of the training list '%s' is the ignore label %d: "
                                     "there is nothing to learn", trainList.c_str(), desc_.ignoreLabel));
    FeatureCache valCache(backbone_, config_.inputs, sp, p_.cacheBudgetMB, p_.cacheDir);
    if (!valList.empty() && fillCache(valCache, valList, false, progress) == 0)
        CV_LOG_WARNING(NULL, "escrf HeadTrainer: every label of the validation list '" << valList << "' is the ignore "
                             "label " << desc_.ignoreLabel << ": its scores will be 0");

    Ptr<TrainRun> run = startRun(trainCache, outputFile, progress);
    for (; run->state.epoch < p_.epochs; run->state.epoch++)
        runEpoch(*run, trainCache, valCache, outputFile, progress);
    return finishRun(*run, outputFile, progress);
}

// The head (its input channels are those of the cached outputs), its optimizer and, when a
// checkpoint of an interrupted run is there, the state it had.
Ptr<TrainRun> HeadTrainerImpl::startRun(const FeatureCache& train, const String& outputFile, Progress& progress) const
{
    CachedSample s;
    train.get(0, s);
    std::vector<int> channels;
    for (const Mat& f : s.features)
        channels.push_back(f.size[1]);
    Ptr<Head> head = Head::create(config_, channels, (uint64)p_.seed);
    head->setBackbone(desc_);
    Ptr<TrainRun> run = makePtr<TrainRun>(p_, head, train.size(), outputFile);
    run->classWeights = classWeights(train);
    // The GPU runs the head and the loss; parameters go up and gradients come down once per step.
#ifdef HAVE_ESCRF_CUDA
    if (p_.device == TRAIN_DEVICE_CUDA)
        run->runner = cuda::createHeadRunner(*head);
#endif
    if (p_.resume && utils::fs::exists(run->checkpoint))
    {
        detail::loadCheckpoint(run->checkpoint, run->state, run->names, run->params, run->optimizer);
        progress.message(format("resuming from %s at epoch %d, step %d", run->checkpoint.c_str(),
                                run->state.epoch + 1, run->state.stepInEpoch));
    }
    return run;
}

void HeadTrainerImpl::runEpoch(TrainRun& run, const FeatureCache& train, const FeatureCache& val,
                               const String& outputFile, Progress& progress)
{
    const std::vector<int> order = epochOrder(train.size(), run.state.epoch);
    progress.start(format("epoch %d/%d", run.state.epoch + 1, p_.epochs), run.stepsPerEpoch);
    while (run.state.stepInEpoch < run.stepsPerEpoch)
        trainStep(run, train, order, progress);
    finishEpoch(run, val, outputFile, progress);
}

// The order of an epoch depends on the seed and the epoch alone, so a resumed run continues
// with exactly the samples an uninterrupted one would see.
std::vector<int> HeadTrainerImpl::epochOrder(int samples, int epoch) const
{
    std::vector<int> order(samples);
    for (int i = 0; i < samples; i++)
        order[i] = i;
    RNG rng((uint64)p_.seed * 1000003ULL + (uint64)epoch);
    randShuffle(order, 1.0, &rng);
    return order;
}

// One mini-batch: gradients of its samples, one optimizer update, progress and checkpoint.
void HeadTrainerImpl::trainStep(TrainRun& run, const FeatureCache& train, const std::vector<int>& order,
                                Progress& progress)
{
    detail::TrainState& state = run.state;
    const int64 t0 = getTickCount();
    std::vector<Mat> grads = run.head->zeroGradients();
    double loss = 0, wsum = 0;
    const int first = state.stepInEpoch * p_.batchSize, last = std::min(train.size(), first + p_.batchSize);
    if (run.runner)
        run.runner->syncParameters();
    CachedSample s;
    for (int b = first; b < last; b++)
    {
        train.get(order[b], s);
        double w = 0;
        loss += trainSample(run, s, grads, w);
        wsum += w;
    }
    if (run.runner)
        run.runner->addGradients(grads);
    // A batch of ignore pixels only has nothing to teach: skip its update.
    if (wsum > 0)
        applyUpdate(run, grads, loss, wsum);
    state.epochSeconds += (getTickCount() - t0) / getTickFrequency();
    state.globalStep++;
    state.stepInEpoch++;
    progress.update(state.stepInEpoch, state.weightSum > 0 ? state.lossSum / state.weightSum : 0, last - first);
    if (p_.checkpointEvery > 0 && state.globalStep % p_.checkpointEvery == 0 && state.stepInEpoch < run.stepsPerEpoch)
        detail::saveCheckpoint(run.checkpoint, state, run.names, run.params, run.optimizer);
    if (callback_)
        callback_(state.globalStep);
}

// Forward, loss and backward of one sample: its gradients are added to grads (or, on the GPU,
// kept there until the runner's addGradients). Returns the loss sum, weightSum its weight.
double HeadTrainerImpl::trainSample(TrainRun& run, const CachedSample& s, std::vector<Mat>& grads,
                                    double& weightSum) const
{
    const Head& head = *run.head;
    const Size headSize(s.image.cols / config_.stride, s.image.rows / config_.stride);
    EscrfGuide guide;
    guideFor(head, s, headSize, guide);
    const EscrfGuide* g = head.needsGuide() ? &guide : nullptr;
    if (run.runner)
        return run.runner->trainSample(s.features, headSize, g, s.labels, desc_.ignoreLabel, run.classWeights,
                                       weightSum);
    HeadCache hc;
    Mat logits, dLogits;
    head.forward(s.features, headSize, g, logits, &hc);
    const double loss = detail::softmaxCrossEntropy(logits, headSize, s.labels, desc_.ignoreLabel, run.classWeights,
                                                    dLogits, weightSum);
    head.backward(s.features, headSize, g, hc, dLogits, grads);
    return loss;
}

void HeadTrainerImpl::applyUpdate(TrainRun& run, std::vector<Mat>& grads, double loss, double weightSum) const
{
    detail::TrainState& state = run.state;
    const double batchLoss = loss / weightSum;
    if (!std::isfinite(batchLoss))
        CV_Error_(Error::StsError, ("HeadTrainer: the loss became %g at epoch %d, step %d (global step %d); "
                                    "the last good checkpoint is kept in %s - lower the learning rate",
                                    batchLoss, state.epoch + 1, state.stepInEpoch + 1, state.globalStep + 1,
                                    run.checkpoint.c_str()));
    for (Mat& g : grads)
        g *= 1.0 / weightSum;
    run.optimizer.step(run.params, grads, detail::learningRateAt(p_, state.globalStep, run.totalSteps));
    state.lossSum += loss;
    state.weightSum += weightSum;
}

// Epoch statistics (and validation), the checkpoint of the next epoch, the history files.
void HeadTrainerImpl::finishEpoch(TrainRun& run, const FeatureCache& val, const String& outputFile,
                                  Progress& progress)
{
    detail::TrainState& state = run.state;
    TrainEpochStats stats;
    stats.epoch = state.epoch + 1;
    stats.loss = state.weightSum > 0 ? state.lossSum / state.weightSum : 0;
    stats.learningRate = detail::learningRateAt(p_, std::max(0, state.globalStep - 1), run.totalSteps);
    stats.seconds = state.epochSeconds;
    const bool lastEpoch = state.epoch + 1 == p_.epochs;
    if (val.size() > 0 && p_.valEvery > 0 && ((state.epoch + 1) % p_.valEvery == 0 || lastEpoch))
        validateEpoch(run, val, stats);
    state.history.push_back(stats);
    progress.finish(format("epoch %d/%d: loss %.4f, lr %.2e, %.0f s", stats.epoch, p_.epochs, stats.loss,
                           stats.learningRate, stats.seconds) +
                    (stats.valMeanIoU >= 0 ? format(", val mIoU %.2f bF %.2f", stats.valMeanIoU, stats.valBoundaryF)
                                           : std::string()));
    state.stepInEpoch = 0;
    state.lossSum = state.weightSum = state.epochSeconds = 0;
    detail::TrainState next = state;
    next.epoch++;
    detail::saveCheckpoint(run.checkpoint, next, run.names, run.params, run.optimizer);
    history_ = state.history;
    detail::writeHistoryCsv(outputFile + ".csv", history_);
    detail::plotHistory(outputFile + ".png", history_);
}

// Validation scores of the current head; a better mIoU keeps a copy of the parameters.
void HeadTrainerImpl::validateEpoch(TrainRun& run, const FeatureCache& val, TrainEpochStats& stats) const
{
    if (run.runner)
        run.runner->syncParameters();
    validate(*run.head, run.runner.get(), val, stats);
    if (stats.valMeanIoU > run.state.bestScore)
    {
        run.state.bestScore = stats.valMeanIoU;
        run.state.best.clear();
        for (const Mat& p : run.params)
            run.state.best.push_back(p.clone());
    }
}

// The best validated parameters (else the last ones) written to the head file.
Ptr<Head> HeadTrainerImpl::finishRun(TrainRun& run, const String& outputFile, Progress& progress)
{
    detail::TrainState& state = run.state;
    history_ = state.history;
    if (!state.best.empty())
        for (size_t i = 0; i < run.params.size(); i++)
            state.best[i].copyTo(run.params[i]);
    run.head->save(outputFile);
    std::remove(run.checkpoint.c_str());
    if (!state.best.empty())
        progress.message(format("best val mIoU %.2f; head written to %s", state.bestScore, outputFile.c_str()));
    return run.head;
}

} // namespace

Ptr<HeadTrainer> HeadTrainer::create(const BackboneDescription& backbone, const HeadConfig& config,
                                     const TrainParams& params)
{
    return makePtr<HeadTrainerImpl>(backbone, config, params);
}

}} // namespace cv::escrf
