// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The non-local block (the spec's `nonlocal` variant): embedded-Gaussian self-attention over all
// cells of a head's features (Wang et al. 2018), with a residual, forward and backward. Design,
// choices and costs: doc/variants.md.
#ifndef OPENCV_ESCRF_BLOCK_NONLOCAL_HPP
#define OPENCV_ESCRF_BLOCK_NONLOCAL_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Fixed settings of the non-local block.
struct NonlocalParams
{
    int embedDim = 8;   //!< E, channels of the theta / phi / g embeddings (>= 1)
    /** The attention runs on the features box-averaged over factor x factor cells (CoarseGrid) and
     * its output is interpolated back bilinearly (>= 1; 1 = every cell attends to every cell). */
    int factor = 8;
};

/** Checks params (cv::Exception "fn: what.field = value, expected ..." otherwise): the one check of
 * the block's settings, also made by Head::create for HeadConfig::nonlocal. */
void checkNonlocalParams(const char* fn, const char* what, const NonlocalParams& params);

/** Learned parameters for D feature channels, of the depth of the features. 1x1 convolutions
 * without bias. */
struct NonlocalWeights
{
    Mat W_theta;   //!< E x D, queries
    Mat W_phi;     //!< E x D, keys
    Mat W_g;       //!< E x D, values
    Mat W_out;     //!< D x E, output projection of the attended values

    /** theta, phi, g: normal with standard deviation 1 / sqrt(D); W_out: zero, so that a new block
     * is the identity (Wang et al. initialise the last BatchNorm's scale to zero for that). */
    static NonlocalWeights create(const NonlocalParams& params, int channels, RNG& rng, int depth = CV_32F);
    //! Zero tensors of the same shapes and depth (for gradients).
    NonlocalWeights zerosLike() const;
};

/** What nonlocalForward keeps for nonlocalBackward: what it computed with (checked by the
 * backward pass) and the coarse-grid tensors, O(Nc E). */
struct NonlocalCache
{
    //! The settings of the forward pass; a backward pass uses the cache only with the same.
    struct Key
    {
        int channels = 0, cells = 0, embedDim = 0, factor = 0;   // cells: of the fine map

        Key() {}
        Key(const NonlocalParams& params, const Mat& F)
            : channels(F.rows), cells(F.cols), embedDim(params.embedDim), factor(params.factor) {}
        bool operator==(const Key& o) const
        {
            return channels == o.channels && cells == o.cells && embedDim == o.embedDim && factor == o.factor;
        }
    };

    Key key;
    Mat Fc;                    //!< D x Nc pooled features (empty with factor 1: F itself is used)
    Mat thetaT, phiT, gT;      //!< Nc x E queries, keys, values (cell-major)
    Mat yT;                    //!< Nc x E attended values
    Mat stats;                 //!< the attention's softmax statistics (block::denseForward)

    //! True until nonlocalForward fills it.
    bool empty() const { return key.cells == 0; }
};

/** Forward pass on F (D x N, N = grid.area(), CV_32F or CV_64F):
 *
 *     Fc = pool(F);  theta = W_theta Fc,  phi = W_phi Fc,  g = W_g Fc        (E x Nc each)
 *     y_i = sum_j softmax_j(theta_i . phi_j) g_j                             (over all Nc cells)
 *     out = F + up(W_out y)
 *
 * with pool / up the CoarseGrid of params.factor (identity for factor 1). The attention is
 * streamed over tiles with an online softmax (the dense ES-CRF message engine,
 * block_dense.cpp): memory O(Nc E), never an Nc x Nc buffer.
 * @param cache when given, filled for nonlocalBackward (the embeddings, y and the softmax
 * statistics: O(Nc E)). */
void nonlocalForward(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                     Mat& out, NonlocalCache* cache = nullptr);

/** Backward pass for the gradient dOut (D x N) of out: dF (written) and the weight gradients
 * (added to grads, which must have the weights' shapes: NonlocalWeights::zerosLike). The
 * attention's pair terms are recomputed tile by tile. */
void nonlocalBackward(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                      const NonlocalCache& cache, const Mat& dOut, Mat& dF, NonlocalWeights& grads);

/** The attention of one cell (the kernel picture, samples/escrf_explain.cpp): softmax_j(theta_i .
 * phi_j) over all cells j of the attention grid, for the coarse cell i that holds `cell` (a cell of
 * the fine map, grid), computed as nonlocalForward computes it.
 * @param attention output, the coarse grid's h x w CV_64F map of the weights (they sum to 1)
 * @param coarseCell output, the coarse cell i */
void nonlocalAttention(const NonlocalParams& params, const NonlocalWeights& weights, Size grid, const Mat& F,
                       Point cell, Mat& attention, Point& coarseCell);

}}} // namespace cv::escrf::detail

#endif
