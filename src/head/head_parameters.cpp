// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Users of the head's parameter table (head_parameters.hpp) that are not templates.
#include "precomp.hpp"
#include "head/head_parameters.hpp"

namespace cv {
namespace escrf {
namespace detail {

namespace {

Mat zerosShaped(const Mat& m) { return Mat::zeros(m.size(), m.type()); }
Mat zerosShaped(const double&) { return Mat::zeros(1, 1, CV_64F); }

void bindTo(Mat& m, Mat& grad) { m = grad; }
void bindTo(double& d, Mat&) { d = 0; }

void addScalar(const Mat&, Mat&) {}
void addScalar(const double& d, Mat& grad) { grad.at<double>(0) += d; }

void addTensor(const Mat& m, Mat& grad) { grad += m; }
void addTensor(const double& d, Mat& grad) { grad.at<double>(0) += d; }

// Shapes standing in for the tensors of Head / HeadTensors, so that the table runs over a
// configuration that has not been allocated (headParameterShapes).
struct BlockShapes
{
    Size W_img, W_pos, w_comp, a, b;
    double c = 0, alphaS = 0, alphaP = 0;
};
struct HeadShapes
{
    std::vector<Size> projectionWeights;
    Size projectionBias;
    BlockShapes blockWeights;
    Size classifierWeights, classifierBias;
    Size crfBilateral, crfSpatial, crfCompat;
    Size nonlocalTheta, nonlocalPhi, nonlocalG, nonlocalOut;
};

ParameterShape shapeRow(const String& name, const Size& s) { return { name, s.height, s.width, CV_32F }; }
ParameterShape shapeRow(const String& name, const double&) { return { name, 1, 1, CV_64F }; }

} // namespace

std::vector<ParameterShape> headParameterShapes(const HeadConfig& config, const std::vector<int>& inputChannels)
{
    CV_Assert(inputChannels.size() == config.inputs.size());
    int sumChannels = 0;
    for (int c : inputChannels)
        sumChannels += c;
    const int D = config.projection > 0 ? config.projection : sumChannels;
    const EscrfBlockParams p = effectiveBlockParams(config);
    HeadShapes set;
    for (int c : inputChannels)
        set.projectionWeights.push_back(Size(c, config.projection));
    set.projectionBias = Size(1, config.projection);
    set.blockWeights.W_img = Size(3, p.embedDim);
    set.blockWeights.W_pos = Size(2 * p.posDim, p.embedDim);
    set.blockWeights.w_comp = set.blockWeights.a = set.blockWeights.b = Size(D, 1);
    set.classifierWeights = Size(D, config.numClasses);
    set.classifierBias = Size(1, config.numClasses);
    const int K = config.numClasses, E = config.nonlocal.embedDim;
    set.crfBilateral = set.crfSpatial = Size(K, 1);
    set.crfCompat = Size(K, K);
    set.nonlocalTheta = set.nonlocalPhi = set.nonlocalG = Size(D, E);
    set.nonlocalOut = Size(E, D);
    std::vector<ParameterShape> rows;
    forEachHeadParameter(config, set, [&](const String& name, ParameterRole, const auto& shape) {
        rows.push_back(shapeRow(name, shape));
    });
    return rows;
}

EscrfBlockParams effectiveBlockParams(const HeadConfig& config)
{
    EscrfBlockParams p = config.block;
    if (config.variant == HEAD_PAIRWISE)
        p.alphaS = 0.f;
    if (config.variant == HEAD_SUPERPIXEL)
        p.alphaP = 0.f;
    // With learnable fusion a term configured with 0 stays off (see EscrfBlockParams): the term
    // the variant removes is never learnt back, the one it keeps is trained as in the escrf head.
    return p;
}

std::vector<String> headParameterNames(const Head& head)
{
    std::vector<String> names;
    forEachHeadParameter(head.config(), head, [&](const String& name, ParameterRole, const auto&) {
        names.push_back(name);
    });
    return names;
}

std::vector<ParameterRole> headParameterRoles(const Head& head)
{
    std::vector<ParameterRole> roles;
    forEachHeadParameter(head.config(), head, [&](const String&, ParameterRole role, const auto&) {
        roles.push_back(role);
    });
    return roles;
}

void checkHeadGradients(const Head& head, const std::vector<Mat>& grads, const char* who)
{
    size_t count = 0;
    forEachHeadParameter(head.config(), head, [&](const String&, ParameterRole, const auto&) { count++; });
    if (grads.size() != count)
        CV_Error_(Error::StsBadArg, ("%s: expected %d gradient tensors (zeroGradients()), got %d", who, (int)count,
                                     (int)grads.size()));
    size_t i = 0;
    forEachHeadParameter(head.config(), head, [&](const String& name, ParameterRole, const auto& tensor) {
        const Mat p = parameterValue(tensor);
        const Mat& g = grads[i];
        if (g.size() != p.size() || g.type() != p.type())
            CV_Error_(Error::StsBadArg, ("%s: grads[%d] ('%s') is %dx%d %s, expected %dx%d %s (use zeroGradients())",
                                         who, (int)i, name.c_str(), g.rows, g.cols, typeToString(g.type()).c_str(),
                                         p.rows, p.cols, typeToString(p.type()).c_str()));
        i++;
    });
}

HeadTensors bindHeadGradients(const Head& head, std::vector<Mat>& grads)
{
    HeadTensors g;
    g.projectionWeights.resize(head.projectionWeights.size());
    if (headVariantTraits(head.config().variant).stage == STAGE_BLOCK)
        g.blockWeights = head.blockWeights.zerosLike();
    size_t i = 0;
    forEachHeadParameter(head.config(), g, [&](const String&, ParameterRole, auto& tensor) {
        bindTo(tensor, grads[i++]);
    });
    return g;
}

void addScalarGradients(const Head& head, const HeadTensors& bound, std::vector<Mat>& grads)
{
    size_t i = 0;
    forEachHeadParameter(head.config(), bound, [&](const String&, ParameterRole, const auto& tensor) {
        addScalar(tensor, grads[i++]);
    });
}

void addHeadGradients(const Head& head, const HeadTensors& g, std::vector<Mat>& grads)
{
    size_t i = 0;
    forEachHeadParameter(head.config(), g, [&](const String&, ParameterRole, const auto& tensor) {
        addTensor(tensor, grads[i++]);
    });
}

}}} // namespace cv::escrf::detail

// The Head members that expose the table.
namespace cv {
namespace escrf {

EscrfBlockParams Head::effectiveBlockParams() const
{
    return detail::effectiveBlockParams(config_);
}

std::vector<String> Head::parameterNames() const
{
    return detail::headParameterNames(*this);
}

std::vector<Mat> Head::parameters()
{
    std::vector<Mat> params;
    detail::forEachHeadParameter(config_, *this, [&](const String&, detail::ParameterRole, auto& tensor) {
        params.push_back(detail::parameterTensor(tensor));
    });
    return params;
}

std::vector<Mat> Head::zeroGradients() const
{
    std::vector<Mat> grads;
    detail::forEachHeadParameter(config_, *this, [&](const String&, detail::ParameterRole, const auto& tensor) {
        grads.push_back(detail::zerosShaped(tensor));
    });
    return grads;
}

}} // namespace cv::escrf
