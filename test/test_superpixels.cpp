// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "superpixels/superpixels_detail.hpp"
#include "core/cuda_device.hpp"
#include <functional>
#include <limits>

namespace opencv_test { namespace {

// A deterministic test picture: gradients plus a few flat shapes, so SLIC has edges to follow.
static Mat makeTestImage(Size size = Size(160, 120))
{
    Mat img(size, CV_8UC3);
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
            img.at<Vec3b>(y, x) = Vec3b((uchar)(x * 255 / size.width), (uchar)(y * 255 / size.height),
                                        (uchar)((x + y) % 256));
    circle(img, Point(size.width / 3, size.height / 2), size.height / 4, Scalar(20, 200, 40), FILLED);
    rectangle(img, Rect(size.width / 2, size.height / 5, size.width / 3, size.height / 2),
              Scalar(220, 30, 90), FILLED);
    return img;
}

static Mat labelsFromRows(int rows, int cols, const std::vector<int>& v)
{
    CV_Assert((int)v.size() == rows * cols);
    return Mat(rows, cols, CV_32SC1, const_cast<int*>(v.data())).clone();
}

static int countDiff(const Mat& a, const Mat& b)
{
    CV_Assert(a.size() == b.size() && a.type() == b.type());
    return countNonZero(a != b);
}

// Checks that labels are exactly 0..M-1 and that they first appear in raster order.
static void expectContiguousRasterOrder(const Mat& labels, int M)
{
    int next = 0;
    std::vector<bool> seen(M, false);
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int l = labels.at<int>(y, x);
            ASSERT_GE(l, 0);
            ASSERT_LT(l, M);
            if (!seen[l])
            {
                ASSERT_EQ(next, l) << "label " << l << " first appears out of raster order at " << x << "," << y;
                seen[l] = true;
                next++;
            }
        }
    EXPECT_EQ(M, next);
}

TEST(Escrf_Superpixels, default_params)
{
    escrf::SuperpixelParams p;
    EXPECT_EQ(escrf::SUPERPIXEL_SLICO, p.algorithm);
    EXPECT_EQ(600, p.numSuperpixels);
    EXPECT_EQ(10.f, p.ruler);
    EXPECT_EQ(10, p.iterations);
    EXPECT_TRUE(p.enforceConnectivity);
    EXPECT_EQ(25, p.minElementSize);
    EXPECT_EQ(3, p.blurKernel);
    EXPECT_EQ(escrf::SUPERPIXEL_DEVICE_CPU, p.device);
    EXPECT_EQ(escrf::SUPERPIXEL_IMPL_ESCRF, p.implementation);
}

TEST(Escrf_Superpixels, labels_are_contiguous_and_count_is_close_to_request)
{
    const Mat img = makeTestImage();
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO, escrf::SUPERPIXEL_MSLIC })
    {
        SCOPED_TRACE(cv::format("algorithm %d", algo));
        escrf::SuperpixelParams p;
        p.algorithm = algo;
        p.numSuperpixels = 120;
        if (algo == escrf::SUPERPIXEL_MSLIC)
            p.implementation = escrf::SUPERPIXEL_IMPL_XIMGPROC;  // MSLIC is ximgproc's only
        Mat labels;
        const int M = escrf::computeSuperpixels(img, labels, p);
        ASSERT_EQ(CV_32SC1, labels.type());
        ASSERT_EQ(img.size(), labels.size());
        expectContiguousRasterOrder(labels, M);
        // The grid step is round(sqrt(160*120/120)) = 13, i.e. about 12 x 9 = 108 seeds;
        // connectivity enforcement merges a few and MSLIC may split/merge more.
        EXPECT_GE(M, 60);
        EXPECT_LE(M, 180);
    }
}

TEST(Escrf_Superpixels, deterministic)
{
    const Mat img = makeTestImage();
    escrf::SuperpixelParams p;
    p.numSuperpixels = 200;
    Mat a, b;
    const int Ma = escrf::computeSuperpixels(img, a, p);
    const int Mb = escrf::computeSuperpixels(img, b, p);
    EXPECT_EQ(Ma, Mb);
    EXPECT_EQ(0, countDiff(a, b));
}

