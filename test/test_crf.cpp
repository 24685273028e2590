// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "crf/permutohedral_lattice.hpp"

#include <cmath>
#include <limits>
#include <map>

namespace opencv_test { namespace {

using cv::escrf::DenseCrfParams;
using cv::escrf::detail::PermutohedralLattice;

//! sum_j exp(-|f_i - f_j|^2 / 2) v_j, the O(N^2) filter the lattice approximates (double precision).
Mat bruteGaussian(const Mat& f, const Mat& v)
{
    Mat out(v.rows, v.cols, CV_64F, Scalar(0));
    for (int i = 0; i < f.rows; i++)
        for (int j = 0; j < f.rows; j++)
        {
            double d2 = 0;
            for (int c = 0; c < f.cols; c++)
            {
                const double t = f.at<float>(i, c) - f.at<float>(j, c);
                d2 += t * t;
            }
            const double k = std::exp(-0.5 * d2);
            for (int c = 0; c < v.cols; c++)
                out.at<double>(i, c) += k * v.at<float>(j, c);
        }
    return out;
}

//! Features (x / sxy, y / sxy [, B, G, R / srgb]) of an image, one row per pixel.
Mat pixelFeatures(const Mat& image, float sxy, float srgb)
{
    const int d = srgb > 0 ? 5 : 2;
    Mat f(image.rows * image.cols, d, CV_32F);
    for (int y = 0; y < image.rows; y++)
        for (int x = 0; x < image.cols; x++)
        {
            float* r = f.ptr<float>(y * image.cols + x);
            r[0] = x / sxy, r[1] = y / sxy;
            for (int c = 0; d == 5 && c < 3; c++)
                r[2 + c] = image.at<Vec3b>(y, x)[c] / srgb;
        }
    return f;
}

//! A smooth random colour image (blurred noise), so that the lattice has neighbours around every pixel.
Mat smoothImage(Size size, uint64 seed)
{
    RNG rng(seed);
    Mat img(size, CV_8UC3);
    rng.fill(img, RNG::UNIFORM, 0, 256);
    GaussianBlur(img, img, Size(5, 5), 1.5);
    return img;
}

//! Random K x H x W probabilities (softmax of uniform logits in [-2, 2]).
Mat randomProbabilities(int K, Size size, uint64 seed)
{
    RNG rng(seed);
    int sz[] = { K, size.height, size.width };
    Mat p(3, sz, CV_32F);
    Mat planar = p.reshape(1, K);
    rng.fill(planar, RNG::UNIFORM, -2, 2);
    for (int i = 0; i < planar.cols; i++)
    {
        double s = 0;
        for (int k = 0; k < K; k++)
            s += (planar.at<float>(k, i) = std::exp(planar.at<float>(k, i)));
        for (int k = 0; k < K; k++)
            planar.at<float>(k, i) = (float)(planar.at<float>(k, i) / s);
    }
    return p;
}

/** Exact DenseCRF mean field as crf.hpp defines it: normalised Gaussian kernels with the pixel
 * left out of its own message, Potts compatibility; O(N^2), double precision. */
Mat bruteDenseCrf(const Mat& image, const Mat& prob, const DenseCrfParams& p, bool leaveSelfOut = true)
{
    const int K = prob.size[0], N = image.rows * image.cols;
    const Mat P = prob.reshape(1, K);
    Mat negU(N, K, CV_64F), Q(N, K, CV_64F);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++)
            negU.at<double>(i, k) = std::log(std::min(1.f, std::max(p.probabilityFloor, P.at<float>(k, i))));
    auto softmax = [&](const Mat& x, Mat& q) {
        for (int i = 0; i < x.rows; i++)
        {
            double mx = -1e300, s = 0;
            for (int k = 0; k < K; k++) mx = std::max(mx, x.at<double>(i, k));
            for (int k = 0; k < K; k++) s += (q.at<double>(i, k) = std::exp(x.at<double>(i, k) - mx));
            for (int k = 0; k < K; k++) q.at<double>(i, k) /= s;
        }
    };
    softmax(negU, Q);
    struct Kern { Mat f; double w; };
    std::vector<Kern> kernels = { { pixelFeatures(image, p.bilateralSxy, p.bilateralSrgb), p.bilateralWeight },
                                  { pixelFeatures(image, p.gaussianSxy, 0), p.gaussianWeight } };
    for (int it = 0; it < p.iterations; it++)
    {
        Mat acc = negU.clone();
        for (const Kern& kern : kernels)
        {
            Mat Qf;
            Q.convertTo(Qf, CV_32F);
            Mat ones(N, 1, CV_32F, Scalar(1));
            const Mat S = bruteGaussian(kern.f, Qf), Z = bruteGaussian(kern.f, ones);
            for (int i = 0; i < N; i++)
            {
                std::vector<double> m(K);
                double total = 0;
                for (int k = 0; k < K; k++)
                    total += (m[k] = (S.at<double>(i, k) - (leaveSelfOut ? Q.at<double>(i, k) : 0.0)) / Z.at<double>(i));
                for (int k = 0; k < K; k++)
                    acc.at<double>(i, k) -= kern.w * (total - m[k]);
            }
        }
        softmax(acc, Q);
    }
    Mat out;
    transpose(Q, out);  // K x N
    out.convertTo(out, CV_32F);
    int sz[] = { K, image.rows, image.cols };
    return out.reshape(1, 3, sz).clone();
}

/** The permutohedral lattice written the plain way, in double precision: the simplex of each
 * point found as in Adams et al. (2010) (ranks recomputed by sorting after the rounding is fixed),
 * vertices in a std::map, splatting by scattering, the blur with a second buffer and map look-ups
 * of both neighbours, slicing. It defines what PermutohedralLattice computes (the module's
 * packed keys, radix sort, in-place chain blur and SIMD rows must not change the result). */
struct PlainLattice
{
    explicit PlainLattice(const Mat& f) : d(f.cols), n(f.rows), corner(n), weight(n)
    {
        const int d1 = d + 1;
        std::vector<double> scale(d);
        for (int i = 0; i < d; i++)
            scale[i] = std::sqrt(2.0 / 3.0) * d1 / std::sqrt((i + 1.0) * (i + 2.0));
        for (int p = 0; p < n; p++)
        {
            // Elevation onto sum(x) = 0: x_j = sum_{t >= j} c_t - j c_{j-1}, c_t = f_t scale_t.
            std::vector<double> x(d1, 0.0);
            for (int j = 0; j <= d; j++)
            {
                for (int t = j; t < d; t++)
                    x[j] += f.at<float>(p, t) * scale[t];
                if (j > 0)
                    x[j] -= j * f.at<float>(p, j - 1) * scale[j - 1];
            }
            // Nearest multiple of d+1 per coordinate; then the coordinates rounded up the most
            // (or down the most) move by d+1 until the coordinates sum to 0.
            std::vector<int> rem0(d1);
            int sum = 0;
            for (int i = 0; i <= d; i++)
            {
                const double down = std::floor(x[i] / d1) * d1;
                rem0[i] = (int)(down + d1 - x[i] < x[i] - down ? down + d1 : down);
                sum += rem0[i] / d1;
            }
            std::vector<int> order = byOffset(x, rem0);  // largest offset first
            for (int s = 0; s < sum; s++)
                rem0[order[d - s]] -= d1;
            for (int s = 0; s < -sum; s++)
                rem0[order[s]] += d1;
            order = byOffset(x, rem0);
            std::vector<int> rank(d1);
            for (int r = 0; r <= d; r++)
                rank[order[r]] = r;
            std::vector<double> b(d + 2, 0.0);
            for (int i = 0; i <= d; i++)
            {
                b[d - rank[i]] += (x[i] - rem0[i]) / d1;
                b[d1 - rank[i]] -= (x[i] - rem0[i]) / d1;
            }
            b[0] += 1.0 + b[d1];
            for (int k = 0; k <= d; k++)
            {
                std::vector<int> key(d);
                for (int i = 0; i < d; i++)
                    key[i] = rem0[i] + (rank[i] <= d - k ? k : k - d1);
                corner[p].push_back(vertex.emplace(key, (int)vertex.size()).first->second);
                weight[p].push_back(b[k]);
            }
        }
    }

