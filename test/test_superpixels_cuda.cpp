// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The GPU superpixel pipeline in two halves:
//  * Escrf_SuperpixelsGpuEmulation (run everywhere): the CPU emulation of the device pipeline
//    (the same __host__ __device__ functors and the same step sequence, slic_pipeline.hpp)
//    against the CPU steps and cv functions: blur bit-exact with cv::GaussianBlur, Lab within one
//    level of cv::cvtColor, SLIC and connectivity bit-identical with detail::runSlic and
//    detail::enforceLabelConnectivity (the CPU path; its CamVid quality is checked in
//    test_superpixels_cpu.cpp).
//  * Escrf_SuperpixelsCuda (needs a device; skipped with the reason otherwise): the CUDA
//    kernels against the emulation, bit for bit.

#include "test_precomp.hpp"
#include "superpixels/superpixels_detail.hpp"
#include "superpixels/slic_emulation.hpp"
#include "superpixels/superpixels_cuda.hpp"

namespace opencv_test { namespace {

#ifdef HAVE_ESCRF_CUDA
#define ESCRF_REQUIRE_CUDA_DEVICE() \
    do { if (!escrf::cuda::deviceAvailable()) GTEST_SKIP() << "no CUDA device"; } while (0)
#else
#define ESCRF_REQUIRE_CUDA_DEVICE() GTEST_SKIP() << "built without CUDA (HAVE_ESCRF_CUDA undefined)"
#endif

static Mat makeBgrImage(Size size, uint64 seed)
{
    Mat bgr(size, CV_8UC3);
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
            bgr.at<Vec3b>(y, x) = Vec3b((uchar)(x * 255 / size.width), (uchar)(y * 255 / size.height), 128);
    RNG rng(seed);
    for (int i = 0; i < 12; i++)
        circle(bgr, Point(rng.uniform(0, size.width), rng.uniform(0, size.height)), rng.uniform(3, 30),
               Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), FILLED);
    // Some texture, so that SLIC produces ragged pieces for the connectivity step.
    Mat noise(size, CV_8UC3);
    rng.fill(noise, RNG::UNIFORM, 0, 24);
    bgr += noise;
    return bgr;
}

#ifdef HAVE_ESCRF_CUDA // only the CUDA comparisons use it
static Mat makeLabImage(Size size, uint64 seed)
{
    Mat lab;
    cvtColor(makeBgrImage(size, seed), lab, COLOR_BGR2Lab);
    return lab;
}
#endif

// The label contract of computeSuperpixels: CV_32SC1 of the image size, labels exactly 0..M-1.
static void expectLabelContract(const Mat& labels, Size size, int M)
{
    ASSERT_EQ(CV_32SC1, labels.type());
    ASSERT_EQ(size, labels.size());
    double minVal = 0, maxVal = 0;
    minMaxLoc(labels, &minVal, &maxVal);
    EXPECT_EQ(0, minVal);
    EXPECT_EQ(M - 1, maxVal);
}

static int maxAbsDiff(const Mat& a, const Mat& b)
{
    Mat d;
    absdiff(a, b, d);
    double m = 0;
    minMaxLoc(d.reshape(1), nullptr, &m);
    return (int)m;
}

// ================================================================ CPU emulation (always runs)

TEST(Escrf_SuperpixelsGpuEmulation, blur_is_cv_gaussian_blur_bit_exact)
{
    RNG rng(7);
    const Size sizes[] = { Size(97, 61), Size(1, 9), Size(9, 1), Size(2, 2), Size(3, 5), Size(640, 3) };
    for (const Size& s : sizes)
        for (int k : { 3, 5, 7 })
        {
            SCOPED_TRACE(cv::format("%dx%d, ksize %d", s.width, s.height, k));
            Mat img(s, CV_8UC3);
            rng.fill(img, RNG::UNIFORM, 0, 256);
            Mat ref, emu;
            GaussianBlur(img, ref, Size(k, k), 0);
            escrf::detail::emulateGpuBlur(img, k, emu);
            EXPECT_EQ(0, maxAbsDiff(ref, emu));
        }
}

TEST(Escrf_SuperpixelsGpuEmulation, lab_within_one_level_of_cvtColor_for_every_colour)
{
    // All 2^24 BGR colours. The device uses OpenCV's classic fixed-point RGB2Lab_b scheme
    // (integer gamma, matrix and cube-root tables); OpenCV 4.x's 8-bit cvtColor interpolates a
    // 3-D table instead, so a few values differ, by one level at most.
    Mat bgr(4096, 4096, CV_8UC3);
    for (int i = 0; i < (1 << 24); i++)
    {
        uchar* p = bgr.ptr<uchar>() + 3 * (size_t)i;
        p[0] = (uchar)(i & 255); p[1] = (uchar)((i >> 8) & 255); p[2] = (uchar)(i >> 16);
    }
    Mat ref, emu;
    cvtColor(bgr, ref, COLOR_BGR2Lab);
    escrf::detail::emulateGpuBlurLab(bgr, 0, emu);
    EXPECT_LE(maxAbsDiff(ref, emu), 1);
    std::vector<Mat> r, e;
    split(ref, r);
    split(emu, e);
    const char* names[] = { "L", "a", "b" };
    for (int c = 0; c < 3; c++)
    {
        const int off = countNonZero(r[c] != e[c]);
        std::cout << "Lab channel " << names[c] << ": " << off << " of 2^24 colours ("
                  << cv::format("%.4f%%", 100.0 * off / (1 << 24)) << ") one level off cvtColor" << std::endl;
        EXPECT_LT(off, (1 << 24) / 1000);  // rare: under 0.1% of the colours
    }
}

TEST(Escrf_SuperpixelsGpuEmulation, slic_equals_cpu_steps_bit_for_bit)
{
    // detail::runSlic with the CPU assignment, slicUpdateCentres (double sums) and
    // enforceLabelConnectivity (serial flood fill) is an independent implementation of the same
    // algorithm: the emulated device pipeline must give exactly its labels.
    struct Case { Size size; int algo, n, iters; bool connect; int minSize; };
    const Case cases[] = {
        { Size(160, 120), escrf::SUPERPIXEL_SLICO, 120, 10, true, 25 },
        { Size(160, 120), escrf::SUPERPIXEL_SLIC, 120, 10, true, 25 },
        { Size(203, 149), escrf::SUPERPIXEL_SLICO, 300, 3, false, 25 },
        { Size(203, 149), escrf::SUPERPIXEL_SLIC, 50, 5, true, 60 },
        { Size(37, 211), escrf::SUPERPIXEL_SLICO, 40, 10, true, 100 },
        { Size(64, 48), escrf::SUPERPIXEL_SLIC, 1, 2, true, 25 },
    };
    int seed = 0;
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("%dx%d algo %d n %d it %d conn %d min %d", c.size.width, c.size.height,
                                c.algo, c.n, c.iters, (int)c.connect, c.minSize));
        escrf::SuperpixelParams p;
        p.algorithm = c.algo;
        p.numSuperpixels = c.n;
        p.iterations = c.iters;
        p.enforceConnectivity = c.connect;
        p.minElementSize = c.minSize;
        // The Lab image as the device computes it (blur + Lab), then the same Lab for both.
        Mat lab;
        escrf::detail::emulateGpuBlurLab(makeBgrImage(c.size, 100 + seed++), p.blurKernel, lab);
        Mat cpu, emu;
        escrf::detail::runSlic(lab, cpu, p);
        escrf::detail::emulateGpuSlic(lab, emu, p);
        const int Mc = escrf::detail::renumberLabelsRasterOrder(cpu);
        const int Me = escrf::detail::renumberLabelsRasterOrder(emu);
        EXPECT_EQ(Mc, Me);
        EXPECT_EQ(0, countNonZero(cpu != emu));
        EXPECT_GE(Me, 1);
    }
}

