// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "crf/permutohedral_lattice.hpp"

#include <cstdint>

namespace cv {
namespace escrf {
namespace detail {

namespace {

const int kMaxDims = 16;
// Lattice keys are ints; keep every elevated coordinate far below INT_MAX. The elevation is in
// double (exact to ~1e-8 here), so that the rounding to the lattice and the barycentric weights
// stay exact far from the origin (float would lose them beyond 2^24 / (d+1)).
const double kMaxElevated = 1e8;

/** Open-addressing hash table from a lattice key (the first d of its d+1 coordinates; the last
 * is minus their sum) to a dense vertex index, kept at most half full. */
class VertexTable
{
public:
    VertexTable(int d, size_t expectedVertices) : d_(d)
    {
        size_t cap = 16;
        while (cap < 2 * expectedVertices)
            cap <<= 1;
        mask_ = cap - 1;
        slots_.assign(cap, -1);
        keys_.reserve(expectedVertices * d);
    }

    int size() const { return (int)(keys_.size() / d_); }
    const int* key(int v) const { return &keys_[(size_t)v * d_]; }

    //! Index of key, inserted when absent. Not thread-safe.
    int insert(const int* key)
    {
        size_t h = hash(key) & mask_;
        for (int v; (v = slots_[h]) >= 0; h = (h + 1) & mask_)
            if (std::equal(key, key + d_, &keys_[(size_t)v * d_]))
                return v;
        const int v = size();
        slots_[h] = v;
        keys_.insert(keys_.end(), key, key + d_);
        if (2 * keys_.size() / d_ > slots_.size())
            grow();
        return v;
    }

    //! Index of key or -1; concurrent lookups are fine.
    int lookup(const int* key) const
    {
        for (size_t h = hash(key) & mask_;; h = (h + 1) & mask_)
        {
            const int v = slots_[h];
            if (v < 0 || std::equal(key, key + d_, &keys_[(size_t)v * d_]))
                return v;
        }
    }

private:
    size_t hash(const int* key) const
    {
        uint64_t h = 0;
        for (int i = 0; i < d_; i++)
            h = (h + (uint32_t)key[i]) * 0x9E3779B97F4A7C15ull;
        return (size_t)(h ^ (h >> 29));
    }

    void grow()
    {
        mask_ = 2 * slots_.size() - 1;
        slots_.assign(mask_ + 1, -1);
        for (int v = 0; v < size(); v++)
        {
            size_t h = hash(key(v)) & mask_;
            while (slots_[h] >= 0)
                h = (h + 1) & mask_;
            slots_[h] = v;
        }
    }

    int d_;
    size_t mask_;
    std::vector<int> slots_;
    std::vector<int> keys_;
};

/** The simplex of the lattice A*_d that holds one point: its d+1 corner keys (full d+1
 * coordinates, in canonical order k = 0..d) and barycentric weights (Adams et al. 2010, sec. 3). */
struct SimplexFinder
{
    explicit SimplexFinder(int dims)
        : d(dims), scale(dims), elevated(dims + 1), rem0(dims + 1), rank(dims + 1), bary(dims + 2)
    {
        // Elevating onto the hyperplane sum(x) = 0 with these scales makes splat + blur + slice
        // a Gaussian of standard deviation 1 in the input features (the blur along each of the
        // d+1 directions and the two linear interpolations add up to that variance).
        const double invStd = std::sqrt(2.0 / 3.0) * (d + 1);
        for (int i = 0; i < d; i++)
            scale[i] = invStd / std::sqrt((i + 1.0) * (i + 2.0));
    }