    //! Coordinate indices by decreasing offset x - rem0 (ties: lower index first).
    static std::vector<int> byOffset(const std::vector<double>& x, const std::vector<int>& rem0)
    {
        std::vector<int> order(x.size());
        for (size_t i = 0; i < x.size(); i++)
            order[i] = (int)i;
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return x[a] - rem0[a] > x[b] - rem0[b]; });
        return order;
    }

    //! out = slice(blur(splat(in))), N x C doubles; reverse blurs the directions in reverse order.
    Mat filter(const Mat& in, bool reverse = false) const
    {
        const int C = in.cols, m = (int)vertex.size();
        Mat values(m, C, CV_64F, Scalar(0));
        for (int p = 0; p < n; p++)
            for (int k = 0; k <= d; k++)
                for (int c = 0; c < C; c++)
                    values.at<double>(corner[p][k], c) += weight[p][k] * in.at<float>(p, c);
        for (int step = 0; step <= d; step++)
        {
            const int j = reverse ? d - step : step;
            Mat blurred = values.clone();
            for (const auto& kv : vertex)
                for (int sign : { 1, -1 })
                {
                    std::vector<int> nb = kv.first;
                    for (int i = 0; i < d; i++)
                        nb[i] += sign * (i == j ? d : -1);
                    const auto it = vertex.find(nb);
                    if (it != vertex.end())
                        blurred.row(kv.second) += 0.5 * values.row(it->second);
                }
            values = blurred;
        }
        const double alpha = 1.0 / (1.0 + std::pow(2.0, -d));
        Mat out(n, C, CV_64F, Scalar(0));
        for (int p = 0; p < n; p++)
            for (int k = 0; k <= d; k++)
                out.row(p) += alpha * weight[p][k] * values.row(corner[p][k]);
        return out;
    }

    //! The closed-form self weight of point p (doc/vanilla_crf.md).
    double selfWeight(int p) const
    {
        const double alpha = 1.0 / (1.0 + std::pow(2.0, -d));
        double w = 0;
        for (int a = 0; a <= d; a++)
            for (int c = 0; c <= d; c++)
            {
                const int s = std::abs(a - c);
                w += weight[p][a] * weight[p][c] * alpha * (s == 0 ? 1.0 + std::pow(2.0, -d)
                                                                   : std::pow(2.0, -s) + std::pow(2.0, -(d + 1 - s)));
            }
        return w;
    }

    int d, n;
    std::map<std::vector<int>, int> vertex;
    std::vector<std::vector<int>> corner;
    std::vector<std::vector<double>> weight;
};

