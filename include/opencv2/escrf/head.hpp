// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_HEAD_HPP
#define OPENCV_ESCRF_HEAD_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/block.hpp"
#include "opencv2/escrf/superpixels.hpp"
#include "opencv2/escrf/backbone.hpp"

namespace cv {
namespace escrf {

/** @defgroup escrf_head The segmentation head
@ingroup escrf

A head turns backbone outputs into class scores:

1. each chosen backbone output l (C_l x h_l x w_l) is projected by a 1x1 convolution
   (D x C_l) at its own resolution - a 1x1 projection commutes with bilinear resizing, so
   this is cheaper than resizing first - and resized bilinearly to the head resolution
   (the image size divided by HeadConfig::stride); the projections are summed with a bias
   and passed through a ReLU. Without projection (HeadConfig::projection == 0) the resized
   outputs are concatenated instead;
2. the variant's stage on the features: the ES-CRF block (pairwise, superpixel, escrf) refines
   the D x N features with the image and its superpixels, the non-local block (nonlocal) with
   self-attention over all cells; the baseline and joint-crf variants have none;
3. a 1x1 classifier with bias gives K x N logits;
4. the joint-crf variant refines the logits with mean-field CRF steps guided by the image.

The logits are resized bilinearly to the image by the caller (Segmenter, trainer).
@{
*/

/** @brief Name of the head input that is the image itself rather than a backbone output: the
guide image (RGB in [0,1], 1 x 3 x H x W) at full resolution. Listing it in HeadConfig::inputs
lets the head's projection see full-resolution colour next to the backbone features. */
#define ESCRF_HEAD_INPUT_GUIDE "guide"

//! The paper's comparisons, as head variants on the same features and solver.
enum HeadVariant
{
    HEAD_BASELINE   = 0, //!< classifier on the projected features, no block
    HEAD_PAIRWISE   = 1, //!< ES-CRF block with a_s = 0 (image-guided pairwise message only)
    HEAD_SUPERPIXEL = 2, //!< ES-CRF block with a_p = 0 (superpixel prior only)
    HEAD_ESCRF      = 3, //!< the full ES-CRF block
    /** mean-field CRF steps on the classifier's scores, trained with the head (CRF-as-RNN, Zheng
    et al. 2015): bilateral and spatial Gaussian kernels with learned per-class weights and a learned
    label compatibility (HeadConfig::jointCrf) */
    HEAD_JOINT_CRF  = 4,
    /** embedded-Gaussian self-attention over all cells of the projected features (non-local block,
    Wang et al. 2018), with a residual (HeadConfig::nonlocal) */
    HEAD_NONLOCAL   = 5
};

//! Parses "baseline", "pairwise", "superpixel", "escrf", "joint-crf" or "nonlocal" (cv::Exception otherwise).
CV_EXPORTS_W int headVariantFromString(const String& name);
//! The name of a HeadVariant (cv::Exception for a value outside the enum).
CV_EXPORTS_W String headVariantToString(int variant);

/** @brief Options of the joint-crf variant (HEAD_JOINT_CRF): T mean-field steps of a fully connected
CRF on the K x N logits (doc/variants.md). The steps run on a grid `factor` times coarser than the
head's (box means of the scores and colours) and their change of the scores is interpolated back
and added to the logits. The kernel widths are fixed; the per-class kernel weights and the K x K
label compatibility are trained (initialised to DenseCrfParams' weights and Potts). */
struct CV_EXPORTS_W_SIMPLE JointCrfOptions
{
    CV_WRAP JointCrfOptions();

    CV_PROP_RW int iterations;          //!< T in training (Head::forward with a cache), >= 0 (default 5)
    /** T at inference (Head::forward without a cache: Segmenter, validation), >= 0; -1 (the default)
    means `iterations` */
    CV_PROP_RW int inferenceIterations;
    CV_PROP_RW int factor;              //!< mean-field grid = head grid / factor, >= 1 (default 4)
    CV_PROP_RW float bilateralSxy;      //!< bilateral kernel: position std, image pixels (default 50)
    CV_PROP_RW float bilateralSrgb;     //!< bilateral kernel: colour std, 8-bit levels (default 3)
    CV_PROP_RW float spatialSxy;        //!< spatial kernel: position std, image pixels (default 3)
};

/** @brief Options of the nonlocal variant (HEAD_NONLOCAL): y = softmax(theta^T phi) g over all cells
of a grid `factor` times coarser than the head's, out = F + up(W_out y) (doc/variants.md). */
struct CV_EXPORTS_W_SIMPLE NonlocalOptions
{
    CV_WRAP NonlocalOptions();

