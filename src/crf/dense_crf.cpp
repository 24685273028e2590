// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// DenseCRF mean-field inference (Kraehenbuehl and Koltun 2011) on a segmenter's probabilities.
// Pixel data is kept interleaved (N x Kp, one row of K labels, padded to whole 128-bit vectors, per
// pixel) because the lattice splats and slices whole rows. An iteration is: splat + blur of Q on
// each kernel's lattice, then one pass over the pixels that slices both kernels, applies the
// Potts compatibility and the softmax, and writes the new Q in place (no N x K intermediate).
#include "precomp.hpp"
#include "opencv2/escrf/crf.hpp"
#include "crf/permutohedral_lattice.hpp"
#include "crf/lattice_rows.hpp"
#include "opencv2/core/hal/hal.hpp"
#include "opencv2/core/hal/intrin.hpp"

#include <cfloat>
#include <memory>

namespace cv {
namespace escrf {

namespace {

using detail::LargeVector;
using detail::gatherRows;
using detail::forRowVectors;
#if CV_SIMD
using detail::vall;
using detail::vload;
using detail::vzero;
#endif

void checkParams(const DenseCrfParams& p)
{
    if (p.iterations < 0)
        CV_Error_(Error::StsOutOfRange, ("denseCrf: params.iterations must be >= 0, got %d", p.iterations));
    const struct { const char* name; float value; bool width; } fields[] = {
        { "bilateralSxy", p.bilateralSxy, true }, { "bilateralSrgb", p.bilateralSrgb, true },
        { "gaussianSxy", p.gaussianSxy, true }, { "bilateralWeight", p.bilateralWeight, false },
        { "gaussianWeight", p.gaussianWeight, false } };
    for (const auto& f : fields)
    {
        if (!std::isfinite(f.value) || (f.width ? f.value <= 0.f : f.value < 0.f))
            CV_Error_(Error::StsOutOfRange, ("denseCrf: params.%s must be finite and %s, got %g",
                                             f.name, f.width ? "> 0" : ">= 0", f.value));
    }
    if (!(p.probabilityFloor > 0.f && p.probabilityFloor < 1.f))
        CV_Error_(Error::StsOutOfRange, ("denseCrf: params.probabilityFloor must be in (0, 1), got %g",
                                         p.probabilityFloor));
}

// Pixels per block of the row-wise passes (unary, update, output): a block's rows stay in cache
// between the computation of the logits and their softmax.
const int kBlock = 256;

/** Row stride of the per-pixel and per-vertex label values: K rounded up to whole 128-bit
 * vectors. With wider registers a row is covered by wide vectors and one 128-bit tail
 * (lattice_rows.hpp), so 12 labels take 12 floats per pixel and per lattice vertex on AVX2
 * instead of 16: the filtering is bound by memory traffic. The extra lanes are 0 in Q, so they
 * stay 0 through splat, blur and slice. */
int paddedLabels(int K)
{
#if CV_SIMD
    return alignSize(K, v_float32x4::nlanes);
#else
    return K;
#endif
}

/** Softmax over the first K values of `count` rows of stride Kp, in place; the padding lanes
 * come out 0. They are first set to the row's first value, so that they change neither the
 * maximum nor the range of the exponentials, and are cleared after cv::hal::exp32f. */
void softmaxRows(float* rows, int count, int K, int Kp)
{
    for (int i = 0; i < count; i++)
    {
        float* v = rows + (size_t)i * Kp;
        std::fill(v + K, v + Kp, v[0]);
        float mx = v[0];
        int k = forRowVectors(Kp, [&](auto V, int j) { mx = std::max(mx, v_reduce_max(vload(V, v + j))); });
        for (; k < Kp; k++)
            mx = std::max(mx, v[k]);
        for (k = 0; k < Kp; k++)
            v[k] -= mx;
    }
    hal::exp32f(rows, rows, count * Kp);
    for (int i = 0; i < count; i++)
    {
        float* v = rows + (size_t)i * Kp;
        std::fill(v + K, v + Kp, 0.f);
        float sum = 0.f;
        int k = forRowVectors(Kp, [&](auto V, int j) { sum += v_reduce_sum(vload(V, v + j)); });
        for (; k < Kp; k++)
            sum += v[k];
        const float inv = 1.f / sum;
        for (k = 0; k < Kp; k++)
            v[k] *= inv;
    }
}

/** The message of one kernel to a pixel, leaving the pixel out: m = max(0, s - self * q) in place
 * of s (s: the normalised lattice sum, q: the pixel's Q; the lattice is approximate, so the
 * difference is clamped at 0, a message being a sum of >= 0 terms). Returns sum(m). */
float leaveSelfOut(float* s, const float* q, float self, int Kp)
{
    float total = 0.f;
    int k = forRowVectors(Kp, [&](auto V, int j) {
        const auto m = v_max(vzero(V), vload(V, s + j) - vall(V, self) * vload(V, q + j));
        v_store(s + j, m);
        total += v_reduce_sum(m);
    });
    for (; k < Kp; k++)
        total += (s[k] = std::max(0.f, s[k] - self * q[k]));
    return total;
}

/** The logits of one pixel: out = -U - sum_kernels weight * Potts(m), where the Potts term of label
 * l is sum_{l' != l} m(l') = sum(m) - m(l). m: the kernels' messages (Kp each), total: their sums. */
void pottsLogits(const float* negUnary, const float* m, const float* total, const float* weight, int kernels,
                 int Kp, float* out)
{
    int k = forRowVectors(Kp, [&](auto V, int j) {
        auto a = vload(V, negUnary + j);
        for (int c = 0; c < kernels; c++)
            a -= vall(V, weight[c]) * (vall(V, total[c]) - vload(V, m + (size_t)c * Kp + j));
        v_store(out + j, a);
    });
    for (; k < Kp; k++)
    {
        float a = negUnary[k];
        for (int c = 0; c < kernels; c++)
            a -= weight[c] * (total[c] - m[(size_t)c * Kp + k]);
        out[k] = a;
    }
}

/** One Gaussian kernel of the CRF: its lattice (built once per image), the per-pixel scales of its
 * normalised, self-excluded message and its vertex values (numVertices x Kp). */
struct Kernel
{
    Kernel(const Mat& features, float kernelWeight, int Kp)
        : lattice(features), weight(kernelWeight), sliceScale(lattice.numPoints()), selfScale(lattice.numPoints()),
          vertexValues(lattice.vertexBufferSize(Kp))
    {
        // Normalisation z_i = the lattice's sum of a constant 1; alpha / z_i and self_i / z_i
        // turn the slice into the normalised message.
        const int N = lattice.numPoints();
        LargeVector<float> ones(N, 1.f), z(N);
        lattice.filter(ones.data(), z.data(), 1, vertexValues.data());
        const std::vector<float>& self = lattice.selfWeights();
        parallel_for_(Range(0, N), [&](const Range& r) {
            for (int i = r.start; i < r.end; i++)
            {
                const float invNorm = 1.f / std::max(z[i], FLT_MIN);
                sliceScale[i] = lattice.sliceScale() * invNorm;
                selfScale[i] = self[i] * invNorm;
            }
        });
    }

