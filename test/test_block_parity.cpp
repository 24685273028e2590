// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Parity with an independent reference implementation: every *.yml.gz fixture in
// $ESCRF_PARITY_DIR (default <shared>/data/parity) holds one forward and backward pass of the
// reference semantics; the block runs them in float32 and must agree within 1e-4 of each
// tensor's largest magnitude.

#include "test_precomp.hpp"
#include "opencv2/escrf/block.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include <cstdlib>

namespace opencv_test { namespace {

using namespace cv::escrf;

std::string parityDir()
{
    const char* env = std::getenv("ESCRF_PARITY_DIR");
    if (env && *env)
        return env;
    const std::string shared = escrfSharedDir();
    return shared.empty() ? std::string() : shared + "/data/parity";
}

int readInt(const FileStorage& fs, const char* key, const std::string& file)
{
    FileNode n = fs[key];
    if (n.empty())
        ADD_FAILURE() << file << ": key '" << key << "' missing";
    return n.empty() ? 0 : (int)n;
}

Mat readMat(const FileStorage& fs, const char* key, const std::string& file)
{
    Mat m;
    fs[key] >> m;
    if (m.empty())
        ADD_FAILURE() << file << ": matrix '" << key << "' missing";
    return m;
}

// |ours - ref|_inf <= 1e-4 |ref|_inf, with the failing fixture and tensor named.
void expectClose(const std::string& file, const char* name, const Mat& ours, const Mat& ref)
{
    ASSERT_EQ(ours.size(), ref.size()) << file << ": " << name << " shape";
    Mat a, b;
    ours.convertTo(a, CV_64F);
    ref.convertTo(b, CV_64F);
    const double scale = norm(b, NORM_INF), err = norm(a, b, NORM_INF);
    EXPECT_LE(err, 1e-4 * std::max(scale, 1e-12))
        << file << ": " << name << " differs: max |ours - ref| = " << err << ", max |ref| = " << scale;
}

void runFixture(const std::string& file)
{
    SCOPED_TRACE(file);
    FileStorage fs(file, FileStorage::READ);
    ASSERT_TRUE(fs.isOpened()) << "cannot open " << file;
    const int C = readInt(fs, "C", file), h = readInt(fs, "h", file), w = readInt(fs, "w", file);
    const int E = readInt(fs, "E", file), P = readInt(fs, "P", file);
    EscrfBlockParams params;
    params.embedDim = E;
    params.posDim = P;
    params.window = readInt(fs, "k", file);
    params.dilation = readInt(fs, "dilation", file);
    params.alphaS = (float)(double)fs["alpha_s"];
    params.alphaP = (float)(double)fs["alpha_p"];

    Mat F = readMat(fs, "F", file), I = readMat(fs, "I", file), S = readMat(fs, "S", file);
    EscrfBlockWeights weights;
    weights.W_img = readMat(fs, "W_img", file);
    weights.W_pos = readMat(fs, "W_pos", file);
    weights.w_comp = readMat(fs, "w_comp", file);
    weights.alphaS = params.alphaS;
    weights.alphaP = params.alphaP;
    Mat dOut = readMat(fs, "dOut", file);
    ASSERT_FALSE(::testing::Test::HasFailure());
    ASSERT_EQ(F.rows, C);
    ASSERT_EQ(F.cols, h * w);
    ASSERT_EQ(I.type(), CV_32FC3);
    ASSERT_EQ(S.type(), CV_32SC1);

    double maxLabel = 0;
    minMaxIdx(S, nullptr, &maxLabel);
    EscrfGuide guide;
    prepareGuide(I, S, (int)maxLabel + 1, Size(w, h), params, guide, CV_32F);

    Mat out, dF;
    EscrfBlockCache cache;
    escrfBlockForward(params, weights, guide, F, out, &cache);
    EscrfBlockWeights grads = weights.zerosLike();
    escrfBlockBackward(params, weights, guide, F, cache, dOut, dF, grads);

    expectClose(file, "out", out, readMat(fs, "out", file));
    expectClose(file, "dF", dF, readMat(fs, "dF", file));
    expectClose(file, "dW_img", grads.W_img, readMat(fs, "dW_img", file));
    expectClose(file, "dW_pos", grads.W_pos, readMat(fs, "dW_pos", file));
    expectClose(file, "dw_comp", grads.w_comp, readMat(fs, "dw_comp", file));
}

TEST(Escrf_BlockParity, fixtures)
{
    const std::string dir = parityDir();
    if (dir.empty() || !cv::utils::fs::isDirectory(dir))
        GTEST_SKIP() << "parity fixtures not found: set ESCRF_PARITY_DIR or ESCRF_SHARED_DIR (default ../shared)";
    std::vector<cv::String> files;
    cv::utils::fs::glob(dir, "*.yml.gz", files);
    if (files.empty())
        GTEST_SKIP() << "no *.yml.gz parity fixture in " << dir;
    for (const cv::String& f : files)
    {
        std::cout << "[ parity   ] " << f << std::endl;
        runFixture(f);
    }
}

}} // namespace
