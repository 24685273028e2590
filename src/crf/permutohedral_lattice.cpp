// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Building the lattice: the simplex of every point (in parallel), then the vertex set. Corner k
// of any simplex is a "remainder-k" lattice point (all its coordinates are k modulo d+1), so the
// corners of index k are deduplicated on their own: d+1 independent sorts of N keys, each key the
// packed quotients (x - k) / (d+1), about log2(d+1) bits a coordinate shorter than x. A blur step
// from a remainder-k vertex lands on a remainder-(k-1) vertex at a constant offset of the packed
// key, so the neighbours are found by merging sorted key lists. Both passes stream memory instead
// of probing a hash table at random (what the lattice build spent most of its time on); keys too
// wide for 64 bits use an open-addressing hash table. Both give the same vertices, numbered in
// the same order (by first use, point after point), and so the same filter.
#include "precomp.hpp"
#include "crf/permutohedral_lattice.hpp"
#include "crf/lattice_rows.hpp"

#include <atomic>
#include <cfloat>
#include <climits>
#include <cstdint>
#include <type_traits>

namespace cv {
namespace escrf {
namespace detail {

namespace {

const int kMaxDims = 16;
// Lattice keys are ints; keep every elevated coordinate far below INT_MAX. The elevation is in
// double (exact to ~1e-8 here), so that the rounding to the lattice and the barycentric weights
// stay exact far from the origin (float would lose them beyond 2^24 / (d+1)).
const double kMaxElevated = 1e8;

/** The simplex of the lattice A*_d that holds one point (Adams et al. 2010, sec. 3): its
 * remainder-0 corner rem0 (d+1 coordinates), the rank of each coordinate's offset from it and
 * the barycentric weights. Corner k has coordinates rem0[i] + (rank[i] <= d-k ? k : k-(d+1)). */
struct SimplexFinder
{
    explicit SimplexFinder(int dims) : numDims(dims)
    {
        // Elevating onto the hyperplane sum(x) = 0 with these scales makes splat + blur + slice
        // a Gaussian of standard deviation 1 in the input features (the blur along each of the
        // d+1 directions and the two linear interpolations add up to that variance).
        const double invStd = std::sqrt(2.0 / 3.0) * (numDims + 1);
        for (int i = 0; i < numDims; i++)
            scale[i] = invStd / std::sqrt((i + 1.0) * (i + 2.0));
    }

    /** Finds the simplex of f: rem0, rank and weights (d+1 each); false when the point is too far
     * out for integer keys. D > 0 is d known at compile time (the loops unroll), 0 any d. */
    template<int D>
    bool locate(const float* f, float* weights)
    {
        const int d = D > 0 ? D : numDims, d1 = d + 1;
        const double invD1 = 1.0 / d1;
        // Elevate: x = E f, with E the (d+1) x d basis of the hyperplane from the paper.
        double elevated[kMaxDims + 1], offset[kMaxDims + 1];
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
            // The exact floor(elevated / (d+1)) without a division (q * (d+1) is exact), then the
            // nearest multiple, branch-free (the rounding direction is random).
            double q = std::floor(elevated[i] * invD1);
            q += (q + 1) * d1 <= elevated[i];
            q -= q * d1 > elevated[i];
            const double down = q * d1;
            const int up = down + d1 - elevated[i] < elevated[i] - down;
            quot[i] = (int)q + up;
            rem0[i] = quot[i] * d1;
            sum += quot[i];
            offset[i] = elevated[i] - rem0[i];
        }
        // rank[i]: how many coordinates have a larger offset elevated - rem0 (ties by index).
        std::fill(rank, rank + d1, 0);
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j <= d; j++)
                rank[offset[i] < offset[j] ? i : j]++;
        // Coordinates rounded up the most move down a step (sum > 0; they become the largest
        // offsets), or those rounded down the most move up (sum < 0).
        for (int i = 0; i <= d && sum != 0; i++)
        {
            if (sum > 0 && rank[i] >= d1 - sum)
                rem0[i] -= d1, quot[i]--, rank[i] += sum - d1;
            else if (sum < 0 && rank[i] < -sum)
                rem0[i] += d1, quot[i]++, rank[i] += d1 + sum;
            else
                rank[i] += sum;
        }