TEST(Escrf_Superpixels, superpixels_follow_a_sharp_edge)
{
    // Two flat halves: no superpixel should straddle the vertical edge at x = 40.
    Mat img(60, 80, CV_8UC3, Scalar(0, 0, 0));
    img(Rect(40, 0, 40, 60)).setTo(Scalar(255, 255, 255));
    escrf::SuperpixelParams p;
    p.numSuperpixels = 48;
    p.blurKernel = 0;
    p.algorithm = escrf::SUPERPIXEL_SLIC;
    Mat labels;
    const int M = escrf::computeSuperpixels(img, labels, p);
    std::vector<int> side(M, -1);
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int s = x < 40 ? 0 : 1, l = labels.at<int>(y, x);
            if (side[l] < 0)
                side[l] = s;
            ASSERT_EQ(side[l], s) << "superpixel " << l << " crosses the edge at " << x << "," << y;
        }
}

TEST(Escrf_Superpixels, bad_input_throws)
{
    const Mat img = makeTestImage(Size(40, 30));
    Mat labels;
    escrf::SuperpixelParams ok;
    ok.numSuperpixels = 20;
    EXPECT_NO_THROW(escrf::computeSuperpixels(img, labels, ok));

    EXPECT_THROW(escrf::computeSuperpixels(Mat(), labels, ok), cv::Exception);
    Mat f32;
    img.convertTo(f32, CV_32F);
    EXPECT_THROW(escrf::computeSuperpixels(f32, labels, ok), cv::Exception);
    Mat gray(30, 40, CV_8UC1, Scalar(1));
    EXPECT_THROW(escrf::computeSuperpixels(gray, labels, ok), cv::Exception);

    auto expectBad = [&](const char* what, std::function<void(escrf::SuperpixelParams&)> change) {
        escrf::SuperpixelParams p = ok;
        change(p);
        EXPECT_THROW(escrf::computeSuperpixels(img, labels, p), cv::Exception) << what;
    };
    expectBad("numSuperpixels = 0", [](escrf::SuperpixelParams& p) { p.numSuperpixels = 0; });
    expectBad("numSuperpixels < 0", [](escrf::SuperpixelParams& p) { p.numSuperpixels = -5; });
    expectBad("numSuperpixels = pixel count", [](escrf::SuperpixelParams& p) { p.numSuperpixels = 40 * 30; });
    expectBad("algorithm 7", [](escrf::SuperpixelParams& p) { p.algorithm = 7; });
    expectBad("algorithm 103", [](escrf::SuperpixelParams& p) { p.algorithm = 103; });
    expectBad("ruler 0", [](escrf::SuperpixelParams& p) { p.ruler = 0.f; });
    expectBad("ruler NaN", [](escrf::SuperpixelParams& p) { p.ruler = std::numeric_limits<float>::quiet_NaN(); });
    expectBad("iterations 0", [](escrf::SuperpixelParams& p) { p.iterations = 0; });
    expectBad("minElementSize -1", [](escrf::SuperpixelParams& p) { p.minElementSize = -1; });
    expectBad("minElementSize 101", [](escrf::SuperpixelParams& p) { p.minElementSize = 101; });
    expectBad("blurKernel even", [](escrf::SuperpixelParams& p) { p.blurKernel = 4; });
    expectBad("blurKernel negative", [](escrf::SuperpixelParams& p) { p.blurKernel = -3; });
    expectBad("device 2", [](escrf::SuperpixelParams& p) { p.device = 2; });
    expectBad("MSLIC on CUDA", [](escrf::SuperpixelParams& p) {
        p.device = escrf::SUPERPIXEL_DEVICE_CUDA; p.algorithm = escrf::SUPERPIXEL_MSLIC; });
}

TEST(Escrf_Superpixels, blur_kernel_zero_and_one_are_accepted)
{
    const Mat img = makeTestImage(Size(40, 30));
    Mat a, b;
    escrf::SuperpixelParams p;
    p.numSuperpixels = 20;
    p.blurKernel = 0;
    const int Ma = escrf::computeSuperpixels(img, a, p);
    p.blurKernel = 1;
    const int Mb = escrf::computeSuperpixels(img, b, p);
    // A 1x1 Gaussian is the identity, so both mean "no blur".
    EXPECT_EQ(Ma, Mb);
    EXPECT_EQ(0, countDiff(a, b));
}

