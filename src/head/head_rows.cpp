// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's CPU stages by rows of cells (head_rows.hpp).

#include "precomp.hpp"
#include "head/head_rows.hpp"
#include "core/simd_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

// Lanes of the registers the weights are broadcast to (1 without SIMD).
const int kLanes = simd::PackOf<float>::lanes > 0 ? (int)simd::PackOf<float>::lanes : 1;

// Rows [r0, r0 + R) of a 1x1 convolution over one run of cells; w[r] points at the broadcast
// weights of row r (C entries of kLanes floats).
template <int R>
void convRows(const float* const* w, const float* b, const float* X, size_t xStride, int C, int n, float* const* out,
              bool accumulate)
{
    using simd::all;
    simd::forRange<float>(0, n, [&](auto tag, int x) {
        auto acc0 = all(tag, 0.f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int c = 0; c < C; c++)
        {
            const auto v = load(tag, X + c * xStride + x);
            acc0 = acc0 + load(tag, w[0] + c * kLanes) * v;
            if (R > 1) acc1 = acc1 + load(tag, w[1] + c * kLanes) * v;
            if (R > 2) acc2 = acc2 + load(tag, w[2] + c * kLanes) * v;
            if (R > 3) acc3 = acc3 + load(tag, w[3] + c * kLanes) * v;
        }
        const decltype(acc0) accs[4] = { acc0, acc1, acc2, acc3 };
        for (int r = 0; r < R; r++)
        {
            float* o = out[r] + x;
            store(tag, o, accumulate ? load(tag, o) + accs[r] : b ? accs[r] + all(tag, b[r]) : accs[r]);
        }
    });
}

} // namespace

Mat headInputPlanes(const Mat& blob, int channels, Size& size, const String& name)
{
    if (blob.empty())
        CV_Error_(Error::StsBadArg, ("Head: input '%s' is empty", name.c_str()));
    if (blob.type() != CV_32F || !blob.isContinuous())
        CV_Error_(Error::StsBadArg, ("Head: input '%s' must be a continuous CV_32F blob", name.c_str()));
    if (blob.dims != 4 || blob.size[0] != 1 || blob.size[1] != channels)
        CV_Error_(Error::StsBadArg, ("Head: input '%s' must be a 1 x %d x h x w blob, got dims=%d channels=%d",
                                     name.c_str(), channels, blob.dims, blob.dims >= 2 ? blob.size[1] : -1));
    size = Size(blob.size[3], blob.size[2]);
    return Mat(channels, size.area(), CV_32F, (void*)blob.ptr<float>());
}

void checkHeadGuide(const Head& head, const EscrfGuide* guide, Size headSize, const char* who)
{
    if (!head.needsGuide())
        return;
    const char* needs = head.needsSuperpixels() ? "image and superpixels" : "image";
    if (!guide)
        CV_Error_(Error::StsBadArg, ("%s: the %s head needs the guide (%s)", who,
                                     headVariantToString(head.config().variant).c_str(), needs));
    if (guide->featureSize != headSize)
        CV_Error_(Error::StsBadArg, ("%s: guide is %dx%d, head resolution is %dx%d", who, guide->featureSize.width,
                                     guide->featureSize.height, headSize.width, headSize.height));
    if (guide->image.rows != 3 || guide->image.cols != headSize.area() || guide->image.type() != CV_32FC1)
        CV_Error_(Error::StsBadArg, ("%s: guide.image is %dx%d %s, expected 3 x %d CV_32F (prepareGuide)", who,
                                     guide->image.rows, guide->image.cols, typeToString(guide->image.type()).c_str(),
                                     headSize.area()));
}

void Conv1x1::set(const Mat& W, const Mat& b)
{
    CV_Assert(W.type() == CV_32F && W.dims == 2 && (b.empty() || (b.type() == CV_32F && (int)b.total() == W.rows)));
    rows_ = W.rows;
    cols_ = W.cols;
    wide_.resize((size_t)rows_ * cols_ * kLanes);
    for (int r = 0; r < rows_; r++)
        for (int c = 0; c < cols_; c++)
            std::fill_n(wide_.begin() + ((size_t)r * cols_ + c) * kLanes, kLanes, W.at<float>(r, c));
    hasBias_ = !b.empty();
    bias_.assign(b.ptr<float>(), b.ptr<float>() + (hasBias_ ? rows_ : 0));
}

void Conv1x1::cells(const float* X, size_t xStride, int n, float* out, size_t outStride, bool accumulate) const
{
    CV_Assert(!(accumulate && hasBias_));
    for (int r0 = 0; r0 < rows_; r0 += 4)
    {
        const int R = std::min(4, rows_ - r0);
        const float* w[4];
        float* o[4];
        for (int r = 0; r < R; r++)
        {
            w[r] = wide_.data() + (size_t)(r0 + r) * cols_ * kLanes;
            o[r] = out + (r0 + r) * outStride;
        }
        const float* bias = hasBias_ ? bias_.data() + r0 : nullptr;
        switch (R)
        {
        case 4: convRows<4>(w, bias, X, xStride, cols_, n, o, accumulate); break;
        case 3: convRows<3>(w, bias, X, xStride, cols_, n, o, accumulate); break;
        case 2: convRows<2>(w, bias, X, xStride, cols_, n, o, accumulate); break;
        default: convRows<1>(w, bias, X, xStride, cols_, n, o, accumulate); break;
        }
    }
}