// The device SLIC writes its labels in the assignment step: no iteration, no labels. The
// pipeline itself refuses it (its callers may skip checkSuperpixelParams).
TEST(Escrf_SuperpixelsGpuEmulation, slic_without_iterations_throws)
{
    Mat lab;
    escrf::detail::emulateGpuBlurLab(makeBgrImage(Size(40, 30), 7), 3, lab);
    for (int iterations : { 0, -2 })
    {
        escrf::SuperpixelParams p;
        p.algorithm = escrf::SUPERPIXEL_SLIC;
        p.numSuperpixels = 12;
        p.iterations = iterations;
        Mat labels;
        expectThrowContaining([&] { escrf::detail::emulateGpuSlic(lab, labels, p); },
                              { cv::format("params.iterations = %d, expected > 0", iterations) });
    }
}

TEST(Escrf_SuperpixelsGpuEmulation, connectivity_equals_cpu_rule)
{
    // The hand example of Escrf_Superpixels.enforce_connectivity_merges_small_pieces.
    const int v[] = { 0, 0, 0, 1, 1,
                      0, 1, 0, 2, 2,
                      0, 0, 0, 2, 2,
                      1, 1, 1, 2, 2 };
    const int e[] = { 0, 0, 0, 0, 0,
                      0, 0, 0, 1, 1,
                      0, 0, 0, 1, 1,
                      2, 2, 2, 1, 1 };
    Mat l = Mat(4, 5, CV_32SC1, const_cast<int*>(v)).clone();
    EXPECT_EQ(3, escrf::detail::emulateGpuEnforceConnectivity(l, 3));
    EXPECT_EQ(0, countNonZero(l != Mat(4, 5, CV_32SC1, const_cast<int*>(e)))) << l;

    // Random maps with many fragments, chains of absorbed pieces (a small piece whose anchor
    // piece is itself absorbed), nested one-pixel rings (long propagation paths) and edge rows/columns.
    RNG rng(21);
    for (int t = 0; t < 12; t++)
    {
        const Size s(rng.uniform(1, 90), rng.uniform(1, 70));
        SCOPED_TRACE(cv::format("case %d: %dx%d", t, s.width, s.height));
        Mat coarse(rng.uniform(1, 8), rng.uniform(1, 8), CV_32SC1), labels;
        rng.fill(coarse, RNG::UNIFORM, 0, 6);
        resize(coarse, labels, s, 0, 0, INTER_NEAREST);
        for (int i = 0; i < s.area() / 6; i++)  // salt: isolated and small pieces
            labels.at<int>(rng.uniform(0, s.height), rng.uniform(0, s.width)) = rng.uniform(0, 8);
        if (t % 3 == 0 && s.width > 20 && s.height > 20)  // one-pixel-wide rings of label 9
            for (int r = 0; r < std::min(s.width, s.height) / 2 - 1; r += 2)
                rectangle(labels, Rect(r, r, s.width - 2 * r, s.height - 2 * r), Scalar(9), 1);
        for (int minSize : { 0, 1, 4, 30 })
        {
            Mat cpu = labels.clone(), emu = labels.clone();
            const int Mc = escrf::detail::enforceLabelConnectivity(cpu, minSize);
            const int Me = escrf::detail::emulateGpuEnforceConnectivity(emu, minSize);
            EXPECT_EQ(Mc, Me) << "minSize " << minSize;
            EXPECT_EQ(0, countNonZero(cpu != emu)) << "minSize " << minSize;
        }
    }
}

