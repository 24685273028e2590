// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's GPU path. Escrf_HeadGpuEmulation runs on every machine: the per-element functors
// of head_device_math.hpp against cv::resize and the CPU head pieces, and the whole GPU
// pipeline (head_pipeline.hpp) on host buffers against Head::forward / backward and the
// trainer's loss. Escrf_HeadCuda compares the CUDA runner, Segmenter on a CUDA target and a
// training step on the CUDA device with the CPU (skipped without CUDA or without a device),
// and checks the errors and fall-backs without a device.

#include "test_precomp.hpp"
#include "head/argmax.hpp"
#include "head/bilinear.hpp"
#include "head/head_cache.hpp"
#include "head/head_cuda.hpp"
#include "head/head_emulation.hpp"
#include "head/head_device_math.hpp"
#include "head/head_pipeline.hpp"
#include "head/head_runner.hpp"
#include "core/cuda_device.hpp"
#include "train/loss.hpp"
#include "opencv2/core/utils/filesystem.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;
namespace hd = cv::escrf::headdev;

#ifdef HAVE_ESCRF_CUDA
#define ESCRF_HEAD_REQUIRE_CUDA_DEVICE() \
    do { if (!escrf::cuda::deviceAvailable()) GTEST_SKIP() << "no CUDA device"; } while (0)
#else
#define ESCRF_HEAD_REQUIRE_CUDA_DEVICE() GTEST_SKIP() << "built without CUDA (HAVE_ESCRF_CUDA undefined)"
#endif

bool cudaDevicePresent()
{
#ifdef HAVE_ESCRF_CUDA
    return escrf::cuda::deviceAvailable();
#else
    return false;
#endif
}

// ------------------------------------------------------------------ functors on the host

template <class F>
void runItems(int n, const F& f)
{
    for (int i = 0; i < n; i++)
        f(i);
}

struct HostTaps
{
    cv::escrf::detail::AxisTaps t;
    std::vector<int> range;
    HostTaps(int s, int d) : t(s, d)
    {
        range = t.begin;
        range.insert(range.end(), t.end.begin(), t.end.end());
    }
    hd::AxisTapsView view() const
    {
        const int n = (int)t.begin.size();
        hd::AxisTapsView v = { t.i0.data(), t.i1.data(), t.w0.data(), t.w1.data(), range.data(), range.data() + n };
        return v;
    }
};

Mat functorResize(const Mat& src, Size s, Size d)
{
    HostTaps tx(s.width, d.width), ty(s.height, d.height);
    Mat dst(src.rows, d.area(), CV_32F);
    hd::ResizePlanes f = { src.ptr<float>(), dst.ptr<float>(), s.width, s.height, d.width, d.height, tx.view(),
                           ty.view() };
    runItems(src.rows * d.area(), f);
    return dst;
}

Mat functorAdjoint(const Mat& g, Size s, Size d)
{
    HostTaps tx(s.width, d.width), ty(s.height, d.height);
    const int C = g.rows;
    Mat tmp(C, d.height * s.width, CV_32F), out(C, s.area(), CV_32F);
    hd::AdjointAlongX fx = { g.ptr<float>(), tmp.ptr<float>(), s.width, d.width, C * d.height, tx.view() };
    runItems(C * d.height * s.width, fx);
    hd::AdjointAlongY fy = { tmp.ptr<float>(), out.ptr<float>(), s.width, s.height, d.height, ty.view() };
    runItems(C * s.area(), fy);
    return out;
}

// Up, down, non-integer ratios, one axis only, a single row or column, and an exact halving.
const Size kResizeCases[][2] = { { Size(7, 5), Size(15, 11) },  { Size(12, 9), Size(5, 4) },
                                 { Size(8, 6), Size(16, 12) },  { Size(60, 45), Size(480, 360) },
                                 { Size(10, 3), Size(4, 13) },  { Size(9, 7), Size(9, 20) },
                                 { Size(1, 6), Size(5, 6) },    { Size(30, 20), Size(15, 10) } };

TEST(Escrf_HeadGpuEmulation, resize_functor_equals_cv_resize)
{
    RNG rng(1);
    for (const auto& c : kResizeCases)
    {
        Mat src(3, c[0].area(), CV_32F);
        rng.fill(src, RNG::UNIFORM, -1.f, 1.f);
        const Mat dst = functorResize(src, c[0], c[1]);
        // The functor rounds as cv::resize's row-then-column formula; cv::resize's own kernels
        // (and its INTER_AREA path for an exact halving) differ from it by 1 ulp on a few pixels.
        for (int ch = 0; ch < 3; ch++)
        {
            Mat expected;
            resize(Mat(c[0], CV_32F, src.ptr<float>(ch)), expected, c[1], 0, 0, INTER_LINEAR);
            EXPECT_LE(cv::norm(Mat(c[1], CV_32F, (void*)dst.ptr<float>(ch)), expected, NORM_INF), 1e-6)
                << c[0] << " -> " << c[1];
        }
    }
}

