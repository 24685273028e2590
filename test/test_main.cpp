// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "test_precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include <cstdlib>

namespace opencv_test {

bool escrfFileExists(const std::string& path)
{
    return cv::utils::fs::exists(path);
}

std::string escrfTestDataPath(const std::string& name)
{
    return cv::utils::fs::join(cv::utils::fs::join(cv::utils::fs::getParent(__FILE__), "data"), name);
}

std::string writeToyBackbone(const std::string& dir)
{
    const std::string file = dir + "/tiny_backbone.yml";
    cv::FileStorage fs(file, cv::FileStorage::WRITE);
    fs << "tiny" << "{" << "model" << escrfTestDataPath("escrf_tiny_backbone.onnx")
       << "mean" << std::vector<double>{ 0, 0, 0 } << "std" << std::vector<double>{ 1, 1, 1 }
       << "scale" << 1.0 / 255 << "rgb" << 0 << "width" << 32 << "height" << 24 << "size_multiple" << 2
       << "features" << std::vector<cv::String>{ "feat_a", "feat_b" } << "logits" << "feat_a"
       << "classes" << std::vector<cv::String>{ "background", "box", "disc" } << "ignore_label" << 255 << "}";
    return file;
}

cv::escrf::HeadConfig toyHeadConfig(int variant, int projection)
{
    cv::escrf::HeadConfig cfg;
    cfg.variant = variant;
    cfg.inputs = { "feat_a", "feat_b" };
    cfg.projection = projection;
    cfg.numClasses = 3;
    cfg.superpixels.numSuperpixels = 20;
    cfg.block.embedDim = 4;
    cfg.block.posDim = 4;
    // The comparison variants at the scale of a 32 x 24 image.
    cfg.jointCrf.factor = 2;
    cfg.jointCrf.bilateralSxy = 8.f;
    cfg.jointCrf.bilateralSrgb = 40.f;
    cfg.jointCrf.spatialSxy = 2.f;
    cfg.nonlocal.embedDim = 4;
    cfg.nonlocal.factor = 2;
    return cfg;
}

void makeGridGuide(cv::Size headSize, int gridColumns, int numSuperpixels, const cv::escrf::EscrfBlockParams& params,
                   cv::RNG& rng, cv::escrf::EscrfGuide& guide)
{
    cv::Mat image(headSize.height * 2, headSize.width * 2, CV_32FC3);
    rng.fill(image, cv::RNG::UNIFORM, 0.f, 1.f);
    cv::Mat sp(image.size(), CV_32S);
    for (int y = 0; y < sp.rows; y++)
        for (int x = 0; x < sp.cols; x++)
            sp.at<int>(y, x) = (y / 5) * gridColumns + x / 5;
    cv::escrf::prepareGuide(image, sp, numSuperpixels, headSize, params, guide);
}

void expectThrowContaining(const std::function<void()>& f, const std::vector<std::string>& fragments)
{
    std::string expected;
    for (const std::string& t : fragments)
        expected += " '" + t + "'";
    try
    {
        f();
        ADD_FAILURE() << "no exception, expected one mentioning" << expected;
    }
    catch (const cv::Exception& e)
    {
        for (const std::string& t : fragments)
            EXPECT_NE(std::string(e.what()).find(t), std::string::npos) << "'" << t << "' not in: " << e.what();
    }
}

std::string escrfSharedDir()
{
    const char* env = std::getenv("ESCRF_SHARED_DIR");
    std::string dir = env && *env ? std::string(env) : std::string();
#ifdef ESCRF_DEFAULT_SHARED_DIR
    if (dir.empty())
        dir = ESCRF_DEFAULT_SHARED_DIR;
#endif
    if (dir.empty())
        dir = "../shared";
    return cv::utils::fs::isDirectory(dir) ? dir : std::string();
}

} // namespace opencv_test

#ifdef ESCRF_STANDALONE
int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
#else
CV_TEST_MAIN("escrf")
#endif