/** DenseCRF as crf.hpp defines it, on PlainLattice, in double precision: what cv::escrf::denseCrf
 * must reproduce to float rounding. */
Mat plainDenseCrf(const Mat& image, const Mat& prob, const DenseCrfParams& p)
{
    const int K = prob.size[0], N = image.rows * image.cols;
    const Mat P = prob.reshape(1, K);
    Mat negU(N, K, CV_64F), Q(N, K, CV_64F);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++)
            negU.at<double>(i, k) = std::log(std::min(1.f, std::max(p.probabilityFloor, P.at<float>(k, i))));
    auto softmax = [&](const Mat& x, Mat& q) {
        for (int i = 0; i < N; i++)
        {
            double mx = -1e300, s = 0;
            for (int k = 0; k < K; k++) mx = std::max(mx, x.at<double>(i, k));
            for (int k = 0; k < K; k++) s += (q.at<double>(i, k) = std::exp(x.at<double>(i, k) - mx));
            for (int k = 0; k < K; k++) q.at<double>(i, k) /= s;
        }
    };
    softmax(negU, Q);
    struct Kern { PlainLattice lattice; double w; Mat z; };
    std::vector<Kern> kernels;
    if (p.iterations > 0 && p.bilateralWeight > 0)
        kernels.push_back({ PlainLattice(pixelFeatures(image, p.bilateralSxy, p.bilateralSrgb)), p.bilateralWeight, Mat() });
    if (p.iterations > 0 && p.gaussianWeight > 0)
        kernels.push_back({ PlainLattice(pixelFeatures(image, p.gaussianSxy, 0)), p.gaussianWeight, Mat() });
    for (Kern& kern : kernels)
        kern.z = kern.lattice.filter(Mat(N, 1, CV_32F, Scalar(1)));
    for (int it = 0; it < p.iterations; it++)
    {
        Mat acc = negU.clone(), Qf;
        Q.convertTo(Qf, CV_32F);
        for (const Kern& kern : kernels)
        {
            const Mat S = kern.lattice.filter(Qf);
            for (int i = 0; i < N; i++)
            {
                std::vector<double> m(K);
                double total = 0;
                for (int k = 0; k < K; k++)
                    total += (m[k] = std::max(0.0, (S.at<double>(i, k) - kern.lattice.selfWeight(i) * Q.at<double>(i, k))
                                                       / kern.z.at<double>(i)));
                for (int k = 0; k < K; k++)
                    acc.at<double>(i, k) -= kern.w * (total - m[k]);
            }
        }
        softmax(acc, Q);
    }
    Mat out;
    transpose(Q, out);
    out.convertTo(out, CV_32F);
    int sz[] = { K, image.rows, image.cols };
    return out.reshape(1, 3, sz).clone();
}

