// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The SLIC assignment step on the CPU with OpenCV's universal intrinsics. A pixel takes the
// nearest of the (up to) 2x2 centres whose cells surround it (slicdev::candidateCells): the
// left half of a cell row (before the cell's middle column) compares columns i-1 and i, the
// right half i and i+1, and the grid rows are j-1, j or j, j+1 depending on the image row. So
// every pixel of a half cell row has the same candidates: it is one SIMD loop over its pixels,
// the candidates' parameters loaded already broadcast from a per-band table (built once per band
// and iteration; only dy^2 changes from row to row). Each lane computes the float operations of
// slicdev::SlicAssign in the same order (separate multiplies and adds, never fused), so the
// labels are the GPU's bit for bit. Where OpenCV has no SIMD for the platform, the universal
// intrinsics are its C++ emulation, with the same per-lane float operations.

#include "precomp.hpp"
#include "opencv2/core/hal/intrin.hpp"
#include "superpixels/slic_cpu.hpp"
#include "superpixels/slic_device_math.hpp"

namespace cv {
namespace escrf {
namespace detail {

SlicLayout::SlicLayout(Size imageSize, const SlicGrid& grid)
    : W(imageSize.width), H(imageSize.height), g(grid)
{
    CV_Assert(g.gx >= 1 && g.gy >= 1 && g.gx <= W && g.gy <= H);
    // The first pixel of each cell: the smallest p with gridCell(p) = c (every cell has one,
    // since there are at most as many cells as pixels).
    colStart.assign(g.gx + 1, W);
    for (int x = W - 1; x >= 0; x--)
        colStart[slicdev::gridCell(x, g.gx, W)] = x;
    rowStart.assign(g.gy + 1, H);
    for (int y = H - 1; y >= 0; y--)
        rowStart[slicdev::gridCell(y, g.gy, H)] = y;
}

namespace {

const int VL = v_float32::nlanes;
const float kFarAway = 3.402823466e+38f;  // FLT_MAX, the initial best distance of SlicAssign

/** The centres one band can take (3 grid rows, row-major as their indices), each value repeated
VL times so that the kernel loads it broadcast; the candidates of a half cell in one grid row are
1 or 2 consecutive entries. */
struct BandTable
{
    enum { kL, kA, kB, kX, kInvColor, kDy2, kIndex, kValues };  // kIndex: the centre index k, as int bits
    std::vector<float> values;  //!< per band centre: kValues x VL floats
    int firstCentre = 0, rows = 0;

    float* entry(int t) { return &values[(size_t)t * kValues * VL]; }
};

} // namespace

struct SlicRowAssigner::Impl
{
    const SlicLayout& layout;
    BandTable t;
    std::vector<float> L, a, b, x;  //!< the row as floats, padded by one vector
    std::vector<int> label;         //!< padded by one vector
    const float* centres = nullptr;
    bool scaled = false;
    float invSpatial = 0.f;