TEST(Escrf_HeadGpuEmulation, adjoint_functors_equal_cpu_adjoint_bit_for_bit)
{
    RNG rng(2);
    for (const auto& c : kResizeCases)
    {
        Mat g(2, c[1].area(), CV_32F), expected;
        rng.fill(g, RNG::UNIFORM, -1.f, 1.f);
        cv::escrf::detail::resizeBilinearAdjoint(g, c[0], c[1], expected);
        const Mat got = functorAdjoint(g, c[0], c[1]);
        EXPECT_EQ(0, cv::norm(got, expected, NORM_INF)) << c[0] << " -> " << c[1];
        // And it is the adjoint of the functor resize: <R x, g> = <x, R^T g>.
        Mat x(2, c[0].area(), CV_32F);
        rng.fill(x, RNG::UNIFORM, -1.f, 1.f);
        const double lhs = functorResize(x, c[0], c[1]).dot(g), rhs = x.dot(got);
        EXPECT_NEAR(lhs, rhs, 1e-4 * (std::abs(lhs) + 1)) << c[0] << " -> " << c[1];
    }
}

TEST(Escrf_HeadGpuEmulation, loss_functors_equal_cpu_loss_with_ignore_and_weights)
{
    RNG rng(3);
    const int K = 4, ignore = 255;
    const Size size(11, 6);
    const int N = size.area();
    Mat z(K, N, CV_32F), labels(size, CV_32S);
    rng.fill(z, RNG::UNIFORM, -4.f, 4.f);
    for (int i = 0; i < N; i++)
        labels.ptr<int>()[i] = i % 7 == 3 ? ignore : rng.uniform(0, K);
    const std::vector<float> weights = { 0.5f, 2.f, 1.f, 3.f };
    for (const std::vector<float>& w : { std::vector<float>(), weights })
    {
        Mat expectedDz;
        double expectedW = 0;
        const double expectedLoss = cv::escrf::detail::softmaxCrossEntropy(z, size, labels, ignore, w, expectedDz,
                                                                            expectedW);
        Mat dz(K, N, CV_32F);
        std::vector<double> loss(N), weight(N), rowLoss(size.height), rowWeight(size.height);
        std::vector<int> bad(size.height), badValue(size.height);
        hd::SoftmaxCrossEntropy ce = { z.ptr<float>(), labels.ptr<int>(), w.empty() ? nullptr : w.data(),
                                       dz.ptr<float>(), loss.data(), weight.data(), K, N, ignore };
        runItems(N, ce);
        hd::LossRows rows = { loss.data(), weight.data(), labels.ptr<int>(), rowLoss.data(), rowWeight.data(),
                              bad.data(), badValue.data(), size.width, K, ignore };
        runItems(size.height, rows);
        double l = 0, ws = 0;
        for (int y = 0; y < size.height; y++)
        {
            EXPECT_EQ(0, bad[y]);
            l += rowLoss[y], ws += rowWeight[y];
        }
        // The same operations in the same order as src/train/loss.cpp: identical results.
        EXPECT_EQ(expectedLoss, l);
        EXPECT_EQ(expectedW, ws);
        EXPECT_EQ(0, cv::norm(dz, expectedDz, NORM_INF));
    }
    // A label outside [0, K) that is not the ignore label is flagged with its row and value.
    labels.at<int>(4, 2) = -1;
    labels.at<int>(4, 7) = 9;
    Mat dz(K, N, CV_32F);
    std::vector<double> loss(N), weight(N), rowLoss(size.height), rowWeight(size.height);
    std::vector<int> bad(size.height), badValue(size.height);
    hd::SoftmaxCrossEntropy ce = { z.ptr<float>(), labels.ptr<int>(), nullptr, dz.ptr<float>(), loss.data(),
                                   weight.data(), K, N, ignore };
    runItems(N, ce);
    hd::LossRows rows = { loss.data(), weight.data(), labels.ptr<int>(), rowLoss.data(), rowWeight.data(), bad.data(),
                          badValue.data(), size.width, K, ignore };
    runItems(size.height, rows);
    for (int y = 0; y < size.height; y++)
        EXPECT_EQ(y == 4 ? 1 : 0, bad[y]) << y;
    EXPECT_EQ(-1, badValue[4]);
}

