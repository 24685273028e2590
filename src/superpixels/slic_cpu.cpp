// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The module's SLIC on the CPU (SUPERPIXEL_IMPL_ESCRF): the algorithm of the GPU pipeline
// (slic_pipeline.hpp, slic_device_math.hpp), computed so that its labels are bit-identical to
// the device's and independent of the thread count:
//  * blur and Lab: slic_cpu_lab.cpp;
//  * assignment (slic_cpu_assign.cpp): the candidates of a pixel (the 2x2 grid centres around it)
//    are the same for every pixel of a half cell row, so such a run is one SIMD loop over its
//    pixels with the candidates' parameters broadcast; the float operations are those of
//    slicdev::SlicAssign in the same order (no FMA), so every lane rounds like the device thread;
//  * centre update: one task per grid row of pixels (a band), fused with the assignment of the
//    band's rows; each band sums into its own accumulator of the 3 grid rows of centres it can
//    reach (no two tasks write one counter), and the integer sums are exact, so the reduction
//    gives the device's sums whatever the thread count;
//  * SLICO's colour scales: per-band maxima of the same float distance, reduced by max.

#include "precomp.hpp"
#include "superpixels/slic_pipeline.hpp"
#include "superpixels/slic_cpu.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

//! The state of one SLIC run: centres, colour scales and the per-band accumulators.
struct SlicState
{
    SlicLayout layout;
    int K = 0;
    bool slico = false;
    float invSpatial = 0.f;
    Mat centres;                      //!< K x 5 CV_32F: L, a, b, x, y
    std::vector<float> invColor;      //!< SLICO: per centre
    std::vector<uint64> bandSums;     //!< per band: kSlicSums counters of each centre it reaches
    std::vector<unsigned> bandMax;    //!< SLICO, per band: largest colour distance (float bits) of each centre

    SlicState(const Mat& lab, const SuperpixelParams& params, int S)
        : layout(lab.size(), makeSlicGrid(lab.size(), S))
    {
        K = layout.g.gx * layout.g.gy;
        slico = params.algorithm == SUPERPIXEL_SLICO;
        invSpatial = slico ? 1.f / (float)(S * S) : (params.ruler * params.ruler) / (float)(S * S);
        initSlicCentres(lab, layout.g, centres);
        if (slico)
            invColor.assign(K, 1.f / 100.f);
        bandSums.resize(bandOffset(layout.g.gy) * slicdev::kSlicSums);
        if (slico)
            bandMax.resize(bandOffset(layout.g.gy));
    }
    //! Offset of band j's accumulator, in centres (a band reaches 3 grid rows at most).
    size_t bandOffset(int j) const { return (size_t)j * 3 * layout.g.gx; }
};

/** Per-centre sums of a band in three words, L | a << 32, b | count << 32 and x | y << 32, so
that a pixel costs three additions. Every half stays below 2^32 while the rows summed give no
centre more than 2^32 / max(255, W, H) pixels (so x, y and the colours of its pixels sum
exactly): the words are flushed into the band's kSlicSums counters every maxRows rows. */
struct PackedSums
{
    enum { kWords = 3 };
    std::vector<uint64> w;
    int maxRows;
    PackedSums(int centres, Size image)
        : w((size_t)centres * kWords, 0),
          maxRows((int)(0xFFFFFFFFull / ((uint64)image.width * std::max(255, std::max(image.width, image.height)))))
    {
    }
    //! Adds row y's pixels to their centres (labels k, stored at k - kFirst).
    void addRow(const uint8_t* lab, const int* label, int W, int y, int kFirst)
    {
        // One pixel at a time, without a test for runs of equal labels: superpixel boundaries
        // are too frequent for such a branch to be predicted.
        uint64* base = w.data();
        const uint64 one = 1ull << 32;
        uint64 xy = (uint64)y << 32;
        for (int x = 0; x < W; x++, lab += 3, xy++)
        {
            uint64* s = base + (size_t)(label[x] - kFirst) * kWords;
            s[0] += lab[0] | ((uint64)lab[1] << 32);
            s[1] += lab[2] | one;
            s[2] += xy;
        }
    }
    //! Adds the packed sums of n centres to their counters and clears them.
    void flush(uint64* sums, int n)
    {
        const uint64 low = 0xFFFFFFFFull;
        for (int t = 0; t < n; t++)
        {
            uint64* p = &w[(size_t)t * kWords];
            uint64* s = sums + (size_t)t * slicdev::kSlicSums;
            s[0] += p[0] & low; s[1] += p[0] >> 32;
            s[2] += p[1] & low; s[5] += p[1] >> 32;
            s[3] += p[2] & low; s[4] += p[2] >> 32;
            p[0] = p[1] = p[2] = 0;
        }
    }
};

