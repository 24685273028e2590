// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The module's custom cv::dnn layers (registered by registerLayers()) and helpers they share.
#ifndef OPENCV_ESCRF_DNN_LAYERS_HPP
#define OPENCV_ESCRF_DNN_LAYERS_HPP

#include "opencv2/dnn.hpp"
#include "opencv2/escrf/block.hpp"
#include "block/nonlocal.hpp"
#include "crf/crf_rnn.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Creator of the "ESCRF" layer (one ES-CRF block), for cv::dnn::LayerFactory.
Ptr<dnn::Layer> createEscrfLayer(dnn::LayerParams& params);
/** The "ESCRF" layer of one block: its attributes (window "k", "dilation", the fusion weights in
effect "alpha_s" / "alpha_p", the option flags) and weight blobs (W_img, W_pos, then w_comp, or a,
b, c with pair_compatibility), in the format the layer reads. */
dnn::LayerParams escrfLayerParams(const String& name, const EscrfBlockParams& params,
                                  const EscrfBlockWeights& weights);
//! Creator of the "EscrfResize" layer (bilinear resize to a reference size / stride).
Ptr<dnn::Layer> createEscrfResizeLayer(dnn::LayerParams& params);

//! Creator of the "EscrfNonlocal" layer (the nonlocal variant's block on the features).
Ptr<dnn::Layer> createNonlocalLayer(dnn::LayerParams& params);
/** The "EscrfNonlocal" layer: attribute "factor" (E follows from the blobs), blobs W_theta, W_phi,
W_g (E x D each) and W_out (D x E). Input F (N x D x h x w), output the same shape. */
dnn::LayerParams nonlocalLayerParams(const String& name, const NonlocalParams& params,
                                     const NonlocalWeights& weights);
//! Creator of the "EscrfJointCrf" layer (the joint-crf variant's mean field on the scores).
Ptr<dnn::Layer> createJointCrfLayer(dnn::LayerParams& params);
/** The "EscrfJointCrf" layer: attributes "iterations", "factor", "bilateral_sxy", "bilateral_srgb",
"spatial_sxy" (CrfRnnParams) and "stride" (image pixels per score cell), blobs bilateral, spatial
(1 x K) and compat (K x K). Inputs U (N x K x h x w scores) and I (N x 3 x H x W guide image, RGB
in [0,1]); output the refined scores, shaped like U. */
dnn::LayerParams jointCrfLayerParams(const String& name, const CrfRnnParams& params, const CrfRnnWeights& weights,
                                     int stride);

/** An integer attribute of a layer (@p defaultValue when absent). ONNX gives attributes as 64-bit
integers or doubles: the value must be one integer inside int's range (a real one must be
integral), else a cv::Exception names the layer and the attribute - never a truncated or
undefined conversion. */
int intAttribute(const dnn::LayerParams& params, const char* key, int defaultValue, const String& who);
//! A real attribute (@p defaultValue when absent): one finite value inside float's range.
float realAttribute(const dnn::LayerParams& params, const char* key, float defaultValue, const String& who);

//! Logs once per process that a layer runs on the CPU although a CUDA target was chosen.
void warnCpuFallback(const dnn::Layer& layer);

}}} // namespace cv::escrf::detail

#endif
