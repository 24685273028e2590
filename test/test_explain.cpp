// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The per-cell terms behind the kernel picture (samples/escrf_explain.cpp): the block's terms of one
// cell add up to the message the block computes, the score is the sum of its appearance and position
// halves, the kernel is normalised as the options say; the non-local attention row is a
// distribution that reproduces the block's attended values.

#include "test_precomp.hpp"
#include "block/block_explain.hpp"
#include "block/nonlocal.hpp"
#include "opencv2/core/utils/filesystem.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;
namespace ed = cv::escrf::detail;

struct ExplainCase
{
    bool normalize, gaussian, dense, pair;
};

void checkBlockCell(const ExplainCase& c)
{
    SCOPED_TRACE(cv::format("normalize %d gaussian %d dense %d pair %d", c.normalize, c.gaussian, c.dense, c.pair));
    RNG rng(5);
    const Size fs(9, 7);
    EscrfBlockParams p;
    p.embedDim = 3;
    p.posDim = 4;
    p.window = 5;
    p.dilation = 1;
    p.normalize = c.normalize;
    p.gaussianKernel = c.gaussian;
    p.dense = c.dense;
    p.pairCompatibility = c.pair;
    p.alphaS = 0.f;   // the block's output minus F is then exactly the message
    p.alphaP = 1.f;
    EscrfGuide guide;
    makeGridGuide(fs, 4, 16, p, rng, guide);
    EscrfBlockWeights w = EscrfBlockWeights::create(p, 4, rng, CV_64F);
    if (c.pair)
    {
        rng.fill(w.a, RNG::UNIFORM, -1, 1);
        w.c = 0.3;
    }
    Mat F(4, fs.area(), CV_64F), out;
    rng.fill(F, RNG::UNIFORM, -1, 1);
    escrfBlockForward(p, w, guide, F, out);
    const Mat Fp = out - F;
    for (Point cell : { Point(0, 0), Point(4, 3), Point(8, 6), Point(1, 5) })
    {
        ed::CellMessageTerms t;
        ed::explainBlockCell(p, w, guide, F, cell, t);
        const size_t n = t.neighbours.size();
        if (c.dense)
        {
            ASSERT_EQ((size_t)fs.area(), n);
        }
        Mat message = Mat::zeros(4, 1, CV_64F);
        double kernelSum = 0;
        for (size_t o = 0; o < n; o++)
        {
            const Point j = t.neighbours[o];
            message += t.weight[o] * F.col(j.y * fs.width + j.x);
            kernelSum += t.kernel[o];
            EXPECT_NEAR(t.weight[o], t.compat[o] * t.kernel[o], 1e-15);
            // K(i, j) follows the score appearance + position as the options say.
            const double score = t.appearance[o] + t.position[o];
            const double expected = c.normalize ? t.kernel[0] * std::exp(t.invTau * (score - t.appearance[0] -
                                                                                     t.position[0]))
                                                : c.gaussian ? std::exp(score) : score;
            EXPECT_NEAR(expected, t.kernel[o], 1e-9 * (1 + std::abs(t.kernel[o])));
        }
        EXPECT_LT(cv::norm(message, Fp.col(cell.y * fs.width + cell.x), NORM_INF), 1e-12) << cell;
        if (c.normalize)
        {
            EXPECT_NEAR(1.0, kernelSum, 1e-12);
        }
        if (!c.dense)   // the in-map cells of the 5 x 5 window
        {
            const int cols = std::min(cell.x + 2, fs.width - 1) - std::max(cell.x - 2, 0) + 1;
            const int rows = std::min(cell.y + 2, fs.height - 1) - std::max(cell.y - 2, 0) + 1;
            EXPECT_EQ((size_t)(cols * rows), n) << cell;
        }
    }
}

TEST(Escrf_Explain, block_cell_terms_make_the_message)
{
    const ExplainCase cases[] = { { true, true, false, false }, { true, false, false, true },
                                  { false, true, false, false }, { false, false, false, false },
                                  { true, true, true, false }, { true, false, true, true } };
    for (const ExplainCase& c : cases)
        checkBlockCell(c);
}

TEST(Escrf_Explain, block_cell_outside_the_map_throws)
{
    RNG rng(6);
    EscrfBlockParams p;
    p.embedDim = 2;
    p.posDim = 2;
    EscrfGuide guide;
    makeGridGuide(Size(6, 5), 3, 9, p, rng, guide);
    EscrfBlockWeights w = EscrfBlockWeights::create(p, 3, rng, CV_32F);
    Mat F(3, 30, CV_32F, Scalar(0.5));
    ed::CellMessageTerms t;
    expectThrowContaining([&] { ed::explainBlockCell(p, w, guide, F, Point(6, 0), t); },
                          { "explainBlockCell", "(6, 0)", "6x5" });
    expectThrowContaining([&] { ed::explainBlockCell(p, w, guide, F, Point(0, -1), t); }, { "outside" });
}

