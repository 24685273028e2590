// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Forward semantics of the ES-CRF block and its guide: a hand-computed case, a direct
// (naive, O(N^2)) transcription of the specification for every option, the dense/window
// equivalence, float/double agreement and argument errors.

#include "test_precomp.hpp"
#include "opencv2/escrf/block.hpp"
#include "block/block_kernels.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The specification written out literally, in double, with explicit loops over G(i).
Mat naiveForward(const EscrfBlockParams& p, const EscrfBlockWeights& w, const EscrfGuide& g, const Mat& F)
{
    const int C = F.rows, N = F.cols, W = g.featureSize.width, H = g.featureSize.height;
    const double aS = p.learnableFusion ? w.alphaS : p.alphaS, aP = p.learnableFusion ? w.alphaP : p.alphaP;
    Mat eImg = w.W_img * g.image, ePos = w.W_pos * g.position, e;
    vconcat(eImg, ePos, e);   // 2E x N
    const int D = e.rows;
    Mat Fp = Mat::zeros(C, N, CV_64F);
    for (int i = 0; i < N; i++)
    {
        std::vector<int> G;
        if (p.dense)
            for (int j = 0; j < N; j++) G.push_back(j);
        else
        {
            const int r = p.window / 2, yi = i / W, xi = i % W;
            for (int a = -r; a <= r; a++)
                for (int b = -r; b <= r; b++)
                {
                    const int y = yi + a * p.dilation, x = xi + b * p.dilation;
                    if (y >= 0 && y < H && x >= 0 && x < W) G.push_back(y * W + x);
                }
        }
        std::vector<double> K(G.size());
        for (size_t n = 0; n < G.size(); n++)
            K[n] = p.gaussianKernel ? -0.5 * std::pow(norm(e.col(i), e.col(G[n])), 2)
                                    : e.col(i).dot(e.col(G[n]));
        if (p.normalize)
        {
            double Z = 0;
            for (double& k : K) { k = std::exp(k / std::sqrt((double)D)); Z += k; }
            for (double& k : K) k /= Z;
        }
        else if (p.gaussianKernel)
            for (double& k : K) k = std::exp(k);
        for (size_t n = 0; n < G.size(); n++)
        {
            const int j = G[n];
            const double mu = p.pairCompatibility ? sigmoid(w.a.dot(F.col(i).t()) + w.b.dot(F.col(j).t()) + w.c)
                                                  : sigmoid(w.w_comp.dot(F.col(j).t()));
            Fp.col(i) += mu * K[n] * F.col(j);
        }
    }
    // Superpixel prior from the assignment matrix A (N x M).
    const int M = g.numSuperpixels;
    Mat A = Mat::zeros(N, M, CV_64F);
    if (p.softSuperpixels)
    {
        for (int i = 0; i < N; i++)
            for (int k = g.soft.offsets[i]; k < g.soft.offsets[i + 1]; k++)
                A.at<double>(i, g.soft.superpixel[k]) += g.soft.weight[k];
    }
    else
        for (int i = 0; i < N; i++)
            A.at<double>(i, g.cellLabels.at<int>(i)) = 1;
    Mat Fs = Mat::zeros(C, N, CV_64F);
    for (int s = 0; s < M; s++)
    {
        const double mass = sum(A.col(s))[0];
        if (mass == 0) continue;
        Mat ms = F * A.col(s) / mass;   // C x 1
        for (int i = 0; i < N; i++)
            Fs.col(i) += A.at<double>(i, s) * ms;
    }
    return F + aS * Fs + aP * Fp;
}

struct BlockCase
{
    EscrfGuide guide;
    EscrfBlockWeights weights;
    Mat F;
};

