// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's GPU pipeline, written once over a backend: src/cuda/head_pipeline.cu instantiates it
// with CUDA buffers, kernels and cuBLAS, src/head/head_emulation.cpp with host buffers, loops
// and cv::gemm. It mirrors Head::forward / Head::backward (src/head/head.cpp) and
// detail::softmaxCrossEntropy (src/train/loss.cpp) stage for stage; the per-element math is in
// head_device_math.hpp. Tensors stay in the backend between the stages, except around the
// ES-CRF block, whose interface takes host Mats (F goes down, F* comes back up).
//
// A backend B provides:
//   template <class T> using Buffer  (allocate(n), get(), size(), upload(host, n), download(host, n))
//   template <class F> void forEach(int n, const F& f)       f(i) for i in [0, n)
//   void gemm(tA, tB, M, N, K, alpha, A, B, beta, C)         row-major C = alpha op(A) op(B) + beta C
//   void rowSumAdd(A, R, n, g)                               g[r] += sum_i A[r][i]
//   template <class T> void copy(dst, src, n), zero(p, n)    within the backend
//   void synchronize()                                       waits for the queued work
//
// Buffers are members, kept between calls: device allocations and frees (a cudaFree waits for
// the whole device) happen only when a size grows, so steady-state steps allocate nothing and
// no buffer is freed while a queued kernel may still read it.
#ifndef OPENCV_ESCRF_HEAD_PIPELINE_HPP
#define OPENCV_ESCRF_HEAD_PIPELINE_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "head/bilinear.hpp"
#include "head/head_cache.hpp"
#include "head/head_device_math.hpp"
#include "head/head_parameters.hpp"
#include "head/head_runner.hpp"
#include "head/head_stages.hpp"
#include "head/head_variants.hpp"
#include <map>
#include <utility>
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! The ES-CRF block functions the pipeline calls (CPU or CUDA: same signatures).
struct BlockFunctions
{
    void (*forward)(const EscrfBlockParams&, const EscrfBlockWeights&, const EscrfGuide&, const Mat&, Mat&,
                    EscrfBlockCache*);
    void (*backward)(const EscrfBlockParams&, const EscrfBlockWeights&, const EscrfGuide&, const Mat&,
                     const EscrfBlockCache&, const Mat&, Mat&, EscrfBlockWeights&);
};

//! Host tables of one axis (see headdev::AxisTapsView): the CPU head's taps (LinearTaps, so that
//! both heads interpolate with the same weights) plus, for the adjoint's gather, the range
//! [begin[s], end[s]) of destinations that read each source s.
struct AxisTaps : LinearTaps
{
    std::vector<int> begin, end;
    AxisTaps(int srcLen, int dstLen);
};

template <class B>
class HeadPipeline CV_FINAL : public HeadRunner
{
    template <class T> using Buf = typename B::template Buffer<T>;

public:
    HeadPipeline(const Head& head, const BlockFunctions& block) : head_(head), block_(block)
    {
        const HeadConfig& cfg = head_.config();
        if (head_.classifierWeights.empty())
            CV_Error(Error::StsBadArg, "HeadRunner: the head has no weights (use Head::create or Head::load)");
        if (!headVariantTraits(cfg.variant).onDevice)
            CV_Error_(Error::StsNotImplemented, ("HeadRunner: the %s head has no GPU path; run it with Head::forward / "
                                                 "Head::backward on the CPU", headVariantToString(cfg.variant).c_str()));
        if (hasBlock() && head_.blockWeights.W_img.type() != CV_32F)
            CV_Error(Error::StsBadArg, "HeadRunner: the GPU path needs CV_32F block weights");
        syncParameters();
    }

    void syncParameters() CV_OVERRIDE
    {
        const HeadConfig& cfg = head_.config();
        projW_.resize(head_.projectionWeights.size());
        for (size_t l = 0; l < projW_.size(); l++)
            upload(head_.projectionWeights[l], projW_[l], "projection weights");
        if (cfg.projection > 0)
            upload(head_.projectionBias, projB_, "projection bias");
        upload(head_.classifierWeights, clsW_, "classifier weights");
        upload(head_.classifierBias, clsB_, "classifier bias");
    }