TEST(Escrf_SuperpixelsGpuEmulation, pipeline_contract)
{
    // The whole emulated pipeline: contiguous labels, deterministic, count near the request.
    const Mat bgr = makeBgrImage(Size(160, 120), 2);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        escrf::SuperpixelParams p;
        p.algorithm = algo;
        p.numSuperpixels = 120;
        Mat a, b;
        const int M = escrf::detail::emulateGpuSuperpixels(bgr, a, p);
        ASSERT_NO_FATAL_FAILURE(expectLabelContract(a, bgr.size(), M));
        EXPECT_GE(M, 60);
        EXPECT_LE(M, 180);
        EXPECT_EQ(M, escrf::detail::emulateGpuSuperpixels(bgr, b, p));
        EXPECT_EQ(0, countNonZero(a != b));
    }
}

// ================================================================ CUDA kernels (need a device)

TEST(Escrf_SuperpixelsCuda, downsample_nearest_matches_cpu)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    RNG rng(3);
    Mat labels(241, 317, CV_32SC1);
    rng.fill(labels, RNG::UNIFORM, 0, 600);
    const Size sizes[] = { Size(317, 241), Size(40, 30), Size(159, 121), Size(1, 1), Size(64, 241) };
    for (const Size& s : sizes)
    {
        SCOPED_TRACE(cv::format("%dx%d", s.width, s.height));
        Mat cpu, gpu;
        escrf::downsampleLabelsNearest(labels, s, cpu);
        escrf::cuda::downsampleLabelsNearest(labels, s, gpu);
        ASSERT_EQ(CV_32SC1, gpu.type());
        ASSERT_EQ(s, gpu.size());
        EXPECT_EQ(0, countNonZero(cpu != gpu));
    }
    // A non-continuous input (a ROI) must work too.
    Mat roi = labels(Rect(5, 7, 100, 80)), cpu, gpu;
    escrf::downsampleLabelsNearest(roi, Size(33, 21), cpu);
    escrf::cuda::downsampleLabelsNearest(roi, Size(33, 21), gpu);
    EXPECT_EQ(0, countNonZero(cpu != gpu));
