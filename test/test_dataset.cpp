// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Data-set list files: parsing, path resolution and the error messages of broken lists and
// samples. Each test writes its own small data set into a fresh temporary folder.

#include "test_precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include <fstream>
#include <functional>

namespace opencv_test { namespace {

using namespace cv::escrf;

struct TempDir
{
    std::string path;
    TempDir()
    {
        path = cv::tempfile("escrf_dataset");
        cv::utils::fs::remove_all(path);  // tempfile() may create a plain file of that name
        CV_Assert(cv::utils::fs::createDirectories(path + "/img") && cv::utils::fs::createDirectories(path + "/lab"));
    }
    ~TempDir() { cv::utils::fs::remove_all(path); }
    std::string file(const std::string& rel) const { return path + "/" + rel; }
    void write(const std::string& rel, const std::string& text) const
    {
        std::ofstream out(file(rel).c_str(), std::ios::binary);
        out << text;
    }
};

TEST(Escrf_Dataset, reads_pairs_skips_comments_and_resolves_paths)
{
    TempDir d;
    Mat img(3, 4, CV_8UC3, Scalar(10, 20, 30)), lab(3, 4, CV_8U, Scalar(2));
    lab.at<uchar>(1, 2) = 11;
    ASSERT_TRUE(imwrite(d.file("img/a.png"), img));
    ASSERT_TRUE(imwrite(d.file("lab/a.png"), lab));
    ASSERT_TRUE(imwrite(d.file("img/b.png"), img));
    ASSERT_TRUE(imwrite(d.file("lab/b.png"), lab));
    d.write("list.txt", "# a comment\n\nimg/a.png lab/a.png\r\n   \t\nimg/b.png\tlab/b.png   # trailing comment\n");

    Dataset ds(d.file("list.txt"));
    ASSERT_EQ(ds.size(), 2);
    EXPECT_EQ(ds.sample(0).imagePath, d.file("img/a.png"));
    EXPECT_EQ(ds.sample(0).labelPath, d.file("lab/a.png"));
    EXPECT_EQ(ds.sample(0).line, 3);
    EXPECT_EQ(ds.sample(1).line, 5);
    EXPECT_THROW(ds.sample(2), cv::Exception);

    Mat image, label;
    ds.load(1, image, label);
    EXPECT_EQ(image.type(), CV_8UC3);
    EXPECT_EQ(image.size(), Size(4, 3));
    EXPECT_EQ(image.at<Vec3b>(0, 0), Vec3b(10, 20, 30));
    ASSERT_EQ(label.type(), CV_32SC1);
    EXPECT_EQ(label.at<int>(1, 2), 11);
    EXPECT_EQ(label.at<int>(0, 0), 2);
}

TEST(Escrf_Dataset, sixteen_bit_labels_are_accepted)
{
    TempDir d;
    Mat lab(2, 2, CV_16U, Scalar(300));
    ASSERT_TRUE(imwrite(d.file("img/a.png"), Mat(2, 2, CV_8UC3, Scalar::all(0))));
    ASSERT_TRUE(imwrite(d.file("lab/a.png"), lab));
    d.write("list.txt", "img/a.png lab/a.png\n");
    Dataset ds(d.file("list.txt"));
    Mat image, label;
    ds.load(0, image, label);
    EXPECT_EQ(label.type(), CV_32SC1);
    EXPECT_EQ(label.at<int>(1, 1), 300);
}

TEST(Escrf_Dataset, list_errors_name_the_file_and_line)
{
    TempDir d;
    ASSERT_TRUE(imwrite(d.file("img/a.png"), Mat(2, 2, CV_8UC3, Scalar::all(0))));
    ASSERT_TRUE(imwrite(d.file("lab/a.png"), Mat(2, 2, CV_8U, Scalar::all(0))));

    expectThrowContaining([&] { readDatasetList(d.file("nothing.txt")); }, { "nothing.txt" });
    expectThrowContaining([&] { readDatasetList(d.path); }, { "not a regular file" });

    d.write("bad.txt", "img/a.png lab/a.png\n\nimg/a.png\n");
    expectThrowContaining([&] { readDatasetList(d.file("bad.txt")); }, { "bad.txt:3", "two paths" });
    d.write("bad3.txt", "img/a.png lab/a.png extra\n");
    expectThrowContaining([&] { readDatasetList(d.file("bad3.txt")); }, { "bad3.txt:1", "3 field" });

    d.write("missing.txt", "img/a.png lab/a.png\nimg/zz.png lab/a.png\n");
    expectThrowContaining([&] { readDatasetList(d.file("missing.txt")); }, { "missing.txt:2", "img/zz.png" });
    d.write("missing2.txt", "img/a.png lab/zz.png\n");
    expectThrowContaining([&] { readDatasetList(d.file("missing2.txt")); }, { "missing2.txt:1", "label", "lab/zz.png" });
    // Unchecked reading defers the problem to loading.
    EXPECT_EQ(readDatasetList(d.file("missing.txt"), false).size(), 2u);
}

TEST(Escrf_Dataset, sample_errors_name_the_line_and_sizes)
{
    TempDir d;
    ASSERT_TRUE(imwrite(d.file("img/a.png"), Mat(3, 4, CV_8UC3, Scalar::all(0))));
    ASSERT_TRUE(imwrite(d.file("lab/small.png"), Mat(3, 5, CV_8U, Scalar::all(0))));
    ASSERT_TRUE(imwrite(d.file("lab/colour.png"), Mat(3, 4, CV_8UC3, Scalar::all(0))));
    ASSERT_TRUE(imwrite(d.file("lab/ok.png"), Mat(3, 4, CV_8U, Scalar::all(0))));
    d.write("img/corrupt.png", "not a png");
    d.write("lab/corrupt.png", "not a png");
    d.write("list.txt", "img/a.png lab/small.png\n"
                        "img/a.png lab/colour.png\n"
                        "img/corrupt.png lab/ok.png\n"
                        "img/a.png lab/corrupt.png\n");
    Dataset ds(d.file("list.txt"));
    ASSERT_EQ(ds.size(), 4);
    Mat image, label;
    expectThrowContaining([&] { ds.load(0, image, label); }, { "list.txt:1", "4x3", "5x3", "small.png" });
    expectThrowContaining([&] { ds.load(1, image, label); }, { "list.txt:2", "single-channel", "colour.png" });
    expectThrowContaining([&] { ds.load(2, image, label); }, { "list.txt:3", "cannot read image", "corrupt.png" });
    expectThrowContaining([&] { ds.load(3, image, label); }, { "list.txt:4", "cannot read label", "corrupt.png" });
}

TEST(Escrf_Dataset, camvid_val_list)
{
    std::string list;
    ESCRF_REQUIRE_SHARED("data/camvid/val.txt", list);
    Dataset ds(list);
    ASSERT_EQ(ds.size(), 101);
    Mat image, label;
    ds.load(0, image, label);
    EXPECT_EQ(image.size(), Size(480, 360));
    EXPECT_EQ(label.size(), Size(480, 360));
    double mn = 0, mx = 0;
    minMaxLoc(label, &mn, &mx);
    EXPECT_GE(mn, 0);
    EXPECT_LE(mx, 11);
}

}} // namespace