    CV_PROP_RW int embedDim;   //!< E, channels of the theta / phi / g embeddings, >= 1 (default 8)
    CV_PROP_RW int factor;     //!< attention grid = head grid / factor, >= 1 (default 8)
};

//! Architecture of a head (what the head file stores besides the weights).
struct CV_EXPORTS_W_SIMPLE HeadConfig
{
    CV_WRAP HeadConfig();

    CV_PROP_RW int variant;                  //!< HeadVariant (default HEAD_ESCRF)
    CV_PROP_RW std::vector<String> inputs;   //!< backbone outputs the head reads, in order (or ESCRF_HEAD_INPUT_GUIDE)
    CV_PROP_RW int stride;                   //!< head resolution = image size / stride (default 1)
    CV_PROP_RW int projection;               //!< D, output channels of the 1x1 projection (default 16); 0 = none
    CV_PROP_RW bool projectionRelu;          //!< ReLU after the projection (default true)
    CV_PROP_RW int numClasses;               //!< K
    CV_PROP_RW EscrfBlockParams block;       //!< block options (the variant overrides the alphas)
    CV_PROP_RW SuperpixelParams superpixels; //!< superpixels of the guide image
    CV_PROP_RW JointCrfOptions jointCrf;     //!< options of HEAD_JOINT_CRF (unused by the others)
    CV_PROP_RW NonlocalOptions nonlocal;     //!< options of HEAD_NONLOCAL (unused by the others)
};

/** @brief Tensors a head forward pass keeps for its backward pass (opaque). Head::forward and the
GPU runner keep the same host tensors; the block's part belongs to the block backend that filled
it (see EscrfBlockCache). */
class CV_EXPORTS HeadCache : public detail::OpaqueState<detail::HeadCacheState>
{
};

/** @brief A segmentation head: configuration, weights, and the backbone it was trained on.

Inputs and outputs of forward() are single-image planar tensors: a backbone output is a
4-D blob 1 x C x h x w (as cv::dnn gives it) and the logits are K x (h*w) CV_32F at head
resolution. The weights are CV_32F.
*/
class CV_EXPORTS_W Head
{
public:
    /** @brief Creates a head with freshly initialised weights.
    @param config architecture.
    @param inputChannels channels of each backbone output named in config.inputs.
    @param seed seed of the initialisation (Kaiming-uniform 1x1 convolutions).
    */
    CV_WRAP static Ptr<Head> create(const HeadConfig& config, const std::vector<int>& inputChannels,
                                    uint64 seed = 0x5eed);

    /** @brief Loads a head file written by save().
    Truncated, corrupt, wrong-version or inconsistent files raise cv::Exception naming the file,
    never anything else: the file is read only when it is a regular file of at most 128 MB in the
    YAML that save() writes, a file that ends with a checksum line (every file save() writes)
    must match it, and the configuration must be within the module's limits (window <= 31,
    dilation <= 64, embedDim and posDim <= 1024, stride <= 32, projection <= 4096, classes <=
    1024, <= 16 inputs of <= 65536 channels, 2^24 parameters; doc/reliability.md) with every
    weight tensor of the declared shape, before anything is allocated. Head files written before
    checksums (version 1, e.g. older heads) still load. */
    CV_WRAP static Ptr<Head> load(const String& filename);

    /** @brief Writes the head (config, weights, backbone description) atomically:
    a temporary file in the same folder, then a rename. The file ends with a checksum line over
    its bytes (a YAML comment), which load() verifies. A symbolic link is written through (its
    target is replaced, the link stays); a path that is not a regular file (a folder, a device
    such as /dev/full, a fifo) is refused with a cv::Exception and left alone. */
    CV_WRAP void save(const String& filename) const;

    CV_WRAP const HeadConfig& config() const { return config_; }
    //! Backbone the head was trained on (its model path may be overridden by the user).
    CV_WRAP const BackboneDescription& backbone() const { return backbone_; }
    //! Replaces the backbone description stored with the head (written by save()).
    CV_WRAP void setBackbone(const BackboneDescription& desc) { backbone_ = desc; }
    //! Channels of each input.
    CV_WRAP const std::vector<int>& inputChannels() const { return inputChannels_; }
    //! Feature channels entering the block and the classifier.
    CV_WRAP int featureChannels() const;
    /** @brief Whether forward() needs a guide: the ES-CRF variants (image, positions and superpixels)
    and joint-crf (EscrfGuide::featureSize and ::image only, see needsSuperpixels()). */
    CV_WRAP bool needsGuide() const;
    //! Whether the guide needs superpixels (the ES-CRF block variants only).
    CV_WRAP bool needsSuperpixels() const;
    //! Block options after the variant is applied (alphas zeroed as the variant says).
    CV_WRAP EscrfBlockParams effectiveBlockParams() const;