TEST(Escrf_Superpixels, cuda_request_without_cuda_throws)
{
    // Without CUDA support in the build, or without a device, SUPERPIXEL_DEVICE_CUDA must be
    // a clear cv::Exception, never a silent CPU fallback.
#ifdef HAVE_ESCRF_CUDA
    if (escrf::cuda::deviceAvailable())
        GTEST_SKIP() << "a CUDA device is present: see Escrf_SuperpixelsCuda";
#endif
    const Mat img = makeTestImage(Size(40, 30));
    escrf::SuperpixelParams p;
    p.numSuperpixels = 20;
    p.device = escrf::SUPERPIXEL_DEVICE_CUDA;
    Mat labels;
    EXPECT_THROW(escrf::computeSuperpixels(img, labels, p), cv::Exception);
}

TEST(Escrf_Superpixels, module_slic_driver_on_cpu)
{
    // The SLIC driver used by the CUDA path, run with the CPU assignment step: contiguous
    // labels, a count close to the request, and superpixels that respect a sharp edge.
    Mat img = makeTestImage();
    img(Rect(0, 0, 80, 120)).setTo(Scalar(0, 0, 0));
    img(Rect(80, 0, 80, 120)).setTo(Scalar(255, 255, 255));
    Mat lab;
    cvtColor(img, lab, COLOR_BGR2Lab);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        SCOPED_TRACE(cv::format("algorithm %d", algo));
        escrf::SuperpixelParams p;
        p.algorithm = algo;
        p.numSuperpixels = 120;
        Mat labels;
        escrf::detail::runSlic(lab, labels, p);
        const int M = escrf::detail::renumberLabelsRasterOrder(labels);
        expectContiguousRasterOrder(labels, M);
        EXPECT_GE(M, 60);
        EXPECT_LE(M, 180);
        std::vector<int> side(M, -1);
        for (int y = 0; y < labels.rows; y++)
            for (int x = 0; x < labels.cols; x++)
            {
                const int s = x < 80 ? 0 : 1, l = labels.at<int>(y, x);
                if (side[l] < 0)
                    side[l] = s;
                ASSERT_EQ(side[l], s) << "superpixel " << l << " crosses the edge at " << x << "," << y;
            }
    }
}

TEST(Escrf_Superpixels, region_size_rounds_sqrt_of_mean_area)
{
    EXPECT_EQ(10, escrf::detail::superpixelRegionSize(Size(100, 100), 100));
    EXPECT_EQ(13, escrf::detail::superpixelRegionSize(Size(160, 120), 120));  // sqrt(160) = 12.65
    EXPECT_EQ(1, escrf::detail::superpixelRegionSize(Size(10, 10), 99));      // sqrt(1.01) -> 1
}

TEST(Escrf_Superpixels, renumber_raster_order)
{
    Mat l = labelsFromRows(2, 3, { 7, 7, 3,
                                   9, 3, 0 });
    EXPECT_EQ(4, escrf::detail::renumberLabelsRasterOrder(l));
    const Mat expected = labelsFromRows(2, 3, { 0, 0, 1,
                                                2, 1, 3 });
    EXPECT_EQ(0, countDiff(l, expected));
}

TEST(Escrf_Superpixels, enforce_connectivity_merges_small_pieces)
{
    // Label 1 has a 2-pixel piece (top right) and a 1-pixel island (inside label 0);
    // label 2 is one large piece. With minSize 3 both small pieces join the piece met just
    // before them in raster order; label 1's big piece stays.
    Mat l = labelsFromRows(4, 5, { 0, 0, 0, 1, 1,
                                   0, 1, 0, 2, 2,
                                   0, 0, 0, 2, 2,
                                   1, 1, 1, 2, 2 });
    const int M = escrf::detail::enforceLabelConnectivity(l, 3);
    const Mat expected = labelsFromRows(4, 5, { 0, 0, 0, 0, 0,
                                                0, 0, 0, 1, 1,
                                                0, 0, 0, 1, 1,
                                                2, 2, 2, 1, 1 });
    EXPECT_EQ(3, M);
    EXPECT_EQ(0, countDiff(l, expected)) << l;
}

