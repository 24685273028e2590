// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The cv::dnn layers of the comparison variants' stages: "EscrfNonlocal" (the non-local block on
// the features) and "EscrfJointCrf" (the joint-crf's mean-field steps on the class scores). Like
// the ESCRF layer they only convert between NCHW blobs and planar matrices: the math is
// detail::nonlocalForward and detail::crfRnnForward, streamed as in the head (no N x N buffer).
#include "precomp.hpp"
#include "dnn/dnn_layers.hpp"
#include "opencv2/dnn/shape_utils.hpp"
#include "block/block_guide.hpp"
#include "block/nonlocal.hpp"
#include "crf/crf_rnn.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

using dnn::LayerParams;
using dnn::MatShape;

// The layers' attributes, one table per layer: name, member of the stage's settings.
struct IntAttribute
{
    const char* name;
    int CrfRnnParams::*crf;
    int NonlocalParams::*nonlocal;
};
struct RealAttribute
{
    const char* name;
    float CrfRnnParams::*crf;
};
const IntAttribute kNonlocalInts[] = { { "factor", nullptr, &NonlocalParams::factor } };
const IntAttribute kJointCrfInts[] = { { "iterations", &CrfRnnParams::iterations, nullptr },
                                       { "factor", &CrfRnnParams::factor, nullptr } };
const RealAttribute kJointCrfReals[] = { { "bilateral_sxy", &CrfRnnParams::bilateralSxy },
                                         { "bilateral_srgb", &CrfRnnParams::bilateralSrgb },
                                         { "spatial_sxy", &CrfRnnParams::spatialSxy } };
const char* const kStrideAttribute = "stride";

// A weight blob as a continuous rows x cols CV_32F matrix (any shape with that many values).
Mat weightBlob(const std::vector<Mat>& blobs, size_t i, int rows, int cols, const String& layer, const char* type,
               const char* what)
{
    if (i >= blobs.size() || (int)blobs[i].total() != rows * cols || rows < 1 || cols < 1)
        CV_Error_(Error::StsBadArg, ("%s layer '%s': blob %d (%s) has %d values, expected %d x %d", type,
                                     layer.c_str(), (int)i, what, i < blobs.size() ? (int)blobs[i].total() : 0,
                                     rows, cols));
    Mat m;
    blobs[i].reshape(1, rows).convertTo(m, CV_32F);
    return m.isContinuous() ? m : m.clone();
}

void checkBlobCount(const std::vector<Mat>& blobs, size_t expected, const String& layer, const char* type,
                    const char* names)
{
    if (blobs.size() != expected)
        CV_Error_(Error::StsBadArg, ("%s layer '%s': got %d weight blobs, expected %d (%s)", type, layer.c_str(),
                                     (int)blobs.size(), (int)expected, names));
}

// The shape checks both layers share: NCHW inputs, known dimensions only.
void checkNchw(const std::vector<MatShape>& inputs, size_t count, const String& layer, const char* type,
               const char* names)
{
    if (inputs.size() != count)
        CV_Error_(Error::StsBadArg, ("%s layer '%s': got %d inputs, expected %d (%s)", type, layer.c_str(),
                                     (int)inputs.size(), (int)count, names));
    for (size_t i = 0; i < count; i++)
        if (inputs[i].size() != 4)
            CV_Error_(Error::StsBadArg, ("%s layer '%s': input %d has %d dims, expected 4 (NCHW)", type,
                                         layer.c_str(), (int)i, (int)inputs[i].size()));
}

// Inputs of forward() as continuous CV_32F blobs.
std::vector<Mat> floatInputs(InputArrayOfArrays arr, const String& layer, const char* type)
{
    std::vector<Mat> inputs;
    arr.getMatVector(inputs);
    for (const Mat& m : inputs)
        if (m.type() != CV_32F || !m.isContinuous())
            CV_Error_(Error::StsBadArg, ("%s layer '%s': inputs must be continuous CV_32F blobs", type, layer.c_str()));
    return inputs;
}

