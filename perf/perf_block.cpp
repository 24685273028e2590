// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Speed of the ES-CRF block on the CPU: forward, and forward + backward, for a batch of B
// images (a loop, as the trainer does). tools/bench_block_torch.py runs these next to a
// PyTorch implementation of the same semantics and prints the ratios.
//
// Arguments: B, C, h, w, mode (0 window k=3 d=2, 1 dense with softmax, 2 dense plain, 3 window softmax,
// 4 window softmax with the Gaussian kernel).
// ESCRF_PERF_THREADS in the environment sets cv::setNumThreads.

#include <benchmark/benchmark.h>
#include "perf_common.hpp"

namespace {

using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;

void BM_BlockForward(benchmark::State& state)
{
    setThreads();
    Batch b = makeBatch((int)state.range(0), (int)state.range(1), (int)state.range(2), (int)state.range(3),
                        (int)state.range(4));
    const double before = resetPeak();
    Mat out;
    for (auto _ : state)
        for (size_t n = 0; n < b.F.size(); n++)
            escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out);
    state.counters["peak_rss_growth_MiB"] = peakRssMiB() - before;
}

void BM_BlockForwardBackward(benchmark::State& state)
{
    setThreads();
    Batch b = makeBatch((int)state.range(0), (int)state.range(1), (int)state.range(2), (int)state.range(3),
                        (int)state.range(4));
    const double before = resetPeak();
    Mat out, dF;
    EscrfBlockCache cache;
    EscrfBlockWeights grads = b.weights.zerosLike();
    for (auto _ : state)
        for (size_t n = 0; n < b.F.size(); n++)
        {
            escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out, &cache);
            escrfBlockBackward(b.params, b.weights, b.guides[n], b.F[n], cache, b.dOut[n], dF, grads);
        }
    state.counters["peak_rss_growth_MiB"] = peakRssMiB() - before;
}

void blockArgs(benchmark::internal::Benchmark* bm)
{
    bm->ArgNames({"B", "C", "h", "w", "mode"});
    bm->Args({2, 256, 128, 128, 0});   // main case: reference window k=3 d=2, E=32
    bm->Args({2, 12, 180, 240, 0});    // ESPNet scale
    bm->Args({2, 64, 180, 240, 0});
    bm->Args({1, 64, 64, 64, 1});      // dense, softmax (streamed)
    bm->Args({1, 64, 64, 64, 2});      // dense, plain (linear)
    bm->Args({1, 16, 360, 480, 3});    // the CamVid head: full resolution, D = 16, softmax kernel
    bm->Args({1, 16, 360, 480, 4});    // the same with the Gaussian kernel
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

BENCHMARK(BM_BlockForward)->Apply(blockArgs);
BENCHMARK(BM_BlockForwardBackward)->Apply(blockArgs);

} // namespace
