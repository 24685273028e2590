// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"

namespace opencv_test {
namespace {

using namespace cv::escrf;

// A baseline head whose classifier copies the backbone's first K logits channels: through
// the Segmenter it must reproduce the backbone's own argmax exactly.
Ptr<Head> logitCopyHead(const BackboneDescription& desc, int logitChannels)
{
    HeadConfig cfg;
    cfg.variant = HEAD_BASELINE;
    cfg.inputs = { desc.logits };
    cfg.projection = 0;
    cfg.numClasses = desc.numClasses();
    Ptr<Head> head = Head::create(cfg, { logitChannels });
    head->classifierWeights = Mat::eye(cfg.numClasses, logitChannels, CV_32F);
    head->classifierBias = Mat::zeros(cfg.numClasses, 1, CV_32F);
    head->setBackbone(desc);
    return head;
}

TEST(Escrf_Segmenter, logit_copy_head_reproduces_backbone_argmax_on_camvid)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Backbone> backbone = Backbone::create(desc);
    Ptr<Segmenter> seg = Segmenter::create(logitCopyHead(desc, 12), desc);
    Dataset val(list);
    for (int i = 0; i < val.size(); i += 25)
    {
        Mat image, gt, expected, labels;
        val.load(i, image, gt);
        backbone->predict(image, expected);
        seg->segment(image, labels, CV_32S);
        ASSERT_EQ(expected.size(), labels.size());
        EXPECT_EQ(0, cv::norm(expected, labels, NORM_L1)) << val.sample(i).imagePath;
    }
}

TEST(Escrf_Segmenter, any_image_size_maps_back_to_the_input)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Head> head = logitCopyHead(desc, 12);
    Ptr<Segmenter> seg = Segmenter::create(head, desc);
    Dataset val(list);
    Mat image, gt, full, cropped, scores;
    val.load(3, image, gt);
    seg->segment(image, full);
    EXPECT_EQ(CV_8U, full.type());
    // Padding: the crop of a padded run has the crop's size; pixels far from the padded
    // border agree with the full-image run (the network's receptive field is finite).
    const Rect roi(0, 0, 473, 351);
    seg->segment(image(roi), cropped);
    ASSERT_EQ(roi.size(), cropped.size());
    const Rect inner(0, 0, 400, 280);
    EXPECT_GT(countNonZero(full(roi)(inner) == cropped(inner)), 0.98 * inner.area());
    // Probabilities sum to one per pixel.
    seg->predict(image(roi), scores);
    ASSERT_EQ(3, scores.dims);
    EXPECT_EQ(desc.numClasses(), scores.size[0]);
    EXPECT_EQ(351, scores.size[1]);
    EXPECT_EQ(473, scores.size[2]);
    Mat planar(scores.size[0], 351 * 473, CV_32F, scores.ptr<float>()), sum;
    reduce(planar, sum, 0, REDUCE_SUM);
    EXPECT_LE(cv::norm(sum, Mat::ones(sum.size(), CV_32F), NORM_INF), 1e-4);
    // A fixed processing size resizes instead of padding.
    seg->setProcessingSize(Size(240, 176));
    seg->segment(image, cropped);
    EXPECT_EQ(image.size(), cropped.size());
    EXPECT_THROW(seg->setProcessingSize(Size(241, 176)), cv::Exception);
}

