// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// DenseCRF mean-field inference (Kraehenbuehl and Koltun 2011) on a segmenter's probabilities.
// Pixel data is kept interleaved (N x K, one row per pixel) because the lattice splats and
// slices whole rows.
#include "precomp.hpp"
#include "opencv2/escrf/crf.hpp"
#include "crf/permutohedral_lattice.hpp"

#include <cfloat>
#include <memory>

namespace cv {
namespace escrf {

namespace {

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

//! softmax over each row of x (N x K), in place.
void softmaxRows(Mat& x)
{
    parallel_for_(Range(0, x.rows), [&](const Range& r) {
        const int K = x.cols;
        for (int i = r.start; i < r.end; i++)
        {
            float* v = x.ptr<float>(i);
            const float mx = *std::max_element(v, v + K);
            float sum = 0.f;
            for (int k = 0; k < K; k++)
                sum += (v[k] = std::exp(v[k] - mx));
            const float inv = 1.f / sum;
            for (int k = 0; k < K; k++)
                v[k] *= inv;
        }
    });
}

//! One Gaussian kernel of the CRF: its lattice, per-pixel normalisation and self weight.
struct Kernel
{
    Kernel(const Mat& features, float kernelWeight) : lattice(features), weight(kernelWeight)
    {
        Mat ones(lattice.numPoints(), 1, CV_32F, Scalar(1)), z;
        lattice.filter(ones, z);
        invNorm.resize(z.rows);
        for (int i = 0; i < z.rows; i++)
            invNorm[i] = 1.f / std::max(z.at<float>(i), FLT_MIN);
    }

    /** acc -= weight * Potts(messages): for each pixel, m(l) = sum_{j != i} kbar(i, j) Q_j(l) and
     * the Potts term of label l is sum_{l' != l} m(l') = sum(m) - m(l). */
    void addPotts(const Mat& Q, Mat& acc, Mat& filtered) const
    {
        lattice.filter(Q, filtered);
        const std::vector<float>& self = lattice.selfWeights();
        parallel_for_(Range(0, Q.rows), [&](const Range& r) {
            const int K = Q.cols;
            for (int i = r.start; i < r.end; i++)
            {
                const float* q = Q.ptr<float>(i);
                float* m = filtered.ptr<float>(i);
                float* a = acc.ptr<float>(i);
                float total = 0.f;
                for (int k = 0; k < K; k++)
                {
                    // Leaving the pixel out: subtract the lattice's weight of the pixel on itself.
                    // The lattice is approximate, so clamp at 0 (a message is a sum of >= 0 terms).
                    m[k] = std::max(0.f, (m[k] - self[i] * q[k]) * invNorm[i]);
                    total += m[k];
                }
                for (int k = 0; k < K; k++)
                    a[k] -= weight * (total - m[k]);
            }
        });
    }

    detail::PermutohedralLattice lattice;
    float weight;
    std::vector<float> invNorm;
};

//! Features p / sxy (and, when srgb > 0, B, G, R / srgb): one row per pixel.
Mat kernelFeatures(const Mat& image, float sxy, float srgb)
{
    const int d = srgb > 0 ? 5 : 2;
    Mat f(image.rows * image.cols, d, CV_32F);
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

    // Unary U = -log(max(p, floor)); negUnary holds -U, Q starts at softmax(-U).
    Mat negUnary(N, K, CV_32F), Q(N, K, CV_32F);
    {
        const float floor = params.probabilityFloor;
        parallel_for_(Range(0, N), [&](const Range& r) {
            for (int i = r.start; i < r.end; i++)
            {
                float* u = negUnary.ptr<float>(i);
                for (int k = 0; k < K; k++)
                    u[k] = std::log(std::min(1.f, std::max(floor, planar.at<float>(k, i))));
            }
        });
        negUnary.copyTo(Q);
        softmaxRows(Q);
    }

    std::vector<std::unique_ptr<Kernel>> kernels;
    if (params.iterations > 0)
    {
        if (params.bilateralWeight > 0)
            kernels.emplace_back(new Kernel(kernelFeatures(image, params.bilateralSxy, params.bilateralSrgb),
                                            params.bilateralWeight));
        if (params.gaussianWeight > 0)
            kernels.emplace_back(new Kernel(kernelFeatures(image, params.gaussianSxy, 0.f), params.gaussianWeight));
    }
    if (!kernels.empty())
    {
        Mat acc, filtered;
        for (int it = 0; it < params.iterations; it++)
        {
            negUnary.copyTo(acc);
            for (const auto& kernel : kernels)
                kernel->addPotts(Q, acc, filtered);
            softmaxRows(acc);
            std::swap(Q, acc);
        }
    }

    // Back to K x H x W (or 1 x K x H x W) planes.
    std::vector<int> shape(prob.size.p, prob.size.p + prob.dims);
    _refined.create(prob.dims, shape.data(), CV_32F);
    Mat out = _refined.getMat().reshape(1, K);
    transpose(Q, out);
}

}} // namespace cv::escrf