        // Barycentric weights from the sorted offsets.
        float bary[kMaxDims + 2] = {};
        for (int i = 0; i <= d; i++)
        {
            const float t = (float)((elevated[i] - rem0[i]) * invD1);
            bary[d - rank[i]] += t;
            bary[d1 - rank[i]] -= t;
        }
        bary[0] += 1.f + bary[d1];
        std::copy(bary, bary + d1, weights);
        return true;
    }

    //! First d coordinates of corner k of the last simplex found (the last is minus their sum).
    void cornerKey(int k, int* key) const
    {
        const int d = numDims;
        for (int i = 0; i < d; i++)
            key[i] = rem0[i] + (rank[i] <= d - k ? k : k - d - 1);
    }

    int numDims;   // d
    double scale[kMaxDims];
    int rem0[kMaxDims + 1] = {}, quot[kMaxDims + 1] = {}, rank[kMaxDims + 1] = {};  // quot = rem0 / (d+1)
};

void throwBadRow(int row)
{
    CV_Error_(Error::StsOutOfRange, ("PermutohedralLattice: feature row %d is not finite or too large (its "
                                     "lattice coordinates must stay below %g: a kernel width too small for "
                                     "the image?)", row, kMaxElevated));
}

/** Packed keys of remainder-k vertices: a vertex x of remainder k has x_i = k + (d+1) q_i, and the
 * key holds q_i - qlo[i] in its own bit field for each of the first d coordinates (the last is
 * minus their sum), coordinate 0 in the top bits. The field ranges come from the range of the
 * features: an elevated coordinate is a linear function of them (see SimplexFinder::locate),
 * bounded by interval arithmetic; a corner is within 1.5 (d+1) of it. The fields leave one more
 * step on each side, so that a blur step is a constant added to the key with no carry between
 * fields, and adding a constant keeps sorted keys sorted. */
struct KeyPacking
{
    KeyPacking(const Mat& features, const double* scale) : d(features.cols), qlo(d), shift(d), bits(0)
    {
        std::vector<double> cmin(d, DBL_MAX), cmax(d, -DBL_MAX);
        for (int p = 0; p < features.rows; p++)
        {
            const float* f = features.ptr<float>(p);
            for (int t = 0; t < d; t++)
                cmin[t] = std::min(cmin[t], (double)f[t]), cmax[t] = std::max(cmax[t], (double)f[t]);
        }
        for (int t = 0; t < d; t++)
            cmin[t] *= scale[t], cmax[t] *= scale[t];
        for (int i = d - 1; i >= 0 && bits <= 64; i--)
        {
            // elevated[0] = sum_t c_t; elevated[i] = sum_{t >= i} c_t - i c_{i-1} (c_t = f_t scale_t).
            double lower = i > 0 ? -i * cmax[i - 1] : 0.0, upper = i > 0 ? -i * cmin[i - 1] : 0.0;
            for (int t = i; t < d; t++)
                lower += cmin[t], upper += cmax[t];
            if (!(std::abs(lower) < kMaxElevated && std::abs(upper) < kMaxElevated))
            {
                bits = 65;  // not finite or too far out: the hash path finds and reports the row
                break;
            }
            qlo[i] = (int)std::floor(lower / (d + 1)) - 3;
            const int64_t range = (int64_t)std::ceil(upper / (d + 1)) + 3 - qlo[i] + 1;
            int b = 1;
            while ((range >> b) != 0)
                b++;
            shift[i] = bits;
            bits += b;
        }
    }

    bool fits() const { return bits <= 64; }

