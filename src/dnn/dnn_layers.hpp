// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The module's custom cv::dnn layers (registered by registerLayers()) and helpers they share.
#ifndef OPENCV_ESCRF_DNN_LAYERS_HPP
#define OPENCV_ESCRF_DNN_LAYERS_HPP

#include "opencv2/dnn.hpp"
#include "opencv2/escrf/block.hpp"

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

//! Logs once per process that a layer runs on the CPU although a CUDA target was chosen.
void warnCpuFallback(const dnn::Layer& layer);

}}} // namespace cv::escrf::detail

#endif
