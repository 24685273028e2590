// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_BLOCK_HPP
#define OPENCV_ESCRF_BLOCK_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"

namespace cv {
namespace escrf {

/** @defgroup escrf_block The ES-CRF block
@ingroup escrf

The block of the module's specification (../shared/docs/escrf-spec.md; summary in doc/architecture.md):
F*_i = F_i + a_s Fs_i + a_p Fp_i with the image-guided pairwise message
Fp_i = sum_{j in G(i)} mu(i,j) score(i,j) F_j and the superpixel average prior Fs.
Features are stored channel-major: F is a C x N matrix (N = h*w cells, row-major over (y, x)).
Both CV_32F and CV_64F are supported (double precision is used by the gradient checks);
the weights must have the depth of F.
@{
*/

//! Options of one ES-CRF block; all options off (the defaults) is the reference semantics.
struct CV_EXPORTS_W_SIMPLE EscrfBlockParams
{
    CV_WRAP EscrfBlockParams();

    CV_PROP_RW int embedDim;        //!< E, channels of each of the two embeddings (default 32)
    CV_PROP_RW int posDim;          //!< P, channels of the cosine position encoding per axis (even, default 32)
    CV_PROP_RW int window;          //!< k, odd window size (default 3)
    CV_PROP_RW int dilation;        //!< d, window dilation (default 2)
    CV_PROP_RW float alphaS;        //!< a_s, weight of the superpixel prior (default 0.1)
    CV_PROP_RW float alphaP;        //!< a_p, weight of the pairwise message (default 0.2)
    CV_PROP_RW bool normalize;      //!< softmax_j(score / sqrt(2E)) over G(i) (its in-map cells only) instead of the raw score
    CV_PROP_RW bool dense;          //!< G(i) = every cell, streamed (online softmax), no N x N buffer
    CV_PROP_RW bool pairCompatibility; //!< mu(i,j) = sigmoid(a.F_i + b.F_j + c) instead of sigmoid(w_comp.F_j)
    CV_PROP_RW bool softSuperpixels;   //!< area-weighted cell-to-superpixel assignment instead of nearest
    /** a_s and a_p are trained: alphaS/alphaP are then the initial values (EscrfBlockWeights holds
     * the trained ones), and a term initialised to exactly 0 stays off. */
    CV_PROP_RW bool learnableFusion;
    /** score(i,j) = -|e_i - e_j|^2 / 2 instead of e_i . e_j: a Gaussian of the embedding distance,
     * so that the kernel favours neighbours that look alike (as DenseCRF's bilateral kernel does).
     * The plain dot product cannot express similarity: under the softmax over j it is linear in
     * e_j and favours the neighbours with the largest projection on e_i, not the closest ones.
     * Without normalize the kernel weight is exp(score) (DenseCRF's kernel), with normalize
     * softmax_j(score / sqrt(2E)). Off by default (the reference). */
    CV_PROP_RW bool gaussianKernel;
};

//! Trainable parameters of one block (or their gradients), depth of the features.
struct CV_EXPORTS EscrfBlockWeights
{
    Mat W_img;   //!< E x 3, appearance embedding (1x1 conv, RGB in [0,1])
    Mat W_pos;   //!< E x 2P, position embedding
    Mat w_comp;  //!< 1 x C, reference feature compatibility
    Mat a;       //!< 1 x C, pair compatibility of the first cell (used when pairCompatibility)
    Mat b;       //!< 1 x C, pair compatibility of the second cell (used when pairCompatibility)
    double c = 0;      //!< pair compatibility bias
    double alphaS = 0; //!< fusion weight of the superpixel prior
    double alphaP = 0; //!< fusion weight of the pairwise message

