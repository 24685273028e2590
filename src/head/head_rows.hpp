// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's CPU stages by rows of cells: the projection (1x1 convolutions, resize, sum, bias,
// ReLU), the classifier and the argmax. Head::forward runs them over the whole head resolution
// and keeps what its backward pass reads; the inference path (head_inference.hpp) runs the same
// functions strip by strip and keeps nothing it does not read again.
#ifndef OPENCV_ESCRF_HEAD_ROWS_HPP
#define OPENCV_ESCRF_HEAD_ROWS_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "head/bilinear.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! A 1 x C x h x w CV_32F blob as a C x (h*w) header, checked (messages name the input).
Mat headInputPlanes(const Mat& blob, int channels, Size& size, const String& name);

/** The guide check of Head::forward / backward (`who` names the caller): what the head's variant
reads at headSize (present when needsGuide(), of that feature size, with its 3 x N image). */
void checkHeadGuide(const Head& head, const EscrfGuide* guide, Size headSize, const char* who);

/** A 1x1 convolution of runs of cells, out[r][x] = sum_c W[r][c] X[c][x] (+ b[r]), CV_32F,
vectorised along x, four output rows per pass over the inputs. The weights are kept broadcast to
whole registers (set once per image: every run of cells reads them). */
class Conv1x1
{
public:
    //! W (R x C) and an optional bias (R values).
    void set(const Mat& W, const Mat& b = Mat());
    /** Cells [0, n): X has C planes (plane c at X + c * xStride), out R planes (plane r at
    out + r * outStride); with accumulate out += W X (no bias then). */
    void cells(const float* X, size_t xStride, int n, float* out, size_t outStride, bool accumulate) const;
    int rows() const { return rows_; }

private:
    int rows_ = 0, cols_ = 0;
    bool hasBias_ = false;
    std::vector<float> wide_;   // (R x C) weights, each repeated over a register's lanes
    std::vector<float> bias_;
};

/** labels[x] = argmax_k scores[k][x] over the K planes of scores (plane k at scores + k * stride),
x in [0, n), ties to the lowest class; labels CV_8U (uchar*) or CV_32S (int*). */
void argmaxCells(const float* scores, size_t stride, int K, int n, int ltype, void* labels);

/** Step 1 of the head (include/opencv2/escrf/head.hpp) by rows of the head resolution:
Z = b + sum_l resize(W_l X_l) and F = ReLU(Z). An input at the head resolution is projected row
by row; an input at another resolution is projected whole at its own resolution first (the
projection commutes with the resize and is cheaper there), then its rows are resized. Without
projection the rows of Z are the resized inputs one after the other, and F = Z. */
class HeadProjection
{
public:
    /** Checks the inputs against the head (messages name the input) and projects those not at headSize.
    The head and the inputs must outlive the calls to rows(). */
    void prepare(const Head& head, const std::vector<Mat>& inputs, Size headSize);

    /** Rows [y0, y1): plane d of Z at Z + d * stride, row y0 at its start; F likewise (F may be Z:
    then only F is written). scratch is the resize's (resizePlaneRows). */
    void rows(int y0, int y1, float* Z, float* F, size_t stride, std::vector<float>& scratch) const;

    //! D, the channels of Z and F.
    int channels() const { return channels_; }
    Size headSize() const { return headSize_; }

private:
    struct Input
    {
        const float* X = nullptr;   // C x n planes at the input's own resolution
        int C = 0;
        Size size;
        Conv1x1 W;                  // D x C (projection)
        Mat P;                      // D x n, W X, when the input is not at the head resolution
        LinearTaps tx{ 1, 1 }, ty{ 1, 1 };
        int row = 0;                // first row of Z (no projection)
    };
    const Head* head_ = nullptr;
    Size headSize_;
    int channels_ = 0;
    std::vector<Input> inputs_;
};

}}} // namespace cv::escrf::detail

#endif
