// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head's parameter table: which trainable tensors a configuration has, in which order,
// under which names and for which role. It is the only place that knows the layout: the
// parameter list and its names (Head::parameters / parameterNames / zeroGradients), the gradient
// vector of Head::backward and of the GPU runner, the head file and the checkpoints, and the
// optimizer's decay rule all iterate it. A head variant with parameters of its own adds its rows
// to forEachHeadParameter (and the members to Head and HeadTensors); nothing else changes. The
// rows are in the order the head computes with them (projection, feature stage, classifier,
// score stage).
#ifndef OPENCV_ESCRF_HEAD_PARAMETERS_HPP
#define OPENCV_ESCRF_HEAD_PARAMETERS_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "head/head_variants.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! What the solver does with a parameter: weight matrices are decayed, biases and scalars are not.
enum ParameterRole
{
    PARAM_WEIGHT = 0,
    PARAM_BIAS = 1,
    PARAM_SCALAR = 2,  //!< a double of the head (a fusion weight, a bias), seen as a 1x1 CV_64F tensor
    /** the strength of a stage (the joint-crf's kernel weights and label compatibility): not decayed,
    since decay would pull the stage towards off (as the fusion weights, which are scalars) */
    PARAM_GAIN = 3
};

//! Tensors shaped like a head's parameters (the members of Head that forEachHeadParameter visits):
//! the gradients that Head::backward and the GPU runner compute before they go into the vector.
struct HeadTensors
{
    std::vector<Mat> projectionWeights;
    Mat projectionBias;
    EscrfBlockWeights blockWeights;
    Mat classifierWeights, classifierBias;
    Mat crfBilateral, crfSpatial, crfCompat;
    Mat nonlocalTheta, nonlocalPhi, nonlocalG, nonlocalOut;
};

//! Block options after the head variant is applied (Head::effectiveBlockParams).
EscrfBlockParams effectiveBlockParams(const HeadConfig& config);

/** @brief The table: calls visit(name, role, tensor) for every parameter of a head with this
configuration, in the order of the head file. `set` is a Head or a HeadTensors (const or not);
tensor is the Mat member, or the double member for PARAM_SCALAR rows. */
template <class Set, class Visit>
void forEachHeadParameter(const HeadConfig& config, Set& set, Visit&& visit)
{
    if (config.projection > 0)
    {
        for (size_t l = 0; l < config.inputs.size(); l++)
            visit("proj." + config.inputs[l], PARAM_WEIGHT, set.projectionWeights[l]);
        visit(String("proj.bias"), PARAM_BIAS, set.projectionBias);
    }
    const HeadStage stage = headVariantTraits(config.variant).stage;
    if (stage == STAGE_BLOCK)
    {
        const EscrfBlockParams p = effectiveBlockParams(config);
        auto& b = set.blockWeights;
        visit(String("block.W_img"), PARAM_WEIGHT, b.W_img);
        visit(String("block.W_pos"), PARAM_WEIGHT, b.W_pos);
        if (p.pairCompatibility)
        {
            visit(String("block.a"), PARAM_WEIGHT, b.a);
            visit(String("block.b"), PARAM_WEIGHT, b.b);
            visit(String("block.c"), PARAM_SCALAR, b.c);
        }
        else
            visit(String("block.w_comp"), PARAM_WEIGHT, b.w_comp);
        // A fusion weight is trained only when learnable and configured non-zero (EscrfBlockParams).
        if (p.learnableFusion && p.alphaS != 0)
            visit(String("block.alpha_s"), PARAM_SCALAR, b.alphaS);
        if (p.learnableFusion && p.alphaP != 0)
            visit(String("block.alpha_p"), PARAM_SCALAR, b.alphaP);
    }
    if (stage == STAGE_NONLOCAL)
    {
        visit(String("nonlocal.W_theta"), PARAM_WEIGHT, set.nonlocalTheta);
        visit(String("nonlocal.W_phi"), PARAM_WEIGHT, set.nonlocalPhi);
        visit(String("nonlocal.W_g"), PARAM_WEIGHT, set.nonlocalG);
        visit(String("nonlocal.W_out"), PARAM_WEIGHT, set.nonlocalOut);
    }
    visit(String("cls.weight"), PARAM_WEIGHT, set.classifierWeights);
    visit(String("cls.bias"), PARAM_BIAS, set.classifierBias);
    if (stage == STAGE_JOINT_CRF)
    {
        visit(String("crf.bilateral"), PARAM_GAIN, set.crfBilateral);
        visit(String("crf.spatial"), PARAM_GAIN, set.crfSpatial);
        visit(String("crf.compat"), PARAM_GAIN, set.crfCompat);
    }
}