//! Random features in [0, range) per column, N x d.
Mat randomFeatures(int n, int d, float range, uint64 seed)
{
    RNG rng(seed);
    Mat f(n, d, CV_32F);
    rng.fill(f, RNG::UNIFORM, 0, range);
    return f;
}

//! max |a - b| / max(max |b|, 1e-30), a float, b double.
double relativeError(const Mat& a, const Mat& b)
{
    Mat a64;
    a.convertTo(a64, CV_64F);
    return cv::norm(a64, b, NORM_INF) / std::max(cv::norm(b, NORM_INF), 1e-30);
}

/** Normalised filter (out_i / z_i with z the filter of ones) of the lattice against the exact
 * Gaussian: max and root-mean-square absolute differences. */
static void normalisedError(const Mat& f, const Mat& values, double featureScale, double& maxErr, double& rms)
{
    const PermutohedralLattice lattice(f);
    Mat ones(values.rows, 1, CV_32F, Scalar(1)), out, z;
    lattice.filter(values, out);
    lattice.filter(ones, z);
    const Mat fs = f * featureScale;
    const Mat ref = bruteGaussian(fs, values), refZ = bruteGaussian(fs, ones);
    maxErr = 0, rms = 0;
    for (int i = 0; i < values.rows; i++)
        for (int k = 0; k < values.cols; k++)
        {
            const double e = out.at<float>(i, k) / z.at<float>(i) - ref.at<double>(i, k) / refZ.at<double>(i);
            maxErr = std::max(maxErr, std::abs(e));
            rms += e * e;
        }
    rms = std::sqrt(rms / (double)values.total());
}

TEST(Escrf_Crf, lattice_filter_matches_bruteforce_gaussian)
{
    // A smooth 14 x 11 image; values uniform in [0, 1] (standard deviation 0.29). The lattice
    // replaces the Gaussian by linear splatting, a [1/2 1 1/2] blur per lattice direction and
    // linear slicing, so the normalised result is only close: measured rms 0.011 (5-D) and 0.005
    // (2-D), max 0.05 and 0.021; the bounds leave a margin of about 1.6x over these.
    const Mat image = smoothImage(Size(14, 11), 7);
    RNG rng(3);
    Mat values(image.rows * image.cols, 3, CV_32F);
    rng.fill(values, RNG::UNIFORM, 0, 1);
    struct Case { float sxy, srgb; double maxTol, rmsTol; };
    const Case cases[] = { { 3.f, 20.f, 0.08, 0.02 },   // bilateral, 5-D
                           { 2.f, 0.f, 0.04, 0.01 } };  // spatial, 2-D
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("sxy %g srgb %g", c.sxy, c.srgb));
        const Mat f = pixelFeatures(image, c.sxy, c.srgb);
        double maxErr, rms;
        normalisedError(f, values, 1.0, maxErr, rms);
        EXPECT_LT(maxErr, c.maxTol);
        EXPECT_LT(rms, c.rmsTol);
        // The kernel has the right width: a Gaussian 30% narrower or 40% wider fits worse.
        double maxNarrow, rmsNarrow, maxWide, rmsWide;
        normalisedError(f, values, 1.0 / 0.7, maxNarrow, rmsNarrow);
        normalisedError(f, values, 1.0 / 1.4, maxWide, rmsWide);
        EXPECT_GT(rmsNarrow, 1.3 * rms);
        EXPECT_GT(rmsWide, 1.3 * rms);
    }
}

TEST(Escrf_Crf, lattice_filter_of_a_constant_is_constant_after_normalisation)
{
    const Mat image = smoothImage(Size(9, 7), 2);
    const PermutohedralLattice lattice(pixelFeatures(image, 2.f, 10.f));
    Mat values(image.rows * image.cols, 2, CV_32F), ones(values.rows, 1, CV_32F, Scalar(1)), out, z;
    values.col(0).setTo(0.25f);
    values.col(1).setTo(3.f);
    lattice.filter(values, out);
    lattice.filter(ones, z);
    for (int i = 0; i < values.rows; i++)
    {
        EXPECT_GT(z.at<float>(i), 0.f);
        EXPECT_NEAR(out.at<float>(i, 0) / z.at<float>(i), 0.25f, 1e-6);
        EXPECT_NEAR(out.at<float>(i, 1) / z.at<float>(i), 3.f, 1e-5);
    }
}

