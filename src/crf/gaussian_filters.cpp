// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "crf/gaussian_filters.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

void checkValues(const char* who, const Mat& in, int N, int depth)
{
    if (in.dims != 2 || in.rows != N || in.cols < 1 || in.type() != CV_MAKETYPE(depth, 1) || !in.isContinuous())
        CV_Error_(Error::StsBadArg, ("%s: values are %dx%d %s, expected a continuous N x C = %d x C %s matrix",
                                     who, in.rows, in.cols, typeToString(in.type()).c_str(), N,
                                     typeToString(CV_MAKETYPE(depth, 1)).c_str()));
}

class GridGaussianFilter : public GaussianFilter
{
public:
    GridGaussianFilter(Size grid, double sigmaX, double sigmaY, int depth)
        : grid_(grid), depth_(depth), self_(grid.area(), 1, depth, Scalar(1))
    {
        kx_ = taps(sigmaX, grid.width);
        ky_ = taps(sigmaY, grid.height);
    }

    int depth() const CV_OVERRIDE { return depth_; }
    int numCells() const CV_OVERRIDE { return grid_.area(); }
    const Mat& selfWeights() const CV_OVERRIDE { return self_; }
    bool exactAdjoint() const CV_OVERRIDE { return true; }
    void applyAdjoint(const Mat& in, Mat& out) const CV_OVERRIDE { apply(in, out); }

    void apply(const Mat& in, Mat& out) const CV_OVERRIDE
    {
        checkValues("GridGaussianFilter", in, grid_.area(), depth_);
        const int C = in.cols;
        out.create(in.size(), in.type());
        // The N x C cells are an h x w image of C channels; sepFilter2D takes at most CV_CN_MAX.
        for (int c0 = 0; c0 < C; c0 += CV_CN_MAX)
        {
            const int nc = std::min(CV_CN_MAX, C - c0);
            const int type = CV_MAKETYPE(depth_, nc);
            Mat src, dst;
            if (nc == C)
            {
                src = Mat(grid_, type, const_cast<uchar*>(in.data));
                dst = Mat(grid_, type, out.data);
            }
            else
                src = in.colRange(c0, c0 + nc).clone().reshape(nc, grid_.height);
            sepFilter2D(src, dst, -1, kx_, ky_, Point(-1, -1), 0, BORDER_CONSTANT);
            if (nc != C)
                dst.reshape(1, grid_.area()).copyTo(out.colRange(c0, c0 + nc));
        }
    }

private:
    // Taps beyond the map's length would only ever read the zero border: stop there.
    static Mat taps(double sigma, int length)
    {
        const int r = (int)std::min(std::ceil(4 * sigma), length - 1.0);
        Mat k(2 * r + 1, 1, CV_64F);
        for (int t = -r; t <= r; t++)
            k.at<double>(t + r) = std::exp(-0.5 * t * t / (sigma * sigma));
        return k;
    }

    Size grid_;
    int depth_;
    Mat kx_, ky_, self_;
};

template <typename T>
void bruteForce(const Mat& f, const Mat& in, Mat& out)
{
    const int N = f.rows, d = f.cols, C = in.cols;
    out.create(N, C, in.type());
    parallel_for_(Range(0, N), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const T* fi = f.ptr<T>(i);
            T* o = out.ptr<T>(i);
            std::fill(o, o + C, T(0));
            for (int j = 0; j < N; j++)
            {
                const T* fj = f.ptr<T>(j);
                T d2 = 0;
                for (int k = 0; k < d; k++)
                    d2 += (fi[k] - fj[k]) * (fi[k] - fj[k]);
                const T w = std::exp(T(-0.5) * d2);
                const T* v = in.ptr<T>(j);
                for (int c = 0; c < C; c++)
                    o[c] += w * v[c];
            }
        }
    });
}

class ExactGaussianFilter : public GaussianFilter
{
public:
    explicit ExactGaussianFilter(const Mat& features)
        : features_(features.clone()), self_(features.rows, 1, features.depth(), Scalar(1)) {}

    int depth() const CV_OVERRIDE { return features_.depth(); }
    int numCells() const CV_OVERRIDE { return features_.rows; }
    const Mat& selfWeights() const CV_OVERRIDE { return self_; }
    bool exactAdjoint() const CV_OVERRIDE { return true; }
    void applyAdjoint(const Mat& in, Mat& out) const CV_OVERRIDE { apply(in, out); }

