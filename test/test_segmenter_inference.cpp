// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Segmenter::segment / predict on the CPU (the overlapped superpixels, the head's inference path,
// its buffers kept between images, the maximum processing area) against the pipeline composed of
// the training path's public calls: backbone, computeSuperpixels, prepareGuide, Head::forward,
// bilinear resize, argmax. On the toy backbone of test/data, so it runs without the shared data.

#include "test_precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "core/alignment.hpp"
#include "head/argmax.hpp"
#include "head/bilinear.hpp"

namespace opencv_test { namespace {

using namespace cv::escrf;

struct Toy
{
    std::string dir;
    BackboneDescription desc;
    std::vector<int> channels;
    Toy()
    {
        dir = cv::tempfile("_escrf_segmenter_inference");
        utils::fs::createDirectories(dir);
        desc = BackboneDescription::read(writeToyBackbone(dir));
        std::vector<Mat> blobs;
        Backbone::create(desc)->forward(Mat(24, 32, CV_8UC3, Scalar::all(90)), { "feat_a", "feat_b" }, blobs);
        for (const Mat& b : blobs)
            channels.push_back(b.size[1]);
    }
    ~Toy() { utils::fs::remove_all(dir); }
};

Mat sceneImage(Size size, uint64 seed)
{
    // Regions of different colours (a coarse random image enlarged), with some noise.
    RNG rng(seed);
    Mat coarse(4, 5, CV_8UC3), image, noise(size, CV_8UC3);
    rng.fill(coarse, RNG::UNIFORM, Scalar::all(0), Scalar::all(255));
    resize(coarse, image, size, 0, 0, INTER_NEAREST);
    rng.fill(noise, RNG::UNIFORM, Scalar::all(0), Scalar::all(40));
    image += noise;
    GaussianBlur(image, image, Size(3, 3), 0);
    return image;
}

// A head with random weights and biases (fusion weights apart from their defaults).
Ptr<Head> randomHead(const Toy& toy, int variant, int stride, bool normalizedGaussian, uint64 seed, bool relu = false)
{
    HeadConfig cfg = toyHeadConfig(variant, 6);
    cfg.stride = stride;
    cfg.projectionRelu = relu;   // (without the ReLU random heads give more varied label maps)
    cfg.block.normalize = cfg.block.gaussianKernel = normalizedGaussian;
    Ptr<Head> head = Head::create(cfg, toy.channels, seed);
    RNG rng(seed);
    rng.fill(head->classifierBias, RNG::UNIFORM, -0.5f, 0.5f);
    rng.fill(head->projectionBias, RNG::UNIFORM, -0.3f, 0.3f);
    if (variant != HEAD_BASELINE)
    {
        head->blockWeights.alphaS = 0.6;
        head->blockWeights.alphaP = 0.35;
    }
    head->setBackbone(toy.desc);
    return head;
}

/* The K x (H*W) logits of the processed image `work` at its size, by the training path's public
calls: the backbone outputs the head reads, the superpixels of `work`, prepareGuide,
Head::forward, bilinear resize from the head resolution. */
Mat referenceLogits(const Head& head, const BackboneDescription& desc, const Mat& work)
{
    const HeadConfig& cfg = head.config();
    const Size headSize(work.cols / cfg.stride, work.rows / cfg.stride);
    std::vector<Mat> features;
    Backbone::create(desc)->forward(work, cfg.inputs, features);
    EscrfGuide guide;
    if (head.needsGuide())
    {
        Mat sp;
        const int M = computeSuperpixels(work, sp, cfg.superpixels);
        prepareGuide(work, sp, M, headSize, head.effectiveBlockParams(), guide);
    }
    Mat logits, full;
    head.forward(features, headSize, head.needsGuide() ? &guide : nullptr, logits);
    cv::escrf::detail::resizeBilinear(logits, headSize, work.size(), full);
    return full;
}

// Shifts the classifier's biases so that each class's mean score over `work` is 0: every class then
// wins somewhere (a random head otherwise tends to give a map of one class, which tests little).
void centreClasses(Head& head, const BackboneDescription& desc, const Mat& work)
{
    const Mat logits = referenceLogits(head, desc, work);
    for (int k = 0; k < logits.rows; k++)
        head.classifierBias.at<float>(k) -= (float)mean(logits.row(k))[0];
}

// The top-left `crop` of K planes of `size` (K x size.area()), as K x crop.area().
Mat cropPlanes(const Mat& planes, Size size, Size crop)
{
    Mat out(planes.rows, crop.area(), CV_32F);
    for (int k = 0; k < planes.rows; k++)
        Mat(size, CV_32F, (void*)planes.ptr<float>(k))(Rect(Point(), crop)).copyTo(Mat(crop, CV_32F, out.ptr<float>(k)));
    return out;
}

// Labels equal the argmax of the reference scores (K x labels.total()), except where the two best
// classes are within `tie` of each other.
int labelsDifferingFrom(const Mat& labels, const Mat& scores, float tie)
{
    int differ = 0;
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int i = y * labels.cols + x;
            int best = 0;
            for (int k = 1; k < scores.rows; k++)
                if (scores.at<float>(k, i) > scores.at<float>(best, i))
                    best = k;
            const int got = labels.type() == CV_8U ? labels.at<uchar>(y, x) : labels.at<int>(y, x);
            if (got != best && scores.at<float>(best, i) - scores.at<float>(got, i) > tie)
                differ++;
        }
    return differ;
}

// Per-pixel softmax of K x N scores.
Mat softmaxPlanes(const Mat& scores)
{
    Mat maxv, e, sum;
    reduce(scores, maxv, 0, REDUCE_MAX);
    subtract(scores, repeat(maxv, scores.rows, 1), e);
    exp(e, e);
    reduce(e, sum, 0, REDUCE_SUM);
    divide(e, repeat(sum, scores.rows, 1), e);
    return e;
}

TEST(Escrf_SegmenterInference, equals_the_training_path_pipeline)
{
    Toy toy;
    struct Case { int variant, stride; bool normalizedGaussian, relu; };
    const Case cases[] = { { HEAD_BASELINE, 1, false, true }, { HEAD_ESCRF, 1, true, false }, { HEAD_ESCRF, 2, false, false },
                           { HEAD_ESCRF, 1, true, true }, { HEAD_PAIRWISE, 1, true, false }, { HEAD_SUPERPIXEL, 2, true, false } };
    const Size sizes[] = { Size(64, 48), Size(61, 45) };   // aligned, and padded at the right and bottom
    for (const Case& c : cases)
        for (const Size& size : sizes)
        {
            SCOPED_TRACE(format("%s, stride %d, normalized Gaussian %d, ReLU %d, %dx%d", headVariantToString(c.variant).c_str(),
                                c.stride, c.normalizedGaussian, c.relu, size.width, size.height));
            Ptr<Head> head = randomHead(toy, c.variant, c.stride, c.normalizedGaussian, 11 + c.variant, c.relu);
            Ptr<Segmenter> seg = Segmenter::create(head, toy.desc);
            const Mat image = sceneImage(size, 5);
            const int a = cv::escrf::detail::sizeAlignment(toy.desc.sizeMultiple, c.stride);
            Mat work;
            copyMakeBorder(image, work, 0, (a - size.height % a) % a, 0, (a - size.width % a) % a, BORDER_REFLECT_101);
            centreClasses(*head, toy.desc, work);
            const Mat ref = cropPlanes(referenceLogits(*head, toy.desc, work), work.size(), size);

            Mat labels8, labels32, probabilities;
            seg->segment(image, labels8);
            seg->segment(image, labels32, CV_32S);
            seg->predict(image, probabilities);
            ASSERT_EQ(size, labels8.size());
            EXPECT_EQ(0, labelsDifferingFrom(labels8, ref, 1e-4f));
            labels32.convertTo(labels32, CV_8U);
            EXPECT_EQ(0, cv::norm(labels8, labels32, NORM_INF));
            double lo = 0, hi = 0;
            minMaxLoc(labels8, &lo, &hi);
            EXPECT_LT(lo, hi) << "a map of one class would test little";
            ASSERT_EQ(3, probabilities.dims);
            const Mat P(probabilities.size[0], size.area(), CV_32F, probabilities.ptr<float>());
            EXPECT_LE(cv::norm(P, softmaxPlanes(ref), NORM_INF), 1e-5);
        }
}

// The buffers kept between images: images of other sizes in between change nothing.
TEST(Escrf_SegmenterInference, buffers_kept_between_images_change_nothing)
{
    Toy toy;
    Ptr<Head> head = randomHead(toy, HEAD_ESCRF, 1, true, 3);
    Ptr<Segmenter> seg = Segmenter::create(head, toy.desc);
    const Mat a = sceneImage(Size(64, 48), 1), b = sceneImage(Size(40, 30), 2), c = sceneImage(Size(80, 34), 3);
    Mat first, firstP, labels, P;
    seg->segment(a, first);
    seg->predict(a, firstP);
    for (const Mat* image : { &b, &a, &c, &a })
    {
        seg->segment(*image, labels);
        seg->predict(*image, P);
        EXPECT_EQ(image->size(), labels.size());
    }
    EXPECT_EQ(0, cv::norm(first, labels, NORM_INF));
    EXPECT_EQ(0, cv::norm(firstP, P, NORM_INF));
    // A fresh Segmenter agrees.
    Segmenter::create(head, toy.desc)->segment(a, labels);
    EXPECT_EQ(0, cv::norm(first, labels, NORM_INF));
}

/* Beyond the maximum processing area the image is reduced (INTER_AREA) to the largest aligned size
of its aspect ratio within the area, and the scores at that size are resized back bilinearly. */
TEST(Escrf_SegmenterInference, max_processing_area_reduces_the_image_and_resizes_the_scores_back)
{
    Toy toy;
    for (int stride : { 1, 2 })
    {
        SCOPED_TRACE(format("stride %d", stride));
        Ptr<Head> head = randomHead(toy, HEAD_ESCRF, stride, true, 7);
        Ptr<Segmenter> seg = Segmenter::create(head, toy.desc);
        EXPECT_EQ(2048 * 1024, seg->getMaxProcessingArea());
        const Mat image = sceneImage(Size(128, 96), 9);
        Mat work;
        resize(image, work, Size(64, 48), 0, 0, INTER_AREA);
        centreClasses(*head, toy.desc, work);
        Mat unbounded, labels, P;
        seg->segment(image, unbounded);
        seg->setMaxProcessingArea(64 * 48);
        EXPECT_EQ(64 * 48, seg->getMaxProcessingArea());
        seg->segment(image, labels);
        seg->predict(image, P);
        ASSERT_EQ(image.size(), labels.size());
        ASSERT_EQ(3, P.dims);
        EXPECT_EQ(image.rows, P.size[1]);
        EXPECT_EQ(image.cols, P.size[2]);

        const Mat small = referenceLogits(*head, toy.desc, work);
        Mat ref(small.rows, image.total(), CV_32F);
        for (int k = 0; k < small.rows; k++)
            resize(Mat(work.size(), CV_32F, (void*)small.ptr<float>(k)), Mat(image.size(), CV_32F, ref.ptr<float>(k)),
                   image.size(), 0, 0, INTER_LINEAR);
        EXPECT_EQ(0, labelsDifferingFrom(labels, ref, 1e-4f));
        const Mat planes(P.size[0], (int)image.total(), CV_32F, P.ptr<float>());
        EXPECT_LE(cv::norm(planes, softmaxPlanes(ref), NORM_INF), 1e-5);
        EXPECT_GT(cv::norm(labels, unbounded, NORM_L1), 0);   // it did process another size

        // 0 removes the bound; a negative area is refused.
        seg->setMaxProcessingArea(0);
        seg->segment(image, labels);
        EXPECT_EQ(0, cv::norm(labels, unbounded, NORM_INF));
        expectThrowContaining([&]() { seg->setMaxProcessingArea(-1); }, { "setMaxProcessingArea", "-1" });
    }
}

// The bands of argmaxResized give the argmax of the whole resized map.
TEST(Escrf_SegmenterInference, argmax_of_resized_scores_in_bands_equals_resize_then_argmax)
{
    RNG rng(21);
    struct Case { Size src, dst, out; };
    const Case cases[] = { { Size(20, 15), Size(80, 60), Size(77, 58) }, { Size(33, 70), Size(33, 70), Size(30, 70) },
                           { Size(50, 40), Size(23, 17), Size(23, 17) }, { Size(7, 5), Size(64, 200), Size(64, 199) } };
    for (const Case& c : cases)
    {
        SCOPED_TRACE(format("%dx%d -> %dx%d, top-left %dx%d", c.src.width, c.src.height, c.dst.width, c.dst.height,
                            c.out.width, c.out.height));
        Mat scores(6, c.src.area(), CV_32F), full, labels;
        rng.fill(scores, RNG::UNIFORM, -2.f, 2.f);
        std::vector<std::vector<float> > scratch;
        cv::escrf::detail::argmaxResized(scores, c.src, c.dst, c.out, CV_32S, labels, scratch);
        ASSERT_EQ(c.out, labels.size());
        cv::escrf::detail::resizeBilinear(scores, c.src, c.dst, full);
        EXPECT_EQ(0, labelsDifferingFrom(labels, cropPlanes(full, c.dst, c.out), 1e-5f));
    }
}

TEST(Escrf_SegmenterInference, perf_profile_names_the_stages_of_the_last_call)
{
    Toy toy;
    Ptr<Segmenter> seg = Segmenter::create(randomHead(toy, HEAD_ESCRF, 1, true, 5), toy.desc);
    std::vector<String> stages;
    std::vector<double> ms;
    Mat labels;
    seg->segment(sceneImage(Size(64, 48), 4), labels);
    const double total = seg->getPerfProfile(stages, ms);
    ASSERT_EQ(stages.size(), ms.size());
    EXPECT_GE(total, 0);
    for (const char* name : { "backbone", "superpixels (own thread, overlapped)", "head: block rows + classifier + argmax" })
        EXPECT_NE(stages.end(), std::find(stages.begin(), stages.end(), String(name))) << name;
    Ptr<Segmenter> baseline = Segmenter::create(randomHead(toy, HEAD_BASELINE, 1, false, 5), toy.desc);
    baseline->segment(sceneImage(Size(64, 48), 4), labels);
    baseline->getPerfProfile(stages, ms);
    EXPECT_EQ(stages.end(), std::find(stages.begin(), stages.end(), String("superpixels (own thread, overlapped)")))
        << "a baseline head computes no superpixels";
}

}} // namespace