TEST(Escrf_Crf, lattice_scale_on_dense_1d_points)
{
    // Points every 0.05 on [-10, 10]. In 1-D the lattice vertices are sqrt(3)/2 apart, each
    // receives 20 * sqrt(3)/2 of splatted mass, the two blurs multiply the mass by 4 and the
    // slice scale is alpha = 1 / (1 + 2^-1) = 2/3: sum 20 * 4/sqrt(3), where the Gaussian gives
    // 20 * sqrt(2 pi). The ratio is 4 / sqrt(6 pi) = 0.92132 in the interior.
    Mat f(401, 1, CV_32F);
    for (int i = 0; i < f.rows; i++)
        f.at<float>(i) = -10.f + 0.05f * i;
    const PermutohedralLattice lattice(f);
    Mat ones(f.rows, 1, CV_32F, Scalar(1)), z;
    lattice.filter(ones, z);
    const Mat ref = bruteGaussian(f, ones);
    for (int i : { 150, 200, 260 })
        EXPECT_NEAR(z.at<float>(i) / ref.at<double>(i), 4.0 / std::sqrt(6.0 * CV_PI), 1e-3) << "point " << i;
}

TEST(Escrf_Crf, lattice_self_weight)
{
    // The origin is a lattice vertex: barycentric weights (1, 0, ...), self weight exactly 1.
    for (int d : { 1, 2, 5 })
    {
        const Mat f = Mat::zeros(1, d, CV_32F);
        EXPECT_FLOAT_EQ(PermutohedralLattice(f).selfWeights()[0], 1.f) << "d = " << d;
    }
    // d = 1: vertices sqrt(3)/2 apart, so f = sqrt(3)/4 is half-way, weights (1/2, 1/2). Self
    // weight = 1/4 + 1/4 + 2 * 1/4 * w(1), w(1) = alpha (2^-1 + 2^-1) = 2/3: 5/6.
    const Mat half(1, 1, CV_32F, Scalar(std::sqrt(3.f) / 4));
    EXPECT_NEAR(PermutohedralLattice(half).selfWeights()[0], 5.0 / 6.0, 1e-6);
}

TEST(Escrf_Crf, lattice_filter_matches_the_plain_lattice)
{
    // Same lattice, same operator: the module's build (packed keys, radix sort, merged
    // neighbours, blur lines) and its vectorised rows against PlainLattice, in 1 to 6 dimensions
    // and for channel counts around the SIMD widths (tails, several blocks). Features spread over
    // a few lattice cells, so that vertices have neighbours and some are missing. Measured:
    // relative error at most 3.9e-7 (float against double), self weights equal to 1e-7.
    for (int d : { 1, 2, 3, 5, 6 })
        for (int C : { 1, 3, 4, 11, 12, 17 })
        {
            SCOPED_TRACE(cv::format("d %d C %d", d, C));
            const Mat f = randomFeatures(60, d, 3.f, 100 + d);
            Mat in(f.rows, C, CV_32F), out;
            RNG(C).fill(in, RNG::UNIFORM, -1, 1);
            const PermutohedralLattice lattice(f);
            const PlainLattice plain(f);
            EXPECT_EQ(lattice.numVertices(), (int)plain.vertex.size());
            lattice.filter(in, out);
            EXPECT_LT(relativeError(out, plain.filter(in)), 1e-6);
            for (int p = 0; p < f.rows; p++)
                ASSERT_NEAR(lattice.selfWeights()[p], plain.selfWeight(p), 1e-6) << "point " << p;
        }
}

TEST(Escrf_Crf, lattice_of_wide_keys_matches_the_packed_one)
{
    // Lattice keys are packed into 64 bits when the features' range allows it; a far point makes
    // the 5-D keys too wide (about 20 bits per coordinate) and the lattice falls back to a hash
    // table. The far point's vertices are far from the others', so the other points' outputs
    // must be exactly those of the lattice without it.
    const Mat image = smoothImage(Size(12, 9), 21);
    const Mat f = pixelFeatures(image, 2.f, 10.f);
    Mat far = f.clone();
    far.push_back(Mat(1, 5, CV_32F, Scalar(3e5f)));
    Mat in(far.rows, 5, CV_32F), out, outFar;
    RNG(4).fill(in, RNG::UNIFORM, 0, 1);
    PermutohedralLattice(f).filter(in.rowRange(0, f.rows).clone(), out);
    PermutohedralLattice(far).filter(in, outFar);
    EXPECT_EQ(cv::norm(outFar.rowRange(0, f.rows), out, NORM_INF), 0.);
    const PlainLattice plain(far);
    EXPECT_LT(relativeError(outFar, plain.filter(in)), 1e-6);
}