class NonlocalLayer CV_FINAL : public dnn::Layer
{
public:
    explicit NonlocalLayer(const LayerParams& lp) : dnn::Layer(lp)
    {
        const String who = "EscrfNonlocal layer '" + name + "'";
        for (const IntAttribute& a : kNonlocalInts)
            params_.*a.nonlocal = intAttribute(lp, a.name, NonlocalParams().*a.nonlocal, who);
        checkBlobCount(blobs, 4, name, "EscrfNonlocal", "W_theta, W_phi, W_g, W_out");
        const int E = blobs[0].size[0], D = (int)blobs[0].total() / std::max(E, 1);
        params_.embedDim = E;
        checkNonlocalParams(who.c_str(), "attributes", params_);
        weights_.W_theta = weightBlob(blobs, 0, E, D, name, "EscrfNonlocal", "W_theta");
        weights_.W_phi = weightBlob(blobs, 1, E, D, name, "EscrfNonlocal", "W_phi");
        weights_.W_g = weightBlob(blobs, 2, E, D, name, "EscrfNonlocal", "W_g");
        weights_.W_out = weightBlob(blobs, 3, D, E, name, "EscrfNonlocal", "W_out");
    }

    bool supportBackend(int backendId) CV_OVERRIDE { return backendId == dnn::DNN_BACKEND_OPENCV; }

    bool getMemoryShapes(const std::vector<MatShape>& inputs, const int, std::vector<MatShape>& outputs,
                         std::vector<MatShape>&) const CV_OVERRIDE
    {
        checkNchw(inputs, 1, name, "EscrfNonlocal", "F");
        const int D = weights_.W_out.rows;
        if (inputs[0][1] > 0 && inputs[0][1] != D)
            CV_Error_(Error::StsBadArg, ("EscrfNonlocal layer '%s': input F has %d channels, the weights expect %d",
                                         name.c_str(), inputs[0][1], D));
        outputs.assign(1, inputs[0]);
        return false;
    }

    void forward(InputArrayOfArrays inputs_arr, OutputArrayOfArrays outputs_arr, OutputArrayOfArrays) CV_OVERRIDE
    {
        warnCpuFallback(*this);
        const std::vector<Mat> inputs = floatInputs(inputs_arr, name, "EscrfNonlocal");
        std::vector<Mat> outputs;
        outputs_arr.getMatVector(outputs);
        std::vector<MatShape> shapes(1, dnn::shape(inputs[0])), outShapes, internals;
        getMemoryShapes(shapes, 1, outShapes, internals);
        const Mat& F = inputs[0];
        const int D = F.size[1];
        const Size grid(F.size[3], F.size[2]);
        for (int n = 0; n < F.size[0]; n++)
        {
            Mat result;
            nonlocalForward(params_, weights_, grid, Mat(D, grid.area(), CV_32F, (void*)F.ptr<float>(n)), result);
            result.copyTo(Mat(D, grid.area(), CV_32F, outputs[0].ptr<float>(n)));
        }
    }

private:
    NonlocalParams params_;
    NonlocalWeights weights_;
};

class JointCrfLayer CV_FINAL : public dnn::Layer
{
public:
    explicit JointCrfLayer(const LayerParams& lp) : dnn::Layer(lp)
    {
        const CrfRnnParams defaults;
        const String who = "EscrfJointCrf layer '" + name + "'";
        for (const IntAttribute& a : kJointCrfInts)
            params_.*a.crf = intAttribute(lp, a.name, defaults.*a.crf, who);
        for (const RealAttribute& a : kJointCrfReals)
            params_.*a.crf = realAttribute(lp, a.name, defaults.*a.crf, who);
        stride_ = intAttribute(lp, kStrideAttribute, 1, who);
        checkCrfRnnParams(who.c_str(), "attributes", params_);
        if (stride_ < 1)
            CV_Error_(Error::StsBadArg, ("%s: stride = %d, expected >= 1", who.c_str(), stride_));
        checkBlobCount(blobs, 3, name, "EscrfJointCrf", "bilateral, spatial, compat");
        const int K = (int)blobs[0].total();
        weights_.bilateral = weightBlob(blobs, 0, 1, K, name, "EscrfJointCrf", "bilateral");
        weights_.spatial = weightBlob(blobs, 1, 1, K, name, "EscrfJointCrf", "spatial");
        weights_.compat = weightBlob(blobs, 2, K, K, name, "EscrfJointCrf", "compat");
    }

    bool supportBackend(int backendId) CV_OVERRIDE { return backendId == dnn::DNN_BACKEND_OPENCV; }