    void forward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, Mat& logits,
                 HeadCache* cache) CV_OVERRIDE
    {
        setInputs(inputs);
        Ptr<detail::HeadCacheState> saved;
        if (cache)
            saved = makePtr<detail::HeadCacheState>();
        runForward(headSize, guide, saved ? &saved->block : nullptr);
        const int K = head_.config().numClasses, D = head_.featureChannels(), N = headSize.area();
        download(logits_, K, N, logits);
        if (cache)
        {
            download(Z_, D, N, saved->Z);
            download(F_, D, N, saved->F);
            download(Fstar_, D, N, saved->Fstar);
            cache->setState(saved);
        }
    }

    void backward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, const HeadCache& cache,
                  const Mat& dLogits, std::vector<Mat>& grads) CV_OVERRIDE
    {
        const int K = head_.config().numClasses, D = head_.featureChannels(), N = headSize.area();
        // Z, F and F* of forward(): each read as a D x N operand (GEMMs, the block), so a wrong
        // shape or type would read out of bounds.
        if (cache.empty())
            CV_Error(Error::StsBadArg, "HeadRunner::backward: the cache was not filled by a forward pass");
        const detail::HeadCacheState& saved = *cache.state();
        const Mat* tensors[] = { &saved.Z, &saved.F, &saved.Fstar };
        const char* names[] = { "Z", "F", "F*" };
        for (int i = 0; i < 3; i++)
        {
            const Mat& m = *tensors[i];
            if (m.type() != CV_32FC1 || !m.isContinuous() || m.dims != 2 || m.rows != D || m.cols != N)
                CV_Error_(Error::StsBadArg, ("HeadRunner::backward: cache tensor %s is %dx%d %s, expected a continuous "
                                             "CV_32F %d x %d (a forward pass at this headSize)", names[i], m.rows,
                                             m.cols, typeToString(m.type()).c_str(), D, N));
        }
        if (dLogits.type() != CV_32F || dLogits.rows != K || dLogits.cols != N)
            CV_Error_(Error::StsBadArg, ("HeadRunner::backward: dLogits must be CV_32F %d x %d", K, N));
        checkGradients(grads);
        setInputs(inputs);
        upload(saved.Z, Z_, "cache");
        Fhost_ = saved.F;
        upload(saved.Fstar, Fstar_, "cache");
        upload(dLogits, dLogits_, "dLogits");
        clearGradients();
        runBackward(headSize, guide, saved.block);
        addGradients(grads);
    }

    double trainSample(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, const Mat& labels,
                       int ignoreLabel, const std::vector<float>& classWeights, double& weightSum) CV_OVERRIDE
    {
        const int K = head_.config().numClasses;
        if (labels.empty() || (labels.type() != CV_8UC1 && labels.type() != CV_32SC1))
            CV_Error(Error::StsBadArg, "softmaxCrossEntropy: labels must be a non-empty CV_8UC1 or CV_32SC1 map");
        if (!classWeights.empty() && (int)classWeights.size() != K)
            CV_Error_(Error::StsBadArg, ("softmaxCrossEntropy: %d class weights for %d classes",
                                         (int)classWeights.size(), K));
        setInputs(inputs);
        if (!gradsValid_)
            clearGradients();
        runForward(headSize, guide, &blockCache_);
        const double loss = runLoss(headSize, labels, ignoreLabel, classWeights, weightSum);
        runBackward(headSize, guide, blockCache_);
        return loss;
    }

    void addGradients(std::vector<Mat>& grads) CV_OVERRIDE
    {
        checkGradients(grads);
        if (!gradsValid_)
            return;   // nothing accumulated
        // Down to a host set of the head's shape, then into grads in the table's order.
        HeadTensors g;
        g.projectionWeights.resize(gProjW_.size());
        for (size_t l = 0; l < gProjW_.size(); l++)
        {
            const Mat& w = head_.projectionWeights[l];
            download(gProjW_[l], w.rows, w.cols, g.projectionWeights[l]);
        }
        if (head_.config().projection > 0)
            download(gProjB_, head_.projectionBias.rows, head_.projectionBias.cols, g.projectionBias);
        download(gClsW_, head_.classifierWeights.rows, head_.classifierWeights.cols, g.classifierWeights);
        download(gClsB_, head_.classifierBias.rows, head_.classifierBias.cols, g.classifierBias);
        g.blockWeights = gBlock_;
        addHeadGradients(head_, g, grads);
        gradsValid_ = false;
    }

    void predict(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide, Size workSize,
                 Size outSize, bool resizeBack, int ltype, Mat& out) CV_OVERRIDE
    {
        if (ltype != -1 && ltype != CV_8U && ltype != CV_32S)
            CV_Error_(Error::StsBadArg, ("HeadRunner::predict: ltype must be CV_8U, CV_32S or -1 (scores), got %d", ltype));
        if (workSize.empty() || outSize.empty() ||
            (!resizeBack && (outSize.width > workSize.width || outSize.height > workSize.height)))
            CV_Error_(Error::StsBadArg, ("HeadRunner::predict: cannot crop %dx%d out of %dx%d", outSize.width,
                                         outSize.height, workSize.width, workSize.height));
        const int K = head_.config().numClasses;
        if (ltype == CV_8U && K > 256)   // the argmax kernel stores uint8_t labels
            CV_Error_(Error::StsBadArg, ("HeadRunner::predict: %d classes do not fit CV_8U labels, use CV_32S", K));
        setInputs(inputs);
        runForward(headSize, guide, nullptr);
        Buf<float>* src = &resizeBuffer(logits_, K, headSize, workSize, full_);
        Size srcSize = workSize;
        if (resizeBack && outSize != workSize)
        {
            src = &resizeBuffer(*src, K, workSize, outSize, out_);
            srcSize = outSize;
        }
        if (ltype == -1)
        {
            if (srcSize != outSize)
            {
                grow(tmp_, (size_t)K * outSize.area());
                headdev::CropPlanes f = { src->get(), tmp_.get(), srcSize.width, srcSize.height, outSize.width,
                                          outSize.height };
                be_.forEach(K * outSize.area(), f);
                src = &tmp_;
            }
            download(*src, K, outSize.area(), out);
            return;
        }
        out.create(outSize, ltype);
        CV_Assert(out.isContinuous());
        if (ltype == CV_8U)
        {
            Buf<uint8_t>& l8 = labels8_;
            l8.allocate(outSize.area());
            headdev::ArgmaxPlanes f = { src->get(), l8.get(), nullptr, K, srcSize.width, srcSize.height, outSize.width };
            be_.forEach(outSize.area(), f);
            l8.download(out.ptr<uint8_t>(), outSize.area());
        }
        else
        {
            labels32_.allocate(outSize.area());
            headdev::ArgmaxPlanes f = { src->get(), nullptr, labels32_.get(), K, srcSize.width, srcSize.height,
                                        outSize.width };
            be_.forEach(outSize.area(), f);
            labels32_.download(out.ptr<int>(), outSize.area());
        }
    }

