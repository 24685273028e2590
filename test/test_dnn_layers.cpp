// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "opencv2/escrf/dnn.hpp"
#include "opencv2/escrf/head.hpp"
#include "opencv2/dnn.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "opencv2/core/utils/logger.hpp"
#include "head/bilinear.hpp"
#include "head/head_inputs.hpp"
#include "dnn/dnn_layers.hpp"

#include <cstdlib>
#include <fstream>
#include <thread>

namespace opencv_test {
namespace {

using namespace cv::escrf;
using cv::dnn::LayerParams;
using cv::dnn::Net;

// The committed models written by tools/make_escrf_onnx.py, next to this file.

// The dimensions of a blob (dnn::shape() without OpenCV 4.6's shape_utils.hpp, which warns
// under OpenCV's own -Wsign-compare).
std::vector<int> shapeOf(const Mat& m)
{
    return std::vector<int>(m.size.p, m.size.p + m.dims);
}

Mat blob4(int n, int c, int h, int w)
{
    const int sz[] = { n, c, h, w };
    return Mat(4, sz, CV_32F);
}

Mat randomBlob(int n, int c, int h, int w, RNG& rng, float lo = -1.f, float hi = 1.f)
{
    Mat b = blob4(n, c, h, w);
    rng.fill(b, RNG::UNIFORM, lo, hi);
    return b;
}

// Superpixel labels stored as float: a grid of cells of size cell x cell, shifted per image,
// labels 0..M-1 in raster order.
Mat gridLabels(int n, int H, int W, int cell)
{
    Mat S = blob4(n, 1, H, W);
    for (int b = 0; b < n; b++)
    {
        const int cols = (W + b + cell - 1) / cell + 1;
        float* p = S.ptr<float>(b);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                p[y * W + x] = (float)(((y + b) / cell) * cols + (x + b) / cell);
    }
    // Make the labels of each image contiguous from 0 (the first cell may start shifted).
    for (int b = 0; b < n; b++)
    {
        Mat plane(H * W, 1, CV_32F, S.ptr<float>(b));
        double mn = 0;
        minMaxIdx(plane, &mn);
        plane -= mn;
    }
    return S;
}

// Image n of the block's guide and superpixel inputs (N x 3 x H x W RGB, N x 1 x H x W labels
// as float) as the image and label map prepareGuide takes; returns the number of superpixels.
int guideFromBlobs(const Mat& guideBlob, const Mat& spBlob, int n, Mat& rgb, Mat& labels)
{
    const Size size(guideBlob.size[3], guideBlob.size[2]);
    std::vector<Mat> planes;
    for (int ch = 0; ch < 3; ch++)
        planes.push_back(Mat(size, CV_32F, const_cast<float*>(guideBlob.ptr<float>(n, ch))));
    merge(planes, rgb);
    Mat(size, CV_32F, const_cast<float*>(spBlob.ptr<float>(n))).convertTo(labels, CV_32S);
    double mx = 0;
    minMaxIdx(labels, nullptr, &mx);
    return (int)mx + 1;
}

// The block applied directly (prepareGuide + escrfBlockForward), image by image.
Mat directBlock(const EscrfBlockParams& p, const EscrfBlockWeights& w, const Mat& F, const Mat& I, const Mat& S)
{
    const int batch = F.size[0], C = F.size[1];
    const Size fs(F.size[3], F.size[2]);
    Mat out = blob4(batch, C, fs.height, fs.width);
    for (int n = 0; n < batch; n++)
    {
        Mat rgb, labels;
        const int M = guideFromBlobs(I, S, n, rgb, labels);
        EscrfGuide guide;
        prepareGuide(rgb, labels, M, fs, p, guide, CV_32F);
        Mat result;
        escrfBlockForward(p, w, guide, Mat(C, fs.area(), CV_32F, (void*)F.ptr<float>(n)), result);
        result.copyTo(Mat(C, fs.area(), CV_32F, out.ptr<float>(n)));
    }
    return out;
}

LayerParams escrfLayerParams(const EscrfBlockParams& p, const EscrfBlockWeights& w)
{
    LayerParams lp;
    lp.name = "block";
    lp.type = "ESCRF";
    lp.set("k", p.window);
    lp.set("dilation", p.dilation);
    lp.set("alpha_s", p.alphaS);
    lp.set("alpha_p", p.alphaP);
    lp.set("normalize", (int)p.normalize);
    lp.set("dense", (int)p.dense);
    lp.set("pair_compatibility", (int)p.pairCompatibility);
    lp.set("soft_superpixels", (int)p.softSuperpixels);
    lp.blobs = { w.W_img, w.W_pos };
    if (p.pairCompatibility)
    {
        lp.blobs.push_back(w.a);
        lp.blobs.push_back(w.b);
        lp.blobs.push_back(Mat(1, 1, CV_32F, Scalar(w.c)));
    }
    else
        lp.blobs.push_back(w.w_comp);
    return lp;
}

// A net whose only layer is `lp`, fed by the net inputs named `inputs` in order.
Net singleLayerNet(LayerParams lp, const std::vector<String>& inputs)
{
    registerLayers();
    Net net;
    net.setInputsNames(inputs);
    const int id = net.addLayer(lp.name, lp.type, lp);
    for (int i = 0; i < (int)inputs.size(); i++)
        net.connect(0, i, id, i);
    net.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);
    return net;
}

double maxAbs(const Mat& m)
{
    return cv::norm(m.reshape(1, 1), NORM_INF);
}

// Maximum |a - b| relative to max |b| (at least 1).
double relDiff(const Mat& a, const Mat& b)
{
    EXPECT_EQ(shapeOf(a), shapeOf(b));
    if (shapeOf(a) != shapeOf(b))
        return 1e9;
    return cv::norm(a.reshape(1, 1), b.reshape(1, 1), NORM_INF) / std::max(1.0, maxAbs(b));
}

// ---------------------------------------------------------------------------- ONNX model

TEST(Escrf_DnnLayers, onnx_block_model_matches_the_block)
{
    const std::string path = escrfTestDataPath("escrf_block.onnx");
    ASSERT_TRUE(cv::utils::fs::exists(path)) << path << " (written by tools/make_escrf_onnx.py)";
    registerLayers();
    Net net = dnn::readNetFromONNX(path);
    net.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);

