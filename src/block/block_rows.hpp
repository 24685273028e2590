// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The block's forward pass row by row: F* = F + a_s Fs + a_p Fp for one row of cells at a time,
// from what prepareBlockRows computes once per image (superpixel means, compatibilities, the
// window's score tables). escrfBlockForward runs every row and keeps the message and its pairs
// for the backward pass; the head's inference path (src/head/head_inference.cpp) runs the same
// rows in strips and feeds each finished row to the classifier, keeping nothing.
#ifndef OPENCV_ESCRF_BLOCK_ROWS_HPP
#define OPENCV_ESCRF_BLOCK_ROWS_HPP

#include "block/block_kernels.hpp"
#include "block/block_plan.hpp"

namespace cv {
namespace escrf {
namespace block {

struct CpuCacheTensors;

template <typename T>
struct BlockRows
{
    Size size;
    int C = 0;
    const T* F = nullptr;                   //!< C x N block input (the caller's, must outlive the rows)
    T alphaS = 0, alphaP = 0;
    bool prior = false, pairwise = false;
    Mat means;                              //!< C x M superpixel means of F (prior)
    Mat priorTable;                         //!< C x M means * a_s in T (prior with the hard assignment)
    const int* cellLabels = nullptr;        //!< hard assignment (prior without soft)
    const SoftAssignment* soft = nullptr;   //!< soft assignment (prior with softSuperpixels)
    WindowScores<T> scores;                 //!< the window's factored scores
    Mat u, v, muJ;                          //!< compatibility logits and sigmoid(v) (pairwise)
    WindowInput<T> window;                  //!< the windowed message's inputs (points into the above)
    Mat Fp;                                 //!< C x N message of the dense option (computed whole), else empty

    //! Scratch elements blockForwardRow needs.
    size_t scratchSize() const;
};

/** What the rows of one image read, for F (C x N, continuous) and one set of weights (checked by
 * the caller, see checkInputs). With keep, the tensors of the backward pass are also prepared: the
 * embeddings, the compatibilities, and room for the message and its pairs (filled by the rows). */
template <typename T>
void prepareBlockRows(const EscrfBlockParams& p, const EscrfBlockWeights& w, const GuideView& g, const Mat& F,
                      const Plan& plan, BlockRows<T>& rows, CpuCacheTensors* keep = nullptr);

/** Row y of F* into out (C rows of w cells, channel c at out + c * outStride). With keep (as given
 * to prepareBlockRows) the row's message and pairs are stored there; scratch holds scratchSize(). */
template <typename T>
void blockForwardRow(const BlockRows<T>& rows, int y, T* out, size_t outStride, CpuCacheTensors* keep, T* scratch);

}}} // namespace cv::escrf::block

#endif
