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
// Parameters: (impl, width, height, superpixels, algorithm), impl 0 ximgproc, 1 escrf,
// 2 fast-slic; algorithm 100 SLIC with ruler 5, 101 SLICO; 10 iterations. Superpixels.street
// runs on the synthetic street frame of perf_common.hpp, Superpixels.camvid cycles through the
// first 10 CamVid val images (480x360; needs ESCRF_SHARED_DIR or ../shared, skipped otherwise).
// Counters: superpixels (mean count), threads. ESCRF_PERF_THREADS sets cv::setNumThreads (and
// fast-slic's OpenMP thread count); ESCRF_PERF_FASTSLIC names the peer's shared library (else
// the fast-slic cases are skipped). In the standalone build run with
// --benchmark_enable_random_interleaving=true --benchmark_repetitions=N so that the
// implementations alternate and see the same load.

#include "perf_precomp.hpp"
#include "opencv2/imgcodecs.hpp"
#include <dlfcn.h>
#include <fstream>

namespace opencv_test { namespace {

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

typedef std::tuple<int, int, int, int, int> SuperpixelCase;  // impl, width, height, superpixels, algorithm

SuperpixelParams paramsOf(const SuperpixelCase& c)
{
    SuperpixelParams p;
    p.implementation = std::get<0>(c) == kXimgproc ? SUPERPIXEL_IMPL_XIMGPROC : SUPERPIXEL_IMPL_ESCRF;
    p.numSuperpixels = std::get<3>(c);
    p.algorithm = std::get<4>(c);
    p.ruler = p.algorithm == SUPERPIXEL_SLIC ? 5.f : 10.f;
    p.iterations = 10;
    return p;
}

std::vector<Mat> camvidFrames()
{
    const std::string root = sharedDir() + "/data/camvid/";
    std::ifstream list(root + "val.txt");
    std::vector<Mat> frames;
    std::string img, ann;
    while (frames.size() < 10 && list >> img >> ann)
        frames.push_back(imread(root + img, IMREAD_COLOR));
    return frames;
}

class Superpixels : public perf::TestBaseWithParam<SuperpixelCase>
{
protected:
    void runOn(const std::vector<Mat>& frames);
};

//! Times the implementation of the case on the frames, one frame per iteration in turn.
void Superpixels::runOn(const std::vector<Mat>& frames)
{
    const SuperpixelCase& c = GetParam();
    setThreads();
    const SuperpixelParams p = paramsOf(c);
    Mat labels;
    double superpixels = 0, calls = 0;
    size_t i = 0;
    if (std::get<0>(c) == kFastSlic)
    {
        const FastSlicRun run = fastSlic();
        if (!run)
            throw SkipTestException("fast-slic peer not loaded (set ESCRF_PERF_FASTSLIC to its shim library)");
        std::vector<Mat> rgb(frames.size());
        for (size_t f = 0; f < frames.size(); f++)
            cvtColor(frames[f], rgb[f], COLOR_BGR2RGB);
        Mat1w out(frames[0].size());
        // fast-slic's defaults (row subsampling stride 3, Manhattan distances) with the
        // module's superpixel count, compactness and minimum piece size.
        TEST_CYCLE()
        {
            const Mat& f = rgb[i++ % rgb.size()];
            run(f.ptr<uint8_t>(), f.rows, f.cols, p.numSuperpixels, p.ruler, p.iterations, 3,
                p.minElementSize / 100.f, cv::getNumThreads(), 1, out.ptr<uint16_t>());
        }
        double maxLabel = 0;  // of the last frame: fast-slic's labels are contiguous
        cv::minMaxIdx(out, nullptr, &maxLabel);
        superpixels = maxLabel + 1;
        calls = 1;
    }
    else
    {
        TEST_CYCLE()
        {
            superpixels += computeSuperpixels(frames[i++ % frames.size()], labels, p);
            calls++;
        }
    }
    reportCounter("superpixels", superpixels / std::max(1.0, calls));
    reportCounter("threads", cv::getNumThreads());
}

//! Each implementation on the shipped CamVid head's settings, at 1080p, and with the paper's
//! 600 SLICO superpixels.
std::vector<SuperpixelCase> streetCases()
{
    std::vector<SuperpixelCase> cases;
    for (int impl : { kXimgproc, kEscrf, kFastSlic })
    {
        cases.emplace_back(impl, 480, 360, 2500, (int)SUPERPIXEL_SLIC);
        cases.emplace_back(impl, 1920, 1080, 2000, (int)SUPERPIXEL_SLIC);
        cases.emplace_back(impl, 480, 360, 600, (int)SUPERPIXEL_SLICO);
    }
    return cases;
}

PERF_TEST_P(Superpixels, street, ::testing::ValuesIn(streetCases()))
{
    runOn({ makeStreetFrame(Size(std::get<1>(GetParam()), std::get<2>(GetParam()))) });
    SANITY_CHECK_NOTHING();
}

PERF_TEST_P(Superpixels, camvid, ::testing::Values(
    SuperpixelCase(kXimgproc, 480, 360, 2500, SUPERPIXEL_SLIC),
    SuperpixelCase(kEscrf, 480, 360, 2500, SUPERPIXEL_SLIC),
    SuperpixelCase(kFastSlic, 480, 360, 2500, SUPERPIXEL_SLIC)))
{
    static const std::vector<Mat> frames = camvidFrames();
    if (frames.empty() || frames[0].empty())
        throw SkipTestException("no CamVid val images (set ESCRF_SHARED_DIR)");
    runOn(frames);
    SANITY_CHECK_NOTHING();
}

}} // namespace opencv_test::<anonymous>
