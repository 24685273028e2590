// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What the ES-CRF block's pairwise message does at one cell, neighbour by neighbour: the numbers
// of the kernel picture (samples/escrf_explain.cpp, the paper's Fig. 4), computed by the block's
// own message code (block_driver.cpp, block_kernels.hpp).
#ifndef OPENCV_ESCRF_BLOCK_EXPLAIN_HPP
#define OPENCV_ESCRF_BLOCK_EXPLAIN_HPP

#include "opencv2/escrf/block.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

/** The pairwise message of one cell i, Fp_i = sum_j weight_j F_j, term by term over G(i) (its window
 * cells inside the map, or every cell with EscrfBlockParams::dense), in the order the block visits
 * them. */
struct CellMessageTerms
{
    std::vector<Point> neighbours;   //!< the cells j (x, y) of G(i)
    /** The two halves of score(i, j) = appearance + position: with e = [a ; p], a = W_img Ig (the
     * guide colour) and p = W_pos PE (the position encoding), a_i . a_j and p_i . p_j, or with the
     * Gaussian kernel -|a_i - a_j|^2 / 2 and -|p_i - p_j|^2 / 2. */
    std::vector<double> appearance, position;
    std::vector<double> kernel;      //!< K(i, j) as the message uses it: score, exp(score) or the softmax
    std::vector<double> compat;      //!< mu(i, j)
    std::vector<double> weight;      //!< psi(i, j) = mu(i, j) K(i, j)
    double invTau = 1;               //!< the softmax's 1 / sqrt(2E) (used with normalize)
};

/** The terms of cell `cell` of the pairwise message of escrfBlockForward(params, weights, guide, F):
 * the same embeddings, compatibility and kernel normalisation (whatever the fusion weights: the
 * message itself is explained). cv::Exception for a cell outside the feature map and for the
 * arguments escrfBlockForward refuses. */
void explainBlockCell(const EscrfBlockParams& params, const EscrfBlockWeights& weights, const EscrfGuide& guide,
                      const Mat& F, Point cell, CellMessageTerms& terms);

}}} // namespace cv::escrf::detail

#endif