    // The node is in the "escrf" domain: OpenCV 4.6 names its type "escrf.ESCRF".
    int id = -1;
    for (const String& name : net.getLayerNames())
        if (net.getLayer(net.getLayerId(name))->type == "escrf.ESCRF")
            id = net.getLayerId(name);
    ASSERT_GE(id, 0);

    // Weights as the importer passed them (initializers in node-input order).
    EscrfBlockWeights w;
    w.W_img = net.getParam(id, 0).clone();
    w.W_pos = net.getParam(id, 1).clone();
    w.w_comp = net.getParam(id, 2).clone().reshape(1, 1);
    ASSERT_EQ(w.W_img.size(), Size(3, 4));
    ASSERT_EQ(w.W_pos.size(), Size(8, 4));
    ASSERT_EQ(w.w_comp.size(), Size(6, 1));
    w.a = Mat::zeros(1, 6, CV_32F);
    w.b = Mat::zeros(1, 6, CV_32F);

    // The attributes the script writes.
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    p.window = 5;
    p.dilation = 1;
    p.alphaS = 0.3f;
    p.alphaP = 0.15f;
    p.normalize = true;
    w.alphaS = p.alphaS;
    w.alphaP = p.alphaP;

    RNG rng(11);
    Mat F = randomBlob(1, 6, 5, 7, rng), I = randomBlob(1, 3, 11, 15, rng, 0.f, 1.f), S = gridLabels(1, 11, 15, 4);
    net.setInput(F, "F");
    net.setInput(I, "I");
    net.setInput(S, "S");
    Mat out = net.forward();
    Mat expected = directBlock(p, w, F, I, S);
    EXPECT_LE(relDiff(out, expected), 1e-5);
    EXPECT_GT(relDiff(out, F), 1e-3) << "the block must change the features";
}

// A model exported from PyTorch by tools/escrf_torch.py (one ESCRF node with a parity
// fixture's weights) gives the fixture's output in cv::dnn. The script writes the file and runs
// this test with ESCRF_TORCH_ONNX (the model) and ESCRF_TORCH_ONNX_FIXTURE (the fixture); CTest's
// Escrf_TorchExport.parity does so. Run alone, without those variables, it skips.
TEST(Escrf_DnnLayers, torch_exported_onnx)
{
    const char* model = std::getenv("ESCRF_TORCH_ONNX");
    const char* fixture = std::getenv("ESCRF_TORCH_ONNX_FIXTURE");
    if (!model || !fixture)
        GTEST_SKIP() << "run by tools/escrf_torch.py --check-parity (ESCRF_TORCH_ONNX, ESCRF_TORCH_ONNX_FIXTURE)";
    FileStorage fs(fixture, FileStorage::READ);
    ASSERT_TRUE(fs.isOpened()) << fixture;
    const int C = (int)fs["C"], h = (int)fs["h"], w = (int)fs["w"], H = (int)fs["H"], W = (int)fs["W"];
    Mat F, I, S, expected;
    fs["F"] >> F;
    fs["I"] >> I;
    fs["S"] >> S;
    fs["out"] >> expected;

    registerLayers();
    Net net = dnn::readNetFromONNX(model);
    net.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);
    int escrfLayers = 0;
    for (const String& name : net.getLayerNames())
        escrfLayers += net.getLayer(net.getLayerId(name))->type == "escrf.ESCRF";
    ASSERT_EQ(1, escrfLayers) << "the exported graph must hold one escrf::ESCRF node";

    const int fShape[] = { 1, C, h, w };
    Mat Sf;
    S.convertTo(Sf, CV_32F);
    net.setInput(F.reshape(1, 4, fShape), "F");
    net.setInput(dnn::blobFromImage(I), "I");  // H x W x 3 RGB -> 1 x 3 x H x W, no swap
    net.setInput(Sf.reshape(1, std::vector<int>{ 1, 1, H, W }), "S");
    const Mat out = net.forward();
    ASSERT_EQ(shapeOf(out), std::vector<int>(fShape, fShape + 4));
    EXPECT_LE(relDiff(out.reshape(1, C), expected), 1e-4);
}

