// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "opencv2/core/utils/logger.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace opencv_test {
namespace {

using namespace cv::escrf;

// ------------------------------------------------------------------ loss and optimizer

TEST(Escrf_TrainLoss, gradient_matches_finite_differences_with_ignore_and_weights)
{
    RNG rng(5);
    const Size head(5, 4), full(13, 9);
    Mat logits(3, head.area(), CV_32F);
    rng.fill(logits, RNG::UNIFORM, -2.f, 2.f);
    Mat labels(full, CV_32S);
    rng.fill(labels, RNG::UNIFORM, 0, 3);
    labels(Rect(0, 0, 4, 3)).setTo(255); // ignored pixels
    const std::vector<float> weights = { 1.f, 2.5f, 0.5f };
    Mat grad;
    double wsum = 0;
    cv::escrf::detail::softmaxCrossEntropy(logits, head, labels, 255, weights, grad, wsum);
    // The weight sum counts every non-ignored pixel with its class weight.
    double expectedW = 0;
    for (int i = 0; i < full.area(); i++)
        if (labels.at<int>(i) != 255)
            expectedW += weights[labels.at<int>(i)];
    EXPECT_NEAR(expectedW, wsum, 1e-6);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < head.area(); i += 3)
        {
            Mat lp = logits.clone(), lm = logits.clone(), g;
            const float eps = 1e-2f;
            lp.at<float>(k, i) += eps;
            lm.at<float>(k, i) -= eps;
            double w;
            const double fp = cv::escrf::detail::softmaxCrossEntropy(lp, head, labels, 255, weights, g, w);
            const double fm = cv::escrf::detail::softmaxCrossEntropy(lm, head, labels, 255, weights, g, w);
            EXPECT_NEAR((fp - fm) / (2 * eps), grad.at<float>(k, i), 2e-3) << "class " << k << " cell " << i;
        }
}

TEST(Escrf_TrainLoss, uniform_logits_give_log_K_and_bad_labels_throw)
{
    Mat logits = Mat::zeros(4, 6, CV_32F), grad;
    Mat labels = (Mat_<int>(2, 3) << 0, 1, 2, 3, 3, 1);
    double w = 0;
    const double loss = cv::escrf::detail::softmaxCrossEntropy(logits, Size(3, 2), labels, -1, {}, grad, w);
    EXPECT_NEAR(6 * std::log(4.0), loss, 1e-5);
    EXPECT_EQ(6, w);
    labels.at<int>(1, 1) = 4;
    EXPECT_THROW(cv::escrf::detail::softmaxCrossEntropy(logits, Size(3, 2), labels, -1, {}, grad, w), cv::Exception);
}

// -1 is an ordinary bad label when the ignore label is another value: it must not be skipped.
TEST(Escrf_TrainLoss, label_minus_one_throws_when_the_ignore_label_is_255)
{
    Mat logits = Mat::zeros(4, 6, CV_32F), grad;
    Mat labels = (Mat_<int>(2, 3) << 0, 1, 2, 3, 255, 1);
    double w = 0;
    EXPECT_NO_THROW(cv::escrf::detail::softmaxCrossEntropy(logits, Size(3, 2), labels, 255, {}, grad, w));
    EXPECT_EQ(5, w);
    labels.at<int>(1, 2) = -1;
    expectThrowContaining([&] { cv::escrf::detail::softmaxCrossEntropy(logits, Size(3, 2), labels, 255, {}, grad, w); },
                          { "value -1 at row 1" });
}

