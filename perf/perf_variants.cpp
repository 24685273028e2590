// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Speed of the comparison variants' cores at the CamVid head size (480 x 360 cells, D = 16,
// K = 11) for their internal resolution factor: the joint-crf stage (guide build + T = 5
// mean-field steps, forward and forward + backward) and the non-local block (E = 8). Run next
// to BM_BlockForwardBackward/B:1/C:16/h:360/w:480/mode:4 (the shipped escrf block) for ratios;
// the commands are in doc/variants.md.
//
// Arguments: factor (and for the CRF, iterations). ESCRF_PERF_THREADS sets cv::setNumThreads.

#include <benchmark/benchmark.h>
#include "perf_common.hpp"
#include "crf/crf_rnn.hpp"
#include "block/nonlocal.hpp"

namespace {

using namespace cv;
using namespace cv::escrf::detail;
using namespace escrf_perf;

const Size kHead(480, 360);
const int kClasses = 11, kChannels = 16;

//! The street frame as 3 x N RGB planes in [0, 1] (what EscrfGuide::image holds at stride 1).
Mat streetColour()
{
    Mat rgb, f;
    cvtColor(makeStreetFrame(kHead), rgb, COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32F, 1 / 255.0);
    return Mat(f.reshape(1, kHead.area()).t()).clone();
}

Mat randomMap(int rows, uint64 seed, double sd)
{
    RNG rng(seed);
    Mat m(rows, kHead.area(), CV_32F);
    rng.fill(m, RNG::NORMAL, 0, sd);
    return m;
}

void BM_CrfRnnForward(benchmark::State& state)
{
    setThreads();
    CrfRnnParams params;
    params.factor = (int)state.range(0);
    params.iterations = (int)state.range(1);
    const Mat colour = streetColour(), U = randomMap(kClasses, 1, 2);
    const CrfRnnWeights w = CrfRnnWeights::create(kClasses);
    Mat out;
    for (auto _ : state)
    {
        CrfRnnGuide guide(params, colour, kHead, kHead);   // once per image, as in training
        crfRnnForward(params, w, guide, U, out);
    }
}

void BM_CrfRnnForwardBackward(benchmark::State& state)
{
    setThreads();
    CrfRnnParams params;
    params.factor = (int)state.range(0);
    params.iterations = (int)state.range(1);
    const Mat colour = streetColour(), U = randomMap(kClasses, 1, 2), dOut = randomMap(kClasses, 2, 1);
    const CrfRnnWeights w = CrfRnnWeights::create(kClasses);
    CrfRnnWeights grads = w.zerosLike();
    CrfRnnCache cache;
    Mat out, dU;
    for (auto _ : state)
    {
        CrfRnnGuide guide(params, colour, kHead, kHead);
        crfRnnForward(params, w, guide, U, out, &cache);
        crfRnnBackward(params, w, guide, cache, dOut, dU, grads);
    }
}

//! The guide alone (lattice build, spatial filter, normalisations).
void BM_CrfRnnGuide(benchmark::State& state)
{
    setThreads();
    CrfRnnParams params;
    params.factor = (int)state.range(0);
    const Mat colour = streetColour();
    for (auto _ : state)
    {
        CrfRnnGuide guide(params, colour, kHead, kHead);
        benchmark::DoNotOptimize(guide.depth());
    }
}

NonlocalWeights nonlocalWeights(const NonlocalParams& params)
{
    RNG rng(3);
    NonlocalWeights w = NonlocalWeights::create(params, kChannels, rng);
    rng.fill(w.W_out, RNG::NORMAL, 0, 0.1);   // a trained block, not the identity
    return w;
}

void BM_NonlocalForward(benchmark::State& state)
{
    setThreads();
    NonlocalParams params;
    params.factor = (int)state.range(0);
    const NonlocalWeights w = nonlocalWeights(params);
    const Mat F = randomMap(kChannels, 4, 1);
    Mat out;
    for (auto _ : state)
        nonlocalForward(params, w, kHead, F, out);
}

void BM_NonlocalForwardBackward(benchmark::State& state)
{
    setThreads();
    NonlocalParams params;
    params.factor = (int)state.range(0);
    const NonlocalWeights w = nonlocalWeights(params);
    NonlocalWeights grads = w.zerosLike();
    const Mat F = randomMap(kChannels, 4, 1), dOut = randomMap(kChannels, 5, 1);
    NonlocalCache cache;
    Mat out, dF;
    for (auto _ : state)
    {
        nonlocalForward(params, w, kHead, F, out, &cache);
        nonlocalBackward(params, w, kHead, F, cache, dOut, dF, grads);
    }
}

void crfArgs(benchmark::internal::Benchmark* bm)
{
    bm->ArgNames({"factor", "T"});
    for (int factor : { 1, 2, 3, 4, 8 })
        bm->Args({factor, 5});
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

void factorArgs(benchmark::internal::Benchmark* bm, std::initializer_list<int> factors)
{
    bm->ArgNames({"factor"});
    for (int factor : factors)
        bm->Args({factor});
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

BENCHMARK(BM_CrfRnnGuide)->Apply([](benchmark::internal::Benchmark* bm) { factorArgs(bm, { 1, 2, 3, 4, 8 }); });
BENCHMARK(BM_CrfRnnForward)->Apply(crfArgs);
BENCHMARK(BM_CrfRnnForwardBackward)->Apply(crfArgs);
BENCHMARK(BM_NonlocalForward)->Apply([](benchmark::internal::Benchmark* bm) { factorArgs(bm, { 4, 6, 8, 12, 16 }); });
BENCHMARK(BM_NonlocalForwardBackward)->Apply([](benchmark::internal::Benchmark* bm) {
    factorArgs(bm, { 4, 6, 8, 12, 16 });
});

} // namespace
