// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The joint-crf stage (src/crf/crf_rnn.cpp): forward against a literal implementation of the
// mean-field recursion (explicit Gaussian sums), double-precision gradient checks of the scores
// and every weight (exact bilateral filter: the permutohedral lattice filters floats only), float
// checks with the lattice and its adjoint,
// the lattice path against the module's DenseCRF, the grid filter against brute force,
// initialisation, T = 0, bad inputs.

#include "test_precomp.hpp"
#include "crf/crf_rnn.hpp"

#include <functional>

namespace opencv_test { namespace {

using namespace cv::escrf::detail;

struct CrfProblem
{
    CrfRnnParams params;
    Size grid, image;
    Mat colour;          // 3 x N CV_32F in [0, 1]
    Mat U, dOut;         // K x N
    CrfRnnWeights weights;
};

//! A smooth random colour image at the head's resolution, as 3 x N planes.
Mat smoothColour(Size grid, RNG& rng)
{
    Mat img(grid, CV_32FC3);
    rng.fill(img, RNG::UNIFORM, Scalar::all(0), Scalar::all(1));
    GaussianBlur(img, img, Size(3, 3), 0.8);
    Mat planar = img.reshape(1, grid.area());
    return planar.t();
}

CrfProblem makeProblem(int factor, int iterations, int K, int depth, uint64 seed, Size grid = Size(9, 7),
                       Size image = Size(18, 14))
{
    RNG rng(seed);
    CrfProblem p;
    p.params.factor = factor;
    p.params.iterations = iterations;
    p.params.bilateralSxy = 6.f;   // widths at the scale of the small map (pixels, levels)
    p.params.bilateralSrgb = 40.f;
    p.params.spatialSxy = 3.f;
    p.params.exactBilateral = depth == CV_64F;
    p.grid = grid;
    p.image = image;
    p.colour = smoothColour(grid, rng);
    p.U.create(K, grid.area(), depth);
    rng.fill(p.U, RNG::NORMAL, 0, 2);
    p.dOut.create(K, grid.area(), depth);
    rng.fill(p.dOut, RNG::NORMAL, 0, 1);
    // Away from the initialisation, so that every weight matters.
    p.weights = CrfRnnWeights::create(K, depth);
    rng.fill(p.weights.bilateral, RNG::UNIFORM, 1, 4);
    rng.fill(p.weights.spatial, RNG::UNIFORM, 1, 3);
    rng.fill(p.weights.compat, RNG::UNIFORM, -1, 2);
    return p;
}

// ---------------------------------------------------------------- literal reference

//! The mean-field recursion written out with explicit sums over cells and labels (double).
Mat referenceForward(const CrfProblem& p, const CrfRnnWeights& w)
{
    const int f = p.params.factor, K = p.U.rows;
    const Size fine = p.grid, coarse((fine.width + f - 1) / f, (fine.height + f - 1) / f);
    const int Nc = coarse.area();
    // Box means of the scores and the colour.
    Mat Uc(K, Nc, CV_64F, Scalar(0)), col(3, Nc, CV_64F, Scalar(0));
    std::vector<int> count(Nc, 0);
    for (int y = 0; y < fine.height; y++)
        for (int x = 0; x < fine.width; x++)
        {
            const int c = (y / f) * coarse.width + x / f, i = y * fine.width + x;
            count[c]++;
            for (int k = 0; k < K; k++)
                Uc.at<double>(k, c) += p.U.at<double>(k, i);
            for (int k = 0; k < 3; k++)
                col.at<double>(k, c) += p.colour.at<float>(k, i);
        }
    for (int c = 0; c < Nc; c++)
    {
        Uc.col(c) /= count[c];
        col.col(c) /= count[c];
    }
    // Kernels.
    const double stepX = (double)p.image.width / coarse.width, stepY = (double)p.image.height / coarse.height;
    const int rx = (int)std::ceil(4 * p.params.spatialSxy / stepX), ry = (int)std::ceil(4 * p.params.spatialSxy / stepY);
    Mat kb(Nc, Nc, CV_64F), ks(Nc, Nc, CV_64F);
    for (int i = 0; i < Nc; i++)
        for (int j = 0; j < Nc; j++)
        {
            const int Xi = i % coarse.width, Yi = i / coarse.width, Xj = j % coarse.width, Yj = j / coarse.width;
            const double dx = (Xi - Xj) * stepX, dy = (Yi - Yj) * stepY;
            double dc2 = 0;
            for (int k = 0; k < 3; k++)
            {
                const double d = 255 * (col.at<double>(k, i) - col.at<double>(k, j));
                dc2 += d * d;
            }
            const double sb = p.params.bilateralSxy, sr = p.params.bilateralSrgb, ss = p.params.spatialSxy;
            kb.at<double>(i, j) = std::exp(-(dx * dx + dy * dy) / (2 * sb * sb) - dc2 / (2 * sr * sr));
            ks.at<double>(i, j) = (std::abs(Xi - Xj) <= rx && std::abs(Yi - Yj) <= ry)
                                  ? std::exp(-(dx * dx + dy * dy) / (2 * ss * ss)) : 0.0;
        }
    // Mean field.
    Mat z = Uc.clone();
    for (int t = 0; t < p.params.iterations; t++)
    {
        Mat Q(K, Nc, CV_64F);
        for (int i = 0; i < Nc; i++)
        {
            double mx = -1e300, sum = 0;
            for (int l = 0; l < K; l++)
                mx = std::max(mx, z.at<double>(l, i));
            for (int l = 0; l < K; l++)
                sum += Q.at<double>(l, i) = std::exp(z.at<double>(l, i) - mx);
            for (int l = 0; l < K; l++)
                Q.at<double>(l, i) /= sum;
        }
        for (int i = 0; i < Nc; i++)
        {
            double zb = 0, zs = 0;
            for (int j = 0; j < Nc; j++)
                zb += kb.at<double>(i, j), zs += ks.at<double>(i, j);
            std::vector<double> a(K, 0.0);
            for (int l2 = 0; l2 < K; l2++)
            {
                double mb = 0, ms = 0;
                for (int j = 0; j < Nc; j++)
                    if (j != i)
                        mb += kb.at<double>(i, j) * Q.at<double>(l2, j), ms += ks.at<double>(i, j) * Q.at<double>(l2, j);
                a[l2] = w.bilateral.at<double>(l2) * mb / zb + w.spatial.at<double>(l2) * ms / zs;
            }
            for (int l = 0; l < K; l++)
            {
                double pair = 0;
                for (int l2 = 0; l2 < K; l2++)
                    pair += w.compat.at<double>(l, l2) * a[l2];
                z.at<double>(l, i) = Uc.at<double>(l, i) - pair;
            }
        }
    }
    if (f == 1)
        return z;
    // out = U + bilinear(z - Uc).
    Mat out = p.U.clone();
    for (int l = 0; l < K; l++)
    {
        Mat d = Mat(z.row(l) - Uc.row(l)).reshape(1, coarse.height), up;
        resize(d, up, fine, 0, 0, INTER_LINEAR);
        out.row(l) += up.reshape(1, 1);
    }
    return out;
}

TEST(Escrf_CrfRnn, forward_matches_literal_mean_field)
{
    for (int factor : { 1, 2, 3 })
        for (int T : { 1, 3 })
        {
            SCOPED_TRACE(cv::format("factor %d T %d", factor, T));
            CrfProblem p = makeProblem(factor, T, 3, CV_64F, 10 + factor * 7 + T);
            CrfRnnGuide guide(p.params, p.colour, p.grid, p.image, CV_64F);
            Mat out;
            crfRnnForward(p.params, p.weights, guide, p.U, out);
            const Mat expected = referenceForward(p, p.weights);
            EXPECT_LT(norm(out, expected, NORM_INF), 1e-10 * std::max(1.0, norm(expected, NORM_INF)));
            EXPECT_GT(norm(out, p.U, NORM_INF), 1e-3) << "the messages must change the scores";
        }
}

// ---------------------------------------------------------------- gradients

double loss(const CrfProblem& p, const CrfRnnGuide& guide, const CrfRnnWeights& w, const Mat& U)
{
    Mat out;
    crfRnnForward(p.params, w, guide, U, out);
    return out.dot(p.dOut);
}

void checkTensor(const char* name, const CrfProblem& p, const CrfRnnGuide& guide, CrfRnnWeights& w, Mat& U,
                 Mat& param, const Mat& analytic, double h, double tol)
{
    ASSERT_EQ(param.size(), analytic.size()) << name;
    Mat numeric(param.size(), CV_64F);
    for (int r = 0; r < param.rows; r++)
        for (int c = 0; c < param.cols; c++)
        {
            double& x = param.at<double>(r, c);
            const double x0 = x;
            x = x0 + h; const double lp = loss(p, guide, w, U);
            x = x0 - h; const double lm = loss(p, guide, w, U);
            x = x0;
            numeric.at<double>(r, c) = (lp - lm) / (2 * h);
        }
    const double scale = std::max(norm(numeric, NORM_INF), 1e-3);
    const double err = norm(numeric, analytic, NORM_INF) / scale;
    EXPECT_LT(err, tol) << name << ": max |analytic - numeric| / max |numeric| = " << err << " (max |numeric| = "
                        << scale << ")";
}

void gradCheck(int factor, int T, uint64 seed, int K = 3)
{
    SCOPED_TRACE(cv::format("factor %d T %d seed %d", factor, T, (int)seed));
    CrfProblem p = makeProblem(factor, T, K, CV_64F, seed);
    CrfRnnGuide guide(p.params, p.colour, p.grid, p.image, CV_64F);
    ASSERT_TRUE(guide.exactAdjoint());
    CrfRnnCache cache;
    Mat out, dU;
    crfRnnForward(p.params, p.weights, guide, p.U, out, &cache);
    CrfRnnWeights g = p.weights.zerosLike();
    crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, g);