/** One iteration's assignment of the rows of band j, summed into the band's accumulator (packed
is null in the last iteration, whose centres nothing reads). */
void assignBand(SlicState& s, SlicRowAssigner& assigner, PackedSums* packed, const Mat& lab, Mat& labels, int j)
{
    const SlicLayout& l = s.layout;
    uint64* acc = &s.bandSums[s.bandOffset(j) * slicdev::kSlicSums];
    std::fill(acc, acc + (size_t)l.bandCentres(j) * slicdev::kSlicSums, (uint64)0);
    assigner.setBand(j, s.centres.ptr<float>(), s.slico ? s.invColor.data() : nullptr, s.invSpatial);
    for (int y = l.rowStart[j], rows = 0; y < l.rowStart[j + 1]; y++)
    {
        const uint8_t* row = lab.ptr<uint8_t>(y);
        const int* label = assigner.assignRow(row, y);
        std::copy(label, label + l.W, labels.ptr<int>(y));
        if (!packed)
            continue;
        packed->addRow(row, label, l.W, y, l.firstCentre(j));
        if (++rows == packed->maxRows || y + 1 == l.rowStart[j + 1])
        {
            packed->flush(acc, l.bandCentres(j));
            rows = 0;
        }
    }
}

//! New centres from the band sums (centre k's sums come from the bands of its grid row +- 1).
void finishCentres(SlicState& s)
{
    const SlicLayout& l = s.layout;
    std::vector<unsigned long long> sums((size_t)s.K * slicdev::kSlicSums, 0ull);
    for (int j = 0; j < l.g.gy; j++)
    {
        const uint64* acc = &s.bandSums[s.bandOffset(j) * slicdev::kSlicSums];
        unsigned long long* dst = &sums[(size_t)l.firstCentre(j) * slicdev::kSlicSums];
        for (size_t t = 0; t < (size_t)l.bandCentres(j) * slicdev::kSlicSums; t++)
            dst[t] += acc[t];
    }
    const slicdev::SlicFinishCentre finish{ sums.data(), s.centres.ptr<float>() };
    for (int k = 0; k < s.K; k++)
        finish(k);
}

//! SLICO: invColor[k] = 1 / max(1, largest colour distance of k's pixels to the new centre k).
void updateColorScales(SlicState& s, const Mat& lab, const Mat& labels)
{
    const SlicLayout& l = s.layout;
    const float* C = s.centres.ptr<float>();
    parallel_for_(Range(0, l.g.gy), [&](const Range& r) {
        for (int j = r.start; j < r.end; j++)
        {
            unsigned* m = &s.bandMax[s.bandOffset(j)];
            std::fill(m, m + l.bandCentres(j), 0u);
            const int kFirst = l.firstCentre(j);
            for (int y = l.rowStart[j]; y < l.rowStart[j + 1]; y++)
            {
                const uint8_t* p = lab.ptr<uint8_t>(y);
                const int* k = labels.ptr<int>(y);
                for (int x = 0; x < l.W; x++, p += 3)
                    slicdev::maxNonNegativeFloat(m + (k[x] - kFirst),
                                                 slicdev::slicColorDist2(p[0], p[1], p[2], C + 5 * k[x]));
            }
        }
    });
    std::vector<unsigned> maxBits(s.K, 0u);
    for (int j = 0; j < l.g.gy; j++)
    {
        const unsigned* m = &s.bandMax[s.bandOffset(j)];
        unsigned* dst = &maxBits[l.firstCentre(j)];
        for (int t = 0; t < l.bandCentres(j); t++)
            dst[t] = std::max(dst[t], m[t]);
    }
    const slicdev::SlicInvColor inv{ maxBits.data(), s.invColor.data() };
    for (int k = 0; k < s.K; k++)
        inv(k);
}

} // namespace

int runSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params)
{
    CV_Assert(lab.type() == CV_8UC3 && lab.isContinuous() && !lab.empty());
    CV_Assert(params.algorithm == SUPERPIXEL_SLIC || params.algorithm == SUPERPIXEL_SLICO);
    if (params.iterations <= 0)
        CV_Error_(Error::StsOutOfRange, ("SLIC: params.iterations = %d, expected > 0", params.iterations));
    if ((uint64)lab.cols * std::max(255, std::max(lab.cols, lab.rows)) > 0xFFFFFFFFull)
        CV_Error_(Error::StsOutOfRange, ("SLIC: image of %d x %d pixels, expected width * max(255, width, height) "
                                         "< 2^32 (e.g. up to 65535 x 65535): the module's CPU SLIC sums coordinates "
                                         "and colours of a row in 32 bits (SUPERPIXEL_IMPL_XIMGPROC has no such limit)",
                                         lab.cols, lab.rows));
    SlicState s(lab, params, superpixelRegionSize(lab.size(), params.numSuperpixels));
    labels.create(lab.size(), CV_32SC1);
    for (int it = 0; it < params.iterations; it++)
    {
        // One task per band: the bands' accumulators are their own and the integer sums are
        // exact, so the result does not depend on how the bands are shared among threads. The
        // labels of the last iteration are the result: its centre update is skipped (the GPU
        // pipeline computes it and discards it).
        const bool last = it + 1 == params.iterations;
        parallel_for_(Range(0, s.layout.g.gy), [&](const Range& r) {
            SlicRowAssigner assigner(s.layout);
            PackedSums packed(3 * s.layout.g.gx, lab.size());
            for (int j = r.start; j < r.end; j++)
                assignBand(s, assigner, last ? nullptr : &packed, lab, labels, j);
        });
        if (last)
            break;
        finishCentres(s);
        if (s.slico)
            updateColorScales(s, lab, labels);
    }
    if (params.enforceConnectivity)
        return enforceLabelConnectivity(labels, slicMinPieceSize(lab.size(), s.K, params.minElementSize));
    return renumberLabelsRasterOrder(labels);
}

void slicAssignCpu(const Mat& lab, const Mat& centres, const SlicGrid& g,
                   const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels)
{
    CV_Assert(lab.type() == CV_8UC3 && !lab.empty());
    CV_Assert(centres.type() == CV_32FC1 && centres.cols == 5 && centres.rows == g.gx * g.gy);
    CV_Assert(centres.isContinuous() && (int)invColorScale.size() == centres.rows);
    const SlicLayout layout(lab.size(), g);
    labels.create(lab.size(), CV_32SC1);
    parallel_for_(Range(0, g.gy), [&](const Range& r) {
        SlicRowAssigner assigner(layout);
        for (int j = r.start; j < r.end; j++)
        {
            assigner.setBand(j, centres.ptr<float>(), invColorScale.data(), invSpatialScale);
            for (int y = layout.rowStart[j]; y < layout.rowStart[j + 1]; y++)
            {
                const int* label = assigner.assignRow(lab.ptr<uint8_t>(y), y);
                std::copy(label, label + layout.W, labels.ptr<int>(y));
            }
        }
    });
}

}}} // namespace cv::escrf::detail
