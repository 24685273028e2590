// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Gradient checks of the ES-CRF block: the analytic backward pass against central finite
// differences of L = sum(out .* dOut), in double precision, for every option and their
// combinations, on small maps with non-integer image/feature ratios.

#include "test_precomp.hpp"
#include "opencv2/escrf/block.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;

struct Problem
{
    EscrfBlockParams params;
    EscrfBlockWeights weights;
    EscrfGuide guide;
    Mat F, dOut;
};

Problem makeProblem(const EscrfBlockParams& params, int C, Size fs, Size imgSize, int M, uint64 seed)
{
    RNG rng(seed);
    Problem p;
    p.params = params;
    Mat image(imgSize, CV_32FC3), labels(imgSize, CV_32SC1);
    rng.fill(image, RNG::UNIFORM, Scalar::all(0), Scalar::all(1));
    // Blocky labels with some noise: several superpixels per cell on average.
    for (int y = 0; y < imgSize.height; y++)
        for (int x = 0; x < imgSize.width; x++)
            labels.at<int>(y, x) = rng.uniform(0, 4) == 0 ? rng.uniform(0, M)
                                                          : ((y * 3 / imgSize.height) * 2 + x * 2 / imgSize.width) % M;
    prepareGuide(image, labels, M, fs, params, p.guide, CV_64F);
    p.weights = EscrfBlockWeights::create(params, C, rng, CV_64F);
    // Larger than the init so that every term matters; random alphas and c.
    p.weights.W_img *= 2;
    p.weights.W_pos *= 2;
    p.weights.w_comp *= 3;
    if (params.pairCompatibility)
    {
        p.weights.a *= 3;
        p.weights.b *= 3;
        p.weights.c = rng.uniform(-0.5, 0.5);
    }
    if (params.learnableFusion)
    {
        p.weights.alphaS = params.alphaS == 0 ? 0.0 : rng.uniform(0.05, 0.5);
        p.weights.alphaP = params.alphaP == 0 ? 0.0 : rng.uniform(0.05, 0.5);
    }
    p.F.create(C, fs.area(), CV_64F);
    rng.fill(p.F, RNG::NORMAL, Scalar(0), Scalar(1));
    p.dOut.create(C, fs.area(), CV_64F);
    rng.fill(p.dOut, RNG::NORMAL, Scalar(0), Scalar(1));
    return p;
}

double loss(const Problem& p, const EscrfBlockWeights& w, const Mat& F)
{
    Mat out;
    escrfBlockForward(p.params, w, p.guide, F, out);
    return out.dot(p.dOut);
}

// Central differences of every entry of `param` (a tensor inside w or F), compared with `analytic`.
void checkTensor(const char* name, const Problem& p, EscrfBlockWeights& w, Mat& F, Mat& param,
                 const Mat& analytic, double tol)
{
    ASSERT_EQ(param.size(), analytic.size()) << name;
    const double h = 1e-6;
    Mat numeric(param.size(), CV_64F);
    for (int r = 0; r < param.rows; r++)
        for (int c = 0; c < param.cols; c++)
        {
            double& x = param.at<double>(r, c);
            const double x0 = x;
            x = x0 + h; const double lp = loss(p, w, F);
            x = x0 - h; const double lm = loss(p, w, F);
            x = x0;
            numeric.at<double>(r, c) = (lp - lm) / (2 * h);
        }
    const double scale = std::max(norm(numeric, NORM_INF), 1e-3);
    const double err = norm(numeric, analytic, NORM_INF) / scale;
    EXPECT_LT(err, tol) << name << ": max |analytic - numeric| / max |numeric| = " << err
                        << " (max |numeric| = " << scale << ")";
}

void checkScalar(const char* name, const Problem& p, EscrfBlockWeights& w, double& x, double analytic, double tol)
{
    const double h = 1e-6, x0 = x;
    Mat F = p.F;
    x = x0 + h; const double lp = loss(p, w, F);
    x = x0 - h; const double lm = loss(p, w, F);
    x = x0;
    const double numeric = (lp - lm) / (2 * h);
    EXPECT_LT(std::abs(numeric - analytic), tol * std::max(std::abs(numeric), 1e-3))
        << name << ": analytic " << analytic << ", numeric " << numeric;
}

