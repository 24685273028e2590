// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// GPU superpixel kernels against their CPU twins, bit for bit. Skipped (with the reason)
// when the module is built without CUDA or no CUDA device is present.

#include "test_precomp.hpp"
#include "superpixels/superpixels_cuda.hpp"

namespace opencv_test { namespace {

#ifdef HAVE_ESCRF_CUDA
#define ESCRF_REQUIRE_CUDA_DEVICE() \
    do { if (!escrf::cuda::deviceAvailable()) GTEST_SKIP() << "no CUDA device"; } while (0)
#else
#define ESCRF_REQUIRE_CUDA_DEVICE() GTEST_SKIP() << "built without CUDA (HAVE_ESCRF_CUDA undefined)"
#endif

static Mat makeLabImage(Size size, uint64 seed)
{
    Mat bgr(size, CV_8UC3);
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
            bgr.at<Vec3b>(y, x) = Vec3b((uchar)(x * 255 / size.width), (uchar)(y * 255 / size.height), 128);
    RNG rng(seed);
    for (int i = 0; i < 12; i++)
        circle(bgr, Point(rng.uniform(0, size.width), rng.uniform(0, size.height)), rng.uniform(3, 30),
               Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), FILLED);
    Mat lab;
    cvtColor(bgr, lab, COLOR_BGR2Lab);
    return lab;
}

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

TEST(Escrf_SuperpixelsCuda, compute_superpixels_on_cuda)
{
    ESCRF_REQUIRE_CUDA_DEVICE();
    Mat bgr;
    cvtColor(makeLabImage(Size(160, 120), 2), bgr, COLOR_Lab2BGR);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        escrf::SuperpixelParams p;
        p.algorithm = algo;
        p.numSuperpixels = 120;
        p.device = escrf::SUPERPIXEL_DEVICE_CUDA;
        Mat a, b;
        const int M = escrf::computeSuperpixels(bgr, a, p);
        ASSERT_EQ(CV_32SC1, a.type());
        ASSERT_EQ(bgr.size(), a.size());
        double minVal = 0, maxVal = 0;
        minMaxLoc(a, &minVal, &maxVal);
        EXPECT_EQ(0, minVal);
        EXPECT_EQ(M - 1, maxVal);
        EXPECT_GE(M, 60);
        EXPECT_LE(M, 180);
        EXPECT_EQ(M, escrf::computeSuperpixels(bgr, b, p));
        EXPECT_EQ(0, countNonZero(a != b)) << "the CUDA path must be deterministic";
    }
}

}} // namespace
