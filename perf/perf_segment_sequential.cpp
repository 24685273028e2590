// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Segmenter::segment beside the backbone alone, and the segment pipeline composed of public calls
// one after the other (backbone, superpixels, prepareGuide, Head::forward with the training path):
// public API only, so that this file also builds against the module as it was before the lean
// head and the overlap (issue #10's "before" column; doc/performance.md says how).
//
//  * BM_SegmentSequential/w/h/impl: the superpixel implementation, set explicitly: 0 =
//    SUPERPIXEL_IMPL_XIMGPROC, 1 = SUPERPIXEL_IMPL_ESCRF (the module's SLIC). Counters: the
//    medians of the backbone alone, of segment() and of each public stage, and segment / backbone.
//
// Needs $ESCRF_SHARED_DIR (default ../shared) and $ESCRF_HEAD (default
// models/escrf_espnet_camvid.yml); ESCRF_PERF_THREADS sets cv::setNumThreads.

#include <benchmark/benchmark.h>
#include "perf_common.hpp"
#include "opencv2/escrf.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include <algorithm>
#include <functional>
#include <map>

namespace {

using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;

double medianOf(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void BM_SegmentSequential(benchmark::State& state)
{
    setThreads();
    const std::string shared = sharedDir();
    const std::string headFile = envOr("ESCRF_HEAD", "models/escrf_espnet_camvid.yml");
    Mat image = imread(shared + "/data/camvid/val/0016E5_07959.png", IMREAD_COLOR);
    if (image.empty() || !utils::fs::exists(headFile))
    {
        state.SkipWithError("needs $ESCRF_SHARED_DIR (CamVid, ESPNet) and $ESCRF_HEAD (run from the repository root)");
        return;
    }
    const Size size((int)state.range(0), (int)state.range(1));
    if (size != image.size())
        resize(image, image, size, 0, 0, INTER_LINEAR);
    Ptr<Head> head = Head::load(headFile);
    const HeadConfig cfg = head->config();
    SuperpixelParams sp = cfg.superpixels;
    sp.implementation = (int)state.range(2);
    const BackboneDescription desc = BackboneDescription::read(shared + "/models/espnet_camvid.yml");
    Ptr<Backbone> backbone = Backbone::create(desc);
    Ptr<Segmenter> seg = Segmenter::create(head, desc);
    seg->setSuperpixelParams(sp);
    CV_Assert(size.width % (desc.sizeMultiple * cfg.stride) == 0 && size.height % (desc.sizeMultiple * cfg.stride) == 0);
    const Size headSize(size.width / cfg.stride, size.height / cfg.stride);

    std::vector<Mat> outputs;
    Mat labels, superpixels, logits;
    EscrfGuide guide;
    backbone->forward(image, cfg.inputs, outputs);   // the first runs create the nets
    seg->segment(image, labels);
    std::map<std::string, std::vector<double> > t;
    std::vector<std::string> order;
    auto timed = [&](const std::string& name, const std::function<void()>& fn) {
        TickMeter tm;
        tm.start();
        fn();
        tm.stop();
        if (!t.count(name))
            order.push_back(name);
        t[name].push_back(tm.getTimeMilli());
        return tm.getTimeMilli();
    };
    for (auto _ : state)
    {
        timed("backbone_ms", [&]() { backbone->forward(image, cfg.inputs, outputs); });
        state.SetIterationTime(timed("segment_ms", [&]() { seg->segment(image, labels); }) / 1000.0);
        int M = 0;
        timed("s1 superpixels", [&]() { M = computeSuperpixels(image, superpixels, sp); });
        timed("s2 prepareGuide", [&]() { prepareGuide(image, superpixels, M, headSize, head->effectiveBlockParams(), guide); });
        timed("s3 Head::forward", [&]() { head->forward(outputs, headSize, &guide, logits); });
    }
    for (const std::string& name : order)
        state.counters[name] = medianOf(t[name]);
    state.counters["ratio"] = medianOf(t["segment_ms"]) / medianOf(t["backbone_ms"]);
}

BENCHMARK(BM_SegmentSequential)->ArgNames({ "w", "h", "impl" })->Args({ 480, 360, 0 })->Args({ 480, 360, 1 })
    ->Unit(benchmark::kMillisecond)->UseManualTime();

} // namespace
