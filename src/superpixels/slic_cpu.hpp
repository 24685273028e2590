// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Internal interface between the driver of the CPU SLIC (slic_cpu.cpp) and its SIMD
// assignment kernel (slic_cpu_assign.cpp).
#ifndef OPENCV_ESCRF_SLIC_CPU_HPP
#define OPENCV_ESCRF_SLIC_CPU_HPP

#include "opencv2/core.hpp"
#include "superpixels/superpixels_detail.hpp"
#include <memory>
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

/** The SLIC grid of an image in pixels. Band j is grid row j of pixels, rows
[rowStart[j], rowStart[j+1]); its pixels can only take centres of grid rows
firstRow(j)..lastRow(j), i.e. centres firstCentre(j) .. firstCentre(j) + bandCentres(j) - 1. */
struct SlicLayout
{
    int W = 0, H = 0;
    SlicGrid g;
    std::vector<int> colStart;  //!< first column of each grid column, gx + 1 entries (the last is W)
    std::vector<int> rowStart;  //!< first row of each grid row, gy + 1 entries (the last is H)

    SlicLayout(Size imageSize, const SlicGrid& grid);
    int firstRow(int j) const { return std::max(0, j - 1); }
    int lastRow(int j) const { return std::min(g.gy - 1, j + 1); }
    int firstCentre(int j) const { return firstRow(j) * g.gx; }
    int bandCentres(int j) const { return (lastRow(j) - firstRow(j) + 1) * g.gx; }
};

/** The assignment step for the rows of one band at a time, one object per task: setBand()
prepares the band's centres (broadcast for SIMD, once per band and iteration), assignRow()
labels one image row of the band. The result is slicdev::SlicAssign's, bit for bit. */
class SlicRowAssigner
{
public:
    explicit SlicRowAssigner(const SlicLayout& layout);
    ~SlicRowAssigner();
    /** centres: K x 5 floats (L, a, b, x, y); invColor: K floats, or nullptr when every centre's
    colour scale is 1 (SLIC: the product by 1 is exact and skipped). */
    void setBand(int j, const float* centres, const float* invColor, float invSpatial);
    //! Labels (centre indices) of row y of band j from its W Lab pixels; valid until the next call.
    const int* assignRow(const uint8_t* labRow, int y);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}}} // namespace cv::escrf::detail

#endif