TEST(Escrf_TrainOptimizer, sgd_and_adamw_steps_by_hand)
{
    TrainParams p;
    p.optimizer = OPTIMIZER_SGD;
    p.momentum = 0.5;
    p.weightDecay = 0.1;
    Mat w = (Mat_<float>(1, 2) << 1.f, -2.f), b = (Mat_<float>(1, 1) << 3.f);
    std::vector<Mat> params = { w, b };
    cv::escrf::detail::Optimizer sgd(p, { cv::escrf::detail::PARAM_WEIGHT, cv::escrf::detail::PARAM_BIAS }, params);
    std::vector<Mat> g = { (Mat_<float>(1, 2) << 0.5f, 1.f), (Mat_<float>(1, 1) << 1.f) };
    sgd.step(params, g, 0.1);
    // w: g + wd w = (0.6, 0.8); buf = g'; w -= 0.1 buf -> (0.94, -2.08). bias: no decay -> 2.9.
    EXPECT_NEAR(0.94f, w.at<float>(0), 1e-6);
    EXPECT_NEAR(-2.08f, w.at<float>(1), 1e-6);
    EXPECT_NEAR(2.9f, b.at<float>(0), 1e-6);
    sgd.step(params, g, 0.1);
    // second step: g' = (0.5 + 0.094, 1 - 0.208); buf = 0.5 (0.6, 0.8) + g' = (0.894, 1.192)
    EXPECT_NEAR(0.94f - 0.0894f, w.at<float>(0), 1e-6);
    EXPECT_NEAR(-2.08f - 0.1192f, w.at<float>(1), 1e-6);

    p.optimizer = OPTIMIZER_ADAMW;
    p.momentum = 0.9;
    p.beta2 = 0.999;
    Mat w2 = (Mat_<double>(1, 1) << 2.0);
    std::vector<Mat> params2 = { w2 };
    cv::escrf::detail::Optimizer adam(p, { cv::escrf::detail::PARAM_WEIGHT }, params2);
    adam.step(params2, { (Mat_<double>(1, 1) << -0.3) }, 0.01);
    // decoupled decay: 2 * (1 - 0.01 * 0.1) = 1.998; first Adam step moves by lr * sign(g).
    EXPECT_NEAR(1.998 + 0.01, w2.at<double>(0), 1e-7);
}

TEST(Escrf_TrainOptimizer, schedules_with_warmup)
{
    TrainParams p;
    p.learningRate = 1.0;
    p.warmupSteps = 4;
    p.schedule = LR_POLY;
    p.polyPower = 1.0;
    EXPECT_DOUBLE_EQ(0.25, cv::escrf::detail::learningRateAt(p, 0, 14));
    EXPECT_DOUBLE_EQ(1.0, cv::escrf::detail::learningRateAt(p, 3, 14));
    EXPECT_DOUBLE_EQ(0.5, cv::escrf::detail::learningRateAt(p, 9, 14));   // (9-4)/10 of the way
    p.schedule = LR_COSINE;
    EXPECT_NEAR(0.5, cv::escrf::detail::learningRateAt(p, 9, 14), 1e-12);
    EXPECT_NEAR(0.0, cv::escrf::detail::learningRateAt(p, 14, 14), 1e-12);
    p.schedule = LR_CONSTANT;
    EXPECT_DOUBLE_EQ(1.0, cv::escrf::detail::learningRateAt(p, 13, 14));
    p.schedule = 7;
    EXPECT_THROW(cv::escrf::detail::learningRateAt(p, 5, 14), cv::Exception);
}

// ------------------------------------------------------------------ trainer on toy data

void expectTrainError(const struct ToyData& d, const HeadConfig& cfg, const TrainParams& p, const std::string& train,
                      const std::string& fragment);

struct ToyData
{
    std::string dir, train, val, backbone;
};

ToyData makeToyData(int nTrain = 6, int nVal = 3, Size size = Size(32, 24))
{
    ToyData d;
    d.dir = cv::tempfile("_escrf_train");
    utils::fs::createDirectories(d.dir);
    d.train = writeSyntheticDataset(d.dir + "/train", nTrain, size, 1);
    d.val = writeSyntheticDataset(d.dir + "/val", nVal, size, 2);
    d.backbone = writeToyBackbone(d.dir);
    return d;
}

HeadConfig toyConfig()
{
    HeadConfig cfg = toyHeadConfig();
    cfg.block.learnableFusion = true;
    return cfg;
}

TrainParams toyParams()
{
    TrainParams p;
    p.epochs = 8;
    p.batchSize = 2;
    p.learningRate = 0.05;
    p.warmupSteps = 2;
    p.checkpointEvery = 2;
    p.verbose = 0;
    p.seed = 1;
    return p;
}

std::vector<Mat> weightsOf(const Ptr<Head>& head)
{
    std::vector<Mat> out;
    for (const Mat& m : head->parameters())
        out.push_back(m.clone());
    return out;
}

void expectSameWeights(const std::vector<Mat>& a, const std::vector<Mat>& b)
{
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); i++)
        EXPECT_EQ(0, cv::norm(a[i], b[i], NORM_INF)) << "parameter " << i;
}

