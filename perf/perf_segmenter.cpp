// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Speed of Segmenter::segment with the shipped CamVid head (issue #10): side by side with the
// ESPNet backbone alone computing the same outputs, in one process, image after image.
//
//  * BM_Segment/w/h/impl: each iteration runs the backbone alone (its own Backbone object, the
//    outputs the head reads), then segment(); the reported time is segment()'s, the counters hold
//    the medians of both, their ratio, the median of each stage of getPerfProfile() and the peak
//    resident memory of the whole process (VmHWM) at the end (for it, run one size per process with
//    ESCRF_PERF_SEGMENT_ONLY=1, which leaves the backbone alone out).
//    impl: the superpixel implementation, set explicitly: 0 = SUPERPIXEL_IMPL_XIMGPROC,
//    1 = SUPERPIXEL_IMPL_ESCRF (the module's SLIC).
//  * BM_HeadStages: the head's stages at 480x360, each timed alone over the whole map the way the
//    inference path runs it (strips of rows in parallel): where the time of the fused passes goes
//    (wall time; the CPU time of the process with ESCRF_PERF_CPU_TIME=1).
//
// Needs the shared data folder ($ESCRF_SHARED_DIR, default ../shared: ESPNet and CamVid) and the
// head file ($ESCRF_HEAD, default models/escrf_espnet_camvid.yml): run from the repository root.
// ESCRF_PERF_THREADS sets cv::setNumThreads (the figures: 2).

#include <benchmark/benchmark.h>
#include "perf_common.hpp"
#include "opencv2/escrf.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "block/block_compat.hpp"
#include "block/block_rows.hpp"
#include "head/head_inference.hpp"
#include "head/head_rows.hpp"
#include "head/head_inputs.hpp"
#include <algorithm>
#include <map>
#include <time.h>