void argmaxCells(const float* scores, size_t stride, int K, int n, int ltype, void* labels)
{
    CV_Assert(K > 0 && (ltype == CV_8U || ltype == CV_32S));
    uchar* l8 = ltype == CV_8U ? (uchar*)labels : nullptr;
    int* l32 = ltype == CV_32S ? (int*)labels : nullptr;
    int x = 0;
#if CV_SIMD
    // Class indices as exact floats (K < 2^24), selected with the comparison mask.
    const int L = v_float32::nlanes;
    float arg[v_float32::nlanes];
    for (; x + L <= n; x += L)
    {
        v_float32 best = vx_load(scores + x), idx = vx_setzero_f32();
        for (int k = 1; k < K; k++)
        {
            const v_float32 s = vx_load(scores + k * stride + x), m = s > best;
            best = v_select(m, s, best);
            idx = v_select(m, vx_setall_f32((float)k), idx);
        }
        v_store(arg, idx);
        for (int i = 0; i < L; i++)
        {
            if (l8) l8[x + i] = (uchar)arg[i];
            else l32[x + i] = (int)arg[i];
        }
    }
#endif
    for (; x < n; x++)
    {
        float best = scores[x];
        int a = 0;
        for (int k = 1; k < K; k++)
            if (scores[k * stride + x] > best)
                best = scores[k * stride + x], a = k;
        if (l8) l8[x] = (uchar)a;
        else l32[x] = a;
    }
}

void HeadProjection::prepare(const Head& head, const std::vector<Mat>& inputs, Size headSize)
{
    const HeadConfig& cfg = head.config();
    if (inputs.size() != cfg.inputs.size())
        CV_Error_(Error::StsBadArg, ("Head::forward: expected %d inputs (%s...), got %d", (int)cfg.inputs.size(),
                                     cfg.inputs[0].c_str(), (int)inputs.size()));
    if (headSize.empty())
        CV_Error(Error::StsBadArg, "Head::forward: headSize must not be empty");
    head_ = &head;
    channels_ = head.featureChannels();
    const bool sizeChanged = headSize != headSize_;
    headSize_ = headSize;
    inputs_.resize(inputs.size());
    int row = 0;
    for (size_t l = 0; l < inputs.size(); l++)
    {
        Input& in = inputs_[l];
        Size sz;
        in.X = headInputPlanes(inputs[l], head.inputChannels()[l], sz, cfg.inputs[l]).ptr<float>();
        in.C = head.inputChannels()[l];
        if (sizeChanged || sz != in.size)   // the tables of a size are kept for the next image
        {
            in.tx = LinearTaps(sz.width, headSize.width);
            in.ty = LinearTaps(sz.height, headSize.height);
        }
        in.size = sz;
        in.row = row;
        row += in.C;
        if (cfg.projection <= 0)
            continue;
        in.W.set(head.projectionWeights[l]);
        if (sz == headSize)
            continue;
        // Project at the input's own resolution, in runs of cells.
        const int n = sz.area(), D = channels_;
        in.P.create(D, n, CV_32F);
        const int runs = std::max(1, std::min(64, n / 1024));
        parallel_for_(Range(0, runs), [&](const Range& r) {
            for (int t = r.start; t < r.end; t++)
            {
                const int i0 = (int)((int64)n * t / runs), i1 = (int)((int64)n * (t + 1) / runs);
                in.W.cells(in.X + i0, n, i1 - i0, in.P.ptr<float>() + i0, n, false);
            }
        });
    }
}

void HeadProjection::rows(int y0, int y1, float* Z, float* F, size_t stride, std::vector<float>& scratch) const
{
    CV_Assert(head_ && 0 <= y0 && y0 < y1 && y1 <= headSize_.height);
    const HeadConfig& cfg = head_->config();
    const int w = headSize_.width, n = (y1 - y0) * w;
    for (size_t l = 0; l < inputs_.size(); l++)
    {
        const Input& in = inputs_[l];
        const size_t inN = (size_t)in.size.area();
        const bool same = in.size == headSize_;
        if (cfg.projection > 0)
        {
            if (same)
                in.W.cells(in.X + (size_t)y0 * w, inN, n, Z, stride, l > 0);
            else
                for (int d = 0; d < channels_; d++)
                    resizePlaneRows(in.P.ptr<float>(d), in.size, in.tx, in.ty, y0, y1, Z + d * stride, l > 0, scratch);
            continue;
        }
        for (int c = 0; c < in.C; c++)
        {
            float* dst = Z + (in.row + c) * stride;
            if (same)
                std::copy(in.X + c * inN + (size_t)y0 * w, in.X + c * inN + (size_t)y1 * w, dst);
            else
                resizePlaneRows(in.X + c * inN, in.size, in.tx, in.ty, y0, y1, dst, false, scratch);
        }
    }
    if (cfg.projection <= 0)
        return;
    const bool relu = cfg.projectionRelu;
    for (int d = 0; d < channels_; d++)
    {
        float* z = Z + d * stride;
        float* f = F + d * stride;
        const float b = head_->projectionBias.at<float>(d);
        simd::forRange<float>(0, n, [&](auto tag, int x) {
            const auto v = load(tag, z + x) + simd::all(tag, b);
            store(tag, z + x, v);
            if (relu)
                store(tag, f + x, simd::vmax(tag, v, simd::all(tag, 0.f)));
            else if (f != z)
                store(tag, f + x, v);
        });
    }
}

}}} // namespace cv::escrf::detail
