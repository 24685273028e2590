// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The joint-crf stage (the spec's `joint-crf` variant): T mean-field steps of a fully connected
// CRF on a head's class scores as trainable layers (CRF-as-RNN, Zheng et al. 2015), forward and
// backward. Design, choices and costs: doc/variants.md.
#ifndef OPENCV_ESCRF_CRF_CRF_RNN_HPP
#define OPENCV_ESCRF_CRF_CRF_RNN_HPP

#include "opencv2/core.hpp"
#include "crf/gaussian_filters.hpp"
#include "head/coarse_grid.hpp"
#include <memory>

namespace cv {
namespace escrf {
namespace detail {

/** Fixed settings of the joint-crf stage (what is not learned). The kernel widths are those of
 * DenseCrfParams (the module's DenseCRF tuned on CamVid), in image pixels and 8-bit colour
 * levels, so that they mean the same at every head resolution and internal factor. */
struct CrfRnnParams
{
    int iterations = 5;          //!< T, mean-field steps (>= 0; 0 returns the scores unchanged)
    int factor = 1;              //!< mean field on a grid this many times coarser than the head's (>= 1)
    float bilateralSxy = 50.f;   //!< bilateral kernel: position standard deviation, image pixels (> 0)
    float bilateralSrgb = 3.f;   //!< bilateral kernel: colour standard deviation, 8-bit levels (> 0)
    float spatialSxy = 3.f;      //!< spatial kernel: position standard deviation, image pixels (> 0)
    /** Brute-force Gaussian sums for the bilateral kernel instead of the permutohedral lattice:
     * exact, any depth, O(N^2) per step; for tests and maps of a few thousand cells. */
    bool exactBilateral = false;
};

/** Checks params (cv::Exception "fn: what.field = value, expected ..." otherwise): the one check of
 * the stage's settings, also made by Head::create for HeadConfig::jointCrf. */
void checkCrfRnnParams(const char* fn, const char* what, const CrfRnnParams& params);

/** Learned parameters for K classes, of the depth of the scores. Initialised (create()) to the
 * module's DenseCRF: per-class kernel weights DenseCrfParams::bilateralWeight and
 * ::gaussianWeight, Potts compatibility. */
struct CrfRnnWeights
{
    Mat bilateral;   //!< 1 x K, w_b(l'): weight of the bilateral message of label l'
    Mat spatial;     //!< 1 x K, w_s(l'): weight of the spatial message of label l'
    Mat compat;      //!< K x K, mu(l, l'): label compatibility (Potts: 1 - identity)

    static CrfRnnWeights create(int numClasses, int depth = CV_32F);
    //! Zero tensors of the same shapes and depth (for gradients).
    CrfRnnWeights zerosLike() const;
};

/** The image side of the stage for one image: the two kernels over the cells of the mean-field
 * grid and their per-cell normalisations, built once and used by every step of the forward and
 * backward passes (a lattice build is the expensive part).
 *
 * The bilateral kernel's features are (x / bilateralSxy, y / bilateralSxy, 255 c / bilateralSrgb)
 * for the cell centre (x, y) in image pixels (CoarseGrid::cellCentre) and the cell's mean colour
 * c (three planes in [0, 1], any fixed channel order); the spatial kernel is the separable
 * Gaussian of the positions (makeGridGaussianFilter), exact and symmetric. */
class CrfRnnGuide
{
public:
    /** @param params kernel widths, internal factor, bilateral filter kind
     * @param colour 3 x N CV_32F colour planes in [0, 1] at the head's resolution (N = grid.area()),
     * e.g. EscrfGuide::image
     * @param grid the head's map size (the size of the scores)
     * @param imageSize the image the head map covers, in pixels (positions are in image pixels)
     * @param depth CV_32F, or CV_64F with params.exactBilateral (the lattice filters floats) */
    CrfRnnGuide(const CrfRnnParams& params, const Mat& colour, Size grid, Size imageSize, int depth = CV_32F);

    const CoarseGrid& grid() const { return grid_; }
    int depth() const { return depth_; }
    //! Whether the backward pass is the exact gradient of the forward one (see makeLatticeGaussianFilter).
    bool exactAdjoint() const { return bilateral_->exactAdjoint() && spatial_->exactAdjoint(); }

    /** Messages of one kernel (0 bilateral, 1 spatial) for the marginals Q (Nc x K, one row per
     * cell of the mean-field grid): M_i = (sum_{j != i} k(i, j) Q_j) / sum_j k(i, j), the pixel
     * itself left out of its message but counted in the normalisation (as denseCrf). */
    void message(int kernel, const Mat& Q, Mat& M) const;
    //! The adjoint of message(): the gradient of Q for the gradient gM of M.
    void messageAdjoint(int kernel, const Mat& gM, Mat& gQ) const;

private:
    CoarseGrid grid_;
    int depth_;
    std::unique_ptr<GaussianFilter> bilateral_, spatial_;
    Mat invNorm_[2];   // Nc x 1: 1 / sum_j k(i, j) per kernel
};

/** What crfRnnForward keeps for crfRnnBackward: what it computed with (checked by the backward
 * pass) and, per mean-field step, the marginals and both messages (3 T Nc K values). */
struct CrfRnnCache
{
    //! The settings of the forward pass; a backward pass uses the cache only with the same.
    struct Key
    {
        int iterations = -1, classes = 0, cells = 0, factor = 0;   // cells: of the mean-field grid

        Key() {}
        Key(const CrfRnnParams& params, int classes, const CrfRnnGuide& guide);
        bool operator==(const Key& o) const
        {
            return iterations == o.iterations && classes == o.classes && cells == o.cells && factor == o.factor;
        }
    };
    //! One step t = 1..T: Q = softmax(z_{t-1}) and its bilateral and spatial messages, Nc x K each.
    struct Step
    {
        Mat Q, Mb, Ms;
    };

    Key key;
    std::vector<Step> steps;

    //! True until crfRnnForward fills it.
    bool empty() const { return key.iterations < 0; }
};

/** Forward pass: out = U + up(z_T - pool(U)), where z_0 = pool(U) and, for t = 1..T,
 *
 *     Q = softmax over labels of z_{t-1},  a_i(l') = w_b(l') Mb_i(l') + w_s(l') Ms_i(l'),
 *     z_t,i(l) = pool(U)_i(l) - sum_l' mu(l, l') a_i(l')
 *
 * with Mb, Ms the kernels' messages of Q (CrfRnnGuide::message); pool/up are the guide's
 * CoarseGrid (with factor 1 both are the identity and out = z_T: CRF-as-RNN's output logits).
 * @param U K x N class scores (logits) at the head's resolution, of the guide's depth
 * @param out K x N refined scores
 * @param cache when given, filled for crfRnnBackward (Q and the messages of every step). */
void crfRnnForward(const CrfRnnParams& params, const CrfRnnWeights& weights, const CrfRnnGuide& guide,
                   const Mat& U, Mat& out, CrfRnnCache* cache = nullptr);

/** Backward pass for the gradient dOut (K x N) of out: dU (written) and the weight gradients
 * (added to grads, which must have the weights' shapes: CrfRnnWeights::zerosLike). The guide,
 * params and weights must be those of the forward pass that filled cache. */
void crfRnnBackward(const CrfRnnParams& params, const CrfRnnWeights& weights, const CrfRnnGuide& guide,
                    const CrfRnnCache& cache, const Mat& dOut, Mat& dU, CrfRnnWeights& grads);

}}} // namespace cv::escrf::detail

#endif