    explicit Impl(const SlicLayout& l) : layout(l)
    {
        const size_t n = (size_t)l.W + 2 * v_uint8::nlanes;
        L.assign(n, 0.f); a.assign(n, 0.f); b.assign(n, 0.f); x.resize(n); label.assign(n, 0);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)i;
        t.values.resize((size_t)3 * l.g.gx * BandTable::kValues * VL);
    }
    void toFloat(const uint8_t* lab);
    template <bool kScaled>
    void assignRun(int x0, int x1, int r0, int rows, int i0, int cols);
};

//! Deinterleaves and converts a Lab row to three float rows.
void SlicRowAssigner::Impl::toFloat(const uint8_t* lab)
{
    const int W = layout.W;
    int i = 0;
    for (; i + v_uint8::nlanes <= W; i += v_uint8::nlanes)
    {
        v_uint8 c[3];
        v_load_deinterleave(lab + 3 * i, c[0], c[1], c[2]);
        float* out[3] = { &L[i], &a[i], &b[i] };
        for (int ch = 0; ch < 3; ch++)
        {
            v_uint16 h[2];
            v_expand(c[ch], h[0], h[1]);
            for (int half = 0; half < 2; half++)
            {
                v_uint32 w0, w1;
                v_expand(h[half], w0, w1);
                v_store(out[ch] + (2 * half) * VL, v_cvt_f32(v_reinterpret_as_s32(w0)));
                v_store(out[ch] + (2 * half + 1) * VL, v_cvt_f32(v_reinterpret_as_s32(w1)));
            }
        }
    }
    for (; i < W; i++)
    {
        L[i] = lab[3 * i];
        a[i] = lab[3 * i + 1];
        b[i] = lab[3 * i + 2];
    }
}

/** Labels of pixels [x0, x1) of the row from the candidates in band rows [r0, r0 + rows) and
columns [i0, i0 + cols), in increasing centre index, so that the strict '<' keeps the lowest
index on ties as the device does (the minimum of two floats is exact, and (c - p)^2 = (p - c)^2
exactly). Writes up to one vector past x1: the next run overwrites it, the buffer is padded for
the last one. */
template <bool kScaled>
void SlicRowAssigner::Impl::assignRun(int x0, int x1, int r0, int rows, int i0, int cols)
{
    const v_float32 vs = vx_setall_f32(invSpatial);
    const int gx = layout.g.gx;
    for (int i = x0; i < x1; i += VL)
    {
        const v_float32 p0 = vx_load(&L[i]), p1 = vx_load(&a[i]), p2 = vx_load(&b[i]), px = vx_load(&x[i]);
        v_float32 best = vx_setall_f32(kFarAway);
        v_int32 bestK = vx_setall_s32(-1);
        for (int r = r0; r < r0 + rows; r++)
        {
            const float* q = t.entry(r * gx + i0);
            for (int c = 0; c < cols; c++, q += BandTable::kValues * VL)
            {
                const v_float32 dl = vx_load(q + BandTable::kL * VL) - p0;
                const v_float32 da = vx_load(q + BandTable::kA * VL) - p1;
                const v_float32 db = vx_load(q + BandTable::kB * VL) - p2;
                v_float32 dc2 = (dl * dl + da * da) + db * db;
                if (kScaled)
                    dc2 = dc2 * vx_load(q + BandTable::kInvColor * VL);
                const v_float32 dx = vx_load(q + BandTable::kX * VL) - px;
                const v_float32 d = dc2 + (dx * dx + vx_load(q + BandTable::kDy2 * VL)) * vs;
                const v_float32 closer = d < best;
                best = v_min(best, d);
                bestK = v_select(v_reinterpret_as_s32(closer), v_reinterpret_as_s32(vx_load(q + BandTable::kIndex * VL)),
                                 bestK);
            }
        }
        v_store(&label[i], bestK);
    }
}

SlicRowAssigner::SlicRowAssigner(const SlicLayout& layout) : impl_(new Impl(layout)) {}
SlicRowAssigner::~SlicRowAssigner() {}

void SlicRowAssigner::setBand(int j, const float* centres, const float* invColor, float invSpatial)
{
    Impl& m = *impl_;
    const SlicLayout& l = m.layout;
    BandTable& t = m.t;
    m.centres = centres;
    m.scaled = invColor != nullptr;
    m.invSpatial = invSpatial;
    t.firstCentre = l.firstCentre(j);
    t.rows = l.lastRow(j) - l.firstRow(j) + 1;
    for (int c = 0; c < l.bandCentres(j); c++)
    {
        const int k = t.firstCentre + c;
        const float* src = centres + 5 * k;
        float* q = t.entry(c);
        const float v[] = { src[0], src[1], src[2], src[3], invColor ? invColor[k] : 1.f };
        for (int u = 0; u < BandTable::kDy2; u++)
            v_store(q + u * VL, vx_setall_f32(v[u]));
        v_store(q + BandTable::kIndex * VL, v_reinterpret_as_f32(vx_setall_s32(k)));
    }
}

const int* SlicRowAssigner::assignRow(const uint8_t* labRow, int y)
{
    Impl& m = *impl_;
    const SlicLayout& l = m.layout;
    BandTable& t = m.t;
    const int gx = l.g.gx;
    for (int c = 0; c < t.rows * gx; c++)
    {
        // As the device: dy = (float)y - centre y, then dy * dy, rounded separately. (The
        // kernel reads 2 of the 3 grid rows; computing all keeps this loop simple.)
        const float dy = (float)y - m.centres[5 * (t.firstCentre + c) + 4];
        v_store(t.entry(c) + BandTable::kDy2 * VL, vx_setall_f32(dy * dy));
    }
    m.toFloat(labRow);
    int j0, j1;
    const int j = slicdev::gridCell(y, l.g.gy, l.H);
    slicdev::candidateCells(y, j, l.g.gy, l.H, j0, j1);
    const int r0 = j0 - l.firstRow(j), rows = j1 - j0 + 1;
    for (int i = 0; i < gx; i++)
    {
        // The two halves of the cell row: before its middle column, and from it on.
        const int middle = slicdev::cellMiddle(i, gx, l.W);
        const int bounds[3] = { l.colStart[i], middle, l.colStart[i + 1] };
        for (int half = 0; half < 2; half++)
        {
            if (bounds[half] == bounds[half + 1])
                continue;
            int i0, i1;
            slicdev::candidateCells(bounds[half], i, gx, l.W, i0, i1);
            if (m.scaled)
                m.assignRun<true>(bounds[half], bounds[half + 1], r0, rows, i0, i1 - i0 + 1);
            else
                m.assignRun<false>(bounds[half], bounds[half + 1], r0, rows, i0, i1 - i0 + 1);
        }
    }
    return m.label.data();
}

}}} // namespace cv::escrf::detail