TEST(Escrf_Crf, lattice_buffers_adjoint_and_threads)
{
    const Mat image = smoothImage(Size(15, 11), 6);
    const PermutohedralLattice lattice(pixelFeatures(image, 3.f, 12.f));
    const int N = lattice.numPoints(), C = 7;
    Mat a(N, C, CV_32F), b(N, C, CV_32F), viaMat;
    RNG(9).fill(a, RNG::UNIFORM, -1, 1);
    RNG(10).fill(b, RNG::UNIFORM, -1, 1);
    lattice.filter(a, viaMat);

    // Caller-owned buffers, and out == in, give what the Mat overload gives.
    std::vector<float> vertices(lattice.vertexBufferSize(C));
    Mat inPlace = a.clone();
    lattice.filter(inPlace.ptr<float>(), inPlace.ptr<float>(), C, vertices.data());
    EXPECT_EQ(cv::norm(inPlace, viaMat, NORM_INF), 0.);

    // The adjoint (blurs in reverse order) is the transpose: <F a, b> = <a, F^T b>.
    Mat Ftb(N, C, CV_32F);
    lattice.filter(b.ptr<float>(), Ftb.ptr<float>(), C, vertices.data(), true);
    const double lhs = viaMat.dot(b), rhs = a.dot(Ftb);
    EXPECT_NEAR(lhs, rhs, 1e-5 * std::abs(lhs)) << lhs << " vs " << rhs;
    const PlainLattice plain(pixelFeatures(image, 3.f, 12.f));
    EXPECT_LT(relativeError(Ftb, plain.filter(b, true)), 1e-6);

    // Every sum has a fixed order: one thread gives the same bits as several.
    const int threads = cv::getNumThreads();
    cv::setNumThreads(1);
    Mat single;
    PermutohedralLattice(pixelFeatures(image, 3.f, 12.f)).filter(a, single);
    cv::setNumThreads(threads);
    EXPECT_EQ(cv::norm(single, viaMat, NORM_INF), 0.);
}

TEST(Escrf_Crf, dense_crf_matches_the_plain_mean_field)
{
    // denseCrf against plainDenseCrf (PlainLattice, double precision, std::exp / std::log) for
    // label counts around the SIMD widths; only float rounding may differ (measured: at most
    // 4.2e-7 on the marginals).
    struct Case { Size size; int K; int iterations; float sxy, srgb, gsxy; };
    const Case cases[] = { { Size(13, 10), 1, 2, 4.f, 15.f, 2.f },
                           { Size(13, 10), 3, 3, 4.f, 15.f, 2.f },
                           { Size(11, 9), 4, 5, 3.f, 10.f, 1.5f },
                           { Size(9, 8), 11, 5, 5.f, 20.f, 2.f },
                           { Size(9, 8), 12, 5, 50.f, 3.f, 3.f },   // the CamVid defaults
                           { Size(8, 7), 20, 3, 5.f, 20.f, 2.f },   // AVX2: two 8-lane blocks + a 4-lane tail
                           { Size(8, 7), 21, 3, 5.f, 20.f, 2.f } };
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("%d x %d, K %d", c.size.width, c.size.height, c.K));
        const Mat image = smoothImage(c.size, 30 + c.K);
        const Mat prob = randomProbabilities(c.K, c.size, 40 + c.K);
        DenseCrfParams p;
        p.iterations = c.iterations;
        p.bilateralSxy = c.sxy, p.bilateralSrgb = c.srgb, p.gaussianSxy = c.gsxy;
        Mat refined;
        cv::escrf::denseCrf(image, prob, refined, p);
        EXPECT_LT(cv::norm(refined, plainDenseCrf(image, prob, p), NORM_INF), 2e-6);
    }
}

TEST(Escrf_Crf, dense_crf_does_not_depend_on_the_thread_count)
{
    const Mat image = smoothImage(Size(40, 30), 12);
    const Mat prob = randomProbabilities(11, image.size(), 13);
    Mat many, one;
    cv::escrf::denseCrf(image, prob, many);
    const int threads = cv::getNumThreads();
    cv::setNumThreads(1);
    cv::escrf::denseCrf(image, prob, one);
    cv::setNumThreads(threads);
    EXPECT_EQ(cv::norm(many, one, NORM_INF), 0.);
}

