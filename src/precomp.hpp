// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Common includes of the module's sources. Only installed OpenCV headers are used
// (no opencv2/core/private.hpp, no cvconfig.h) so that the standalone build works.
#ifndef OPENCV_ESCRF_PRECOMP_HPP
#define OPENCV_ESCRF_PRECOMP_HPP

#include "opencv2/core.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/core/utils/logger.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/escrf.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#endif
