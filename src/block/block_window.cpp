// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Windowed pairwise message over the k x k window of dilation d (the reference G(i)):
// Fp_i = sum_{j in G(i)} mu(i,j) K(i,j) F_j with K = score or softmax(score / sqrt(2E)), and
// with the Gaussian kernel score = -|e_i - e_j|^2 / 2 and K = exp(score) or the same softmax.
// The forward pass runs one row of cells at a time, vectorised along the row: for each window
// offset the neighbours of a row are a contiguous run of another row, so the factored scores
// (WindowScores), the kernel weights and the accumulation into the C channel-major planes are
// all contiguous loops. The window is symmetric (j in G(i) <=> i in G(j)), so the backward pass
// needs no scatter: a first pass over i computes the per-pair gradients, a second pass over j
// gathers them from G(j).

#include "precomp.hpp"
#include "block_kernels.hpp"
#include "core/simd_rows.hpp"

namespace cv {
namespace escrf {
namespace block {

WindowOffsets::WindowOffsets(int k, int d) : K(k * k), dy(k * k), dx(k * k)
{
    const int r = k / 2;
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++)
        {
            dy[a * k + b] = (a - r) * d;
            dx[a * k + b] = (b - r) * d;
        }
}

namespace {

// Rows of cells per parallel task: enough work to amortise scheduling.
double stripes(int h, int w, int C)
{
    return std::max(1.0, std::min((double)h, (double)h * w * (C + 16) / 65536.0));
}

// The cells x of row y whose neighbour at offset o is in the map: [lo, hi), empty when row y + dy is not.
void neighbourRange(const WindowOffsets& off, int o, int y, int w, int h, int& lo, int& hi)
{
    const int yy = y + off.dy[o], dx = off.dx[o];
    lo = std::max(0, -dx);
    hi = std::min(w, w - dx);
    if (yy < 0 || yy >= h || lo >= hi)
        lo = hi = 0;
}

// S[x] = score of the pair (cell x of row y, its neighbour at offset o), x in [lo, hi) (WindowScores).
template <typename T>
void scoreRange(const WindowScores<T>& s, int y, int o, int lo, int hi, T* S)
{
    using simd::all;
    if (lo >= hi)
        return;   // (row y + dy may be outside the map: no pointer into it is formed)
    const int w = s.w, dy = s.offsets.dy[o], dx = s.offsets.dx[o];
    const size_t N = (size_t)w * s.h;
    const T* gi = s.image.template ptr<T>() + (size_t)y * w;                   // channel 0 of the cells
    const T* gj = s.image.template ptr<T>() + ((ptrdiff_t)(y + dy) * w + dx); // channel 0 of their neighbours
    const T* ax = s.alongX.template ptr<T>(o);
    const T ay = s.alongY.template ptr<T>(o)[y];
    const T* abi = s.cross.template ptr<T>(y);
    const T* abj = s.cross.template ptr<T>(y + dy);
    if (s.gaussian)
    {
        // (A_x - A_x') . (B_y - B_y') vanishes when the offset is along one axis.
        const bool crossTerm = dx != 0 && dy != 0;
        simd::forRange<T>(lo, hi, [&](auto tag, int x) {
            const auto d0 = load(tag, gi + x) - load(tag, gj + x);
            const auto d1 = load(tag, gi + N + x) - load(tag, gj + N + x);
            const auto d2 = load(tag, gi + 2 * N + x) - load(tag, gj + 2 * N + x);
            auto pos = load(tag, ax + x) + all(tag, ay);
            if (crossTerm)
            {
                const auto c = (load(tag, abi + x) - load(tag, abi + x + dx)) - (load(tag, abj + x) - load(tag, abj + x + dx));
                pos = pos + (c + c);
            }
            store(tag, S + x, (d0 * d0 + d1 * d1 + d2 * d2 + pos) * all(tag, T(-0.5)));
        });
    }
    else
        simd::forRange<T>(lo, hi, [&](auto tag, int x) {
            const auto img = load(tag, gi + x) * load(tag, gj + x) + load(tag, gi + N + x) * load(tag, gj + N + x) +
                             load(tag, gi + 2 * N + x) * load(tag, gj + 2 * N + x);
            store(tag, S + x, img + load(tag, ax + x) + all(tag, ay) + load(tag, abj + x) + load(tag, abi + x + dx));
        });
}

// Scores -> kernel weights in place: softmax over the in-map neighbours (normalize), exp (Gaussian
// kernel) or the score itself; 0 outside the map. smax and Z are w-long scratch.
template <typename T>
void kernelWeights(const WindowInput<T>& in, int K, int w, const int* lo, const int* hi, T* S, T* smax, T* Z)
{
    using simd::all;
    const bool gaussian = in.scores->gaussian;
    if (in.normalize)
    {
        const T invTau = in.invTau;
        // Every cell has itself as a neighbour, so each max ends finite.
        std::fill(smax, smax + w, -std::numeric_limits<T>::infinity());
        for (int o = 0; o < K; o++)
            simd::forRange<T>(lo[o], hi[o], [&](auto tag, int x) {
                store(tag, smax + x, vmax(tag, load(tag, smax + x), load(tag, S + o * w + x) * all(tag, invTau)));
            });
        for (int o = 0; o < K; o++)
            simd::forRange<T>(lo[o], hi[o], [&](auto tag, int x) {
                T* s = S + o * w + x;
                store(tag, s, load(tag, s) * all(tag, invTau) - load(tag, smax + x));
            });
    }
    for (int o = 0; o < K; o++)
    {
        T* s = S + (size_t)o * w;
        if (in.normalize || gaussian)
            simd::expN(s + lo[o], s + lo[o], hi[o] - lo[o]);
        std::fill(s, s + lo[o], T(0));
        std::fill(s + hi[o], s + w, T(0));
    }
    if (!in.normalize)
        return;
    std::fill(Z, Z + w, T(0));
    for (int o = 0; o < K; o++)
        simd::forRange<T>(lo[o], hi[o], [&](auto tag, int x) {
            store(tag, Z + x, load(tag, Z + x) + load(tag, S + o * w + x));
        });
    simd::forRange<T>(0, w, [&](auto tag, int x) { store(tag, Z + x, all(tag, T(1)) / load(tag, Z + x)); });
    for (int o = 0; o < K; o++)
        simd::forRange<T>(0, w, [&](auto tag, int x) {
            T* s = S + o * w + x;
            store(tag, s, load(tag, s) * load(tag, Z + x));
        });
}

// Compatibilities mu(i, j) of the pairs at offset o into Mu (0 outside the map); z and t are
// w-long scratch.
template <typename T>
void compatibilities(const WindowInput<T>& in, int y, int o, int lo, int hi, T* Mu, T* z, T* t)
{
    using simd::all;
    const WindowScores<T>& s = *in.scores;
    const int w = s.w;
    const size_t i0 = (size_t)y * w;
    // Signed: j0 is negative on row 0 for offsets to the left (only x >= lo > 0 is read there).
    const ptrdiff_t j0 = (ptrdiff_t)(y + s.offsets.dy[o]) * w + s.offsets.dx[o];
    if (lo >= hi)
    {
        std::fill(Mu, Mu + w, T(0));   // (row y + dy may be outside the map: no pointer into it is formed)
        return;
    }
    std::fill(Mu, Mu + lo, T(0));
    std::fill(Mu + hi, Mu + w, T(0));
    if (!in.pair)
    {
        if (in.muJ)
            std::copy(in.muJ + (j0 + lo), in.muJ + (j0 + hi), Mu + lo);
        else
            std::fill(Mu + lo, Mu + hi, T(1));
        return;
    }
    // sigmoid(u_i + v_j + c)
    const T* u = in.u + i0;
    const T* v = in.v + j0;
    simd::forRange<T>(lo, hi, [&](auto tag, int x) {
        store(tag, z + x, load(tag, u + x) + load(tag, v + x) + all(tag, in.c));
    });
    sigmoidN(z + lo, Mu + lo, t + lo, hi - lo);
}

// Fp (C rows of w) = sum_o coef[o] F(neighbour at o), o in order. Where every neighbour is in the
// map (the interior of the row) the sum stays in registers across the offsets; at the borders each
// offset adds its in-map run. Both add the same products in the same order.
template <typename T>
void accumulateMessage(const WindowInput<T>& in, int y, const int* lo, const int* hi, const T* coef, T* Fp,
                       size_t FpStride)
{
    const WindowScores<T>& s = *in.scores;
    const int w = s.w, K = s.offsets.K;
    const size_t N = (size_t)w * s.h;
    int xa = 0, xb = w;
    for (int o = 0; o < K; o++)
    {
        xa = std::max(xa, lo[o]);
        xb = std::min(xb, hi[o]);
    }
    if (xa >= xb)
        xa = xb = w;   // no interior: a row near the top or bottom
    AutoBuffer<const T*, 64> rows(K);
    for (int o = 0; o < K; o++)   // (an offset whose row is out of the map has an empty run: never read)
        rows[o] = lo[o] < hi[o] ? in.F + ((ptrdiff_t)(y + s.offsets.dy[o]) * w + s.offsets.dx[o]) : in.F;
    for (int c = 0; c < in.C; c++)
    {
        T* fp = Fp + c * FpStride;
        const size_t plane = c * N;
        simd::forRange<T>(xa, xb, [&](auto tag, int x) {
            auto acc = simd::all(tag, T(0));
            for (int o = 0; o < K; o++)
                acc = acc + load(tag, coef + (size_t)o * w + x) * load(tag, rows[o] + plane + x);
            store(tag, fp + x, acc);
        });
        std::fill(fp, fp + xa, T(0));
        std::fill(fp + xb, fp + w, T(0));
        for (int o = 0; o < K; o++)
        {
            const T* f = rows[o] + plane;
            const T* k = coef + (size_t)o * w;
            auto border = [&](int from, int to) {
                simd::forRange<T>(from, to, [&](auto tag, int x) {
                    store(tag, fp + x, load(tag, k + x) * load(tag, f + x) + load(tag, fp + x));
                });
            };
            border(lo[o], std::min(hi[o], xa));
            border(std::max(lo[o], xb), hi[o]);
        }
    }
}

} // namespace

template <typename T>
void sigmoidN(const T* z, T* mu, T* t, int n)
{
    // The form that never overflows: with t = exp(-|z|), 1 / (1 + t) for z >= 0, t / (1 + t) otherwise.
    using simd::all;
    simd::forRange<T>(0, n, [&](auto tag, int x) {
        const auto zz = load(tag, z + x);
        store(tag, t + x, vmin(tag, zz, all(tag, T(0)) - zz));
    });
    simd::expN(t, t, n);
    simd::forRange<T>(0, n, [&](auto tag, int x) {
        const auto tt = load(tag, t + x), one = all(tag, T(1));
        store(tag, mu + x, ifNonNegative(tag, load(tag, z + x), one / (one + tt), tt / (one + tt)));
    });
}

template void sigmoidN<float>(const float*, float*, float*, int);
template void sigmoidN<double>(const double*, double*, double*, int);

template <typename T>
void windowForwardRow(const WindowInput<T>& in, int y, T* Fp, size_t FpStride, T* pairs, T* scratch)
{
    const WindowScores<T>& s = *in.scores;
    const int w = s.w, h = s.h, K = s.offsets.K;
    T* S = scratch;                   // K x w scores, then kernel weights
    T* Mu = S + (size_t)K * w;        // K x w compatibilities
    T* coef = Mu + (size_t)K * w;     // K x w their products
    T* a = coef + (size_t)K * w;      // w
    T* b = a + w;                     // w
    AutoBuffer<int, 128> range(2 * K);
    int* lo = range.data();
    int* hi = lo + K;
    for (int o = 0; o < K; o++)
    {
        neighbourRange(s.offsets, o, y, w, h, lo[o], hi[o]);
        scoreRange(s, y, o, lo[o], hi[o], S + (size_t)o * w);
    }
    kernelWeights(in, K, w, lo, hi, S, a, b);
    for (int o = 0; o < K; o++)
    {
        T* mu = Mu + (size_t)o * w;
        compatibilities(in, y, o, lo[o], hi[o], mu, a, b);
        const T* k = S + (size_t)o * w;
        T* cf = coef + (size_t)o * w;
        simd::forRange<T>(0, w, [&](auto tag, int x) { store(tag, cf + x, load(tag, mu + x) * load(tag, k + x)); });
    }
    accumulateMessage(in, y, lo, hi, coef, Fp, FpStride);
    if (pairs)
        for (int x = 0; x < w; x++)
            for (int o = 0; o < K; o++)
            {
                pairs[(size_t)x * 2 * K + o] = S[(size_t)o * w + x];
                pairs[(size_t)x * 2 * K + K + o] = Mu[(size_t)o * w + x];
            }
}

template <typename T>
void windowBackward(const MessageInput<T>& in, const Mat& pairs, const Mat& gT, MessageGrad& grad)
{
    const int h = in.h, w = in.w, C = in.C, D = in.D, N = in.N();
    const WindowOffsets off(in.window, in.dilation);
    const int K = off.K;
    const int depth = DataType<T>::depth;
    CV_Assert(pairs.rows == N && pairs.cols == 2 * K && pairs.depth() == depth);
    grad.dFT.create(N, C, depth);
    grad.deT.create(N, D, depth);
    grad.du = Mat::zeros(1, N, depth);
    grad.dv = Mat::zeros(1, N, depth);
    Mat dpair(N, 2 * K, depth);   // d score and d logit of every (i, offset)
    T* du = grad.du.ptr<T>();
    T* dv = grad.dv.ptr<T>();

    // Pass 1, over i: per-pair gradients and the terms that belong to i.
    parallel_for_(Range(0, h), [&](const Range& rows) {
        std::vector<T> dK(K);
        for (int y = rows.start; y < rows.end; y++)
            for (int x = 0; x < w; x++)
            {
                const int i = y * w + x;
                const T* kw = pairs.ptr<T>(i);
                const T* mw = kw + K;
                const T* gi = gT.ptr<T>(i);
                T* ds = dpair.ptr<T>(i);
                T* dz = ds + K;
                T* dei = grad.deT.ptr<T>(i);
                std::fill(dei, dei + D, T(0));
                T kdk = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y + off.dy[o], xx = x + off.dx[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                    {
                        dK[o] = 0; dz[o] = 0;
                        continue;
                    }
                    const T t = dotN(gi, in.FT + (size_t)(yy * w + xx) * C, C);
                    dK[o] = mw[o] * t;
                    dz[o] = kw[o] * t * mw[o] * (T(1) - mw[o]);
                    kdk += kw[o] * dK[o];
                }
                T dui = 0, dsSum = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y + off.dy[o], xx = x + off.dx[o];
                    ds[o] = in.normalize ? kw[o] * (dK[o] - kdk) * in.invTau
                                         : in.gaussian ? kw[o] * dK[o] : dK[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    axpyN(dei, ds[o], in.eT + (size_t)(yy * w + xx) * D, D);
                    dsSum += ds[o];
                    dui += dz[o];
                }
                // Gaussian kernel: d score / d e_i = e_j - e_i.
                if (in.gaussian)
                    axpyN(dei, -dsSum, in.eT + (size_t)i * D, D);
                du[i] = dui;
            }
    }, stripes(h, w, C));

    // Pass 2, over j: gather from every i with j in G(i), i.e. i = j - offset.
    parallel_for_(Range(0, h), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
            for (int x = 0; x < w; x++)
            {
                const int j = y * w + x;
                T* dfj = grad.dFT.ptr<T>(j);
                T* dej = grad.deT.ptr<T>(j);
                std::fill(dfj, dfj + C, T(0));
                T dvj = 0, dsSum = 0;
                for (int o = 0; o < K; o++)
                {
                    const int yy = y - off.dy[o], xx = x - off.dx[o];
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    const int i = yy * w + xx;
                    const T* kw = pairs.ptr<T>(i);
                    const T* ds = dpair.ptr<T>(i);
                    axpyN(dfj, kw[o] * kw[K + o], gT.ptr<T>(i), C);
                    axpyN(dej, ds[o], in.eT + (size_t)i * D, D);
                    dsSum += ds[o];
                    dvj += ds[K + o];
                }
                // Gaussian kernel: d score / d e_j = e_i - e_j.
                if (in.gaussian)
                    axpyN(dej, -dsSum, in.eT + (size_t)j * D, D);
                dv[j] = dvj;
            }
    }, stripes(h, w, C));
}

template void windowForwardRow<float>(const WindowInput<float>&, int, float*, size_t, float*, float*);
template void windowForwardRow<double>(const WindowInput<double>&, int, double*, size_t, double*, double*);
template void windowBackward<float>(const MessageInput<float>&, const Mat&, const Mat&, MessageGrad&);
template void windowBackward<double>(const MessageInput<double>&, const Mat&, const Mat&, MessageGrad&);

}}} // namespace cv::escrf::block