    //! Fills corner(k, i) = key coordinate i of corner k and bary[k]; returns false when the
    //! point is too far out for integer keys.
    bool locate(const float* f, std::vector<int>& corner)
    {
        const int d1 = d + 1;
        // Elevate: x = E f, with E the (d+1) x d basis of the hyperplane from the paper.
        double tail = 0.0;
        for (int j = d; j > 0; j--)
        {
            const double c = (double)f[j - 1] * scale[j - 1];
            elevated[j] = tail - j * c;
            tail += c;
        }
        elevated[0] = tail;
        for (int i = 0; i <= d; i++)
            if (!(std::abs(elevated[i]) < kMaxElevated))
                return false;

        // Nearest remainder-0 point (coordinates multiples of d+1), then fix its coordinate sum.
        int sum = 0;
        for (int i = 0; i <= d; i++)
        {
            const double down = std::floor(elevated[i] / d1) * d1;
            const double up = down + d1;
            rem0[i] = (int)(up - elevated[i] < elevated[i] - down ? up : down);
            sum += rem0[i] / d1;
        }
        // rank[i]: how many coordinates have a larger offset elevated - rem0 (ties by index).
        std::fill(rank.begin(), rank.end(), 0);
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j <= d; j++)
            {
                if (elevated[i] - rem0[i] < elevated[j] - rem0[j])
                    rank[i]++;
                else
                    rank[j]++;
            }
        if (sum > 0)
        {
            // Coordinates rounded up the most move down a step; they become the largest offsets.
            for (int i = 0; i <= d; i++)
            {
                if (rank[i] >= d1 - sum)
                    rem0[i] -= d1, rank[i] += sum - d1;
                else
                    rank[i] += sum;
            }
        }
        else if (sum < 0)
        {
            for (int i = 0; i <= d; i++)
            {
                if (rank[i] < -sum)
                    rem0[i] += d1, rank[i] += d1 + sum;
                else
                    rank[i] += sum;
            }
        }

        // Barycentric weights from the sorted offsets.
        std::fill(bary.begin(), bary.end(), 0.f);
        for (int i = 0; i <= d; i++)
        {
            const float t = (float)((elevated[i] - rem0[i]) / d1);
            bary[d - rank[i]] += t;
            bary[d1 - rank[i]] -= t;
        }
        bary[0] += 1.f + bary[d1];

        // Corner k = rem0 + canonical vertex k: +k on the d+1-k smallest offsets, k-(d+1) on the rest.
        corner.resize((size_t)d1 * d1);
        for (int k = 0; k <= d; k++)
            for (int i = 0; i <= d; i++)
                corner[(size_t)k * d1 + i] = rem0[i] + (rank[i] <= d - k ? k : k - d1);
        return true;
    }