TEST(Escrf_DnnLayers, onnx_input_names_are_read_from_the_file)
{
    EXPECT_EQ(readOnnxInputNames(escrfTestDataPath("escrf_block.onnx")), std::vector<String>({ "F", "I", "S" }));
    EXPECT_EQ(readOnnxInputNames(escrfTestDataPath("escrf_tiny_backbone.onnx")), std::vector<String>({ "image" }));

    const std::string bad = cv::tempfile(".onnx");
    {
        std::ofstream f(bad.c_str(), std::ios::binary);
        f << "\x3f\xff\xff not a protobuf";
    }
    EXPECT_THROW(readOnnxInputNames(bad), cv::Exception);
    std::remove(bad.c_str());
    EXPECT_THROW(readOnnxInputNames(escrfTestDataPath("no_such_model.onnx")), cv::Exception);
}

// ---------------------------------------------------------------- programmatic ESCRF layer

struct Option
{
    const char* name;
    void (*apply)(EscrfBlockParams&);
};

TEST(Escrf_DnnLayers, escrf_layer_equals_the_block_for_each_option)
{
    const Option options[] = {
        { "reference", [](EscrfBlockParams&) {} },
        { "normalize", [](EscrfBlockParams& p) { p.normalize = true; } },
        { "dense", [](EscrfBlockParams& p) { p.dense = true; } },
        { "dense+normalize", [](EscrfBlockParams& p) { p.dense = true; p.normalize = true; } },
        { "pair_compatibility", [](EscrfBlockParams& p) { p.pairCompatibility = true; } },
        { "soft_superpixels", [](EscrfBlockParams& p) { p.softSuperpixels = true; } },
        { "window 5, dilation 1, alphas", [](EscrfBlockParams& p) { p.window = 5; p.dilation = 1;
                                                                     p.alphaS = 0.5f; p.alphaP = 0.05f; } },
        { "pairwise only", [](EscrfBlockParams& p) { p.alphaS = 0.f; } },
        { "superpixel only", [](EscrfBlockParams& p) { p.alphaP = 0.f; } },
    };
    const int C = 5;
    RNG rng(3);
    for (const Option& o : options)
    {
        SCOPED_TRACE(o.name);
        EscrfBlockParams p;
        p.embedDim = 6;
        p.posDim = 4;
        o.apply(p);
        EscrfBlockWeights w = EscrfBlockWeights::create(p, C, rng, CV_32F);
        if (p.pairCompatibility)
        {
            rng.fill(w.a, RNG::UNIFORM, -0.5f, 0.5f);
            w.c = 0.25;
        }
        // Two images of a batch (independent), features at a non-integer scale of the image.
        Mat F = randomBlob(2, C, 6, 9, rng), I = randomBlob(2, 3, 13, 20, rng, 0.f, 1.f);
        Mat S = gridLabels(2, 13, 20, 5);
        Net net = singleLayerNet(escrfLayerParams(p, w), { "F", "I", "S" });
        net.setInput(F, "F");
        net.setInput(I, "I");
        net.setInput(S, "S");
        Mat out = net.forward("block");
        EXPECT_LE(relDiff(out, directBlock(p, w, F, I, S)), 1e-5);
        EXPECT_GT(relDiff(out, F), 1e-4) << "the block must change the features";
    }
}