    CrfRnnWeights w = p.weights;
    Mat U = p.U.clone();
    const double h = 1e-6, tol = 1e-6;
    checkTensor("dU", p, guide, w, U, U, dU, h, tol);
    checkTensor("d bilateral", p, guide, w, U, w.bilateral, g.bilateral, h, tol);
    checkTensor("d spatial", p, guide, w, U, w.spatial, g.spatial, h, tol);
    checkTensor("d compat", p, guide, w, U, w.compat, g.compat, h, tol);
}

TEST(Escrf_CrfRnn, gradients_full_resolution)
{
    gradCheck(1, 1, 1);
    gradCheck(1, 3, 2);
    gradCheck(1, 5, 3, 4);
}

TEST(Escrf_CrfRnn, gradients_reduced_resolution)
{
    gradCheck(2, 2, 4);   // 9x7 -> 5x4, partial blocks
    gradCheck(3, 3, 5);
}

TEST(Escrf_CrfRnn, backward_adds_to_grads)
{
    CrfProblem p = makeProblem(1, 2, 3, CV_64F, 8);
    CrfRnnGuide guide(p.params, p.colour, p.grid, p.image, CV_64F);
    CrfRnnCache cache;
    Mat out, dU;
    crfRnnForward(p.params, p.weights, guide, p.U, out, &cache);
    CrfRnnWeights once = p.weights.zerosLike(), twice = p.weights.zerosLike();
    crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, once);
    crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, twice);
    crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, twice);
    EXPECT_LT(norm(twice.compat, 2 * once.compat, NORM_INF), 1e-12 * (1 + norm(once.compat, NORM_INF)));
    EXPECT_LT(norm(twice.bilateral, 2 * once.bilateral, NORM_INF), 1e-12 * (1 + norm(once.bilateral, NORM_INF)));
}

