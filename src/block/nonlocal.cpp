// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The attention itself is the dense message engine of the ES-CRF block (block::denseForward /
// denseBackward) in its plain-attention form: queries theta, separate keys phi, values g, no
// compatibility, softmax with temperature 1. Everything around it (pooling, 1x1 embeddings,
// output projection, residual) is a few matrix products on the coarse grid.

#include "precomp.hpp"
#include "block/nonlocal.hpp"
#include "block/block_kernels.hpp"
#include "head/coarse_grid.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

void checkParams(const char* fn, const NonlocalParams& p)
{
    checkNonlocalParams(fn, "params", p);
}

void checkFeatures(const char* fn, const char* name, const Mat& F, Size grid)
{
    if (grid.width < 1 || grid.height < 1)
        CV_Error_(Error::StsBadArg, ("%s: grid is %dx%d, expected a non-empty map", fn, grid.width, grid.height));
    if (F.dims != 2 || F.rows < 1 || F.cols != grid.area() || (F.type() != CV_32FC1 && F.type() != CV_64FC1))
        CV_Error_(Error::StsBadArg, ("%s: %s is %dx%d %s, expected a D x N = D x %d CV_32F or CV_64F matrix "
                                     "(grid %dx%d)", fn, name, F.rows, F.cols, typeToString(F.type()).c_str(),
                                     grid.area(), grid.width, grid.height));
}

void checkWeights(const char* fn, const char* what, const NonlocalWeights& w, int E, int D, int depth)
{
    const struct { const char* name; const Mat& m; int rows, cols; } items[] = {
        { "W_theta", w.W_theta, E, D }, { "W_phi", w.W_phi, E, D }, { "W_g", w.W_g, E, D },
        { "W_out", w.W_out, D, E } };
    for (const auto& it : items)
        if (it.m.rows != it.rows || it.m.cols != it.cols || it.m.type() != CV_MAKETYPE(depth, 1))
            CV_Error_(Error::StsBadArg, ("%s: %s.%s is %dx%d %s, expected %dx%d %s (E = params.embedDim = %d, D = "
                                         "%d feature channels, the depth of F)", fn, what, it.name, it.m.rows,
                                         it.m.cols, typeToString(it.m.type()).c_str(), it.rows, it.cols,
                                         typeToString(CV_MAKETYPE(depth, 1)).c_str(), E, D));
}

//! Cell-major embedding X^T = Fc^T W^T (Nc x E) of Fc (D x Nc) by W (E x D).
Mat embed(const Mat& W, const Mat& Fc)
{
    Mat XT;
    gemm(Fc, W, 1, noArray(), 0, XT, GEMM_1_T | GEMM_2_T);
    return XT;
}

template <typename T>
block::MessageInput<T> attentionInput(Size coarse, int E, const Mat& thetaT, const Mat& phiT, const Mat& gT)
{
    block::MessageInput<T> in;
    in.h = coarse.height;
    in.w = coarse.width;
    in.C = E;
    in.D = E;
    in.FT = gT.ptr<T>();
    in.eT = thetaT.ptr<T>();
    in.eKT = phiT.ptr<T>();
    in.normalize = true;
    in.invTau = 1;   // the paper's exp(theta_i . phi_j), unscaled
    return in;
}

template <typename T>
void forwardT(const NonlocalParams& p, const NonlocalWeights& w, const CoarseGrid& grid, const Mat& F, Mat& out,
              NonlocalCache* cache)
{
    Mat Fc, yT, stats, z, up;
    grid.pool(F, Fc);
    const Mat thetaT = embed(w.W_theta, Fc), phiT = embed(w.W_phi, Fc), gT = embed(w.W_g, Fc);
    block::denseForward(attentionInput<T>(grid.coarse(), p.embedDim, thetaT, phiT, gT), yT, stats);
    gemm(w.W_out, yT, 1, noArray(), 0, z, GEMM_2_T);   // D x Nc
    grid.upsample(z, up);
    out = F + up;
    if (cache)
    {
        cache->key = NonlocalCache::Key(p, F);
        cache->Fc = Fc.data == F.data ? Mat() : Fc;   // factor 1: F itself, not kept twice
        cache->thetaT = thetaT;
        cache->phiT = phiT;
        cache->gT = gT;
        cache->yT = yT;
        cache->stats = stats;
    }
}