TEST(Escrf_HeadGpuEmulation, argmax_functor_equals_argmaxPlanar_ties_and_crop)
{
    RNG rng(4);
    const int K = 5;
    const Size work(9, 7), out(6, 5);
    Mat scores(K, work.area(), CV_32F);
    rng.fill(scores, RNG::UNIFORM, 0, 3);
    scores.forEach<float>([](float& v, const int*) { v = std::floor(v); });   // many ties
    for (int ltype : { CV_8U, CV_32S })
    {
        Mat expected, cropped(K, out.area(), CV_32F);
        for (int k = 0; k < K; k++)
            Mat(work, CV_32F, scores.ptr<float>(k))(Rect(Point(), out)).copyTo(Mat(out, CV_32F, cropped.ptr<float>(k)));
        cv::escrf::detail::argmaxPlanar(cropped, out, ltype, expected);
        Mat got(out, ltype);
        hd::ArgmaxPlanes f = { scores.ptr<float>(), ltype == CV_8U ? got.ptr<uint8_t>() : nullptr,
                               ltype == CV_32S ? got.ptr<int>() : nullptr, K, work.width, work.height, out.width };
        runItems(out.area(), f);
        EXPECT_EQ(0, cv::norm(got, expected, NORM_INF));
    }
}

// ------------------------------------------------------------------ the pipeline vs the CPU head

Mat randomBlob(int c, int h, int w, RNG& rng)
{
    const int sz[] = { 1, c, h, w };
    Mat b(4, sz, CV_32F);
    rng.fill(b, RNG::UNIFORM, -1.f, 1.f);
    return b;
}

struct HeadCase
{
    int variant, projection;
    bool relu;
    const char* name;
};

const HeadCase kHeadCases[] = { { HEAD_BASELINE, 5, true, "baseline" },
                                { HEAD_BASELINE, 0, false, "baseline, concatenated" },
                                { HEAD_ESCRF, 5, true, "escrf" },
                                { HEAD_ESCRF, 6, false, "escrf, no ReLU" },
                                { HEAD_PAIRWISE, 5, true, "pairwise" },
                                { HEAD_SUPERPIXEL, 5, true, "superpixel" } };

// A head on three inputs: one at the head resolution, one coarser, one finer (a guide-like image).
struct Fixture
{
    Ptr<Head> head;
    std::vector<Mat> inputs;
    Size headSize{ 12, 9 };
    EscrfGuide guide;
    Mat image8;

    Fixture(const HeadCase& c, uint64 seed, bool pairCompatibility = false)
    {
        RNG rng(seed);
        HeadConfig cfg;
        cfg.variant = c.variant;
        cfg.inputs = { "same", "coarse", "fine" };
        cfg.projection = c.projection;
        cfg.projectionRelu = c.relu;
        cfg.numClasses = 4;
        cfg.block.embedDim = 4;
        cfg.block.posDim = 4;
        cfg.block.learnableFusion = true;
        cfg.block.pairCompatibility = pairCompatibility;
        head = Head::create(cfg, { 3, 4, 3 }, seed);
        if (c.projection > 0)
            head->projectionBias += 0.1f;   // non-zero biases, so that their gradients and sums matter
        head->classifierBias += 0.2f;
        if (c.variant != HEAD_BASELINE)
            head->blockWeights.W_img *= 2;
        inputs = { randomBlob(3, headSize.height, headSize.width, rng), randomBlob(4, 5, 7, rng),
                   randomBlob(3, 2 * headSize.height + 1, 2 * headSize.width + 3, rng) };
        makeGridGuide(headSize, 5, 25, head->effectiveBlockParams(), rng, guide);
    }
    const EscrfGuide* g() const { return head->needsGuide() ? &guide : nullptr; }
};

// The tensors a head cache holds (Z, F, F*), whichever pass filled it.
std::vector<Mat> cacheTensors(const HeadCache& cache)
{
    if (cache.empty())
        return std::vector<Mat>();
    const cv::escrf::detail::HeadCacheState& s = *cache.state();
    return { s.Z, s.F, s.Fstar };
}

double relDiff(const Mat& a, const Mat& b)
{
    return cv::norm(a, b, NORM_INF) / (cv::norm(b, NORM_INF) + 1e-6);
}

typedef Ptr<cv::escrf::detail::HeadRunner> (*RunnerFactory)(const Head&);