// Float: directional central differences (h = 2e-2 and 1e-2, extrapolated) along random directions
// of U and of each weight, on a 40 x 30 map with the default T = 5; float rounding allows about
// 1e-3. With the lattice this checks its adjoint filter (the backward pass's exact transpose).
void floatGradCheck(bool exactBilateral)
{
    RNG rng(12);
    const Size grid(40, 30);
    const int K = 4;
    CrfRnnParams params;
    params.bilateralSxy = 10.f;
    params.bilateralSrgb = 10.f;
    params.exactBilateral = exactBilateral;
    const CrfRnnGuide guide(params, smoothColour(grid, rng), grid, grid);
    ASSERT_TRUE(guide.exactAdjoint());
    const CrfRnnWeights w = CrfRnnWeights::create(K);
    Mat U(K, grid.area(), CV_32F), dOut(K, grid.area(), CV_32F), out, dU;
    rng.fill(U, RNG::NORMAL, 0, 2);
    rng.fill(dOut, RNG::NORMAL, 0, 1);
    CrfRnnCache cache;
    crfRnnForward(params, w, guide, U, out, &cache);
    CrfRnnWeights g = w.zerosLike();
    crfRnnBackward(params, w, guide, cache, dOut, dU, g);

    auto lossAt = [&](const Mat& u, const CrfRnnWeights& ww) {
        Mat o;
        crfRnnForward(params, ww, guide, u, o);
        return o.dot(dOut);
    };
    const double h = 2e-2;
    // The tensors: U, then the three weights; each perturbed along random directions.
    for (int which = 0; which < 4; which++)
        for (int rep = 0; rep < 3; rep++)
        {
            const Mat& base = which == 0 ? U : which == 1 ? w.bilateral : which == 2 ? w.spatial : w.compat;
            const Mat& grad = which == 0 ? dU : which == 1 ? g.bilateral : which == 2 ? g.spatial : g.compat;
            Mat dir(base.size(), CV_32F);
            rng.fill(dir, RNG::NORMAL, 0, 1);
            CrfRnnWeights wp = w, wm = w;
            Mat up = U, um = U;
            Mat& tp = which == 0 ? up : which == 1 ? wp.bilateral : which == 2 ? wp.spatial : wp.compat;
            Mat& tm = which == 0 ? um : which == 1 ? wm.bilateral : which == 2 ? wm.spatial : wm.compat;
            // Central differences at h and h / 2, Richardson-extrapolated: the h^2 truncation error
            // cancels (the compatibility's curvature makes it 0.2% at h = 1e-2, more than the check
            // allows, while the extrapolation agrees with the analytic gradient to 1e-4).
            auto central = [&](double step) {
                // New buffers (assigning an expression would write into the data the copies share).
                tp = Mat(base + step * dir);
                tm = Mat(base - step * dir);
                return (lossAt(up, wp) - lossAt(um, wm)) / (2 * step);
            };
            const double numeric = (4 * central(h / 2) - central(h)) / 3, analytic = grad.dot(dir);
            EXPECT_NEAR(analytic, numeric, 2e-3 * std::max(std::abs(numeric), 10.0))
                << "tensor " << which << " (0 U, 1 bilateral, 2 spatial, 3 compat), direction " << rep;
        }
}

