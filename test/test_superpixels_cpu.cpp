// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The module's SLIC on the CPU (SUPERPIXEL_IMPL_ESCRF): label contract on ordinary and odd image
// sizes, independence from the thread count, bit-for-bit agreement with the CPU emulation of
// the GPU pipeline, bad parameters, ROI inputs, CamVid quality next to ximgproc, and the
// implementation stored in head files.

#include "test_precomp.hpp"
#include "superpixels/slic_device_math.hpp"
#include "superpixels/slic_emulation.hpp"
#include "superpixels/superpixels_detail.hpp"
#include "superpixels/slic_emulation.hpp"
#include "opencv2/escrf/head.hpp"
#include <fstream>
#include <functional>

namespace opencv_test { namespace {

using escrf::SuperpixelParams;

// Gradients, discs and noise: SLIC gets edges to follow and ragged pieces for connectivity.
Mat makeScene(Size size, uint64 seed)
{
    Mat bgr(size, CV_8UC3);
    for (int y = 0; y < size.height; y++)
        for (int x = 0; x < size.width; x++)
            bgr.at<Vec3b>(y, x) = Vec3b((uchar)(x * 255 / size.width), (uchar)(y * 255 / size.height), 90);
    RNG rng(seed);
    for (int i = 0; i < 10; i++)
        circle(bgr, Point(rng.uniform(0, size.width), rng.uniform(0, size.height)),
               rng.uniform(1, std::max(2, std::min(size.width, size.height) / 3)),
               Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), FILLED);
    Mat noise(size, CV_8UC3);
    rng.fill(noise, RNG::UNIFORM, 0, 30);
    return bgr + noise;
}

SuperpixelParams escrfParams(int algorithm, int n)
{
    SuperpixelParams p;
    p.implementation = escrf::SUPERPIXEL_IMPL_ESCRF;
    p.algorithm = algorithm;
    p.numSuperpixels = n;
    p.ruler = algorithm == escrf::SUPERPIXEL_SLIC ? 5.f : 10.f;
    return p;
}

// CV_32SC1 of the image size, labels 0..M-1 first appearing in raster order, and, when
// pieces must be connected, every label a single 4-connected piece.
void expectLabelContract(const Mat& labels, Size size, int M, bool connected)
{
    ASSERT_EQ(CV_32SC1, labels.type());
    ASSERT_EQ(size, labels.size());
    int next = 0;
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            const int l = labels.at<int>(y, x);
            ASSERT_TRUE(l >= 0 && l <= next) << "label " << l << " out of raster order at " << x << "," << y;
            next = std::max(next, l + 1);
        }
    EXPECT_EQ(M, next);
    if (!connected)
        return;
    // Flood fill every 4-connected piece; a label met in two pieces breaks the contract.
    Mat seen(labels.size(), CV_8UC1, Scalar(0));
    std::vector<char> labelDone(M, 0);
    std::vector<Point> stack;
    for (int y = 0; y < labels.rows; y++)
        for (int x = 0; x < labels.cols; x++)
        {
            if (seen.at<uchar>(y, x))
                continue;
            const int l = labels.at<int>(y, x);
            ASSERT_FALSE(labelDone[l]) << "label " << l << " has a second piece at " << x << "," << y;
            labelDone[l] = 1;
            stack.assign(1, Point(x, y));
            seen.at<uchar>(y, x) = 1;
            while (!stack.empty())
            {
                const Point p = stack.back();
                stack.pop_back();
                const Point nb[4] = { p + Point(1, 0), p - Point(1, 0), p + Point(0, 1), p - Point(0, 1) };
                for (const Point& q : nb)
                    if (q.inside(Rect(0, 0, labels.cols, labels.rows)) && !seen.at<uchar>(q) && labels.at<int>(q) == l)
                    {
                        seen.at<uchar>(q) = 1;
                        stack.push_back(q);
                    }
            }
        }
}

TEST(Escrf_SuperpixelsCpu, label_contract_on_ordinary_and_odd_sizes)
{
    struct Case { Size size; int n; };
    const Case cases[] = { { Size(160, 120), 120 }, { Size(2, 2), 1 }, { Size(2, 2), 3 }, { Size(7, 5), 4 },
                           { Size(1, 37), 5 }, { Size(53, 1), 6 }, { Size(3000, 3), 40 }, { Size(3, 700), 30 },
                           { Size(97, 61), 2 }, { Size(33, 17), 500 } };
    int seed = 0;
    for (const Case& c : cases)
        for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
            for (bool connect : { true, false })
            {
                SCOPED_TRACE(cv::format("%dx%d n %d algo %d connectivity %d", c.size.width, c.size.height, c.n,
                                        algo, (int)connect));
                SuperpixelParams p = escrfParams(algo, c.n);
                p.enforceConnectivity = connect;
                const Mat bgr = makeScene(c.size, seed++);
                Mat labels;
                const int M = escrf::computeSuperpixels(bgr, labels, p);
                ASSERT_GE(M, 1);
                ASSERT_NO_FATAL_FAILURE(expectLabelContract(labels, c.size, M, connect));
            }
}