TEST(Escrf_Superpixels, slic_assign_cpu_picks_nearest_of_neighbour_centres)
{
    // 4x2 image, grid 2x1 (step 2): left half dark, right half bright. Centres sit at
    // the cell middles (x = 1 and x = 3). Pixel x=2 is spatially equidistant (1) from both,
    // but its colour matches the right centre.
    Mat lab(2, 4, CV_8UC3, Scalar(0, 128, 128));
    lab(Rect(2, 0, 2, 2)).setTo(Scalar(100, 128, 128));
    const escrf::detail::SlicGrid g = escrf::detail::makeSlicGrid(lab.size(), 2);
    ASSERT_EQ(2, g.gx);
    ASSERT_EQ(1, g.gy);
    Mat centres;
    escrf::detail::initSlicCentres(lab, g, centres);
    ASSERT_EQ(2, centres.rows);
    EXPECT_EQ(1.f, centres.at<float>(0, 3));
    EXPECT_EQ(1.f, centres.at<float>(0, 4));
    EXPECT_EQ(3.f, centres.at<float>(1, 3));
    EXPECT_EQ(100.f, centres.at<float>(1, 0));
    Mat labels;
    escrf::detail::slicAssignCpu(lab, centres, g, std::vector<float>(2, 1.f), 1.f, labels);
    EXPECT_EQ(0, countDiff(labels, labelsFromRows(2, 4, { 0, 0, 1, 1,
                                                                        0, 0, 1, 1 })));
    // Equal colours everywhere: ties (x = 2 is at distance 1 from both) go to the lower index.
    Mat flat(2, 4, CV_8UC3, Scalar(5, 5, 5));
    escrf::detail::initSlicCentres(flat, g, centres);
    escrf::detail::slicAssignCpu(flat, centres, g, std::vector<float>(2, 1.f), 1.f, labels);
    EXPECT_EQ(0, countDiff(labels, labelsFromRows(2, 4, { 0, 0, 0, 1,
                                                                        0, 0, 0, 1 })));
}


// ---------------------------------------------------------------- label maps at feature size

TEST(Escrf_SuperpixelLabels, nearest_hand_computed)
{
    // 5x3 -> 2x2: columns floor(x*5/2) = 0, 2; rows floor(y*3/2) = 0, 1.
    const Mat labels = labelsFromRows(3, 5, { 0, 1, 2, 3, 4,
                                              5, 6, 7, 8, 9,
                                              10, 11, 12, 13, 14 });
    Mat cells;
    escrf::downsampleLabelsNearest(labels, Size(2, 2), cells);
    ASSERT_EQ(CV_32SC1, cells.type());
    EXPECT_EQ(0, countDiff(cells, labelsFromRows(2, 2, { 0, 2,
                                                          5, 7 })));
    // Same size is the identity.
    escrf::downsampleLabelsNearest(labels, labels.size(), cells);
    EXPECT_EQ(0, countDiff(cells, labels));
}

TEST(Escrf_SuperpixelLabels, nearest_equals_resize_inter_nearest)
{
    RNG rng(12345);
    Mat labels(97, 131, CV_32SC1);
    rng.fill(labels, RNG::UNIFORM, 0, 1000);
    const Size sizes[] = { Size(131, 97), Size(65, 48), Size(44, 33), Size(17, 13), Size(100, 70),
                           Size(3, 2), Size(1, 1), Size(130, 96), Size(7, 97) };
    // A ratio where double-precision and exact floors differ: 26 -> 10 maps x = 5 to 12, not 13.
    Mat row(1, 26, CV_32SC1);
    for (int x = 0; x < 26; x++)
        row.at<int>(x) = x;
    Mat cells;
    escrf::downsampleLabelsNearest(row, Size(10, 1), cells);
    EXPECT_EQ(12, cells.at<int>(5));
    for (const Size& s : sizes)
    {
        SCOPED_TRACE(cv::format("%dx%d", s.width, s.height));
        Mat ours, ref;
        escrf::downsampleLabelsNearest(labels, s, ours);
        resize(labels, ref, s, 0, 0, INTER_NEAREST);
        EXPECT_EQ(0, countDiff(ours, ref));
    }
}

TEST(Escrf_SuperpixelLabels, nearest_bad_input_throws)
{
    Mat cells;
    const Mat labels(4, 6, CV_32SC1, Scalar(0));
    EXPECT_THROW(escrf::downsampleLabelsNearest(Mat(), Size(1, 1), cells), cv::Exception);
    EXPECT_THROW(escrf::downsampleLabelsNearest(Mat(4, 6, CV_8UC1, Scalar(0)), Size(2, 2), cells), cv::Exception);
    EXPECT_THROW(escrf::downsampleLabelsNearest(labels, Size(7, 2), cells), cv::Exception);
    EXPECT_THROW(escrf::downsampleLabelsNearest(labels, Size(3, 5), cells), cv::Exception);
    EXPECT_THROW(escrf::downsampleLabelsNearest(labels, Size(0, 2), cells), cv::Exception);
}