// runner forward/backward against Head::forward/backward, relative tolerance tol.
void compareForwardBackward(RunnerFactory make, double tol)
{
    for (const HeadCase& c : kHeadCases)
    {
        SCOPED_TRACE(c.name);
        Fixture f(c, 5 + c.variant);
        Mat expected, got, R;
        HeadCache cpuCache, runCache;
        f.head->forward(f.inputs, f.headSize, f.g(), expected, &cpuCache);
        Ptr<cv::escrf::detail::HeadRunner> runner = make(*f.head);
        runner->forward(f.inputs, f.headSize, f.g(), got, &runCache);
        EXPECT_LE(relDiff(got, expected), tol);
        const std::vector<Mat> cpuSaved = cacheTensors(cpuCache), runSaved = cacheTensors(runCache);
        ASSERT_EQ(cpuSaved.size(), runSaved.size());
        for (size_t i = 0; i < cpuSaved.size(); i++)
            EXPECT_LE(relDiff(runSaved[i], cpuSaved[i]), tol) << "cache " << i;

        RNG rng(9);
        R.create(expected.size(), CV_32F);
        rng.fill(R, RNG::UNIFORM, -1.f, 1.f);
        std::vector<Mat> cpuGrads = f.head->zeroGradients(), runGrads = f.head->zeroGradients();
        f.head->backward(f.inputs, f.headSize, f.g(), cpuCache, R, cpuGrads);
        runner->backward(f.inputs, f.headSize, f.g(), runCache, R, runGrads);
        const std::vector<String> names = f.head->parameterNames();
        for (size_t i = 0; i < names.size(); i++)
        {
            // Every gradient is exercised, except the pairwise weights that the superpixel variant switches off.
            if (c.variant != HEAD_SUPERPIXEL || (names[i] != "block.W_img" && names[i] != "block.W_pos" &&
                                                 names[i] != "block.w_comp"))
            {
                EXPECT_GT(cv::norm(cpuGrads[i], NORM_INF), 0) << names[i];
            }
            EXPECT_LE(relDiff(runGrads[i], cpuGrads[i]), tol) << names[i];
        }
    }
}

// Two samples of a batch through trainSample + addGradients, against forward, loss, backward.
void compareTrainStep(RunnerFactory make, double tol)
{
    for (const HeadCase& c : kHeadCases)
    {
        SCOPED_TRACE(c.name);
        Fixture f(c, 21 + c.variant, c.variant == HEAD_ESCRF);
        RNG rng(12);
        const int K = f.head->config().numClasses, ignore = 255;
        const std::vector<float> weights = { 1.f, 0.5f, 2.f, 1.5f };
        Ptr<cv::escrf::detail::HeadRunner> runner = make(*f.head);
        std::vector<Mat> cpuGrads = f.head->zeroGradients(), runGrads = f.head->zeroGradients();
        for (int s = 0; s < 2; s++)
        {
            // Labels at twice the head resolution plus one (non-integer scale), some ignored.
            Mat labels(2 * f.headSize.height + 1, 2 * f.headSize.width + 1, CV_8U);
            for (int i = 0; i < (int)labels.total(); i++)
                labels.ptr<uchar>()[i] = (uchar)(rng.uniform(0, 6) == 0 ? ignore : rng.uniform(0, K));
            f.inputs[1] = randomBlob(4, 5, 7, rng);
            HeadCache hc;
            Mat logits, dLogits;
            double w = 0, wr = 0;
            f.head->forward(f.inputs, f.headSize, f.g(), logits, &hc);
            const double loss = cv::escrf::detail::softmaxCrossEntropy(logits, f.headSize, labels, ignore, weights,
                                                                        dLogits, w);
            f.head->backward(f.inputs, f.headSize, f.g(), hc, dLogits, cpuGrads);
            const double lr = runner->trainSample(f.inputs, f.headSize, f.g(), labels, ignore, weights, wr);
            EXPECT_NEAR(lr, loss, tol * std::abs(loss));
            EXPECT_NEAR(wr, w, 1e-9 * w);
        }
        runner->addGradients(runGrads);
        const std::vector<String> names = f.head->parameterNames();
        for (size_t i = 0; i < names.size(); i++)
            EXPECT_LE(relDiff(runGrads[i], cpuGrads[i]), tol) << names[i];
        // addGradients cleared the runner's sums.
        std::vector<Mat> again = f.head->zeroGradients();
        runner->addGradients(again);
        for (const Mat& m : again)
            EXPECT_EQ(0, cv::norm(m, NORM_INF));
    }
}

