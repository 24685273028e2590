// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Segmentation metrics on small hand-made label maps; every expected value is worked out by
// hand in the comments (coordinates are (x, y)).

#include "test_precomp.hpp"
#include <cmath>
#include <functional>

namespace opencv_test { namespace {

using cv::escrf::SegmentationMetrics;

Mat labels(int rows, int cols, std::initializer_list<int> v)
{
    CV_Assert((int)v.size() == rows * cols);
    return Mat(std::vector<int>(v), true).reshape(1, rows);
}

TEST(Escrf_Metrics, confusion_iou_and_accuracy_by_hand)
{
    // K = 3, no ignore label.
    const Mat gt = labels(4, 4, { 0, 0, 1, 1,
                                  0, 0, 1, 1,
                                  2, 2, 2, 2,
                                  2, 2, 2, 2 });
    const Mat pr = labels(4, 4, { 0, 0, 0, 1,
                                  0, 0, 1, 1,
                                  2, 2, 1, 2,
                                  2, 2, 2, 2 });
    SegmentationMetrics m(3);
    m.add(pr, gt);
    // Rows = gt: gt 0 -> 4x pred 0; gt 1 -> (2,0) pred 0, 3x pred 1; gt 2 -> (2,2) pred 1, 7x pred 2.
    const Mat C = m.confusionMatrix();
    const double expected[9] = { 4, 0, 0,
                                 1, 3, 0,
                                 0, 1, 7 };
    ASSERT_EQ(C.type(), CV_64F);
    for (int i = 0; i < 9; i++)
        EXPECT_EQ(C.at<double>(i / 3, i % 3), expected[i]) << "entry " << i;
    const std::vector<double> iou = m.classIoU();
    ASSERT_EQ(iou.size(), 3u);
    EXPECT_DOUBLE_EQ(iou[0], 4.0 / (4 + 5 - 4));  // gt row 4, pred column 5
    EXPECT_DOUBLE_EQ(iou[1], 3.0 / (4 + 4 - 3));  // gt row 4, pred column 4
    EXPECT_DOUBLE_EQ(iou[2], 7.0 / (8 + 7 - 7));  // gt row 8, pred column 7
    EXPECT_DOUBLE_EQ(m.meanIoU(), (0.8 + 0.6 + 0.875) / 3);
    EXPECT_DOUBLE_EQ(m.pixelAccuracy(), 14.0 / 16);
    EXPECT_EQ(m.numImages(), 1);
}

TEST(Escrf_Metrics, absent_class_iou_is_nan_and_excluded_predicted_only_class_counts)
{
    const Mat gt = labels(1, 4, { 0, 0, 1, 1 });
    const Mat pr = labels(1, 4, { 0, 2, 1, 1 });
    // K = 4: class 3 is neither in gt nor predicted -> NaN; class 2 is predicted only -> IoU 0.
    SegmentationMetrics m(4);
    m.add(pr, gt);
    const std::vector<double> iou = m.classIoU();
    EXPECT_DOUBLE_EQ(iou[0], 1.0 / 2);  // tp 1, gt 2, pred 1
    EXPECT_DOUBLE_EQ(iou[1], 1.0);
    EXPECT_DOUBLE_EQ(iou[2], 0.0);
    EXPECT_TRUE(std::isnan(iou[3]));
    EXPECT_DOUBLE_EQ(m.meanIoU(), (0.5 + 1.0 + 0.0) / 3);
    // Nothing added yet: every score is undefined.
    SegmentationMetrics empty(4);
    EXPECT_TRUE(std::isnan(empty.meanIoU()));
    EXPECT_TRUE(std::isnan(empty.pixelAccuracy()));
    EXPECT_TRUE(std::isnan(empty.meanBoundaryF()));
}

TEST(Escrf_Metrics, boundary_f_by_hand_with_image_border)
{
    // K = 2. gt: a 3x3 object in the middle; prediction: a 2x2 object in the top-left corner.
    const Mat gt = labels(5, 5, { 0, 0, 0, 0, 0,
                                  0, 1, 1, 1, 0,
                                  0, 1, 1, 1, 0,
                                  0, 1, 1, 1, 0,
                                  0, 0, 0, 0, 0 });
    const Mat pr = labels(5, 5, { 1, 1, 0, 0, 0,
                                  1, 1, 0, 0, 0,
                                  0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0 });
    SegmentationMetrics m(2);
    m.add(pr, gt);
    // Class 1. gt boundary: the ring of the 3x3 block, 8 px (only (2,2) survives the erosion).
    // Predicted boundary: 3 px (1,0), (0,1), (1,1); the corner (0,0) is NOT a boundary because
    // the replicated border only sees 1s around it. All 3 touch the gt ring -> matchedPred 3.
    // gt ring pixels within 1 px of a predicted boundary pixel: (1,1), (2,1), (1,2) -> 3 of 8.
    // P = 1, R = 3/8, F = 2*(3/8)/(11/8) = 6/11.
    // Class 0. gt boundary: the 16 px outer ring (each touches the block diagonally or directly).
    // Predicted boundary: (2,0), (2,1), (2,2), (1,2), (0,2); all but (2,2) touch the outer ring
    // -> matchedPred 4 of 5. Ring pixels near them: (1,0), (2,0), (3,0), (0,1), (0,2), (0,3)
    // -> matchedGt 6 of 16. P = 4/5, R = 3/8, F = (24/40)/(47/40) = 24/47.
    const Mat b = m.boundaryCounts();
    ASSERT_EQ(b.size(), Size(2, 4));
    const double expected[4][2] = { { 4, 3 },     // matched predicted
                                    { 5, 3 },     // total predicted
                                    { 6, 3 },     // matched gt
                                    { 16, 8 } };  // total gt
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            EXPECT_EQ(b.at<double>(r, c), expected[r][c]) << "row " << r << " class " << c;
    const std::vector<double> f = m.classBoundaryF();
    EXPECT_NEAR(f[0], 24.0 / 47, 1e-12);
    EXPECT_NEAR(f[1], 6.0 / 11, 1e-12);
    EXPECT_NEAR(m.meanBoundaryF(), (24.0 / 47 + 6.0 / 11) / 2, 1e-12);
    // IoU: class 1 overlap (1,1) only: 1 / (9 + 4 - 1); class 0: 13 / (16 + 21 - 13).
    EXPECT_DOUBLE_EQ(m.classIoU()[1], 1.0 / 12);
    EXPECT_DOUBLE_EQ(m.classIoU()[0], 13.0 / 24);
}

TEST(Escrf_Metrics, ignore_label_excluded_from_confusion_and_boundaries)
{
    // K = 2, ignore 2: the two right columns are unlabelled; the prediction extends the object
    // into them.
    const Mat gt = labels(5, 5, { 0, 0, 0, 2, 2,
                                  0, 1, 1, 2, 2,
                                  0, 1, 1, 2, 2,
                                  0, 0, 0, 2, 2,
                                  0, 0, 0, 2, 2 });
    const Mat pr = labels(5, 5, { 0, 0, 0, 0, 0,
                                  0, 1, 1, 1, 1,
                                  0, 1, 1, 1, 1,
                                  0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0 });
    SegmentationMetrics m(2, 2);
    m.add(pr, gt);
    // Scored pixels: the 15 of columns 0..2, all correct (11 x class 0, 4 x class 1).
    EXPECT_EQ(m.confusionMatrix().at<double>(0, 0), 11);
    EXPECT_EQ(m.confusionMatrix().at<double>(1, 1), 4);
    EXPECT_EQ(sum(m.confusionMatrix())[0], 15);
    EXPECT_DOUBLE_EQ(m.meanIoU(), 1.0);
    EXPECT_DOUBLE_EQ(m.pixelAccuracy(), 1.0);
    // Class 1: gt boundary = the 2x2 block (4 px). Predicted boundary = rows 1-2, columns 1-4
    // (8 px), of which columns 3-4 lie on ignore pixels and are dropped -> 4 px, all matched.
    // (Without the exclusion, (3,1) and (3,2) would be matched and (4,1), (4,2) not: P = 6/8.)
    // Class 0: gt mask = columns 0..2 minus the block; the erosion keeps only (0,4) and (1,4)
    // -> 9 boundary px, among them (2,4), next to the unlabelled region. Predicted boundary:
    // row 0, (0,1), (0,2), row 3 = 12 px, minus (3,0), (4,0), (3,3), (4,3) on ignore pixels -> 8,
    // all of them gt boundary pixels; (2,4) is matched by (1,3)/(2,3) -> P = R = 1.
    const Mat b = m.boundaryCounts();
    const double expected[4][2] = { { 8, 4 }, { 8, 4 }, { 9, 4 }, { 9, 4 } };
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            EXPECT_EQ(b.at<double>(r, c), expected[r][c]) << "row " << r << " class " << c;
    EXPECT_DOUBLE_EQ(m.meanBoundaryF(), 1.0);
}

TEST(Escrf_Metrics, class_without_gt_boundary_is_excluded_and_missed_boundary_scores_zero)
{
    // K = 3. Class 2 is predicted but has no gt pixel -> F NaN (excluded). Class 1 has a gt
    // boundary but is never predicted -> P = R = 0 -> F = 0. Class 0 fills the rest.
    const Mat gt = labels(3, 3, { 0, 0, 0,
                                  0, 1, 0,
                                  0, 0, 0 });
    const Mat pr = labels(3, 3, { 0, 0, 0,
                                  0, 2, 0,
                                  0, 0, 0 });
    SegmentationMetrics m(3);
    m.add(pr, gt);
    const std::vector<double> f = m.classBoundaryF();
    // Class 0 in gt and prediction: the 8 pixels around the centre, identical -> F = 1.
    EXPECT_DOUBLE_EQ(f[0], 1.0);
    EXPECT_EQ(f[1], 0.0);
    EXPECT_TRUE(std::isnan(f[2]));
    EXPECT_DOUBLE_EQ(m.meanBoundaryF(), 0.5);
}

TEST(Escrf_Metrics, depths_merge_and_reset_agree)
{
    RNG rng(7);
    Mat gt1(12, 17, CV_32S), pr1(12, 17, CV_32S), gt2(12, 17, CV_32S), pr2(12, 17, CV_32S);
    rng.fill(gt1, RNG::UNIFORM, 0, 5);  // 0..4, 4 = ignore
    rng.fill(pr1, RNG::UNIFORM, 0, 4);
    rng.fill(gt2, RNG::UNIFORM, 0, 5);
    rng.fill(pr2, RNG::UNIFORM, 0, 4);

    SegmentationMetrics all(4, 4), a(4, 4), b(4, 4), u8(4, 4);
    all.add(pr1, gt1);
    all.add(pr2, gt2);
    a.add(pr1, gt1);
    b.add(pr2, gt2);
    a.merge(b);
    EXPECT_EQ(norm(a.confusionMatrix(), all.confusionMatrix(), NORM_INF), 0);
    EXPECT_EQ(norm(a.boundaryCounts(), all.boundaryCounts(), NORM_INF), 0);
    EXPECT_EQ(a.numImages(), 2);

    Mat g8, p16;
    gt1.convertTo(g8, CV_8U);
    pr1.convertTo(p16, CV_16U);
    u8.add(p16, g8);
    u8.add(pr2, gt2);
    EXPECT_EQ(norm(u8.confusionMatrix(), all.confusionMatrix(), NORM_INF), 0);
    EXPECT_EQ(norm(u8.boundaryCounts(), all.boundaryCounts(), NORM_INF), 0);

    a.reset();
    EXPECT_EQ(a.numImages(), 0);
    EXPECT_EQ(countNonZero(a.confusionMatrix()), 0);
    EXPECT_EQ(countNonZero(a.boundaryCounts()), 0);

    SegmentationMetrics other(3, 4);
    EXPECT_THROW(a.merge(other), cv::Exception);
    EXPECT_NE(all.report().find("mIoU"), std::string::npos);
}

TEST(Escrf_Metrics, bad_inputs_throw_and_leave_counts_unchanged)
{
    SegmentationMetrics m(3, 255);
    const Mat ok = Mat::zeros(4, 4, CV_8U);
    expectThrowContaining([&] { m.add(Mat::zeros(4, 5, CV_8U), ok); }, { "4x4" });
    expectThrowContaining([&] { m.add(Mat::zeros(4, 4, CV_8UC3), ok); }, { "prediction" });
    expectThrowContaining([&] { m.add(ok, Mat::zeros(4, 4, CV_32F)); }, { "groundTruth" });
    expectThrowContaining([&] { m.add(Mat(), ok); }, { "empty" });
    Mat badPred = ok.clone();
    badPred.at<uchar>(2, 1) = 3;
    expectThrowContaining([&] { m.add(badPred, ok); }, { "prediction label 3 at (x=1, y=2)" });
    Mat badGt = ok.clone();
    badGt.at<uchar>(0, 3) = 7;
    expectThrowContaining([&] { m.add(ok, badGt); }, { "groundTruth label 7 at (x=3, y=0)" });
    Mat ignoredGt = ok.clone();
    ignoredGt.at<uchar>(0, 3) = 255;
    Mat negPred(4, 4, CV_32S, Scalar(0));
    negPred.at<int>(3, 3) = -1;
    expectThrowContaining([&] { m.add(negPred, ignoredGt); }, { "prediction label -1" });
    EXPECT_EQ(m.numImages(), 0);
    EXPECT_EQ(countNonZero(m.confusionMatrix()), 0);
    EXPECT_EQ(countNonZero(m.boundaryCounts()), 0);
    // The ignore label is accepted in the ground truth only.
    EXPECT_NO_THROW(m.add(ok, ignoredGt));
    EXPECT_EQ(sum(m.confusionMatrix())[0], 15);

    EXPECT_THROW(SegmentationMetrics(0), cv::Exception);
    expectThrowContaining([] { SegmentationMetrics(3, 1); }, { "ignoreLabel 1" });
}

TEST(Escrf_Metrics, copies_are_independent_accumulators)
{
    std::vector<SegmentationMetrics> per(2, SegmentationMetrics(2));
    Mat a = (Mat_<uchar>(1, 2) << 0, 1), b = (Mat_<uchar>(1, 2) << 1, 1);
    per[0].add(a, a);
    per[1].add(b, a);
    EXPECT_DOUBLE_EQ(1.0, per[0].pixelAccuracy());
    EXPECT_DOUBLE_EQ(0.5, per[1].pixelAccuracy());
    SegmentationMetrics c = per[1];
    c.add(a, a);
    EXPECT_EQ(1, per[1].numImages());
    EXPECT_DOUBLE_EQ(0.5, per[1].pixelAccuracy());
}

// ------------------------------------------------------------------ the PFB analysis

// A hand-made 3 x 4 map, K = 3, ignore 255:   0 0 1 1 / 0 2 2 1 / 255 2 2 1.
// 4-neighbour pairs with different labels: 0-1 once (row 0), 0-2 twice (row 1, column 1),
// 1-2 three times (rows 1 and 2, column 2); the pairs with the ignore pixel do not count.
TEST(Escrf_ClassAnalysis, adjacency_similarity_and_pairs_on_a_hand_made_map)
{
    const Mat labels = (Mat_<uchar>(3, 4) << 0, 0, 1, 1, 0, 2, 2, 1, 255, 2, 2, 1);
    Mat counts;
    cv::escrf::accumulateClassAdjacency(labels, 3, 255, counts);
    const Mat expected = (Mat_<double>(3, 3) << 0, 1, 2, 1, 0, 3, 2, 3, 0);
    EXPECT_EQ(0, cv::norm(counts, expected, NORM_INF)) << counts;
    // Accumulates over maps; a CV_32S map is read the same way.
    Mat labels32;
    labels.convertTo(labels32, CV_32S);
    cv::escrf::accumulateClassAdjacency(labels32, 3, 255, counts);
    EXPECT_EQ(0, cv::norm(counts, 2 * expected, NORM_INF));

    // w0 = (1, 0), w1 = (0, 1), w2 = (1, 2): cos(0, 2) = 1/sqrt(5), cos(1, 2) = 2/sqrt(5), cos(0, 1) = 0.
    const Mat W = (Mat_<float>(3, 2) << 1, 0, 0, 1, 1, 2);
    const Mat S = cv::escrf::rowCosineSimilarity(W);
    EXPECT_NEAR(1 / std::sqrt(5.0), S.at<double>(0, 2), 1e-7);
    EXPECT_NEAR(2 / std::sqrt(5.0), S.at<double>(2, 1), 1e-7);
    EXPECT_NEAR(0.0, S.at<double>(0, 1), 1e-12);
    EXPECT_EQ(1.0, S.at<double>(1, 1));

    // Class 0's most adjacent class is 2, class 1's is 2, class 2's is 1: two distinct pairs.
    const std::vector<cv::escrf::AdjacentClassPair> pairs = cv::escrf::mostAdjacentClassPairs(expected, S);
    ASSERT_EQ(2u, pairs.size());
    EXPECT_EQ(1, pairs[0].classA);
    EXPECT_EQ(2, pairs[0].classB);
    EXPECT_EQ(3.0, pairs[0].adjacency);
    EXPECT_NEAR(2 / std::sqrt(5.0), pairs[0].similarity, 1e-7);
    EXPECT_EQ(0, pairs[1].classA);
    EXPECT_EQ(2, pairs[1].classB);
    EXPECT_EQ(2.0, pairs[1].adjacency);

    // A class without neighbours gives no pair; a zero weight row is similar to nothing.
    const Mat lonely = (Mat_<double>(3, 3) << 0, 4, 0, 4, 0, 0, 0, 0, 0);
    EXPECT_EQ(1u, cv::escrf::mostAdjacentClassPairs(lonely).size());
    const Mat S0 = cv::escrf::rowCosineSimilarity(Mat((Mat_<double>(2, 2) << 0, 0, 1, 1)));
    EXPECT_EQ(0.0, S0.at<double>(0, 1));
}

TEST(Escrf_ClassAnalysis, bad_inputs_throw)
{
    Mat counts;
    const Mat bad = (Mat_<uchar>(2, 2) << 0, 1, 7, 1);
    expectThrowContaining([&] { cv::escrf::accumulateClassAdjacency(bad, 3, 255, counts); },
                          { "accumulateClassAdjacency", "label 7 at (0, 1)" });
    EXPECT_TRUE(counts.empty());
    counts = Mat::zeros(2, 2, CV_64F);
    expectThrowContaining([&] { cv::escrf::accumulateClassAdjacency(Mat::zeros(2, 2, CV_8U), 3, 255, counts); },
                          { "counts is 2x2" });
    expectThrowContaining([&] { cv::escrf::accumulateClassAdjacency(Mat::zeros(2, 2, CV_32F), 3, 255, counts); },
                          { "labels must be" });
    expectThrowContaining([] { cv::escrf::rowCosineSimilarity(Mat()); }, { "rowCosineSimilarity" });
    expectThrowContaining([] { cv::escrf::mostAdjacentClassPairs(Mat::zeros(2, 3, CV_64F)); }, { "adjacency" });
}

}} // namespace