template <typename T>
void backwardT(const NonlocalParams& p, const NonlocalWeights& w, const CoarseGrid& grid, const Mat& F,
               const NonlocalCache& cache, const Mat& dOut, Mat& dF, NonlocalWeights& grads)
{
    const Mat Fc = cache.Fc.empty() ? F : cache.Fc;
    const Mat &thetaT = cache.thetaT, &phiT = cache.phiT, &gT = cache.gT, &yT = cache.yT;
    Mat dz, dyT, dFcT, dFc, dFine;
    grid.upsampleAdjoint(dOut, dz);                                   // D x Nc
    gemm(dz, yT, 1, grads.W_out, 1, grads.W_out);                     // dW_out += dz y^T
    gemm(dz, w.W_out, 1, noArray(), 0, dyT, GEMM_1_T);                // dy^T = dz^T W_out
    block::MessageGrad mg;
    block::denseBackward(attentionInput<T>(grid.coarse(), p.embedDim, thetaT, phiT, gT), yT, cache.stats, dyT, mg);
    // dW += dX Fc^T for each embedding X = W Fc; dFc = sum W^T dX, computed cell-major.
    const struct { const Mat& dXT; const Mat& W; Mat& dW; } parts[] = {
        { mg.deT, w.W_theta, grads.W_theta }, { mg.deKT, w.W_phi, grads.W_phi }, { mg.dFT, w.W_g, grads.W_g } };
    for (const auto& part : parts)
    {
        gemm(part.dXT, Fc, 1, part.dW, 1, part.dW, GEMM_1_T | GEMM_2_T);
        if (dFcT.empty())
            gemm(part.dXT, part.W, 1, noArray(), 0, dFcT);
        else
            gemm(part.dXT, part.W, 1, dFcT, 1, dFcT);
    }
    transpose(dFcT, dFc);
    grid.poolAdjoint(dFc, dFine);
    dF = dOut + dFine;
}

} // namespace

void checkNonlocalParams(const char* fn, const char* what, const NonlocalParams& p)
{
    if (p.embedDim < 1)
        CV_Error_(Error::StsOutOfRange, ("%s: %s.embedDim = %d, expected >= 1", fn, what, p.embedDim));
    if (p.factor < 1)
        CV_Error_(Error::StsOutOfRange, ("%s: %s.factor = %d, expected >= 1", fn, what, p.factor));
}

NonlocalWeights NonlocalWeights::create(const NonlocalParams& params, int channels, RNG& rng, int depth)
{
    checkParams("NonlocalWeights::create", params);
    if (channels < 1)
        CV_Error_(Error::StsBadArg, ("NonlocalWeights::create: channels = %d, expected >= 1", channels));
    if (depth != CV_32F && depth != CV_64F)
        CV_Error_(Error::StsBadArg, ("NonlocalWeights::create: depth %d, expected CV_32F or CV_64F", depth));
    const int E = params.embedDim;
    const double sd = 1.0 / std::sqrt((double)channels);
    NonlocalWeights w;
    for (Mat* m : { &w.W_theta, &w.W_phi, &w.W_g })
    {
        m->create(E, channels, depth);
        rng.fill(*m, RNG::NORMAL, 0, sd);
    }
    w.W_out = Mat::zeros(channels, E, depth);
    return w;
}

