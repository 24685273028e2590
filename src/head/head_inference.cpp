// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's CPU inference path (head_inference.hpp).

#include "precomp.hpp"
#include "head/head_inference.hpp"
#include "head/head_inputs.hpp"
#include "head/head_variants.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

const block::Backend kInference = { "Head (inference)", false, true, false };

// Strips of rows per pass: a few per thread, so that a late thread does not hold the others up.
int stripCount(int rows)
{
    return std::max(1, std::min(rows, 4 * std::max(1, getNumThreads())));
}

} // namespace

void HeadInference::project(const Head& head, const std::vector<Mat>& inputs, Size headSize)
{
    if (head.classifierWeights.empty())
        CV_Error(Error::StsBadArg, "Head::forward: the head has no weights (use Head::create or Head::load)");
    head_ = &head;
    hasGuide_ = false;
    headSize_ = headSize;
    const HeadStage stage = headVariantTraits(head.config().variant).stage;
    whole_ = stage != STAGE_NONE && stage != STAGE_BLOCK;
    if (whole_)
    {
        inputs_ = &inputs;
        return;
    }
    projection_.prepare(head, inputs, headSize);
    classifier_.set(head.classifierWeights, head.classifierBias);
    const int N = headSize.area(), w = headSize.width, strips = stripCount(headSize.height);
    F_.create(projection_.channels(), N, CV_32F);
    resize_.resize(strips);
    parallel_for_(Range(0, strips), [&](const Range& r) {
        for (int s = r.start; s < r.end; s++)
        {
            const int y0 = headSize.height * s / strips, y1 = headSize.height * (s + 1) / strips;
            float* f = F_.ptr<float>() + (size_t)y0 * w;
            projection_.rows(y0, y1, f, f, N, resize_[s]);   // Z is not kept: F overwrites it
        }
    }, strips);
}

void HeadInference::setGuide(const Mat& bgr8, const Mat& superpixels, int numSuperpixels)
{
    CV_Assert(head_);
    if (whole_)
    {
        EscrfGuide guide;
        prepareHeadGuide(*head_, bgr8, superpixels, numSuperpixels, headSize_, guide);
        runWhole(head_->needsGuide() ? &guide : nullptr);
    }
    else if (head_->config().variant != HEAD_BASELINE)
    {
        block::prepareGuideView(bgr8, superpixels, numSuperpixels, headSize_, head_->effectiveBlockParams(), CV_32F,
                                guideBuffers_, guide_);
        prepareRows();
    }
    hasGuide_ = true;
}

void HeadInference::setGuide(const EscrfGuide* guide)
{
    CV_Assert(head_);
    checkHeadGuide(*head_, guide, headSize_, "Head::forward");
    if (whole_)
        runWhole(guide);
    else if (head_->config().variant != HEAD_BASELINE)
    {
        const EscrfBlockParams p = head_->effectiveBlockParams();
        block::checkInputs(kInference, p, head_->blockWeights, *guide, F_, block::makePlan(p, head_->blockWeights));
        guide_ = block::guideView(*guide, p, CV_32F);
        prepareRows();
    }
    hasGuide_ = true;
}

void HeadInference::runWhole(const EscrfGuide* guide)
{
    CV_Assert(inputs_);
    head_->forward(*inputs_, headSize_, guide, wholeLogits_);
    inputs_ = nullptr;
}

void HeadInference::prepareRows()
{
    const EscrfBlockParams p = head_->effectiveBlockParams();
    const block::Plan plan = block::makePlan(p, head_->blockWeights);
    block::checkWeights(kInference, p, head_->blockWeights, F_.rows, CV_32F, plan);
    block::prepareBlockRows<float>(p, head_->blockWeights, guide_, F_, plan, rows_);
}

template <typename Fn>
void HeadInference::forRows(int rows, const Fn& fn)
{
    if (!head_ || !hasGuide_)
        CV_Error(Error::StsError, "HeadInference: project() and setGuide() come first");
    const int w = headSize_.width, D = F_.rows, K = head_->config().numClasses;
    const size_t N = F_.cols;
    const bool block = head_->config().variant != HEAD_BASELINE;
    const size_t need = (size_t)K * w + (block ? (size_t)D * w + rows_.scratchSize() : 0);
    const int strips = stripCount(rows);
    strips_.resize(strips);
    parallel_for_(Range(0, strips), [&](const Range& r) {
        for (int s = r.start; s < r.end; s++)
        {
            std::vector<float>& buf = strips_[s];
            if (buf.size() < need)
                buf.resize(need);
            float* logitsRow = buf.data();
            float* fstar = logitsRow + (size_t)K * w;
            for (int y = rows * s / strips; y < rows * (s + 1) / strips; y++)
            {
                const float* x = F_.ptr<float>() + (size_t)y * w;
                size_t xStride = N;
                if (block)
                {
                    blockForwardRow(rows_, y, fstar, w, nullptr, fstar + (size_t)D * w);
                    x = fstar;
                    xStride = w;
                }
                classifier_.cells(x, xStride, w, logitsRow, w, false);
                fn(y, logitsRow);
            }
        }
    }, strips);
}

void HeadInference::logits(Mat& logits)
{
    if (whole_ && hasGuide_)
    {
        wholeLogits_.copyTo(logits);
        return;
    }
    const int K = head_ ? head_->config().numClasses : 0, w = headSize_.width;
    logits.create(K, headSize_.area(), CV_32F);
    forRows(headSize_.height, [&](int y, const float* row) {
        for (int k = 0; k < K; k++)
            std::copy(row + (size_t)k * w, row + (size_t)(k + 1) * w, logits.ptr<float>(k) + (size_t)y * w);
    });
}

void HeadInference::labels(Size outSize, int ltype, Mat& labels)
{
    CV_Assert(!outSize.empty() && outSize.width <= headSize_.width && outSize.height <= headSize_.height);
    const int K = head_ ? head_->config().numClasses : 0, w = headSize_.width;
    labels.create(outSize, ltype);
    if (whole_ && hasGuide_)
    {
        parallel_for_(Range(0, outSize.height), [&](const Range& r) {
            for (int y = r.start; y < r.end; y++)
                argmaxCells(wholeLogits_.ptr<float>() + (size_t)y * w, wholeLogits_.cols, K, outSize.width, ltype,
                            labels.ptr(y));
        });
        return;
    }
    forRows(outSize.height, [&](int y, const float* row) {
        argmaxCells(row, w, K, outSize.width, ltype, labels.ptr(y));
    });
}

}}} // namespace cv::escrf::detail
