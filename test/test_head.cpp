// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "head/bilinear.hpp"
#include "head/head_inputs.hpp"
#include "opencv2/core/utils/filesystem.hpp"

#include <fstream>

namespace opencv_test {
namespace {

using namespace cv::escrf;

Mat randomBlob(int c, int h, int w, RNG& rng)
{
    const int sz[] = { 1, c, h, w };
    Mat b(4, sz, CV_32F);
    rng.fill(b, RNG::UNIFORM, -1.f, 1.f);
    return b;
}

TEST(Escrf_Bilinear, equals_cv_resize_per_channel)
{
    RNG rng(1);
    const Size cases[][2] = { { Size(7, 5), Size(15, 11) }, { Size(12, 9), Size(5, 4) },
                              { Size(8, 6), Size(16, 12) }, { Size(6, 6), Size(6, 6) } };
    for (const auto& c : cases)
    {
        Mat src(3, c[0].area(), CV_32F), dst;
        rng.fill(src, RNG::UNIFORM, -1.f, 1.f);
        cv::escrf::detail::resizeBilinear(src, c[0], c[1], dst);
        for (int ch = 0; ch < 3; ch++)
        {
            Mat expected;
            resize(Mat(c[0], CV_32F, src.ptr<float>(ch)), expected, c[1], 0, 0, INTER_LINEAR);
            EXPECT_LE(cv::norm(Mat(c[1], CV_32F, dst.ptr<float>(ch)), expected, NORM_INF), 1e-6);
        }
    }
}

// <R x, y> == <x, R^T y> for the forward resize R and its adjoint R^T.
TEST(Escrf_Bilinear, adjoint_passes_dot_product_test)
{
    RNG rng(2);
    const Size cases[][2] = { { Size(7, 5), Size(15, 11) }, { Size(12, 9), Size(5, 4) },
                              { Size(60, 45), Size(480, 360) }, { Size(240, 180), Size(120, 90) },
                              { Size(10, 3), Size(4, 13) } };
    for (const auto& c : cases)
    {
        Mat x(2, c[0].area(), CV_32F), y(2, c[1].area(), CV_32F), Rx, Rty;
        rng.fill(x, RNG::UNIFORM, -1.f, 1.f);
        rng.fill(y, RNG::UNIFORM, -1.f, 1.f);
        cv::escrf::detail::resizeBilinear(x, c[0], c[1], Rx);
        cv::escrf::detail::resizeBilinearAdjoint(y, c[0], c[1], Rty);
        const double lhs = Rx.dot(y), rhs = x.dot(Rty);
        EXPECT_NEAR(lhs, rhs, 1e-4 * (std::abs(lhs) + 1)) << c[0] << " -> " << c[1];
    }
}

TEST(Escrf_HeadInputs, guide_blob_is_rgb_in_unit_range)
{
    Mat bgr(2, 3, CV_8UC3, Scalar(10, 20, 255));
    bgr.at<Vec3b>(1, 2) = Vec3b(0, 51, 102);
    Mat blob = cv::escrf::detail::guideBlob(bgr);
    ASSERT_EQ(4, blob.dims);
    EXPECT_EQ(3, blob.size[1]);
    auto at = [&](int c, int y, int x) { return blob.ptr<float>(0, c)[y * 3 + x]; };
    EXPECT_FLOAT_EQ(1.f, at(0, 0, 0));         // R of (0, 0) = 255
    EXPECT_FLOAT_EQ(10.f / 255, at(2, 0, 0));  // B
    EXPECT_FLOAT_EQ(0.4f, at(0, 1, 2));        // R = 102
    EXPECT_FLOAT_EQ(0.2f, at(1, 1, 2));        // G = 51
}

HeadConfig smallConfig(int variant, int projection)
{
    HeadConfig cfg;
    cfg.variant = variant;
    cfg.inputs = { "fine", "coarse" };
    cfg.projection = projection;
    cfg.numClasses = 3;
    cfg.stride = 1;
    cfg.block.embedDim = 4;
    cfg.block.posDim = 4;
    cfg.block.learnableFusion = true;
    // The comparison variants at the scale of a 9 x 7 head (guide image 18 x 14).
    cfg.jointCrf.factor = 2;
    cfg.jointCrf.iterations = 3;
    cfg.jointCrf.bilateralSxy = 6.f;
    cfg.jointCrf.bilateralSrgb = 60.f;
    cfg.jointCrf.spatialSxy = 2.f;
    cfg.nonlocal.embedDim = 3;
    cfg.nonlocal.factor = 2;
    return cfg;
}

struct HeadFixture
{
    Ptr<Head> head;
    std::vector<Mat> inputs;
    Size headSize{ 9, 7 };
    EscrfGuide guide;