TEST(Escrf_Trainer, learns_toy_scenes_and_writes_head_log_and_plot)
{
    ToyData d = makeToyData();
    const std::string out = d.dir + "/head.yml";
    Ptr<HeadTrainer> trainer = HeadTrainer::create(BackboneDescription::read(d.backbone), toyConfig(), toyParams());
    Ptr<Head> head = trainer->train(d.train, d.val, out);
    const std::vector<TrainEpochStats> h = trainer->history();
    ASSERT_EQ(8u, h.size());
    EXPECT_LT(h.back().loss, h.front().loss);
    EXPECT_GT(h.back().valMeanIoU, 40.0); // three easy colour classes
    EXPECT_TRUE(utils::fs::exists(out));
    EXPECT_TRUE(utils::fs::exists(out + ".csv"));
    EXPECT_TRUE(utils::fs::exists(out + ".png"));
    EXPECT_FALSE(utils::fs::exists(out + ".ckpt"));
    // The written head is the best one by validation mIoU and segments through a Segmenter.
    Ptr<Segmenter> seg = Segmenter::create(out);
    SegmentationMetrics m = evaluateSegmenter(seg, d.val, 255, d.dir + "/pred");
    double best = 0;
    for (const TrainEpochStats& s : h)
        best = std::max(best, s.valMeanIoU);
    EXPECT_NEAR(best, 100 * m.meanIoU(), 1e-6);
    EXPECT_TRUE(utils::fs::exists(d.dir + "/pred/scene_000.png"));
    utils::fs::remove_all(d.dir);
}

// The comparison variants train with the same solver, save, and segment through a Segmenter with
// the scores they were validated with; their GPU path is refused before any device is asked for.
TEST(Escrf_Trainer, trains_joint_crf_and_nonlocal_heads)
{
    ToyData d = makeToyData();
    for (int variant : { HEAD_JOINT_CRF, HEAD_NONLOCAL })
    {
        SCOPED_TRACE(headVariantToString(variant));
        const std::string out = d.dir + "/" + headVariantToString(variant) + ".yml";
        Ptr<HeadTrainer> trainer =
            HeadTrainer::create(BackboneDescription::read(d.backbone), toyHeadConfig(variant), toyParams());
        Ptr<Head> head = trainer->train(d.train, d.val, out);
        const std::vector<TrainEpochStats> h = trainer->history();
        ASSERT_EQ(8u, h.size());
        EXPECT_LT(h.back().loss, h.front().loss);
        double best = 0;
        for (const TrainEpochStats& st : h)
            best = std::max(best, st.valMeanIoU);
        EXPECT_GT(best, 40.0);
        // The stage's own weights were trained (both stages start as the identity: zero kernel
        // weights, zero output projection).
        const Mat& trained = variant == HEAD_JOINT_CRF ? head->crfBilateral : head->nonlocalOut;
        EXPECT_GT(cv::norm(trained, NORM_INF), 1e-3);
        Ptr<Segmenter> seg = Segmenter::create(out);
        EXPECT_EQ(variant, seg->head()->config().variant);
        EXPECT_NEAR(best, 100 * evaluateSegmenter(seg, d.val, 255).meanIoU(), 1e-6);

        TrainParams gpu = toyParams();
        gpu.device = TRAIN_DEVICE_CUDA;
        expectThrowContaining([&] { HeadTrainer::create(BackboneDescription::read(d.backbone), toyHeadConfig(variant), gpu); },
                              { headVariantToString(variant) + " head has no GPU path", "TRAIN_DEVICE_CPU" });
    }
    utils::fs::remove_all(d.dir);
}

// PNG holds 8 or 16 bits: with more than 256 classes the predictions are 16-bit PNGs, not
// CV_32S maps that imwrite would silently saturate to 8 bits.
TEST(Escrf_Evaluate, more_than_256_classes_write_16_bit_predictions)
{
    ToyData d = makeToyData(1, 1);
    BackboneDescription desc = BackboneDescription::read(d.backbone);
    const int K = 300;
    desc.classes.clear();
    for (int k = 0; k < K; k++)
        desc.classes.push_back(format("class_%d", k));
    desc.ignoreLabel = -1; // 255 is a class now
    HeadConfig cfg;
    cfg.variant = HEAD_BASELINE;
    cfg.inputs = { "feat_a" };
    cfg.projection = 0;
    cfg.numClasses = K;
    Ptr<Head> head = Head::create(cfg, { 4 }); // feat_a has 4 channels
    // Every pixel predicts class 299, above the 8-bit range.
    head->classifierWeights = Mat::zeros(K, 4, CV_32F);
    head->classifierBias = Mat::zeros(K, 1, CV_32F);
    head->classifierBias.at<float>(K - 1) = 1.f;
    head->setBackbone(desc);
    evaluateSegmenter(Segmenter::create(head, desc), d.val, -1, d.dir + "/pred");
    std::vector<String> files;
    utils::fs::glob(d.dir + "/pred", "*", files);
    ASSERT_EQ(1u, files.size());
    Mat pred = imread(files[0], IMREAD_UNCHANGED);
    ASSERT_EQ(CV_16UC1, pred.type());
    EXPECT_EQ(Size(32, 24), pred.size());
    double lo = 0, hi = 0;
    minMaxLoc(pred, &lo, &hi);
    EXPECT_EQ(K - 1, lo);
    EXPECT_EQ(K - 1, hi);
    utils::fs::remove_all(d.dir);
}