NonlocalWeights NonlocalWeights::zerosLike() const
{
    NonlocalWeights z;
    z.W_theta = Mat::zeros(W_theta.size(), W_theta.type());
    z.W_phi = Mat::zeros(W_phi.size(), W_phi.type());
    z.W_g = Mat::zeros(W_g.size(), W_g.type());
    z.W_out = Mat::zeros(W_out.size(), W_out.type());
    return z;
}

void nonlocalForward(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                     Mat& out, NonlocalCache* cache)
{
    const char* fn = "nonlocalForward";
    checkParams(fn, params);
    checkFeatures(fn, "F", F, grid);
    checkWeights(fn, "weights", weights, params.embedDim, F.rows, F.depth());
    const CoarseGrid cg(grid, params.factor);
    const Mat Fc = F.isContinuous() ? F : F.clone();
    if (F.depth() == CV_32F)
        forwardT<float>(params, weights, cg, Fc, out, cache);
    else
        forwardT<double>(params, weights, cg, Fc, out, cache);
}

void nonlocalAttention(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                       Point cell, Mat& attention, Point& coarseCell)
{
    const char* fn = "nonlocalAttention";
    checkParams(fn, params);
    checkFeatures(fn, "F", F, grid);
    checkWeights(fn, "weights", weights, params.embedDim, F.rows, F.depth());
    if (cell.x < 0 || cell.y < 0 || cell.x >= grid.width || cell.y >= grid.height)
        CV_Error_(Error::StsOutOfRange, ("%s: cell (%d, %d) is outside the %dx%d map", fn, cell.x, cell.y, grid.width,
                                         grid.height));
    const CoarseGrid cg(grid, params.factor);
    Mat Fc, thetaT, phiT;
    cg.pool(F.isContinuous() ? F : F.clone(), Fc);
    // The embeddings as nonlocalForward makes them, then one row of the scores in double.
    embed(weights.W_theta, Fc).convertTo(thetaT, CV_64F);
    embed(weights.W_phi, Fc).convertTo(phiT, CV_64F);
    coarseCell = Point(cell.x / params.factor, cell.y / params.factor);
    const Size coarse = cg.coarse();
    Mat scores = phiT * thetaT.row(coarseCell.y * coarse.width + coarseCell.x).t();   // Nc x 1
    double mx = 0;
    minMaxLoc(scores, nullptr, &mx);
    exp(scores - mx, scores);
    scores /= sum(scores)[0];
    attention = scores.reshape(1, coarse.height).clone();
}

void nonlocalBackward(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                      const NonlocalCache& cache, const Mat& dOut, Mat& dF, NonlocalWeights& grads)
{
    const char* fn = "nonlocalBackward";
    checkParams(fn, params);
    checkFeatures(fn, "F", F, grid);
    checkFeatures(fn, "dOut", dOut, grid);
    if (dOut.size() != F.size() || dOut.type() != F.type())
        CV_Error_(Error::StsBadArg, ("%s: dOut is %dx%d %s, expected the shape and type of F", fn, dOut.rows,
                                     dOut.cols, typeToString(dOut.type()).c_str()));
    checkWeights(fn, "weights", weights, params.embedDim, F.rows, F.depth());
    checkWeights(fn, "grads", grads, params.embedDim, F.rows, F.depth());
    if (cache.empty())
        CV_Error(Error::StsBadArg, "nonlocalBackward: cache was not filled by nonlocalForward");
    if (!(cache.key == NonlocalCache::Key(params, F)))
        CV_Error(Error::StsBadArg, "nonlocalBackward: cache comes from a forward pass with other params or features");
    const CoarseGrid cg(grid, params.factor);
    const Mat Fc = F.isContinuous() ? F : F.clone();
    const Mat dOutc = dOut.isContinuous() ? dOut : dOut.clone();
    if (F.depth() == CV_32F)
        backwardT<float>(params, weights, cg, Fc, cache, dOutc, dF, grads);
    else
        backwardT<double>(params, weights, cg, Fc, cache, dOutc, dF, grads);
}

}}} // namespace cv::escrf::detail