TEST(Escrf_Crf, one_mean_field_step_matches_bruteforce)
{
    // A 12 x 10 image, 4 classes, one iteration of both kernels, against the exact O(N^2)
    // mean field (normalised Gaussians, pixel left out of its own message, Potts). The lattice
    // is approximate, so compare with the change the CRF makes (L2 over all values): the lattice
    // must reproduce it to within 25% (measured 14%), and be clearly closer to it than to the
    // mean field of a wider kernel or of one that keeps the pixel in its own message.
    const Mat image = smoothImage(Size(12, 10), 11);
    const Mat prob = randomProbabilities(4, image.size(), 5);
    DenseCrfParams p;
    p.iterations = 1;
    p.bilateralSxy = 4, p.bilateralSrgb = 15, p.bilateralWeight = 5;
    p.gaussianSxy = 2, p.gaussianWeight = 3;
    Mat refined;
    cv::escrf::denseCrf(image, prob, refined, p);
    const Mat ref = bruteDenseCrf(image, prob, p);
    ASSERT_EQ(refined.dims, 3);
    const double change = cv::norm(ref, prob, NORM_L2), err = cv::norm(refined, ref, NORM_L2);
    DenseCrfParams wide = p;
    wide.bilateralSxy *= 1.5f, wide.gaussianSxy *= 1.5f;
    const double errWide = cv::norm(refined, bruteDenseCrf(image, prob, wide), NORM_L2);
    const double errWithSelf = cv::norm(refined, bruteDenseCrf(image, prob, p, false), NORM_L2);
    // Measured: change 1.65, error 0.23 (14%); against a 1.5x wider kernel 0.56, against the
    // mean field that keeps the pixel in its own message 0.73.
    EXPECT_LT(err, 0.25 * change);
    EXPECT_GT(errWide, 2 * err);
    EXPECT_GT(errWithSelf, 2 * err);
    EXPECT_LT(cv::norm(refined, ref, NORM_INF), 0.12);
}

TEST(Escrf_Crf, zero_weights_or_iterations_return_the_input)
{
    const Mat image = smoothImage(Size(20, 15), 4);
    const Mat prob = randomProbabilities(5, image.size(), 9);  // all >= e^-4 / 5 > the floor
    DenseCrfParams zeroW;
    zeroW.bilateralWeight = 0, zeroW.gaussianWeight = 0;
    DenseCrfParams zeroIt;
    zeroIt.iterations = 0;
    for (const DenseCrfParams& p : { zeroW, zeroIt })
    {
        Mat refined;
        cv::escrf::denseCrf(image, prob, refined, p);
        ASSERT_EQ(refined.dims, 3);
        EXPECT_EQ(refined.size[0], 5);
        EXPECT_LT(cv::norm(refined, prob, NORM_INF), 1e-6);
    }
}

TEST(Escrf_Crf, outputs_are_distributions)
{
    // Default parameters on an image of 40 x 30 with 6 classes; a probability of 0 is floored.
    const Mat image = smoothImage(Size(40, 30), 5);
    Mat prob = randomProbabilities(6, image.size(), 1);
    prob.at<float>(2, 3, 4) = 0.f;
    Mat refined;
    cv::escrf::denseCrf(image, prob, refined);
    ASSERT_EQ(refined.type(), CV_32F);
    const Mat planar = refined.reshape(1, 6);
    EXPECT_TRUE(cv::checkRange(planar, true, nullptr, 0, 1.0000001));
    Mat sum;
    cv::reduce(planar, sum, 0, REDUCE_SUM);
    EXPECT_LT(cv::norm(sum, Mat::ones(sum.size(), CV_32F), NORM_INF), 1e-5);
}

TEST(Escrf_Crf, cleans_label_noise_inside_colour_regions)
{
    // Left half dark, right half bright; class 0 on the left, 1 on the right, with 15% of the
    // pixels given the wrong class (p = 0.7). DenseCRF restores the labels the colours agree on.
    const Size size(32, 24);
    Mat image(size, CV_8UC3, Scalar(40, 40, 40));
    image(Rect(16, 0, 16, 24)).setTo(Scalar(200, 190, 180));
    int sz[] = { 2, size.height, size.width };
    Mat prob(3, sz, CV_32F);
    RNG rng(12);
    int noisy = 0;
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
        {
            int c = x < 16 ? 0 : 1;
            if (rng.uniform(0.f, 1.f) < 0.15f)
                c = 1 - c, noisy++;
            prob.at<float>(c, y, x) = 0.7f;
            prob.at<float>(1 - c, y, x) = 0.3f;
        }
    ASSERT_GT(noisy, 40);
    Mat refined;
    DenseCrfParams p;
    p.bilateralSxy = 10, p.bilateralSrgb = 10;
    cv::escrf::denseCrf(image, prob, refined, p);
    int wrong = 0;
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
            wrong += (refined.at<float>(1, y, x) > refined.at<float>(0, y, x)) != (x >= 16);
    EXPECT_EQ(wrong, 0) << "of " << noisy << " noisy pixels";
}

