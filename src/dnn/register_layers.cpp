// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// registerLayers(): adds the module's layers to cv::dnn::LayerFactory, once per process.
#include "precomp.hpp"
#include "opencv2/escrf/dnn.hpp"
#include "dnn/dnn_layers.hpp"
#include <atomic>

namespace cv {
namespace escrf {

namespace detail {

void warnCpuFallback(const dnn::Layer& layer)
{
    static std::atomic<bool> warned(false);
    const int t = layer.preferableTarget;
    if ((t == dnn::DNN_TARGET_CUDA || t == dnn::DNN_TARGET_CUDA_FP16) && !warned.exchange(true))
        CV_LOG_WARNING(NULL, "escrf: layer '" << layer.name << "' (" << layer.type << ") has no CUDA "
                       "implementation in cv::dnn yet; it runs on the CPU (OpenCV backend)");
}

} // namespace detail

void registerLayers()
{
    // A function-local static is initialised exactly once, even with concurrent callers.
    static const bool registered = []() {
        // OpenCV 4.6's ONNX importer prefixes the type of a node from a non-standard domain
        // with "<domain>." (OPENCV_DNN_CUSTOM_ONNX_TYPE_INCLUDE_DOMAIN_NAME), so both are registered.
        dnn::LayerFactory::registerLayer("ESCRF", detail::createEscrfLayer);
        dnn::LayerFactory::registerLayer("escrf.ESCRF", detail::createEscrfLayer);
        dnn::LayerFactory::registerLayer("EscrfResize", detail::createEscrfResizeLayer);
        dnn::LayerFactory::registerLayer("escrf.EscrfResize", detail::createEscrfResizeLayer);
        dnn::LayerFactory::registerLayer("EscrfNonlocal", detail::createNonlocalLayer);
        dnn::LayerFactory::registerLayer("escrf.EscrfNonlocal", detail::createNonlocalLayer);
        dnn::LayerFactory::registerLayer("EscrfJointCrf", detail::createJointCrfLayer);
        dnn::LayerFactory::registerLayer("escrf.EscrfJointCrf", detail::createJointCrfLayer);
        return true;
    }();
    CV_Assert(registered);
}

}} // namespace cv::escrf