    HeadFixture(int variant, int projection, uint64 seed, bool relu = true)
    {
        RNG rng(seed);
        HeadConfig cfg = smallConfig(variant, projection);
        cfg.projectionRelu = relu;
        head = Head::create(cfg, { 3, 4 }, seed);
        inputs = { randomBlob(3, 7, 9, rng), randomBlob(4, 4, 5, rng) };
        makeGridGuide(headSize, 4, 16, head->effectiveBlockParams(), rng, guide);
        // Away from the initialisations, where both stages are the identity (W_out = 0, so no
        // gradient reaches theta, phi, g; zero kernel weights, so none reaches the compatibility).
        if (variant == HEAD_NONLOCAL)
            rng.fill(head->nonlocalOut, RNG::NORMAL, 0, 0.5);
        if (variant == HEAD_JOINT_CRF)
        {
            rng.fill(head->crfBilateral, RNG::UNIFORM, 1, 4);
            rng.fill(head->crfSpatial, RNG::UNIFORM, 1, 3);
            rng.fill(head->crfCompat, RNG::UNIFORM, -0.5, 1.5);
        }
    }

    double loss(const Mat& R)
    {
        Mat logits;
        head->forward(inputs, headSize, head->needsGuide() ? &guide : nullptr, logits);
        return logits.dot(R);
    }
};

// Finite differences (float, central) on a sample of entries of every parameter tensor.
// With a ReLU, a perturbation that moves a pre-activation across 0 breaks finite differences;
// the ReLU cases therefore shift the projection bias so that every pre-activation stays on one
// side: +8 (ReLU is the identity) or -8 (ReLU blocks every gradient to the projection).
void checkHeadGradients(int variant, int projection, bool relu = false, float biasShift = 0.f)
{
    HeadFixture f(variant, projection, 7 + variant, relu);
    if (projection > 0)
        f.head->projectionBias += biasShift;
    RNG rng(11);
    Mat R(f.head->config().numClasses, f.headSize.area(), CV_32F);
    rng.fill(R, RNG::UNIFORM, -1.f, 1.f);
    Mat logits;
    HeadCache cache;
    f.head->forward(f.inputs, f.headSize, f.head->needsGuide() ? &f.guide : nullptr, logits, &cache);
    std::vector<Mat> grads = f.head->zeroGradients();
    f.head->backward(f.inputs, f.headSize, f.head->needsGuide() ? &f.guide : nullptr, cache, R, grads);
    std::vector<Mat> params = f.head->parameters();
    const std::vector<String> names = f.head->parameterNames();
    ASSERT_EQ(params.size(), grads.size());
    for (size_t p = 0; p < params.size(); p++)
    {
        const int total = (int)params[p].total();
        for (int t = 0; t < std::min(total, 6); t++)
        {
            const int idx = total <= 6 ? t : rng.uniform(0, total);
            const bool dbl = params[p].depth() == CV_64F;
            auto at = [&](Mat& m) -> double { return dbl ? m.ptr<double>()[idx] : m.ptr<float>()[idx]; };
            auto set = [&](Mat& m, double v) { if (dbl) m.ptr<double>()[idx] = v; else m.ptr<float>()[idx] = (float)v; };
            const double v0 = at(params[p]), eps = 1e-2;
            set(params[p], v0 + eps);
            const double lp = f.loss(R);
            set(params[p], v0 - eps);
            const double lm = f.loss(R);
            set(params[p], v0);
            const double numeric = (lp - lm) / (2 * eps), analytic = at(grads[p]);
            EXPECT_NEAR(analytic, numeric, 2e-2 * (std::abs(numeric) + 1))
                << headVariantToString(variant) << " projection=" << projection << " " << names[p] << "[" << idx << "]";
        }
    }
}

TEST(Escrf_Head, gradients_baseline_with_projection) { checkHeadGradients(HEAD_BASELINE, 5); }
TEST(Escrf_Head, gradients_baseline_concatenated) { checkHeadGradients(HEAD_BASELINE, 0); }
TEST(Escrf_Head, gradients_escrf_with_projection) { checkHeadGradients(HEAD_ESCRF, 5); }
TEST(Escrf_Head, gradients_pairwise_and_superpixel) { checkHeadGradients(HEAD_PAIRWISE, 5); checkHeadGradients(HEAD_SUPERPIXEL, 5); }
TEST(Escrf_Head, gradients_through_relu_active_and_blocked)
{
    checkHeadGradients(HEAD_ESCRF, 5, true, 8.f);
    checkHeadGradients(HEAD_ESCRF, 5, true, -8.f);
}

TEST(Escrf_Head, gradients_joint_crf) { checkHeadGradients(HEAD_JOINT_CRF, 5); checkHeadGradients(HEAD_JOINT_CRF, 0); }
TEST(Escrf_Head, gradients_nonlocal) { checkHeadGradients(HEAD_NONLOCAL, 5); checkHeadGradients(HEAD_NONLOCAL, 0); }

TEST(Escrf_Head, relu_blocks_projection_gradients_when_inactive)
{
    HeadFixture f(HEAD_BASELINE, 5, 3, true);
    f.head->projectionBias -= 8.f;
    Mat logits, R = Mat::ones(3, f.headSize.area(), CV_32F);
    HeadCache cache;
    f.head->forward(f.inputs, f.headSize, nullptr, logits, &cache);
    std::vector<Mat> grads = f.head->zeroGradients();
    f.head->backward(f.inputs, f.headSize, nullptr, cache, R, grads);
    EXPECT_EQ(0, cv::norm(grads[0], NORM_INF)); // proj.fine
    EXPECT_EQ(0, cv::norm(grads[2], NORM_INF)); // proj.bias
    EXPECT_GT(cv::norm(grads[4], NORM_INF), 0); // cls.bias still learns
}

TEST(Escrf_Head, variants_switch_block_terms_off)
{
    HeadFixture pw(HEAD_PAIRWISE, 5, 3), sp(HEAD_SUPERPIXEL, 5, 3);
    EXPECT_EQ(0.f, pw.head->effectiveBlockParams().alphaS);
    EXPECT_EQ(0.f, sp.head->effectiveBlockParams().alphaP);
    // The kept term's weight is trained (the fixture's heads have learnable fusion), the removed one is absent.
    const std::vector<String> pwNames = pw.head->parameterNames(), spNames = sp.head->parameterNames();
    EXPECT_EQ(0, (int)std::count(pwNames.begin(), pwNames.end(), "block.alpha_s"));
    EXPECT_EQ(1, (int)std::count(pwNames.begin(), pwNames.end(), "block.alpha_p"));
    EXPECT_EQ(1, (int)std::count(spNames.begin(), spNames.end(), "block.alpha_s"));
    EXPECT_EQ(0, (int)std::count(spNames.begin(), spNames.end(), "block.alpha_p"));
    EXPECT_FALSE(HeadFixture(HEAD_BASELINE, 5, 3).head->needsGuide());
    EXPECT_EQ(HEAD_ESCRF, headVariantFromString("escrf"));
    EXPECT_THROW(headVariantFromString("crf"), cv::Exception);
}

// What each comparison variant is made of: its tensors (in the table's order), its guide.
TEST(Escrf_Head, comparison_variants_have_their_own_stage)
{
    for (int v = HEAD_BASELINE; v <= HEAD_NONLOCAL; v++)
        EXPECT_EQ(v, headVariantFromString(headVariantToString(v)));
    EXPECT_EQ(HEAD_JOINT_CRF, headVariantFromString("joint-crf"));
    EXPECT_EQ(HEAD_NONLOCAL, headVariantFromString("nonlocal"));
    expectThrowContaining([] { headVariantFromString("jointcrf"); }, { "joint-crf", "nonlocal", "'jointcrf'" });
    expectThrowContaining([] { headVariantToString(6); }, { "got 6" });

    HeadFixture crf(HEAD_JOINT_CRF, 5, 3), nl(HEAD_NONLOCAL, 5, 3);
    EXPECT_EQ(std::vector<String>({ "proj.fine", "proj.coarse", "proj.bias", "cls.weight", "cls.bias",
                                    "crf.bilateral", "crf.spatial", "crf.compat" }), crf.head->parameterNames());
    EXPECT_EQ(std::vector<String>({ "proj.fine", "proj.coarse", "proj.bias", "nonlocal.W_theta", "nonlocal.W_phi",
                                    "nonlocal.W_g", "nonlocal.W_out", "cls.weight", "cls.bias" }),
              nl.head->parameterNames());
    EXPECT_TRUE(crf.head->needsGuide());
    EXPECT_FALSE(crf.head->needsSuperpixels());
    EXPECT_FALSE(nl.head->needsGuide());
    EXPECT_FALSE(nl.head->needsSuperpixels());
    EXPECT_TRUE(HeadFixture(HEAD_SUPERPIXEL, 5, 3).head->needsSuperpixels());
    // Initialisation (doc/variants.md): both stages start as the identity; Potts compatibility.
    HeadConfig cfg = smallConfig(HEAD_JOINT_CRF, 5);
    Ptr<Head> fresh = Head::create(cfg, { 3, 4 });
    EXPECT_EQ(Size(3, 1), fresh->crfBilateral.size());
    EXPECT_EQ(0, cv::norm(fresh->crfBilateral, NORM_INF));
    EXPECT_EQ(0, cv::norm(fresh->crfSpatial, NORM_INF));
    EXPECT_EQ(0.f, fresh->crfCompat.at<float>(1, 1));
    EXPECT_EQ(1.f, fresh->crfCompat.at<float>(0, 1));
    Mat withStage, withoutStage;
    HeadFixture plain(HEAD_JOINT_CRF, 5, 3);
    plain.head->crfBilateral.setTo(0);
    plain.head->crfSpatial.setTo(0);
    plain.head->forward(plain.inputs, plain.headSize, &plain.guide, withStage);
    plain.head->setJointCrfInferenceIterations(0);
    plain.head->forward(plain.inputs, plain.headSize, &plain.guide, withoutStage);
    EXPECT_EQ(0, cv::norm(withStage, withoutStage, NORM_INF));
    cfg.variant = HEAD_NONLOCAL;
    fresh = Head::create(cfg, { 3, 4 });
    EXPECT_EQ(Size(5, 3), fresh->nonlocalTheta.size());   // E x D
    EXPECT_EQ(Size(3, 5), fresh->nonlocalOut.size());     // D x E
    EXPECT_EQ(0, cv::norm(fresh->nonlocalOut, NORM_INF));
    // A non-local head needs no guide; a joint-crf head reads the guide's image only.
    Mat a, b;
    nl.head->forward(nl.inputs, nl.headSize, nullptr, a);
    nl.head->forward(nl.inputs, nl.headSize, &nl.guide, b);
    EXPECT_EQ(0, cv::norm(a, b, NORM_INF));
    EscrfGuide imageOnly;
    imageOnly.featureSize = crf.headSize;
    imageOnly.image = crf.guide.image;
    crf.head->forward(crf.inputs, crf.headSize, &crf.guide, a);
    crf.head->forward(crf.inputs, crf.headSize, &imageOnly, b);
    EXPECT_EQ(0, cv::norm(a, b, NORM_INF));
}

// Training runs config().jointCrf.iterations steps (forward with a cache), inference
// inferenceIterations (forward without one), -1 meaning the training value.
TEST(Escrf_Head, joint_crf_inference_iterations)
{
    HeadFixture f(HEAD_JOINT_CRF, 5, 9);
    Mat train, infer, none, logitsT0;
    HeadCache cache;
    f.head->forward(f.inputs, f.headSize, &f.guide, train, &cache);
    f.head->forward(f.inputs, f.headSize, &f.guide, infer);
    EXPECT_EQ(0, cv::norm(train, infer, NORM_INF));   // -1: as in training
    f.head->setJointCrfInferenceIterations(0);
    f.head->forward(f.inputs, f.headSize, &f.guide, none);
    EXPECT_GT(cv::norm(train, none, NORM_INF), 1e-3);   // the steps change the scores
    HeadConfig cfg = f.head->config();
    cfg.jointCrf.iterations = 0;
    cfg.jointCrf.inferenceIterations = -1;
    Ptr<Head> noSteps = Head::create(cfg, { 3, 4 });
    for (size_t i = 0; i < f.head->parameters().size(); i++)
        f.head->parameters()[i].copyTo(noSteps->parameters()[i]);
    noSteps->forward(f.inputs, f.headSize, &f.guide, logitsT0);
    EXPECT_EQ(0, cv::norm(none, logitsT0, NORM_INF));   // T = 0: the classifier's scores
    EXPECT_THROW(f.head->setJointCrfInferenceIterations(-2), cv::Exception);
}

TEST(Escrf_Head, comparison_variants_bad_options_and_inputs)
{
    HeadConfig cfg = smallConfig(HEAD_JOINT_CRF, 5);
    cfg.jointCrf.factor = 0;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "config.jointCrf.factor", ">= 1" });
    cfg = smallConfig(HEAD_JOINT_CRF, 5);
    cfg.jointCrf.bilateralSrgb = -1.f;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "config.jointCrf.bilateralSrgb" });
    cfg = smallConfig(HEAD_JOINT_CRF, 5);
    cfg.jointCrf.iterations = -1;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "config.jointCrf.iterations" });
    cfg = smallConfig(HEAD_JOINT_CRF, 5);
    cfg.jointCrf.inferenceIterations = -3;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "inferenceIterations" });
    cfg = smallConfig(HEAD_NONLOCAL, 5);
    cfg.nonlocal.embedDim = 0;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "config.nonlocal.embedDim" });
    cfg.variant = 9;
    expectThrowContaining([&] { Head::create(cfg, { 3, 4 }); }, { "head variant", "got 9" });
    // Options of other variants are not checked (a baseline head ignores them).
    cfg = smallConfig(HEAD_BASELINE, 5);
    cfg.jointCrf.factor = 0;
    cfg.nonlocal.factor = 0;
    cfg.superpixels.numSuperpixels = 0;
    EXPECT_NO_THROW(Head::create(cfg, { 3, 4 }));

    HeadFixture f(HEAD_JOINT_CRF, 5, 5);
    Mat logits;
    expectThrowContaining([&] { f.head->forward(f.inputs, f.headSize, nullptr, logits); },
                          { "joint-crf head needs the guide (image)" });
    EscrfGuide noImage;
    noImage.featureSize = f.headSize;
    expectThrowContaining([&] { f.head->forward(f.inputs, f.headSize, &noImage, logits); }, { "guide.image" });
    // A cache from another head's forward pass.
    HeadFixture other(HEAD_BASELINE, 5, 5);
    HeadCache cache;
    other.head->forward(other.inputs, other.headSize, nullptr, logits, &cache);
    std::vector<Mat> grads = f.head->zeroGradients();
    expectThrowContaining([&] {
        f.head->backward(f.inputs, f.headSize, &f.guide, cache, Mat::ones(3, f.headSize.area(), CV_32F), grads);
    }, { "joint-crf" });
}