BlockCase makeCase(const EscrfBlockParams& p, int C, Size fs, Size img, int M, uint64 seed, int depth = CV_64F)
{
    RNG rng(seed);
    BlockCase s;
    Mat image(img, CV_32FC3), labels(img, CV_32SC1);
    rng.fill(image, RNG::UNIFORM, Scalar::all(0), Scalar::all(1));
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            labels.at<int>(y, x) = ((y * 2 / img.height) * 3 + x * 3 / img.width + (rng.uniform(0, 5) == 0)) % M;
    prepareGuide(image, labels, M, fs, p, s.guide, depth);
    s.weights = EscrfBlockWeights::create(p, C, rng, depth);
    s.weights.c = 0.3;
    s.weights.alphaS = 0.35;
    s.weights.alphaP = 0.15;
    s.F.create(C, fs.area(), depth);
    rng.fill(s.F, RNG::NORMAL, Scalar(0), Scalar(1));
    return s;
}

TEST(Escrf_BlockForward, hand_computed)
{
    // 1 x 3 map, image of the same size (resize is the identity), e = red channel.
    EscrfBlockParams p;
    p.embedDim = 1; p.posDim = 2; p.window = 3; p.dilation = 1;
    p.alphaS = 0.5f; p.alphaP = 0.25f;   // exact in float
    Mat image(1, 3, CV_32FC3, Scalar::all(0)), labels = (Mat_<int>(1, 3) << 0, 0, 1);
    image.at<Vec3f>(0, 0)[0] = 0.5f;
    image.at<Vec3f>(0, 1)[0] = 1.0f;
    EscrfGuide g;
    prepareGuide(image, labels, 2, Size(3, 1), p, g, CV_64F);
    EscrfBlockWeights w;
    w.W_img = (Mat_<double>(1, 3) << 1, 0, 0);
    w.W_pos = Mat::zeros(1, 4, CV_64F);
    w.w_comp = Mat::zeros(1, 1, CV_64F);   // mu = 1/2
    Mat F = (Mat_<double>(1, 3) << 1, 2, 3), out;
    escrfBlockForward(p, w, g, F, out);
    // Fp = 0.5 * [0.25*1 + 0.5*2, 0.5*1 + 1*2 + 0*3, 0*2 + 0*3] = [0.625, 1.25, 0]
    // Fs = [1.5, 1.5, 3]; out = F + 0.5 Fs + 0.25 Fp.
    EXPECT_NEAR(out.at<double>(0), 1.90625, 1e-12);
    EXPECT_NEAR(out.at<double>(1), 3.0625, 1e-12);
    EXPECT_NEAR(out.at<double>(2), 4.5, 1e-12);
}

void compareNaive(const EscrfBlockParams& p, uint64 seed)
{
    SCOPED_TRACE(cv::format("normalize %d dense %d pair %d soft %d learnable %d gaussian %d k %d d %d", p.normalize,
                            p.dense, p.pairCompatibility, p.softSuperpixels, p.learnableFusion, p.gaussianKernel,
                            p.window, p.dilation));
    BlockCase s = makeCase(p, 5, Size(9, 7), Size(20, 17), 6, seed);
    Mat out;
    escrfBlockForward(p, s.weights, s.guide, s.F, out);
    Mat ref = naiveForward(p, s.weights, s.guide, s.F);
    EXPECT_LE(norm(out, ref, NORM_INF), 1e-12 * norm(ref, NORM_INF));
}

TEST(Escrf_BlockForward, matches_naive_spec_every_option)
{
    EscrfBlockParams base;
    base.embedDim = 8; base.posDim = 6;
    for (int mask = 0; mask < 64; mask++)
    {
        EscrfBlockParams p = base;
        p.gaussianKernel = (mask & 32) != 0;
        p.normalize = (mask & 1) != 0;
        p.dense = (mask & 2) != 0;
        p.pairCompatibility = (mask & 4) != 0;
        p.softSuperpixels = (mask & 8) != 0;
        p.learnableFusion = (mask & 16) != 0;
        compareNaive(p, 100 + mask);
    }
    EscrfBlockParams p = base;
    p.window = 5; p.dilation = 1;
    compareNaive(p, 1);
    p.window = 1;
    compareNaive(p, 2);
}

