// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// CPU superpixels (issue #10): computeSuperpixels with the module's SLIC (SUPERPIXEL_IMPL_ESCRF)
// next to cv::ximgproc's (SUPERPIXEL_IMPL_XIMGPROC) on the same frames, and optionally the
// fast-slic peer (Algy/fast-slic, built outside the repository, see doc/performance.md).
//
// Every time is wall-clock time of one BGR frame in, labels out: blur, Lab, SLIC iterations,
// connectivity and renumbering; for fast-slic its own Lab conversion, iterations and
// connectivity (the BGR -> RGB swap it needs is done before the timed loop).
//
// Arguments: impl (0 ximgproc, 1 escrf, 2 fast-slic), width, height, superpixels, algorithm
// (100 SLIC with ruler 5, 101 SLICO); 10 iterations. BM_Superpixels runs on the synthetic street
// frame of perf_common.hpp, BM_SuperpixelsCamVid cycles through the first 10 CamVid val images
// (480x360; needs ESCRF_SHARED_DIR or ../shared, otherwise it reports an error).
// ESCRF_PERF_THREADS sets cv::setNumThreads (and fast-slic's OpenMP thread count);
// ESCRF_PERF_FASTSLIC names the peer's shared library (else impl 2 reports an error).
// Run with --benchmark_enable_random_interleaving=true --benchmark_repetitions=N so that the
// implementations alternate and see the same load.

#include <benchmark/benchmark.h>
#include "perf_common.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "opencv2/imgcodecs.hpp"
#include <dlfcn.h>
#include <fstream>

namespace {

using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;

enum { kXimgproc = 0, kEscrf = 1, kFastSlic = 2 };

//! fastslic_peer_run of the peer's shim: RGB image, K, compactness, iterations, row subsampling
//! stride, minimum size factor, threads, AVX2, uint16 labels out; 0 on success.
typedef int (*FastSlicRun)(const uint8_t*, int, int, int, float, int, int, float, int, int, uint16_t*);

FastSlicRun fastSlic()
{
    static FastSlicRun fn = []() -> FastSlicRun {
        const char* lib = std::getenv("ESCRF_PERF_FASTSLIC");
        void* h = lib && *lib ? dlopen(lib, RTLD_NOW) : nullptr;
        return h ? (FastSlicRun)dlsym(h, "fastslic_peer_run") : nullptr;
    }();
    return fn;
}

SuperpixelParams paramsOf(const benchmark::State& state)
{
    SuperpixelParams p;
    p.implementation = state.range(0) == kXimgproc ? SUPERPIXEL_IMPL_XIMGPROC : SUPERPIXEL_IMPL_ESCRF;
    p.numSuperpixels = (int)state.range(3);
    p.algorithm = (int)state.range(4);
    p.ruler = p.algorithm == SUPERPIXEL_SLIC ? 5.f : 10.f;
    p.iterations = 10;
    return p;
}

std::vector<Mat> camvidFrames()
{
    const char* env = std::getenv("ESCRF_SHARED_DIR");
    const std::string root = std::string(env && *env ? env : "../shared") + "/data/camvid/";
    std::ifstream list(root + "val.txt");
    std::vector<Mat> frames;
    std::string img, ann;
    while (frames.size() < 10 && list >> img >> ann)
        frames.push_back(imread(root + img, IMREAD_COLOR));
    return frames;
}

//! Times the implementation of state.range(0) on the frames, one frame per iteration in turn.
void runOn(benchmark::State& state, const std::vector<Mat>& frames)
{
    setThreads();
    const SuperpixelParams p = paramsOf(state);
    Mat labels;
    double superpixels = 0, calls = 0;
    size_t i = 0;
    if (state.range(0) == kFastSlic)
    {
        const FastSlicRun run = fastSlic();
        if (!run)
            return state.SkipWithError("fast-slic peer not loaded (set ESCRF_PERF_FASTSLIC to its shim library)");
        std::vector<Mat> rgb(frames.size());
        for (size_t f = 0; f < frames.size(); f++)
            cvtColor(frames[f], rgb[f], COLOR_BGR2RGB);
        Mat1w out(frames[0].size());
        // fast-slic's defaults (row subsampling stride 3, Manhattan distances) with the
        // module's superpixel count, compactness and minimum piece size.
        for (auto _ : state)
        {
            const Mat& f = rgb[i++ % rgb.size()];
            run(f.ptr<uint8_t>(), f.rows, f.cols, p.numSuperpixels, p.ruler, p.iterations, 3,
                p.minElementSize / 100.f, cv::getNumThreads(), 1, out.ptr<uint16_t>());
        }
        double maxLabel = 0;  // of the last frame: fast-slic's labels are contiguous
        minMaxIdx(out, nullptr, &maxLabel);
        superpixels = maxLabel + 1;
        calls = 1;
    }
    else
    {
        for (auto _ : state)
        {
            superpixels += computeSuperpixels(frames[i++ % frames.size()], labels, p);
            calls++;
        }
    }
    state.counters["superpixels"] = superpixels / std::max(1.0, calls);
    state.counters["threads"] = cv::getNumThreads();
}

void BM_Superpixels(benchmark::State& state)
{
    runOn(state, { makeStreetFrame(Size((int)state.range(1), (int)state.range(2))) });
}

void BM_SuperpixelsCamVid(benchmark::State& state)
{
    static const std::vector<Mat> frames = camvidFrames();
    if (frames.empty() || frames[0].empty())
        return state.SkipWithError("no CamVid val images (set ESCRF_SHARED_DIR)");
    runOn(state, frames);
}

void syntheticArgs(benchmark::internal::Benchmark* bm)
{
    bm->ArgNames({"impl", "w", "h", "n", "algo"});
    for (int impl : { kXimgproc, kEscrf, kFastSlic })
    {
        bm->Args({impl, 480, 360, 2500, SUPERPIXEL_SLIC});    // the shipped CamVid head's settings
        bm->Args({impl, 1920, 1080, 2000, SUPERPIXEL_SLIC});
        bm->Args({impl, 480, 360, 600, SUPERPIXEL_SLICO});
    }
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

void camvidArgs(benchmark::internal::Benchmark* bm)
{
    bm->ArgNames({"impl", "w", "h", "n", "algo"});
    for (int impl : { kXimgproc, kEscrf, kFastSlic })
        bm->Args({impl, 480, 360, 2500, SUPERPIXEL_SLIC});
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

BENCHMARK(BM_Superpixels)->Apply(syntheticArgs);
BENCHMARK(BM_SuperpixelsCamVid)->Apply(camvidArgs);

} // namespace
