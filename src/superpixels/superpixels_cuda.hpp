// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host-side entry points of the superpixel CUDA kernels (src/cuda/*.cu). Plain OpenCV types
// only, so that C++ files (and the tests) can call them without the CUDA headers.
// Only declared when the module is built with CUDA (HAVE_ESCRF_CUDA).
#ifndef OPENCV_ESCRF_SUPERPIXELS_CUDA_HPP
#define OPENCV_ESCRF_SUPERPIXELS_CUDA_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "superpixels/superpixels_detail.hpp"

#ifdef HAVE_ESCRF_CUDA

namespace cv {
namespace escrf {
namespace cuda {

//! True when the CUDA runtime sees at least one device; false (no exception) without a device or driver.
CV_EXPORTS bool deviceAvailable();

//! GPU version of cv::escrf::downsampleLabelsNearest (uploads, runs the kernel, downloads); same checks and result.
CV_EXPORTS void downsampleLabelsNearest(const Mat& labels, Size featureSize, Mat& cellLabels);

//! GPU version of detail::slicAssignCpu; identical labels.
CV_EXPORTS void slicAssign(const Mat& lab, const Mat& centres, const detail::SlicGrid& grid,
                           const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels);

/** SLIC / SLICO of a CV_8UC3 Lab image: assignment on the GPU, centre update on the CPU,
connectivity enforced on the CPU. labels: CV_32SC1, not yet renumbered. */
CV_EXPORTS void computeSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params);

}}} // namespace cv::escrf::cuda

#endif // HAVE_ESCRF_CUDA
#endif