private:
    // Whether the head runs the ES-CRF block (the runner takes no other stage: see the constructor).
    bool hasBlock() const { return headVariantTraits(head_.config().variant).stage == STAGE_BLOCK; }

    // ------------------------------------------------------------ transfers

    void upload(const Mat& m, Buf<float>& buf, const char* what)
    {
        if (m.type() != CV_32FC1)
            CV_Error_(Error::StsBadArg, ("HeadRunner: %s must be CV_32F, got %s", what, typeToString(m.type()).c_str()));
        Mat c = m.isContinuous() ? m : m.clone();
        buf.upload(c.ptr<float>(), c.total());
    }
    void download(const Buf<float>& buf, int rows, int cols, Mat& dst)
    {
        dst.create(rows, cols, CV_32F);
        CV_Assert(dst.isContinuous());
        buf.download(dst.ptr<float>(), (size_t)rows * cols);
    }
    void checkGradients(const std::vector<Mat>& grads) const
    {
        checkHeadGradients(head_, grads, "HeadRunner");
    }

    // Inputs as 1 x C x h x w CV_32F blobs, as Head::forward checks them.
    void setInputs(const std::vector<Mat>& inputs)
    {
        const HeadConfig& cfg = head_.config();
        const std::vector<int>& channels = head_.inputChannels();
        if (inputs.size() != cfg.inputs.size())
            CV_Error_(Error::StsBadArg, ("HeadRunner: expected %d inputs (%s...), got %d", (int)cfg.inputs.size(),
                                         cfg.inputs[0].c_str(), (int)inputs.size()));
        X_.resize(inputs.size());
        sizes_.resize(inputs.size());
        for (size_t l = 0; l < inputs.size(); l++)
        {
            const Mat& b = inputs[l];
            if (b.empty() || b.type() != CV_32F || !b.isContinuous() || b.dims != 4 || b.size[0] != 1 ||
                b.size[1] != channels[l])
                CV_Error_(Error::StsBadArg, ("HeadRunner: input '%s' must be a continuous CV_32F 1 x %d x h x w blob",
                                             cfg.inputs[l].c_str(), channels[l]));
            sizes_[l] = Size(b.size[3], b.size[2]);
            X_[l].upload(b.ptr<float>(), b.total());
        }
    }

    // ------------------------------------------------------------ stages

    // Resize of C planes from s to d: src itself when the sizes are equal (as resizeBilinear
    // shares), else into buffer `dst`.
    Buf<float>& resizeBuffer(Buf<float>& src, int C, Size s, Size d, Buf<float>& dst)
    {
        if (s == d)
            return src;
        grow(dst, (size_t)C * d.area());
        resizeInto(src.get(), C, s, d, dst.get());
        return dst;
    }
    const float* resize(const float* src, int C, Size s, Size d, Buf<float>& dst)
    {
        if (s == d)
            return src;
        resizeInto(src, C, s, d, grow(dst, (size_t)C * d.area()));
        return dst.get();
    }
    void resizeInto(const float* src, int C, Size s, Size d, float* dst)
    {
        const headdev::AxisTapsView tx = taps(s.width, d.width), ty = taps(s.height, d.height);
        headdev::ResizePlanes f = { src, dst, s.width, s.height, d.width, d.height, tx, ty };
        be_.forEach(C * d.area(), f);
    }
    // dSrc (C x s) = adjoint of the resize s -> d applied to g (C x d); g itself when equal.
    const float* adjoint(const float* g, int C, Size s, Size d, Buf<float>& dst)
    {
        if (s == d)
            return g;
        const headdev::AxisTapsView tx = taps(s.width, d.width), ty = taps(s.height, d.height);
        float* tmp = grow(adjTmp_, (size_t)C * d.height * s.width);
        headdev::AdjointAlongX fx = { g, tmp, s.width, d.width, C * d.height, tx };
        be_.forEach(C * d.height * s.width, fx);
        grow(dst, (size_t)C * s.area());
        headdev::AdjointAlongY fy = { tmp, dst.get(), s.width, s.height, d.height, ty };
        be_.forEach(C * s.area(), fy);
        return dst.get();
    }
    // The device tables of one resize axis, uploaded on first use of (srcLen, dstLen) and kept.
    headdev::AxisTapsView taps(int srcLen, int dstLen)
    {
        const std::pair<int, int> key(srcLen, dstLen);
        typename std::map<std::pair<int, int>, TapBuffers>::iterator it = taps_.find(key);
        if (it == taps_.end())
        {
            if (taps_.size() >= kMaxCachedTaps)
            {
                // Many sizes (a few KB each): start over, once the queued kernels no longer read them.
                be_.synchronize();
                taps_.clear();
            }
            const AxisTaps t(srcLen, dstLen);
            TapBuffers& b = taps_[key];
            b.i0.upload(t.i0.data(), t.i0.size());
            b.i1.upload(t.i1.data(), t.i1.size());
            std::vector<int> range(t.begin);   // begin then end, one buffer
            range.insert(range.end(), t.end.begin(), t.end.end());
            b.range.upload(range.data(), range.size());
            b.w0.upload(t.w0.data(), t.w0.size());
            b.w1.upload(t.w1.data(), t.w1.size());
            it = taps_.find(key);
        }
        const TapBuffers& b = it->second;
        headdev::AxisTapsView v = { b.i0.get(), b.i1.get(), b.w0.get(), b.w1.get(), b.range.get(),
                                    b.range.get() + srcLen };
        return v;
    }
    // Scratch of at least n elements: reallocated only when it must grow.
    template <class T> static T* grow(Buf<T>& b, size_t n)
    {
        if (b.size() < n)
            b.allocate(n);
        return b.get();
    }

    void runForward(Size headSize, const EscrfGuide* guide, EscrfBlockCache* blockCache)
    {
        const HeadConfig& cfg = head_.config();
        if (headSize.empty())
            CV_Error(Error::StsBadArg, "HeadRunner: headSize must not be empty");
        const int D = head_.featureChannels(), K = cfg.numClasses, N = headSize.area();
        Z_.allocate((size_t)D * N);
        be_.zero(Z_.get(), (size_t)D * N);
        int row = 0;
        for (size_t l = 0; l < X_.size(); l++)
        {
            const Size sz = sizes_[l];
            const int C = head_.inputChannels()[l];
            if (cfg.projection > 0)
            {
                // Project first, at the input's own resolution (it commutes with the resize).
                grow(P_, (size_t)D * sz.area());
                be_.gemm(false, false, D, sz.area(), C, 1.f, projW_[l].get(), X_[l].get(), 0.f, P_.get());
                const float* r = resize(P_.get(), D, sz, headSize, R_);
                headdev::Accumulate f = { Z_.get(), r };
                be_.forEach(D * N, f);
            }
            else
            {
                float* dst = Z_.get() + (size_t)row * N;
                if (sz == headSize)
                    be_.copy(dst, X_[l].get(), (size_t)C * N);
                else
                    resizeInto(X_[l].get(), C, sz, headSize, dst);
                row += C;
            }
        }
        F_.allocate((size_t)D * N);
        if (cfg.projection > 0)
        {
            headdev::RowBiasAct f = { Z_.get(), projB_.get(), F_.get(), N, cfg.projectionRelu };
            be_.forEach(D * N, f);
        }
        else
            be_.copy(F_.get(), Z_.get(), (size_t)D * N);

        Fstar_.allocate((size_t)D * N);
        if (hasBlock())
        {
            checkHeadGuide(head_, guide, headSize, "HeadRunner");
            Fhost_.release();   // may share a caller's cache (backward()): never written into
            download(F_, D, N, Fhost_);
            Mat Fs;
            block_.forward(head_.effectiveBlockParams(), head_.blockWeights, *guide, Fhost_, Fs, blockCache);
            upload(Fs, Fstar_, "block output");
        }
        else
            be_.copy(Fstar_.get(), F_.get(), (size_t)D * N);

        logits_.allocate((size_t)K * N);
        be_.gemm(false, false, K, N, D, 1.f, clsW_.get(), Fstar_.get(), 0.f, logits_.get());
        headdev::RowBiasAct f = { logits_.get(), clsB_.get(), nullptr, N, false };
        be_.forEach(K * N, f);
    }

    // Loss of logits_ against labels; fills dLogits_ (K x headSize).
    double runLoss(Size headSize, const Mat& labels, int ignoreLabel, const std::vector<float>& classWeights,
                   double& weightSum)
    {
        const int K = head_.config().numClasses;
        Mat lab;
        labels.convertTo(lab, CV_32S);
        const Size full = lab.size();
        const int NL = full.area();
        labels_.upload(lab.ptr<int>(), NL);
        if (!classWeights.empty())
            classWeights_.upload(classWeights.data(), classWeights.size());
        const float* z = resize(logits_.get(), K, headSize, full, full_);
        dz_.allocate((size_t)K * NL);
        pixLoss_.allocate(NL);
        pixWeight_.allocate(NL);
        headdev::SoftmaxCrossEntropy ce = { z, labels_.get(), classWeights.empty() ? nullptr : classWeights_.get(),
                                            dz_.get(), pixLoss_.get(), pixWeight_.get(), K, NL, ignoreLabel };
        be_.forEach(NL, ce);
        const int H = full.height;
        headdev::LossRows rows = { pixLoss_.get(), pixWeight_.get(), labels_.get(), grow(rowLoss_, H),
                                   grow(rowWeight_, H), grow(bad_, H), grow(badValue_, H), full.width, K,
                                   ignoreLabel };
        be_.forEach(H, rows);
        std::vector<int> b(H), bv(H);
        bad_.download(b.data(), H);
        badValue_.download(bv.data(), H);
        for (int y = 0; y < H; y++)
            if (b[y])
                CV_Error_(Error::StsOutOfRange, ("training labels: value %d at row %d is outside [0, %d) and is not "
                                                 "the ignore label %d", bv[y], y, K, ignoreLabel));
        std::vector<double> rl(H), rw(H);
        rowLoss_.download(rl.data(), H);
        rowWeight_.download(rw.data(), H);
        double loss = 0;
        weightSum = 0;
        for (int y = 0; y < H; y++)
            loss += rl[y], weightSum += rw[y];
        const float* d = adjoint(dz_.get(), K, headSize, full, adj_);
        dLogits_.allocate((size_t)K * headSize.area());
        be_.copy(dLogits_.get(), d, (size_t)K * headSize.area());
        return loss;
    }

    void clearGradients()
    {
        const HeadConfig& cfg = head_.config();
        gProjW_.resize(projW_.size());
        for (size_t l = 0; l < projW_.size(); l++)
            zeroLike(gProjW_[l], projW_[l].size());
        if (cfg.projection > 0)
            zeroLike(gProjB_, projB_.size());
        zeroLike(gClsW_, clsW_.size());
        zeroLike(gClsB_, clsB_.size());
        if (hasBlock())
            gBlock_ = head_.blockWeights.zerosLike();
        gradsValid_ = true;
    }
    void zeroLike(Buf<float>& g, size_t n)
    {
        g.allocate(n);
        be_.zero(g.get(), n);
    }

    // Backward from dLogits_ with Z_, Fhost_ and Fstar_ of the forward pass; adds to the gradient buffers.
    void runBackward(Size headSize, const EscrfGuide* guide, const EscrfBlockCache& blockCache)
    {
        const HeadConfig& cfg = head_.config();
        const int D = head_.featureChannels(), K = cfg.numClasses, N = headSize.area();
        be_.gemm(false, true, K, D, N, 1.f, dLogits_.get(), Fstar_.get(), 1.f, gClsW_.get());
        be_.rowSumAdd(dLogits_.get(), K, N, gClsB_.get());
        dF_.allocate((size_t)D * N);
        be_.gemm(true, false, D, N, K, 1.f, clsW_.get(), dLogits_.get(), 0.f, dF_.get());

        if (hasBlock())
        {
            CV_Assert(guide);
            const EscrfBlockParams p = head_.effectiveBlockParams();
            Mat dFstar, dF;
            download(dF_, D, N, dFstar);
            // Block gradients are host tensors (the block's interface); the unused compatibility
            // weights are scratch, as in Head::backward.
            block_.backward(p, head_.blockWeights, *guide, Fhost_, blockCache, dFstar, dF, gBlock_);
            upload(dF, dF_, "block gradient");
        }

        if (cfg.projection > 0)
        {
            const float* dZ = dF_.get();
            if (cfg.projectionRelu)
            {
                dZ_.allocate((size_t)D * N);
                headdev::ReluBackward f = { Z_.get(), dF_.get(), dZ_.get() };
                be_.forEach(D * N, f);
                dZ = dZ_.get();
            }
            be_.rowSumAdd(dZ, D, N, gProjB_.get());
            for (size_t l = 0; l < X_.size(); l++)
            {
                const Size sz = sizes_[l];
                const float* dP = adjoint(dZ, D, sz, headSize, adj_);
                be_.gemm(false, true, D, head_.inputChannels()[l], sz.area(), 1.f, dP, X_[l].get(), 1.f,
                         gProjW_[l].get());
            }
        }
    }

    struct TapBuffers
    {
        Buf<int> i0, i1, range;
        Buf<float> w0, w1;
    };
    static const size_t kMaxCachedTaps = 64;

    const Head& head_;
    BlockFunctions block_;
    B be_;
    std::vector<Buf<float>> projW_, X_, gProjW_;
    std::vector<Size> sizes_;
    Buf<float> projB_, clsW_, clsB_, gProjB_, gClsW_, gClsB_;
    Buf<float> Z_, F_, Fstar_, logits_, dz_, dLogits_, dF_, dZ_;
    Buf<float> P_, R_, full_, out_, tmp_, adj_, adjTmp_;   // scratch, grown on demand (grow)
    Buf<float> classWeights_;
    Buf<double> pixLoss_, pixWeight_, rowLoss_, rowWeight_;
    Buf<int> labels_, labels32_, bad_, badValue_;
    std::map<std::pair<int, int>, TapBuffers> taps_;
    Buf<uint8_t> labels8_;
    Mat Fhost_;
    EscrfBlockCache blockCache_;
    EscrfBlockWeights gBlock_;
    bool gradsValid_ = false;
};

}}} // namespace cv::escrf::detail

#endif