//! A parameter as a tensor: the Mat itself (shared storage), or a 1x1 CV_64F header onto a scalar.
inline Mat parameterTensor(Mat& m) { return m; }
inline Mat parameterTensor(double& d) { return Mat(1, 1, CV_64F, &d); }
//! Read-only: the Mat itself, or a 1x1 CV_64F copy of a scalar.
inline Mat parameterValue(const Mat& m) { return m; }
inline Mat parameterValue(const double& d) { return Mat(1, 1, CV_64F, Scalar(d)); }

//! The largest head the module creates or loads. A head file carries these values, so they are
//! checked (checkHeadConfig) before anything is allocated with them; they are far above useful
//! heads (the CamVid head: stride 1, projection 16, 11 classes, 3 inputs of <= 256 channels).
enum HeadLimits
{
    kMaxHeadStride = 32,
    kMaxProjection = 4096,
    kMaxClasses = 1024,
    kMaxHeadInputs = 16,
    kMaxInputChannels = 65536,
    kMaxHeadParameters = 1 << 24   //!< values of all tensors together (64 MB of float; a head file of ~90 MB)
};

/** @brief The HeadConfig contract (Head::create, the head file): variant, inputs and their
channels, stride, projection, classes, block and superpixel options within their limits, and the
parameter count of the configuration at most kMaxHeadParameters (computed in int64 from
headParameterShapes, nothing allocated). `who` prefixes the message. */
void checkHeadConfig(const HeadConfig& config, const std::vector<int>& inputChannels, const String& who);

//! Name, shape and type of one row of the table.
struct ParameterShape
{
    String name;
    int rows, cols, type;
};

/** @brief The table's rows for a configuration, without creating the head: what Head::create
allocates (rows x cols CV_32F tensors, 1x1 CV_64F scalars). Loaders compare a file's declared
tensors with it before anything is allocated. The configuration must pass checkHeadConfig's
range checks (the shapes are products of its values). */
std::vector<ParameterShape> headParameterShapes(const HeadConfig& config, const std::vector<int>& inputChannels);

//! The names of the table, in order.
std::vector<String> headParameterNames(const Head& head);
//! The roles of the table, in order.
std::vector<ParameterRole> headParameterRoles(const Head& head);

/** @brief Checks that grads has the layout of the table (count, shape and type of each tensor, as
Head::zeroGradients gives them); `who` prefixes the message. */
void checkHeadGradients(const Head& head, const std::vector<Mat>& grads, const char* who);

/** @brief A HeadTensors whose tensors are the entries of grads (shared storage, so that what is
added to them lands in grads); scalars start at 0 (see addScalarGradients), block tensors the table
does not list are zero scratch shaped like the head's. grads must pass checkHeadGradients. */
HeadTensors bindHeadGradients(const Head& head, std::vector<Mat>& grads);
//! Adds the scalars of a set from bindHeadGradients to their entries of grads.
void addScalarGradients(const Head& head, const HeadTensors& bound, std::vector<Mat>& grads);
//! grads[i] += the tensor of row i of g, for every row (g holds separate storage).
void addHeadGradients(const Head& head, const HeadTensors& g, std::vector<Mat>& grads);

}}} // namespace cv::escrf::detail

#endif