TEST(Escrf_Crf, accepts_a_blob_and_works_in_place)
{
    const Mat image = smoothImage(Size(16, 12), 8);
    const Mat prob = randomProbabilities(3, image.size(), 2);
    Mat expected;
    cv::escrf::denseCrf(image, prob, expected);
    int sz4[] = { 1, 3, 12, 16 };
    Mat blob = prob.clone().reshape(1, 4, sz4), out;
    cv::escrf::denseCrf(image, blob, out);
    ASSERT_EQ(out.dims, 4);
    EXPECT_EQ(cv::norm(out.reshape(1, 3), expected.reshape(1, 3), NORM_INF), 0.);
    Mat inplace = prob.clone();
    cv::escrf::denseCrf(image, inplace, inplace);
    EXPECT_EQ(cv::norm(inplace, expected, NORM_INF), 0.);
}

TEST(Escrf_Crf, lattice_stays_accurate_far_from_the_origin)
{
    // d = 1 (see lattice_self_weight): the vertices sit at integer c = f * 2/sqrt(3), a point at
    // fractional part t has weights (1 - t, t) and self weight (1-t)^2 + t^2 + 4/3 t (1-t).
    // Around f = 1e7 (integers, exact in float) c is about 1.15e7, where a float has a step of
    // 1: t would always round to 0 (self weight 1). The elevation must keep t exact.
    double maxErr = 0;
    for (int k = 0; k < 32; k++)
    {
        const float f = (float)(10000000 + 3 * k);
        const double c = (double)f * 2.0 / std::sqrt(3.0), t = c - std::floor(c);
        const double expected = (1 - t) * (1 - t) + t * t + 4.0 / 3.0 * t * (1 - t);
        const Mat point(1, 1, CV_32F, Scalar(f));
        maxErr = std::max(maxErr, std::abs(PermutohedralLattice(point).selfWeights()[0] - expected));
    }
    EXPECT_LT(maxErr, 1e-5);
    // Beyond what the integer keys hold: an error naming the row.
    Mat far(4, 1, CV_32F, Scalar(10000000.f));
    far.at<float>(3) = 1e9f;
    expectThrowContaining([&] { PermutohedralLattice lattice(far); }, { "feature row 3 is not finite or too large" });
}

TEST(Escrf_Crf, bad_input_throws)
{
    const Mat image = smoothImage(Size(8, 6), 3);
    const Mat prob = randomProbabilities(3, image.size(), 3);
    Mat out;
    EXPECT_THROW(cv::escrf::denseCrf(Mat(), prob, out), cv::Exception);
    Mat gray;
    cv::cvtColor(image, gray, COLOR_BGR2GRAY);
    EXPECT_THROW(cv::escrf::denseCrf(gray, prob, out), cv::Exception);
    EXPECT_THROW(cv::escrf::denseCrf(image, Mat(), out), cv::Exception);
    EXPECT_THROW(cv::escrf::denseCrf(image, prob.reshape(1, 3), out), cv::Exception);  // 2-D
    Mat prob64;
    prob.convertTo(prob64, CV_64F);
    EXPECT_THROW(cv::escrf::denseCrf(image, prob64, out), cv::Exception);
    const Mat smaller = randomProbabilities(3, Size(7, 6), 3);
    EXPECT_THROW(cv::escrf::denseCrf(image, smaller, out), cv::Exception);
    Mat nan = prob.clone();
    nan.at<float>(1, 2, 3) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(cv::escrf::denseCrf(image, nan, out), cv::Exception);
    Mat negative = prob.clone();
    negative.at<float>(0, 0, 0) = -0.1f;
    EXPECT_THROW(cv::escrf::denseCrf(image, negative, out), cv::Exception);

    std::vector<DenseCrfParams> bad(7);
    bad[0].iterations = -1;
    bad[1].bilateralSxy = 0;
    bad[2].bilateralSrgb = -3;
    bad[3].gaussianSxy = std::numeric_limits<float>::infinity();
    bad[4].bilateralWeight = -1;
    bad[5].gaussianWeight = std::numeric_limits<float>::quiet_NaN();
    bad[6].probabilityFloor = 0;
    for (size_t i = 0; i < bad.size(); i++)
        EXPECT_THROW(cv::escrf::denseCrf(image, prob, out, bad[i]), cv::Exception) << "params " << i;

    // The message names the argument.
    expectThrowContaining([&] { cv::escrf::denseCrf(image, smaller, out); }, { "probabilities are 6 x 7" });
}

}} // namespace opencv_test::<unnamed>
