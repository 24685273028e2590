// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// High-dimensional Gaussian filtering with the permutohedral lattice (Adams, Baek and Davis 2010):
// out_i ~= sum_j exp(-|f_i - f_j|^2 / 2) v_j for N points f in R^d, in O(N d^2 + N d C).
#ifndef OPENCV_ESCRF_CRF_PERMUTOHEDRAL_LATTICE_HPP
#define OPENCV_ESCRF_CRF_PERMUTOHEDRAL_LATTICE_HPP

#include "opencv2/core.hpp"
#include "crf/large_vector.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

/** The lattice built for one set of points; filter() may then be called many times (once per
 * mean-field iteration). Each point is splatted onto the d+1 vertices of the lattice simplex that
 * holds it with barycentric weights, the vertex values are blurred with [1/2 1 1/2] along each of
 * the d+1 lattice directions, and sliced back with the same weights.
 *
 * Values are rows of C floats: a point's (or a vertex's) C values are contiguous, so splat, blur
 * and slice stream whole rows (vectorised over the channels). The lattice is immutable after
 * construction; filtering is thread-safe and runs in parallel with cv::parallel_for_. */
class PermutohedralLattice
{
public:
    /** @param features N x d CV_32F, one point per row, already divided by the kernel's standard
     * deviations (d in 1..16; |values| small enough for integer lattice keys). */
    explicit PermutohedralLattice(const Mat& features);

    /** out (N x C CV_32F) ~= sum_j exp(-|f_i - f_j|^2 / 2) in_j for in (N x C CV_32F).
     * The scale is such that a point lying on a lattice vertex has self weight 1 (as exp(0));
     * elsewhere selfWeights() gives the lattice's own weight of a point on itself.
     * Allocates out and a vertex buffer; see the pointer overload for caller-owned buffers. */
    void filter(const Mat& in, Mat& out) const;

    /** filter() into caller-owned memory, allocating nothing: in and out are N x channels
     * (row-major, rows contiguous; out may be in), vertexBuffer holds at least
     * vertexBufferSize(channels) floats (scratch, overwritten).
     *
     * The operator is slice * blur_d * ... * blur_0 * splat with slice = alpha * splat^T and each
     * blur_j symmetric, so it is symmetric up to the order of the blurs (which commute exactly
     * only where no lattice vertex is missing). adjoint = true blurs in the reverse direction
     * order, which is the exact transpose: use it to back-propagate through filter(). */
    void filter(const float* in, float* out, int channels, float* vertexBuffer, bool adjoint = false) const;

    //! Floats of the vertex buffer that filter() and splat()/blur() need for `channels` values.
    size_t vertexBufferSize(int channels) const { return (size_t)m_ * channels; }

    /** The three stages of filter(), for callers that fuse their own work into the slice
     * (DenseCRF does): vertexValues (numVertices() x channels) = splat(in) ... */
    void splat(const float* in, int channels, float* vertexValues) const;
    //! ... blurred in place along the d+1 lattice directions (reverse order when adjoint) ...
    void blur(float* vertexValues, int channels, bool adjoint = false) const;
    //! ... and out (N x channels) = sliceScale() * sum_k simplexWeights(p)[k] vertexValues[simplexVertices(p)[k]].
    void slice(const float* vertexValues, int channels, float* out) const;

    //! The d+1 vertices of the simplex that holds point p (indices into the vertex rows).
    const int* simplexVertices(int p) const { return &pointVertex_[(size_t)p * (d_ + 1)]; }
    //! The d+1 barycentric weights of point p in its simplex (they sum to 1).
    const float* simplexWeights(int p) const { return &pointWeight_[(size_t)p * (d_ + 1)]; }
    //! The constant 1 / (1 + 2^-d) that slice() applies, so that a vertex's own weight is 1.
    float sliceScale() const { return alpha_; }

    /** Per point, the weight the lattice gives a point on itself (the diagonal of the operator
     * filter() applies) when every lattice vertex that the blur passes through exists: used to
     * leave a pixel out of its own message. Between 1/(d+1)-ish and 1. */
    const std::vector<float>& selfWeights() const { return selfWeight_; }

    int numPoints() const { return n_; }
    int dims() const { return d_; }
    int numVertices() const { return m_; }

private:
    void buildSplatLists();
    void computeSelfWeights();

    int n_, d_, m_;
    float alpha_;
    LargeVector<int> pointVertex_;    // N x (d+1) vertex of each simplex corner
    LargeVector<float> pointWeight_;  // N x (d+1) barycentric weight of each corner
    LargeVector<int> splatStart_;     // CSR over vertices (m+1): points splatting onto a vertex
    LargeVector<int> splatPoint_;     //   ... their indices
    LargeVector<float> splatWeight_;  //   ... and barycentric weights
    // Blur: along direction j the vertices form disjoint lines (chains); each is blurred in place
    // in one sweep. Chains of one vertex are left out (the blur leaves them unchanged).
    LargeVector<int> chainVertex_;    // the vertices of every chain, chain after chain, in line order
    LargeVector<int> chainStart_;     // start of each chain in chainVertex_ (+ end)
    std::vector<int> directionChains_;// d+2: chains of direction j are [directionChains_[j], [j+1])
    std::vector<float> selfWeight_;   // N
};

}}} // namespace cv::escrf::detail

#endif