// Without projection the inputs are concatenated; resizing them must never write into an
// input (a same-size resize shares its source).
TEST(Escrf_Head, forward_leaves_its_inputs_unchanged)
{
    HeadConfig cfg = smallConfig(HEAD_BASELINE, 0);
    Ptr<Head> head = Head::create(cfg, { 3, 3 });
    RNG rng(4);
    std::vector<Mat> inputs = { randomBlob(3, 7, 9, rng), randomBlob(3, 4, 5, rng) };
    std::vector<Mat> copies = { inputs[0].clone(), inputs[1].clone() };
    Mat logits;
    head->forward(inputs, Size(9, 7), nullptr, logits);
    EXPECT_EQ(0, cv::norm(inputs[0], copies[0], NORM_INF));
    EXPECT_EQ(0, cv::norm(inputs[1], copies[1], NORM_INF));
}

TEST(Escrf_Head, backward_checks_the_gradient_tensors)
{
    HeadFixture f(HEAD_ESCRF, 5, 6);
    Mat logits, R = Mat::ones(3, f.headSize.area(), CV_32F);
    HeadCache cache;
    f.head->forward(f.inputs, f.headSize, &f.guide, logits, &cache);
    std::vector<Mat> grads = f.head->zeroGradients();
    grads.back() = Mat::zeros(3, 1, CV_64F); // cls.bias of the wrong type
    EXPECT_THROW(f.head->backward(f.inputs, f.headSize, &f.guide, cache, R, grads), cv::Exception);
    HeadConfig cfg = smallConfig(HEAD_ESCRF, 5);
    cfg.block.window = 4;
    EXPECT_THROW(Head::create(cfg, { 3, 4 }), cv::Exception);
}

