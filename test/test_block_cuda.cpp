// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The ES-CRF block's CUDA path against the CPU functions: forward output, dF and every weight
// gradient, for every option combination, to float32 tolerance. The GPU comparisons skip (with
// the reason) without CUDA or without a device; the argument checks run before any CUDA call,
// so they are tested on machines without a device too.

#include "test_precomp.hpp"
#include "opencv2/escrf/block.hpp"
#include "block/block_cache.hpp"
#include "block/block_cuda.hpp"
#include "core/cuda_device.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;

#ifdef HAVE_ESCRF_CUDA
#define ESCRF_BLOCK_REQUIRE_CUDA_DEVICE() \
    do { if (!escrf::cuda::deviceAvailable()) GTEST_SKIP() << "no CUDA device"; } while (0)
#define ESCRF_BLOCK_REQUIRE_CUDA_BUILD() do {} while (0)
#else
#define ESCRF_BLOCK_REQUIRE_CUDA_DEVICE() GTEST_SKIP() << "built without CUDA (HAVE_ESCRF_CUDA undefined)"
#define ESCRF_BLOCK_REQUIRE_CUDA_BUILD() GTEST_SKIP() << "built without CUDA (HAVE_ESCRF_CUDA undefined)"
#endif

#ifdef HAVE_ESCRF_CUDA

struct Problem
{
    EscrfBlockParams params;
    EscrfBlockWeights weights;
    EscrfGuide guide;
    Mat F, dOut;
};

// Random float32 problem; the image is about twice the feature map (non-integer ratio), the
// labels blocky with noise so that superpixels hold cells of several sizes (and some are empty).
Problem makeProblem(const EscrfBlockParams& params, int C, Size fs, uint64 seed)
{
    RNG rng(seed);
    Problem p;
    p.params = params;
    const Size img(2 * fs.width + 1, 2 * fs.height + 1);
    const int M = 9;
    Mat image(img, CV_32FC3), labels(img, CV_32SC1);
    rng.fill(image, RNG::UNIFORM, Scalar::all(0), Scalar::all(1));
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            labels.at<int>(y, x) = rng.uniform(0, 5) == 0 ? rng.uniform(0, M - 1)
                                                          : ((y * 3 / img.height) * 3 + x * 3 / img.width) % (M - 1);
    prepareGuide(image, labels, M, fs, params, p.guide, CV_32F);   // superpixel M-1 stays empty
    p.weights = EscrfBlockWeights::create(params, C, rng, CV_32F);
    p.weights.W_img *= 2;   // larger than the init so that every term matters
    p.weights.w_comp *= 3;
    if (params.pairCompatibility)
    {
        p.weights.a *= 3;
        p.weights.b *= 3;
        p.weights.c = rng.uniform(-0.5, 0.5);
    }
    if (params.learnableFusion)
    {
        p.weights.alphaS = rng.uniform(0.05, 0.5);
        p.weights.alphaP = rng.uniform(0.05, 0.5);
    }
    p.F.create(C, fs.area(), CV_32F);
    rng.fill(p.F, RNG::NORMAL, Scalar(0), Scalar(1));
    p.dOut.create(C, fs.area(), CV_32F);
    rng.fill(p.dOut, RNG::NORMAL, Scalar(0), Scalar(1));
    return p;
}

// Non-zero starting gradients: the backward pass must add to them.
EscrfBlockWeights startGrads(const EscrfBlockWeights& w)
{
    EscrfBlockWeights g = w.zerosLike();
    RNG rng(99);
    for (Mat* m : { &g.W_img, &g.W_pos, &g.w_comp, &g.a, &g.b })
        if (!m->empty())
            rng.fill(*m, RNG::UNIFORM, Scalar(-1), Scalar(1));
    g.c = 0.25;
    g.alphaS = -0.5;
    g.alphaP = 0.75;
    return g;
}

