// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The host-side tables of the device superpixel pipeline (slic_pipeline.hpp): the fixed-point
// Lab conversion and the small Gaussian kernels, shared by the CUDA backend
// (src/cuda/slic_pipeline.cu) and its CPU emulation (slic_emulation.cpp).

#include "precomp.hpp"
#include "superpixels/slic_pipeline.hpp"
#include <cmath>

namespace cv {
namespace escrf {
namespace slicdev {

static LabTables buildLabTables()
{
    LabTables t;
    // sRGB -> linear, 255 * 8 levels (OpenCV's sRGBGammaTab_b).
    for (int i = 0; i < 256; i++)
    {
        const double x = i / 255.0;
        const double g = x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4);
        t.gamma[i] = (uint16_t)cvRound(255.0 * (1 << kGammaShift) * g);
    }
    // f(t) of CIE Lab in 1/2^15 for t = i / (255 * 8) (OpenCV's LabCbrtTab_b).
    const double lthresh = 216.0 / 24389.0, lscale = 841.0 / 108.0, lbias = 16.0 / 116.0;
    for (int i = 0; i < kCbrtTabSize; i++)
    {
        const double x = i / (255.0 * (1 << kGammaShift));
        const double f = x < lthresh ? x * lscale + lbias : std::cbrt(x);
        t.cbrt[i] = (uint16_t)cvRound((1 << kLabShift2) * f);
    }
    // sRGB (D65) -> XYZ, rows divided by the D65 white point, columns in B, G, R order.
    static const double M[9] = { 0.412453, 0.357580, 0.180423,
                                 0.212671, 0.715160, 0.072169,
                                 0.019334, 0.119193, 0.950227 };
    static const double white[3] = { 0.950456, 1.0, 1.088754 };
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            t.coeffs[r * 3 + (2 - c)] = cvRound((1 << kLabShift) * M[r * 3 + c] / white[r]);
    return t;
}

const LabTables& labTables()
{
    static const LabTables t = buildLabTables();
    return t;
}

bool blurOnDevice(int ksize)
{
    return ksize <= 1 || ksize == 3 || ksize == 5 || ksize == 7;
}

BlurKernel smallGaussianKernel(int ksize)
{
    // getGaussianKernel's fixed tables for sigma <= 0 (0.25 0.5 0.25; 1 4 6 4 1 / 16;
    // 0.03125 0.109375 0.21875 0.28125 ...), all exact in 1/256.
    static const int k3[] = { 64, 128, 64 };
    static const int k5[] = { 16, 64, 96, 64, 16 };
    static const int k7[] = { 8, 28, 56, 72, 56, 28, 8 };
    CV_Assert(ksize == 3 || ksize == 5 || ksize == 7);
    const int* w = ksize == 3 ? k3 : (ksize == 5 ? k5 : k7);
    BlurKernel k;
    k.radius = ksize / 2;
    for (int i = 0; i < 2 * kMaxBlurRadius + 1; i++)
        k.w[i] = i < ksize ? w[i] : 0;
    return k;
}

} // namespace slicdev
}} // namespace cv::escrf