TEST(Escrf_BlockForward, dense_equals_window_covering_the_map)
{
    const Size fs(6, 5);
    for (int mask = 0; mask < 8; mask++)
    {
        EscrfBlockParams p;
        p.embedDim = 4; p.posDim = 4;
        p.gaussianKernel = (mask & 4) != 0;
        p.normalize = (mask & 1) != 0;
        p.pairCompatibility = (mask & 2) != 0;
        p.window = 2 * std::max(fs.width, fs.height) - 1;
        p.dilation = 1;
        BlockCase s = makeCase(p, 4, fs, Size(13, 10), 5, 7 + mask);
        Mat win, dense, dOut(s.F.size(), CV_64F), dFw, dFd;
        randn(dOut, 0, 1);
        EscrfBlockCache cw, cd;
        escrfBlockForward(p, s.weights, s.guide, s.F, win, &cw);
        EscrfBlockWeights gw = s.weights.zerosLike(), gd = s.weights.zerosLike();
        escrfBlockBackward(p, s.weights, s.guide, s.F, cw, dOut, dFw, gw);
        p.dense = true;
        escrfBlockForward(p, s.weights, s.guide, s.F, dense, &cd);
        escrfBlockBackward(p, s.weights, s.guide, s.F, cd, dOut, dFd, gd);
        EXPECT_LE(norm(win, dense, NORM_INF), 1e-12 * norm(win, NORM_INF)) << "mask " << mask;
        EXPECT_LE(norm(dFw, dFd, NORM_INF), 1e-12 * norm(dFw, NORM_INF)) << "mask " << mask;
        EXPECT_LE(norm(gw.W_pos, gd.W_pos, NORM_INF), 1e-11 * norm(gw.W_pos, NORM_INF)) << "mask " << mask;
    }
}

TEST(Escrf_BlockForward, float_matches_double)
{
    EscrfBlockParams p;
    p.normalize = true;
    BlockCase d = makeCase(p, 16, Size(17, 13), Size(40, 30), 8, 3, CV_64F);
    BlockCase f = makeCase(p, 16, Size(17, 13), Size(40, 30), 8, 3, CV_32F);
    d.weights.W_img.convertTo(f.weights.W_img, CV_32F);   // identical weights in both
    d.weights.W_pos.convertTo(f.weights.W_pos, CV_32F);
    d.weights.w_comp.convertTo(f.weights.w_comp, CV_32F);
    d.F.convertTo(f.F, CV_32F);
    f.F.convertTo(d.F, CV_64F);
    Mat od, of;
    escrfBlockForward(p, d.weights, d.guide, d.F, od);
    escrfBlockForward(p, f.weights, f.guide, f.F, of);
    ASSERT_EQ(of.type(), CV_32F);
    Mat of64;
    of.convertTo(of64, CV_64F);
    EXPECT_LE(norm(od, of64, NORM_INF), 1e-5 * norm(od, NORM_INF));
}

TEST(Escrf_BlockForward, zero_alpha_skips_the_term)
{
    EscrfBlockParams p;
    p.alphaP = 0;
    BlockCase s = makeCase(p, 4, Size(6, 5), Size(13, 10), 5, 1);
    s.weights.W_img.release();   // not needed (and not checked) when the message is skipped
    s.weights.W_pos.release();
    Mat out;
    EscrfBlockCache cache;
    escrfBlockForward(p, s.weights, s.guide, s.F, out, &cache);
    p.alphaS = 0;
    Mat same;
    escrfBlockForward(p, s.weights, s.guide, s.F, same);
    EXPECT_EQ(norm(same, s.F, NORM_INF), 0.0) << "both alphas 0: the block is the identity";
    EXPECT_GT(norm(out, s.F, NORM_INF), 0.0);
}