// The vanilla-crf comparison: with setDenseCrf the Segmenter's probabilities are denseCrf()
// of its plain probabilities, and its labels their argmax.
TEST(Escrf_Segmenter, dense_crf_post_processing)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Segmenter> seg = Segmenter::create(logitCopyHead(desc, 12), desc);
    Dataset val(list);
    Mat image, gt, plain, expected, refined, labels, plainLabels;
    val.load(7, image, gt);
    image = image(Rect(0, 0, 200, 120)).clone();   // small: DenseCRF is ~0.5 s per full image
    seg->predict(image, plain);
    seg->segment(image, plainLabels);
    DenseCrfParams params;
    params.iterations = 3;
    denseCrf(image, plain, expected, params);
    seg->setDenseCrf(true, params);
    seg->predict(image, refined);
    seg->segment(image, labels);
    ASSERT_EQ(3, refined.dims);
    EXPECT_EQ(0, cv::norm(expected, refined, NORM_INF));
    const int K = refined.size[0];
    Mat expectedLabels(image.size(), CV_8U);
    for (int y = 0; y < image.rows; y++)
        for (int x = 0; x < image.cols; x++)
        {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (refined.at<float>(k, y, x) > refined.at<float>(best, y, x))
                    best = k;
            expectedLabels.at<uchar>(y, x) = (uchar)best;
        }
    EXPECT_EQ(0, cv::norm(expectedLabels, labels, NORM_INF));
    EXPECT_GT(cv::norm(plainLabels, labels, NORM_L1), 0);   // the CRF changed something
    seg->setDenseCrf(false);
    seg->segment(image, labels);
    EXPECT_EQ(0, cv::norm(plainLabels, labels, NORM_INF));
    params.bilateralSrgb = -1;
    EXPECT_THROW(seg->setDenseCrf(true, params), cv::Exception);
}

TEST(Escrf_Segmenter, bad_inputs_throw)
{
    std::string yml;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Segmenter> seg = Segmenter::create(logitCopyHead(desc, 12), desc);
    Mat labels;
    EXPECT_THROW(seg->segment(Mat(), labels), cv::Exception);
    EXPECT_THROW(seg->segment(Mat(64, 64, CV_32FC3, Scalar::all(0)), labels), cv::Exception);
    EXPECT_THROW(seg->segment(Mat(64, 64, CV_8UC1, Scalar::all(0)), labels), cv::Exception);
    EXPECT_THROW(seg->segment(Mat(64, 64, CV_8UC3, Scalar::all(0)), labels, CV_16S), cv::Exception);
    // A head for another number of classes than the backbone describes.
    BackboneDescription other = desc;
    other.classes.pop_back();
    EXPECT_THROW(Segmenter::create(logitCopyHead(desc, 12), other), cv::Exception);
    EXPECT_THROW(Segmenter::create("no_such_head.yml"), cv::Exception);
}

// Max |a - b| of two K x H x W probability tensors of the same shape.
double maxDifference(const Mat& a, const Mat& b)
{
    CV_Assert(a.dims == 3 && b.dims == 3 && a.size == b.size);
    return cv::norm(a.reshape(1, a.size[0]), b.reshape(1, b.size[0]), NORM_INF);
}

// Each class plane of a K x H x W tensor mirrored left-right.
Mat flipPlanes(const Mat& P)
{
    Mat out(P.dims, P.size.p, CV_32F);
    for (int k = 0; k < P.size[0]; k++)
        flip(Mat(P.size[1], P.size[2], CV_32F, const_cast<float*>(P.ptr<float>(k))),
             Mat(P.size[1], P.size[2], CV_32F, out.ptr<float>(k)), 1);
    return out;
}

// A camvid crop (small: each test runs the backbone several times).
Mat camvidCrop(const std::string& list, int index, Rect roi)
{
    Dataset val(list);
    Mat image, gt;
    val.load(index, image, gt);
    return image(roi).clone();
}

// An ES-CRF head with random weights on the backbone's logits: its block reads superpixels, so
// multi-scale testing must compute them per scale.
Ptr<Head> randomEscrfHead(const BackboneDescription& desc)
{
    HeadConfig cfg;
    cfg.variant = HEAD_ESCRF;
    cfg.inputs = { desc.logits };
    cfg.projection = 8;
    cfg.numClasses = desc.numClasses();
    cfg.superpixels.numSuperpixels = 200;
    Ptr<Head> head = Head::create(cfg, { 12 }, 7);
    head->setBackbone(desc);
    return head;
}

