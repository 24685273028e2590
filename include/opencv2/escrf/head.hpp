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
2. the ES-CRF block (absent in the baseline variant) refines the D x N features with the
   image and its superpixels;
3. a 1x1 classifier with bias gives K x N logits, which are resized bilinearly to the image.
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
    HEAD_ESCRF      = 3  //!< the full ES-CRF block
};

//! Parses "baseline", "pairwise", "superpixel" or "escrf" (cv::Exception otherwise).
CV_EXPORTS_W int headVariantFromString(const String& name);
//! The name of a HeadVariant.
CV_EXPORTS_W String headVariantToString(int variant);

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
    //! Whether the head needs the guide image and superpixels (every variant but baseline).
    CV_WRAP bool needsGuide() const;
    //! Block options after the variant is applied (alphas zeroed as the variant says).
    CV_WRAP EscrfBlockParams effectiveBlockParams() const;

    /** @brief Forward pass for one image.
    @param inputs backbone outputs named in config().inputs, 1 x C_l x h_l x w_l each.
    @param headSize w x h of the head resolution (the image size / stride).
    @param guide guide of the image at headSize; may be null for the baseline variant.
    @param logits K x (h*w) CV_32F output at head resolution.
    @param cache when not null, filled for backward().
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

    Head() {}
private:
    HeadConfig config_;
    std::vector<int> inputChannels_;
    BackboneDescription backbone_;
    friend class HeadIO;
};

//! @}

}} // namespace cv::escrf

#endif
