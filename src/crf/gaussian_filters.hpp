// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Gaussian filters over the cells of a map, as linear operators with their adjoints, for the
// mean-field layers that backpropagate through them (the joint-crf stage, src/crf/crf_rnn.cpp).
#ifndef OPENCV_ESCRF_CRF_GAUSSIAN_FILTERS_HPP
#define OPENCV_ESCRF_CRF_GAUSSIAN_FILTERS_HPP

#include "opencv2/core.hpp"
#include "crf/permutohedral_lattice.hpp"
#include <memory>

namespace cv {
namespace escrf {
namespace detail {

/** out = G in for N cells and C channels (N x C, cell-major: one row per cell), where
 * G_ij ~ exp(-|f_i - f_j|^2 / 2) for the cells' features f. Built once per image, applied many
 * times. */
class GaussianFilter
{
public:
    virtual ~GaussianFilter() {}
    //! Depth of the values apply() and applyAdjoint() take and give (CV_32F or CV_64F).
    virtual int depth() const = 0;
    virtual int numCells() const = 0;
    //! out (N x C) = G in (N x C, continuous, of depth()).
    virtual void apply(const Mat& in, Mat& out) const = 0;
    //! out = G^T in: what backpropagates a gradient through apply().
    virtual void applyAdjoint(const Mat& in, Mat& out) const = 0;
    //! N x 1 of depth(): G_ii, the weight of a cell on itself (to leave it out of its own message).
    virtual const Mat& selfWeights() const = 0;
    //! Whether applyAdjoint() is the exact transpose of apply().
    virtual bool exactAdjoint() const = 0;
};

/** The exact Gaussian of the positions on a regular grid, exp(-dx^2 / (2 sx^2) - dy^2 / (2 sy^2))
 * with sx, sy in cells, truncated to the square |dx| <= ceil(4 sx), |dy| <= ceil(4 sy) (weights
 * below exp(-8) dropped) and zero outside the map: a separable convolution
 * (cv::sepFilter2D, BORDER_CONSTANT). The operator is symmetric, so its adjoint is itself; self
 * weight 1. CV_32F or CV_64F. */
std::unique_ptr<GaussianFilter> makeGridGaussianFilter(Size grid, double sigmaX, double sigmaY, int depth);

/** The exact Gaussian of arbitrary features (N x d, CV_32F or CV_64F: the depth of the filter),
 * by brute force: O(N^2 (d + C)) per application, no N x N buffer. For tests and small maps. */
std::unique_ptr<GaussianFilter> makeExactGaussianFilter(const Mat& features);

/** The permutohedral lattice's approximation (PermutohedralLattice) of the Gaussian of N x d
 * CV_32F features; CV_32F values. Its self weights are the lattice's selfWeights(). The lattice
 * operator is not symmetric (its d+1 blurs on the sparse lattice do not commute), so the adjoint
 * is the lattice's own adjoint filter (the blurs in reverse direction order), the exact transpose
 * of apply(): exactAdjoint() is true. */
std::unique_ptr<GaussianFilter> makeLatticeGaussianFilter(const Mat& features);

}}} // namespace cv::escrf::detail

#endif