TEST(Escrf_Trainer, same_seed_same_head)
{
    ToyData d = makeToyData(4, 2);
    TrainParams p = toyParams();
    p.epochs = 2;
    Ptr<Head> a = HeadTrainer::create(BackboneDescription::read(d.backbone), toyConfig(), p)->train(d.train, d.val, d.dir + "/a.yml");
    Ptr<Head> b = HeadTrainer::create(BackboneDescription::read(d.backbone), toyConfig(), p)->train(d.train, d.val, d.dir + "/b.yml");
    expectSameWeights(weightsOf(a), weightsOf(b));
    utils::fs::remove_all(d.dir);
}

TEST(Escrf_Trainer, resumes_after_an_interruption_mid_epoch_with_nothing_lost)
{
    ToyData d = makeToyData();
    TrainParams p = toyParams();
    const BackboneDescription desc = BackboneDescription::read(d.backbone);
    Ptr<Head> reference = HeadTrainer::create(desc, toyConfig(), p)->train(d.train, d.val, d.dir + "/ref.yml");

    const std::string out = d.dir + "/head.yml";
    Ptr<HeadTrainer> crashing = HeadTrainer::create(desc, toyConfig(), p);
    crashing->setStepCallback([](int step) {
        if (step == 9) // 6 steps per epoch: in the second epoch, after the checkpoint of step 8
            CV_Error(Error::StsError, "simulated crash");
    });
    EXPECT_THROW(crashing->train(d.train, d.val, out), cv::Exception);
    ASSERT_TRUE(utils::fs::exists(out + ".ckpt"));
    EXPECT_FALSE(utils::fs::exists(out));
    Ptr<HeadTrainer> resumed = HeadTrainer::create(desc, toyConfig(), p);
    Ptr<Head> head = resumed->train(d.train, d.val, out);
    expectSameWeights(weightsOf(reference), weightsOf(head));
    EXPECT_EQ(8u, resumed->history().size());
    utils::fs::remove_all(d.dir);
}

TEST(Escrf_Trainer, cache_folder_is_reused_by_later_runs)
{
    ToyData d = makeToyData(3, 2);
    TrainParams p = toyParams();
    p.epochs = 2;
    p.cacheDir = d.dir + "/cache";
    p.cacheBudgetMB = 0; // everything is read back from the folder
    const BackboneDescription desc = BackboneDescription::read(d.backbone);
    Ptr<Head> a = HeadTrainer::create(desc, toyConfig(), p)->train(d.train, d.val, d.dir + "/a.yml");
    std::vector<String> feat, sp;
    utils::fs::glob(p.cacheDir, "*.feat", feat);
    utils::fs::glob(p.cacheDir, "*.sp", sp);
    EXPECT_EQ((3u * 2 + 2) * 2, feat.size()); // train with flips, val without; two outputs each
    EXPECT_EQ(feat.size() / 2, sp.size());
    Ptr<Head> b = HeadTrainer::create(desc, toyConfig(), p)->train(d.train, d.val, d.dir + "/b.yml");
    expectSameWeights(weightsOf(a), weightsOf(b));
    // Without a folder, a budget that is too small is a clear error.
    p.cacheDir.clear();
    expectTrainError(d, toyConfig(), p, d.train, "memory budget");
    utils::fs::remove_all(d.dir);
}