TEST(Escrf_SuperpixelsCpu, same_labels_for_any_thread_count)
{
    const int threads = cv::getNumThreads();
    const Mat bgr = makeScene(Size(331, 217), 5);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        const SuperpixelParams p = escrfParams(algo, 400);
        Mat ref;
        cv::setNumThreads(1);
        const int M = escrf::computeSuperpixels(bgr, ref, p);
        for (int t : { 2, 4, 7 })
        {
            cv::setNumThreads(t);
            Mat labels;
            EXPECT_EQ(M, escrf::computeSuperpixels(bgr, labels, p)) << t << " threads";
            EXPECT_EQ(0, countNonZero(labels != ref)) << t << " threads";
        }
    }
    cv::setNumThreads(threads);
}

// The CPU path and the emulated device pipeline (the same functors and step sequence as the
// CUDA kernels) compute the same algorithm with the same arithmetic: equal labels.
TEST(Escrf_SuperpixelsCpu, equals_gpu_pipeline_emulation)
{
    struct Case { Size size; int algo, n, iterations, blur; bool connect; int minSize; };
    const Case cases[] = {
        { Size(160, 120), escrf::SUPERPIXEL_SLIC, 150, 10, 3, true, 25 },
        { Size(160, 120), escrf::SUPERPIXEL_SLICO, 150, 10, 3, true, 25 },
        { Size(203, 149), escrf::SUPERPIXEL_SLICO, 300, 3, 0, false, 25 },
        { Size(203, 149), escrf::SUPERPIXEL_SLIC, 50, 5, 5, true, 60 },
        { Size(37, 211), escrf::SUPERPIXEL_SLICO, 40, 10, 9, true, 100 },
        { Size(64, 48), escrf::SUPERPIXEL_SLIC, 1, 2, 7, true, 0 },
        { Size(250, 9), escrf::SUPERPIXEL_SLIC, 30, 1, 3, true, 25 },
    };
    int seed = 50;
    for (const Case& c : cases)
    {
        SCOPED_TRACE(cv::format("%dx%d algo %d n %d it %d blur %d conn %d min %d", c.size.width, c.size.height,
                                c.algo, c.n, c.iterations, c.blur, (int)c.connect, c.minSize));
        SuperpixelParams p = escrfParams(c.algo, c.n);
        p.iterations = c.iterations;
        p.blurKernel = c.blur;
        p.enforceConnectivity = c.connect;
        p.minElementSize = c.minSize;
        const Mat bgr = makeScene(c.size, seed++);
        Mat cpu, emu;
        const int M = escrf::computeSuperpixels(bgr, cpu, p);
        EXPECT_EQ(M, escrf::detail::emulateGpuSuperpixels(bgr, emu, p));
        EXPECT_EQ(0, countNonZero(cpu != emu));
    }
    // And two real street scenes at the shipped head's settings.
    std::string list;
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    const std::string root = list.substr(0, list.rfind('/') + 1);
    std::ifstream in(list);
    std::string img, ann;
    for (int i = 0; i < 2 && in >> img >> ann; i++)
    {
        const Mat bgr = imread(root + img, IMREAD_COLOR);
        ASSERT_FALSE(bgr.empty()) << root + img;
        const SuperpixelParams p = escrfParams(escrf::SUPERPIXEL_SLIC, 2500);
        Mat cpu, emu;
        EXPECT_EQ(escrf::computeSuperpixels(bgr, cpu, p), escrf::detail::emulateGpuSuperpixels(bgr, emu, p)) << img;
        EXPECT_EQ(0, countNonZero(cpu != emu)) << img;
    }
}