TEST(Escrf_DnnLayers, escrf_layer_batch_images_are_independent)
{
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    RNG rng(5);
    EscrfBlockWeights w = EscrfBlockWeights::create(p, 3, rng, CV_32F);
    Mat F = randomBlob(2, 3, 4, 6, rng), I = randomBlob(2, 3, 8, 12, rng, 0.f, 1.f), S = gridLabels(2, 8, 12, 3);
    Net net = singleLayerNet(escrfLayerParams(p, w), { "F", "I", "S" });
    net.setInput(F, "F");
    net.setInput(I, "I");
    net.setInput(S, "S");
    Mat both = net.forward("block").clone();
    for (int n = 0; n < 2; n++)
    {
        Net one = singleLayerNet(escrfLayerParams(p, w), { "F", "I", "S" });
        cv::Range r[] = { cv::Range(n, n + 1), cv::Range::all(), cv::Range::all(), cv::Range::all() };
        one.setInput(F(r).clone(), "F");
        one.setInput(I(r).clone(), "I");
        one.setInput(S(r).clone(), "S");
        Mat single = one.forward("block");
        EXPECT_EQ(0, cv::norm(single.reshape(1, 1), both(r).clone().reshape(1, 1), NORM_INF)) << "image " << n;
    }
}

// ------------------------------------------------------------------------ EscrfResize layer

TEST(Escrf_DnnLayers, resize_layer_equals_cv_resize)
{
    struct Case { Size src, ref; int stride; };
    const Case cases[] = { { Size(7, 5), Size(15, 11), 1 }, { Size(12, 9), Size(5, 4), 1 },
                           { Size(8, 6), Size(32, 24), 2 }, { Size(10, 7), Size(31, 20), 3 },
                           { Size(6, 6), Size(6, 6), 1 } };
    RNG rng(7);
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("%dx%d -> %dx%d / %d", c.src.width, c.src.height, c.ref.width, c.ref.height, c.stride));
        LayerParams lp;
        lp.name = "resize";
        lp.type = "EscrfResize";
        lp.set("stride", c.stride);
        Net net = singleLayerNet(lp, { "x", "ref" });
        Mat X = randomBlob(2, 3, c.src.height, c.src.width, rng);
        Mat R = blob4(1, 1, c.ref.height, c.ref.width);
        R.setTo(0);
        net.setInput(X, "x");
        net.setInput(R, "ref");
        Mat out = net.forward("resize");
        const Size dst(c.ref.width / c.stride, c.ref.height / c.stride);
        ASSERT_EQ(shapeOf(out), shapeOf(blob4(2, 3, dst.height, dst.width)));
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < 3; ch++)
            {
                Mat expected;
                resize(Mat(c.src, CV_32F, X.ptr<float>(n, ch)), expected, dst, 0, 0, INTER_LINEAR);
                EXPECT_LE(cv::norm(Mat(dst, CV_32F, out.ptr<float>(n, ch)), expected, NORM_INF), 1e-5);
            }
    }
}

// ------------------------------------------------------------------- backbone + head net

HeadConfig tinyConfig(int variant, int projection, int stride)
{
    HeadConfig cfg = toyHeadConfig(variant, projection);
    cfg.stride = stride;
    return cfg;
}

// Head::forward on the backbone's outputs, then the logits resized to the image.
Mat headReference(const Head& head, Net& backbone, const Mat& image, const Mat& rgb, const Mat& labels, int M)
{
    backbone.setInput(image);
    std::vector<Mat> feats;
    backbone.forward(feats, head.config().inputs);
    const Size imgSize(image.size[3], image.size[2]);
    const Size headSize(imgSize.width / head.config().stride, imgSize.height / head.config().stride);
    EscrfGuide guide;
    cv::escrf::detail::prepareHeadGuide(head, rgb, labels, M, headSize, guide);
    Mat logits, up;
    head.forward(feats, headSize, head.needsGuide() ? &guide : nullptr, logits);
    cv::escrf::detail::resizeBilinear(logits, headSize, imgSize, up);
    return up.reshape(1, std::vector<int>{ 1, head.config().numClasses, imgSize.height, imgSize.width });
}

