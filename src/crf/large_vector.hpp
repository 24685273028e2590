// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Storage of the per-image arrays of the lattice and of DenseCRF (tens of MB, allocated and
// freed at every call). Memory that large comes fresh from the OS, and touching it costs one
// page fault per 4 KiB page: on the virtual machines this module is benchmarked on that is about
// 12-17 us a page, 25-35 ms for 8 MB, more than the filtering itself (measured: doc/performance.md,
// DenseCRF). On Linux these arrays are therefore aligned to 2 MiB and advised as transparent huge
// pages (MADV_HUGEPAGE; the kernel may ignore it), which makes the first touch ~30x cheaper.
// Elsewhere, and below kHugeThreshold, this is std::allocator.
#ifndef OPENCV_ESCRF_CRF_LARGE_VECTOR_HPP
#define OPENCV_ESCRF_CRF_LARGE_VECTOR_HPP

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cv {
namespace escrf {
namespace detail {

template<class T>
struct HugePageAllocator
{
    typedef T value_type;
    static const size_t kHugePage = (size_t)2 << 20, kHugeThreshold = (size_t)1 << 20;

    HugePageAllocator() = default;
    template<class U> HugePageAllocator(const HugePageAllocator<U>&) {}

    T* allocate(size_t n)
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        const size_t bytes = n * sizeof(T);
        if (bytes >= kHugeThreshold)
        {
            const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
            void* p = std::aligned_alloc(kHugePage, rounded);
            if (!p)
                throw std::bad_alloc();
            madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
            return static_cast<T*>(p);
        }
#endif
        return std::allocator<T>().allocate(n);
    }

    void deallocate(T* p, size_t n)
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (n * sizeof(T) >= kHugeThreshold)
        {
            std::free(p);
            return;
        }
#endif
        std::allocator<T>().deallocate(p, n);
    }

    //! Default-initialises (no zero fill for arithmetic types): every array is written before it
    //! is read, and the kernel already hands out zeroed pages.
    template<class U> void construct(U* p) { ::new ((void*)p) U; }
    template<class U, class... Args> void construct(U* p, Args&&... args) { ::new ((void*)p) U(std::forward<Args>(args)...); }

    template<class U> bool operator==(const HugePageAllocator<U>&) const { return true; }
    template<class U> bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

//! std::vector for per-image arrays (see above); resize() leaves new elements uninitialised.
template<class T> using LargeVector = std::vector<T, HugePageAllocator<T>>;

}}} // namespace cv::escrf::detail

#endif