// Entries of one cell as (superpixel, weight) pairs, in CSR order.
static std::vector<std::pair<int, float> > cellEntries(const escrf::SoftAssignment& a, int cell)
{
    std::vector<std::pair<int, float> > e;
    for (int k = a.offsets[cell]; k < a.offsets[cell + 1]; k++)
        e.emplace_back(a.superpixel[k], a.weight[k]);
    return e;
}

static void expectCell(const escrf::SoftAssignment& a, int cell, const std::vector<std::pair<int, double> >& expected)
{
    SCOPED_TRACE(cv::format("cell %d", cell));
    const auto e = cellEntries(a, cell);
    ASSERT_EQ(expected.size(), e.size());
    for (size_t i = 0; i < e.size(); i++)
    {
        EXPECT_EQ(expected[i].first, e[i].first);
        EXPECT_NEAR(expected[i].second, e[i].second, 1e-6);
    }
}

static void expectValidCsr(const escrf::SoftAssignment& a, int N, int M)
{
    ASSERT_EQ(N, a.numCells);
    ASSERT_EQ(M, a.numSuperpixels);
    ASSERT_EQ((size_t)N + 1, a.offsets.size());
    EXPECT_EQ(0, a.offsets[0]);
    ASSERT_EQ((size_t)a.offsets[N], a.superpixel.size());
    ASSERT_EQ(a.superpixel.size(), a.weight.size());
    for (int i = 0; i < N; i++)
    {
        double sum = 0;
        for (int k = a.offsets[i]; k < a.offsets[i + 1]; k++)
        {
            EXPECT_GT(a.weight[k], 0.f);
            EXPECT_GE(a.superpixel[k], 0);
            EXPECT_LT(a.superpixel[k], M);
            sum += a.weight[k];
        }
        EXPECT_NEAR(1.0, sum, 1e-6) << "cell " << i;
    }
}

TEST(Escrf_SuperpixelLabels, soft_ratio_1_5_columns)
{
    // 3x2 -> 2x1: cell 0 covers columns [0, 1.5), cell 1 covers [1.5, 3), both rows.
    // Row pattern 0 1 1: cell 0 = pixel 0 (area 1) + half of pixel 1 (0.5) per row
    //   -> superpixel 0: 1/1.5 = 2/3, superpixel 1: 0.5/1.5 = 1/3; cell 1 is all superpixel 1.
    const Mat labels = labelsFromRows(2, 3, { 0, 1, 1,
                                              0, 1, 1 });
    escrf::SoftAssignment a;
    escrf::computeSoftAssignment(labels, 2, Size(2, 1), a);
    expectValidCsr(a, 2, 2);
    expectCell(a, 0, { { 0, 2.0 / 3 }, { 1, 1.0 / 3 } });
    expectCell(a, 1, { { 1, 1.0 } });

    // Rows differ: cell area 1.5 x 2 = 3.
    // cell 0: (0,0)=0 area 1, (0,1)=0 area .5, (1,0)=2 area 1, (1,1)=1 area .5
    //   -> 0: 1.5/3 = 1/2, 1: .5/3 = 1/6, 2: 1/3
    // cell 1: (0,1)=0 .5, (0,2)=1 1, (1,1)=1 .5, (1,2)=1 1 -> 0: 1/6, 1: 5/6
    const Mat labels2 = labelsFromRows(2, 3, { 0, 0, 1,
                                               2, 1, 1 });
    escrf::computeSoftAssignment(labels2, 3, Size(2, 1), a);
    expectValidCsr(a, 2, 3);
    expectCell(a, 0, { { 0, 1.0 / 2 }, { 1, 1.0 / 6 }, { 2, 1.0 / 3 } });
    expectCell(a, 1, { { 0, 1.0 / 6 }, { 1, 5.0 / 6 } });
}

TEST(Escrf_SuperpixelLabels, soft_integer_ratio)
{
    // 4x4 -> 2x2: every cell is a 2x2 block of whole pixels, 1/4 each.
    const Mat labels = labelsFromRows(4, 4, { 0, 0, 1, 2,
                                              0, 3, 1, 1,
                                              3, 3, 3, 3,
                                              3, 3, 2, 2 });
    escrf::SoftAssignment a;
    escrf::computeSoftAssignment(labels, 4, Size(2, 2), a);
    expectValidCsr(a, 4, 4);
    expectCell(a, 0, { { 0, 0.75 }, { 3, 0.25 } });
    expectCell(a, 1, { { 1, 0.75 }, { 2, 0.25 } });
    expectCell(a, 2, { { 3, 1.0 } });
    expectCell(a, 3, { { 2, 0.5 }, { 3, 0.5 } });
}