// Run by the kill test below in a child process: trains slowly so that it can be killed.
TEST(Escrf_Trainer, DISABLED_child_process_for_kill_test)
{
    const char* dir = std::getenv("ESCRF_TRAIN_KILL_DIR");
    if (!dir)
        GTEST_SKIP() << "only run as the child of Escrf_Trainer.survives_sigkill_mid_epoch";
    const std::string d(dir);
    Ptr<HeadTrainer> t = HeadTrainer::create(BackboneDescription::read(d + "/tiny_backbone.yml"), toyConfig(), toyParams());
    t->setStepCallback([](int) { std::this_thread::sleep_for(std::chrono::milliseconds(150)); });
    t->train(d + "/train/list.txt", d + "/val/list.txt", d + "/head.yml");
}

TEST(Escrf_Trainer, survives_sigkill_mid_epoch)
{
    ToyData d = makeToyData();
    const BackboneDescription desc = BackboneDescription::read(d.backbone);
    Ptr<Head> reference = HeadTrainer::create(desc, toyConfig(), toyParams())->train(d.train, d.val, d.dir + "/ref.yml");

    // The child is this test binary running the disabled test above.
    const std::string self = "/proc/self/exe";
    std::vector<std::string> args = { self, "--gtest_filter=Escrf_Trainer.DISABLED_child_process_for_kill_test",
                                      "--gtest_also_run_disabled_tests" };
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(&a[0]);
    argv.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; *e; e++)
        envs.push_back(*e);
    envs.push_back("ESCRF_TRAIN_KILL_DIR=" + d.dir);
    std::vector<char*> envp;
    for (std::string& e : envs)
        envp.push_back(&e[0]);
    envp.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(0, posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), envp.data()));

    // Kill it (SIGKILL: no clean-up of any kind) once a mid-epoch checkpoint exists.
    const std::string ckpt = d.dir + "/head.yml.ckpt";
    bool killed = false;
    for (int i = 0; i < 600 && !killed; i++)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (utils::fs::exists(ckpt))
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            killed = kill(pid, SIGKILL) == 0;
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(killed) << "the child finished or never wrote a checkpoint";
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_FALSE(utils::fs::exists(d.dir + "/head.yml"));

    Ptr<Head> head = HeadTrainer::create(desc, toyConfig(), toyParams())->train(d.train, d.val, d.dir + "/head.yml");
    expectSameWeights(weightsOf(reference), weightsOf(head));
    utils::fs::remove_all(d.dir);
}

// ------------------------------------------------------------------ bad input

void expectTrainError(const ToyData& d, const HeadConfig& cfg, const TrainParams& p, const std::string& train,
                      const std::string& fragment)
{
    expectThrowContaining([&] {
        HeadTrainer::create(BackboneDescription::read(d.backbone), cfg, p)->train(train, d.val, d.dir + "/bad.yml");
    }, { fragment });
}

TEST(Escrf_Trainer, bad_inputs_give_clear_errors)
{
    ToyData d = makeToyData(3, 2);
    // Empty list.
    const std::string empty = d.dir + "/empty.txt";
    std::ofstream(empty) << "# nothing here\n";
    expectTrainError(d, toyConfig(), toyParams(), empty, "holds no samples");
    // A label outside [0, K) that is not the ignore label.
    Mat lab = imread(d.dir + "/train/scene_001_labels.png", IMREAD_UNCHANGED);
    lab.at<uchar>(3, 4) = 7;
    imwrite(d.dir + "/train/scene_001_labels.png", lab);
    expectTrainError(d, toyConfig(), toyParams(), d.train, "label 7 at (4, 3)");
    // An image that is not a multiple of the backbone's size multiple.
    ToyData odd = makeToyData(2, 1, Size(33, 24));
    expectTrainError(odd, toyConfig(), toyParams(), odd.train, "multiple of 2");
    // A head input the backbone does not have.
    HeadConfig cfg = toyConfig();
    cfg.inputs = { "feat_a", "no_such_output" };
    expectTrainError(odd, cfg, toyParams(), d.val, "no_such_output");
    // A diverging run stops with the batch named and keeps its last good checkpoint.
    TrainParams p = toyParams();
    p.optimizer = OPTIMIZER_SGD;
    p.learningRate = 1e30;
    p.warmupSteps = 0;
    p.checkpointEvery = 1;
    expectTrainError(d, toyConfig(), p, d.val, "the loss became");
    EXPECT_TRUE(utils::fs::exists(d.dir + "/bad.yml.ckpt"));
    TrainParams bad = toyParams();
    bad.epochs = 0;
    EXPECT_THROW(HeadTrainer::create(BackboneDescription::read(d.backbone), toyConfig(), bad), cv::Exception);
    utils::fs::remove_all(d.dir);
    utils::fs::remove_all(odd.dir);
}

}} // namespace
