// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Small CUDA helpers for the module's kernels: error checking that throws cv::Exception and
// an RAII device buffer. Included by .cu files only (needs the CUDA runtime headers).
#ifndef OPENCV_ESCRF_CUDA_UTILS_HPP
#define OPENCV_ESCRF_CUDA_UTILS_HPP

#include <cuda_runtime.h>
#include "opencv2/core.hpp"
#include <cstddef>

namespace cv {
namespace escrf {
namespace cuda {

//! Throws cv::Exception with the failing call's text and the CUDA error string.
inline void checkCuda(cudaError_t err, const char* call, const char* file, int line, const char* func)
{
    if (err != cudaSuccess)
    {
        (void)cudaGetLastError();  // clear the sticky-free error state so later calls can proceed
        cv::error(cv::Error::GpuApiCallError,
                  cv::format("CUDA call '%s' failed: %s (%s)", call, cudaGetErrorString(err), cudaGetErrorName(err)),
                  func, file, line);
    }
}

#define ESCRF_CUDA_CHECK(expr) ::cv::escrf::cuda::checkCuda((expr), #expr, __FILE__, __LINE__, CV_Func)

//! Checks a kernel launch (configuration errors) right after <<<...>>>.
#define ESCRF_CUDA_CHECK_LAUNCH() ESCRF_CUDA_CHECK(cudaGetLastError())

/** Owning device array of n elements of T (cudaMalloc / cudaFree), move-only. */
template <typename T>
class DeviceBuffer
{
public:
    DeviceBuffer() {}
    explicit DeviceBuffer(size_t n) { allocate(n); }
    ~DeviceBuffer() { release(); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), size_(o.size_) { o.ptr_ = nullptr; o.size_ = 0; }
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept
    {
        if (this != &o)
        {
            release();
            ptr_ = o.ptr_; size_ = o.size_;
            o.ptr_ = nullptr; o.size_ = 0;
        }
        return *this;
    }

    //! Reallocates only when the size changes; contents are undefined afterwards.
    void allocate(size_t n)
    {
        if (n == size_)
            return;
        release();
        if (n > 0)
            ESCRF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T)));
        size_ = n;
    }
    void release() noexcept
    {
        if (ptr_)
            cudaFree(ptr_);  // no throw from a destructor; a failure here is unrecoverable anyway
        ptr_ = nullptr;
        size_ = 0;
    }
    //! Copies n host elements to the device, (re)allocating to n.
    void upload(const T* host, size_t n)
    {
        allocate(n);
        if (n > 0)
            ESCRF_CUDA_CHECK(cudaMemcpy(ptr_, host, n * sizeof(T), cudaMemcpyHostToDevice));
    }
    //! Copies the first n elements (n <= size()) to host memory.
    void download(T* host, size_t n) const
    {
        CV_Assert(n <= size_);
        if (n > 0)
            ESCRF_CUDA_CHECK(cudaMemcpy(host, ptr_, n * sizeof(T), cudaMemcpyDeviceToHost));
    }

    T* get() const { return ptr_; }
    size_t size() const { return size_; }

private:
    T* ptr_ = nullptr;
    size_t size_ = 0;
};

//! Uploads a continuous (or made continuous) Mat of element type T.
template <typename T>
inline void uploadMat(const cv::Mat& m, DeviceBuffer<T>& buf)
{
    CV_Assert(m.elemSize() % sizeof(T) == 0);
    cv::Mat c = m.isContinuous() ? m : m.clone();
    buf.upload(c.ptr<T>(), c.total() * (c.elemSize() / sizeof(T)));
}

inline unsigned divUp(int a, int b) { return (unsigned)((a + b - 1) / b); }

}}} // namespace cv::escrf::cuda

#endif
