// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The internal utilities of src/core: atomic file writing and the size alignment.
#include "test_precomp.hpp"
#include "core/alignment.hpp"
#include "core/atomic_file.hpp"
#include "opencv2/core/utils/filesystem.hpp"

#include <fstream>
#include <iterator>

namespace opencv_test {
namespace {

using cv::escrf::detail::sizeAlignment;
using cv::escrf::detail::writeFileAtomically;
using cv::escrf::detail::writeImageAtomically;

std::string readBytes(const std::string& file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t filesIn(const std::string& dir)
{
    std::vector<String> files;
    utils::fs::glob(dir, "*", files, false, true); // folders too
    return files.size();
}

TEST(Escrf_Utils, write_file_atomically_writes_overwrites_and_leaves_no_temporary_file)
{
    const std::string dir = cv::tempfile("_escrf_atomic");
    ASSERT_TRUE(utils::fs::createDirectories(dir));
    const std::string file = dir + "/a.bin";
    const std::string first("first\0with a zero byte", 22);
    writeFileAtomically(file, first, "test file");
    EXPECT_EQ(first, readBytes(file));
    writeFileAtomically(file, "second", "test file"); // shorter: the old tail must not survive
    EXPECT_EQ("second", readBytes(file));
    writeFileAtomically(file, "", "test file");
    EXPECT_EQ("", readBytes(file));
    EXPECT_TRUE(utils::fs::exists(file));
    EXPECT_EQ(1u, filesIn(dir)) << "temporary file left behind";
    utils::fs::remove_all(dir);
}

TEST(Escrf_Utils, write_file_atomically_failures_name_the_path_and_clean_up)
{
    const std::string dir = cv::tempfile("_escrf_atomic");
    ASSERT_TRUE(utils::fs::createDirectories(dir));
    // The folder does not exist: the temporary file cannot be created.
    const std::string missing = dir + "/no/such/folder/x.bin";
    expectThrowContaining([&] { writeFileAtomically(missing, "bytes", "test file"); }, { "test file", missing });
    // The target is a non-empty folder: writing works, the rename fails, the temporary file goes.
    const std::string busy = dir + "/busy";
    ASSERT_TRUE(utils::fs::createDirectories(busy + "/inside"));
    expectThrowContaining([&] { writeFileAtomically(busy, "bytes", "checkpoint"); }, { "checkpoint", busy });
    EXPECT_EQ(1u, filesIn(dir)) << "temporary file left behind after a failed rename";
    EXPECT_TRUE(utils::fs::isDirectory(busy + "/inside"));
    utils::fs::remove_all(dir);
}

TEST(Escrf_Utils, write_image_atomically_encodes_by_extension)
{
    const std::string dir = cv::tempfile("_escrf_atomic");
    ASSERT_TRUE(utils::fs::createDirectories(dir));
    Mat img8(5, 7, CV_8UC3), img16(4, 3, CV_16UC1);
    randu(img8, 0, 256);
    randu(img16, 0, 65536);
    writeImageAtomically(dir + "/a.png", img8, "test image");
    writeImageAtomically(dir + "/b.png", img16, "test image");
    writeImageAtomically(dir + "/b.png", img16 / 2, "test image"); // overwrite
    Mat r8 = imread(dir + "/a.png", IMREAD_UNCHANGED), r16 = imread(dir + "/b.png", IMREAD_UNCHANGED);
    ASSERT_EQ(CV_8UC3, r8.type());
    ASSERT_EQ(CV_16UC1, r16.type());
    EXPECT_EQ(0, cv::norm(img8, r8, NORM_INF));
    EXPECT_EQ(0, cv::norm(img16 / 2, r16, NORM_INF));
    EXPECT_EQ(2u, filesIn(dir)) << "temporary file left behind";
    expectThrowContaining([&] { writeImageAtomically(dir + "/no/such/c.png", img8, "training plot"); },
                    { "training plot", dir + "/no/such/c.png" });
    expectThrowContaining([&] { writeImageAtomically(dir + "/noextension", img8, "training plot"); },
                    { "training plot", "extension" });
    EXPECT_EQ(2u, filesIn(dir));
    utils::fs::remove_all(dir);
}

TEST(Escrf_Utils, size_alignment_is_the_lcm_of_size_multiple_and_stride)
{
    EXPECT_EQ(1, sizeAlignment(1, 1));
    EXPECT_EQ(8, sizeAlignment(8, 4));   // 4 divides 8
    EXPECT_EQ(8, sizeAlignment(2, 8));
    EXPECT_EQ(12, sizeAlignment(4, 6));  // gcd 2: 4 * 6 / 2
    EXPECT_EQ(15, sizeAlignment(3, 5));  // coprime
    EXPECT_EQ(4, sizeAlignment(0, 4));   // no backbone constraint
    EXPECT_EQ(4, sizeAlignment(-3, 4));
    EXPECT_THROW(sizeAlignment(2, 0), cv::Exception);
}

}} // namespace