void expectClose(const char* what, const Mat& cpu, const Mat& gpu)
{
    ASSERT_EQ(cpu.size(), gpu.size()) << what;
    ASSERT_EQ(cpu.type(), gpu.type()) << what;
    if (cpu.empty())
        return;
    const double scale = std::max(norm(cpu, NORM_INF), 1e-3);
    EXPECT_LE(norm(cpu, gpu, NORM_INF), 1e-4 * scale) << what << ": max |cpu| = " << scale;
}

void expectCloseScalar(const char* what, double cpu, double gpu)
{
    EXPECT_LE(std::abs(cpu - gpu), 1e-4 * std::max(1.0, std::abs(cpu))) << what << ": cpu " << cpu << ", gpu " << gpu;
}

struct Result
{
    Mat out, dF;
    EscrfBlockWeights grads;
};

Result runCpu(const Problem& p)
{
    Result r;
    EscrfBlockCache cache;
    escrfBlockForward(p.params, p.weights, p.guide, p.F, r.out, &cache);
    r.grads = startGrads(p.weights);
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, r.dF, r.grads);
    return r;
}

Result runGpu(const Problem& p)
{
    Result r;
    EscrfBlockCache cache;
    escrf::cuda::escrfBlockForward(p.params, p.weights, p.guide, p.F, r.out, &cache);
    r.grads = startGrads(p.weights);
    escrf::cuda::escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, r.dF, r.grads);
    return r;
}

void compare(const Problem& p)
{
    const Result c = runCpu(p), g = runGpu(p);
    expectClose("out", c.out, g.out);
    expectClose("dF", c.dF, g.dF);
    expectClose("dW_img", c.grads.W_img, g.grads.W_img);
    expectClose("dW_pos", c.grads.W_pos, g.grads.W_pos);
    expectClose("dw_comp", c.grads.w_comp, g.grads.w_comp);
    expectClose("da", c.grads.a, g.grads.a);
    expectClose("db", c.grads.b, g.grads.b);
    expectCloseScalar("dc", c.grads.c, g.grads.c);
    expectCloseScalar("dalphaS", c.grads.alphaS, g.grads.alphaS);
    expectCloseScalar("dalphaP", c.grads.alphaP, g.grads.alphaP);
}

#endif

TEST(Escrf_BlockCuda, matches_cpu_every_option)
{
    ESCRF_BLOCK_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    const Size sizes[] = { Size(9, 7), Size(31, 23) };
    RNG rng(2024);
    for (int mask = 0; mask < 32; mask++)
        for (const Size& fs : sizes)
        {
            EscrfBlockParams p;
            p.normalize = (mask & 1) != 0;
            p.pairCompatibility = (mask & 2) != 0;
            p.softSuperpixels = (mask & 4) != 0;
            p.learnableFusion = (mask & 8) != 0;
            p.gaussianKernel = (mask & 16) != 0;
            p.embedDim = 8;
            p.posDim = 6;
            const int C = rng.uniform(5, 17);
            SCOPED_TRACE(cv::format("normalize %d pair %d soft %d learnable %d gaussian %d, C = %d, %dx%d",
                                    p.normalize, p.pairCompatibility, p.softSuperpixels, p.learnableFusion,
                                    p.gaussianKernel, C, fs.width, fs.height));
            compare(makeProblem(p, C, fs, 100 + mask));
        }
#endif
}

TEST(Escrf_BlockCuda, matches_cpu_window_dilation_and_default_sizes)
{
    ESCRF_BLOCK_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    // (k, d): a 1x1 window, windows wider than the 9x7 map, and the default E = P = 32.
    const int kd[][2] = { { 1, 1 }, { 3, 1 }, { 5, 3 }, { 7, 2 }, { 3, 2 } };
    for (const auto& v : kd)
        for (int normalize = 0; normalize < 2; normalize++)
        {
            EscrfBlockParams p;   // defaults: E = 32, P = 32
            p.window = v[0];
            p.dilation = v[1];
            p.normalize = normalize != 0;
            SCOPED_TRACE(cv::format("k = %d, d = %d, normalize %d", p.window, p.dilation, normalize));
            compare(makeProblem(p, 16, Size(9, 7), 7));
            compare(makeProblem(p, 5, Size(31, 23), 8));
        }
#endif
}

