// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// GPU speed (issue #6): the CUDA ES-CRF block and the CUDA SLIC, with the CPU SLIC of
// cv::ximgproc next to it at the same sizes for the ratio.
//
// Every time here is wall-clock time (UseRealTime) of the host API, which returns only once
// the results are back in host memory, so each iteration includes the device synchronisation.
// The host API takes and returns host Mats, so the times INCLUDE the host<->device copies:
//  - block (BM_BlockCuda*WithCopies): the upload of F, the guide and the weights, the download
//    of out; forward+backward adds the download and re-upload of the cache (host Mats), the
//    upload of F and dOut again and the download of dF and the weight gradients. The counter
//    feature_copies_MiB is the F/out/dOut/dF part of that traffic per iteration (B images);
//  - superpixels: BM_SuperpixelsCuda (computeSuperpixels, SUPERPIXEL_DEVICE_CUDA) uploads the
//    BGR frame, blurs, converts to Lab, runs SLIC and connectivity on the GPU, downloads the
//    labels and renumbers them on the CPU; BM_SlicCudaLab (escrf::cuda::computeSlic) starts from a
//    host Lab frame and stops at the GPU labels (upload of Lab and download of labels included:
//    the module has no device-only entry point). BM_SuperpixelsCpu and BM_SlicCpuLab are the
//    same two levels on the CPU (cv::ximgproc::SuperpixelSLIC).
// A first call before the timed loop creates the CUDA context and the cuBLAS handle.
// Without a CUDA device (or without HAVE_ESCRF_CUDA) the GPU benchmarks report an error
// ("no CUDA device") instead of a time; the CPU ones run everywhere.
//
// Block arguments: B, C, h, w, mode (as perf_block.cpp; the CUDA block has no dense mode).
// Superpixel arguments: algorithm (100 SLIC, 101 SLICO), number of superpixels; the frame is
// 1920x1080 and SLIC runs 10 iterations. ESCRF_PERF_THREADS sets cv::setNumThreads.

#include <benchmark/benchmark.h>
#include "perf_common.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "opencv2/ximgproc.hpp"
#include <cmath>

#ifdef HAVE_ESCRF_CUDA
#include "block/block_cuda.hpp"
#include "superpixels/superpixels_cuda.hpp"
#endif

namespace {

using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;

const Size kFrame(1920, 1080);
const int kIterations = 10;

// Returns false (and marks the benchmark as failed with the reason) when no GPU can run it.
bool requireCudaDevice(benchmark::State& state)
{
#ifdef HAVE_ESCRF_CUDA
    if (escrf::cuda::deviceAvailable())
        return true;
    state.SkipWithError("no CUDA device");
#else
    state.SkipWithError("no CUDA device: opencv_escrf built without CUDA (HAVE_ESCRF_CUDA undefined)");
#endif
    return false;
}

SuperpixelParams superpixelParams(const benchmark::State& state, int device)
{
    SuperpixelParams p;
    p.algorithm = (int)state.range(0);
    p.numSuperpixels = (int)state.range(1);
    p.iterations = kIterations;
    p.device = device;
    // The GPU runs the module's SLIC; the CPU reference here is ximgproc's (perf_superpixels.cpp
    // times the module's SLIC on the CPU).
    p.implementation = device == SUPERPIXEL_DEVICE_CUDA ? SUPERPIXEL_IMPL_ESCRF : SUPERPIXEL_IMPL_XIMGPROC;
    return p;
}

// The frame the SLIC stage sees: blurred as the module does, then 8-bit Lab.
Mat labFrame(const SuperpixelParams& p)
{
    Mat blurred, lab;
    GaussianBlur(makeStreetFrame(kFrame), blurred, Size(p.blurKernel, p.blurKernel), 0);
    cvtColor(blurred, lab, COLOR_BGR2Lab);
    return lab;
}

void setSuperpixelCounters(benchmark::State& state, const Mat& labels)
{
    double maxLabel = 0;
    minMaxIdx(labels, nullptr, &maxLabel);
    // The count after connectivity; an upper bound for BM_SlicCudaLab, whose labels are not renumbered.
    state.counters["labels_max_plus_1"] = maxLabel + 1;
}

// ------------------------------------------------------------------------- CUDA block

void BM_BlockCudaForwardWithCopies(benchmark::State& state)
{
    if (!requireCudaDevice(state))
        return;
#ifdef HAVE_ESCRF_CUDA
    Batch b = makeBatch((int)state.range(0), (int)state.range(1), (int)state.range(2), (int)state.range(3),
                        (int)state.range(4));
    Mat out;
    escrf::cuda::escrfBlockForward(b.params, b.weights, b.guides[0], b.F[0], out);   // context, warm-up
    for (auto _ : state)
        for (size_t n = 0; n < b.F.size(); n++)
            escrf::cuda::escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out);
    // F up, out down.
    state.counters["feature_copies_MiB"] = 2.0 * b.F.size() * b.F[0].total() * sizeof(float) / (1 << 20);
    state.SetLabel("incl. host<->device copies");
#endif
}