    bool getMemoryShapes(const std::vector<MatShape>& inputs, const int, std::vector<MatShape>& outputs,
                         std::vector<MatShape>&) const CV_OVERRIDE
    {
        checkNchw(inputs, 2, name, "EscrfJointCrf", "U (scores), I (guide image)");
        const MatShape &U = inputs[0], &I = inputs[1];
        if (U[1] > 0 && U[1] != weights_.compat.rows)
            CV_Error_(Error::StsBadArg, ("EscrfJointCrf layer '%s': input U has %d channels, the weights expect %d "
                                         "classes", name.c_str(), U[1], weights_.compat.rows));
        if (I[1] > 0 && I[1] != 3)
            CV_Error_(Error::StsBadArg, ("EscrfJointCrf layer '%s': input I has %d channels, expected 3 (RGB)",
                                         name.c_str(), I[1]));
        for (int d = 2; d < 4; d++)
            if (U[d] > 0 && I[d] > 0 && U[d] > I[d])
                CV_Error_(Error::StsBadSize, ("EscrfJointCrf layer '%s': input U is %dx%d, larger than the guide "
                                              "image %dx%d", name.c_str(), U[3], U[2], I[3], I[2]));
        outputs.assign(1, U);
        return false;
    }

    void forward(InputArrayOfArrays inputs_arr, OutputArrayOfArrays outputs_arr, OutputArrayOfArrays) CV_OVERRIDE
    {
        warnCpuFallback(*this);
        const std::vector<Mat> inputs = floatInputs(inputs_arr, name, "EscrfJointCrf");
        std::vector<Mat> outputs;
        outputs_arr.getMatVector(outputs);
        std::vector<MatShape> shapes = { dnn::shape(inputs[0]), dnn::shape(inputs[1]) }, outShapes, internals;
        getMemoryShapes(shapes, 1, outShapes, internals);
        const Mat &U = inputs[0], &I = inputs[1];
        const int K = U.size[1];
        const Size grid(U.size[3], U.size[2]), is(I.size[3], I.size[2]);
        for (int n = 0; n < U.size[0]; n++)
        {
            // The guide image as the head reads it (prepareGuide's image, at the scores' size).
            std::vector<Mat> planes;
            for (int c = 0; c < 3; c++)
                planes.push_back(Mat(is, CV_32F, (void*)(I.ptr<float>(n) + (size_t)c * is.area())));
            Mat rgb, result;
            merge(planes, rgb);
            EscrfGuide colour;
            prepareImageGuide(rgb, grid, colour);
            const CrfRnnGuide guide(params_, colour.image, grid, Size(grid.width * stride_, grid.height * stride_));
            crfRnnForward(params_, weights_, guide, Mat(K, grid.area(), CV_32F, (void*)U.ptr<float>(n)), result);
            result.copyTo(Mat(K, grid.area(), CV_32F, outputs[0].ptr<float>(n)));
        }
    }

private:
    CrfRnnParams params_;
    CrfRnnWeights weights_;
    int stride_ = 1;
};

} // namespace

Ptr<dnn::Layer> createNonlocalLayer(dnn::LayerParams& params)
{
    return makePtr<NonlocalLayer>(params);
}

Ptr<dnn::Layer> createJointCrfLayer(dnn::LayerParams& params)
{
    return makePtr<JointCrfLayer>(params);
}

dnn::LayerParams nonlocalLayerParams(const String& name, const NonlocalParams& p, const NonlocalWeights& w)
{
    LayerParams lp;
    lp.name = name;
    lp.type = "EscrfNonlocal";
    for (const IntAttribute& a : kNonlocalInts)
        lp.set(a.name, p.*a.nonlocal);
    for (const Mat* m : { &w.W_theta, &w.W_phi, &w.W_g, &w.W_out })
        lp.blobs.push_back(m->clone());
    return lp;
}

dnn::LayerParams jointCrfLayerParams(const String& name, const CrfRnnParams& p, const CrfRnnWeights& w, int stride)
{
    LayerParams lp;
    lp.name = name;
    lp.type = "EscrfJointCrf";
    for (const IntAttribute& a : kJointCrfInts)
        lp.set(a.name, p.*a.crf);
    for (const RealAttribute& a : kJointCrfReals)
        lp.set(a.name, p.*a.crf);
    lp.set(kStrideAttribute, stride);
    for (const Mat* m : { &w.bilateral, &w.spatial, &w.compat })
        lp.blobs.push_back(m->clone());
    return lp;
}

}}} // namespace cv::escrf::detail