TEST(Escrf_BlockForward, output_may_alias_input)
{
    EscrfBlockParams p;
    BlockCase s = makeCase(p, 4, Size(6, 5), Size(13, 10), 5, 4);
    Mat out, dOut(s.F.size(), CV_64F), dF;
    randn(dOut, 0, 1);
    EscrfBlockCache cache;
    escrfBlockForward(p, s.weights, s.guide, s.F, out, &cache);
    EscrfBlockWeights g1 = s.weights.zerosLike(), g2 = s.weights.zerosLike();
    escrfBlockBackward(p, s.weights, s.guide, s.F, cache, dOut, dF, g1);
    Mat d = dOut.clone();
    escrfBlockBackward(p, s.weights, s.guide, s.F, cache, d, d, g2);   // dF written over dOut
    EXPECT_EQ(norm(d, dF, NORM_INF), 0.0);
    Mat inplace = s.F.clone();
    escrfBlockForward(p, s.weights, s.guide, inplace, inplace);          // out written over F
    EXPECT_EQ(norm(inplace, out, NORM_INF), 0.0);

    // The same through headers over user memory (no reference count to compare).
    std::vector<double> fbuf(s.F.total()), gbuf(dOut.total());
    std::copy(s.F.begin<double>(), s.F.end<double>(), fbuf.begin());
    std::copy(dOut.begin<double>(), dOut.end<double>(), gbuf.begin());
    Mat Fu(s.F.size(), CV_64F, fbuf.data()), outU(s.F.size(), CV_64F, fbuf.data());
    escrfBlockForward(p, s.weights, s.guide, Fu, outU);
    EXPECT_EQ(norm(outU, out, NORM_INF), 0.0);
    Mat dOutU(dOut.size(), CV_64F, gbuf.data()), dFU(dOut.size(), CV_64F, gbuf.data());
    EscrfBlockWeights g3 = s.weights.zerosLike();
    escrfBlockBackward(p, s.weights, s.guide, s.F, cache, dOutU, dFU, g3);
    EXPECT_EQ(norm(dFU, dF, NORM_INF), 0.0);
}

TEST(Escrf_BlockForward, guide_labels_are_checked)
{
    EscrfBlockParams p;
    BlockCase s = makeCase(p, 4, Size(6, 5), Size(13, 10), 5, 4);
    Mat out;
    EscrfGuide bad = s.guide;
    bad.cellLabels = s.guide.cellLabels.clone();
    bad.cellLabels.at<int>(0, 3) = bad.numSuperpixels; // out of range
    EXPECT_THROW(escrfBlockForward(p, s.weights, bad, s.F, out), cv::Exception);
    p.softSuperpixels = true;
    EscrfGuide soft = s.guide;
    soft.soft = SoftAssignment(); // not prepared with softSuperpixels
    EXPECT_THROW(escrfBlockForward(p, s.weights, soft, s.F, out), cv::Exception);
}