TEST(Escrf_BlockCuda, zero_alphas_skip_terms)
{
    ESCRF_BLOCK_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    for (int which = 0; which < 3; which++)
    {
        EscrfBlockParams p;
        p.alphaS = which == 0 ? 0.f : 0.1f;
        p.alphaP = which == 1 ? 0.f : 0.2f;
        if (which == 2)
            p.alphaS = p.alphaP = 0.f;
        SCOPED_TRACE(cv::format("alphaS %g alphaP %g", p.alphaS, p.alphaP));
        Problem pr = makeProblem(p, 6, Size(9, 7), 3);
        if (p.alphaP == 0)
        {
            pr.weights.W_img.release();   // not needed (and not checked) when the message is skipped
            pr.weights.W_pos.release();
        }
        compare(pr);
        if (which == 2)
        {
            Mat out;
            escrf::cuda::escrfBlockForward(p, pr.weights, pr.guide, pr.F, out);
            EXPECT_EQ(0.0, norm(out, pr.F, NORM_INF)) << "both alphas 0: the block is the identity";
        }
    }
#endif
}

TEST(Escrf_BlockCuda, deterministic_and_aliasing)
{
    ESCRF_BLOCK_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    EscrfBlockParams p;
    p.normalize = true;
    p.softSuperpixels = true;
    const Problem pr = makeProblem(p, 12, Size(31, 23), 5);
    const Result a = runGpu(pr), b = runGpu(pr);
    EXPECT_EQ(0.0, norm(a.out, b.out, NORM_INF));
    EXPECT_EQ(0.0, norm(a.dF, b.dF, NORM_INF));
    EXPECT_EQ(0.0, norm(a.grads.W_pos, b.grads.W_pos, NORM_INF));
    EXPECT_EQ(0.0, norm(a.grads.w_comp, b.grads.w_comp, NORM_INF));
    EXPECT_EQ(a.grads.alphaS, b.grads.alphaS);

    // out written over F, dF over dOut, and into a ROI of a larger matrix.
    Mat inplace = pr.F.clone();
    escrf::cuda::escrfBlockForward(p, pr.weights, pr.guide, inplace, inplace);
    EXPECT_EQ(0.0, norm(inplace, a.out, NORM_INF));
    EscrfBlockCache cache;
    Mat out;
    escrf::cuda::escrfBlockForward(p, pr.weights, pr.guide, pr.F, out, &cache);
    Mat d = pr.dOut.clone();
    EscrfBlockWeights g = startGrads(pr.weights);
    escrf::cuda::escrfBlockBackward(p, pr.weights, pr.guide, pr.F, cache, d, d, g);
    EXPECT_EQ(0.0, norm(d, a.dF, NORM_INF));
    Mat big(pr.F.rows + 2, pr.F.cols + 3, CV_32F, Scalar(7)), roi = big(Rect(1, 1, pr.F.cols, pr.F.rows));
    escrf::cuda::escrfBlockForward(p, pr.weights, pr.guide, pr.F, roi);
    EXPECT_EQ(0.0, norm(roi, a.out, NORM_INF));
    EXPECT_EQ(7.f, big.at<float>(0, 0)) << "only the ROI is written";
#endif
}