TEST(Escrf_SuperpixelLabels, soft_fractional_rows_and_columns)
{
    // 3x3 -> 2x2: each cell covers 1.5 x 1.5 = 2.25 pixels. Cell (0,0): pixel (0,0) whole (1),
    // (0,1) and (1,0) halves (0.5), (1,1) a quarter (0.25) -> 4/9, 2/9, 2/9, 1/9.
    const Mat labels = labelsFromRows(3, 3, { 0, 1, 2,
                                              3, 4, 5,
                                              6, 7, 8 });
    escrf::SoftAssignment a;
    escrf::computeSoftAssignment(labels, 9, Size(2, 2), a);
    expectValidCsr(a, 4, 9);
    expectCell(a, 0, { { 0, 4.0 / 9 }, { 1, 2.0 / 9 }, { 3, 2.0 / 9 }, { 4, 1.0 / 9 } });
    expectCell(a, 1, { { 1, 2.0 / 9 }, { 2, 4.0 / 9 }, { 4, 1.0 / 9 }, { 5, 2.0 / 9 } });
    expectCell(a, 2, { { 3, 2.0 / 9 }, { 4, 1.0 / 9 }, { 6, 4.0 / 9 }, { 7, 2.0 / 9 } });
    expectCell(a, 3, { { 4, 1.0 / 9 }, { 5, 2.0 / 9 }, { 7, 2.0 / 9 }, { 8, 4.0 / 9 } });

    // 5x3 -> 2x2 (ratios 2.5 and 1.5), one superpixel per column of pixels; unused
    // superpixels (M = 6 > 5) are allowed. Cell (1, y) covers columns [2.5, 5):
    // half of column 2 (0.5/2.5 = 1/5), columns 3 and 4 whole (2/5 each), for every row.
    const Mat cols = labelsFromRows(3, 5, { 0, 1, 2, 3, 4,
                                            0, 1, 2, 3, 4,
                                            0, 1, 2, 3, 4 });
    escrf::computeSoftAssignment(cols, 6, Size(2, 2), a);
    expectValidCsr(a, 4, 6);
    expectCell(a, 0, { { 0, 0.4 }, { 1, 0.4 }, { 2, 0.2 } });
    expectCell(a, 3, { { 2, 0.2 }, { 3, 0.4 }, { 4, 0.4 } });
}

TEST(Escrf_SuperpixelLabels, soft_same_size_is_one_hot)
{
    RNG rng(7);
    Mat labels(9, 11, CV_32SC1);
    rng.fill(labels, RNG::UNIFORM, 0, 5);
    escrf::SoftAssignment a;
    escrf::computeSoftAssignment(labels, 5, labels.size(), a);
    expectValidCsr(a, 99, 5);
    for (int i = 0; i < 99; i++)
        expectCell(a, i, { { labels.at<int>(i / 11, i % 11), 1.0 } });
}

TEST(Escrf_SuperpixelLabels, soft_bad_input_throws)
{
    escrf::SoftAssignment a;
    const Mat labels = labelsFromRows(2, 3, { 0, 1, 1,
                                              0, 1, 2 });
    EXPECT_NO_THROW(escrf::computeSoftAssignment(labels, 3, Size(2, 1), a));
    EXPECT_THROW(escrf::computeSoftAssignment(labels, 2, Size(2, 1), a), cv::Exception);   // label 2 >= M
    EXPECT_THROW(escrf::computeSoftAssignment(labelsFromRows(1, 2, { 0, -1 }), 3, Size(1, 1), a), cv::Exception);
    EXPECT_THROW(escrf::computeSoftAssignment(labels, 0, Size(2, 1), a), cv::Exception);
    Mat u8;
    labels.convertTo(u8, CV_8U);
    EXPECT_THROW(escrf::computeSoftAssignment(u8, 3, Size(2, 1), a), cv::Exception);
    EXPECT_THROW(escrf::computeSoftAssignment(labels, 3, Size(4, 1), a), cv::Exception);  // wider than labels
    EXPECT_THROW(escrf::computeSoftAssignment(labels, 3, Size(2, 3), a), cv::Exception);  // taller
    EXPECT_THROW(escrf::computeSoftAssignment(labels, 3, Size(0, 1), a), cv::Exception);
    EXPECT_THROW(escrf::computeSoftAssignment(Mat(), 3, Size(1, 1), a), cv::Exception);
}

}} // namespace