// predict (labels and scores, crop and resize back) against the CPU's Segmenter math.
void comparePredict(RunnerFactory make, double tol, double maxLabelMismatch)
{
    for (const HeadCase& c : kHeadCases)
    {
        SCOPED_TRACE(c.name);
        Fixture f(c, 31 + c.variant);
        Ptr<cv::escrf::detail::HeadRunner> runner = make(*f.head);
        Mat logits, full;
        f.head->forward(f.inputs, f.headSize, f.g(), logits);
        const Size work(2 * f.headSize.width, 2 * f.headSize.height);
        cv::escrf::detail::resizeBilinear(logits, f.headSize, work, full);
        const int K = full.rows;
        for (bool resizeBack : { false, true })
        {
            const Size out = resizeBack ? Size(31, 17) : Size(work.width - 3, work.height - 1);
            Mat expected(K, out.area(), CV_32F);
            for (int k = 0; k < K; k++)
            {
                Mat src(work, CV_32F, full.ptr<float>(k)), dst(out, CV_32F, expected.ptr<float>(k));
                if (resizeBack)
                    resize(src, dst, out, 0, 0, INTER_LINEAR);
                else
                    src(Rect(Point(), out)).copyTo(dst);
            }
            Mat scores, labels, expectedLabels;
            runner->predict(f.inputs, f.headSize, f.g(), work, out, resizeBack, -1, scores);
            EXPECT_LE(relDiff(scores, expected), tol) << "resizeBack " << resizeBack;
            cv::escrf::detail::argmaxPlanar(expected, out, CV_32S, expectedLabels);
            for (int ltype : { CV_8U, CV_32S })
            {
                runner->predict(f.inputs, f.headSize, f.g(), work, out, resizeBack, ltype, labels);
                ASSERT_EQ(ltype, labels.type());
                ASSERT_EQ(out, labels.size());
                Mat l32;
                labels.convertTo(l32, CV_32S);
                EXPECT_LE(countNonZero(l32 != expectedLabels), maxLabelMismatch * out.area())
                    << "resizeBack " << resizeBack;
            }
        }
    }
}

TEST(Escrf_HeadGpuEmulation, forward_backward_equal_cpu_head)
{
    compareForwardBackward(&cv::escrf::detail::createHeadRunnerEmulation, 1e-6);
}

TEST(Escrf_HeadGpuEmulation, train_sample_equals_cpu_forward_loss_backward)
{
    compareTrainStep(&cv::escrf::detail::createHeadRunnerEmulation, 1e-6);
}

TEST(Escrf_HeadGpuEmulation, predict_equals_cpu_resize_crop_argmax)
{
    comparePredict(&cv::escrf::detail::createHeadRunnerEmulation, 1e-6, 0.0);
}

TEST(Escrf_HeadGpuEmulation, bad_inputs_throw)
{
    Fixture f(kHeadCases[2], 3);
    Ptr<cv::escrf::detail::HeadRunner> runner = cv::escrf::detail::createHeadRunnerEmulation(*f.head);
    Mat logits;
    std::vector<Mat> two(f.inputs.begin(), f.inputs.begin() + 2);
    EXPECT_THROW(runner->forward(two, f.headSize, f.g(), logits), cv::Exception);
    std::vector<Mat> wrong = f.inputs;
    RNG rng(1);
    wrong[1] = randomBlob(5, 5, 7, rng);   // 5 channels where the head expects 4
    EXPECT_THROW(runner->forward(wrong, f.headSize, f.g(), logits), cv::Exception);
    EXPECT_THROW(runner->forward(f.inputs, f.headSize, nullptr, logits), cv::Exception);   // escrf needs the guide
    HeadCache cache;
    runner->forward(f.inputs, f.headSize, f.g(), logits, &cache);
    std::vector<Mat> grads = f.head->zeroGradients();
    grads.pop_back();
    EXPECT_THROW(runner->backward(f.inputs, f.headSize, f.g(), cache, logits, grads), cv::Exception);
    Mat labels(f.headSize, CV_8U, Scalar(7));   // outside [0, 4) and not the ignore label
    double w = 0;
    expectThrowContaining(
        [&] { runner->trainSample(f.inputs, f.headSize, f.g(), labels, 255, std::vector<float>(), w); },
        { "value 7 at row 0" });
    Mat out;
    EXPECT_THROW(runner->predict(f.inputs, f.headSize, f.g(), Size(10, 10), Size(11, 10), false, CV_8U, out),
                 cv::Exception);
}

// A cache whose F or F* is not D x N CV_32F would be read out of bounds by the GEMMs and the block.
TEST(Escrf_HeadGpuEmulation, backward_checks_every_cached_tensor)
{
    Fixture f(kHeadCases[2], 4);
    Ptr<cv::escrf::detail::HeadRunner> runner = cv::escrf::detail::createHeadRunnerEmulation(*f.head);
    Mat logits;
    HeadCache cache;
    runner->forward(f.inputs, f.headSize, f.g(), logits, &cache);
    ASSERT_EQ(3u, cacheTensors(cache).size());
    const int D = cache.state()->Z.rows, N = cache.state()->Z.cols;
    const char* const names[] = { "Z", "F", "F*" };
    for (int i = 0; i < 3; i++)
    {
        const Mat bad[] = { Mat(D, N - 1, CV_32F, Scalar(0)), Mat(D - 1, N, CV_32F, Scalar(0)),
                            Mat(D, N, CV_64F, Scalar(0)), Mat(D, N + 1, CV_32F, Scalar(0)).colRange(0, N), Mat() };
        for (const Mat& m : bad)
        {
            HeadCache broken;   // a copy of the state, one tensor replaced
            broken.setState(makePtr<cv::escrf::detail::HeadCacheState>(*cache.state()));
            Mat* tensors[] = { &broken.state()->Z, &broken.state()->F, &broken.state()->Fstar };
            *tensors[i] = m;
            std::vector<Mat> grads = f.head->zeroGradients();
            SCOPED_TRACE(cv::format("%s %dx%d type %d", names[i], m.rows, m.cols, m.type()));
            expectThrowContaining([&] { runner->backward(f.inputs, f.headSize, f.g(), broken, logits, grads); },
                                  { cv::format("cache tensor %s is", names[i]) });
        }
    }
    // The intact cache still works after the rejected ones.
    std::vector<Mat> grads = f.head->zeroGradients();
    EXPECT_NO_THROW(runner->backward(f.inputs, f.headSize, f.g(), cache, logits, grads));
}

