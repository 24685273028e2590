// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The non-local block (src/block/nonlocal.cpp): forward against a literal N x N softmax,
// double-precision gradient checks of the features and the four weight matrices at full and
// reduced resolution, initialisation (identity), float against double, bad inputs.

#include "test_precomp.hpp"
#include "block/nonlocal.hpp"

#include <functional>

namespace opencv_test { namespace {

using namespace cv::escrf::detail;

struct NlProblem
{
    NonlocalParams params;
    Size grid;
    NonlocalWeights weights;
    Mat F, dOut;
};

NlProblem makeProblem(int factor, int E, int D, Size grid, int depth, uint64 seed)
{
    RNG rng(seed);
    NlProblem p;
    p.params.embedDim = E;
    p.params.factor = factor;
    p.grid = grid;
    p.weights = NonlocalWeights::create(p.params, D, rng, depth);
    // Larger than the init (and a non-zero output projection) so that every term matters.
    p.weights.W_theta *= 2;
    p.weights.W_phi *= 2;
    rng.fill(p.weights.W_out, RNG::NORMAL, 0, 0.5);
    p.F.create(D, grid.area(), depth);
    rng.fill(p.F, RNG::NORMAL, 0, 1);
    p.dOut.create(D, grid.area(), depth);
    rng.fill(p.dOut, RNG::NORMAL, 0, 1);
    return p;
}

//! out = F + up(W_out y), y_i = sum_j softmax_j(theta_i . phi_j) g_j with the full Nc x Nc matrix.
Mat referenceForward(const NlProblem& p)
{
    const int f = p.params.factor, D = p.F.rows;
    const Size fine = p.grid, coarse((fine.width + f - 1) / f, (fine.height + f - 1) / f);
    const int Nc = coarse.area();
    Mat Fc(D, Nc, CV_64F, Scalar(0));
    std::vector<int> count(Nc, 0);
    for (int y = 0; y < fine.height; y++)
        for (int x = 0; x < fine.width; x++)
        {
            const int c = (y / f) * coarse.width + x / f;
            count[c]++;
            Fc.col(c) += p.F.col(y * fine.width + x);
        }
    for (int c = 0; c < Nc; c++)
        Fc.col(c) /= count[c];
    const Mat theta = p.weights.W_theta * Fc, phi = p.weights.W_phi * Fc, g = p.weights.W_g * Fc;
    Mat A = theta.t() * phi;   // Nc x Nc scores
    for (int i = 0; i < Nc; i++)
    {
        double mx, s = 0;
        minMaxLoc(A.row(i), nullptr, &mx);
        for (int j = 0; j < Nc; j++)
            s += A.at<double>(i, j) = std::exp(A.at<double>(i, j) - mx);
        A.row(i) /= s;
    }
    const Mat z = p.weights.W_out * (g * A.t());   // D x Nc
    Mat out = p.F.clone();
    for (int d = 0; d < D; d++)
    {
        Mat up;
        resize(z.row(d).reshape(1, coarse.height), up, fine, 0, 0, INTER_LINEAR);
        out.row(d) += up.reshape(1, 1);
    }
    return out;
}

TEST(Escrf_Nonlocal, forward_matches_literal_attention)
{
    for (int factor : { 1, 2, 3 })
    {
        SCOPED_TRACE(cv::format("factor %d", factor));
        NlProblem p = makeProblem(factor, 4, 5, Size(11, 8), CV_64F, 3 + factor);
        Mat out;
        nonlocalForward(p.params, p.weights, p.grid, p.F, out);
        const Mat expected = referenceForward(p);
        EXPECT_LT(norm(out, expected, NORM_INF), 1e-12 * std::max(1.0, norm(expected, NORM_INF)));
        EXPECT_GT(norm(out, p.F, NORM_INF), 1e-2);
    }
}

TEST(Escrf_Nonlocal, many_tiles)
{
    // More cells than one streamed tile (16 x 128) in both directions.
    NlProblem p = makeProblem(1, 3, 2, Size(23, 17), CV_64F, 9);
    Mat out;
    nonlocalForward(p.params, p.weights, p.grid, p.F, out);
    const Mat expected = referenceForward(p);
    EXPECT_LT(norm(out, expected, NORM_INF), 1e-12 * std::max(1.0, norm(expected, NORM_INF)));
}

// ---------------------------------------------------------------- gradients

double loss(const NlProblem& p, const NonlocalWeights& w, const Mat& F)
{
    Mat out;
    nonlocalForward(p.params, w, p.grid, F, out);
    return out.dot(p.dOut);
}

void checkTensor(const char* name, const NlProblem& p, NonlocalWeights& w, Mat& F, Mat& param, const Mat& analytic)
{
    ASSERT_EQ(param.size(), analytic.size()) << name;
    const double h = 1e-6, tol = 1e-6;
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
    EXPECT_LT(err, tol) << name << ": max |analytic - numeric| / max |numeric| = " << err << " (max |numeric| = "
                        << scale << ")";
}

void gradCheck(int factor, int E, int D, Size grid, uint64 seed)
{
    SCOPED_TRACE(cv::format("factor %d E %d D %d grid %dx%d", factor, E, D, grid.width, grid.height));
    NlProblem p = makeProblem(factor, E, D, grid, CV_64F, seed);
    NonlocalCache cache;
    Mat out, dF;
    nonlocalForward(p.params, p.weights, p.grid, p.F, out, &cache);
    NonlocalWeights g = p.weights.zerosLike();
    nonlocalBackward(p.params, p.weights, p.grid, p.F, cache, p.dOut, dF, g);
    NonlocalWeights w = p.weights;
    Mat F = p.F.clone();
    checkTensor("dF", p, w, F, F, dF);
    checkTensor("dW_theta", p, w, F, w.W_theta, g.W_theta);
    checkTensor("dW_phi", p, w, F, w.W_phi, g.W_phi);
    checkTensor("dW_g", p, w, F, w.W_g, g.W_g);
    checkTensor("dW_out", p, w, F, w.W_out, g.W_out);
}

TEST(Escrf_Nonlocal, gradients_full_resolution)
{
    gradCheck(1, 3, 4, Size(6, 5), 1);
    gradCheck(1, 5, 3, Size(7, 4), 2);
}

TEST(Escrf_Nonlocal, gradients_reduced_resolution)
{
    gradCheck(2, 3, 4, Size(9, 7), 3);   // partial blocks
    gradCheck(4, 4, 3, Size(16, 12), 4);
}

TEST(Escrf_Nonlocal, gradients_many_tiles)
{
    gradCheck(1, 2, 2, Size(19, 15), 5);   // 285 cells: several tiles of i and j, several stripes
}

// ---------------------------------------------------------------- init, precision

TEST(Escrf_Nonlocal, new_block_is_identity)
{
    RNG rng(7);
    NonlocalParams params;
    params.embedDim = 6;
    params.factor = 2;
    const NonlocalWeights w = NonlocalWeights::create(params, 16, rng);
    EXPECT_EQ(w.W_theta.size(), Size(16, 6));
    EXPECT_EQ(w.W_out.size(), Size(6, 16));
    EXPECT_EQ(norm(w.W_out, NORM_INF), 0.0);
    Scalar mean, sd;
    meanStdDev(w.W_g, mean, sd);
    EXPECT_NEAR(sd[0], 0.25, 0.08);
    Mat F(16, 40 * 30, CV_32F), out;
    rng.fill(F, RNG::NORMAL, 0, 1);
    nonlocalForward(params, w, Size(40, 30), F, out);
    EXPECT_EQ(norm(out, F, NORM_INF), 0.0);
}

TEST(Escrf_Nonlocal, float_matches_double)
{
    NlProblem p = makeProblem(2, 8, 16, Size(48, 36), CV_64F, 11);
    Mat out64, out32;
    nonlocalForward(p.params, p.weights, p.grid, p.F, out64);
    NonlocalWeights w32;
    p.weights.W_theta.convertTo(w32.W_theta, CV_32F);
    p.weights.W_phi.convertTo(w32.W_phi, CV_32F);
    p.weights.W_g.convertTo(w32.W_g, CV_32F);
    p.weights.W_out.convertTo(w32.W_out, CV_32F);
    Mat F32;
    p.F.convertTo(F32, CV_32F);
    nonlocalForward(p.params, w32, p.grid, F32, out32);
    out32.convertTo(out32, CV_64F);
    EXPECT_LT(norm(out32, out64, NORM_INF), 1e-4 * std::max(1.0, norm(out64, NORM_INF)));
}

// ---------------------------------------------------------------- bad inputs

void expectError(const std::function<void()>& f, const std::string& what)
{
    try
    {
        f();
        ADD_FAILURE() << "no exception, expected one naming " << what;
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(e.err.find(what), std::string::npos) << "message: " << e.err << "; expected it to name " << what;
    }
}

TEST(Escrf_Nonlocal, bad_inputs)
{
    NlProblem p = makeProblem(2, 3, 4, Size(8, 6), CV_32F, 21);
    Mat out, dF;
    NonlocalCache cache;
    nonlocalForward(p.params, p.weights, p.grid, p.F, out, &cache);

    NonlocalParams bad = p.params;
    bad.embedDim = 0;
    expectError([&] { nonlocalForward(bad, p.weights, p.grid, p.F, out); }, "params.embedDim");
    bad = p.params; bad.factor = 0;
    expectError([&] { nonlocalForward(bad, p.weights, p.grid, p.F, out); }, "params.factor");
    RNG rng;
    expectError([&] { NonlocalWeights::create(p.params, 0, rng); }, "channels");
    expectError([&] { nonlocalForward(p.params, p.weights, Size(7, 6), p.F, out); }, "F is");
    expectError([&] { nonlocalForward(p.params, p.weights, Size(0, 6), p.F, out); }, "grid");
    Mat F8;
    p.F.convertTo(F8, CV_8U);
    expectError([&] { nonlocalForward(p.params, p.weights, p.grid, F8, out); }, "F is");
    NonlocalWeights w = p.weights;
    w.W_phi = Mat::zeros(3, 5, CV_32F);
    expectError([&] { nonlocalForward(p.params, w, p.grid, p.F, out); }, "weights.W_phi");
    w = p.weights;
    w.W_out.convertTo(w.W_out, CV_64F);
    expectError([&] { nonlocalForward(p.params, w, p.grid, p.F, out); }, "weights.W_out");

    NonlocalWeights g = p.weights.zerosLike();
    expectError([&] { nonlocalBackward(p.params, p.weights, p.grid, p.F, NonlocalCache(), p.dOut, dF, g); },
                "cache");
    bad = p.params; bad.factor = 1;
    expectError([&] { nonlocalBackward(bad, p.weights, p.grid, p.F, cache, p.dOut, dF, g); }, "cache");
    expectError([&] { nonlocalBackward(p.params, p.weights, p.grid, p.F, cache, p.dOut.rowRange(0, 3).clone(), dF,
                                       g); }, "dOut");
    g.W_g.release();
    expectError([&] { nonlocalBackward(p.params, p.weights, p.grid, p.F, cache, p.dOut, dF, g); }, "grads.W_g");
}

}} // namespace