TEST(Escrf_DnnHeadNet, equals_head_forward_on_a_tiny_backbone)
{
    const std::string model = escrfTestDataPath("escrf_tiny_backbone.onnx");
    ASSERT_TRUE(cv::utils::fs::exists(model)) << model;
    Net backbone = dnn::readNetFromONNX(model);

    struct Case { int variant, projection, stride; bool relu, pair, learnable; };
    const Case cases[] = {
        { HEAD_BASELINE, 8, 1, true, false, false },
        { HEAD_PAIRWISE, 8, 2, true, false, false },
        { HEAD_SUPERPIXEL, 8, 1, false, false, false },
        { HEAD_ESCRF, 8, 2, true, false, false },
        { HEAD_ESCRF, 0, 1, true, false, false },  // no projection: concatenation
        { HEAD_ESCRF, 6, 1, true, true, true },    // pair compatibility, trained fusion weights
        { HEAD_BASELINE, 0, 2, true, false, false },
        { HEAD_JOINT_CRF, 8, 1, true, false, false },
        { HEAD_JOINT_CRF, 0, 2, true, false, false },
        { HEAD_NONLOCAL, 8, 1, true, false, false },
        { HEAD_NONLOCAL, 6, 2, false, false, false },
    };
    RNG rng(9);
    // Not the model's nominal 16x20: the net adapts to the input size.
    const Size imgSize(30, 22);
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("variant %s, projection %d, stride %d, relu %d, pair %d, learnable %d",
                                headVariantToString(c.variant).c_str(), c.projection, c.stride, c.relu, c.pair,
                                c.learnable));
        HeadConfig cfg = tinyConfig(c.variant, c.projection, c.stride);
        cfg.projectionRelu = c.relu;
        cfg.block.pairCompatibility = c.pair;
        cfg.block.learnableFusion = c.learnable;
        Ptr<Head> head = Head::create(cfg, { 4, 5 }, 1000 + c.variant);
        rng.fill(head->classifierBias, RNG::UNIFORM, -0.5f, 0.5f);
        if (c.projection > 0)
            rng.fill(head->projectionBias, RNG::UNIFORM, -0.3f, 0.3f);
        if (c.learnable)
        {
            head->blockWeights.alphaS = 0.45;  // as if trained: differ from the params' 0.1 / 0.2
            head->blockWeights.alphaP = 0.07;
        }
        if (c.pair)
        {
            rng.fill(head->blockWeights.a, RNG::UNIFORM, -0.5f, 0.5f);
            head->blockWeights.c = -0.2;
        }
        if (c.variant == HEAD_NONLOCAL)   // as if trained: a new block is the identity
            rng.fill(head->nonlocalOut, RNG::NORMAL, 0, 0.5);
        if (c.variant == HEAD_JOINT_CRF)
        {
            rng.fill(head->crfBilateral, RNG::UNIFORM, 1.f, 4.f);
            rng.fill(head->crfSpatial, RNG::UNIFORM, 1.f, 3.f);
            rng.fill(head->crfCompat, RNG::UNIFORM, -0.5f, 1.5f);
            head->setJointCrfInferenceIterations(3);   // the net runs the inference steps
        }

        Mat image = randomBlob(1, 3, imgSize.height, imgSize.width, rng);
        Mat guideBlob = randomBlob(1, 3, imgSize.height, imgSize.width, rng, 0.f, 1.f);
        Mat spBlob = gridLabels(1, imgSize.height, imgSize.width, 6);

        Net net = createHeadNet(model, *head);
        net.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);
        net.setInput(image, "image");
        if (head->needsGuide())
            net.setInput(guideBlob, "guide");
        if (head->needsSuperpixels())
            net.setInput(spBlob, "superpixels");
        Mat scores = net.forward("scores");

        Mat rgb, labels;
        const int M = guideFromBlobs(guideBlob, spBlob, 0, rgb, labels);
        Mat expected = headReference(*head, backbone, image, rgb, labels, M);
        EXPECT_LE(relDiff(scores, expected), 1e-4);
    }
}

// A head reading the guide image itself as a feature (ESCRF_HEAD_INPUT_GUIDE) takes it from the
// net's "guide" input, also in the baseline variant that has no block.
TEST(Escrf_DnnHeadNet, guide_as_a_head_input)
{
    const std::string model = escrfTestDataPath("escrf_tiny_backbone.onnx");
    Net backbone = dnn::readNetFromONNX(model);
    RNG rng(12);
    const Size imgSize(24, 18);
    for (int variant : { HEAD_BASELINE, HEAD_ESCRF })
    {
        HeadConfig cfg = tinyConfig(variant, 6, 1);
        cfg.inputs = { "feat_b", ESCRF_HEAD_INPUT_GUIDE };
        Ptr<Head> head = Head::create(cfg, { 5, 3 }, 77);
        Mat image = randomBlob(1, 3, imgSize.height, imgSize.width, rng);
        Mat guideBlob = randomBlob(1, 3, imgSize.height, imgSize.width, rng, 0.f, 1.f);
        Mat spBlob = gridLabels(1, imgSize.height, imgSize.width, 6);
        Net net = createHeadNet(model, *head);
        net.setInput(image, "image");
        net.setInput(guideBlob, "guide");
        if (head->needsGuide())
            net.setInput(spBlob, "superpixels");
        Mat scores = net.forward("scores");

        backbone.setInput(image);
        std::vector<Mat> feats = { backbone.forward("feat_b").clone(), guideBlob };
        Mat rgb, labels;
        const int M = guideFromBlobs(guideBlob, spBlob, 0, rgb, labels);
        EscrfGuide guide;
        if (head->needsGuide())
            prepareGuide(rgb, labels, M, imgSize, head->effectiveBlockParams(), guide, CV_32F);
        Mat logits;
        head->forward(feats, imgSize, head->needsGuide() ? &guide : nullptr, logits);
        Mat expected = logits.reshape(1, std::vector<int>{ 1, 3, imgSize.height, imgSize.width });
        EXPECT_LE(relDiff(scores, expected), 1e-4) << headVariantToString(variant);
    }
}