    //! The key of q + 1 on coordinate i, minus that of q; i = d (the implicit coordinate) gives 0.
    uint64_t unit(int i) const { return i < d ? (uint64_t)1 << shift[i] : 0; }

    //! The key of q + 1 on every coordinate, minus that of q.
    uint64_t ones() const
    {
        uint64_t s = 0;
        for (int i = 0; i < d; i++)
            s += unit(i);
        return s;
    }

    /** The blur step along direction j (+d on coordinate j, -1 on the others) takes a remainder-k
     * vertex to a remainder-(k-1 mod d+1) one; returns the difference of their keys (mod 2^64):
     * q_j + 1 for k > 0; q_i - 1 on every coordinate but j for k = 0. */
    uint64_t step(int j, int k) const { return k > 0 ? unit(j) : unit(j) - ones(); }

    /** Keys of the d+1 corners of the simplex `finder` found last (corner k has remainder k).
     * Corner k has q_i = quot_i, less 1 where rank_i > d - k: going from corner k to k+1 takes 1
     * from the coordinate of rank d - k. */
    void corners(const SimplexFinder& finder, uint64_t* out) const
    {
        int coordOfRank[kMaxDims + 1];
        for (int i = 0; i <= d; i++)
            coordOfRank[finder.rank[i]] = i;
        uint64_t key = 0;
        for (int i = 0; i < d; i++)
            key += (uint64_t)(finder.quot[i] - qlo[i]) << shift[i];
        for (int k = 0; k <= d; k++)
        {
            out[k] = key;
            key -= unit(coordOfRank[d - k]);
        }
    }

    int d;
    std::vector<int> qlo, shift;
    int bits;
};

int bitsFor(uint64_t maxValue)
{
    int b = 1;
    while (b < 64 && (maxValue >> b) != 0)
        b++;
    return b;
}

/** Stable LSD radix sort of key[0, n) with its payload by the low `bits` bits of key, in as few
 * passes of at most 12 bits as possible (34-bit keys: 3 passes), through the scratch arrays key2,
 * payload2 of n elements. Sequential: the callers sort independent lists in parallel. */
void radixSortStable(uint64_t* key, int* payload, size_t n, int bits, uint64_t* key2, int* payload2)
{
    const int passes = (bits + 11) / 12, kDigit = (bits + passes - 1) / passes, kBuckets = 1 << kDigit;
    std::vector<size_t> start(kBuckets);
    bool swapped = false;
    for (int shift = 0; shift < bits; shift += kDigit, swapped = !swapped)
    {
        std::fill(start.begin(), start.end(), (size_t)0);
        for (size_t i = 0; i < n; i++)
            start[(key[i] >> shift) & (kBuckets - 1)]++;
        size_t sum = 0;
        for (size_t& s : start)
        {
            const size_t count = s;
            s = sum;
            sum += count;
        }
        for (size_t i = 0; i < n; i++)
        {
            const size_t to = start[(key[i] >> shift) & (kBuckets - 1)]++;
            key2[to] = key[i];
            payload2[to] = payload[i];
        }
        std::swap(key, key2);
        std::swap(payload, payload2);
    }
    if (swapped)  // an odd number of passes left the result in the scratch
    {
        std::copy(key, key + n, key2);
        std::copy(payload, payload + n, payload2);
    }
}

/** The vertices of one remainder class, from its corners sorted by key: the distinct keys in
 * ascending order, and for each the range of the sorted corners (points) that use it. */
struct VertexClass
{
    LargeVector<uint64_t> key;  // N keys, sorted; then the point of each key in point
    LargeVector<int> point;     //   (ascending within equal keys: the sort is stable)
    std::vector<int> runStart;  // distinct vertices: [runStart[r], runStart[r+1]) of the sorted corners
    std::vector<int> id;        // their lattice vertex ids

