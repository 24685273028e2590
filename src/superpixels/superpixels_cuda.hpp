// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Host-side entry points of the superpixel CUDA kernels (src/cuda/label_maps.cu,
// src/cuda/slic_pipeline.cu). Plain OpenCV types only, so that C++ files (and the tests) can
// call them without the CUDA headers.
// Only declared when the module is built with CUDA (HAVE_ESCRF_CUDA).
#ifndef OPENCV_ESCRF_SUPERPIXELS_CUDA_HPP
#define OPENCV_ESCRF_SUPERPIXELS_CUDA_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "core/cuda_device.hpp"
#include "superpixels/superpixels_detail.hpp"

#ifdef HAVE_ESCRF_CUDA

namespace cv {
namespace escrf {
namespace cuda {

//! GPU version of cv::escrf::downsampleLabelsNearest (uploads, runs the kernel, downloads); same checks and result.
CV_EXPORTS void downsampleLabelsNearest(const Mat& labels, Size featureSize, Mat& cellLabels);

//! GPU version of detail::slicAssignCpu; identical labels.
CV_EXPORTS void slicAssign(const Mat& lab, const Mat& centres, const detail::SlicGrid& grid,
                           const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels);

/* The device superpixel pipeline (src/superpixels/slic_pipeline.hpp run on the GPU). Each
function gives exactly the result of its CPU emulation in superpixels_detail.hpp
(detail::emulateGpu*), which the CPU tests compare with the CPU steps and cv functions. */

//! Gaussian blur (blurKernel x blurKernel, sigma 0; 0 or 1 = none) and 8-bit Lab of a CV_8UC3 BGR image.
CV_EXPORTS void blurLab(const Mat& bgr, int blurKernel, Mat& lab);

/** SLIC / SLICO of a CV_8UC3 Lab image, every step on the GPU (assignment, centre update,
SLICO's colour scales, connectivity). labels: CV_32SC1, not yet renumbered. */
CV_EXPORTS void computeSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params);

//! Connectivity enforcement on the GPU: the result of detail::enforceLabelConnectivity; returns M.
CV_EXPORTS int enforceLabelConnectivity(Mat& labels, int minSize);

//! Blur, Lab and SLIC of a CV_8UC3 BGR image on the GPU; labels not yet renumbered.
CV_EXPORTS void computeSuperpixelLabels(const Mat& bgr, Mat& labels, const SuperpixelParams& params);

}}} // namespace cv::escrf::cuda

#endif // HAVE_ESCRF_CUDA
#endif
