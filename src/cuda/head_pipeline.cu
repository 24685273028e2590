// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head on the GPU (CPU twin: src/head/head.cpp, src/train/loss.cpp): the pipeline of
// src/head/head_pipeline.hpp over device buffers, its per-element functors
// (head_device_math.hpp) launched one thread per item, the 1x1 projection and classifier and
// their gradients with cuBLAS, the ES-CRF block through its CUDA host interface. The host
// emulation (src/head/head_emulation.cpp) runs the same pipeline with host buffers.

#include "cuda/cuda_utils.hpp"
#include "head/head_cuda.hpp"
#include "head/head_pipeline.hpp"
#include "block/block_cuda.hpp"
#include "core/cuda_device.hpp"
#include "opencv2/core/utils/logger.hpp"
#include <cublas_v2.h>

namespace cv {
namespace escrf {
namespace cuda {
namespace headgpu {

template <class F>
__global__ void forEachKernel(F f, int n)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        f(i);
}

inline void checkCublas(cublasStatus_t st, const char* call, const char* file, int line, const char* func)
{
    if (st != CUBLAS_STATUS_SUCCESS)
        cv::error(cv::Error::GpuApiCallError, cv::format("cuBLAS call '%s' failed: %s", call,
                                                         cublasGetStatusString(st)), func, file, line);
}
#define ESCRF_CUBLAS_CHECK(expr) ::cv::escrf::cuda::headgpu::checkCublas((expr), #expr, __FILE__, __LINE__, CV_Func)

//! Device backend of HeadPipeline: one thread per item on the default stream, cuBLAS products.
struct DeviceBackend
{
    template <class T> using Buffer = DeviceBuffer<T>;

    DeviceBackend() { ESCRF_CUBLAS_CHECK(cublasCreate(&handle)); }
    ~DeviceBackend() { cublasDestroy(handle); }
    DeviceBackend(const DeviceBackend&) = delete;
    DeviceBackend& operator=(const DeviceBackend&) = delete;

    template <class F> void forEach(int n, const F& f)
    {
        if (n <= 0)
            return;
        const int block = 256;
        forEachKernel<<<divUp(n, block), block>>>(f, n);
        ESCRF_CUDA_CHECK_LAUNCH();
    }

    /* Row-major C (M x N) = alpha op(A) op(B) + beta C. cuBLAS is column-major, where a
    row-major matrix reads as its transpose: C^T = op(B)^T op(A)^T, so B comes first. */
    void gemm(bool tA, bool tB, int M, int N, int K, float alpha, const float* A, const float* B, float beta, float* C)
    {
        if (M <= 0 || N <= 0)
            return;
        if (K <= 0)
        {
            CV_Assert(beta == 0.f || beta == 1.f);
            if (beta == 0.f)
                zero(C, (size_t)M * N);
            return;
        }
        ESCRF_CUBLAS_CHECK(cublasSgemm(handle, tB ? CUBLAS_OP_T : CUBLAS_OP_N, tA ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K,
                                       &alpha, B, tB ? K : N, A, tA ? M : K, &beta, C, N));
    }

    //! g (R) += A (R x n, row-major) times ones: a column-major n x R matrix, transposed.
    void rowSumAdd(const float* A, int R, int n, float* g)
    {
        if (R <= 0 || n <= 0)
            return;
        if (ones.size() < (size_t)n)
        {
            ones.allocate(n);
            headdev::Fill f = { ones.get(), 1.f };
            forEach(n, f);
        }
        const float one = 1.f;
        ESCRF_CUBLAS_CHECK(cublasSgemv(handle, CUBLAS_OP_T, n, R, &one, A, n, ones.get(), 1, &one, g, 1));
    }

    template <class T> void copy(T* dst, const T* src, size_t n)
    {
        if (n && dst != src)
            ESCRF_CUDA_CHECK(cudaMemcpy(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice));
    }
    template <class T> void zero(T* p, size_t n)
    {
        if (n)
            ESCRF_CUDA_CHECK(cudaMemset(p, 0, n * sizeof(T)));
    }
    void synchronize() { ESCRF_CUDA_CHECK(cudaDeviceSynchronize()); }

    cublasHandle_t handle = nullptr;
    DeviceBuffer<float> ones;
};

} // namespace headgpu

bool headBlockOnDevice(const Head& head, String* reason)
{
    if (head.config().variant == HEAD_BASELINE)
        return true;
    const EscrfBlockParams p = head.effectiveBlockParams();
    const char* option = p.dense ? "dense" : nullptr;
    if (option && reason)
        *reason = format("the ES-CRF block option %s is CPU-only in the CUDA build", option);
    return option == nullptr;
}

Ptr<detail::HeadRunner> createHeadRunner(const Head& head)
{
    detail::requireCudaDevice("cuda::createHeadRunner: the head on the GPU requested", "the CPU head");
    detail::BlockFunctions block = { &cuda::escrfBlockForward, &cuda::escrfBlockBackward };
    String reason;
    if (!headBlockOnDevice(head, &reason))
    {
        CV_LOG_INFO(NULL, "escrf: " << reason << ": the head runs on the GPU, its block on the CPU");
        block.forward = &cv::escrf::escrfBlockForward;
        block.backward = &cv::escrf::escrfBlockBackward;
    }
    return makePtr<detail::HeadPipeline<headgpu::DeviceBackend>>(head, block);
}

void headForward(const Head& head, const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                 Mat& logits, HeadCache* cache)
{
    createHeadRunner(head)->forward(inputs, headSize, guide, logits, cache);
}

void headBackward(const Head& head, const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                  const HeadCache& cache, const Mat& dLogits, std::vector<Mat>& grads)
{
    createHeadRunner(head)->backward(inputs, headSize, guide, cache, dLogits, grads);
}

}}} // namespace cv::escrf::cuda
