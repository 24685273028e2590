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
#include "opencv2/core.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/escrf/block.hpp"
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

using namespace cv;
using namespace cv::escrf;

void setThreads()
{
    const char* t = std::getenv("ESCRF_PERF_THREADS");
    if (t && *t)
        cv::setNumThreads(std::atoi(t));
}

// Memory columns: the peak resident set (VmHWM) is reset through /proc/self/clear_refs before
// the timed loop, so that "peak growth" = VmHWM after - VmRSS before is what the block needs.
double procStatusMiB(const char* key)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(key);
    while (std::getline(f, line))
        if (line.compare(0, n, key) == 0)
            return std::atof(line.c_str() + n) / 1024.0;
    return 0;
}

double resetPeak()
{
    std::ofstream("/proc/self/clear_refs") << "5";
    return procStatusMiB("VmRSS:");
}

double peakRssMiB()
{
    return procStatusMiB("VmHWM:");
}

struct Batch
{
    EscrfBlockParams params;
    EscrfBlockWeights weights;
    std::vector<EscrfGuide> guides;
    std::vector<Mat> F, dOut;
};

Batch makeBatch(int B, int C, int h, int w, int mode)
{
    Batch b;
    // mode 0: reference window; 1: dense softmax; 2: dense plain; 3: window softmax;
    // 4: window softmax with the Gaussian kernel (the shipped CamVid head).
    b.params.dense = mode == 1 || mode == 2;
    b.params.normalize = mode == 1 || mode >= 3;
    b.params.gaussianKernel = mode == 4;
    RNG rng(42);
    b.weights = EscrfBlockWeights::create(b.params, C, rng);
    const Size img(w * 4, h * 4);
    for (int n = 0; n < B; n++)
    {
        Mat image(img, CV_32FC3), labels(img, CV_32SC1);
        rng.fill(image, RNG::UNIFORM, Scalar::all(0), Scalar::all(1));
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++)
                labels.at<int>(y, x) = (y / 16) * ((img.width + 15) / 16) + x / 16;
        double maxL = 0;
        minMaxIdx(labels, nullptr, &maxL);
        EscrfGuide g;
        prepareGuide(image, labels, (int)maxL + 1, Size(w, h), b.params, g);
        b.guides.push_back(g);
        Mat F(C, h * w, CV_32F), d(C, h * w, CV_32F);
        rng.fill(F, RNG::NORMAL, Scalar(0), Scalar(1));
        rng.fill(d, RNG::NORMAL, Scalar(0), Scalar(1));
        b.F.push_back(F);
        b.dOut.push_back(d);
    }
    return b;
}

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