void gradCheck(const EscrfBlockParams& params, uint64 seed, int C = 4, Size fs = Size(6, 5))
{
    SCOPED_TRACE(cv::format("seed %d normalize %d dense %d pair %d soft %d learnable %d gaussian %d aS %g aP %g "
                            "k %d d %d", (int)seed, params.normalize, params.dense, params.pairCompatibility,
                            params.softSuperpixels, params.learnableFusion, params.gaussianKernel, params.alphaS,
                            params.alphaP, params.window, params.dilation));
    Problem p = makeProblem(params, C, fs, Size(13, 10), 5, seed);
    EscrfBlockCache cache;
    Mat out, dF;
    escrfBlockForward(p.params, p.weights, p.guide, p.F, out, &cache);
    EscrfBlockWeights g = p.weights.zerosLike();
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, g);

    const double tol = 1e-6;
    EscrfBlockWeights w = p.weights;
    Mat F = p.F.clone();
    checkTensor("dF", p, w, F, F, dF, tol);
    checkTensor("dW_img", p, w, F, w.W_img, g.W_img, tol);
    checkTensor("dW_pos", p, w, F, w.W_pos, g.W_pos, tol);
    if (params.pairCompatibility)
    {
        checkTensor("da", p, w, F, w.a, g.a, tol);
        checkTensor("db", p, w, F, w.b, g.b, tol);
        checkScalar("dc", p, w, w.c, g.c, tol);
        EXPECT_EQ(norm(g.w_comp, NORM_INF), 0.0) << "w_comp is unused with pair compatibility";
    }
    else
        checkTensor("dw_comp", p, w, F, w.w_comp, g.w_comp, tol);
    if (params.learnableFusion)
    {
        checkScalar("dalphaS", p, w, w.alphaS, g.alphaS, tol);
        checkScalar("dalphaP", p, w, w.alphaP, g.alphaP, tol);
    }
}

EscrfBlockParams smallParams()
{
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    return p;
}

TEST(Escrf_BlockGrad, reference)
{
    for (uint64 seed = 1; seed <= 3; seed++)
        gradCheck(smallParams(), seed);
}

TEST(Escrf_BlockGrad, reference_default_sizes)
{
    EscrfBlockParams p;   // E = P = 32, k = 3, d = 2
    gradCheck(p, 11, 3, Size(7, 6));
}

TEST(Escrf_BlockGrad, window_and_dilation)
{
    EscrfBlockParams p = smallParams();
    p.window = 5; p.dilation = 1;
    gradCheck(p, 4);
    p.window = 1;
    gradCheck(p, 5);
    p.window = 3; p.dilation = 3;
    gradCheck(p, 6);
}

TEST(Escrf_BlockGrad, normalize)
{
    EscrfBlockParams p = smallParams();
    p.normalize = true;
    for (uint64 seed = 1; seed <= 3; seed++)
        gradCheck(p, seed);
}

TEST(Escrf_BlockGrad, pair_compatibility)
{
    EscrfBlockParams p = smallParams();
    p.pairCompatibility = true;
    for (uint64 seed = 1; seed <= 3; seed++)
        gradCheck(p, seed);
    p.normalize = true;
    gradCheck(p, 7);
}

TEST(Escrf_BlockGrad, dense)
{
    EscrfBlockParams p = smallParams();
    p.dense = true;   // linear path
    for (uint64 seed = 1; seed <= 2; seed++)
        gradCheck(p, seed);
    p.normalize = true;   // streamed online softmax
    for (uint64 seed = 3; seed <= 4; seed++)
        gradCheck(p, seed);
    p.normalize = false; p.pairCompatibility = true;   // streamed plain sum
    gradCheck(p, 5);
    p.normalize = true;
    gradCheck(p, 6);
}

TEST(Escrf_BlockGrad, gaussian_kernel)
{
    EscrfBlockParams p = smallParams();
    p.gaussianKernel = true;   // exp(-|e_i - e_j|^2 / 2)
    gradCheck(p, 1);
    p.normalize = true;        // softmax of the same score
    gradCheck(p, 2);
    p.pairCompatibility = true;
    gradCheck(p, 3);
    p.dense = true;            // streamed, both forms
    gradCheck(p, 4);
    p.normalize = false;
    gradCheck(p, 5);
}

TEST(Escrf_BlockGrad, dense_larger_than_one_tile)
{
    // 20 x 9 = 180 cells: several tiles of i and of j in the streamed kernels.
    EscrfBlockParams p = smallParams();
    p.dense = true;
    p.normalize = true;
    p.pairCompatibility = true;
    Problem pr = makeProblem(p, 3, Size(20, 9), Size(23, 13), 5, 21);
    EscrfBlockCache cache;
    Mat out, dF;
    escrfBlockForward(pr.params, pr.weights, pr.guide, pr.F, out, &cache);
    EscrfBlockWeights g = pr.weights.zerosLike();
    escrfBlockBackward(pr.params, pr.weights, pr.guide, pr.F, cache, pr.dOut, dF, g);
    EscrfBlockWeights w = pr.weights;
    Mat F = pr.F.clone();
    checkTensor("dW_img", pr, w, F, w.W_img, g.W_img, 1e-6);
    checkTensor("db", pr, w, F, w.b, g.b, 1e-6);
    // dF on a subset of rows keeps the test fast.
    Mat Frow = F.row(1);
    checkTensor("dF row 1", pr, w, F, Frow, dF.row(1), 1e-6);
}

TEST(Escrf_BlockGrad, soft_superpixels)
{
    EscrfBlockParams p = smallParams();
    p.softSuperpixels = true;
    for (uint64 seed = 1; seed <= 2; seed++)
        gradCheck(p, seed);
}