TEST(Escrf_CrfRnn, float_gradients_exact_bilateral)
{
    floatGradCheck(true);
}

TEST(Escrf_CrfRnn, float_gradients_lattice)
{
    floatGradCheck(false);
}

// ---------------------------------------------------------------- identity, initialisation

TEST(Escrf_CrfRnn, zero_iterations_is_identity)
{
    for (int factor : { 1, 2 })
    {
        CrfProblem p = makeProblem(factor, 0, 3, CV_64F, 20 + factor);
        CrfRnnGuide guide(p.params, p.colour, p.grid, p.image, CV_64F);
        CrfRnnCache cache;
        Mat out, dU;
        crfRnnForward(p.params, p.weights, guide, p.U, out, &cache);
        EXPECT_EQ(norm(out, p.U, NORM_INF), 0.0);
        CrfRnnWeights g = p.weights.zerosLike();
        crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, g);
        EXPECT_EQ(norm(dU, p.dOut, NORM_INF), 0.0);
        EXPECT_EQ(norm(g.compat, NORM_INF) + norm(g.bilateral, NORM_INF) + norm(g.spatial, NORM_INF), 0.0);
    }
}

TEST(Escrf_CrfRnn, init_is_potts_with_densecrf_weights)
{
    const cv::escrf::DenseCrfParams dense;
    const CrfRnnWeights w = CrfRnnWeights::create(4);
    ASSERT_EQ(w.compat.size(), Size(4, 4));
    ASSERT_EQ(w.bilateral.size(), Size(4, 1));
    for (int l = 0; l < 4; l++)
    {
        EXPECT_EQ(w.bilateral.at<float>(l), dense.bilateralWeight);
        EXPECT_EQ(w.spatial.at<float>(l), dense.gaussianWeight);
        for (int m = 0; m < 4; m++)
            EXPECT_EQ(w.compat.at<float>(l, m), l == m ? 0.f : 1.f);
    }
    EXPECT_EQ(CrfRnnWeights::create(2, CV_64F).compat.type(), CV_64F);
}

