// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's fused inference path (src/head/head_inference.cpp, what Segmenter runs on the CPU)
// against the training path (Head::forward with a cache, the pass Head::backward reads): random
// heads of every variant and block option, inputs at, above and below the head resolution, and
// both kinds of guide (the public EscrfGuide and the one the inference path makes itself).

#include "test_precomp.hpp"
#include "head/argmax.hpp"
#include "head/head_inference.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;

struct InferenceCase
{
    const char* name;
    int variant;
    int projection;
    bool relu;
    void (*options)(EscrfBlockParams&);
};

void none(EscrfBlockParams&) {}
void normalizeGaussian(EscrfBlockParams& p) { p.normalize = true; p.gaussianKernel = true; }
void gaussian(EscrfBlockParams& p) { p.gaussianKernel = true; }
void normalize(EscrfBlockParams& p) { p.normalize = true; }
void pairCompat(EscrfBlockParams& p) { p.pairCompatibility = true; p.normalize = true; }
void soft(EscrfBlockParams& p) { p.softSuperpixels = true; }
void learnable(EscrfBlockParams& p) { p.learnableFusion = true; p.gaussianKernel = true; p.normalize = true; }
void dense(EscrfBlockParams& p) { p.dense = true; p.normalize = true; }
void wideWindow(EscrfBlockParams& p) { p.window = 5; p.dilation = 1; p.gaussianKernel = true; }
void allOptions(EscrfBlockParams& p)
{
    p.normalize = p.gaussianKernel = p.pairCompatibility = p.softSuperpixels = p.learnableFusion = true;
}

const InferenceCase kCases[] = {
    { "baseline", HEAD_BASELINE, 6, true, none },
    { "baseline without projection", HEAD_BASELINE, 0, true, none },
    { "escrf reference", HEAD_ESCRF, 6, true, none },
    { "escrf normalized Gaussian (the shipped head)", HEAD_ESCRF, 6, true, normalizeGaussian },
    { "escrf Gaussian, no ReLU", HEAD_ESCRF, 6, false, gaussian },
    { "escrf normalized", HEAD_ESCRF, 5, true, normalize },
    { "escrf pair compatibility", HEAD_ESCRF, 6, true, pairCompat },
    { "escrf soft superpixels", HEAD_ESCRF, 6, true, soft },
    { "escrf learnable fusion", HEAD_ESCRF, 6, true, learnable },
    { "escrf dense", HEAD_ESCRF, 4, true, dense },
    { "escrf 5x5 window", HEAD_ESCRF, 6, true, wideWindow },
    { "escrf every option", HEAD_ESCRF, 6, true, allOptions },
    { "escrf without projection", HEAD_ESCRF, 0, true, normalizeGaussian },
    { "pairwise", HEAD_PAIRWISE, 6, true, normalizeGaussian },
    { "superpixel", HEAD_SUPERPIXEL, 6, true, soft },
};

Mat randomBlob(int c, Size size, RNG& rng)
{
    const int sz[] = { 1, c, size.height, size.width };
    Mat b(4, sz, CV_32F);
    rng.fill(b, RNG::UNIFORM, -1.f, 1.f);
    return b;
}

// A head of the case with random weights (biases and fusion weights included), and its inputs:
// one at the head resolution, one coarser, one finer.
Ptr<Head> randomHead(const InferenceCase& c, Size headSize, RNG& rng, std::vector<Mat>& inputs)
{
    HeadConfig cfg;
    cfg.variant = c.variant;
    cfg.inputs = { "same", "coarse", "fine" };
    cfg.projection = c.projection;
    cfg.projectionRelu = c.relu;
    cfg.numClasses = 5;
    cfg.block.embedDim = 4;
    cfg.block.posDim = 6;
    cfg.block.alphaS = 0.7f;
    cfg.block.alphaP = 0.4f;
    c.options(cfg.block);
    cfg.superpixels.numSuperpixels = 12;
    Ptr<Head> head = Head::create(cfg, { 3, 7, 2 }, rng.next());
    if (!head->projectionBias.empty())
        rng.fill(head->projectionBias, RNG::UNIFORM, -0.3f, 0.3f);
    rng.fill(head->classifierBias, RNG::UNIFORM, -0.5f, 0.5f);
    if (c.variant != HEAD_BASELINE)
    {
        head->blockWeights.alphaS = cfg.block.alphaS * 1.3;
        head->blockWeights.alphaP = cfg.block.alphaP * 0.8;
        head->blockWeights.c = 0.25;
    }
    inputs = { randomBlob(3, headSize, rng), randomBlob(7, Size((headSize.width + 2) / 3, (headSize.height + 1) / 2), rng),
               randomBlob(2, Size(headSize.width * 2 - 1, headSize.height * 2 + 1), rng) };
    return head;
}

// A random BGR image and blocky superpixels of size imageSize.
int randomScene(Size imageSize, RNG& rng, Mat& bgr, Mat& superpixels)
{
    bgr.create(imageSize, CV_8UC3);
    rng.fill(bgr, RNG::UNIFORM, Scalar::all(0), Scalar::all(256));
    superpixels.create(imageSize, CV_32S);
    const int cols = (imageSize.width + 3) / 4;
    for (int y = 0; y < imageSize.height; y++)
        for (int x = 0; x < imageSize.width; x++)
            superpixels.at<int>(y, x) = (y / 3) * cols + x / 4;
    return ((imageSize.height + 2) / 3) * cols;
}