// CV_8U labels hold 256 classes: more must be refused, not wrapped (class 299 would read as 43).
TEST(Escrf_HeadGpuEmulation, predict_u8_labels_refuse_more_than_256_classes)
{
    HeadConfig cfg;
    cfg.variant = HEAD_BASELINE;
    cfg.inputs = { "x" };
    cfg.numClasses = 300;
    Ptr<Head> head = Head::create(cfg, { 3 }, 7);
    head->classifierBias.at<float>(299) = 100.f;   // class 299 wins everywhere
    RNG rng(2);
    const std::vector<Mat> inputs = { randomBlob(3, 4, 5, rng) };
    Ptr<cv::escrf::detail::HeadRunner> runner = cv::escrf::detail::createHeadRunnerEmulation(*head);
    Mat out;
    expectThrowContaining(
        [&] { runner->predict(inputs, Size(5, 4), nullptr, Size(10, 8), Size(10, 8), false, CV_8U, out); },
        { "300 classes do not fit CV_8U" });
    runner->predict(inputs, Size(5, 4), nullptr, Size(10, 8), Size(10, 8), false, CV_32S, out);
    ASSERT_EQ(CV_32S, out.type());
    EXPECT_EQ(out.total(), (size_t)countNonZero(out == 299));
}

// Once a runner has seen the sizes, its steps allocate nothing: the resize tables and the scratch
// are kept (on the device each allocation costs, and each cudaFree waits for the whole GPU).
TEST(Escrf_HeadGpuEmulation, steady_state_steps_allocate_nothing)
{
    for (const HeadCase& c : kHeadCases)
    {
        SCOPED_TRACE(c.name);
        Fixture f(c, 41 + c.variant);
        Ptr<cv::escrf::detail::HeadRunner> runner = cv::escrf::detail::createHeadRunnerEmulation(*f.head);
        RNG rng(5);
        const int K = f.head->config().numClasses;
        Mat labels(2 * f.headSize.height + 1, 2 * f.headSize.width + 1, CV_8U);
        for (int i = 0; i < (int)labels.total(); i++)
            labels.ptr<uchar>()[i] = (uchar)rng.uniform(0, K);
        const Size work(2 * f.headSize.width, 2 * f.headSize.height);
        auto step = [&]() {
            double w = 0;
            runner->trainSample(f.inputs, f.headSize, f.g(), labels, 255, std::vector<float>(), w);
            std::vector<Mat> grads = f.head->zeroGradients();
            runner->addGradients(grads);
            Mat logits, out;
            HeadCache cache;
            runner->forward(f.inputs, f.headSize, f.g(), logits, &cache);
            runner->backward(f.inputs, f.headSize, f.g(), cache, logits, grads);
            runner->predict(f.inputs, f.headSize, f.g(), work, Size(31, 17), true, CV_8U, out);
            runner->predict(f.inputs, f.headSize, f.g(), work, Size(work.width - 3, work.height - 1), false, -1, out);
        };
        step();
        const size_t warm = cv::escrf::detail::headEmulationAllocations();
        step();
        step();
        EXPECT_EQ(warm, cv::escrf::detail::headEmulationAllocations());
    }
}

// ------------------------------------------------------------------ CUDA

#ifdef HAVE_ESCRF_CUDA
Ptr<cv::escrf::detail::HeadRunner> makeCudaRunner(const Head& head) { return escrf::cuda::createHeadRunner(head); }
#endif

// float32 on both sides, different summation orders (cuBLAS, expf): relative 1e-4.
TEST(Escrf_HeadCuda, forward_backward_match_cpu)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    compareForwardBackward(&makeCudaRunner, 1e-4);
    // The free functions run the same runner.
    Fixture f(kHeadCases[2], 4);
    Mat expected, got;
    f.head->forward(f.inputs, f.headSize, f.g(), expected);
    escrf::cuda::headForward(*f.head, f.inputs, f.headSize, f.g(), got);
    EXPECT_LE(relDiff(got, expected), 1e-4);