TEST(Escrf_DnnHeadNet, errors_name_what_is_wrong)
{
    const std::string model = escrfTestDataPath("escrf_tiny_backbone.onnx");
    HeadConfig cfg = tinyConfig(HEAD_ESCRF, 4, 1);
    cfg.inputs = { "feat_a", "no_such_output" };
    Ptr<Head> head = Head::create(cfg, { 4, 5 });
    expectThrowContaining([&] { createHeadNet(model, *head); }, { "no_such_output" });
    EXPECT_THROW(createHeadNet(escrfTestDataPath("no_such_model.onnx"), *head), cv::Exception);
    Net net = dnn::readNetFromONNX(model);
    EXPECT_THROW(appendHead(net, *head, "guide"), cv::Exception);
}

TEST(Escrf_DnnHeadNet, real_espnet_backbone)
{
    std::string model;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.onnx", model);
    HeadConfig cfg;
    cfg.variant = HEAD_ESCRF;
    cfg.inputs = { "feat_dec", "feat_s8" };
    cfg.projection = 16;
    cfg.stride = 2;
    cfg.numClasses = 11;
    cfg.block.embedDim = 8;
    cfg.block.posDim = 8;
    Ptr<Head> head = Head::create(cfg, { 12, 256 });

    const Size imgSize(160, 120); // a multiple of 8, as the backbone needs
    RNG rng(13);
    Mat bgr(imgSize, CV_8UC3);
    rng.fill(bgr, RNG::UNIFORM, 0, 256);
    GaussianBlur(bgr, bgr, Size(9, 9), 3);
    SuperpixelParams sp;
    sp.numSuperpixels = 40;
    Mat labels;
    const int M = computeSuperpixels(bgr, labels, sp);
    Mat image = dnn::blobFromImage(bgr, 1.0 / 255 / 72.0, Size(), Scalar(110, 108, 105));
    Mat guideBlob = dnn::blobFromImage(bgr, 1.0 / 255, Size(), Scalar(), true);
    Mat spFloat;
    labels.convertTo(spFloat, CV_32F);

    Net net = createHeadNet(model, *head);
    net.setInput(image, "image");
    net.setInput(guideBlob, "guide");
    net.setInput(spFloat.reshape(1, std::vector<int>{ 1, 1, imgSize.height, imgSize.width }), "superpixels");
    Mat scores = net.forward("scores");

    Net backbone = dnn::readNet(model);
    Mat rgb;
    cvtColor(bgr, rgb, COLOR_BGR2RGB);
    rgb.convertTo(rgb, CV_32F, 1.0 / 255);
    Mat expected = headReference(*head, backbone, image, rgb, labels, M);
    EXPECT_LE(relDiff(scores, expected), 1e-4);
}

// ------------------------------------------------------------------------------ bad input

TEST(Escrf_DnnLayers, bad_weights_and_attributes_throw)
{
    registerLayers();
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    RNG rng(17);
    EscrfBlockWeights w = EscrfBlockWeights::create(p, 3, rng, CV_32F);

    LayerParams lp = escrfLayerParams(p, w);
    lp.blobs.pop_back(); // no w_comp
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("ESCRF", lp), cv::Exception);

    lp = escrfLayerParams(p, w);
    lp.set("pair_compatibility", 1); // a, b, c missing
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("ESCRF", lp), cv::Exception);

    lp = escrfLayerParams(p, w);
    lp.blobs[0] = Mat::zeros(4, 2, CV_32F); // W_img must be E x 3
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("ESCRF", lp), cv::Exception);

    lp = escrfLayerParams(p, w);
    lp.blobs[1] = Mat::zeros(3, 8, CV_32F); // W_pos rows must be E
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("ESCRF", lp), cv::Exception);

    lp = escrfLayerParams(p, w);
    lp.set("k", 4); // even window
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("ESCRF", lp), cv::Exception);

    LayerParams rp;
    rp.set("stride", 0);
    EXPECT_THROW(dnn::LayerFactory::createLayerInstance("EscrfResize", rp), cv::Exception);

    lp = escrfLayerParams(p, w);
    EXPECT_FALSE(dnn::LayerFactory::createLayerInstance("ESCRF", lp).empty());
}