namespace {

using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;

struct Setup
{
    Ptr<Head> head;
    BackboneDescription backbone;
    Mat image;
    bool ok = false;
};

// The shipped head, its backbone and the first CamVid val image at the given size.
Setup load(benchmark::State& state, Size size)
{
    Setup s;
    const std::string shared = sharedDir();
    const std::string headFile = envOr("ESCRF_HEAD", "models/escrf_espnet_camvid.yml");
    Mat image = imread(shared + "/data/camvid/val/0016E5_07959.png", IMREAD_COLOR);
    if (image.empty() || !utils::fs::exists(headFile))
    {
        state.SkipWithError("needs $ESCRF_SHARED_DIR (CamVid, ESPNet) and $ESCRF_HEAD (run from the repository root)");
        return s;
    }
    s.head = Head::load(headFile);
    s.backbone = BackboneDescription::read(shared + "/models/espnet_camvid.yml");
    if (size == image.size())
        s.image = image;
    else
        resize(image, s.image, size, 0, 0, INTER_LINEAR);
    s.ok = true;
    return s;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double millisecondsSince(int64 t0)
{
    return (getTickCount() - t0) * 1000.0 / getTickFrequency();
}

// CPU time of the whole process (all threads), in milliseconds: on a loaded machine the stages'
// CPU times are steadier than their wall times (ESCRF_PERF_CPU_TIME=1 reports them instead).
double processCpuMilliseconds()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

void BM_Segment(benchmark::State& state)
{
    setThreads();
    Setup s = load(state, Size((int)state.range(0), (int)state.range(1)));
    if (!s.ok)
        return;
    Ptr<Backbone> alone = Backbone::create(s.backbone);
    Ptr<Segmenter> seg = Segmenter::create(s.head, s.backbone);
    SuperpixelParams sp = seg->getSuperpixelParams();
    sp.implementation = (int)state.range(2);   // SUPERPIXEL_IMPL_XIMGPROC (0) or SUPERPIXEL_IMPL_ESCRF (1)
    seg->setSuperpixelParams(sp);
    std::vector<Mat> outputs;
    Mat labels;
    // Beyond the maximum processing area segment() works on a reduced image: the backbone alone
    // at the full size is no comparison (and may not fit), so it is not run there.
    // ESCRF_PERF_SEGMENT_ONLY=1 leaves it out everywhere: the peak RSS is then segment()'s alone.
    const bool compare = (int64)s.image.total() <= seg->getMaxProcessingArea() &&
                         envOr("ESCRF_PERF_SEGMENT_ONLY", "0") != "1";
    if (compare)
        alone->forward(s.image, s.head->config().inputs, outputs);   // first runs create the nets
    seg->segment(s.image, labels);
    std::vector<double> backbone, segment;
    std::map<std::string, std::vector<double> > stages;
    std::vector<std::string> order;
    for (auto _ : state)
    {
        int64 t0 = getTickCount();
        if (compare)
        {
            alone->forward(s.image, s.head->config().inputs, outputs);
            backbone.push_back(millisecondsSince(t0));
        }
        t0 = getTickCount();
        seg->segment(s.image, labels);
        const double ms = millisecondsSince(t0);
        segment.push_back(ms);
        state.SetIterationTime(ms / 1000.0);
        std::vector<String> names;
        std::vector<double> times;
        seg->getPerfProfile(names, times);
        for (size_t i = 0; i < names.size(); i++)
        {
            if (!stages.count(names[i]))
                order.push_back(names[i]);
            stages[names[i]].push_back(times[i]);
        }
    }
    const double b = median(backbone), t = median(segment);
    state.counters["backbone_ms"] = b;
    state.counters["segment_ms"] = t;
    if (compare)
        state.counters["ratio"] = t / b;
    for (size_t i = 0; i < order.size(); i++)
        state.counters[format("%02d %s", (int)i, order[i].c_str())] = median(stages[order[i]]);
    state.counters["peak_rss_MiB"] = peakRssMiB();
}

// fn(y0, y1) over strips of the h rows, in parallel as the inference path runs its passes.
template <typename Fn>
void strips(int h, const Fn& fn)
{
    const int n = std::max(1, std::min(h, 4 * getNumThreads()));
    parallel_for_(Range(0, n), [&](const Range& r) {
        for (int s = r.start; s < r.end; s++)
            fn(s, h * s / n, h * (s + 1) / n);
    }, n);
}

// The head's stages at 480x360, one at a time over the whole map (medians of the iterations).
void BM_HeadStages(benchmark::State& state)
{
    setThreads();
    Setup s = load(state, Size(480, 360));
    if (!s.ok)
        return;
    const Head& head = *s.head;
    const HeadConfig& cfg = head.config();
    Ptr<Backbone> backbone = Backbone::create(s.backbone);
    std::vector<Mat> inputs;
    cv::escrf::detail::computeHeadInputs(*backbone, s.image, cfg.inputs, inputs);
    Mat sp;
    const int M = computeSuperpixels(s.image, sp, cfg.superpixels);
    const Size hs = s.image.size();
    const int w = hs.width, N = hs.area(), D = head.featureChannels(), K = cfg.numClasses;
    const EscrfBlockParams p = head.effectiveBlockParams();
    const block::Plan plan = block::makePlan(p, head.blockWeights);

    Mat F(D, N, CV_32F), Fstar(D, N, CV_32F), logits(K, N, CV_32F), labels(hs, CV_8U), v, muJ;
    std::vector<Mat> P(inputs.size());
    std::vector<std::vector<float> > scratch(64);
    block::GuideBuffers gb;
    block::GuideView view;
    block::BlockRows<float> rows;
    cv::escrf::detail::HeadInference inference;
    std::map<std::string, std::vector<double> > t;
    std::vector<std::string> order;
    const bool cpuTime = envOr("ESCRF_PERF_CPU_TIME", "0") == "1";
    auto timed = [&](const std::string& name, const std::function<void()>& fn) {
        const int64 t0 = getTickCount();
        const double c0 = processCpuMilliseconds();
        fn();
        if (!t.count(name))
            order.push_back(name);
        t[name].push_back(cpuTime ? processCpuMilliseconds() - c0 : millisecondsSince(t0));
    };
    for (auto _ : state)
    {
        for (size_t l = 0; l < inputs.size(); l++)
        {
            const Size sz(inputs[l].size[3], inputs[l].size[2]);
            const int n = sz.area();
            const float* X = inputs[l].ptr<float>();
            float* out = sz == hs ? F.ptr<float>() : (P[l].create(D, n, CV_32F), P[l].ptr<float>());
            cv::escrf::detail::Conv1x1 conv;
            conv.set(head.projectionWeights[l]);
            timed("projection " + cfg.inputs[l] + format(" (%dx%d)", sz.width, sz.height), [&]() {
                strips(sz.height, [&](int, int y0, int y1) {
                    conv.cells(X + (size_t)y0 * sz.width, n, (y1 - y0) * sz.width, out + (size_t)y0 * sz.width, n, l > 0);
                });
            });
            if (sz == hs)
                continue;
            const cv::escrf::detail::LinearTaps tx(sz.width, w), ty(sz.height, hs.height);
            timed("resize + sum " + cfg.inputs[l], [&]() {
                strips(hs.height, [&](int k, int y0, int y1) {
                    for (int d = 0; d < D; d++)
                        cv::escrf::detail::resizePlaneRows(P[l].ptr<float>(d), sz, tx, ty, y0, y1, F.ptr<float>(d) + (size_t)y0 * w,
                                                true, scratch[k]);
                });
            });
        }
        timed("bias + ReLU", [&]() {
            strips(hs.height, [&](int, int y0, int y1) {
                for (int d = 0; d < D; d++)
                {
                    float* f = F.ptr<float>(d);
                    const float b = head.projectionBias.at<float>(d);
                    for (int i = y0 * w; i < y1 * w; i++)
                        f[i] = std::max(f[i] + b, 0.f);
                }
            });
        });
        timed("guide preparation", [&]() {
            block::prepareGuideView(s.image, sp, M, hs, p, CV_32F, gb, view);
        });
        timed("block preparation (means, compatibilities, score tables)", [&]() {
            block::prepareBlockRows<float>(p, head.blockWeights, view, F, plan, rows);
        });
        timed("superpixel means", [&]() { block::superpixelMeans(F, view.cellLabels, M, nullptr, rows.means); });
        timed("compatibilities", [&]() { block::compatLogits(head.blockWeights.w_comp, F, v); });
        timed("embeddings, factored (score tables)", [&]() {
            block::buildWindowScores<float>(p, head.blockWeights.W_img, head.blockWeights.W_pos, view, rows.scores);
        });
        timed("window message", [&]() {
            strips(hs.height, [&](int k, int y0, int y1) {
                scratch[k].resize(block::windowScratchSize(rows.scores.offsets.K, w));
                for (int y = y0; y < y1; y++)
                    block::windowForwardRow<float>(rows.window, y, Fstar.ptr<float>() + (size_t)y * w, (size_t)N, nullptr,
                                            scratch[k].data());
            });
        });
        timed("superpixel prior", [&]() {
            strips(hs.height, [&](int, int y0, int y1) {
                block::priorCells(rows.means, rows.cellLabels, nullptr, y0 * w, y1 * w, true, 0.5f,
                                  Fstar.ptr<float>() + (size_t)y0 * w, N);
            });
        });
        cv::escrf::detail::Conv1x1 classifier;
        classifier.set(head.classifierWeights, head.classifierBias);
        timed("classifier", [&]() {
            strips(hs.height, [&](int, int y0, int y1) {
                classifier.cells(Fstar.ptr<float>() + (size_t)y0 * w, N, (y1 - y0) * w, logits.ptr<float>() + (size_t)y0 * w,
                                 N, false);
            });
        });
        timed("argmax", [&]() {
            strips(hs.height, [&](int, int y0, int y1) {
                for (int y = y0; y < y1; y++)
                    cv::escrf::detail::argmaxCells(logits.ptr<float>() + (size_t)y * w, N, K, w, CV_8U, labels.ptr(y));
            });
        });
        timed("fused pass 1 (projection, resize, sum, bias, ReLU)", [&]() { inference.project(head, inputs, hs); });
        timed("fused guide + block preparation", [&]() { inference.setGuide(s.image, sp, M); });
        timed("fused pass 2 (block rows, classifier, argmax)", [&]() { inference.labels(hs, CV_8U, labels); });
    }
    for (size_t i = 0; i < order.size(); i++)
        state.counters[format("%02d %s", (int)i, order[i].c_str())] = median(t[order[i]]);
}

BENCHMARK(BM_Segment)->ArgNames({ "w", "h", "impl" })->Args({ 480, 360, 0 })->Args({ 480, 360, 1 })
    ->Args({ 1024, 512, 0 })->Args({ 1024, 512, 1 })->Args({ 2048, 1024, 0 })->Args({ 2048, 1024, 1 })
    ->Args({ 10000, 10000, 1 })
    ->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(BM_HeadStages)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