TEST(Escrf_SuperpixelsCpu, blur_and_lab_equal_the_device_for_every_colour)
{
    Mat bgr(4096, 4096, CV_8UC3);
    for (int i = 0; i < (1 << 24); i++)
    {
        uchar* p = bgr.ptr<uchar>() + 3 * (size_t)i;
        p[0] = (uchar)(i & 255); p[1] = (uchar)((i >> 8) & 255); p[2] = (uchar)(i >> 16);
    }
    Mat cpu, emu;
    escrf::detail::slicBlurLab(bgr, 0, cpu);
    escrf::detail::emulateGpuBlurLab(bgr, 0, emu);
    EXPECT_EQ(0, cv::norm(cpu, emu, NORM_INF));
    // Blurred, on odd sizes and on a ROI (blurred as an image of its own on both sides).
    const Mat roi = bgr(Rect(3, 5, 101, 77));
    for (int k : { 3, 5, 7, 9 })
        for (const Mat& m : { roi, Mat(bgr(Rect(0, 0, 19, 1)).clone()), Mat(bgr(Rect(0, 0, 1, 23)).clone()) })
        {
            escrf::detail::slicBlurLab(m, k, cpu);
            escrf::detail::emulateGpuBlurLab(m, k, emu);
            EXPECT_EQ(0, cv::norm(cpu, emu, NORM_INF)) << "ksize " << k << ", " << m.cols << "x" << m.rows;
        }
}

// The SIMD assignment step against the device functor it vectorises, with SLICO-like colour
// scales and cells whose width is not a multiple of the vector width.
TEST(Escrf_SuperpixelsCpu, simd_assignment_equals_device_functor)
{
    Mat lab;
    escrf::detail::slicBlurLab(makeScene(Size(211, 157), 9), 3, lab);
    RNG rng(3);
    for (int step : { 5, 7, 13 })
    {
        const escrf::detail::SlicGrid g = escrf::detail::makeSlicGrid(lab.size(), step);
        Mat centres;
        escrf::detail::initSlicCentres(lab, g, centres);
        for (int k = 0; k < centres.rows; k++)  // centres away from their cell middles
        {
            centres.at<float>(k, 3) += rng.uniform(-3.f, 3.f);
            centres.at<float>(k, 4) += rng.uniform(-3.f, 3.f);
        }
        std::vector<float> invColor(centres.rows);
        for (float& v : invColor)
            v = rng.uniform(0.001f, 0.05f);
        const float invSpatial = 1.f / (float)(step * step);
        Mat cpu, ref(lab.size(), CV_32SC1);
        escrf::detail::slicAssignCpu(lab, centres, g, invColor, invSpatial, cpu);
        const escrf::slicdev::SlicAssign assign{ lab.ptr<uint8_t>(), centres.ptr<float>(), invColor.data(),
                                                 ref.ptr<int>(), lab.cols, lab.rows, g.gx, g.gy, invSpatial };
        for (int y = 0; y < lab.rows; y++)
            for (int x = 0; x < lab.cols; x++)
                assign(x, y);
        EXPECT_EQ(0, countNonZero(cpu != ref)) << "step " << step;
    }
}

void expectError(const Mat& img, const SuperpixelParams& p, const std::string& fragment)
{
    Mat labels;
    try
    {
        escrf::computeSuperpixels(img, labels, p);
        ADD_FAILURE() << "no exception; expected one saying: " << fragment;
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string::npos, e.err.find(fragment)) << e.err;
    }
}

TEST(Escrf_SuperpixelsCpu, bad_parameters_name_the_argument)
{
    const Mat img = makeScene(Size(40, 30), 1);
    const SuperpixelParams ok = escrfParams(escrf::SUPERPIXEL_SLIC, 20);
    Mat labels;
    EXPECT_NO_THROW(escrf::computeSuperpixels(img, labels, ok));
    auto with = [&](std::function<void(SuperpixelParams&)> change) {
        SuperpixelParams p = ok;
        change(p);
        return p;
    };
    expectError(img, with([](SuperpixelParams& p) { p.implementation = 2; }), "params.implementation = 2");
    expectError(img, with([](SuperpixelParams& p) { p.implementation = -1; }), "params.implementation = -1");
    expectError(img, with([](SuperpixelParams& p) { p.algorithm = escrf::SUPERPIXEL_MSLIC; }),
                "params.algorithm = SUPERPIXEL_MSLIC needs params.implementation = SUPERPIXEL_IMPL_XIMGPROC");
    expectError(img, with([](SuperpixelParams& p) { p.algorithm = 99; }), "params.algorithm = 99");
    expectError(img, with([](SuperpixelParams& p) { p.numSuperpixels = 0; }), "params.numSuperpixels = 0");
    expectError(img, with([](SuperpixelParams& p) { p.numSuperpixels = 1200; }), "params.numSuperpixels = 1200");
    expectError(img, with([](SuperpixelParams& p) { p.ruler = -1.f; }), "params.ruler");
    expectError(img, with([](SuperpixelParams& p) { p.iterations = 0; }), "params.iterations = 0");
    expectError(img, with([](SuperpixelParams& p) { p.minElementSize = 101; }), "params.minElementSize = 101");
    expectError(img, with([](SuperpixelParams& p) { p.blurKernel = 2; }), "params.blurKernel = 2");
    expectError(img, with([](SuperpixelParams& p) { p.device = 5; }), "params.device = 5");
    SuperpixelParams ximgprocOnCuda = ok;
    ximgprocOnCuda.implementation = escrf::SUPERPIXEL_IMPL_XIMGPROC;
    ximgprocOnCuda.device = escrf::SUPERPIXEL_DEVICE_CUDA;
    expectError(img, ximgprocOnCuda, "params.device = SUPERPIXEL_DEVICE_CUDA needs params.implementation");
    expectError(Mat(), ok, "image is empty");
    expectError(Mat(30, 40, CV_8UC1, Scalar(0)), ok, "expected CV_8UC3");
    // The CPU path sums a row's coordinates in 32 bits: rows up to 65535 pixels.
    expectError(Mat(1, 65536, CV_8UC3, Scalar::all(7)), ok, "image of 65536 x 1 pixels");
}

