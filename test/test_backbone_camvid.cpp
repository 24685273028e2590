// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Backbone descriptions and the cv::dnn runner, and the acceptance test of the whole chain
// (description -> preprocessing -> ESPNet -> argmax -> metrics) against the numbers published
// with the shared model (../shared/models/README.md).

#include "test_precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include <fstream>
#include <cstdio>
#include <functional>

namespace opencv_test { namespace {

using namespace cv::escrf;

const char* const kValidEntry =
    "%YAML:1.0\n"
    "---\n"
    "first:\n"
    "  model: \"net.onnx\"\n"
    "  mean: [ 1, 2, 3 ]\n"
    "  std: [ 4, 5, 6 ]\n"
    "  scale: 0.5\n"
    "  rgb: 1\n"
    "  width: 64\n"
    "  height: 32\n"
    "  size_multiple: 16\n"
    "  features: [ \"f1\", \"f2\" ]\n"
    "  logits: \"out\"\n"
    "  classes: [ \"a\", \"b\" ]\n"
    "  colors: [ [1,2,3], [4,5,6] ]\n"
    "  ignore_label: 255\n"
    "second:\n"
    "  model: \"/abs/other.onnx\"\n"
    "  mean: [ 0, 0, 0 ]\n"
    "  std: [ 1, 1, 1 ]\n"
    "  scale: 1\n"
    "  rgb: 0\n"
    "  width: 8\n"
    "  height: 8\n"
    "  size_multiple: 8\n"
    "  logits: \"y\"\n"
    "  classes: [ \"only\" ]\n";

struct TempFile
{
    std::string path;
    explicit TempFile(const std::string& text, const char* suffix = ".yml")
    {
        path = cv::tempfile(suffix);
        std::ofstream(path.c_str()) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

std::string replaced(std::string s, const std::string& from, const std::string& to)
{
    const size_t pos = s.find(from);
    CV_Assert(pos != std::string::npos);
    return s.replace(pos, from.size(), to);
}

TEST(Escrf_Backbone, description_reads_first_or_named_entry)
{
    TempFile f(kValidEntry);
    const BackboneDescription d = BackboneDescription::read(f.path);
    EXPECT_EQ(d.name, "first");
    // Relative to the description's folder.
    const std::string folder = f.path.substr(0, f.path.find_last_of('/'));
    EXPECT_EQ(d.model, folder + "/net.onnx");
    EXPECT_EQ(d.mean, Scalar(1, 2, 3));
    EXPECT_EQ(d.stddev, Scalar(4, 5, 6));
    EXPECT_EQ(d.scale, 0.5);
    EXPECT_TRUE(d.rgb);
    EXPECT_EQ(d.width, 64);
    EXPECT_EQ(d.height, 32);
    EXPECT_EQ(d.sizeMultiple, 16);
    ASSERT_EQ(d.features.size(), 2u);
    EXPECT_EQ(d.features[1], "f2");
    EXPECT_EQ(d.logits, "out");
    EXPECT_EQ(d.numClasses(), 2);
    ASSERT_EQ(d.colors.size(), 2u);
    EXPECT_EQ(d.colors[1], Vec3b(4, 5, 6));
    EXPECT_EQ(d.ignoreLabel, 255);

    const BackboneDescription s = BackboneDescription::read(f.path, "second");
    EXPECT_EQ(s.name, "second");
    EXPECT_EQ(s.model, "/abs/other.onnx");
    EXPECT_TRUE(s.features.empty());
    EXPECT_TRUE(s.colors.empty());
    EXPECT_EQ(s.ignoreLabel, -1);
    EXPECT_FALSE(s.rgb);

    expectThrowContaining([&] { BackboneDescription::read(f.path, "third"); }, { "third", "first, second" });
}

TEST(Escrf_Backbone, description_write_read_roundtrip)
{
    TempFile f(kValidEntry);
    const BackboneDescription d = BackboneDescription::read(f.path);
    FileStorage out(".yml", FileStorage::WRITE | FileStorage::MEMORY);
    out << "head" << "{";
    out << "backbone" << "{";
    d.write(out);
    out << "}";
    out << "}";
    const std::string text = out.releaseAndGetString();
    FileStorage in(text, FileStorage::READ | FileStorage::MEMORY);
    BackboneDescription r;
    r.read(in["head"]["backbone"], "/elsewhere", "memory");
    EXPECT_EQ(r.name, d.name);
    EXPECT_EQ(r.model, d.model);  // already absolute: baseDir does not change it
    EXPECT_EQ(r.mean, d.mean);
    EXPECT_EQ(r.stddev, d.stddev);
    EXPECT_EQ(r.scale, d.scale);
    EXPECT_EQ(r.rgb, d.rgb);
    EXPECT_EQ(r.width, d.width);
    EXPECT_EQ(r.height, d.height);
    EXPECT_EQ(r.sizeMultiple, d.sizeMultiple);
    EXPECT_EQ(r.features, d.features);
    EXPECT_EQ(r.logits, d.logits);
    EXPECT_EQ(r.classes, d.classes);
    EXPECT_EQ(r.colors, d.colors);
    EXPECT_EQ(r.ignoreLabel, d.ignoreLabel);
}

TEST(Escrf_Backbone, description_errors_name_key_and_file)
{
    expectThrowContaining([] { BackboneDescription::read("no_such_description.yml"); },
                          { "no_such_description.yml" });
    {
        TempFile f("%YAML:1.0\n---\nx: [ 1, 2\n  y: }\n");
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { f.path });
    }
    {
        TempFile f(replaced(kValidEntry, "  logits: \"out\"\n", ""));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { f.path, "'logits'", "missing", "first" });
    }
    {
        TempFile f(replaced(kValidEntry, "std: [ 4, 5, 6 ]", "std: [ 4, 0, 6 ]"));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { f.path, "'std'", "> 0" });
    }
    {
        TempFile f(replaced(kValidEntry, "mean: [ 1, 2, 3 ]", "mean: [ 1, 2 ]"));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { "'mean'", "3 numbers" });
    }
    {
        TempFile f(replaced(kValidEntry, "width: 64", "width: 60"));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { "'width'", "multiple of size_multiple 16" });
    }
    {
        TempFile f(replaced(kValidEntry, "width: 64", "width: \"wide\""));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { "'width'", "integer" });
    }
    {
        TempFile f(replaced(kValidEntry, "colors: [ [1,2,3], [4,5,6] ]", "colors: [ [1,2,3] ]"));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { "'colors'", "one colour per class" });
    }
    {
        TempFile f(replaced(kValidEntry, "ignore_label: 255", "ignore_label: 1"));
        expectThrowContaining([&] { BackboneDescription::read(f.path); }, { "'ignore_label'" });
    }
}

