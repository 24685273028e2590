// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host emulation of the head's CUDA runner: the pipeline of head_pipeline.hpp over host
// buffers, with the functors of head_device_math.hpp called in loops and cv::gemm / cv::reduce
// for the matrix products and bias sums (cuBLAS on the device). Compiled into the tests in every
// configuration (CMakeLists.txt: *_emulation.cpp), not into the library, so that the GPU
// pipeline's logic is tested on machines without CUDA.
#include "precomp.hpp"
#include "head/head_emulation.hpp"
#include "head/head_pipeline.hpp"
#include <atomic>
#include <cstring>
#include <limits>

namespace cv {
namespace escrf {
namespace detail {

namespace {

std::atomic<size_t> headEmulationAllocations_(0);

//! Host twin of cuda::DeviceBuffer (same interface). A reallocation fills the buffer with NaN
//! (or the largest value), as a fresh cudaMalloc holds garbage: the emulation must never read
//! what the pipeline did not write.
template <typename T>
class HostBuffer
{
public:
    HostBuffer() {}
    explicit HostBuffer(size_t n) { allocate(n); }
    void allocate(size_t n)
    {
        if (n != data_.size())
        {
            headEmulationAllocations_++;
            data_.assign(n, std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN()
                                                                  : std::numeric_limits<T>::max());
        }
    }
    void upload(const T* host, size_t n)
    {
        allocate(n);
        if (n)
            std::memcpy(data_.data(), host, n * sizeof(T));
    }
    void download(T* host, size_t n) const
    {
        CV_Assert(n <= data_.size());
        if (n)
            std::memcpy(host, data_.data(), n * sizeof(T));
    }
    T* get() const { return const_cast<T*>(data_.data()); }
    size_t size() const { return data_.size(); }

private:
    std::vector<T> data_;
};

struct HostBackend
{
    template <class T> using Buffer = HostBuffer<T>;

    template <class F> void forEach(int n, const F& f)
    {
        // Every item is independent (the functors gather), so the split does not change results.
        parallel_for_(Range(0, n), [&](const Range& r) {
            for (int i = r.start; i < r.end; i++)
                f(i);
        }, n / 4096.0);
    }
    void gemm(bool tA, bool tB, int M, int N, int K, float alpha, const float* A, const float* B, float beta, float* C)
    {
        Mat a(tA ? K : M, tA ? M : K, CV_32F, (void*)A), b(tB ? N : K, tB ? K : N, CV_32F, (void*)B);
        Mat c(M, N, CV_32F, C);
        const int flags = (tA ? GEMM_1_T : 0) | (tB ? GEMM_2_T : 0);
        if (beta == 0.f)
            cv::gemm(a, b, alpha, noArray(), 0.0, c, flags);
        else
            cv::gemm(a, b, alpha, c, beta, c, flags);
        CV_Assert(c.data == (uchar*)C);
    }
    void rowSumAdd(const float* A, int R, int n, float* g)
    {
        Mat sum, out(R, 1, CV_32F, g);
        reduce(Mat(R, n, CV_32F, (void*)A), sum, 1, REDUCE_SUM, CV_32F);
        out += sum;
    }
    template <class T> void copy(T* dst, const T* src, size_t n)
    {
        if (n && dst != src)
            std::memmove(dst, src, n * sizeof(T));
    }
    template <class T> void zero(T* p, size_t n) { std::fill(p, p + n, T(0)); }
    void synchronize() {}
};

} // namespace

size_t headEmulationAllocations()
{
    return headEmulationAllocations_.load();
}

Ptr<HeadRunner> createHeadRunnerEmulation(const Head& head)
{
    BlockFunctions block = { &escrfBlockForward, &escrfBlockBackward };
    return makePtr<HeadPipeline<HostBackend>>(head, block);
}

}}} // namespace cv::escrf::detail
