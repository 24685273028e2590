// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// A coarser grid of a head map, for the head stages that run at a reduced internal resolution
// (the joint-crf mean field, the non-local block): box means on the way down, bilinear
// interpolation on the way back, and the adjoints of both for the backward pass.
#ifndef OPENCV_ESCRF_HEAD_COARSE_GRID_HPP
#define OPENCV_ESCRF_HEAD_COARSE_GRID_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** The grid `factor` times coarser than a fine map of `fine` cells: ceil(w / factor) x
 * ceil(h / factor) cells. Coarse cell (X, Y) is the mean of the fine cells
 * [X f, X f + f) x [Y f, Y f + f) clipped to the map (the last row and column of blocks may be
 * partial); the way back is bilinear with half-pixel centres (detail::resizeBilinear), so a fine
 * cell reads the coarse cells around it. Maps are planar, C x (cells), CV_32F or CV_64F. With
 * factor 1 every operation is the identity and shares its input's data. */
class CoarseGrid
{
public:
    /** @param fine the fine map's size (not empty)
     * @param factor the reduction, >= 1 (cv::Exception naming it otherwise) */
    CoarseGrid(Size fine, int factor);

    Size fine() const { return fine_; }
    Size coarse() const { return coarse_; }
    int factor() const { return factor_; }

    //! Y (C x coarse cells) = box means of X (C x fine cells).
    void pool(const Mat& X, Mat& Y) const;
    //! dX (C x fine cells) = adjoint of pool applied to dY: each fine cell gets dY of its block / block size.
    void poolAdjoint(const Mat& dY, Mat& dX) const;
    //! X (C x fine cells) = bilinear interpolation of Y (C x coarse cells).
    void upsample(const Mat& Y, Mat& X) const;
    //! dY (C x coarse cells) = adjoint of upsample applied to dX.
    void upsampleAdjoint(const Mat& dX, Mat& dY) const;

    /** Image-pixel coordinates of the centre of coarse cell (X, Y) for an image of imageSize
     * pixels that the fine map covers: (X + 0.5) W / w_coarse - 0.5 (the convention of
     * cv::resize, so that a cell's position agrees with the bilinear way back). */
    Point2d cellCentre(int X, int Y, Size imageSize) const;

private:
    Size fine_, coarse_;
    int factor_;
};

}}} // namespace cv::escrf::detail

#endif
