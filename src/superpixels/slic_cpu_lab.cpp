// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Blur and 8-bit Lab of the module's SLIC on the CPU, bit-identical to the GPU pipeline's:
// cv::GaussianBlur (its 8-bit path is the device blur's fixed-point arithmetic) and the device's
// integer Lab conversion (slicdev::bgrToLabPixel) written with universal intrinsics. All of it is
// integer arithmetic, so the SIMD lanes give exactly the scalar values.

#include "precomp.hpp"
#include "opencv2/core/hal/intrin.hpp"
#include "superpixels/slic_pipeline.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

using slicdev::kLabShift;
using slicdev::kLabShift2;

//! The cube-root table as ints, for v_lut.
const std::vector<int>& cbrtTable32()
{
    static const std::vector<int> t(slicdev::labTables().cbrt, slicdev::labTables().cbrt + slicdev::kCbrtTabSize);
    return t;
}

//! f(X), f(Y), f(Z) table values of v_int32::nlanes pixels from their gamma-corrected B, G, R
//! as interleaved int16 pairs (B, G) and (R, 1): the matrix rows are dot products.
inline void labF(const v_int16& bg, const v_int16& r1, const v_int16* cBG, const v_int16* cR1, const int* cbrt,
                 v_int32* f)
{
    const v_int32 lo = vx_setall_s32(0), hi = vx_setall_s32(slicdev::kCbrtTabSize - 1);
    for (int c = 0; c < 3; c++)
    {
        // (B C0 + G C1) + (R C2 + 2^11) = the rounded descale of slicdev::descale(.., kLabShift).
        const v_int32 idx = v_shr<kLabShift>(v_dotprod(bg, cBG[c]) + v_dotprod(r1, cR1[c]));
        f[c] = v_lut(cbrt, v_min(v_max(idx, lo), hi));
    }
}

//! L, a, b (still 32-bit) of the pixels whose f(X), f(Y), f(Z) are f.
inline void labFromF(const v_int32* f, v_int32& L, v_int32& a, v_int32& b)
{
    const int Lscale = (116 * 255 + 50) / 100;
    const int Lshift = -((16 * 255 * (1 << kLabShift2) + 50) / 100);
    const v_int32 half = vx_setall_s32(1 << (kLabShift2 - 1)), bias = vx_setall_s32(128 * (1 << kLabShift2));
    L = v_shr<kLabShift2>(f[1] * vx_setall_s32(Lscale) + vx_setall_s32(Lshift) + half);
    a = v_shr<kLabShift2>((f[0] - f[1]) * vx_setall_s32(500) + bias + half);
    b = v_shr<kLabShift2>((f[1] - f[2]) * vx_setall_s32(200) + bias + half);
}

//! One row: slicdev::bgrToLabPixel for every pixel, v_uint8::nlanes at a time.
void labRow(const uint8_t* bgr, uint8_t* lab, int W, const slicdev::LabTables& t)
{
    const int* C = t.coeffs;
    const int n8 = v_uint8::nlanes, n16 = v_int16::nlanes;
    std::vector<short> pairBG(n16), pairR1(n16);
    v_int16 cBG[3], cR1[3];
    for (int c = 0; c < 3; c++)
    {
        for (int i = 0; i < n16; i += 2)
        {
            pairBG[i] = (short)C[3 * c]; pairBG[i + 1] = (short)C[3 * c + 1];
            pairR1[i] = (short)C[3 * c + 2]; pairR1[i + 1] = (short)(1 << (kLabShift - 1));
        }
        cBG[c] = vx_load(pairBG.data());
        cR1[c] = vx_load(pairR1.data());
    }
    std::vector<short> gamma(3 * n8);
    const int* cbrt = cbrtTable32().data();
    int x = 0;
    for (; x + n8 <= W; x += n8)
    {
        for (int i = 0; i < n8; i++)
            for (int ch = 0; ch < 3; ch++)
                gamma[ch * n8 + i] = (short)t.gamma[bgr[3 * (x + i) + ch]];
        v_int16 out[3][2];  // L, a, b of the two halves
        for (int h = 0; h < 2; h++)
        {
            v_int16 bg[2], r1[2];
            v_zip(vx_load(&gamma[h * n16]), vx_load(&gamma[n8 + h * n16]), bg[0], bg[1]);
            v_zip(vx_load(&gamma[2 * n8 + h * n16]), vx_setall_s16(1), r1[0], r1[1]);
            v_int32 L[2], a[2], b[2];
            for (int q = 0; q < 2; q++)
            {
                v_int32 f[3];
                labF(bg[q], r1[q], cBG, cR1, cbrt, f);
                labFromF(f, L[q], a[q], b[q]);
            }
            out[0][h] = v_pack(L[0], L[1]);
            out[1][h] = v_pack(a[0], a[1]);
            out[2][h] = v_pack(b[0], b[1]);
        }
        // Saturating packs: int32 -> int16 -> uint8 clamps to [0, 255], as slicdev::saturateU8.
        v_store_interleave(lab + 3 * x, v_pack_u(out[0][0], out[0][1]), v_pack_u(out[1][0], out[1][1]),
                           v_pack_u(out[2][0], out[2][1]));
    }
    for (; x < W; x++)
        slicdev::bgrToLabPixel(bgr + 3 * x, lab + 3 * x, t.gamma, t.cbrt, C[0], C[1], C[2], C[3], C[4], C[5],
                               C[6], C[7], C[8]);
}

} // namespace

void slicBlurLab(const Mat& bgr, int blurKernel, Mat& lab)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    // A ROI is blurred as an image of its own (as on the device), not with the pixels around it.
    Mat src = (bgr.isSubmatrix() || !bgr.isContinuous()) ? bgr.clone() : bgr;
    if (blurKernel > 1)
    {
        Mat blurred;
        GaussianBlur(src, blurred, Size(blurKernel, blurKernel), 0);
        src = blurred;
    }
    lab.create(src.size(), CV_8UC3);
    const slicdev::LabTables& t = slicdev::labTables();
    cbrtTable32();  // built before the threads need it
    parallel_for_(Range(0, src.rows), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
            labRow(src.ptr<uint8_t>(y), lab.ptr<uint8_t>(y), src.cols, t);
    });
}

}}} // namespace cv::escrf::detail
