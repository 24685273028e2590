// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The "ESCRF" cv::dnn layer: one ES-CRF block on NCHW blobs. It only converts between
// blobs and the block's planar matrices: the math is prepareGuide + escrfBlockForward.
#include "precomp.hpp"
#include "opencv2/escrf/block.hpp"
#include "dnn/dnn_layers.hpp"
#include "block/block_cuda.hpp"
#include "block/block_plan.hpp"
#include "core/cuda_device.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

using dnn::LayerParams;
using dnn::MatShape;

// A 1-D weight blob (ONNX gives C x 1, 1 x C or a 1-D Mat) as a 1 x n CV_32F row.
Mat rowVector(const Mat& blob, int n, const String& layer, const char* what)
{
    if ((int)blob.total() != n)
        CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': blob %s has %d values, expected %d",
                                     layer.c_str(), what, (int)blob.total(), n));
    Mat m;
    blob.reshape(1, 1).convertTo(m, CV_32F);
    return m;
}

// A 2-D weight blob rows x ? (a 1x1 convolution weight rows x cols x 1 x 1 is accepted too).
Mat weightMatrix(const Mat& blob, const String& layer, const char* what)
{
    if (blob.empty() || blob.dims < 2 || blob.size[0] <= 0)
        CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': blob %s is empty or not 2-D", layer.c_str(), what));
    Mat m;
    blob.reshape(1, blob.size[0]).convertTo(m, CV_32F);
    return m;
}

// The layer's boolean attributes: the block options of the same name (the file format of the
// "ESCRF" layer: escrfLayerParams writes them, the layer reads them).
struct FlagAttribute
{
    const char* name;
    bool EscrfBlockParams::*option;
};
const FlagAttribute kFlagAttributes[] = {
    { "normalize", &EscrfBlockParams::normalize },
    { "dense", &EscrfBlockParams::dense },
    { "pair_compatibility", &EscrfBlockParams::pairCompatibility },
    { "soft_superpixels", &EscrfBlockParams::softSuperpixels },
    { "gaussian_kernel", &EscrfBlockParams::gaussianKernel },
};
const char* const kWindowAttribute = "k";
const char* const kDilationAttribute = "dilation";
const char* const kAlphaSAttribute = "alpha_s";
const char* const kAlphaPAttribute = "alpha_p";

// Block options from the attributes (defaults: EscrfBlockParams'); the fusion weights are
// constants at inference.
EscrfBlockParams blockParamsFrom(const LayerParams& lp, const String& who)
{
    const EscrfBlockParams defaults;
    EscrfBlockParams p;
    p.window = intAttribute(lp, kWindowAttribute, defaults.window, who);
    p.dilation = intAttribute(lp, kDilationAttribute, defaults.dilation, who);
    p.alphaS = realAttribute(lp, kAlphaSAttribute, defaults.alphaS, who);
    p.alphaP = realAttribute(lp, kAlphaPAttribute, defaults.alphaP, who);
    for (const FlagAttribute& f : kFlagAttributes)
        p.*f.option = intAttribute(lp, f.name, 0, who) != 0;
    p.learnableFusion = false;
    return p;
}