    //! Splat and blur of Q (N x Kp) into vertexValues, for the slices of addMessage().
    void filterVertices(const float* Q, int Kp)
    {
        lattice.splat(Q, Kp, vertexValues.data());
        lattice.blur(vertexValues.data(), Kp);
    }

    //! The message m (Kp) of this kernel to pixel i, of Q value q; returns sum(m).
    float message(int i, const float* q, float* m, int Kp) const
    {
        gatherRows(lattice.simplexVertices(i), lattice.simplexWeights(i), lattice.dims() + 1, sliceScale[i],
                   vertexValues.data(), Kp, m);
        return leaveSelfOut(m, q, selfScale[i], Kp);
    }

    detail::PermutohedralLattice lattice;
    float weight;
    LargeVector<float> sliceScale, selfScale, vertexValues;
};

//! Features p / sxy (and, when srgb > 0, B, G, R / srgb): one row per pixel (N x d, in storage).
Mat kernelFeatures(const Mat& image, float sxy, float srgb, LargeVector<float>& storage)
{
    const int d = srgb > 0 ? 5 : 2;
    storage.resize((size_t)image.rows * image.cols * d);
    Mat f(image.rows * image.cols, d, CV_32F, storage.data());
    parallel_for_(Range(0, image.rows), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
        {
            const Vec3b* px = image.ptr<Vec3b>(y);
            for (int x = 0; x < image.cols; x++)
            {
                float* row = f.ptr<float>(y * image.cols + x);
                row[0] = x / sxy;
                row[1] = y / sxy;
                if (d == 5)
                    for (int c = 0; c < 3; c++)
                        row[2 + c] = px[x][c] / srgb;
            }
        }
    });
    return f;
}

/** -U = log(clamp(P, floor, 1)) (N x Kp, from the K x N planes) and the starting Q = softmax(-U),
 * block by block. */
void unaryAndStart(const Mat& planar, float floor, int Kp, float* negUnary, float* Q)
{
    const int K = planar.rows, N = planar.cols;
    parallel_for_(Range(0, (N + kBlock - 1) / kBlock), [&](const Range& r) {
        std::vector<float> logs((size_t)K * kBlock);
        for (int b = r.start; b < r.end; b++)
        {
            const int i0 = b * kBlock, count = std::min(kBlock, N - i0);
            for (int k = 0; k < K; k++)
            {
                const float* p = planar.ptr<float>(k) + i0;
                for (int t = 0; t < count; t++)
                    logs[(size_t)k * count + t] = std::min(1.f, std::max(floor, p[t]));
            }
            hal::log32f(logs.data(), logs.data(), K * count);
            float* u = negUnary + (size_t)i0 * Kp;
            for (int t = 0; t < count; t++)
            {
                for (int k = 0; k < K; k++)
                    u[(size_t)t * Kp + k] = logs[(size_t)k * count + t];
                std::fill(u + (size_t)t * Kp + K, u + (size_t)(t + 1) * Kp, 0.f);
            }
            std::copy(u, u + (size_t)count * Kp, Q + (size_t)i0 * Kp);
            softmaxRows(Q + (size_t)i0 * Kp, count, K, Kp);
        }
    });
}

/** One mean-field update, in place: Q = softmax(-U - sum_kernels weight * Potts(message)). Once the
 * kernels have splatted Q, the new row of pixel i depends on Q only through its own old row (the
 * self weight), which is read before the row is written. */
void meanFieldStep(std::vector<std::unique_ptr<Kernel>>& kernels, const float* negUnary, float* Q, int N, int K,
                   int Kp)
{
    for (auto& kernel : kernels)
    {
        kernel->lattice.splat(Q, Kp, kernel->vertexValues.data());
        kernel->lattice.blur(kernel->vertexValues.data(), Kp);
    }
    const int nk = (int)kernels.size();
    std::vector<float> weight(nk);
    for (int c = 0; c < nk; c++)
        weight[c] = kernels[c]->weight;
    parallel_for_(Range(0, (N + kBlock - 1) / kBlock), [&](const Range& r) {
        std::vector<float> m((size_t)nk * Kp), total(nk);
        for (int b = r.start; b < r.end; b++)
        {
            const int i0 = b * kBlock, count = std::min(kBlock, N - i0);
            for (int i = i0; i < i0 + count; i++)
            {
                for (int c = 0; c < nk; c++)
                    total[c] = kernels[c]->message(i, Q + (size_t)i * Kp, &m[(size_t)c * Kp], Kp);
                pottsLogits(negUnary + (size_t)i * Kp, m.data(), total.data(), weight.data(), nk, Kp,
                            Q + (size_t)i * Kp);
            }
            softmaxRows(Q + (size_t)i0 * Kp, count, K, Kp);
        }
    });
}

//! Q (N x Kp) back to K planes of N values.
void writePlanes(const float* Q, int Kp, Mat& planes)
{
    const int K = planes.rows, N = planes.cols;
    parallel_for_(Range(0, (N + kBlock - 1) / kBlock), [&](const Range& r) {
        for (int b = r.start; b < r.end; b++)
        {
            const int i0 = b * kBlock, i1 = std::min(N, i0 + kBlock);
            for (int k = 0; k < K; k++)
            {
                float* dst = planes.ptr<float>(k);
                for (int i = i0; i < i1; i++)
                    dst[i] = Q[(size_t)i * Kp + k];
            }
        }
    });
}

} // namespace

void denseCrf(InputArray _image, InputArray _probabilities, OutputArray _refined, const DenseCrfParams& params)
{
    checkParams(params);
    const Mat image = _image.getMat();
    if (image.empty())
        CV_Error(Error::StsBadArg, "denseCrf: image is empty");
    if (image.type() != CV_8UC3 || image.dims != 2)
        CV_Error_(Error::StsBadArg, ("denseCrf: image must be a 2-D CV_8UC3 BGR image, got type %s with %d dims",
                                     typeToString(image.type()).c_str(), image.dims));
    Mat prob = _probabilities.getMat();
    if (prob.empty())
        CV_Error(Error::StsBadArg, "denseCrf: probabilities is empty");
    const bool blob = prob.dims == 4 && prob.size[0] == 1;
    if (prob.type() != CV_32FC1 || !(prob.dims == 3 || blob))
        CV_Error_(Error::StsBadArg, ("denseCrf: probabilities must be a K x H x W (or 1 x K x H x W) CV_32F Mat, "
                                     "got type %s with %d dims", typeToString(prob.type()).c_str(), prob.dims));
    const int K = prob.size[prob.dims - 3], H = prob.size[prob.dims - 2], W = prob.size[prob.dims - 1];
    if (H != image.rows || W != image.cols)
        CV_Error_(Error::StsUnmatchedSizes, ("denseCrf: probabilities are %d x %d (H x W) but the image is %d x %d",
                                             H, W, image.rows, image.cols));
    const int N = H * W;
    const Mat planar = (prob.isContinuous() ? prob : prob.clone()).reshape(1, K);  // K x N
    Point bad;
    if (!checkRange(planar, true, &bad, 0, FLT_MAX))
        CV_Error_(Error::StsOutOfRange, ("denseCrf: probabilities must be finite and >= 0; class %d at (x=%d, y=%d) is %g",
                                         bad.y, bad.x % W, bad.x / W, planar.at<float>(bad.y, bad.x)));

    // Pixel rows of Kp values (K padded to whole 128-bit vectors): -U and Q.
    const int Kp = paddedLabels(K);
    LargeVector<float> negUnary((size_t)N * Kp), Q((size_t)N * Kp);
    unaryAndStart(planar, params.probabilityFloor, Kp, negUnary.data(), Q.data());

    // Both lattices (and their normalisations) are built once and serve every iteration.
    std::vector<std::unique_ptr<Kernel>> kernels;
    if (params.iterations > 0)
    {
        LargeVector<float> features;
        if (params.bilateralWeight > 0)
            kernels.emplace_back(new Kernel(kernelFeatures(image, params.bilateralSxy, params.bilateralSrgb, features),
                                            params.bilateralWeight, Kp));
        if (params.gaussianWeight > 0)
            kernels.emplace_back(new Kernel(kernelFeatures(image, params.gaussianSxy, 0.f, features),
                                            params.gaussianWeight, Kp));
    }
    for (int it = 0; it < params.iterations && !kernels.empty(); it++)
        meanFieldStep(kernels, negUnary.data(), Q.data(), N, K, Kp);

    // Back to K x H x W (or 1 x K x H x W) planes.
    std::vector<int> shape(prob.size.p, prob.size.p + prob.dims);
    _refined.create(prob.dims, shape.data(), CV_32F);
    Mat out = _refined.getMat().reshape(1, K);
    writePlanes(Q.data(), Kp, out);
}

}} // namespace cv::escrf