    int size() const { return (int)runStart.size() - 1; }
    uint64_t vertexKey(int r) const { return key[runStart[r]]; }
};

/** Vertex ids in order of first use (corner order p (d+1) + k, as the hash path inserts them):
 * the vertices of all classes sorted by their first corner. Fills the classes' ids and pointVertex. */
void numberByFirstUse(std::vector<VertexClass>& classes, int n, LargeVector<int>& pointVertex)
{
    const int d1 = (int)classes.size();
    LargeVector<uint64_t> first, first2;
    LargeVector<int> vertex, vertex2;  // class k, run r as r (d+1) + k
    for (int k = 0; k < d1; k++)
        for (int r = 0; r < classes[k].size(); r++)
        {
            first.push_back((uint64_t)classes[k].point[classes[k].runStart[r]] * d1 + k);
            vertex.push_back(r * d1 + k);
        }
    first2.resize(first.size());
    vertex2.resize(first.size());
    radixSortStable(first.data(), vertex.data(), first.size(), bitsFor((uint64_t)n * d1), first2.data(), vertex2.data());
    for (int k = 0; k < d1; k++)
        classes[k].id.resize(classes[k].size());
    for (size_t v = 0; v < vertex.size(); v++)
        classes[vertex[v] % d1].id[vertex[v] / d1] = (int)v;

    parallel_for_(Range(0, d1), [&](const Range& r) {
        for (int k = r.start; k < r.end; k++)
        {
            const VertexClass& c = classes[k];
            for (int v = 0; v < c.size(); v++)
                for (int i = c.runStart[v]; i < c.runStart[v + 1]; i++)
                    pointVertex[(size_t)c.point[i] * d1 + k] = c.id[v];
        }
    });
}

/** The packed path: locates every point (weights into pointWeight), sorts the corners of each
 * remainder class, and numbers the vertices (numberByFirstUse). Fills pointVertex; returns the
 * first row that cannot be located, or -1. */
int sortedVertices(const Mat& features, const KeyPacking& packing, float* pointWeight, LargeVector<int>& pointVertex,
                   std::vector<VertexClass>& classes)
{
    const int n = features.rows, d = features.cols, d1 = d + 1;
    classes.resize(d1);
    for (VertexClass& c : classes)
        c.key.resize(n), c.point.resize(n);
    std::atomic<int> badRow(INT_MAX);
    std::vector<uint64_t*> key(d1);
    std::vector<int*> point(d1);
    for (int k = 0; k <= d; k++)
        key[k] = classes[k].key.data(), point[k] = classes[k].point.data();
    auto locateRange = [&](auto dims, const Range& r) {
        SimplexFinder finder(d);
        uint64_t keys[kMaxDims + 1];
        for (int p = r.start; p < r.end; p++)
        {
            if (!finder.locate<decltype(dims)::value>(features.ptr<float>(p), pointWeight + (size_t)p * d1))
            {
                int seen = badRow.load();
                while (p < seen && !badRow.compare_exchange_weak(seen, p))
                    ;
                return;
            }
            packing.corners(finder, keys);
            for (int k = 0; k <= d; k++)
                key[k][p] = keys[k], point[k][p] = p;
        }
    };
    parallel_for_(Range(0, n), [&](const Range& r) {
        // The kernels of DenseCRF have 2 and 5 dimensions.
        if (d == 2)
            locateRange(std::integral_constant<int, 2>(), r);
        else if (d == 5)
            locateRange(std::integral_constant<int, 5>(), r);
        else
            locateRange(std::integral_constant<int, 0>(), r);
    });
    if (badRow.load() != INT_MAX)
        return badRow.load();
    parallel_for_(Range(0, d1), [&](const Range& r) {
        LargeVector<uint64_t> key2(n);
        LargeVector<int> point2(n);
        for (int k = r.start; k < r.end; k++)
        {
            VertexClass& c = classes[k];
            radixSortStable(c.key.data(), c.point.data(), n, packing.bits, key2.data(), point2.data());
            for (int i = 0; i < n; i++)
                if (i == 0 || c.key[i] != c.key[i - 1])
                    c.runStart.push_back(i);
            c.runStart.push_back(n);
        }
    });

    numberByFirstUse(classes, n, pointVertex);
    return -1;
}

/** next[j m + v]: the vertex one step from v along direction j (-1 if none). The steps from the
 * remainder-k vertices land on remainder-(k-1) ones at a constant key offset: one merge of two
 * ascending key lists per direction and class. */
void sortedNeighbours(const std::vector<VertexClass>& classes, const KeyPacking& packing, int m, LargeVector<int>& next)
{
    const int d = packing.d, d1 = d + 1;
    next.assign((size_t)d1 * m, -1);
    parallel_for_(Range(0, d1 * d1), [&](const Range& r) {
        for (int task = r.start; task < r.end; task++)
        {
            const int j = task / d1, k = task % d1;
            const VertexClass& from = classes[k];
            const VertexClass& to = classes[(k + d) % d1];
            const uint64_t step = packing.step(j, k);
            int* nx = &next[(size_t)j * m];
            for (int a = 0, b = 0; a < from.size(); a++)
            {
                const uint64_t target = from.vertexKey(a) + step;
                while (b < to.size() && to.vertexKey(b) < target)
                    b++;
                if (b == to.size())
                    break;
                if (to.vertexKey(b) == target)
                    nx[from.id[a]] = to.id[b];
            }
        }
    });
}

uint64_t hashKey(const int* key, int d)
{
    uint64_t h = 0;
    for (int i = 0; i < d; i++)
        h = (h + (uint32_t)key[i]) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/** Open-addressing hash table from a lattice key (the first d of its d+1 coordinates) to a dense
 * vertex index, kept at most half full: the path for keys too wide to pack. */
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
    }

