// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// High-dimensional Gaussian filtering with the permutohedral lattice (Adams, Baek and Davis 2010):
// out_i ~= sum_j exp(-|f_i - f_j|^2 / 2) v_j for N points f in R^d, in O(N d^2 + N d C).
#ifndef OPENCV_ESCRF_CRF_PERMUTOHEDRAL_LATTICE_HPP
#define OPENCV_ESCRF_CRF_PERMUTOHEDRAL_LATTICE_HPP

#include "opencv2/core.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

/** The lattice built for one set of points; filter() may then be called many times (once per
 * mean-field iteration). Each point is splatted onto the d+1 vertices of the lattice simplex that
 * holds it with barycentric weights, the vertex values are blurred with [1/2 1 1/2] along each of
 * the d+1 lattice directions, and sliced back with the same weights. */
class PermutohedralLattice
{
public:
    /** @param features N x d CV_32F, one point per row, already divided by the kernel's standard
     * deviations (d in 1..16; |values| small enough for integer lattice keys). */
    explicit PermutohedralLattice(const Mat& features);

    /** out (N x C CV_32F) ~= sum_j exp(-|f_i - f_j|^2 / 2) in_j for in (N x C CV_32F).
     * The scale is such that a point lying on a lattice vertex has self weight 1 (as exp(0));
     * elsewhere selfWeights() gives the lattice's own weight of a point on itself. */
    void filter(const Mat& in, Mat& out) const;

    /** Per point, the weight the lattice gives a point on itself (the diagonal of the operator
     * filter() applies) when every lattice vertex that the blur passes through exists: used to
     * leave a pixel out of its own message. Between 1/(d+1)-ish and 1. */
    const std::vector<float>& selfWeights() const { return selfWeight_; }

    int numPoints() const { return n_; }
    int dims() const { return d_; }
    int numVertices() const { return m_; }

private:
    int n_, d_, m_;
    std::vector<int> splatStart_;     // CSR over vertices (m+1): points splatting onto a vertex
    std::vector<int> splatPoint_;     //   ... their indices
    std::vector<float> splatWeight_;  //   ... and barycentric weights
    std::vector<int> pointVertex_;    // N x (d+1) vertex of each simplex corner
    std::vector<float> pointWeight_;  // N x (d+1) barycentric weight of each corner
    std::vector<int> blurNeighbour_;  // (d+1) x m x 2: the two neighbours along each direction (-1 = none)
    std::vector<float> selfWeight_;   // N
};

}}} // namespace cv::escrf::detail

#endif