TEST(Escrf_BlockGrad, learnable_fusion)
{
    EscrfBlockParams p = smallParams();
    p.learnableFusion = true;
    for (uint64 seed = 1; seed <= 2; seed++)
        gradCheck(p, seed);
}

TEST(Escrf_BlockGrad, zero_alphas)
{
    EscrfBlockParams p = smallParams();
    p.alphaP = 0;   // pairwise skipped
    gradCheck(p, 1);
    p.alphaP = 0.2f; p.alphaS = 0;   // prior skipped
    gradCheck(p, 2);
    // Learnable with zero initial weights: both terms stay off (how the variants remove one).
    p.learnableFusion = true;
    p.alphaS = 0; p.alphaP = 0;
    gradCheck(p, 3);
}

TEST(Escrf_BlockGrad, all_options)
{
    EscrfBlockParams p = smallParams();
    p.normalize = p.pairCompatibility = p.softSuperpixels = p.learnableFusion = true;
    gradCheck(p, 1);
    gradCheck(p, 2);
    p.dense = true;
    gradCheck(p, 3);
}

TEST(Escrf_BlockGrad, grads_accumulate)
{
    Problem p = makeProblem(smallParams(), 4, Size(6, 5), Size(13, 10), 5, 9);
    EscrfBlockCache cache;
    Mat out, dF;
    escrfBlockForward(p.params, p.weights, p.guide, p.F, out, &cache);
    EscrfBlockWeights once = p.weights.zerosLike(), twice = p.weights.zerosLike();
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, once);
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, twice);
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, twice);
    EXPECT_GT(norm(once.W_pos, NORM_INF), 0.0);
    EXPECT_LE(norm(twice.W_pos, once.W_pos * 2, NORM_INF), 1e-12 * norm(once.W_pos, NORM_INF));
    EXPECT_LE(norm(twice.w_comp, once.w_comp * 2, NORM_INF), 1e-12 * norm(once.w_comp, NORM_INF));
    EXPECT_NEAR(twice.alphaS, 2 * once.alphaS, 1e-12 * std::abs(once.alphaS));
}

// With learnable fusion a term configured non-zero is evaluated even when its trained weight is
// 0 (its alpha gradient needs it); the alpha gradients are then sum(Fs .* dOut), sum(Fp .* dOut).
TEST(Escrf_BlockGrad, learnable_term_trained_to_zero_keeps_its_gradient)
{
    EscrfBlockParams params = smallParams();
    params.learnableFusion = true;
    Problem p = makeProblem(params, 4, Size(6, 5), Size(13, 10), 5, 11);
    p.weights.alphaS = 0;
    p.weights.alphaP = 0;
    EscrfBlockCache cache;
    Mat out, dF;
    escrfBlockForward(p.params, p.weights, p.guide, p.F, out, &cache);
    EXPECT_EQ(0, norm(out, p.F, NORM_INF));   // both weights 0: F* = F
    EscrfBlockWeights g = p.weights.zerosLike();
    escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, g);
    // The same sums from a forward with each term alone at weight 1.
    EscrfBlockParams fixed = params;
    fixed.learnableFusion = false;
    fixed.alphaS = 1; fixed.alphaP = 0;
    Mat withS, withP;
    escrfBlockForward(fixed, p.weights, p.guide, p.F, withS);
    fixed.alphaS = 0; fixed.alphaP = 1;
    escrfBlockForward(fixed, p.weights, p.guide, p.F, withP);
    const double expectS = (withS - p.F).dot(p.dOut), expectP = (withP - p.F).dot(p.dOut);
    EXPECT_NE(0, expectS);
    EXPECT_NE(0, expectP);
    EXPECT_NEAR(g.alphaS, expectS, 1e-10 * std::abs(expectS));
    EXPECT_NEAR(g.alphaP, expectP, 1e-10 * std::abs(expectP));
}

// A cache from a forward pass with other kernel options is refused, not used.
TEST(Escrf_BlockGrad, cache_from_other_options_is_refused)
{
    Problem p = makeProblem(smallParams(), 4, Size(6, 5), Size(13, 10), 5, 12);
    EscrfBlockCache cache;
    Mat out, dF;
    escrfBlockForward(p.params, p.weights, p.guide, p.F, out, &cache);
    EscrfBlockWeights g = p.weights.zerosLike();
    EscrfBlockParams other = p.params;
    other.gaussianKernel = true;
    EXPECT_THROW(escrfBlockBackward(other, p.weights, p.guide, p.F, cache, p.dOut, dF, g), cv::Exception);
    other = p.params;
    other.normalize = !other.normalize;
    EXPECT_THROW(escrfBlockBackward(other, p.weights, p.guide, p.F, cache, p.dOut, dF, g), cv::Exception);
    EXPECT_NO_THROW(escrfBlockBackward(p.params, p.weights, p.guide, p.F, cache, p.dOut, dF, g));
}

}} // namespace