TEST(Escrf_SuperpixelsCpu, roi_input_gives_the_labels_of_its_clone)
{
    const Mat big = makeScene(Size(300, 200), 4);
    const Mat roi = big(Rect(17, 23, 161, 119));
    ASSERT_FALSE(roi.isContinuous());
    for (int impl : { escrf::SUPERPIXEL_IMPL_ESCRF, escrf::SUPERPIXEL_IMPL_XIMGPROC })
    {
        SuperpixelParams p = escrfParams(escrf::SUPERPIXEL_SLIC, 150);
        p.implementation = impl;
        Mat a, b;
        EXPECT_EQ(escrf::computeSuperpixels(roi.clone(), a, p), escrf::computeSuperpixels(roi, b, p)) << impl;
        EXPECT_EQ(0, countNonZero(a != b)) << "implementation " << impl;
    }
}

// The quality figures of doc/architecture.md on every 10th CamVid val image (the whole val set
// is measured by samples/escrf_superpixel_quality.cpp): the module's SLIC must not be worse
// than ximgproc by more than one point on either measure, at both settings of the issue.
TEST(Escrf_SuperpixelsCpu, camvid_quality_close_to_ximgproc)
{
    std::string list;
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    const std::string root = list.substr(0, list.rfind('/') + 1);
    for (int algo : { escrf::SUPERPIXEL_SLIC, escrf::SUPERPIXEL_SLICO })
    {
        const int n = algo == escrf::SUPERPIXEL_SLIC ? 2500 : 600;
        double recall[2] = { 0, 0 }, error[2] = { 0, 0 };
        int images = 0;
        std::ifstream in(list);
        std::string img, ann;
        for (int line = 0; in >> img >> ann; line++)
        {
            if (line % 10 != 0)
                continue;
            const Mat bgr = imread(root + img, IMREAD_COLOR), gt = imread(root + ann, IMREAD_GRAYSCALE);
            ASSERT_FALSE(bgr.empty() || gt.empty()) << img;
            for (int impl = 0; impl < 2; impl++)
            {
                SuperpixelParams p = escrfParams(algo, n);
                p.implementation = impl == 0 ? escrf::SUPERPIXEL_IMPL_XIMGPROC : escrf::SUPERPIXEL_IMPL_ESCRF;
                Mat labels;
                escrf::computeSuperpixels(bgr, labels, p);
                recall[impl] += escrf::superpixelBoundaryRecall(labels, gt, 2);
                error[impl] += escrf::superpixelUndersegmentationError(labels, gt);
            }
            images++;
        }
        ASSERT_GT(images, 0);
        for (int impl = 0; impl < 2; impl++)
            std::cout << (impl ? "escrf   " : "ximgproc") << (algo == escrf::SUPERPIXEL_SLIC ? " SLIC ruler 5, " : " SLICO, ")
                      << n << " superpixels, " << images << " CamVid val images: boundary recall "
                      << cv::format("%.2f%%", 100 * recall[impl] / images) << ", under-segmentation error "
                      << cv::format("%.2f%%", 100 * error[impl] / images) << std::endl;
        EXPECT_GE(recall[1] / images, recall[0] / images - 0.01) << "algorithm " << algo;
        EXPECT_LE(error[1] / images, error[0] / images + 0.01) << "algorithm " << algo;
    }
}