TEST(Escrf_BlockGuide, position_encoding_and_image)
{
    EscrfBlockParams p;
    p.posDim = 6;
    const Size img(23, 17), fs(7, 5);
    Mat image(img, CV_32FC3), labels(img, CV_32SC1, Scalar(0));
    randu(image, 0, 1);
    EscrfGuide g;
    prepareGuide(image, labels, 1, fs, p, g, CV_64F);
    ASSERT_EQ(g.position.rows, 12);
    ASSERT_EQ(g.position.cols, fs.area());
    const int x = 4, y = 3, i = y * fs.width + x;
    for (int k = 0; k < 3; k++)
    {
        const double f = std::pow(10000.0, -2.0 * k / 6);
        EXPECT_NEAR(g.position.at<double>(2 * k, i), std::sin(x * f), 1e-12);
        EXPECT_NEAR(g.position.at<double>(2 * k + 1, i), std::cos(x * f), 1e-12);
        EXPECT_NEAR(g.position.at<double>(6 + 2 * k, i), std::sin(y * f), 1e-12);
        EXPECT_NEAR(g.position.at<double>(6 + 2 * k + 1, i), std::cos(y * f), 1e-12);
    }
    Mat small;
    resize(image, small, fs, 0, 0, INTER_LINEAR);
    for (int c = 0; c < 3; c++)
        EXPECT_NEAR(g.image.at<double>(c, i), small.at<Vec3f>(y, x)[c], 1e-7);

    // 8-bit BGR input: converted to RGB / 255.
    Mat bgr8(img, CV_8UC3), rgbf;
    randu(bgr8, 0, 256);
    cvtColor(bgr8, rgbf, COLOR_BGR2RGB);
    rgbf.convertTo(rgbf, CV_32F, 1.0 / 255);
    EscrfGuide g8, gf;
    prepareGuide(bgr8, labels, 1, fs, p, g8, CV_32F);
    prepareGuide(rgbf, labels, 1, fs, p, gf, CV_32F);
    EXPECT_LE(norm(g8.image, gf.image, NORM_INF), 1e-6);
}

// At the image size an 8-bit image takes a fused path (one pass into the planes): its values are
// those of cvtColor + convertTo(CV_32F, 1/255) bit for bit, at widths with and without a SIMD tail.
TEST(Escrf_BlockGuide, bgr8_at_image_size_equals_cvtColor_convertTo_bit_for_bit)
{
    EscrfBlockParams p;
    RNG rng(41);
    for (const Size sz : { Size(1, 1), Size(13, 3), Size(64, 2), Size(481, 7) })
    {
        Mat bgr8(sz, CV_8UC3), rgbf, labels(sz, CV_32SC1, Scalar(0));
        rng.fill(bgr8, RNG::UNIFORM, 0, 256);
        bgr8.at<Vec3b>(0, 0) = Vec3b(0, 128, 255);
        cvtColor(bgr8, rgbf, COLOR_BGR2RGB);
        rgbf.convertTo(rgbf, CV_32F, 1.0 / 255);
        EscrfGuide g;
        prepareGuide(bgr8, labels, 1, sz, p, g, CV_32F);
        ASSERT_EQ(3, g.image.rows);
        for (int c = 0; c < 3; c++)
        {
            Mat expected;
            extractChannel(rgbf, expected, c);
            EXPECT_EQ(0, cv::norm(g.image.row(c).reshape(1, sz.height), expected, NORM_INF)) << sz << " c=" << c;
        }
    }
}

// The inference rows add the hard prior from a table of scaled float means (one gather per cell):
// bit for bit what priorCells accumulates, at row lengths with and without a SIMD tail.
TEST(Escrf_BlockPrior, scaled_table_rows_equal_priorCells_bit_for_bit)
{
    RNG rng(43);
    const int C = 3, M = 57, n = 203;
    Mat means(C, M, CV_64F), labels(1, n, CV_32S);
    rng.fill(means, RNG::UNIFORM, -3.0, 3.0);
    rng.fill(labels, RNG::UNIFORM, 0, M);
    const float alpha = 0.3718f;
    Mat table;
    cv::escrf::block::scaledPriorTable<float>(means, alpha, table);
    for (const int i0 : { 0, 5 })
        for (const int i1 : { 5, 13, 200, 203 })
        {
            if (i1 <= i0)
                continue;
            Mat base(C, n, CV_32F), expected, got;
            rng.fill(base, RNG::UNIFORM, -1.f, 1.f);
            expected = base.clone();
            got = base.clone();
            cv::escrf::block::priorCells<float>(means, labels.ptr<int>(), nullptr, i0, i1, true, alpha,
                                                expected.ptr<float>(), n);
            cv::escrf::block::addPriorCells<float>(table, labels.ptr<int>(), i0, i1, got.ptr<float>(), n);
            EXPECT_EQ(0, cv::norm(got, expected, NORM_INF)) << i0 << ".." << i1;
            EXPECT_GT(cv::norm(got, base, NORM_INF), 0);
        }
}

