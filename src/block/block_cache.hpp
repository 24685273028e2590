// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What an EscrfBlockCache holds: the key of the forward pass that filled it (checked by every
// backward pass) and the tensors of the backend that filled it, one struct per backend.
#ifndef OPENCV_ESCRF_BLOCK_CACHE_HPP
#define OPENCV_ESCRF_BLOCK_CACHE_HPP

#include "opencv2/escrf/block.hpp"
#include "block/block_plan.hpp"

namespace cv {
namespace escrf {
namespace block {

//! What a forward pass computed with: a backward pass uses the cache only with the same.
struct CacheKey
{
    double alphaS = 0, alphaP = 0;
    bool prior = false, pairwise = false;
    int channels = 0, cells = 0, window = 0, dilation = 0;
    bool normalize = false, pairCompatibility = false, gaussianKernel = false;

    CacheKey() {}
    CacheKey(const EscrfBlockParams& p, const Plan& plan, const Mat& F)
        : alphaS(plan.alphaS), alphaP(plan.alphaP), prior(plan.prior), pairwise(plan.pairwise), channels(F.rows),
          cells(F.cols), window(p.window), dilation(p.dilation), normalize(p.normalize),
          pairCompatibility(p.pairCompatibility), gaussianKernel(p.gaussianKernel)
    {
    }
    bool operator==(const CacheKey& o) const
    {
        return alphaS == o.alphaS && alphaP == o.alphaP && prior == o.prior && pairwise == o.pairwise &&
               channels == o.channels && cells == o.cells && window == o.window && dilation == o.dilation &&
               normalize == o.normalize && pairCompatibility == o.pairCompatibility &&
               gaussianKernel == o.gaussianKernel;
    }
};

//! Which driver filled a cache.
enum CacheBackend
{
    CACHE_CPU = 0,   //!< escrfBlockForward (block_driver.cpp)
    CACHE_CUDA = 1   //!< cuda::escrfBlockForward (cuda/block_driver.cu)
};

//! The CPU driver's tensors (pairwise term only; empty otherwise).
struct CpuCacheTensors
{
    Mat Fp;         //!< C x N message
    Mat aux;        //!< the message kernel's per-pair (window: N x 2K) or streaming (dense) state
    Mat eT;         //!< N x 2E embeddings
    Mat u, v, muJ;  //!< compatibility logits (u: pair only) and sigmoid(v) (reference only)
};

//! The CUDA driver's tensors, host copies (pairwise term only; empty otherwise).
struct CudaCacheTensors
{
    Mat Fp;         //!< C x N message
    Mat pairs;      //!< 2K x N kernel weights and compatibilities
    Mat e;          //!< 2E x N embeddings
    Mat u, v, mu;   //!< compatibility logits (u: pair only) and sigmoid(v) (reference only)
};

/** The state of a filled cache for the backward pass of `backend`: throws cv::Exception naming
`be` when the cache is empty, comes from another backend, or from a forward pass with another key. */
const detail::BlockCacheState& cacheFor(const Backend& be, CacheBackend backend, const EscrfBlockCache& cache,
                                      const CacheKey& key);

}}} // namespace cv::escrf::block

namespace cv {
namespace escrf {

struct detail::BlockCacheState
{
    block::CacheBackend backend = block::CACHE_CPU;
    block::CacheKey key;
    block::CpuCacheTensors cpu;     //!< backend == CACHE_CPU
    block::CudaCacheTensors cuda;   //!< backend == CACHE_CUDA
};

}} // namespace cv::escrf

#endif
