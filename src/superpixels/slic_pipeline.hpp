// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The GPU superpixel pipeline (blur, Lab, SLIC iterations, connectivity) written once over a
// "backend" that owns buffers and runs a functor of slic_device_math.hpp for every pixel or
// every index: the CUDA backend (src/cuda/slic_pipeline.cu) launches one thread per item, the host
// backend (src/superpixels/slic_emulation.cpp) loops over the items in order. Both run this
// same sequence of steps, so the emulation reproduces the device run step by step.
//
// A backend B provides:
//   template <class T> using Buffer = ...;   // allocate(n), get(), upload(p, n), download(p, n)
//   template <class T> void zero(Buffer<T>&);
//   template <class T> void copy(const Buffer<T>& from, Buffer<T>& to, size_t n);
//   template <class F> void pixels(int W, int H, const F& f);   // f(x, y) for every pixel
//   template <class F> void items(int n, const F& f);           // f(i) for 0 <= i < n
#ifndef OPENCV_ESCRF_SLIC_PIPELINE_HPP
#define OPENCV_ESCRF_SLIC_PIPELINE_HPP

#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "superpixels/slic_device_math.hpp"
#include "superpixels/superpixels_detail.hpp"
#include <utility>
#include <vector>

namespace cv {
namespace escrf {
namespace slicdev {

//! Host-side helpers (defined in slic_pipeline.cpp).
CV_EXPORTS const LabTables& labTables();
//! True when the device pipeline blurs with this kernel size itself (0, 1, 3, 5, 7).
CV_EXPORTS bool blurOnDevice(int ksize);
//! OpenCV's exact 8-bit Gaussian kernel of size 3, 5 or 7 (sigma 0), in 1/256.
CV_EXPORTS BlurKernel smallGaussianKernel(int ksize);

template <class B, class T>
inline void uploadMatTo(B&, const Mat& m, typename B::template Buffer<T>& buf)
{
    const Mat c = m.isContinuous() ? m : m.clone();
    buf.upload(c.ptr<T>(), c.total() * (c.elemSize() / sizeof(T)));
}

/** Blur (GaussianBlur ksize x ksize, sigma 0, BORDER_REFLECT_101) and 8-bit Lab of a CV_8UC3
BGR image into lab (W*H*3 bytes). Kernel sizes above 7 are blurred by cv::GaussianBlur on the
host first (their bit-exact kernels are not replicated). */
template <class B>
void blurAndLab(B& be, const Mat& bgr, int blurKernel, typename B::template Buffer<uint8_t>& lab)
{
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    const int W = bgr.cols, H = bgr.rows;
    typename B::template Buffer<uint8_t> src, blurred;
    typename B::template Buffer<LabTables> tables;
    tables.upload(&labTables(), 1);
    const uint8_t* in = nullptr;
    if (blurKernel > 1 && !blurOnDevice(blurKernel))
    {
        // A ROI is blurred as an image of its own, as the device blur does (not with its surroundings).
        Mat host;
        GaussianBlur(bgr.isSubmatrix() ? bgr.clone() : bgr, host, Size(blurKernel, blurKernel), 0);
        uploadMatTo<B, uint8_t>(be, host, src);
        in = src.get();
    }
    else
    {
        uploadMatTo<B, uint8_t>(be, bgr, src);
        in = src.get();
        if (blurKernel > 1)
        {
            typename B::template Buffer<int> tmp;
            tmp.allocate((size_t)W * H * 3);
            blurred.allocate((size_t)W * H * 3);
            const BlurKernel k = smallGaussianKernel(blurKernel);
            be.pixels(W, H, BlurRows{ src.get(), tmp.get(), W, H, k });
            be.pixels(W, H, BlurCols{ tmp.get(), blurred.get(), W, H, k });
            in = blurred.get();
        }
    }
    lab.allocate((size_t)W * H * 3);
    be.pixels(W, H, BgrToLab{ in, lab.get(), tables.get(), W });
}

/** Connectivity enforcement of a W x H label map in place: labels become the index of the
first pixel of the kept piece (see slic_device_math.hpp); renumbering is the caller's. */
template <class B>
void enforceConnectivity(B& be, typename B::template Buffer<int>& labels, int W, int H, int minSize)
{
    const int N = W * H;
    typename B::template Buffer<int> a, b, size, flag;
    a.allocate(N); b.allocate(N); size.allocate(N); flag.allocate(1);
    be.items(N, CcInit{ a.get() });
    int changed = 1;
    while (changed)
    {
        be.zero(flag);
        be.pixels(W, H, CcPropagate{ labels.get(), a.get(), b.get(), flag.get(), W, H });
        std::swap(a, b);
        flag.download(&changed, 1);
    }
    // a: root (first pixel) of every pixel's piece.
    be.zero(size);
    be.items(N, CcCount{ a.get(), size.get() });
    typename B::template Buffer<int>& parent = b;
    be.pixels(W, H, CcParent{ a.get(), size.get(), parent.get(), W, minSize });
    typename B::template Buffer<int> other;
    other.allocate(N);
    be.copy(parent, other, (size_t)N);
    typename B::template Buffer<int>* cur = &parent;
    typename B::template Buffer<int>* next = &other;
    changed = 1;
    while (changed)
    {
        be.zero(flag);
        be.items(N, CcJump{ a.get(), cur->get(), next->get(), flag.get() });
        std::swap(cur, next);
        flag.download(&changed, 1);
    }
    be.items(N, CcFinal{ a.get(), cur->get(), labels.get() });
}

/** SLIC / SLICO of an 8-bit Lab image held by the backend: the steps and parameters of
detail::runSlic (grid, initial centres, iterations x (assign, update), connectivity). labels
receives W*H centre indices, or first-pixel indices after connectivity. */
template <class B>
void slic(B& be, const typename B::template Buffer<uint8_t>& lab, int W, int H,
          const SuperpixelParams& params, typename B::template Buffer<int>& labels)
{
    CV_Assert(params.algorithm == SUPERPIXEL_SLIC || params.algorithm == SUPERPIXEL_SLICO);
    // The assignment step is what writes labels: without an iteration they would stay unset.
    if (params.iterations <= 0)
        CV_Error_(Error::StsOutOfRange, ("SLIC: params.iterations = %d, expected > 0", params.iterations));
    const Size size(W, H);
    const int S = detail::superpixelRegionSize(size, params.numSuperpixels);
    const detail::SlicGrid g = detail::makeSlicGrid(size, S);
    const int K = g.gx * g.gy;
    const bool slico = params.algorithm == SUPERPIXEL_SLICO;
    const float invSpatial = slico ? 1.f / (float)(S * S) : (params.ruler * params.ruler) / (float)(S * S);

    typename B::template Buffer<float> centres, invColor;
    typename B::template Buffer<unsigned long long> sums;
    typename B::template Buffer<unsigned int> maxBits;
    centres.allocate((size_t)K * 5);
    sums.allocate((size_t)K * kSlicSums);
    maxBits.allocate(K);
    const std::vector<float> invColor0(K, slico ? 1.f / 100.f : 1.f);
    invColor.upload(invColor0.data(), K);
    labels.allocate((size_t)W * H);

    be.items(K, SlicInitCentre{ lab.get(), centres.get(), W, H, g.gx, g.gy });
    for (int it = 0; it < params.iterations; it++)
    {
        be.pixels(W, H, SlicAssign{ lab.get(), centres.get(), invColor.get(), labels.get(), W, H, g.gx, g.gy, invSpatial });
        be.zero(sums);
        be.pixels(W, H, SlicAccumulate{ lab.get(), labels.get(), sums.get(), W });
        be.items(K, SlicFinishCentre{ sums.get(), centres.get() });
        if (slico)
        {
            be.zero(maxBits);
            be.pixels(W, H, SlicMaxColorDist{ lab.get(), labels.get(), centres.get(), maxBits.get(), W });
            be.items(K, SlicInvColor{ maxBits.get(), invColor.get() });
        }
    }
    if (params.enforceConnectivity)
        enforceConnectivity(be, labels, W, H, detail::slicMinPieceSize(size, K, params.minElementSize));
}

template <class B>
void downloadLabels(typename B::template Buffer<int>& labels, int W, int H, Mat& out)
{
    out.create(H, W, CV_32SC1);
    CV_Assert(out.isContinuous());
    labels.download(out.ptr<int>(), (size_t)W * H);
}

}}} // namespace cv::escrf::slicdev

#endif