TEST(Escrf_BlockGuide, cell_labels_nearest)
{
    EscrfBlockParams p;
    Mat image(10, 13, CV_32FC3, Scalar::all(0.5)), labels(10, 13, CV_32SC1);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 13; x++)
            labels.at<int>(y, x) = y * 13 + x;
    EscrfGuide g;
    prepareGuide(image, labels, 130, Size(6, 5), p, g);
    ASSERT_EQ((int)g.cellLabels.total(), 30);
    // cell (x = 5, y = 4) reads pixel (floor(5 * 13 / 6), floor(4 * 10 / 5)) = (10, 8).
    EXPECT_EQ(g.cellLabels.at<int>(4 * 6 + 5), 8 * 13 + 10);
    EXPECT_EQ(g.numSuperpixels, 130);
}

TEST(Escrf_BlockGuide, bad_arguments)
{
    EscrfBlockParams p;
    Mat image(10, 13, CV_32FC3, Scalar::all(0.5)), labels(10, 13, CV_32SC1, Scalar(0));
    EscrfGuide g;
    EXPECT_THROW(prepareGuide(image, labels, 1, Size(14, 5), p, g), cv::Exception);   // larger than the image
    EXPECT_THROW(prepareGuide(image, labels, 0, Size(6, 5), p, g), cv::Exception);
    labels.at<int>(3, 3) = 2;
    EXPECT_THROW(prepareGuide(image, labels, 2, Size(6, 5), p, g), cv::Exception);    // label out of range
    EXPECT_THROW(prepareGuide(Mat(10, 13, CV_32FC1), labels, 3, Size(6, 5), p, g), cv::Exception);
    EXPECT_THROW(prepareGuide(image, Mat(10, 12, CV_32SC1, Scalar(0)), 3, Size(6, 5), p, g), cv::Exception);
}

TEST(Escrf_BlockForward, bad_arguments)
{
    EscrfBlockParams p;
    BlockCase s = makeCase(p, 4, Size(6, 5), Size(13, 10), 5, 1, CV_32F);
    Mat out;
    EXPECT_THROW(escrfBlockForward(p, s.weights, s.guide, s.F.colRange(0, 29), out), cv::Exception);
    Mat F64;
    s.F.convertTo(F64, CV_64F);
    EXPECT_THROW(escrfBlockForward(p, s.weights, s.guide, F64, out), cv::Exception);   // weight depth
    EscrfBlockParams even = p;
    even.window = 4;
    EXPECT_THROW(escrfBlockForward(even, s.weights, s.guide, s.F, out), cv::Exception);
    EscrfBlockParams pair = p;
    pair.pairCompatibility = true;   // weights have no a, b
    EXPECT_THROW(escrfBlockForward(pair, s.weights, s.guide, s.F, out), cv::Exception);
    EscrfBlockParams bigE = p;
    bigE.embedDim = 16;
    EXPECT_THROW(escrfBlockForward(bigE, s.weights, s.guide, s.F, out), cv::Exception);

    EscrfBlockCache cache;
    escrfBlockForward(p, s.weights, s.guide, s.F, out, &cache);
    EscrfBlockWeights g = s.weights.zerosLike();
    Mat dF;
    EXPECT_THROW(escrfBlockBackward(p, s.weights, s.guide, s.F, EscrfBlockCache(), out, dF, g), cv::Exception);
    EscrfBlockParams other = p;
    other.alphaP = 0.5f;
    EXPECT_THROW(escrfBlockBackward(other, s.weights, s.guide, s.F, cache, out, dF, g), cv::Exception);
    EscrfBlockWeights empty;
    EXPECT_THROW(escrfBlockBackward(p, s.weights, s.guide, s.F, cache, out, dF, empty), cv::Exception);
}

}} // namespace