TEST(Escrf_Head, bad_inputs_throw)
{
    HeadFixture f(HEAD_ESCRF, 5, 5);
    Mat logits;
    EXPECT_THROW(f.head->forward({ f.inputs[0] }, f.headSize, &f.guide, logits), cv::Exception);
    EXPECT_THROW(f.head->forward(f.inputs, f.headSize, nullptr, logits), cv::Exception);
    EXPECT_THROW(f.head->forward({ f.inputs[1], f.inputs[0] }, f.headSize, &f.guide, logits), cv::Exception);
    EXPECT_THROW(f.head->forward(f.inputs, Size(5, 5), &f.guide, logits), cv::Exception);
    HeadConfig cfg = smallConfig(HEAD_ESCRF, 5);
    EXPECT_THROW(Head::create(cfg, { 3 }), cv::Exception);
    cfg.numClasses = 0;
    EXPECT_THROW(Head::create(cfg, { 3, 4 }), cv::Exception);
}

std::string tempPath(const std::string& name)
{
    return cv::tempfile(name.c_str());
}

TEST(Escrf_HeadFile, roundtrip_gives_identical_outputs)
{
    for (int variant = HEAD_BASELINE; variant <= HEAD_NONLOCAL; variant++)
    {
        HeadFixture f(variant, variant == HEAD_SUPERPIXEL ? 0 : 5, 21);
        if (variant == HEAD_JOINT_CRF)
            f.head->setJointCrfInferenceIterations(2);   // stored with the head
        const std::string file = tempPath(".yml");
        f.head->save(file);
        Ptr<Head> loaded = Head::load(file);
        EXPECT_EQ(f.head->parameterNames(), loaded->parameterNames());
        Mat a, b;
        f.head->forward(f.inputs, f.headSize, f.head->needsGuide() ? &f.guide : nullptr, a);
        loaded->forward(f.inputs, f.headSize, f.head->needsGuide() ? &f.guide : nullptr, b);
        EXPECT_EQ(0, cv::norm(a, b, NORM_INF)) << headVariantToString(variant);
        const HeadConfig &c0 = f.head->config(), &c1 = loaded->config();
        if (variant == HEAD_JOINT_CRF)   // the options of the variant (the others' are not stored)
        {
            EXPECT_EQ(c0.jointCrf.inferenceIterations, c1.jointCrf.inferenceIterations);
            EXPECT_EQ(c0.jointCrf.factor, c1.jointCrf.factor);
            EXPECT_EQ(c0.jointCrf.bilateralSrgb, c1.jointCrf.bilateralSrgb);
        }
        if (variant == HEAD_NONLOCAL)
        {
            EXPECT_EQ(c0.nonlocal.factor, c1.nonlocal.factor);
            EXPECT_EQ(c0.nonlocal.embedDim, c1.nonlocal.embedDim);
        }
        std::remove(file.c_str());
    }
}