// OpenCV 4.6 dnn logs every exception of getMemoryShapes at ERROR level before rethrowing;
// the expected ones would flood the test output.
struct QuietLog
{
    cv::utils::logging::LogLevel saved;
    QuietLog() : saved(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT)) {}
    ~QuietLog() { cv::utils::logging::setLogLevel(saved); }
};

// Runs the layer on F, I, S and returns the exception message ("" when none).
std::string escrfError(const Mat& F, const Mat& I, const Mat& S)
{
    QuietLog quiet;
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    RNG rng(19);
    EscrfBlockWeights w = EscrfBlockWeights::create(p, 3, rng, CV_32F);
    Net net = singleLayerNet(escrfLayerParams(p, w), { "F", "I", "S" });
    try
    {
        net.setInput(F, "F");
        net.setInput(I, "I");
        net.setInput(S, "S");
        net.forward("block");
    }
    catch (const cv::Exception& e)
    {
        return e.what();
    }
    return std::string();
}

TEST(Escrf_DnnLayers, bad_inputs_throw_naming_the_layer)
{
    RNG rng(23);
    Mat F = randomBlob(1, 3, 4, 5, rng), I = randomBlob(1, 3, 8, 10, rng, 0.f, 1.f), S = gridLabels(1, 8, 10, 3);
    EXPECT_EQ("", escrfError(F, I, S)); // the valid case runs

    Mat neg = S.clone();
    neg.ptr<float>(0)[7] = -1.f;
    EXPECT_NE(std::string::npos, escrfError(F, I, neg).find("S (superpixels)"));

    Mat frac = S.clone();
    frac.ptr<float>(0)[3] = 1.5f;
    EXPECT_NE(std::string::npos, escrfError(F, I, frac).find("ESCRF layer 'block'"));

    EXPECT_NE(std::string::npos, escrfError(F, I, gridLabels(1, 8, 9, 3)).find("ESCRF layer 'block'"))
        << "I and S sizes differ";
    EXPECT_NE(std::string::npos, escrfError(randomBlob(1, 4, 4, 5, rng), I, S).find("channels"))
        << "F channels differ from w_comp";
    EXPECT_NE(std::string::npos, escrfError(F, randomBlob(1, 2, 8, 10, rng), S).find("input 1"))
        << "the guide must have 3 channels";
    EXPECT_NE(std::string::npos, escrfError(randomBlob(1, 3, 9, 5, rng), I, S).find("larger"))
        << "features larger than the guide";
    EXPECT_NE(std::string::npos, escrfError(F, randomBlob(2, 3, 8, 10, rng), gridLabels(2, 8, 10, 3)).find("batch"));
}

TEST(Escrf_DnnLayers, register_layers_is_idempotent_and_thread_safe)
{
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([]() { registerLayers(); });
    for (std::thread& t : threads)
        t.join();
    registerLayers();
    for (const char* type : { "ESCRF", "escrf.ESCRF", "EscrfResize", "escrf.EscrfResize" })
    {
        LayerParams lp;
        lp.set("stride", 1);
        if (std::string(type).find("ESCRF") != std::string::npos)
        {
            EscrfBlockParams p;
            p.embedDim = 2;
            p.posDim = 2;
            RNG rng(1);
            lp = escrfLayerParams(p, EscrfBlockWeights::create(p, 2, rng, CV_32F));
        }
        lp.type = type;
        Ptr<dnn::Layer> layer = dnn::LayerFactory::createLayerInstance(type, lp);
        ASSERT_FALSE(layer.empty()) << type;
        EXPECT_EQ(type, layer->type);
    }
}