TEST(Escrf_SuperpixelQuality, hand_computed_values_and_bad_input)
{
    // Regions: left half 0, right half 1 (4x4). Superpixels: columns 0 | 1-2 | 3.
    Mat gt(4, 4, CV_8UC1, Scalar(0));
    gt(Rect(2, 0, 2, 4)).setTo(1);
    Mat sp(4, 4, CV_32SC1, Scalar(1));
    sp.col(0).setTo(0);
    sp.col(3).setTo(2);
    // Region boundary: column 1 (right neighbour differs). Superpixel boundaries: columns 0
    // and 2, both at distance 1: recalled with tolerance 1, not with 0.
    EXPECT_DOUBLE_EQ(1.0, escrf::superpixelBoundaryRecall(sp, gt, 1));
    EXPECT_DOUBLE_EQ(0.0, escrf::superpixelBoundaryRecall(sp, gt, 0));
    // Superpixel 1 (8 pixels) covers 4 of each region: min(4, 4) twice = 8 of 16 pixels.
    EXPECT_DOUBLE_EQ(0.5, escrf::superpixelUndersegmentationError(sp, gt));
    Mat regionsAsSuperpixels;
    gt.convertTo(regionsAsSuperpixels, CV_32S);
    EXPECT_DOUBLE_EQ(0.0, escrf::superpixelUndersegmentationError(regionsAsSuperpixels, gt));
    EXPECT_DOUBLE_EQ(1.0, escrf::superpixelBoundaryRecall(sp, Mat(4, 4, CV_32SC1, Scalar(3)), 2));
    EXPECT_THROW(escrf::superpixelBoundaryRecall(sp, gt, -1), cv::Exception);
    EXPECT_THROW(escrf::superpixelUndersegmentationError(Mat(4, 4, CV_8UC1, Scalar(0)), gt), cv::Exception);
    EXPECT_THROW(escrf::superpixelUndersegmentationError(sp, Mat(3, 4, CV_8UC1, Scalar(0))), cv::Exception);
    EXPECT_THROW(escrf::superpixelBoundaryRecall(sp, Mat(4, 4, CV_32FC1, Scalar(0)), 2), cv::Exception);
}

// ---------------------------------------------------------------- head files

Ptr<escrf::Head> smallHead(int implementation)
{
    escrf::HeadConfig cfg;
    cfg.inputs = { "feat" };
    cfg.numClasses = 3;
    cfg.projection = 4;
    cfg.block.embedDim = 4;
    cfg.block.posDim = 4;
    cfg.superpixels.implementation = implementation;
    return escrf::Head::create(cfg, { 5 });
}

std::string saveToText(const Ptr<escrf::Head>& head)
{
    const std::string file = cv::tempfile(".yml");
    head->save(file);
    std::ifstream in(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(file.c_str());
    return text;
}

Ptr<escrf::Head> loadFromText(const std::string& text)
{
    const std::string file = cv::tempfile(".yml");
    std::ofstream(file, std::ios::binary) << text;
    Ptr<escrf::Head> head;
    try
    {
        head = escrf::Head::load(file);
    }
    catch (...)
    {
        std::remove(file.c_str());
        throw;
    }
    std::remove(file.c_str());
    return head;
}

TEST(Escrf_SuperpixelsHeadFile, implementation_is_stored_and_old_files_load_as_ximgproc)
{
    for (int impl : { escrf::SUPERPIXEL_IMPL_XIMGPROC, escrf::SUPERPIXEL_IMPL_ESCRF })
        EXPECT_EQ(impl, loadFromText(saveToText(smallHead(impl)))->config().superpixels.implementation);
    // A head written before the key existed: trained with ximgproc, loads as ximgproc. Edited as
    // a version 1 file (no checksum line), as such heads were written.
    std::string text = saveToText(smallHead(escrf::SUPERPIXEL_IMPL_ESCRF));
    text = text.substr(0, text.rfind("# escrf-checksum"));
    ASSERT_NE(std::string::npos, text.find("version: 2"));
    text.replace(text.find("version: 2"), 10, "version: 1");
    const size_t key = text.find("implementation: escrf");
    ASSERT_NE(std::string::npos, key);
    std::string old = text;
    const size_t lineStart = text.rfind('\n', key) + 1;
    old.erase(lineStart, text.find('\n', key) + 1 - lineStart);
    EXPECT_EQ(escrf::SUPERPIXEL_IMPL_XIMGPROC, loadFromText(old)->config().superpixels.implementation);
    std::string bad = text;
    bad.replace(key, 21, "implementation: fast");
    try
    {
        loadFromText(bad);
        ADD_FAILURE() << "an unknown implementation must not load";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string::npos, e.err.find("key 'implementation'")) << e.err;
    }
    EXPECT_THROW(smallHead(7)->save(cv::tempfile(".yml")), cv::Exception);
}

}} // namespace