// ---------------------------------------------------------------- the lattice path

//! Softmax over the K rows of each column.
Mat softmaxColumns(const Mat& z)
{
    Mat q(z.size(), CV_32F);
    for (int i = 0; i < z.cols; i++)
    {
        double mx = -1e30, s = 0;
        for (int k = 0; k < z.rows; k++)
            mx = std::max(mx, (double)z.at<float>(k, i));
        for (int k = 0; k < z.rows; k++)
            s += std::exp(z.at<float>(k, i) - mx);
        for (int k = 0; k < z.rows; k++)
            q.at<float>(k, i) = (float)(std::exp(z.at<float>(k, i) - mx) / s);
    }
    return q;
}

// At its initialisation and full resolution the stage is the module's DenseCRF on the softmax of
// the scores: the same model (Potts, normalised kernels, the pixel left out of its message),
// the same bilateral lattice; only the spatial kernel differs (exact here, the lattice there).
TEST(Escrf_CrfRnn, lattice_init_agrees_with_densecrf)
{
    RNG rng(5);
    const Size size(40, 30);
    const int K = 4;
    Mat bgr(size, CV_8UC3);
    rng.fill(bgr, RNG::UNIFORM, 0, 256);
    GaussianBlur(bgr, bgr, Size(0, 0), 2.5);
    Mat colour;   // B, G, R planes in [0, 1]: the denseCrf feature order
    Mat(bgr.reshape(1, size.area()).t()).convertTo(colour, CV_32F, 1 / 255.0);

    cv::escrf::DenseCrfParams dense;
    dense.bilateralSxy = 10.f;
    dense.bilateralSrgb = 10.f;
    dense.iterations = 5;
    CrfRnnParams params;
    params.bilateralSxy = dense.bilateralSxy;
    params.bilateralSrgb = dense.bilateralSrgb;
    params.spatialSxy = dense.gaussianSxy;
    params.iterations = dense.iterations;

    Mat U(K, size.area(), CV_32F);
    rng.fill(U, RNG::NORMAL, 0, 1.5);
    const Mat P = softmaxColumns(U);
    int sz[] = { K, size.height, size.width };
    Mat refined;
    cv::escrf::denseCrf(bgr, Mat(3, sz, CV_32F, P.data), refined, dense);

    CrfRnnGuide guide(params, colour, size, size);
    EXPECT_TRUE(guide.exactAdjoint());
    Mat out;
    crfRnnForward(params, CrfRnnWeights::create(K), guide, U, out);
    const Mat Q = softmaxColumns(out), Qd = refined.reshape(1, K);
    EXPECT_GT(norm(Q, P, NORM_INF), 0.2) << "the CRF must change the marginals noticeably";
    // Measured: mean 0.002, max 0.034 (the spatial kernel's lattice approximation in denseCrf).
    EXPECT_LT(norm(Q, Qd, NORM_L1) / Q.total(), 0.005);
    EXPECT_LT(norm(Q, Qd, NORM_INF), 0.1);
}