// The comparison variants' layers check their attributes and blobs when they are created, and name
// the layer and what is expected.
TEST(Escrf_DnnLayers, variant_layers_bad_weights_and_attributes_throw)
{
    registerLayers();
    using namespace cv::escrf::detail;
    RNG rng(23);
    NonlocalParams np;
    np.embedDim = 3;
    const NonlocalWeights nw = NonlocalWeights::create(np, 5, rng);
    LayerParams lp = nonlocalLayerParams("nl", np, nw);
    for (const char* type : { "EscrfNonlocal", "escrf.EscrfNonlocal" })
        EXPECT_FALSE(dnn::LayerFactory::createLayerInstance(type, lp).empty());
    lp.blobs.pop_back();
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfNonlocal", lp); },
                          { "EscrfNonlocal layer 'nl'", "expected 4", "W_out" });
    lp = nonlocalLayerParams("nl", np, nw);
    lp.set("factor", 0);
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfNonlocal", lp); }, { "factor" });
    lp = nonlocalLayerParams("nl", np, nw);
    lp.blobs[3] = Mat::zeros(5, 2, CV_32F);   // W_out must be D x E = 5 x 3
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfNonlocal", lp); }, { "W_out", "5 x 3" });

    CrfRnnParams cp;
    const CrfRnnWeights cw = CrfRnnWeights::create(4);
    lp = jointCrfLayerParams("crf", cp, cw, 2);
    EXPECT_FALSE(dnn::LayerFactory::createLayerInstance("escrf.EscrfJointCrf", lp).empty());
    lp.blobs[2] = Mat::zeros(3, 3, CV_32F);   // compat must be K x K = 4 x 4
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfJointCrf", lp); }, { "compat", "4 x 4" });
    lp = jointCrfLayerParams("crf", cp, cw, 2);
    lp.set("iterations", -1);
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfJointCrf", lp); },
                          { "EscrfJointCrf layer 'crf'", "iterations" });
    lp = jointCrfLayerParams("crf", cp, cw, 0);
    expectThrowContaining([&] { dnn::LayerFactory::createLayerInstance("EscrfJointCrf", lp); }, { "stride" });
}

// The fuzzer's finding: ONNX gives attributes as int64 or double, and dnn's DictValue::get<int>
// converts a huge double with undefined behaviour and truncates a large int64 silently. Every
// numeric attribute of every layer goes through intAttribute / realAttribute instead.
TEST(Escrf_DnnLayers, numeric_attributes_out_of_range_or_of_the_wrong_kind_throw)
{
    registerLayers();
    using namespace cv::escrf::detail;
    const auto create = [](const char* type, LayerParams lp) {
        return [type, lp]() mutable { dnn::LayerFactory::createLayerInstance(type, lp); };
    };
    EscrfBlockParams p;
    p.embedDim = 4;
    p.posDim = 4;
    RNG rng(29);
    const EscrfBlockWeights w = EscrfBlockWeights::create(p, 3, rng, CV_32F);
    LayerParams lp = escrfLayerParams(p, w);
    lp.set("k", -4.57338e+37); // the fuzzer's input: a real window far outside int
    expectThrowContaining(create("ESCRF", lp), { "ESCRF layer", "attribute 'k' = -4.57338e+37" });
    lp = escrfLayerParams(p, w);
    lp.set("dilation", (int64)1 << 32 | 1); // get<int> would read 1
    expectThrowContaining(create("ESCRF", lp), { "'dilation'", "expected an integer" });
    lp = escrfLayerParams(p, w);
    lp.set("k", 3.5);
    expectThrowContaining(create("ESCRF", lp), { "'k' = 3.5", "expected an integer" });
    lp = escrfLayerParams(p, w);
    lp.set("alpha_s", 1e300);
    expectThrowContaining(create("ESCRF", lp), { "'alpha_s'", "finite float" });
    lp = escrfLayerParams(p, w);
    lp.set("normalize", String("yes"));
    expectThrowContaining(create("ESCRF", lp), { "'normalize' must be one integer" });
    lp = escrfLayerParams(p, w);
    lp.set("k", 5.0); // an integral real is an integer
    EXPECT_FALSE(dnn::LayerFactory::createLayerInstance("ESCRF", lp).empty());

    LayerParams rp;
    rp.set("stride", 1e20);
    expectThrowContaining(create("EscrfResize", rp), { "EscrfResize layer", "'stride'" });

    NonlocalParams np;
    np.embedDim = 2;
    LayerParams nl = nonlocalLayerParams("nl", np, NonlocalWeights::create(np, 3, rng));
    nl.set("factor", -1e30);
    expectThrowContaining(create("EscrfNonlocal", nl), { "EscrfNonlocal layer 'nl'", "'factor'" });

    const CrfRnnParams cp;
    LayerParams jc = jointCrfLayerParams("jc", cp, CrfRnnWeights::create(3), 8);
    jc.set("iterations", 1e19);
    expectThrowContaining(create("EscrfJointCrf", jc), { "EscrfJointCrf layer 'jc'", "'iterations'" });
    jc = jointCrfLayerParams("jc", cp, CrfRnnWeights::create(3), 8);
    jc.set("bilateral_srgb", -std::numeric_limits<double>::infinity());
    expectThrowContaining(create("EscrfJointCrf", jc), { "'bilateral_srgb'", "finite float" });
}

}} // namespace opencv_test::<anonymous>
