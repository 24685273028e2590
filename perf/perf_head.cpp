// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head and the end-to-end pipeline at CamVid scale (480x360).
//
// Head.forward: Head::forward of a head shaped like the shipped CamVid head
// (models/escrf_espnet_camvid.yml: ESPNet's logits, feat_s2 and feat_s8 with 12, 19 and 256
// channels at 1, 1/2 and 1/8 of the image, D = 16, window softmax with the Gaussian kernel),
// random weights and inputs, the guide of a street frame; parameter: the variant (the baseline
// head has no block). Segmenter.segment: Segmenter::segment of the same head on the ESPNet
// backbone (needs ESCRF_SHARED_DIR or ../shared, skipped otherwise), one CamVid-sized frame per
// iteration: backbone, superpixels, head, argmax at the image size. ESCRF_PERF_THREADS sets
// cv::setNumThreads.

#include "perf_precomp.hpp"

namespace opencv_test { namespace {

const Size kCamVidSize(480, 360);

HeadConfig camvidHeadConfig(int variant)
{
    HeadConfig cfg;
    cfg.variant = variant;
    cfg.inputs = { "logits", "feat_s2", "feat_s8" };
    cfg.projection = 16;
    cfg.numClasses = 11;
    cfg.block.normalize = true;
    cfg.block.gaussianKernel = true;
    cfg.block.learnableFusion = true;
    cfg.block.alphaS = 0.5f;
    cfg.superpixels.algorithm = SUPERPIXEL_SLIC;
    cfg.superpixels.numSuperpixels = 2500;
    cfg.superpixels.ruler = 5.f;
    return cfg;
}

const std::vector<int> kCamVidInputChannels = { 12, 19, 256 };
const int kCamVidInputStrides[] = { 1, 2, 8 };

typedef perf::TestBaseWithParam<int> EscrfHead;  // HeadVariant

PERF_TEST_P(EscrfHead, forward, ::testing::Values((int)HEAD_BASELINE, (int)HEAD_ESCRF))
{
    setThreads();
    const Ptr<Head> head = Head::create(camvidHeadConfig(GetParam()), kCamVidInputChannels, 3);
    RNG rng(11);
    std::vector<Mat> inputs;
    for (size_t l = 0; l < kCamVidInputChannels.size(); l++)
    {
        const int shape[] = { 1, kCamVidInputChannels[l], kCamVidSize.height / kCamVidInputStrides[l],
                              kCamVidSize.width / kCamVidInputStrides[l] };
        Mat blob(4, shape, CV_32F);
        rng.fill(blob, RNG::NORMAL, 0, 1);
        inputs.push_back(blob);
    }
    EscrfGuide guide;
    if (head->needsGuide())
    {
        const Mat frame = makeStreetFrame(kCamVidSize);
        Mat superpixels;
        const int count = computeSuperpixels(frame, superpixels, head->config().superpixels);
        prepareGuide(frame, superpixels, count, kCamVidSize, head->effectiveBlockParams(), guide);
    }
    Mat logits;
    TEST_CYCLE() head->forward(inputs, kCamVidSize, head->needsGuide() ? &guide : nullptr, logits);
    SANITY_CHECK_NOTHING();
}

typedef perf::TestBaseWithParam<int> EscrfSegmenter;  // HeadVariant

PERF_TEST_P(EscrfSegmenter, segment, ::testing::Values((int)HEAD_BASELINE, (int)HEAD_ESCRF))
{
    setThreads();
    const std::string shared = sharedDir();
    BackboneDescription backbone;
    try
    {
        backbone = BackboneDescription::read(shared + "/models/espnet_camvid.yml");
    }
    catch (const cv::Exception&)
    {
        throw SkipTestException("no ESPNet backbone description in " + shared + "/models (set ESCRF_SHARED_DIR)");
    }
    const Ptr<Head> head = Head::create(camvidHeadConfig(GetParam()), kCamVidInputChannels, 3);
    head->setBackbone(backbone);
    const Ptr<Segmenter> segmenter = Segmenter::create(head, backbone);
    const Mat frame = makeStreetFrame(kCamVidSize);
    Mat labels;
    segmenter->segment(frame, labels);  // the backbone's net is created on first use
    TEST_CYCLE() segmenter->segment(frame, labels);
    SANITY_CHECK_NOTHING();
}

}} // namespace opencv_test::<anonymous>