TEST(Escrf_CrfRnn, lattice_forward_close_to_exact)
{
    CrfProblem p = makeProblem(1, 3, 3, CV_32F, 31, Size(30, 24), Size(30, 24));
    p.params.bilateralSxy = 8.f;
    CrfRnnParams exact = p.params;
    exact.exactBilateral = true;
    CrfRnnGuide lattice(p.params, p.colour, p.grid, p.image), brute(exact, p.colour, p.grid, p.image);
    Mat a, b;
    crfRnnForward(p.params, p.weights, lattice, p.U, a);
    crfRnnForward(exact, p.weights, brute, p.U, b);
    const Mat Qa = softmaxColumns(a), Qb = softmaxColumns(b);
    EXPECT_LT(norm(Qa, Qb, NORM_L1) / Qa.total(), 0.02);
}

// <G a, b> = <a, G^T b> for the lattice filter and its adjoint, on a sparse 5-D lattice where
// the filter itself is not symmetric (|L - L^T| / |L| is 0.15 to 0.21 there, doc/variants.md),
// repeatedly on the same filter (its vertex buffer is reused) and with another channel count.
TEST(Escrf_CrfRnn, lattice_filter_adjoint_is_its_transpose)
{
    RNG rng(41);
    const Size grid(15, 12);
    Mat features(grid.area(), 5, CV_32F);
    rng.fill(features, RNG::UNIFORM, 0, 4);
    const std::unique_ptr<GaussianFilter> f = makeLatticeGaussianFilter(features);
    ASSERT_TRUE(f->exactAdjoint());
    for (int C : { 3, 7, 3 })
    {
        Mat a(grid.area(), C, CV_32F), b(grid.area(), C, CV_32F), Ga, GTb, Gb;
        rng.fill(a, RNG::UNIFORM, -1, 1);
        rng.fill(b, RNG::UNIFORM, -1, 1);
        f->apply(a, Ga);
        f->applyAdjoint(b, GTb);
        f->apply(b, Gb);
        // Float rounding of the filter and of the dot products scales with |Ga| |b| (the sum of
        // the terms' magnitudes), not with <Ga, b>, which cancels to a small number here; a
        // tolerance relative to the dot itself depended on how OpenCV's build sums Mat::dot.
        const double lhs = Ga.dot(b), rhs = a.dot(GTb), scale = norm(Ga) * norm(b);
        EXPECT_NEAR(lhs, rhs, 1e-6 * scale) << C << " channels";
        // The forward filter alone is not the transpose: the test can tell them apart.
        EXPECT_GT(std::abs(lhs - a.dot(Gb)), 1e-3 * scale) << C << " channels";
    }
}

