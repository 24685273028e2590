// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The "EscrfResize" cv::dnn layer: bilinear resize (half-pixel centres, = cv::resize
// INTER_LINEAR) of input 0 to the spatial size of input 1 divided by "stride". Taking the
// size from a tensor of the net, rather than from an attribute, lets one net serve any
// image size; the resize itself is the head's own detail::resizeBilinear.
#include "precomp.hpp"
#include "dnn/dnn_layers.hpp"
#include "head/bilinear.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

using dnn::MatShape;

class EscrfResizeLayer CV_FINAL : public dnn::Layer
{
public:
    explicit EscrfResizeLayer(const dnn::LayerParams& lp) : dnn::Layer(lp)
    {
        stride_ = intAttribute(lp, "stride", 1, "EscrfResize layer '" + name + "'");
        if (stride_ < 1)
            CV_Error_(Error::StsBadArg, ("EscrfResize layer '%s': stride = %d, expected >= 1", name.c_str(), stride_));
        if (!blobs.empty())
            CV_Error_(Error::StsBadArg, ("EscrfResize layer '%s': got %d weight blobs, expected none",
                                         name.c_str(), (int)blobs.size()));
    }

    bool supportBackend(int backendId) CV_OVERRIDE
    {
        // CPU only for now (see the ESCRF layer).
        return backendId == dnn::DNN_BACKEND_OPENCV;
    }

    bool getMemoryShapes(const std::vector<MatShape>& inputs, const int /*requiredOutputs*/,
                         std::vector<MatShape>& outputs, std::vector<MatShape>& /*internals*/) const CV_OVERRIDE
    {
        if (inputs.size() != 2)
            CV_Error_(Error::StsBadArg, ("EscrfResize layer '%s': got %d inputs, expected 2 (X, size reference)",
                                         name.c_str(), (int)inputs.size()));
        for (int i = 0; i < 2; i++)
            if (inputs[i].size() != 4)
                CV_Error_(Error::StsBadArg, ("EscrfResize layer '%s': input %d has %d dims, expected 4 (NCHW)",
                                             name.c_str(), i, (int)inputs[i].size()));
        MatShape out = inputs[0];
        for (int d = 2; d < 4; d++)
        {
            const int ref = inputs[1][d];
            // A dimension <= 0 is unknown (dynamic ONNX axis at import time): kept unknown.
            if (ref > 0 && ref / stride_ < 1)
                CV_Error_(Error::StsBadSize, ("EscrfResize layer '%s': input 1 is %dx%d, smaller than stride %d",
                                              name.c_str(), inputs[1][3], inputs[1][2], stride_));
            out[d] = ref > 0 ? ref / stride_ : ref;
        }
        outputs.assign(1, out);
        return false;
    }

    void forward(InputArrayOfArrays inputs_arr, OutputArrayOfArrays outputs_arr,
                 OutputArrayOfArrays internals_arr) CV_OVERRIDE
    {
        if (inputs_arr.depth() == CV_16S)
        {
            forward_fallback(inputs_arr, outputs_arr, internals_arr);
            return;
        }
        warnCpuFallback(*this);
        std::vector<Mat> inputs, outputs;
        inputs_arr.getMatVector(inputs);
        outputs_arr.getMatVector(outputs);
        CV_Assert(inputs.size() == 2 && outputs.size() == 1);
        const Mat& X = inputs[0];
        if (X.type() != CV_32F || !X.isContinuous() || X.dims != 4)
            CV_Error_(Error::StsBadArg, ("EscrfResize layer '%s': input 0 must be a continuous 4-D CV_32F blob",
                                         name.c_str()));
        Mat& out = outputs[0];
        const int batch = X.size[0], C = X.size[1];
        const Size src(X.size[3], X.size[2]), dst(out.size[3], out.size[2]);
        CV_Assert(out.size[0] == batch && out.size[1] == C && out.isContinuous());
        for (int n = 0; n < batch; n++)
        {
            Mat Xn(C, src.area(), CV_32F, (void*)X.ptr<float>(n));
            Mat On(C, dst.area(), CV_32F, out.ptr<float>(n));
            // resizeBilinear may reallocate its output; writing through a header keeps it in place.
            Mat result;
            resizeBilinear(Xn, src, dst, result);
            result.copyTo(On);
        }
    }

private:
    int stride_ = 1;
};

} // namespace

Ptr<dnn::Layer> createEscrfResizeLayer(dnn::LayerParams& params)
{
    return makePtr<EscrfResizeLayer>(params);
}

}}} // namespace cv::escrf::detail
