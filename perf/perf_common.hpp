// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Helpers shared by the perf programs (perf_block.cpp, perf_cuda.cpp): thread count from the
// environment, peak-memory columns, the block's benchmark batch, a synthetic 1080p frame.
#ifndef OPENCV_ESCRF_PERF_COMMON_HPP
#define OPENCV_ESCRF_PERF_COMMON_HPP

#include "opencv2/core.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/escrf/block.hpp"
#include "opencv2/escrf/dataset.hpp"
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace escrf_perf {

using namespace cv;
using namespace cv::escrf;

//! The environment variable `name`, or `fallback` where it is unset or empty.
inline std::string envOr(const char* name, const std::string& fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

//! The shared data folder: ESCRF_SHARED_DIR, ../shared by default.
inline std::string sharedDir() { return envOr("ESCRF_SHARED_DIR", "../shared"); }

//! ESCRF_PERF_THREADS in the environment sets cv::setNumThreads.
inline void setThreads()
{
    const char* t = std::getenv("ESCRF_PERF_THREADS");
    if (t && *t)
        cv::setNumThreads(std::atoi(t));
}

// Memory columns: the peak resident set (VmHWM) is reset through /proc/self/clear_refs before
// the timed loop, so that "peak growth" = VmHWM after - VmRSS before is what the block needs.
inline double procStatusMiB(const char* key)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(key);
    while (std::getline(f, line))
        if (line.compare(0, n, key) == 0)
            return std::atof(line.c_str() + n) / 1024.0;
    return 0;
}

inline double resetPeak()
{
    std::ofstream("/proc/self/clear_refs") << "5";
    return procStatusMiB("VmRSS:");
}

inline double peakRssMiB()
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

inline Batch makeBatch(int B, int C, int h, int w, int mode)
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

/** A street-like CV_8UC3 BGR frame of the given size, the same for every call: the module's
scene generator (sky-to-ground gradient, boxes, discs) at CamVid scale, a hundred smaller
random-colour regions (cars, signs, windows), upscaled with bilinear interpolation like a
camera frame and given sensor noise. Superpixel run times depend on the image only through
the connectivity step, but a flat synthetic image would make that step unrealistically cheap. */
inline Mat makeStreetFrame(Size size)
{
    RNG rng(2024);
    Mat small, classes;
    const Size base(480, 270);
    generateSyntheticScene(base, rng, small, classes);
    for (int i = 0; i < 120; i++)
    {
        const Point c(rng.uniform(0, base.width), rng.uniform(0, base.height));
        const Size r(rng.uniform(2, 24), rng.uniform(2, 18));
        const Scalar colour(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
        if (i % 2)
            rectangle(small, Rect(c - Point(r.width, r.height), c + Point(r.width, r.height)), colour, FILLED);
        else
            ellipse(small, c, r, rng.uniform(0, 180), 0, 360, colour, FILLED);
    }
    Mat frame;
    resize(small, frame, size, 0, 0, INTER_LINEAR);
    Mat noise(size, CV_16SC3), noisy;
    rng.fill(noise, RNG::NORMAL, 0, 6);
    frame.convertTo(noisy, CV_16SC3);
    noisy += noise;
    noisy.convertTo(frame, CV_8UC3);
    return frame;
}

} // namespace escrf_perf

#endif