struct CamvidBackbone
{
    static Ptr<Backbone>& get(const std::string& yml)
    {
        static Ptr<Backbone> b;
        if (!b)
            b = Backbone::create(BackboneDescription::read(yml));
        return b;
    }
};

TEST(Escrf_Backbone, espnet_description_and_preprocessing)
{
    std::string yml;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    const BackboneDescription d = BackboneDescription::read(yml);
    EXPECT_EQ(d.name, "espnet_camvid");
    EXPECT_TRUE(cv::utils::fs::exists(d.model)) << d.model;
    EXPECT_EQ(d.numClasses(), 11);
    EXPECT_EQ(d.ignoreLabel, 11);
    EXPECT_EQ(d.sizeMultiple, 8);
    EXPECT_EQ(d.features.size(), 4u);

    Ptr<Backbone> b = CamvidBackbone::get(yml);
    EXPECT_EQ(b->numClasses(), 11);
    // One pixel (B, G, R) = (200, 100, 50): blob channel c = ((x_c - mean_c) / std_c) * scale,
    // channels in BGR order since rgb = 0.
    Mat img(8, 16, CV_8UC3, Scalar(200, 100, 50));
    const Mat blob = b->blobFromImage(img);
    ASSERT_EQ(blob.dims, 4);
    EXPECT_EQ(blob.size[0], 1);
    EXPECT_EQ(blob.size[1], 3);
    EXPECT_EQ(blob.size[2], 8);
    EXPECT_EQ(blob.size[3], 16);
    const double x[3] = { 200, 100, 50 };
    for (int c = 0; c < 3; c++)
        EXPECT_NEAR(blob.ptr<float>(0, c)[5], (x[c] - d.mean[c]) / d.stddev[c] * d.scale, 1e-6) << "channel " << c;
}