#endif
}

TEST(Escrf_SuperpixelsCuda, slic_assign_matches_cpu)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    const Mat lab = makeLabImage(Size(203, 149), 11);
    const escrf::detail::SlicGrid g = escrf::detail::makeSlicGrid(lab.size(), 12);
    Mat centres;
    escrf::detail::initSlicCentres(lab, g, centres);
    RNG rng(5);
    std::vector<float> invColor(centres.rows);
    for (float& v : invColor)
        v = rng.uniform(0.001f, 0.05f);  // SLICO-like per-centre scales
    Mat cpu, gpu;
    escrf::detail::slicAssignCpu(lab, centres, g, invColor, 1.f / 144.f, cpu);
    escrf::cuda::slicAssign(lab, centres, g, invColor, 1.f / 144.f, gpu);
    EXPECT_EQ(0, countNonZero(cpu != gpu));
#endif
}

TEST(Escrf_SuperpixelsCuda, blur_lab_matches_emulation)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    const Mat bgr = makeBgrImage(Size(211, 157), 4);
    for (int k : { 0, 1, 3, 5, 7, 9 })
    {
        SCOPED_TRACE(cv::format("ksize %d", k));
        Mat emu, gpu;
        escrf::detail::emulateGpuBlurLab(bgr, k, emu);
        escrf::cuda::blurLab(bgr, k, gpu);
        EXPECT_EQ(0, maxAbsDiff(emu, gpu));
    }
#endif
}

TEST(Escrf_SuperpixelsCuda, slic_matches_emulation)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    const Mat lab = makeLabImage(Size(203, 149), 12);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
        for (bool connect : { false, true })
        {
            SCOPED_TRACE(cv::format("algorithm %d, connectivity %d", algo, (int)connect));
            escrf::SuperpixelParams p;
            p.algorithm = algo;
            p.numSuperpixels = 150;
            p.enforceConnectivity = connect;
            Mat emu, gpu;
            escrf::detail::emulateGpuSlic(lab, emu, p);
            escrf::cuda::computeSlic(lab, gpu, p);
            EXPECT_EQ(0, countNonZero(emu != gpu));  // raw labels, before renumbering
        }
#endif
}

TEST(Escrf_SuperpixelsCuda, connectivity_matches_cpu)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
#ifdef HAVE_ESCRF_CUDA
    RNG rng(8);
    Mat coarse(9, 13, CV_32SC1), labels;
    rng.fill(coarse, RNG::UNIFORM, 0, 5);
    resize(coarse, labels, Size(300, 200), 0, 0, INTER_NEAREST);
    for (int i = 0; i < 4000; i++)
        labels.at<int>(rng.uniform(0, 200), rng.uniform(0, 300)) = rng.uniform(0, 7);
    for (int minSize : { 1, 5, 50 })
    {
        Mat cpu = labels.clone(), gpu = labels.clone();
        EXPECT_EQ(escrf::detail::enforceLabelConnectivity(cpu, minSize),
                  escrf::cuda::enforceLabelConnectivity(gpu, minSize));
        EXPECT_EQ(0, countNonZero(cpu != gpu)) << "minSize " << minSize;
    }
#endif
}

TEST(Escrf_SuperpixelsCuda, compute_superpixels_on_cuda_equals_emulation)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
    const Mat bgr = makeBgrImage(Size(160, 120), 2);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        escrf::SuperpixelParams p;
        p.algorithm = algo;
        p.numSuperpixels = 120;
        p.device = escrf::SUPERPIXEL_DEVICE_CUDA;
        Mat a, b, e;
        const int M = escrf::computeSuperpixels(bgr, a, p);
        ASSERT_NO_FATAL_FAILURE(expectLabelContract(a, bgr.size(), M));
        EXPECT_EQ(M, escrf::computeSuperpixels(bgr, b, p));
        EXPECT_EQ(0, countNonZero(a != b)) << "the CUDA path must be deterministic";
        EXPECT_EQ(M, escrf::detail::emulateGpuSuperpixels(bgr, e, p));
        EXPECT_EQ(0, countNonZero(a != e)) << "the CUDA path must equal its CPU emulation";
    }
}

}} // namespace