#endif
}

TEST(Escrf_HeadCuda, train_sample_matches_cpu)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    compareTrainStep(&makeCudaRunner, 1e-4);
#endif
}

TEST(Escrf_HeadCuda, predict_matches_cpu)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    comparePredict(&makeCudaRunner, 1e-4, 0.01);   // near-ties may flip with float32 rounding
#endif
}

// dense has no CUDA block: the runner runs that block on the CPU, the rest on the device.
TEST(Escrf_HeadCuda, dense_block_runs_on_the_cpu_between_device_stages)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    HeadCase c = kHeadCases[2];
    Fixture f(c, 8);
    HeadConfig cfg = f.head->config();
    cfg.block.dense = true;
    String reason;
    Ptr<Head> dense = Head::create(cfg, f.head->inputChannels(), 8);
    EXPECT_FALSE(escrf::cuda::headBlockOnDevice(*dense, &reason));
    EXPECT_NE(std::string::npos, reason.find("dense")) << reason;
    EscrfGuide guide;
    Mat image(f.headSize.height * 2, f.headSize.width * 2, CV_32FC3, Scalar::all(0.5));
    Mat sp(image.size(), CV_32S, Scalar(0));
    prepareGuide(image, sp, 1, f.headSize, dense->effectiveBlockParams(), guide);
    Mat expected, got;
    dense->forward(f.inputs, f.headSize, &guide, expected);
    escrf::cuda::createHeadRunner(*dense)->forward(f.inputs, f.headSize, &guide, got);
    EXPECT_LE(relDiff(got, expected), 1e-4);
#endif
}

// ------------------------------------------------------------------ Segmenter and trainer

struct ToyBackbone
{
    std::string dir, file;
    BackboneDescription desc;
    std::vector<int> channels;
    ToyBackbone()
    {
        dir = cv::tempfile("_escrf_head_cuda");
        utils::fs::createDirectories(dir);
        file = writeToyBackbone(dir);
        desc = BackboneDescription::read(file);
        std::vector<Mat> blobs;
        Backbone::create(desc)->forward(Mat(24, 32, CV_8UC3, Scalar::all(90)), { "feat_a", "feat_b" }, blobs);
        for (const Mat& b : blobs)
            channels.push_back(b.size[1]);
    }
    ~ToyBackbone() { utils::fs::remove_all(dir); }
};

Mat toyImage(Size size, uint64 seed)
{
    Mat image(size, CV_8UC3);
    RNG rng(seed);
    rng.fill(image, RNG::UNIFORM, Scalar::all(0), Scalar::all(255));
    GaussianBlur(image, image, Size(5, 5), 0);
    return image;
}

// Without a device (or without CUDA) a CUDA target keeps everything on the CPU: same labels.
TEST(Escrf_HeadCuda, segmenter_cuda_target_without_device_falls_back_to_cpu)
{
    if (cudaDevicePresent())
        GTEST_SKIP() << "a CUDA device is present (this checks the fall-back without one)";
    ToyBackbone tb;
    Ptr<Head> head = Head::create(toyHeadConfig(), tb.channels, 3);
    Ptr<Segmenter> cpu = Segmenter::create(head, tb.desc), gpu = Segmenter::create(head, tb.desc);
    // cv::dnn without its CUDA backend also falls back to the CPU (with its own warning).
    gpu->setPreferableBackend(dnn::DNN_BACKEND_CUDA);
    gpu->setPreferableTarget(dnn::DNN_TARGET_CUDA);   // logs why the head stays on the CPU
    const Mat image = toyImage(Size(33, 25), 5);
    Mat a, b;
    cpu->segment(image, a);
    gpu->segment(image, b);
    EXPECT_EQ(0, cv::norm(a, b, NORM_INF));
}

// The comparison variants have no GPU path: the runner (here its emulation, the same pipeline
// class) refuses them by name, and a Segmenter with a CUDA target keeps their head on the CPU (one
// log line), with or without a device.
TEST(Escrf_HeadCuda, comparison_variants_stay_on_the_cpu)
{
    ToyBackbone tb;
    for (int variant : { HEAD_JOINT_CRF, HEAD_NONLOCAL })
    {
        Ptr<Head> head = Head::create(toyHeadConfig(variant), tb.channels, 3);
        expectThrowContaining([&] { cv::escrf::detail::createHeadRunnerEmulation(*head); },
                              { headVariantToString(variant) + " head has no GPU path" });
        Ptr<Segmenter> cpu = Segmenter::create(head, tb.desc), gpu = Segmenter::create(head, tb.desc);
        gpu->setPreferableBackend(dnn::DNN_BACKEND_CUDA);   // cv::dnn falls back without it
        gpu->setPreferableTarget(dnn::DNN_TARGET_CUDA);
        const Mat image = toyImage(Size(33, 25), 6);
        Mat a, b;
        cpu->segment(image, a);
        gpu->segment(image, b);
        EXPECT_EQ(0, cv::norm(a, b, NORM_INF)) << headVariantToString(variant);
    }
}