std::string readText(const std::string& file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeText(const std::string& file, const std::string& text)
{
    std::ofstream(file, std::ios::binary) << text;
}

void expectLoadError(const std::string& text, const std::string& fragment)
{
    const std::string file = tempPath(".yml");
    writeText(file, text);
    expectThrowContaining([&] { Head::load(file); }, { fragment });
    std::remove(file.c_str());
}

TEST(Escrf_HeadFile, corrupt_truncated_and_mismatched_files_throw)
{
    HeadFixture f(HEAD_ESCRF, 5, 4);
    const std::string file = tempPath(".yml");
    f.head->save(file);
    const std::string good = readText(file);
    std::remove(file.c_str());

    expectLoadError(good.substr(0, good.size() / 2), "head file");
    // A version 2 file ends with its checksum line: truncated or edited, it no longer matches.
    expectLoadError(good.substr(0, good.find("weights:")), "checksum");
    std::string edited = good;
    edited.replace(edited.find("num_classes: 3"), 14, "num_classes: 4");
    expectLoadError(edited, "checksum");
    // The checks behind the checksum, on version 1 files (no checksum line, still read).
    ASSERT_NE(std::string::npos, good.find("version: 2"));
    const size_t checksumLine = good.rfind("# escrf-checksum");
    ASSERT_NE(std::string::npos, checksumLine);
    std::string v1 = good.substr(0, checksumLine);
    v1.replace(v1.find("version: 2"), 10, "version: 1");
    expectLoadError(v1.substr(0, v1.find("weights:")), "missing key 'weights'");
    std::string v7 = v1;
    v7.replace(v7.find("version: 1"), 10, "version: 7");
    expectLoadError(v7, "version 7 is not supported");
    std::string wrongClasses = v1;
    wrongClasses.replace(wrongClasses.find("num_classes: 3"), 14, "num_classes: 4");
    expectLoadError(wrongClasses, "cls.weight");
    expectLoadError("%YAML:1.0\n---\nsomething: 1\n", "not an escrf head file");
    expectLoadError("\x01\x02 this is not yaml {{{", "head file");
    EXPECT_THROW(Head::load(tempPath(".yml")), cv::Exception); // does not exist
}

TEST(Escrf_HeadFile, relative_backbone_model_path_is_relative_to_the_head_file)
{
    HeadFixture f(HEAD_BASELINE, 5, 4);
    BackboneDescription desc;
    desc.name = "toy";
    desc.model = "models/toy.onnx";
    desc.stddev = Scalar::all(1);
    desc.width = desc.height = 8;
    desc.logits = "out";
    desc.classes = { "a", "b", "c" };
    f.head->setBackbone(desc);
    const std::string dir = tempPath("_dir");
    ASSERT_TRUE(utils::fs::createDirectory(dir));
    f.head->save(dir + "/head.yml");
    Ptr<Head> loaded = Head::load(dir + "/head.yml");
    const std::string model = loaded->backbone().model;
    EXPECT_EQ(std::string("models/toy.onnx"), model.substr(model.size() - 15));
    EXPECT_NE(std::string::npos, model.find(utils::fs::getParent(dir + "/head.yml").substr(1))) << model;
    utils::fs::remove_all(dir);
}

TEST(Escrf_HeadFile, save_is_atomic_and_reports_unwritable_paths)
{
    HeadFixture f(HEAD_BASELINE, 5, 4);
    const std::string dir = tempPath("_dir");
    ASSERT_TRUE(utils::fs::createDirectory(dir));
    const std::string file = dir + "/head.yml";
    f.head->save(file);
    f.head->save(file); // overwrite in place
    std::vector<String> files;
    utils::fs::glob(dir, "*", files);
    EXPECT_EQ(1u, files.size()) << "temporary files left behind";
    EXPECT_THROW(f.head->save(dir + "/no/such/folder/head.yml"), cv::Exception);
    utils::fs::remove_all(dir);
}

// A saved head file as a version 1 file (no checksum line), which may be edited and still loads.
std::string asVersion1(const std::string& text)
{
    std::string v1 = text.substr(0, text.rfind("# escrf-checksum"));
    v1.replace(v1.find("version: 2"), 10, "version: 1");
    return v1;
}

// The comparison variants' options have their own sections, written for their variant only: files
// of the other variants are as before, and a variant's file without its section is refused (edited
// as version 1 files: a version 2 file's checksum refuses any edit first).
TEST(Escrf_HeadFile, variant_options_sections)
{
    const std::string file = tempPath(".yml");
    HeadFixture(HEAD_ESCRF, 5, 2).head->save(file);
    std::string text = readText(file);
    EXPECT_EQ(std::string::npos, text.find("joint_crf"));
    EXPECT_EQ(std::string::npos, text.find("nonlocal"));
    HeadFixture crf(HEAD_JOINT_CRF, 5, 2);
    crf.head->save(file);
    text = readText(file);
    ASSERT_NE(std::string::npos, text.find("# escrf-checksum"));
    text = asVersion1(text);
    EXPECT_NE(std::string::npos, text.find("joint_crf"));
    EXPECT_NE(std::string::npos, text.find("bilateral_srgb: 60."));
    const size_t at = text.find("joint_crf");
    std::string noSection = text;
    noSection.replace(at, 9, "joint_xxx");
    expectLoadError(noSection, "missing key 'joint_crf'");
    std::string badFactor = text;
    badFactor.replace(badFactor.find("factor: 2", at), 9, "factor: 0");
    expectLoadError(badFactor, "config.jointCrf.factor");
    HeadFixture(HEAD_NONLOCAL, 5, 2).head->save(file);
    std::string nl = asVersion1(readText(file));
    nl.replace(nl.find("embed_dim: 3", nl.find("nonlocal")), 12, "embed_dim: 2");
    expectLoadError(nl, "nonlocal.W_theta");   // the weights no longer fit the configuration
    std::remove(file.c_str());
}

}} // namespace