    /** @brief Initial weights for C feature channels: 1x1-conv (Kaiming-uniform) ranges as the
     * reference uses, fusion weights from params, depth CV_32F or CV_64F. */
    static EscrfBlockWeights create(const EscrfBlockParams& params, int channels, RNG& rng, int depth = CV_32F);
    //! Zero tensors of the same shapes (for gradients).
    EscrfBlockWeights zerosLike() const;
};

/** @brief Everything of one image that the block needs besides the features; it does not depend
 * on the weights, so it is prepared once per image (and cached by the trainer). */
struct CV_EXPORTS EscrfGuide
{
    Size featureSize;       //!< w x h
    Mat image;              //!< 3 x N: the RGB guide image resized to w x h (bilinear)
    Mat position;           //!< 2P x N cosine position encoding (as prepareGuide makes it: the block relies on it being separable in x and y)
    Mat cellLabels;         //!< 1 x N CV_32S, superpixel of each cell (nearest)
    SoftAssignment soft;    //!< area-weighted assignment (when softSuperpixels)
    int numSuperpixels = 0; //!< M
};

/** @brief Prepares the guide of one image.
@param image CV_32FC3 H x W RGB image in [0,1] (or CV_8UC3 BGR, converted), not empty.
@param superpixels CV_32SC1 H x W labels in 0..numSuperpixels-1.
@param numSuperpixels M > 0.
@param featureSize w x h of the features, at most H x W.
@param params block options (P, softSuperpixels).
@param guide output, with the depth given (CV_32F or CV_64F).
@param depth CV_32F or CV_64F, the depth of the guide's matrices (the block's precision).
*/
CV_EXPORTS void prepareGuide(InputArray image, InputArray superpixels, int numSuperpixels,
                             Size featureSize, const EscrfBlockParams& params, EscrfGuide& guide,
                             int depth = CV_32F);

namespace detail {

/** @brief Holder of a state that only the module's sources define: the caches between a forward
and a backward pass. Copies share the state; a new forward pass gives its cache a new one.
@ingroup escrf_block */
template <class State>
class OpaqueState
{
public:
    //! True until a forward pass fills it.
    bool empty() const { return !state_; }
    //! Drops the saved tensors.
    void release() { state_.release(); }
    //! The state, null while empty (for the module's backends).
    const Ptr<State>& state() const { return state_; }
    //! Replaces the state (for the module's backends).
    void setState(const Ptr<State>& state) { state_ = state; }

private:
    Ptr<State> state_;
};

struct BlockCacheState;   //!< defined in src/block/block_cache.hpp
struct HeadCacheState;    //!< defined in src/head/head_cache.hpp

} // namespace detail

/** @brief Tensors that a forward pass saves for the backward pass of the same block (opaque).

What it holds belongs to the backend that filled it: a cache from escrfBlockForward goes to
escrfBlockBackward, one from the block's CUDA path to the CUDA backward pass, and each backward
pass refuses any other cache, or one filled with other options, fusion weights or feature size. */
class CV_EXPORTS EscrfBlockCache : public detail::OpaqueState<detail::BlockCacheState>
{
};

/** @brief Forward pass of one block on one image.
@param params options; the fusion weights are params.alphaS/alphaP, or weights.alphaS/alphaP when
params.learnableFusion. A term whose params weight is 0 is skipped (W_img, W_pos, w_comp are then
not needed); with learnableFusion every other term is evaluated even when its trained weight is 0,
since its alpha gradient needs the term.
@param weights parameters of the depth of F; w_comp is used by the reference compatibility,
a, b, c by params.pairCompatibility.
@param guide prepared by prepareGuide for this image and feature size.
@param F C x N features (CV_32F or CV_64F), N = guide.featureSize.area().
@param out C x N output F*.
@param cache when not null, filled for escrfBlockBackward.
*/
CV_EXPORTS void escrfBlockForward(const EscrfBlockParams& params, const EscrfBlockWeights& weights,
                                  const EscrfGuide& guide, const Mat& F, Mat& out,
                                  EscrfBlockCache* cache = nullptr);

/** @brief Backward pass: gradients of sum(out .* dOut).
@param params, weights, guide, F as given to escrfBlockForward.
@param cache filled by escrfBlockForward.
@param dOut C x N gradient with respect to out.
@param dF output C x N, the gradient with respect to F.
@param grads the gradients of the weights are ADDED to it (so a batch accumulates); must have
the shapes of weights (use weights.zerosLike()). The alphaS/alphaP gradients, sum(Fs .* dOut) and
sum(Fp .* dOut), are added whenever the term is evaluated (see escrfBlockForward; the trainer uses
them only with learnableFusion). The cache must come from escrfBlockForward with the same params and
weights (a cache from other options or weights raises cv::Exception).
*/
CV_EXPORTS void escrfBlockBackward(const EscrfBlockParams& params, const EscrfBlockWeights& weights,
                                   const EscrfGuide& guide, const Mat& F, const EscrfBlockCache& cache,
                                   const Mat& dOut, Mat& dF, EscrfBlockWeights& grads);

//! @}

}} // namespace cv::escrf

#endif