    int size() const { return (int)(keys_.size() / d_); }
    const int* key(int v) const { return &keys_[(size_t)v * d_]; }

    //! Index of key, inserted when absent. Not thread-safe.
    int insert(const int* key)
    {
        size_t h = hashKey(key, d_) & mask_;
        for (int v; (v = slots_[h]) >= 0; h = (h + 1) & mask_)
            if (std::equal(key, key + d_, this->key(v)))
                return v;
        const int v = size();
        slots_[h] = v;
        keys_.insert(keys_.end(), key, key + d_);
        if (2 * (size_t)size() > slots_.size())
            grow();
        return v;
    }

    //! Index of key or -1; concurrent lookups are fine.
    int lookup(const int* key) const
    {
        for (size_t h = hashKey(key, d_) & mask_;; h = (h + 1) & mask_)
        {
            const int v = slots_[h];
            if (v < 0 || std::equal(key, key + d_, this->key(v)))
                return v;
        }
    }

private:
    void grow()
    {
        mask_ = 2 * slots_.size() - 1;
        slots_.assign(mask_ + 1, -1);
        for (int v = 0; v < size(); v++)
        {
            size_t h = hashKey(key(v), d_) & mask_;
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

/** The hash path (keys too wide to pack): points located and their corners inserted one after the
 * other, then each neighbour looked up. Throws for the first row that cannot be located. */
int hashedVertices(const Mat& features, float* pointWeight, LargeVector<int>& pointVertex, LargeVector<int>& next)
{
    const int n = features.rows, d = features.cols, d1 = d + 1;
    VertexTable table(d, (size_t)n);
    SimplexFinder finder(d);
    std::vector<int> key(d);
    for (int p = 0; p < n; p++)
    {
        if (!finder.locate<0>(features.ptr<float>(p), pointWeight + (size_t)p * d1))
            throwBadRow(p);
        for (int k = 0; k <= d; k++)
        {
            finder.cornerKey(k, key.data());
            pointVertex[(size_t)p * d1 + k] = table.insert(key.data());
        }
    }
    const int m = table.size();
    next.assign((size_t)d1 * m, -1);
    parallel_for_(Range(0, m), [&](const Range& r) {
        std::vector<int> nb(d);
        for (int v = r.start; v < r.end; v++)
            for (int j = 0; j <= d; j++)
            {
                for (int i = 0; i < d; i++)
                    nb[i] = table.key(v)[i] + (i == j ? d : -1);
                next[(size_t)j * m + v] = table.lookup(nb.data());
            }
    });
    return m;
}

/** Blur lines from the neighbour lists: following next from each vertex that is nobody's next
 * walks every line of the lattice along direction j once. Lines of one vertex are left out (the
 * blur does not change them). Counted first, then written in place. */
void buildBlurChains(const LargeVector<int>& next, int m, int d, LargeVector<int>& chainVertex,
                     LargeVector<int>& chainStart, std::vector<int>& directionChains)
{
    const int d1 = d + 1;
    LargeVector<uchar> hasPrev((size_t)d1 * m);
    std::vector<int> chains(d1 + 1, 0), vertices(d1 + 1, 0);
    parallel_for_(Range(0, d1), [&](const Range& r) {
        for (int j = r.start; j < r.end; j++)
        {
            const int* nx = &next[(size_t)j * m];
            uchar* prev = &hasPrev[(size_t)j * m];
            std::fill(prev, prev + m, (uchar)0);
            for (int v = 0; v < m; v++)
                if (nx[v] >= 0)
                    prev[nx[v]] = 1;
            for (int v = 0; v < m; v++)
            {
                chains[j + 1] += !prev[v] && nx[v] >= 0;
                vertices[j + 1] += prev[v] || nx[v] >= 0;
            }
        }
    });
    for (int j = 0; j < d1; j++)
        chains[j + 1] += chains[j], vertices[j + 1] += vertices[j];
    chainVertex.resize(vertices[d1]);
    chainStart.resize(chains[d1] + 1);
    chainStart[chains[d1]] = vertices[d1];
    parallel_for_(Range(0, d1), [&](const Range& r) {
        for (int j = r.start; j < r.end; j++)
        {
            const int* nx = &next[(size_t)j * m];
            const uchar* prev = &hasPrev[(size_t)j * m];
            int c = chains[j], at = vertices[j];
            for (int v = 0; v < m; v++)
            {
                if (prev[v] || nx[v] < 0)
                    continue;
                chainStart[c++] = at;
                for (int u = v; u >= 0; u = nx[u])
                    chainVertex[at++] = u;
            }
        }
    });
    directionChains = chains;
}

} // namespace

PermutohedralLattice::PermutohedralLattice(const Mat& features)
{
    CV_Assert(features.type() == CV_32FC1 && features.dims == 2 && features.isContinuous());
    n_ = features.rows;
    d_ = features.cols;
    CV_Assert(n_ > 0);
    if (d_ < 1 || d_ > kMaxDims)
        CV_Error_(Error::StsOutOfRange, ("PermutohedralLattice: features must have 1..%d columns, got %d", kMaxDims, d_));
    alpha_ = (float)(1.0 / (1.0 + std::pow(2.0, -d_)));

    pointWeight_.resize((size_t)n_ * (d_ + 1));
    pointVertex_.resize((size_t)n_ * (d_ + 1));
    LargeVector<int> next;
    const KeyPacking packing(features, SimplexFinder(d_).scale);
    if (packing.fits())
    {
        std::vector<VertexClass> classes;
        const int badRow = sortedVertices(features, packing, pointWeight_.data(), pointVertex_, classes);
        if (badRow >= 0)
            throwBadRow(badRow);
        m_ = 0;
        for (const VertexClass& c : classes)
            m_ += c.size();
        sortedNeighbours(classes, packing, m_, next);
    }
    else
        m_ = hashedVertices(features, pointWeight_.data(), pointVertex_, next);
    buildBlurChains(next, m_, d_, chainVertex_, chainStart_, directionChains_);
    buildSplatLists();
    computeSelfWeights();
}

void PermutohedralLattice::buildSplatLists()
{
    // Splatting as a gather: the points (and weights) of each vertex, in point order, so that
    // vertices fill in parallel and the sums do not depend on the thread count.
    const int d1 = d_ + 1;
    splatStart_.assign(m_ + 1, 0);
    for (int v : pointVertex_)
        splatStart_[v + 1]++;
    for (int v = 0; v < m_; v++)
        splatStart_[v + 1] += splatStart_[v];
    splatPoint_.resize(pointVertex_.size());
    splatWeight_.resize(pointVertex_.size());
    LargeVector<int> fill(splatStart_.begin(), splatStart_.end() - 1);
    for (size_t e = 0; e < pointVertex_.size(); e++)
    {
        const int slot = fill[pointVertex_[e]]++;
        splatPoint_[slot] = (int)(e / d1);
        splatWeight_[slot] = pointWeight_[e];
    }
}

void PermutohedralLattice::computeSelfWeights()
{
    // Self weight of each point: corners k and k' of a simplex are |k - k'| = s lattice steps
    // apart along s distinct directions, and the d+1 blurs carry a value between them along
    // two paths, with weights 2^-s and 2^-(d+1-s) (both 1 + 2^-d for s = 0); the slicing scale
    // alpha makes that 1 for s = 0.
    const int d1 = d_ + 1;
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

void PermutohedralLattice::splat(const float* in, int channels, float* vertexValues) const
{
    parallel_for_(Range(0, m_), [&](const Range& r) {
        for (int v = r.start; v < r.end; v++)
        {
            const int e0 = splatStart_[v];
            gatherRows(&splatPoint_[e0], &splatWeight_[e0], splatStart_[v + 1] - e0, 1.f, in, channels,
                       vertexValues + (size_t)v * channels);
        }
    });
}

void PermutohedralLattice::blur(float* vertexValues, int channels, bool adjoint) const
{
    for (int step = 0; step <= d_; step++)
    {
        const int j = adjoint ? d_ - step : step;
        parallel_for_(Range(directionChains_[j], directionChains_[j + 1]), [&](const Range& r) {
            for (int c = r.start; c < r.end; c++)
                blurChain(&chainVertex_[chainStart_[c]], chainStart_[c + 1] - chainStart_[c], vertexValues, channels);
        });
    }
}

void PermutohedralLattice::slice(const float* vertexValues, int channels, float* out) const
{
    const int d1 = d_ + 1;
    parallel_for_(Range(0, n_), [&](const Range& r) {
        for (int p = r.start; p < r.end; p++)
            gatherRows(&pointVertex_[(size_t)p * d1], &pointWeight_[(size_t)p * d1], d1, alpha_, vertexValues,
                       channels, out + (size_t)p * channels);
    });
}

void PermutohedralLattice::filter(const float* in, float* out, int channels, float* vertexBuffer, bool adjoint) const
{
    CV_Assert(in && out && vertexBuffer && channels > 0);
    splat(in, channels, vertexBuffer);
    blur(vertexBuffer, channels, adjoint);
    slice(vertexBuffer, channels, out);
}

void PermutohedralLattice::filter(const Mat& in, Mat& out) const
{
    CV_Assert(in.type() == CV_32FC1 && in.rows == n_ && in.cols > 0 && in.isContinuous());
    LargeVector<float> vertices(vertexBufferSize(in.cols));
    out.create(n_, in.cols, CV_32F);  // may be in: the slice runs after the splat has read it
    if (!out.isContinuous())
        out = Mat(n_, in.cols, CV_32F);
    filter(in.ptr<float>(), out.ptr<float>(), in.cols, vertices.data());
}

}}} // namespace cv::escrf::detail