class EscrfLayer CV_FINAL : public dnn::Layer
{
public:
    explicit EscrfLayer(const LayerParams& lp) : dnn::Layer(lp)
    {
        const String who = "ESCRF layer '" + name + "'";
        params_ = blockParamsFrom(lp, who);
        block::checkWindow(who, kWindowAttribute, params_.window, params_.dilation);

        const size_t expected = params_.pairCompatibility ? 5 : 3;
        if (blobs.size() != expected)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': got %d weight blobs, expected %d (%s)", name.c_str(),
                                         (int)blobs.size(), (int)expected,
                                         params_.pairCompatibility ? "W_img, W_pos, a, b, c with pair_compatibility"
                                                                   : "W_img, W_pos, w_comp"));
        weights_.W_img = weightMatrix(blobs[0], name, "W_img");
        weights_.W_pos = weightMatrix(blobs[1], name, "W_pos");
        const int E = weights_.W_img.rows;
        if (weights_.W_img.cols != 3)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': W_img is %d x %d, expected E x 3", name.c_str(),
                                         E, weights_.W_img.cols));
        if (weights_.W_pos.rows != E || weights_.W_pos.cols <= 0 || weights_.W_pos.cols % 4 != 0)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': W_pos is %d x %d, expected E x 2P = %d x 2P with P "
                                         "even", name.c_str(), weights_.W_pos.rows, weights_.W_pos.cols, E));
        params_.embedDim = E;
        params_.posDim = weights_.W_pos.cols / 2;
        block::checkParams(who, params_, kWindowAttribute);
        if (params_.pairCompatibility)
        {
            channels_ = (int)blobs[2].total();
            weights_.a = rowVector(blobs[2], channels_, name, "a");
            weights_.b = rowVector(blobs[3], channels_, name, "b");
            weights_.c = rowVector(blobs[4], 1, name, "c").at<float>(0);
            weights_.w_comp = Mat::zeros(1, channels_, CV_32F);
        }
        else
        {
            channels_ = (int)blobs[2].total();
            weights_.w_comp = rowVector(blobs[2], channels_, name, "w_comp");
            weights_.a = Mat::zeros(1, channels_, CV_32F);
            weights_.b = Mat::zeros(1, channels_, CV_32F);
        }
        if (channels_ <= 0)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': the compatibility blob is empty", name.c_str()));
        weights_.alphaS = params_.alphaS;
        weights_.alphaP = params_.alphaP;
    }

    bool supportBackend(int backendId) CV_OVERRIDE
    {
        // CPU only for now: a CUDA implementation of the block would plug in here (and in
        // initCUDA) once the module's kernels are wired to cv::dnn's CUDA backend.
        return backendId == dnn::DNN_BACKEND_OPENCV;
    }

    bool getMemoryShapes(const std::vector<MatShape>& inputs, const int /*requiredOutputs*/,
                         std::vector<MatShape>& outputs, std::vector<MatShape>& /*internals*/) const CV_OVERRIDE
    {
        if (inputs.size() != 3)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': got %d inputs, expected 3 (F, I, S)", name.c_str(),
                                         (int)inputs.size()));
        static const char* names[3] = { "F (features)", "I (guide image)", "S (superpixels)" };
        for (int i = 0; i < 3; i++)
            if (inputs[i].size() != 4)
                CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': input %d %s has %d dims, expected 4 (NCHW)",
                                             name.c_str(), i, names[i], (int)inputs[i].size()));
        // Dimensions <= 0 are unknown (dynamic ONNX axes at import time): checked only when known.
        auto known = [](int v) { return v > 0; };
        const MatShape &F = inputs[0], &I = inputs[1], &S = inputs[2];
        if (known(F[1]) && F[1] != channels_)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': input 0 F has %d channels, the weights expect %d",
                                         name.c_str(), F[1], channels_));
        if (known(I[1]) && I[1] != 3)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': input 1 I has %d channels, expected 3 (RGB)",
                                         name.c_str(), I[1]));
        if (known(S[1]) && S[1] != 1)
            CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': input 2 S has %d channels, expected 1", name.c_str(),
                                         S[1]));
        if ((known(I[0]) && known(F[0]) && I[0] != F[0]) || (known(S[0]) && known(F[0]) && S[0] != F[0]))
            CV_Error_(Error::StsBadSize, ("ESCRF layer '%s': batch sizes differ: F %d, I %d, S %d",
                                          name.c_str(), F[0], I[0], S[0]));
        for (int d = 2; d < 4; d++)
        {
            if (known(I[d]) && known(S[d]) && I[d] != S[d])
                CV_Error_(Error::StsBadSize, ("ESCRF layer '%s': input 1 I is %dx%d but input 2 S is %dx%d, "
                                              "expected the same H x W", name.c_str(), I[3], I[2], S[3], S[2]));
            if (known(F[d]) && known(I[d]) && F[d] > I[d])
                CV_Error_(Error::StsBadSize, ("ESCRF layer '%s': input 0 F is %dx%d, larger than the guide image "
                                              "%dx%d", name.c_str(), F[3], F[2], I[3], I[2]));
        }
        outputs.assign(1, F);
        return false; // not in place: F is read while F* is written
    }

    void forward(InputArrayOfArrays inputs_arr, OutputArrayOfArrays outputs_arr,
                 OutputArrayOfArrays internals_arr) CV_OVERRIDE
    {
        if (inputs_arr.depth() == CV_16S) // FP16 targets: let cv::dnn convert to float and back
        {
            forward_fallback(inputs_arr, outputs_arr, internals_arr);
            return;
        }
        const bool gpu = useCuda();
        if (!gpu)
            warnCpuFallback(*this);
        std::vector<Mat> inputs, outputs;
        inputs_arr.getMatVector(inputs);
        outputs_arr.getMatVector(outputs);
        CV_Assert(inputs.size() == 3 && outputs.size() == 1);
        std::vector<MatShape> shapes, outShapes, internals;
        for (const Mat& m : inputs)
        {
            if (m.type() != CV_32F || !m.isContinuous())
                CV_Error_(Error::StsBadArg, ("ESCRF layer '%s': inputs must be continuous CV_32F blobs",
                                             name.c_str()));
            // (not dnn::shape(): OpenCV 4.6's shape_utils.hpp warns under its own -Wsign-compare)
            shapes.push_back(MatShape(m.size.p, m.size.p + m.dims));
        }
        getMemoryShapes(shapes, 1, outShapes, internals); // validates with the actual sizes

        const Mat &F = inputs[0], &I = inputs[1], &S = inputs[2];
        const int batch = F.size[0], C = F.size[1];
        const Size fs(F.size[3], F.size[2]), is(I.size[3], I.size[2]);
        const int N = fs.area(), NI = is.area();
        Mat& out = outputs[0];
        for (int n = 0; n < batch; n++)
        {
            // Guide image: planar R, G, B -> interleaved CV_32FC3, as prepareGuide takes it.
            const float* ip = I.ptr<float>(n);
            std::vector<Mat> planes;
            for (int c = 0; c < 3; c++)
                planes.push_back(Mat(is, CV_32F, (void*)(ip + (size_t)c * NI)));
            Mat rgb;
            merge(planes, rgb);

            Mat labels;
            const int M = labelsFromFloat(Mat(is, CV_32F, (void*)S.ptr<float>(n)), labels);

            EscrfGuide guide;
            prepareGuide(rgb, labels, M, fs, params_, guide, CV_32F);
            Mat Fn(C, N, CV_32F, (void*)F.ptr<float>(n));
            Mat On(C, N, CV_32F, out.ptr<float>(n)), result;
#ifdef HAVE_ESCRF_CUDA
            if (gpu)
                cuda::escrfBlockForward(params_, weights_, guide, Fn, result);
            else
#endif
                escrfBlockForward(params_, weights_, guide, Fn, result);
            CV_Assert(result.size() == On.size() && result.type() == CV_32F);
            result.copyTo(On);
        }
    }