TEST(Escrf_Backbone, espnet_forward_checks_outputs_and_size)
{
    std::string yml;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    Ptr<Backbone> b = CamvidBackbone::get(yml);
    std::vector<Mat> outs;
    expectThrowContaining([&] { b->forward(Mat(64, 60, CV_8UC3, Scalar::all(0)), { "logits" }, outs); },
                          { "60x64", "multiple of 8" });
    expectThrowContaining([&] { b->forward(Mat(64, 64, CV_8UC1, Scalar::all(0)), { "logits" }, outs); },
                          { "CV_8UC3" });
    expectThrowContaining([&] { b->forward(Mat(64, 64, CV_8UC3, Scalar::all(0)), { "logits", "no_such_output" }, outs); },
                          { "'no_such_output'", "not an output" });

    // A small input: logits at full resolution, 12 channels; the features at their strides.
    b->forward(Mat(64, 96, CV_8UC3, Scalar(90, 120, 40)), { "logits", "feat_s8" }, outs);
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[0].size[1], 12);
    EXPECT_EQ(outs[0].size[2], 64);
    EXPECT_EQ(outs[0].size[3], 96);
    EXPECT_EQ(outs[1].size[1], 256);
    EXPECT_EQ(outs[1].size[2], 8);
    EXPECT_EQ(outs[1].size[3], 12);
    // Outputs are the caller's: the next forward does not overwrite them.
    const Mat before = outs[0].clone();
    std::vector<Mat> outs2;
    b->forward(Mat(64, 96, CV_8UC3, Scalar(10, 200, 250)), { "logits" }, outs2);
    EXPECT_EQ(cv::norm(outs[0], before, NORM_INF), 0);
    // Nor does the next forward of the same net (same size and outputs), whose blobs are reused:
    // the outputs are copies, not the net's blobs.
    std::vector<Mat> outs3;
    b->forward(Mat(64, 96, CV_8UC3, Scalar(10, 200, 250)), { "logits", "feat_s8" }, outs3);
    EXPECT_EQ(cv::norm(outs[0], before, NORM_INF), 0);
    EXPECT_GT(cv::norm(outs3[0], before, NORM_INF), 0);

    // Changing the input size or the requested outputs between forwards must not change the
    // results (OpenCV 4.6 re-fuses already fused weights when a used net is set up again).
    Mat img(64, 96, CV_8UC3);
    randu(img, 0, 256);
    Ptr<Backbone> fresh = Backbone::create(BackboneDescription::read(yml));
    std::vector<Mat> ref, got;
    fresh->forward(img, { "logits" }, ref);
    fresh->forward(Mat(32, 48, CV_8UC3, Scalar::all(7)), { "logits" }, got);
    fresh->forward(img, { "logits", "feat_s8" }, got);
    EXPECT_LE(cv::norm(got[0], ref[0], NORM_INF), 1e-4);
    fresh->forward(img, { "logits" }, got);
    EXPECT_LE(cv::norm(got[0], ref[0], NORM_INF), 1e-4);
    Mat labels, expectedLabels;
    fresh->predict(img, labels);
    argmaxChannels(ref[0], 11, expectedLabels);
    EXPECT_EQ(cv::norm(labels, expectedLabels, NORM_INF), 0);

    // A description whose outputs are not in the net fails at load time.
    BackboneDescription d = BackboneDescription::read(yml);
    d.features.push_back("feat_s16");
    expectThrowContaining([&] { Backbone::create(d); }, { "'feat_s16'", "features" });
}

TEST(Escrf_Backbone, camvid_val_espnet_reference_scores)
{
    std::string yml, list;
    ESCRF_REQUIRE_SHARED("models/espnet_camvid.yml", yml);
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    Ptr<Backbone> b = CamvidBackbone::get(yml);
    const BackboneDescription d = b->description();
    Dataset ds(list);
    ASSERT_EQ(ds.size(), 101);
    SegmentationMetrics metrics(d.numClasses(), d.ignoreLabel);
    Mat image, label, pred;
    for (int i = 0; i < ds.size(); i++)
    {
        ds.load(i, image, label);
        b->predict(image, pred);  // argmax over the first 11 of the 12 logits
        metrics.add(pred, label);
    }
    std::cout << metrics.report(d.classes);
    std::printf("mIoU %.4f  boundary F %.4f  pixel accuracy %.4f (percent)\n", 100 * metrics.meanIoU(),
                100 * metrics.meanBoundaryF(), 100 * metrics.pixelAccuracy());
    // Published with the model (../shared/models/README.md): mIoU 69.35, boundary F 44.00,
    // pixel accuracy 93.30 (percent).
    EXPECT_NEAR(100 * metrics.meanIoU(), 69.35, 0.05);
    EXPECT_NEAR(100 * metrics.meanBoundaryF(), 44.00, 0.05);
    EXPECT_NEAR(100 * metrics.pixelAccuracy(), 93.30, 0.05);
}

}} // namespace
