// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// explainHeadKernel: the kernel picture of one pixel (the paper's Fig. 4) from the head's own
// stages: the features as Head::forward makes them, then the block's per-cell message terms
// (detail::explainBlockCell) or the non-local block's attention row (detail::nonlocalAttention).
#include "precomp.hpp"
#include "block/block_explain.hpp"
#include "core/alignment.hpp"
#include "head/head_inputs.hpp"
#include "head/head_stages.hpp"
#include "head/head_variants.hpp"

#include <limits>

namespace cv {
namespace escrf {

namespace {

// The kernel of one half of the score over G(i), normalised as the block normalises the whole score.
std::vector<double> halfKernel(const EscrfBlockParams& p, const std::vector<double>& scores, double invTau)
{
    std::vector<double> k(scores.size());
    if (p.normalize)
    {
        const double mx = *std::max_element(scores.begin(), scores.end());
        double Z = 0;
        for (size_t o = 0; o < scores.size(); o++)
        {
            k[o] = std::exp(invTau * (scores[o] - mx));
            Z += k[o];
        }
        for (double& v : k)
            v /= Z;
    }
    else
        for (size_t o = 0; o < scores.size(); o++)
            k[o] = p.gaussianKernel ? std::exp(scores[o]) : scores[o];
    return k;
}

void blockMaps(const Head& head, const EscrfGuide& guide, const Mat& F, Point cell, HeadKernelMaps& maps)
{
    const EscrfBlockParams p = head.effectiveBlockParams();
    detail::CellMessageTerms t;
    detail::explainBlockCell(p, head.blockWeights, guide, F, cell, t);
    const std::vector<double> app = halfKernel(p, t.appearance, t.invTau), pos = halfKernel(p, t.position, t.invTau);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    maps.appearance = Mat(guide.featureSize, CV_64F, Scalar(nan));
    maps.position = Mat(guide.featureSize, CV_64F, Scalar(nan));
    maps.weight = Mat(guide.featureSize, CV_64F, Scalar(nan));
    for (size_t o = 0; o < t.neighbours.size(); o++)
    {
        const Point j = t.neighbours[o];
        maps.appearance.at<double>(j) = app[o];
        maps.position.at<double>(j) = pos[o];
        maps.weight.at<double>(j) = t.weight[o];
    }
}

} // namespace

void explainHeadKernel(const Head& head, Backbone& backbone, InputArray image, Point pixel, HeadKernelMaps& maps)
{
    const char* fn = "explainHeadKernel";
    const HeadConfig& cfg = head.config();
    const detail::HeadStage stage = detail::headVariantTraits(cfg.variant).stage;
    const bool pairwise = stage == detail::STAGE_BLOCK && head.effectiveBlockParams().alphaP != 0;
    if (!pairwise && stage != detail::STAGE_NONLOCAL)
        CV_Error_(Error::StsBadArg, ("%s: the %s head has no pairwise kernel to explain (pairwise, escrf and nonlocal "
                                     "heads have one)", fn, headVariantToString(cfg.variant).c_str()));
    const Mat img = image.getMat();
    if (img.empty() || img.type() != CV_8UC3)
        CV_Error_(Error::StsBadArg, ("%s: image must be a non-empty CV_8UC3 BGR image, got %s", fn,
                                     typeToString(img.type()).c_str()));
    if (!Rect(Point(), img.size()).contains(pixel))
        CV_Error_(Error::StsOutOfRange, ("%s: pixel (%d, %d) is outside the %dx%d image", fn, pixel.x, pixel.y,
                                         img.cols, img.rows));
    // As Segmenter::segment pads: right and bottom, to the backbone's size multiple and the stride.
    const int a = detail::sizeAlignment(backbone.description().sizeMultiple, cfg.stride);
    Mat work;
    copyMakeBorder(img, work, 0, (a - img.rows % a) % a, 0, (a - img.cols % a) % a, BORDER_REFLECT_101);
    const Size headSize(work.cols / cfg.stride, work.rows / cfg.stride);
    std::vector<Mat> inputs;
    detail::computeHeadInputs(backbone, work, cfg.inputs, inputs);
    Mat sp, Z, F;
    const int M = head.needsSuperpixels() ? computeSuperpixels(work, sp, cfg.superpixels) : 0;
    EscrfGuide guide;
    detail::prepareHeadGuide(head, work, sp, M, headSize, guide);
    detail::headFeatures(head, inputs, headSize, Z, F);

    maps = HeadKernelMaps();
    const Point cell(pixel.x / cfg.stride, pixel.y / cfg.stride);
    if (stage == detail::STAGE_BLOCK)
    {
        maps.mapSize = headSize;
        maps.cellSize = cfg.stride;
        maps.cell = cell;
        blockMaps(head, guide, F, cell, maps);
        return;
    }
    detail::NonlocalWeights w;
    w.W_theta = head.nonlocalTheta;
    w.W_phi = head.nonlocalPhi;
    w.W_g = head.nonlocalG;
    w.W_out = head.nonlocalOut;
    detail::nonlocalAttention(detail::nonlocalParams(cfg), w, headSize, F, cell, maps.weight, maps.cell);
    maps.mapSize = maps.weight.size();
    maps.cellSize = cfg.stride * cfg.nonlocal.factor;
}

}} // namespace cv::escrf