void expectClose(const Mat& ours, const Mat& ref, const std::string& what)
{
    ASSERT_EQ(ours.size(), ref.size()) << what;
    const double scale = std::max(1.0, norm(ref, NORM_INF));
    EXPECT_LE(norm(ours, ref, NORM_INF), 1e-5 * scale) << what;
}

// Labels equal the argmax of the reference logits, except where the two best classes are within
// float noise of each other.
void expectSameLabels(const Mat& labels, const Mat& refLogits, Size headSize, const std::string& what)
{
    Mat refLabels;
    cv::escrf::detail::argmaxPlanar(refLogits, headSize, CV_32S, refLabels);
    int differ = 0;
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int a = labels.type() == CV_8U ? labels.at<uchar>(y, x) : labels.at<int>(y, x);
            const int b = refLabels.at<int>(y, x);
            if (a != b && std::abs(refLogits.at<float>(a, y * headSize.width + x) -
                                   refLogits.at<float>(b, y * headSize.width + x)) > 1e-5f)
                differ++;
        }
    EXPECT_EQ(0, differ) << what;
}

void checkCase(const InferenceCase& c, Size headSize, int stride, uint64 seed)
{
    const std::string what = std::string(c.name) + format(" at %dx%d, image stride %d", headSize.width,
                                                          headSize.height, stride);
    RNG rng(seed);
    std::vector<Mat> inputs;
    Ptr<Head> head = randomHead(c, headSize, rng, inputs);
    Mat bgr, sp;
    const int M = randomScene(Size(headSize.width * stride, headSize.height * stride), rng, bgr, sp);
    EscrfGuide guide;
    prepareGuide(bgr, sp, M, headSize, head->effectiveBlockParams(), guide);
    const EscrfGuide* g = head->needsGuide() ? &guide : nullptr;

    Mat ref;
    HeadCache cache;
    head->forward(inputs, headSize, g, ref, &cache);

    cv::escrf::detail::HeadInference inference;
    Mat logits, labels8, labels32;
    inference.project(*head, inputs, headSize);
    inference.setGuide(g);
    inference.logits(logits);
    expectClose(logits, ref, what + ", EscrfGuide");
    const Size crop(headSize.width - 2, headSize.height - 1);
    inference.labels(crop, CV_8U, labels8);
    ASSERT_EQ(crop, labels8.size());
    expectSameLabels(labels8, ref, headSize, what + ", CV_8U labels");

    // The guide the Segmenter makes (no position planes), from the same image and superpixels.
    cv::escrf::detail::HeadInference lean;
    lean.project(*head, inputs, headSize);
    lean.setGuide(bgr, sp, M);
    lean.logits(logits);
    expectClose(logits, ref, what + ", own guide");
    lean.labels(headSize, CV_32S, labels32);
    expectSameLabels(labels32, ref, headSize, what + ", CV_32S labels");
}

TEST(Escrf_HeadInference, equals_training_forward_every_variant_and_option)
{
    uint64 seed = 100;
    for (const InferenceCase& c : kCases)
    {
        checkCase(c, Size(13, 11), 1, seed++);
        checkCase(c, Size(9, 7), 2, seed++);
    }
}

// Enough rows for every strip of every thread, rows not a multiple of the vector width, and the
// buffers of one HeadInference reused across images and sizes.
TEST(Escrf_HeadInference, equals_training_forward_on_larger_maps_with_reused_buffers)
{
    const InferenceCase& shipped = kCases[3];
    uint64 seed = 7;
    cv::escrf::detail::HeadInference inference;
    for (Size headSize : { Size(61, 45), Size(61, 45), Size(37, 70) })
    {
        RNG rng(seed++);
        std::vector<Mat> inputs;
        Ptr<Head> head = randomHead(shipped, headSize, rng, inputs);
        Mat bgr, sp;
        const int M = randomScene(headSize, rng, bgr, sp);
        EscrfGuide guide;
        prepareGuide(bgr, sp, M, headSize, head->effectiveBlockParams(), guide);
        Mat ref, logits;
        HeadCache cache;
        head->forward(inputs, headSize, &guide, ref, &cache);
        inference.project(*head, inputs, headSize);
        inference.setGuide(bgr, sp, M);
        inference.logits(logits);
        expectClose(logits, ref, format("%dx%d", headSize.width, headSize.height));
    }
}

TEST(Escrf_HeadInference, checks_its_inputs_as_head_forward_does)
{
    RNG rng(3);
    std::vector<Mat> inputs;
    const Size headSize(9, 7);
    Ptr<Head> head = randomHead(kCases[3], headSize, rng, inputs);
    cv::escrf::detail::HeadInference inference;
    EXPECT_THROW(inference.project(*head, { inputs[0] }, headSize), cv::Exception);
    EXPECT_THROW(inference.project(*head, inputs, Size()), cv::Exception);
    inference.project(*head, inputs, headSize);
    Mat logits;
    EXPECT_THROW(inference.logits(logits), cv::Exception);           // no guide yet
    EXPECT_THROW(inference.setGuide(nullptr), cv::Exception);        // the escrf variant needs one
    Mat bgr, sp;
    const int M = randomScene(Size(11, 7), rng, bgr, sp);
    EscrfGuide wrongSize;
    prepareGuide(bgr, sp, M, Size(11, 7), head->effectiveBlockParams(), wrongSize);
    EXPECT_THROW(inference.setGuide(&wrongSize), cv::Exception);
    EXPECT_THROW(inference.setGuide(bgr, sp, 0), cv::Exception);
}

}} // namespace
