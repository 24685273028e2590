// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The coarse grid of the reduced-resolution head stages: box means (partial blocks at the
// border), the bilinear way back, and that both adjoints are the transposes (<A x, y> = <x, A^T y>).

#include "test_precomp.hpp"
#include "head/coarse_grid.hpp"

namespace opencv_test { namespace {

using cv::escrf::detail::CoarseGrid;

TEST(Escrf_CoarseGrid, sizes_and_box_means)
{
    const CoarseGrid g(Size(7, 5), 3);
    EXPECT_EQ(g.coarse(), Size(3, 2));
    Mat X(1, 35, CV_64F);
    for (int i = 0; i < 35; i++)
        X.at<double>(i) = i;
    Mat Y;
    g.pool(X, Y);
    ASSERT_EQ(Y.cols, 6);
    // Block (0,0): rows 0..2, cols 0..2; block (2,1): rows 3..4, col 6 (partial).
    EXPECT_DOUBLE_EQ(Y.at<double>(0), (0 + 1 + 2 + 7 + 8 + 9 + 14 + 15 + 16) / 9.0);
    EXPECT_DOUBLE_EQ(Y.at<double>(5), (27 + 34) / 2.0);
}

TEST(Escrf_CoarseGrid, factor_one_is_identity)
{
    const CoarseGrid g(Size(4, 3), 1);
    EXPECT_EQ(g.coarse(), Size(4, 3));
    Mat X(2, 12, CV_32F), Y, Z;
    randu(X, -1, 1);
    g.pool(X, Y);
    g.upsample(Y, Z);
    EXPECT_EQ(norm(X, Z, NORM_INF), 0.0);
    EXPECT_EQ(g.cellCentre(2, 1, Size(8, 6)), Point2d(4.5, 2.5));
}

TEST(Escrf_CoarseGrid, adjoints_are_transposes)
{
    RNG rng(3);
    for (int factor : { 2, 3, 4 })
        for (Size fine : { Size(9, 7), Size(8, 8), Size(1, 5) })
        {
            SCOPED_TRACE(cv::format("factor %d fine %dx%d", factor, fine.width, fine.height));
            const CoarseGrid g(fine, factor);
            Mat x(3, fine.area(), CV_64F), y(3, g.coarse().area(), CV_64F), Ax, Aty, Ux, Uty;
            rng.fill(x, RNG::NORMAL, 0, 1);
            rng.fill(y, RNG::NORMAL, 0, 1);
            g.pool(x, Ax);
            g.poolAdjoint(y, Aty);
            EXPECT_NEAR(Ax.dot(y), x.dot(Aty), 1e-12 * (1 + std::abs(Ax.dot(y))));
            g.upsample(y, Ux);
            g.upsampleAdjoint(x, Uty);
            EXPECT_NEAR(Ux.dot(x), y.dot(Uty), 1e-12 * (1 + std::abs(Ux.dot(x))));
        }
}

TEST(Escrf_CoarseGrid, bad_inputs)
{
    EXPECT_THROW(CoarseGrid(Size(0, 3), 2), cv::Exception);
    EXPECT_THROW(CoarseGrid(Size(4, 3), 0), cv::Exception);
    const CoarseGrid g(Size(4, 3), 2);
    Mat wrong(2, 11, CV_32F), out;
    try
    {
        g.pool(wrong, out);
        ADD_FAILURE() << "no exception";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(e.err.find("pool input"), std::string::npos) << e.err;
    }
    EXPECT_THROW(g.upsample(Mat(2, 12, CV_32F), out), cv::Exception);   // expects coarse cells
    EXPECT_THROW(g.pool(Mat(2, 12, CV_8U), out), cv::Exception);
}

}} // namespace