// Flip testing averages the pass on the image with the mirrored pass on the mirrored image, so
// it is mirror-equivariant, and a mirror-symmetric image gets mirror-symmetric probabilities
// (the single-scale pass alone is neither: the network and the right/bottom padding are not).
TEST(Escrf_Segmenter, flip_testing_averages_the_mirrored_pass)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Segmenter> single = Segmenter::create(logitCopyHead(desc, 12), desc);
    Ptr<Segmenter> flipped = Segmenter::create(logitCopyHead(desc, 12), desc);
    flipped->setFlip(true);
    EXPECT_TRUE(flipped->getFlip());
    const Mat image = camvidCrop(list, 5, Rect(40, 60, 210, 130));   // 210 wide: padded
    Mat mirrored, plain, plainOfMirrored, averaged, averagedOfMirrored;
    flip(image, mirrored, 1);
    single->predict(image, plain);
    single->predict(mirrored, plainOfMirrored);
    flipped->predict(image, averaged);
    flipped->predict(mirrored, averagedOfMirrored);
    Mat expected = (plain + flipPlanes(plainOfMirrored)) * 0.5;
    EXPECT_LE(maxDifference(expected, averaged), 1e-6);
    EXPECT_GT(maxDifference(plain, flipPlanes(plainOfMirrored)), 1e-2);   // the test can fail
    EXPECT_LE(maxDifference(averaged, flipPlanes(averagedOfMirrored)), 1e-6);
    // A mirror-symmetric image: [left | mirrored left].
    Mat left = image(Rect(0, 0, 105, 130)), right, symmetric;
    flip(left, right, 1);
    hconcat(left, right, symmetric);
    single->predict(symmetric, plain);
    flipped->predict(symmetric, averaged);
    EXPECT_GT(maxDifference(plain, flipPlanes(plain)), 1e-2);
    EXPECT_LE(maxDifference(averaged, flipPlanes(averaged)), 1e-6);
    // segment() is the argmax of the average.
    Mat labels, labelsOfMirrored;
    flipped->segment(image, labels);
    flipped->segment(mirrored, labelsOfMirrored);
    flip(labelsOfMirrored, labelsOfMirrored, 1);
    EXPECT_GT(countNonZero(labels == labelsOfMirrored), 0.999 * image.total());   // ties may break either way
}

// Scale 1 alone is the single-scale pipeline, also through the averaging loop ({1, 1}).
TEST(Escrf_Segmenter, scale_one_alone_equals_single_scale)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Head> head = randomEscrfHead(desc);
    Ptr<Segmenter> seg = Segmenter::create(head, desc);
    const Mat image = camvidCrop(list, 9, Rect(0, 0, 240, 176));
    Mat plain, again, plainLabels, labels;
    seg->predict(image, plain);
    seg->segment(image, plainLabels);
    for (const std::vector<double>& scales : { std::vector<double>{ 1.0 }, std::vector<double>{ 1.0, 1.0 } })
    {
        seg->setScales(scales);
        EXPECT_EQ(scales, seg->getScales());
        seg->predict(image, again);
        seg->segment(image, labels);
        EXPECT_EQ(0, maxDifference(plain, again)) << scales.size() << " scales";
        EXPECT_EQ(0, cv::norm(plainLabels, labels, NORM_INF)) << scales.size() << " scales";
    }
}

// Multi-scale: each scale's probabilities, superpixels computed on the resized image, resized back
// to the input size and averaged.
TEST(Escrf_Segmenter, multi_scale_averages_at_the_input_size)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Head> head = randomEscrfHead(desc);
    Ptr<Segmenter> single = Segmenter::create(head, desc);
    Ptr<Segmenter> multi = Segmenter::create(head, desc);
    const std::vector<double> scales = { 0.5, 1.25 };
    multi->setScales(scales);
    const Mat image = camvidCrop(list, 2, Rect(100, 50, 250, 150));
    Mat averaged;
    multi->predict(image, averaged);
    ASSERT_EQ(3, averaged.dims);
    ASSERT_EQ(desc.numClasses(), averaged.size[0]);
    ASSERT_EQ(image.rows, averaged.size[1]);
    ASSERT_EQ(image.cols, averaged.size[2]);
    const int K = desc.numClasses();
    Mat expected(averaged.dims, averaged.size.p, CV_32F, Scalar(0));
    for (double s : scales)
    {
        Mat scaled, P;
        resize(image, scaled, Size(cvRound(image.cols * s), cvRound(image.rows * s)), 0, 0, INTER_LINEAR);
        single->predict(scaled, P);
        for (int k = 0; k < K; k++)
        {
            Mat back;
            resize(Mat(scaled.size(), CV_32F, P.ptr<float>(k)), back, image.size(), 0, 0, INTER_LINEAR);
            Mat(image.size(), CV_32F, expected.ptr<float>(k)) += back / (double)scales.size();
        }
    }
    EXPECT_LE(maxDifference(expected, averaged), 1e-5);
    Mat plain, sum;
    single->predict(image, plain);
    EXPECT_GT(maxDifference(plain, averaged), 1e-2);   // the scales changed something
    reduce(averaged.reshape(1, K), sum, 0, REDUCE_SUM);
    EXPECT_LE(cv::norm(sum, Mat::ones(sum.size(), CV_32F), NORM_INF), 1e-4);
}

