// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_DNN_HPP
#define OPENCV_ESCRF_DNN_HPP

#include "opencv2/core.hpp"
#include "opencv2/dnn.hpp"

namespace cv {
namespace escrf {

class Head;

/** @defgroup escrf_dnn cv::dnn integration: custom layers and a backbone + head network
@ingroup escrf

registerLayers() adds four layer types to cv::dnn::LayerFactory, so that an ONNX model
exported with them (e.g. from PyTorch) loads with cv::dnn::readNetFromONNX, and so that
createHeadNet() can append a trained Head to a backbone as one cv::dnn::Net.

All of them run on the OpenCV backend (CPU) only: supportBackend() is true only for
cv::dnn::DNN_BACKEND_OPENCV, so with another backend (CUDA, OpenVINO) cv::dnn runs them on
the CPU and the rest of the net on the chosen backend.

### ONNX node "ESCRF" (one ES-CRF block, see @ref escrf_block)

Op type `ESCRF`, in the domain `escrf` (recommended: OpenCV 4.6 prepends a non-standard
domain to the type, giving `escrf.ESCRF`, which is registered too) or the default domain.

| input | shape | content |
| --- | --- | --- |
| F | N x C x h x w, float | features |
| I | N x 3 x H x W, float | guide image, RGB in [0,1], H >= h, W >= w |
| S | N x 1 x H x W, float | superpixel labels, integer values 0..M-1 (M = max + 1 per image) |
| W_img | E x 3 (initializer) | appearance embedding (1x1 conv weights, squeezed) |
| W_pos | E x 2P (initializer) | position embedding, P even |
| w_comp | C (initializer) | reference compatibility; or, with pair_compatibility = 1, three initializers a (C), b (C), c (1) |

Output F* (N x C x h x w). Attributes (all optional): `k` (int, odd window, default 3),
`dilation` (int, 2), `alpha_s` (float, 0.1), `alpha_p` (float, 0.2), `normalize`,
`dense`, `pair_compatibility`, `soft_superpixels`, `gaussian_kernel` (int 0/1, default 0). E and P follow from
the initializer shapes. The images of a batch are independent. The layer computes exactly
escrfBlockForward() after prepareGuide() (bilinear guide, nearest or area-weighted cells).

A PyTorch module exports to it with a custom symbolic, e.g.
@code{.py}
class EscrfFn(torch.autograd.Function):
    @staticmethod
    def symbolic(g, F, I, S, W_img, W_pos, w_comp):
        return g.op("escrf::ESCRF", F, I, S, W_img, W_pos, w_comp,
                    k_i=3, dilation_i=2, alpha_s_f=0.1, alpha_p_f=0.2)
    @staticmethod
    def forward(ctx, F, I, S, W_img, W_pos, w_comp):
        return escrf_block_reference(F, I, S, W_img, W_pos, w_comp)  # the PyTorch block
@endcode
with the weights passed as parameters (they become initializers). tools/make_escrf_onnx.py
writes such a graph with the onnx package directly.

### ONNX nodes "EscrfNonlocal" and "EscrfJointCrf" (the comparison variants' stages)

Op types `EscrfNonlocal` and `EscrfJointCrf` (domain `escrf` or default), the stages of the
HEAD_NONLOCAL and HEAD_JOINT_CRF heads (doc/variants.md), which appendHead() inserts:

| node | inputs | initializers | attributes | output |
| --- | --- | --- | --- | --- |
| `EscrfNonlocal` | F (N x D x h x w) | W_theta, W_phi, W_g (E x D), W_out (D x E) | `factor` (int, 8) | F + up(W_out y), N x D x h x w |
| `EscrfJointCrf` | U (N x K x h x w scores), I (N x 3 x H x W guide image, RGB in [0,1]) | bilateral, spatial (K), compat (K x K) | `iterations` (5), `factor` (1), `bilateral_sxy` (50), `bilateral_srgb` (3), `spatial_sxy` (3), `stride` (1: image pixels per score cell) | the refined scores, N x K x h x w |

They compute exactly the head's stages: the non-local block streamed over tiles (no N x N buffer),
the mean field with the permutohedral lattice built per image. Both are custom layers: a net with
them runs where registerLayers() has registered them (this module), not in other ONNX runtimes.

What is and is not exportable:
- every head variant appends to a backbone with appendHead() / createHeadNet(), and its "scores"
  equal Head::forward followed by the bilinear resize (up to float rounding of the convolutions);
- a joint-crf net runs JointCrfOptions::inferenceIterations steps (the inference setting), as
  Segmenter does; training (the backward passes) stays in the module (HeadTrainer);
- the non-local block could also be written with standard layers (pooling, 1x1 convolutions,
  MatMul, Softmax, Resize), but that materialises the Nc x Nc scores and cv::dnn's average pooling
  does not average partial border blocks as the head does; the mean field has no standard-layer
  form (lattice filtering). Neither is exported that way;
- all custom layers run on the OpenCV backend (CPU), see above.

### ONNX node "EscrfResize"

Op type `EscrfResize` (domain `escrf` or default). Inputs X (N x C x h x w) and R (any
N x ? x H x W tensor, only its spatial size is used); output N x C x (H / stride) x
(W / stride) (integer division), the bilinear resize of X with half-pixel centres, identical
to cv::resize(INTER_LINEAR) on each channel. Attribute `stride` (int, default 1). It lets a
net adapt to any input size (the head resolution follows the image).
@{
*/

/** @brief Registers the layer types "ESCRF", "EscrfResize", "EscrfNonlocal" and "EscrfJointCrf",
each also with the prefix "escrf.", with cv::dnn::LayerFactory.

Call it before cv::dnn::readNet of a model that uses them. Idempotent and thread-safe
(createHeadNet() calls it itself). */
CV_EXPORTS_W void registerLayers();

/** @brief Builds one network: a backbone followed by the head, so that a single
Net::forward("scores") gives the class scores of an image.

The backbone is read with cv::dnn::readNet (it must have a single input); the head is
appended with appendHead() (see there for the layers, inputs and outputs of the result).
For an ONNX model the backbone's input keeps its name (read from the file); other formats
do not let cv::dnn report it, so their input is renamed "image".

Usage:
@code
Ptr<escrf::Head> head = escrf::Head::load("head.yml.gz");
dnn::Net net = escrf::createHeadNet(head->backbone().model, *head);
net.setInput(backboneBlob, "image");     // as the backbone expects it (Backbone::blobFromImage)
net.setInput(dnn::blobFromImage(bgr, 1.0 / 255, Size(), Scalar(), true), "guide");  // RGB in [0,1]
Mat sp; escrf::computeSuperpixels(bgr, sp, head->config().superpixels);
sp.convertTo(sp, CV_32F);
net.setInput(sp.reshape(1, std::vector<int>{1, 1, sp.rows, sp.cols}), "superpixels");
Mat scores = net.forward("scores");       // 1 x K x H x W
@endcode
@param backboneModelPath model file of the backbone the head was trained on.
@param head the trained head; its config().inputs name backbone outputs.
*/
CV_EXPORTS dnn::Net createHeadNet(const String& backboneModelPath, const Head& head);

/** @overload
The form the Python bindings use (cv2.escrf.createHeadNet(path, head)): they hold a Head by Ptr.
An empty head raises cv::Exception. */
CV_EXPORTS_W dnn::Net createHeadNet(const String& backboneModelPath, const Ptr<Head>& head);

/** @brief Appends a head to a loaded single-input backbone network.

Layers added (names prefixed "escrf_head/"), for each head input l (a backbone output named in
head.config().inputs): a 1x1 Convolution with head.projectionWeights[l] (no bias), then an
EscrfResize to the head resolution (image size / config().stride, integer division);
the results are summed (Eltwise), the projection bias is added (Scale layer, bias only) and a
ReLU follows when config().projectionRelu. Without projection the resized inputs are
concatenated instead. Then the variant's stage on the features: an ESCRF layer with
head.blockWeights and head.effectiveBlockParams() (the trained fusion weights when they are
learnable) for the pairwise, superpixel and escrf variants, an EscrfNonlocal layer for nonlocal;
then the 1x1 classifier Convolution with bias, for joint-crf an EscrfJointCrf layer on its
scores, and an EscrfResize to the image size, the output layer "scores".

The network's inputs become, in this order:
- `imageInputName`: the backbone input, preprocessed as the backbone expects (see
  BackboneDescription); only its spatial size H x W is used by the head;
- "guide" (when Head::needsGuide(): the ES-CRF variants and joint-crf; or when the head reads the
  guide as an input): 1 x 3 x H x W float, the same image as RGB in [0,1], e.g.
  cv::dnn::blobFromImage(bgr, 1.0 / 255, Size(), Scalar(), true);
- "superpixels" (when Head::needsSuperpixels(): the ES-CRF variants): 1 x 1 x H x W float holding
  the integer labels 0..M-1 of computeSuperpixels() with head.config().superpixels.

Output "scores": 1 x K x H x W float logits (argmax gives the label map). Equal, up to float
rounding of the convolutions, to Head::forward followed by a bilinear resize to H x W.

@param net a network whose single input (pin 0 of its input layer) is the image; modified.
@param head the head; config().inputs must name outputs of net (layer names).
@param imageInputName the name given to the backbone input.
*/
CV_EXPORTS void appendHead(dnn::Net& net, const Head& head, const String& imageInputName);

/** @brief Names of the graph inputs of an ONNX model that are not initializers, in order.

cv::dnn has no call that lists a network's input names; this reads them from the file.
Throws cv::Exception when the file cannot be read or is not an ONNX model. */
CV_EXPORTS_W std::vector<String> readOnnxInputNames(const String& onnxPath);

//! @}

}} // namespace cv::escrf

#endif
