// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Included by the Python bindings (modules/python/bindings collects misc/python/pyopencv_*.hpp of
// every wrapped module). The generator names argument types after their spelling, and
// std::vector<cv::Vec3b> (class colours) has no typedef in cv2.cpp.
#ifdef HAVE_OPENCV_ESCRF
typedef std::vector<cv::Vec3b> vector_Vec3b;
#endif