TEST(Escrf_Segmenter, bad_scales_throw)
{
    std::string yml;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    BackboneDescription desc = BackboneDescription::read(yml);
    Ptr<Segmenter> seg = Segmenter::create(logitCopyHead(desc, 12), desc);
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (const std::vector<double>& bad : { std::vector<double>{}, { 0.0 }, { -1.0 }, { 1.0, nan }, { inf }, { 4.5 } })
    {
        EXPECT_THROW(seg->setScales(bad), cv::Exception) << bad.size() << " scales";
        EXPECT_EQ(std::vector<double>{ 1.0 }, seg->getScales());   // unchanged
    }
    // A fixed processing size would undo the scales: refused in either order.
    seg->setScales({ 0.75, 1.0 });
    EXPECT_THROW(seg->setProcessingSize(Size(240, 176)), cv::Exception);
    seg->setScales({ 1.0 });
    seg->setProcessingSize(Size(240, 176));
    EXPECT_THROW(seg->setScales({ 1.0, 1.25 }), cv::Exception);
    seg->setFlip(true);   // flipping does not conflict with a processing size
    seg->setProcessingSize(Size());
    seg->setScales({ 0.5 });
    Mat labels;
    EXPECT_THROW(seg->segment(Mat(), labels), cv::Exception);
    EXPECT_THROW(seg->segment(Mat(64, 64, CV_8UC1, Scalar::all(0)), labels), cv::Exception);
    seg->segment(Mat(31, 51, CV_8UC3, Scalar::all(90)), labels);   // 26x16 at scale 0.5, padded
    EXPECT_EQ(Size(51, 31), labels.size());
}

TEST(Escrf_Segmenter, overlay_and_colorize)
{
    Mat labels = (Mat_<uchar>(2, 3) << 0, 1, 1, 0, 1, 7);
    std::vector<Vec3b> colors = { Vec3b(255, 0, 0), Vec3b(0, 0, 255) }; // RGB
    Mat color;
    colorizeLabels(labels, colors, color);
    EXPECT_EQ(Vec3b(0, 0, 255), color.at<Vec3b>(0, 0)); // BGR of red
    EXPECT_EQ(Vec3b(255, 0, 0), color.at<Vec3b>(0, 1));
    EXPECT_EQ(Vec3b(0, 0, 0), color.at<Vec3b>(1, 2));   // no colour for label 7
    Mat image(2, 3, CV_8UC3, Scalar::all(100)), overlay;
    EXPECT_THROW(drawSegmentationOverlay(image, labels, colors, overlay, 1.5), cv::Exception);
    EXPECT_THROW(drawSegmentationOverlay(image(Rect(0, 0, 2, 2)), labels, colors, overlay), cv::Exception);
    Mat uniform(4, 4, CV_8U, Scalar(1));
    drawSegmentationOverlay(Mat(4, 4, CV_8UC3, Scalar::all(100)), uniform, colors, overlay, 0.5);
    EXPECT_EQ(Vec3b(178, 50, 50), overlay.at<Vec3b>(1, 1)); // 0.5*100 + 0.5*(255,0,0) (BGR of blue), rounded
}

}} // namespace