void BM_BlockCudaForwardBackwardWithCopies(benchmark::State& state)
{
    if (!requireCudaDevice(state))
        return;
#ifdef HAVE_ESCRF_CUDA
    Batch b = makeBatch((int)state.range(0), (int)state.range(1), (int)state.range(2), (int)state.range(3),
                        (int)state.range(4));
    Mat out, dF;
    EscrfBlockCache cache;
    EscrfBlockWeights grads = b.weights.zerosLike();
    escrf::cuda::escrfBlockForward(b.params, b.weights, b.guides[0], b.F[0], out, &cache);   // warm-up
    escrf::cuda::escrfBlockBackward(b.params, b.weights, b.guides[0], b.F[0], cache, b.dOut[0], dF, grads);
    for (auto _ : state)
        for (size_t n = 0; n < b.F.size(); n++)
        {
            escrf::cuda::escrfBlockForward(b.params, b.weights, b.guides[n], b.F[n], out, &cache);
            escrf::cuda::escrfBlockBackward(b.params, b.weights, b.guides[n], b.F[n], cache, b.dOut[n], dF, grads);
        }
    // F up (twice), out down, dOut up, dF down; the cache round trip is not counted.
    state.counters["feature_copies_MiB"] = 5.0 * b.F.size() * b.F[0].total() * sizeof(float) / (1 << 20);
    state.SetLabel("incl. host<->device copies");
#endif
}

void blockCudaArgs(benchmark::internal::Benchmark* bm)
{
    bm->ArgNames({"B", "C", "h", "w", "mode"});
    bm->Args({8, 256, 128, 128, 0});   // issue #6: reference window k=3 d=2, E=32; target >= 2x PyTorch CUDA
    bm->Args({1, 16, 360, 480, 4});    // the CamVid head: full resolution, D = 16, Gaussian kernel
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

BENCHMARK(BM_BlockCudaForwardWithCopies)->Apply(blockCudaArgs);
BENCHMARK(BM_BlockCudaForwardBackwardWithCopies)->Apply(blockCudaArgs);

// ------------------------------------------------------------------------- superpixels

// Whole computeSuperpixels on the GPU: BGR frame in, renumbered labels out.
void BM_SuperpixelsCuda(benchmark::State& state)
{
    if (!requireCudaDevice(state))
        return;
    const SuperpixelParams p = superpixelParams(state, SUPERPIXEL_DEVICE_CUDA);
    const Mat frame = makeStreetFrame(kFrame);
    Mat labels;
    computeSuperpixels(frame, labels, p);   // context, warm-up
    for (auto _ : state)
        computeSuperpixels(frame, labels, p);
    setSuperpixelCounters(state, labels);
    state.SetLabel("incl. BGR upload, labels download, CPU renumbering");
}

// SLIC iterations + connectivity on the GPU from a host Lab frame (no blur, Lab or renumbering).
void BM_SlicCudaLab(benchmark::State& state)
{
    if (!requireCudaDevice(state))
        return;
#ifdef HAVE_ESCRF_CUDA
    const SuperpixelParams p = superpixelParams(state, SUPERPIXEL_DEVICE_CUDA);
    const Mat lab = labFrame(p);
    Mat labels;
    escrf::cuda::computeSlic(lab, labels, p);   // context, warm-up
    for (auto _ : state)
        escrf::cuda::computeSlic(lab, labels, p);
    setSuperpixelCounters(state, labels);
    state.SetLabel("incl. Lab upload, labels download");
#endif
}

// The CPU reference: computeSuperpixels with SUPERPIXEL_DEVICE_CPU (blur, Lab, ximgproc SLIC).
void BM_SuperpixelsCpu(benchmark::State& state)
{
    setThreads();
    const SuperpixelParams p = superpixelParams(state, SUPERPIXEL_DEVICE_CPU);
    const Mat frame = makeStreetFrame(kFrame);
    Mat labels;
    for (auto _ : state)
        computeSuperpixels(frame, labels, p);
    setSuperpixelCounters(state, labels);
    state.counters["threads"] = cv::getNumThreads();
}

// cv::ximgproc::SuperpixelSLIC alone on the same Lab frame as BM_SlicCudaLab, with the module's
// region size (sqrt(W H / n)) and connectivity settings.
void BM_SlicCpuLab(benchmark::State& state)
{
    setThreads();
    const SuperpixelParams p = superpixelParams(state, SUPERPIXEL_DEVICE_CPU);
    const Mat lab = labFrame(p);
    const int regionSize = std::max(1, cvRound(std::sqrt((double)lab.total() / p.numSuperpixels)));
    Mat labels;
    for (auto _ : state)
    {
        Ptr<ximgproc::SuperpixelSLIC> slic = ximgproc::createSuperpixelSLIC(lab, p.algorithm, regionSize, p.ruler);
        slic->iterate(p.iterations);
        slic->enforceLabelConnectivity(p.minElementSize);
        slic->getLabels(labels);
    }
    setSuperpixelCounters(state, labels);
    state.counters["threads"] = cv::getNumThreads();
}

void superpixelArgs(benchmark::internal::Benchmark* bm)
{
    // 1920x1080, 10 iterations; issue #6 target for the GPU: <= 2 ms on an H100.
    bm->ArgNames({"algo", "n"});
    for (int algo : {(int)SUPERPIXEL_SLIC, (int)SUPERPIXEL_SLICO})
        for (int n : {600, 2000})
            bm->Args({algo, n});
    bm->Unit(benchmark::kMillisecond);
    bm->UseRealTime();
}

BENCHMARK(BM_SuperpixelsCuda)->Apply(superpixelArgs);
BENCHMARK(BM_SlicCudaLab)->Apply(superpixelArgs);
BENCHMARK(BM_SuperpixelsCpu)->Apply(superpixelArgs);
BENCHMARK(BM_SlicCpuLab)->Apply(superpixelArgs);

} // namespace