    /** @brief Forward pass for one image.
    @param inputs backbone outputs named in config().inputs, 1 x C_l x h_l x w_l each.
    @param headSize w x h of the head resolution (the image size / stride).
    @param guide guide of the image at headSize (prepareGuide); may be null when !needsGuide(). A
    joint-crf head reads only its featureSize and image, and takes the image to be headSize * stride
    pixels (the positions of its kernels).
    @param logits K x (h*w) CV_32F output at head resolution.
    @param cache when not null, filled for backward(). A joint-crf head runs
    config().jointCrf.iterations mean-field steps when a cache is asked for (training) and
    inferenceIterations otherwise.
    */
    void forward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                 Mat& logits, HeadCache* cache = nullptr) const;

    /** @brief Backward pass: ADDS the gradients of sum(logits .* dLogits) with respect to
    the parameters to grads (same layout as parameters()). The backbone is frozen, so no
    input gradients are returned. */
    void backward(const std::vector<Mat>& inputs, Size headSize, const EscrfGuide* guide,
                  const HeadCache& cache, const Mat& dLogits, std::vector<Mat>& grads) const;

    /** @brief The trainable parameters, as Mat headers sharing the head's storage, with names.
    Fusion weights appear only with block.learnableFusion, and only for the terms the variant
    keeps (configured non-zero); parameters of parts the variant does not use are absent. */
    std::vector<Mat> parameters();
    std::vector<String> parameterNames() const;
    //! Zero tensors shaped like parameters().
    std::vector<Mat> zeroGradients() const;

    //! Per-input projection (D x C_l) and shared bias (D x 1); empty when config().projection == 0.
    CV_PROP_RW std::vector<Mat> projectionWeights;
    CV_PROP_RW Mat projectionBias;
    //! Block weights (unused by the baseline variant).
    EscrfBlockWeights blockWeights;
    //! Classifier K x D and bias K x 1.
    CV_PROP_RW Mat classifierWeights, classifierBias;
    /** joint-crf weights (HEAD_JOINT_CRF only): per-class weights of the bilateral and the spatial
    message (1 x K each) and the label compatibility mu(l, l') (K x K). */
    CV_PROP_RW Mat crfBilateral, crfSpatial, crfCompat;
    //! nonlocal weights (HEAD_NONLOCAL only): theta, phi, g embeddings (E x D each) and output W_out (D x E).
    CV_PROP_RW Mat nonlocalTheta, nonlocalPhi, nonlocalG, nonlocalOut;

    /** @brief Sets the joint-crf's inference steps (JointCrfOptions::inferenceIterations, >= 0, or -1
    for the training value): what Segmenter and validation run; saved with the head. */
    CV_WRAP void setJointCrfInferenceIterations(int iterations);

    Head() {}
private:
    HeadConfig config_;
    std::vector<int> inputChannels_;
    BackboneDescription backbone_;
    friend class HeadIO;
};

/** @brief What a head's pairwise stage does at one pixel (the ES-CRF paper's Fig. 4): the weights
the pixel's cell gives its neighbours, from the head's own block math (explainHeadKernel). */
struct CV_EXPORTS HeadKernelMaps
{
    Size mapSize;       //!< w x h of the maps: the head's grid (ES-CRF block) or the attention grid (nonlocal)
    int cellSize = 1;   //!< image pixels per map cell along each axis: stride, or stride * factor (nonlocal)
    Point cell;         //!< the map cell that holds the pixel
    /** h x w CV_64F maps, NaN outside the cell's neighbourhood G(i) (the window, or every cell when
    dense). For the ES-CRF block: `appearance` and `position` are the kernel the message would use
    with only the appearance half (W_img, colour) or only the position half (W_pos) of the score,
    normalised as the head's options say (softmax over G(i), exp, or the raw score); `weight` is the
    final pairwise weight psi(i, j) = mu(i, j) K(i, j) of the message. For nonlocal, `weight` is the
    attention softmax_j(theta_i . phi_j) over all cells and the other two are empty. */
    Mat appearance, position, weight;
};

/** @brief Explains the pairwise stage of a head at one pixel of an image.

The image is processed as Segmenter does (padded to the backbone's size multiple and the stride,
backbone outputs, superpixels with the head's SuperpixelParams); the maps come from the same
functions as Head::forward (the block's embeddings, compatibility and kernel normalisation; the
non-local block's embeddings and softmax).
@param head a pairwise, escrf or nonlocal head (cv::Exception naming the variant for a head without a
pairwise kernel: baseline, superpixel, joint-crf)
@param backbone the backbone the head reads (Backbone::create of its description)
@param image CV_8UC3 BGR image
@param pixel (x, y) inside the image (cv::Exception otherwise)
@param maps output
*/
CV_EXPORTS void explainHeadKernel(const Head& head, Backbone& backbone, InputArray image, Point pixel,
                                  HeadKernelMaps& maps);

//! @}

}} // namespace cv::escrf

#endif