TEST(Escrf_CrfRnn, grid_filter_is_the_truncated_gaussian)
{
    const Size grid(11, 8);
    const double sx = 1.3, sy = 0.7;
    RNG rng(9);
    Mat in(grid.area(), 3, CV_64F), out;
    rng.fill(in, RNG::NORMAL, 0, 1);
    makeGridGaussianFilter(grid, sx, sy, CV_64F)->apply(in, out);
    const int rx = (int)std::ceil(4 * sx), ry = (int)std::ceil(4 * sy);
    double err = 0;
    for (int i = 0; i < grid.area(); i++)
        for (int c = 0; c < 3; c++)
        {
            double s = 0;
            for (int j = 0; j < grid.area(); j++)
            {
                const int dx = i % grid.width - j % grid.width, dy = i / grid.width - j / grid.width;
                if (std::abs(dx) <= rx && std::abs(dy) <= ry)
                    s += std::exp(-0.5 * (dx * dx / (sx * sx) + dy * dy / (sy * sy))) * in.at<double>(j, c);
            }
            err = std::max(err, std::abs(s - out.at<double>(i, c)));
        }
    EXPECT_LT(err, 1e-12);
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

TEST(Escrf_CrfRnn, bad_inputs)
{
    CrfProblem p = makeProblem(1, 2, 3, CV_32F, 40);
    const CrfRnnGuide guide(p.params, p.colour, p.grid, p.image);
    Mat out, dU;
    CrfRnnCache cache;
    crfRnnForward(p.params, p.weights, guide, p.U, out, &cache);

    CrfRnnParams bad = p.params;
    bad.iterations = -1;
    expectError([&] { crfRnnForward(bad, p.weights, guide, p.U, out); }, "params.iterations");
    bad = p.params; bad.factor = 0;
    expectError([&] { CrfRnnGuide g(bad, p.colour, p.grid, p.image); }, "params.factor");
    bad = p.params; bad.factor = 2;
    expectError([&] { crfRnnForward(bad, p.weights, guide, p.U, out); }, "params.factor");
    bad = p.params; bad.bilateralSrgb = std::numeric_limits<float>::quiet_NaN();
    expectError([&] { CrfRnnGuide g(bad, p.colour, p.grid, p.image); }, "params.bilateralSrgb");
    bad = p.params; bad.spatialSxy = 0;
    expectError([&] { CrfRnnGuide g(bad, p.colour, p.grid, p.image); }, "params.spatialSxy");

    expectError([&] { CrfRnnGuide g(p.params, p.colour.rowRange(0, 2), p.grid, p.image); }, "colour");
    expectError([&] { CrfRnnGuide g(p.params, p.colour, Size(0, 7), p.image); }, "grid");
    expectError([&] { CrfRnnGuide g(p.params, p.colour, p.grid, Size()); }, "imageSize");
    expectError([&] { CrfRnnGuide g(p.params, p.colour, p.grid, p.image, CV_64F); }, "exactBilateral");

    expectError([&] { crfRnnForward(p.params, p.weights, guide, p.U.colRange(0, 10).clone(), out); }, "U is");
    Mat U64;
    p.U.convertTo(U64, CV_64F);
    expectError([&] { crfRnnForward(p.params, p.weights, guide, U64, out); }, "U is");
    CrfRnnWeights w = p.weights;
    w.compat = Mat::zeros(3, 2, CV_32F);
    expectError([&] { crfRnnForward(p.params, w, guide, p.U, out); }, "weights.compat");
    w = p.weights;
    w.bilateral = Mat::zeros(1, 4, CV_32F);
    expectError([&] { crfRnnForward(p.params, w, guide, p.U, out); }, "weights.bilateral");

    CrfRnnWeights g = p.weights.zerosLike();
    g.spatial.release();
    expectError([&] { crfRnnBackward(p.params, p.weights, guide, cache, p.dOut, dU, g); }, "grads.spatial");
    g = p.weights.zerosLike();
    expectError([&] { crfRnnBackward(p.params, p.weights, guide, CrfRnnCache(), p.dOut, dU, g); }, "cache");
    bad = p.params; bad.iterations = 3;
    expectError([&] { crfRnnBackward(bad, p.weights, guide, cache, p.dOut, dU, g); }, "cache");
    expectError([&] { crfRnnBackward(p.params, p.weights, guide, cache, p.dOut.rowRange(0, 2).clone(), dU, g); },
                "dOut has 2 classes");
    expectError([&] { crfRnnBackward(p.params, p.weights, guide, cache, p.dOut.colRange(0, 5).clone(), dU, g); },
                "dOut");
}

}} // namespace
