// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Speed of DenseCRF post-processing (cv::escrf::denseCrf, issue #10): the default parameters
// (5 mean-field iterations, bilateral sxy 50 / srgb 3, spatial sxy 3) on a 480x360 frame with
// K = 11 (the CamVid classes) and K = 12 (with the void class, as Kraehenbuehl's code is usually
// run) labels. The lattices are built inside each call, as they depend on the image.
//
// The cost depends on the image through the size of the 5-D lattice (the colour kernel is narrow,
// 3 levels): the synthetic street frame of perf_common.hpp is smoothed with a Gaussian of sigma 1
// (its sensor noise would give 320k vertices; smoothed 149k, CamVid val frames 131k-134k). The
// probabilities are a softmax of smooth random logits (blurred noise, a few labels dominating
// each region). Side by side with Kraehenbuehl's implementation on a CamVid frame:
// doc/performance.md, DenseCRF.
//
// Parameters: (K, width, height). ESCRF_PERF_THREADS sets cv::setNumThreads.

#include "perf_precomp.hpp"

namespace opencv_test { namespace {

//! K x H x W probabilities: softmax over K smooth random logit planes (std about 1.5).
Mat smoothProbabilities(int K, Size size, uint64 seed)
{
    RNG rng(seed);
    int sz[] = { K, size.height, size.width };
    Mat prob(3, sz, CV_32F);
    Mat planar = prob.reshape(1, K), noise(size, CV_32F);
    for (int k = 0; k < K; k++)
    {
        rng.fill(noise, RNG::NORMAL, 0, 20);
        Mat plane(size, CV_32F, planar.ptr<float>(k));
        GaussianBlur(noise, plane, Size(), 8);
    }
    Mat mx, sum;
    reduce(planar, mx, 0, REDUCE_MAX);
    for (int k = 0; k < K; k++)
    {
        Mat row = planar.row(k);
        subtract(row, mx, row);
        exp(row, row);
    }
    reduce(planar, sum, 0, REDUCE_SUM);
    for (int k = 0; k < K; k++)
    {
        Mat row = planar.row(k);
        cv::divide(row, sum, row);
    }
    return prob;
}

typedef std::tuple<int, int, int> CrfCase;  // K, width, height
typedef perf::TestBaseWithParam<CrfCase> DenseCrf;

PERF_TEST_P(DenseCrf, refine, ::testing::Values(CrfCase(11, 480, 360), CrfCase(12, 480, 360)))
{
    setThreads();
    const int K = std::get<0>(GetParam());
    const Size size(std::get<1>(GetParam()), std::get<2>(GetParam()));
    Mat frame;
    GaussianBlur(makeStreetFrame(size), frame, Size(), 1.0);
    const Mat prob = smoothProbabilities(K, size, 7);
    Mat refined;
    cv::escrf::denseCrf(frame, prob, refined);  // the output buffer exists before the timed loop
    const double before = resetPeak();
    TEST_CYCLE() cv::escrf::denseCrf(frame, prob, refined);
    reportCounter("peak_rss_growth_MiB", peakRssMiB() - before);
    SANITY_CHECK_NOTHING();
}

}} // namespace opencv_test::<anonymous>