// The call must throw cv::Exception for its argument, not for the missing device (so that the
// checks are tested on machines without a GPU too).
#define EXPECT_BAD_ARGUMENT(call) \
    do { \
        try { call; ADD_FAILURE() << "no exception: " #call; } \
        catch (const cv::Exception& e_) { EXPECT_NE(cv::Error::GpuNotSupported, e_.code) << e_.what(); } \
    } while (0)

// Runs with and without a device: every check happens before the first CUDA call.
TEST(Escrf_BlockCuda, bad_arguments)
{
    ESCRF_BLOCK_REQUIRE_CUDA_BUILD();
#ifdef HAVE_ESCRF_CUDA
    namespace gpu = escrf::cuda;   // qualified calls (argument-dependent lookup also finds the CPU functions)
    EscrfBlockParams p;
    const Problem s = makeProblem(p, 4, Size(6, 5), 1);
    Mat out;
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(p, s.weights, s.guide, s.F.colRange(0, 29), out));
    Mat F64;
    s.F.convertTo(F64, CV_64F);
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(p, s.weights, s.guide, F64, out));   // float32 only
    EscrfBlockParams even = p;
    even.window = 4;
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(even, s.weights, s.guide, s.F, out));
    EscrfBlockParams pair = p;
    pair.pairCompatibility = true;   // weights have no a, b
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(pair, s.weights, s.guide, s.F, out));
    EscrfBlockParams bigE = p;
    bigE.embedDim = 16;
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(bigE, s.weights, s.guide, s.F, out));
    EscrfGuide badLabels = s.guide;
    badLabels.cellLabels = s.guide.cellLabels.clone();
    badLabels.cellLabels.at<int>(0, 3) = s.guide.numSuperpixels;   // out of range
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(p, s.weights, badLabels, s.F, out));
    EscrfBlockParams soft = p;
    soft.softSuperpixels = true;   // the guide was prepared without the soft assignment
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockForward(soft, s.weights, s.guide, s.F, out));
    EscrfBlockParams dense = p;
    dense.dense = true;
    try
    {
        gpu::escrfBlockForward(dense, s.weights, s.guide, s.F, out);
        ADD_FAILURE() << "dense must throw";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_EQ(cv::Error::StsNotImplemented, e.code) << e.what();
    }

    // A CPU cache (or none) is not a CUDA cache; dOut must match F; grads must match the weights.
    EscrfBlockCache cpuCache;
    escrf::escrfBlockForward(p, s.weights, s.guide, s.F, out, &cpuCache);
    EscrfBlockWeights g = s.weights.zerosLike();
    Mat dF;
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockBackward(p, s.weights, s.guide, s.F, cpuCache, s.dOut, dF, g));
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockBackward(p, s.weights, s.guide, s.F, EscrfBlockCache(), s.dOut, dF, g));
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockBackward(p, s.weights, s.guide, s.F, cpuCache, s.dOut.colRange(0, 10), dF, g));
    // ... and a CUDA-shaped cache with wrong tensors is rejected before it reaches the kernels.
    Ptr<cv::escrf::detail::BlockCacheState> state = makePtr<cv::escrf::detail::BlockCacheState>();
    state->backend = escrf::block::CACHE_CUDA;
    state->key = escrf::block::CacheKey(p, escrf::block::makePlan(p, s.weights), s.F);   // the key matches, no tensors
    EscrfBlockCache fake;
    fake.setState(state);
    EXPECT_BAD_ARGUMENT(gpu::escrfBlockBackward(p, s.weights, s.guide, s.F, fake, s.dOut, dF, g));
#endif
}

TEST(Escrf_BlockCuda, no_device_is_a_clear_error)
{
    ESCRF_BLOCK_REQUIRE_CUDA_BUILD();
#ifdef HAVE_ESCRF_CUDA
    if (escrf::cuda::deviceAvailable())
        GTEST_SKIP() << "a CUDA device is present (this checks the error without one)";
    EscrfBlockParams p;
    const Problem s = makeProblem(p, 4, Size(6, 5), 1);
    Mat out;
    try
    {
        escrf::cuda::escrfBlockForward(p, s.weights, s.guide, s.F, out);
        ADD_FAILURE() << "no device: must throw";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_EQ(cv::Error::GpuNotSupported, e.code);
        EXPECT_NE(std::string::npos, e.err.find("no CUDA device")) << e.err;
    }
#endif
}

}} // namespace
