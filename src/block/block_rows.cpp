// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The block's forward pass row by row (block_rows.hpp): the per-image preparation and the row.

#include "precomp.hpp"
#include "block/block_rows.hpp"
#include "block/block_cache.hpp"
#include "block/block_compat.hpp"
#include "core/simd_rows.hpp"

namespace cv {
namespace escrf {
namespace block {

namespace {

template <typename T>
void sigmoidRow(const Mat& v, Mat& mu)
{
    mu.create(v.size(), v.type());
    const int n = (int)v.total(), chunk = 4096;
    parallel_for_(Range(0, (n + chunk - 1) / chunk), [&](const Range& r) {
        std::vector<T> t(chunk);
        for (int k = r.start; k < r.end; k++)
        {
            const int i0 = k * chunk, i1 = std::min(n, i0 + chunk);
            sigmoidN(v.ptr<T>() + i0, mu.ptr<T>() + i0, t.data(), i1 - i0);
        }
    });
}

// The dense message of the whole map (C x N), from the cell-major embeddings eT; stats keeps the
// streaming state for the backward pass.
template <typename T>
void denseMessage(const EscrfBlockParams& p, const EscrfBlockWeights& w, const Mat& F, const Mat& eT,
                  const BlockRows<T>& r, Mat& Fp, Mat& stats)
{
    Mat FT, FpT;
    transposeFast(F, FT);
    const Mat halfNorm = halfSquaredNorms<T>(p, eT);
    MessageInput<T> in = messageInput<T>(p, r.size.height, r.size.width, F.rows, eT.cols / 2, FT, eT, halfNorm, r.u,
                                         r.v, r.muJ, w.c);
    denseForward(in, FpT, stats);
    transposeFast(FpT, Fp);
}

} // namespace

template <typename T>
size_t BlockRows<T>::scratchSize() const
{
    if (!pairwise || !Fp.empty())
        return 0;
    return windowScratchSize(scores.offsets.K, size.width) + (size_t)C * size.width;
}

template <typename T>
void prepareBlockRows(const EscrfBlockParams& p, const EscrfBlockWeights& w, const GuideView& g, const Mat& F,
                      const Plan& plan, BlockRows<T>& r, CpuCacheTensors* keep)
{
    CV_Assert(F.isContinuous() && F.depth() == DataType<T>::depth && F.cols == g.size.area());
    r.size = g.size;
    r.C = F.rows;
    r.F = F.ptr<T>();
    r.alphaS = (T)plan.alphaS;
    r.alphaP = (T)plan.alphaP;
    r.prior = plan.prior;
    r.pairwise = plan.pairwise;
    if (plan.prior)
    {
        superpixelMeans(F, g.cellLabels, g.numSuperpixels, g.soft, r.means);
        r.cellLabels = g.soft ? nullptr : g.cellLabels.ptr<int>();
        r.soft = g.soft;
        if (!g.soft)
            scaledPriorTable<T>(r.means, r.alphaS, r.priorTable);
    }
    r.Fp.release();
    if (!plan.pairwise)
        return;
    if (p.pairCompatibility)
    {
        compatLogits(w.a, F, r.u);
        compatLogits(w.b, F, r.v);
    }
    else
    {
        compatLogits(w.w_comp, F, r.v);
        sigmoidRow<T>(r.v, r.muJ);
    }
    WindowInput<T>& in = r.window;
    in.scores = &r.scores;
    in.F = r.F;
    in.C = r.C;
    in.u = r.u.empty() ? nullptr : r.u.template ptr<T>();
    in.v = r.v.template ptr<T>();
    in.muJ = r.muJ.empty() ? nullptr : r.muJ.template ptr<T>();
    in.c = (T)w.c;
    in.pair = p.pairCompatibility;
    in.normalize = p.normalize;
    in.invTau = (T)(1.0 / std::sqrt(2.0 * w.W_img.rows));
    // The backward passes read the embeddings; the dense message is computed from them too.
    Mat eT;
    if (keep || p.dense)
        computeEmbedding(w.W_img, w.W_pos, g, eT);
    Mat stats;
    if (p.dense)
        denseMessage<T>(p, w, F, eT, r, r.Fp, stats);
    else
        buildWindowScores<T>(p, w.W_img, w.W_pos, g, r.scores);
    if (keep)
    {
        keep->eT = eT;
        keep->u = r.u;
        keep->v = r.v;
        keep->muJ = r.muJ;
        if (p.dense)
        {
            keep->Fp = r.Fp;
            keep->aux = stats;
        }
        else
        {
            keep->Fp.create(F.size(), F.type());
            keep->aux.create(F.cols, 2 * r.scores.offsets.K, F.type());
        }
    }
}

template <typename T>
void blockForwardRow(const BlockRows<T>& r, int y, T* out, size_t outStride, CpuCacheTensors* keep, T* scratch)
{
    const int w = r.size.width;
    const size_t N = (size_t)r.size.area(), i0 = (size_t)y * w;
    for (int c = 0; c < r.C; c++)
        std::copy(r.F + c * N + i0, r.F + c * N + i0 + w, out + c * outStride);
    if (r.prior && !r.soft)
        addPriorCells(r.priorTable, r.cellLabels, (int)i0, (int)i0 + w, out, outStride);
    else if (r.prior)
        priorCells(r.means, r.cellLabels, r.soft, (int)i0, (int)i0 + w, true, r.alphaS, out, outStride);
    if (!r.pairwise)
        return;
    const T* fp;
    size_t fpStride;
    if (!r.Fp.empty())
        fp = r.Fp.template ptr<T>() + i0, fpStride = N;
    else
    {
        const bool store = keep && !keep->Fp.empty();
        T* dst = store ? keep->Fp.ptr<T>() + i0 : scratch + windowScratchSize(r.scores.offsets.K, w);
        fpStride = store ? N : (size_t)w;
        windowForwardRow(r.window, y, dst, fpStride, store ? keep->aux.ptr<T>((int)i0) : nullptr, scratch);
        fp = dst;
    }
    const T a = r.alphaP;
    for (int c = 0; c < r.C; c++)
    {
        T* o = out + c * outStride;
        const T* f = fp + c * fpStride;
        simd::forRange<T>(0, w, [&](auto tag, int x) {
            store(tag, o + x, load(tag, f + x) * simd::all(tag, a) + load(tag, o + x));
        });
    }
}

template struct BlockRows<float>;
template struct BlockRows<double>;
template void prepareBlockRows<float>(const EscrfBlockParams&, const EscrfBlockWeights&, const GuideView&, const Mat&,
                                      const Plan&, BlockRows<float>&, CpuCacheTensors*);
template void prepareBlockRows<double>(const EscrfBlockParams&, const EscrfBlockWeights&, const GuideView&,
                                       const Mat&, const Plan&, BlockRows<double>&, CpuCacheTensors*);
template void blockForwardRow<float>(const BlockRows<float>&, int, float*, size_t, CpuCacheTensors*, float*);
template void blockForwardRow<double>(const BlockRows<double>&, int, double*, size_t, CpuCacheTensors*, double*);

}}} // namespace cv::escrf::block