    int d;
    std::vector<double> scale, elevated;
    std::vector<int> rem0, rank;
    std::vector<float> bary;
};

} // namespace

PermutohedralLattice::PermutohedralLattice(const Mat& features)
{
    CV_Assert(features.type() == CV_32FC1 && features.dims == 2 && features.isContinuous());
    n_ = features.rows;
    d_ = features.cols;
    CV_Assert(n_ > 0);
    if (d_ < 1 || d_ > kMaxDims)
        CV_Error_(Error::StsOutOfRange, ("PermutohedralLattice: features must have 1..%d columns, got %d", kMaxDims, d_));
    const int d1 = d_ + 1;

    // Simplex of every point and its corners' vertex ids (sequential: the table is shared).
    // Neighbouring points mostly share vertices: start the table at N vertices, it grows.
    VertexTable table(d_, (size_t)n_);
    pointVertex_.resize((size_t)n_ * d1);
    pointWeight_.resize((size_t)n_ * d1);
    SimplexFinder finder(d_);
    std::vector<int> corner;
    for (int p = 0; p < n_; p++)
    {
        if (!finder.locate(features.ptr<float>(p), corner))
            CV_Error_(Error::StsOutOfRange, ("PermutohedralLattice: feature row %d is not finite or too large (its "
                                             "lattice coordinates must stay below %g: a kernel width too small for "
                                             "the image?)", p, kMaxElevated));
        for (int k = 0; k <= d_; k++)
        {
            pointVertex_[(size_t)p * d1 + k] = table.insert(&corner[(size_t)k * d1]);
            pointWeight_[(size_t)p * d1 + k] = finder.bary[k];
        }
    }
    m_ = table.size();

    // Splatting as a gather: the points (and weights) of each vertex, so vertices fill in parallel.
    splatStart_.assign(m_ + 1, 0);
    for (int v : pointVertex_)
        splatStart_[v + 1]++;
    for (int v = 0; v < m_; v++)
        splatStart_[v + 1] += splatStart_[v];
    splatPoint_.resize(pointVertex_.size());
    splatWeight_.resize(pointVertex_.size());
    {
        std::vector<int> fill(splatStart_.begin(), splatStart_.end() - 1);
        for (size_t e = 0; e < pointVertex_.size(); e++)
        {
            const int slot = fill[pointVertex_[e]]++;
            splatPoint_[slot] = (int)(e / d1);
            splatWeight_[slot] = pointWeight_[e];
        }
    }

    // Neighbours along direction j: key -+ 1 on every coordinate except j, which moves by +-d.
    // Only the first is looked up: v is the second neighbour of its first neighbour (distinct
    // vertices have distinct first neighbours, so the parallel writes never collide).
    blurNeighbour_.assign((size_t)d1 * m_ * 2, -1);
    parallel_for_(Range(0, m_), [&](const Range& r) {
        std::vector<int> nb(d_);
        for (int v = r.start; v < r.end; v++)
        {
            const int* key = table.key(v);
            for (int j = 0; j <= d_; j++)
            {
                for (int i = 0; i < d_; i++)
                    nb[i] = key[i] + (i == j ? d_ : -1);
                const int n1 = table.lookup(nb.data());
                blurNeighbour_[((size_t)j * m_ + v) * 2] = n1;
                if (n1 >= 0)
                    blurNeighbour_[((size_t)j * m_ + n1) * 2 + 1] = v;
            }
        }
    });

    // Self weight of each point: corners k and k' of a simplex are |k - k'| = s lattice steps
    // apart along s distinct directions, and the d+1 blurs carry a value between them along
    // two paths, with weights 2^-s and 2^-(d+1-s) (both 1 + 2^-d for s = 0); the slicing scale
    // alpha makes that 1 for s = 0.
    const double alpha = 1.0 / (1.0 + std::pow(2.0, -d_));
    std::vector<double> pathWeight(d1);
    for (int s = 0; s <= d_; s++)
        pathWeight[s] = alpha * (s == 0 ? 1.0 + std::pow(2.0, -d_) : std::pow(2.0, -s) + std::pow(2.0, -(d1 - s)));
    selfWeight_.resize(n_);
    parallel_for_(Range(0, n_), [&](const Range& r) {
        for (int p = r.start; p < r.end; p++)
        {
            const float* b = &pointWeight_[(size_t)p * d1];
            double w = 0;
            for (int a = 0; a <= d_; a++)
                for (int c = 0; c <= d_; c++)
                    w += b[a] * b[c] * pathWeight[std::abs(a - c)];
            selfWeight_[p] = (float)w;
        }
    });
}

void PermutohedralLattice::filter(const Mat& in, Mat& out) const
{
    CV_Assert(in.type() == CV_32FC1 && in.rows == n_ && in.cols > 0 && in.isContinuous());
    const int C = in.cols, d1 = d_ + 1;
    std::vector<float> values((size_t)m_ * C), blurred((size_t)m_ * C);

    parallel_for_(Range(0, m_), [&](const Range& r) {
        for (int v = r.start; v < r.end; v++)
        {
            float* dst = &values[(size_t)v * C];
            std::fill(dst, dst + C, 0.f);
            for (int e = splatStart_[v]; e < splatStart_[v + 1]; e++)
            {
                const float w = splatWeight_[e];
                const float* src = in.ptr<float>(splatPoint_[e]);
                for (int c = 0; c < C; c++)
                    dst[c] += w * src[c];
            }
        }
    });

    for (int j = 0; j <= d_; j++)
    {
        const int* nb = &blurNeighbour_[(size_t)j * m_ * 2];
        parallel_for_(Range(0, m_), [&](const Range& r) {
            for (int v = r.start; v < r.end; v++)
            {
                const float* self = &values[(size_t)v * C];
                float* dst = &blurred[(size_t)v * C];
                const int n1 = nb[2 * v], n2 = nb[2 * v + 1];
                std::copy(self, self + C, dst);
                if (n1 >= 0)
                    for (int c = 0; c < C; c++)
                        dst[c] += 0.5f * values[(size_t)n1 * C + c];
                if (n2 >= 0)
                    for (int c = 0; c < C; c++)
                        dst[c] += 0.5f * values[(size_t)n2 * C + c];
            }
        });
        values.swap(blurred);
    }

    const float alpha = (float)(1.0 / (1.0 + std::pow(2.0, -d_)));
    out.create(n_, C, CV_32F);
    parallel_for_(Range(0, n_), [&](const Range& r) {
        for (int p = r.start; p < r.end; p++)
        {
            float* dst = out.ptr<float>(p);
            std::fill(dst, dst + C, 0.f);
            for (int k = 0; k <= d_; k++)
            {
                const float w = alpha * pointWeight_[(size_t)p * d1 + k];
                const float* src = &values[(size_t)pointVertex_[(size_t)p * d1 + k] * C];
                for (int c = 0; c < C; c++)
                    dst[c] += w * src[c];
            }
        }
    });
}

}}} // namespace cv::escrf::detail