private:
    // The block's own CUDA path when a CUDA target is asked for and a device is there (the dense
    // option is CPU-only); cv::dnn's CUDA backend itself is not used (supportBackend: OpenCV only).
    bool useCuda() const
    {
#ifdef HAVE_ESCRF_CUDA
        const int t = preferableTarget;
        return (t == dnn::DNN_TARGET_CUDA || t == dnn::DNN_TARGET_CUDA_FP16) && !params_.dense &&
               cuda::deviceAvailable();
#else
        return false;
#endif
    }

    // Float superpixel labels -> CV_32S, checking that they are integers >= 0; returns M.
    int labelsFromFloat(const Mat& Sf, Mat& labels) const
    {
        labels.create(Sf.size(), CV_32S);
        int maxLabel = -1;
        for (int y = 0; y < Sf.rows; y++)
        {
            const float* s = Sf.ptr<float>(y);
            int* d = labels.ptr<int>(y);
            for (int x = 0; x < Sf.cols; x++)
            {
                const float v = s[x];
                // 2^24: beyond it float cannot hold every integer, so labels are ambiguous.
                if (!(v >= 0.f && v < 16777216.f) || v != std::floor(v))
                    CV_Error_(Error::StsOutOfRange, ("ESCRF layer '%s': input 2 S (superpixels) holds %g at "
                                                     "(%d, %d), expected integer labels 0..M-1 (< 2^24)",
                                                     name.c_str(), (double)v, x, y));
                d[x] = (int)v;
                maxLabel = std::max(maxLabel, d[x]);
            }
        }
        return maxLabel + 1;
    }

    EscrfBlockParams params_;
    EscrfBlockWeights weights_;
    int channels_ = 0;
};

} // namespace

Ptr<dnn::Layer> createEscrfLayer(dnn::LayerParams& params)
{
    return makePtr<EscrfLayer>(params);
}

dnn::LayerParams escrfLayerParams(const String& name, const EscrfBlockParams& p, const EscrfBlockWeights& w)
{
    LayerParams lp;
    lp.name = name;
    lp.type = "ESCRF";
    lp.set(kWindowAttribute, p.window);
    lp.set(kDilationAttribute, p.dilation);
    // Trained fusion weights live in the block weights, the constant ones in the params.
    const block::Plan plan = block::makePlan(p, w);
    lp.set(kAlphaSAttribute, plan.alphaS);
    lp.set(kAlphaPAttribute, plan.alphaP);
    for (const FlagAttribute& f : kFlagAttributes)
        lp.set(f.name, (int)(p.*f.option));
    // The blob order the layer reads (see EscrfLayer's constructor).
    lp.blobs.push_back(w.W_img.clone());
    lp.blobs.push_back(w.W_pos.clone());
    if (p.pairCompatibility)
    {
        lp.blobs.push_back(w.a.clone());
        lp.blobs.push_back(w.b.clone());
        lp.blobs.push_back(Mat(1, 1, CV_32F, Scalar(w.c)));
    }
    else
        lp.blobs.push_back(w.w_comp.clone());
    return lp;
}

}}} // namespace cv::escrf::detail