TEST(Escrf_HeadCuda, segmenter_on_cuda_matches_cpu)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
    ToyBackbone tb;
    Ptr<Head> head = Head::create(toyHeadConfig(), tb.channels, 3);
    Ptr<Segmenter> cpu = Segmenter::create(head, tb.desc), gpu = Segmenter::create(head, tb.desc);
    // The backbone runs on cv::dnn's CUDA backend when OpenCV has it, else (with a warning) on
    // the CPU; the comparison's tolerance allows for the backbone's own float32 differences.
    gpu->setPreferableBackend(dnn::DNN_BACKEND_CUDA);
    gpu->setPreferableTarget(dnn::DNN_TARGET_CUDA);
    // The CUDA target keeps the superpixels' device: ximgproc's SLIC by default (the CPU path's),
    // the CUDA SLIC once chosen (both segmenters then use it).
    for (int device : { SUPERPIXEL_DEVICE_CPU, SUPERPIXEL_DEVICE_CUDA })
    for (Size processing : { Size(), Size(32, 24) })
    {
        SCOPED_TRACE(device);
        SuperpixelParams sp = cpu->getSuperpixelParams();
        sp.device = device;
        cpu->setSuperpixelParams(sp);
        gpu->setSuperpixelParams(sp);
        cpu->setProcessingSize(processing);
        gpu->setProcessingSize(processing);
        const Mat image = toyImage(Size(33, 25), 6);
        Mat a, b, pa, pb;
        cpu->segment(image, a);
        gpu->segment(image, b);
        EXPECT_LE(countNonZero(a != b), 0.01 * a.total()) << processing;
        cpu->predict(image, pa);
        gpu->predict(image, pb);
        EXPECT_LE(cv::norm(pa, pb, NORM_INF), 1e-3) << processing;
    }
}

TrainParams oneStepParams(int device)
{
    TrainParams p;
    p.epochs = 1;
    p.batchSize = 2;
    p.flip = true;            // one image and its flip: one step of two samples
    p.maxImages = 1;
    p.optimizer = OPTIMIZER_SGD;   // linear in the gradient (AdamW's first step is its sign)
    p.learningRate = 0.05;
    p.warmupSteps = 0;
    p.checkpointEvery = 0;
    p.verbose = 0;
    p.device = device;
    return p;
}

TEST(Escrf_HeadCuda, one_training_step_on_cuda_matches_cpu)
{
    ESCRF_HEAD_REQUIRE_CUDA_DEVICE();
    ToyBackbone tb;
    const std::string train = writeSyntheticDataset(tb.dir + "/train", 1, Size(32, 24), 1);
    HeadConfig cfg = toyHeadConfig();
    cfg.block.learnableFusion = true;
    Ptr<Head> cpu = HeadTrainer::create(tb.desc, cfg, oneStepParams(TRAIN_DEVICE_CPU))->train(train, "", tb.dir + "/c.yml");
    Ptr<Head> gpu = HeadTrainer::create(tb.desc, cfg, oneStepParams(TRAIN_DEVICE_CUDA))->train(train, "", tb.dir + "/g.yml");
    const std::vector<Mat> a = cpu->parameters(), b = gpu->parameters();
    const std::vector<String> names = cpu->parameterNames();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); i++)
        EXPECT_LE(relDiff(b[i], a[i]), 1e-4) << names[i];
}

TEST(Escrf_HeadCuda, train_device_cuda_without_device_says_why)
{
    if (cudaDevicePresent())
        GTEST_SKIP() << "a CUDA device is present (this checks the error without one)";
    ToyBackbone tb;
    try
    {
        HeadTrainer::create(tb.desc, toyHeadConfig(), oneStepParams(TRAIN_DEVICE_CUDA));
        ADD_FAILURE() << "TRAIN_DEVICE_CUDA without a device must throw";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_EQ(cv::Error::GpuNotSupported, e.code);
#ifdef HAVE_ESCRF_CUDA
        EXPECT_NE(std::string::npos, e.err.find("no CUDA device")) << e.err;
#else
        EXPECT_NE(std::string::npos, e.err.find("built without CUDA")) << e.err;
#endif
    }
    EXPECT_THROW(HeadTrainer::create(tb.desc, toyHeadConfig(), oneStepParams(2)), cv::Exception);
#ifdef HAVE_ESCRF_CUDA
    Fixture f(kHeadCases[0], 1);
    expectThrowContaining([&] { escrf::cuda::createHeadRunner(*f.head); }, { "no CUDA device" });
#endif
}

}} // namespace