TEST(Escrf_Explain, nonlocal_attention_row_is_the_block_attention)
{
    RNG rng(7);
    const Size grid(11, 9);
    ed::NonlocalParams p;
    p.embedDim = 3;
    p.factor = 3;
    ed::NonlocalWeights w = ed::NonlocalWeights::create(p, 4, rng, CV_64F);
    Mat F(4, grid.area(), CV_64F), out;
    rng.fill(F, RNG::UNIFORM, -2, 2);
    ed::NonlocalCache cache;
    ed::nonlocalForward(p, w, grid, F, out, &cache);
    for (Point cell : { Point(0, 0), Point(10, 8), Point(4, 5) })
    {
        Mat att;
        Point coarse;
        ed::nonlocalAttention(p, w, grid, F, cell, att, coarse);
        ASSERT_EQ(Size(4, 3), att.size());
        EXPECT_EQ(Point(cell.x / 3, cell.y / 3), coarse);
        EXPECT_NEAR(1.0, sum(att)[0], 1e-12);
        // y_i = sum_j a_ij g_j, as the block computed it.
        const Mat y = att.reshape(1, 1) * cache.gT;
        EXPECT_LT(cv::norm(y, cache.yT.row(coarse.y * 4 + coarse.x), NORM_INF), 1e-10) << cell;
    }
    Mat att;
    Point coarse;
    expectThrowContaining([&] { ed::nonlocalAttention(p, w, grid, F, Point(11, 0), att, coarse); },
                          { "nonlocalAttention", "outside" });
}

// The public picture: a pixel's maps for the ES-CRF and the non-local heads of the toy backbone;
// clear errors for heads without a pairwise kernel and pixels outside the image.
TEST(Escrf_Explain, head_kernel_maps)
{
    const std::string dir = cv::tempfile("_escrf_explain");
    utils::fs::createDirectories(dir);
    Ptr<Backbone> backbone = Backbone::create(BackboneDescription::read(writeToyBackbone(dir)));
    Mat image(24, 32, CV_8UC3);
    RNG rng(8);
    rng.fill(image, RNG::UNIFORM, 0, 256);
    for (int variant : { HEAD_ESCRF, HEAD_PAIRWISE, HEAD_NONLOCAL })
    {
        SCOPED_TRACE(headVariantToString(variant));
        HeadConfig cfg = toyHeadConfig(variant);
        cfg.stride = 2;
        cfg.block.normalize = true;
        Ptr<Head> head = Head::create(cfg, { 4, 5 });
        HeadKernelMaps maps;
        explainHeadKernel(*head, *backbone, image, Point(9, 20), maps);
        const int f = variant == HEAD_NONLOCAL ? 2 * cfg.nonlocal.factor : 2;
        EXPECT_EQ(f, maps.cellSize);
        EXPECT_EQ(Point(9 / f, 20 / f), maps.cell);
        EXPECT_EQ(Size((32 / 2 + f / 2 - 1) / (f / 2), (24 / 2 + f / 2 - 1) / (f / 2)), maps.mapSize);
        ASSERT_EQ(maps.mapSize, maps.weight.size());
        Mat defined = maps.weight == maps.weight;   // not NaN
        if (variant == HEAD_NONLOCAL)
        {
            EXPECT_TRUE(maps.appearance.empty());
            EXPECT_NEAR(1.0, sum(maps.weight)[0], 1e-9);
            EXPECT_EQ(maps.mapSize.area(), countNonZero(defined));
            continue;
        }
        // The 3 x 3 window of dilation 2 around cell (4, 10) of the 16 x 12 map: 3 x 2 cells inside.
        EXPECT_EQ(6, countNonZero(defined));
        Mat app = maps.appearance.clone(), pos = maps.position.clone();
        app.setTo(0, ~defined);
        pos.setTo(0, ~defined);
        EXPECT_NEAR(1.0, sum(app)[0], 1e-9);   // normalised over G(i) as the message is
        EXPECT_NEAR(1.0, sum(pos)[0], 1e-9);
    }
    for (int variant : { HEAD_BASELINE, HEAD_SUPERPIXEL, HEAD_JOINT_CRF })
    {
        Ptr<Head> head = Head::create(toyHeadConfig(variant), { 4, 5 });
        HeadKernelMaps maps;
        expectThrowContaining([&] { explainHeadKernel(*head, *backbone, image, Point(1, 1), maps); },
                              { headVariantToString(variant) + " head has no pairwise kernel" });
    }
    Ptr<Head> head = Head::create(toyHeadConfig(HEAD_ESCRF), { 4, 5 });
    HeadKernelMaps maps;
    expectThrowContaining([&] { explainHeadKernel(*head, *backbone, image, Point(32, 3), maps); },
                          { "pixel (32, 3) is outside the 32x24 image" });
    utils::fs::remove_all(dir);
}

}} // namespace