    void apply(const Mat& in, Mat& out) const CV_OVERRIDE
    {
        checkValues("ExactGaussianFilter", in, features_.rows, depth());
        if (depth() == CV_32F)
            bruteForce<float>(features_, in, out);
        else
            bruteForce<double>(features_, in, out);
    }

private:
    Mat features_, self_;
};

class LatticeGaussianFilter : public GaussianFilter
{
public:
    explicit LatticeGaussianFilter(const Mat& features) : lattice_(features)
    {
        self_ = Mat(lattice_.selfWeights(), true);
    }

    int depth() const CV_OVERRIDE { return CV_32F; }
    int numCells() const CV_OVERRIDE { return lattice_.numPoints(); }
    const Mat& selfWeights() const CV_OVERRIDE { return self_; }
    bool exactAdjoint() const CV_OVERRIDE { return true; }
    void apply(const Mat& in, Mat& out) const CV_OVERRIDE { run(in, out, false); }
    void applyAdjoint(const Mat& in, Mat& out) const CV_OVERRIDE { run(in, out, true); }

private:
    // The lattice's filter into caller-owned memory: out is reused when it has the right shape,
    // and the vertex buffer is kept between calls (T + 1 filters per image in the forward pass, T
    // in the backward pass), so a mean-field step allocates nothing here. The lock keeps concurrent callers of one filter
    // correct; in the module one thread drives an image's filter.
    void run(const Mat& in, Mat& out, bool adjoint) const
    {
        checkValues("LatticeGaussianFilter", in, lattice_.numPoints(), CV_32F);
        const int C = in.cols;
        out.create(in.rows, C, CV_32F);   // out may be in: the lattice's slice runs after its splat
        if (!out.isContinuous())
            out = Mat(in.rows, C, CV_32F);
        AutoLock lock(mutex_);
        const size_t need = lattice_.vertexBufferSize(C);
        if (vertices_.size() < need)
            vertices_.resize(need);
        lattice_.filter(in.ptr<float>(), out.ptr<float>(), C, vertices_.data(), adjoint);
    }

    PermutohedralLattice lattice_;
    Mat self_;
    mutable Mutex mutex_;
    mutable LargeVector<float> vertices_;
};

void checkFeatures(const char* who, const Mat& f, bool floatOnly)
{
    const bool typeOk = f.type() == CV_32FC1 || (!floatOnly && f.type() == CV_64FC1);
    if (f.dims != 2 || f.rows < 1 || f.cols < 1 || !typeOk || !f.isContinuous())
        CV_Error_(Error::StsBadArg, ("%s: features are %dx%d %s, expected a continuous non-empty N x d %s matrix",
                                     who, f.rows, f.cols, typeToString(f.type()).c_str(),
                                     floatOnly ? "CV_32F" : "CV_32F or CV_64F"));
    if (!checkRange(f))
        CV_Error_(Error::StsOutOfRange, ("%s: features must be finite", who));
}

} // namespace

std::unique_ptr<GaussianFilter> makeGridGaussianFilter(Size grid, double sigmaX, double sigmaY, int depth)
{
    if (grid.width < 1 || grid.height < 1)
        CV_Error_(Error::StsBadArg, ("makeGridGaussianFilter: grid is %dx%d, expected a non-empty map",
                                     grid.width, grid.height));
    if (!(sigmaX > 0 && sigmaY > 0 && sigmaX < 1e6 && sigmaY < 1e6))
        CV_Error_(Error::StsOutOfRange, ("makeGridGaussianFilter: sigmas are %g, %g cells, expected finite and > 0",
                                         sigmaX, sigmaY));
    if (depth != CV_32F && depth != CV_64F)
        CV_Error_(Error::StsBadArg, ("makeGridGaussianFilter: depth %d, expected CV_32F or CV_64F", depth));
    return std::unique_ptr<GaussianFilter>(new GridGaussianFilter(grid, sigmaX, sigmaY, depth));
}

std::unique_ptr<GaussianFilter> makeExactGaussianFilter(const Mat& features)
{
    checkFeatures("makeExactGaussianFilter", features, false);
    return std::unique_ptr<GaussianFilter>(new ExactGaussianFilter(features));
}

std::unique_ptr<GaussianFilter> makeLatticeGaussianFilter(const Mat& features)
{
    checkFeatures("makeLatticeGaussianFilter", features, true);
    return std::unique_ptr<GaussianFilter>(new LatticeGaussianFilter(features));
}

}}} // namespace cv::escrf::detail
