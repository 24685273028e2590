// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// registerLayers(): adds the module's layers to cv::dnn::LayerFactory, once per process.
#include "precomp.hpp"
#include "opencv2/escrf/dnn.hpp"
#include "dnn/dnn_layers.hpp"
#include <atomic>
#include <cfloat>
#include <climits>
#include <cmath>

namespace cv {
namespace escrf {

namespace detail {

namespace {

// The attribute's one number as a double (ints up to 2^53 are exact, larger ones are out of range
// anyway); a string, a list or an empty value is refused.
double singleNumber(const dnn::LayerParams& params, const char* key, const String& who, const char* expected)
{
    const dnn::DictValue& v = params.get(key);
    if (v.size() != 1 || !(v.isInt() || v.isReal()))
        CV_Error_(Error::StsBadArg, ("%s: attribute '%s' must be %s", who.c_str(), key, expected));
    return v.isInt() ? (double)v.get<int64>() : v.get<double>();
}

} // namespace

int intAttribute(const dnn::LayerParams& params, const char* key, int defaultValue, const String& who)
{
    if (!params.has(key))
        return defaultValue;
    const double x = singleNumber(params, key, who, "one integer");
    if (!(x >= INT_MIN && x <= INT_MAX) || x != std::floor(x))
        CV_Error_(Error::StsBadArg, ("%s: attribute '%s' = %g, expected an integer in [%d, %d]", who.c_str(), key,
                                     x, INT_MIN, INT_MAX));
    return (int)x;
}

float realAttribute(const dnn::LayerParams& params, const char* key, float defaultValue, const String& who)
{
    if (!params.has(key))
        return defaultValue;
    const double x = singleNumber(params, key, who, "one number");
    if (!(std::fabs(x) <= FLT_MAX))
        CV_Error_(Error::StsBadArg, ("%s: attribute '%s' = %g, expected a finite float", who.c_str(), key, x));
    return (float)x;
}

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
