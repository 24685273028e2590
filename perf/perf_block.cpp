// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Speed of the ES-CRF block on the CPU: forward, and forward + backward, for a batch of B
// images (a loop, as the trainer does). tools/bench_block_torch.py runs these next to a
// PyTorch implementation of the same semantics and prints the ratios.
//
// Parameters: (B, C, h, w, mode), mode 0 window k=3 d=2, 1 dense with softmax, 2 dense plain,
// 3 window softmax, 4 window softmax with the Gaussian kernel. Counter peak_rss_growth_MiB: the
// peak resident set growth of the timed loop. ESCRF_PERF_THREADS sets cv::setNumThreads.

#include "perf_precomp.hpp"

namespace opencv_test { namespace {

typedef std::tuple<int, int, int, int, int> BlockCase;  // B, C, h, w, mode
typedef perf::TestBaseWithParam<BlockCase> Block;

const auto blockCases = ::testing::Values(
    BlockCase(2, 256, 128, 128, 0),  // main case: reference window k=3 d=2, E=32
    BlockCase(2, 12, 180, 240, 0),   // ESPNet scale
    BlockCase(2, 64, 180, 240, 0),
    BlockCase(1, 64, 64, 64, 1),     // dense, softmax (streamed)
    BlockCase(1, 64, 64, 64, 2),     // dense, plain (linear)
    BlockCase(1, 16, 360, 480, 3),   // the CamVid head: full resolution, D = 16, softmax kernel
    BlockCase(1, 16, 360, 480, 4));  // the same with the Gaussian kernel

Batch makeBatchOf(const BlockCase& c)
{
    return makeBatch(std::get<0>(c), std::get<1>(c), std::get<2>(c), std::get<3>(c), std::get<4>(c));
}

PERF_TEST_P(Block, forward, blockCases)
{
    setThreads();
    Batch b = makeBatchOf(GetParam());
    const double before = resetPeak();
    Mat out;
    TEST_CYCLE()
    {
        for (size_t n = 0; n < b.F.size(); n++)
            escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out);
    }
    reportCounter("peak_rss_growth_MiB", peakRssMiB() - before);
    SANITY_CHECK_NOTHING();
}

PERF_TEST_P(Block, forwardBackward, blockCases)
{
    setThreads();
    Batch b = makeBatchOf(GetParam());
    const double before = resetPeak();
    Mat out, dF;
    EscrfBlockCache cache;
    EscrfBlockWeights grads = b.weights.zerosLike();
    TEST_CYCLE()
    {
        for (size_t n = 0; n < b.F.size(); n++)
        {
            escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out, &cache);
            escrfBlockBackward(b.params, b.weights, b.guides[n], b.F[n], cache, b.dOut[n], dF, grads);
        }
    }
    reportCounter("peak_rss_growth_MiB", peakRssMiB() - before);
    SANITY_CHECK_NOTHING();
}

}} // namespace opencv_test::<anonymous>
