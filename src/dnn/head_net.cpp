// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// createHeadNet / appendHead: a Head as cv::dnn layers after its backbone, so that one
// Net::forward gives the scores. Each step mirrors Head::forward (head/head.cpp): project at
// the input's resolution, resize, sum, bias, ReLU, the feature stage (ES-CRF or non-local block),
// classifier, the score stage (joint-crf), resize to the image.
#include "precomp.hpp"
#include "opencv2/escrf/dnn.hpp"
#include "opencv2/escrf/head.hpp"
#include "dnn/dnn_layers.hpp"
#include "head/head_stages.hpp"
#include "head/head_variants.hpp"
#include "opencv2/core/utils/filesystem.hpp"

namespace cv {
namespace escrf {

namespace {

using dnn::LayerParams;

const char* const kPrefix = "escrf_head/";

// A D x C matrix as the 4-D D x C x 1 x 1 weight blob of a 1x1 convolution.
Mat convWeights(const Mat& w)
{
    CV_Assert(w.type() == CV_32F && w.dims == 2);
    return w.clone().reshape(1, std::vector<int>{ w.rows, w.cols, 1, 1 });
}

LayerParams conv1x1(const String& name, const Mat& w, const Mat& bias)
{
    LayerParams lp;
    lp.name = name;
    lp.type = "Convolution";
    lp.set("kernel_size", 1);
    lp.set("num_output", w.rows);
    lp.set("stride", 1);
    lp.set("pad", 0);
    lp.set("dilation", 1);
    lp.set("group", 1);
    lp.set("bias_term", !bias.empty());
    lp.blobs.push_back(convWeights(w));
    if (!bias.empty())
        lp.blobs.push_back(bias.reshape(1, 1).clone());
    return lp;
}

LayerParams resizeParams(const String& name, int stride)
{
    LayerParams lp;
    lp.name = name;
    lp.type = "EscrfResize";
    lp.set("stride", stride);
    return lp;
}

int addLayer(dnn::Net& net, LayerParams& lp)
{
    return net.addLayer(lp.name, lp.type, lp);
}

// Checks of appendHead's arguments.
void checkAppendHead(const Head& head, const String& imageInputName)
{
    if (head.classifierWeights.empty())
        CV_Error(Error::StsBadArg, "appendHead: the head has no weights (use Head::create or Head::load)");
    if (imageInputName.empty() || imageInputName == "guide" || imageInputName == "superpixels")
        CV_Error_(Error::StsBadArg, ("appendHead: imageInputName = '%s', expected a non-empty name other than "
                                     "'guide' and 'superpixels'", imageInputName.c_str()));
    const HeadConfig& cfg = head.config();
    if (cfg.projection > 0 && head.projectionWeights.size() != cfg.inputs.size())
        CV_Error_(Error::StsBadArg, ("appendHead: %d projection weights for %d inputs",
                                     (int)head.projectionWeights.size(), (int)cfg.inputs.size()));
}

// Inputs: the backbone's image at pin 0, then the guide (pin 1: the block, the joint-crf, a guide
// feature) and the superpixels (pin 2: the block).
// A head that reads the guide as a feature (ESCRF_HEAD_INPUT_GUIDE) needs the guide pin too.
void setHeadInputs(dnn::Net& net, const Head& head, const String& imageInputName)
{
    const std::vector<String>& inputs = head.config().inputs;
    const bool guideFeature = std::find(inputs.begin(), inputs.end(), String(ESCRF_HEAD_INPUT_GUIDE)) != inputs.end();
    std::vector<String> inputNames(1, imageInputName);
    if (head.needsGuide() || guideFeature)
        inputNames.push_back("guide");
    if (head.needsSuperpixels())
        inputNames.push_back("superpixels");
    net.setInputsNames(inputNames);
}

// Per input: (projection,) resize to the head resolution; returns the resize layers.
std::vector<int> addInputLayers(dnn::Net& net, const Head& head)
{
    const HeadConfig& cfg = head.config();
    std::vector<int> resized;
    for (size_t l = 0; l < cfg.inputs.size(); l++)
    {
        const String& in = cfg.inputs[l];
        int id = 0, pin = 1; // ESCRF_HEAD_INPUT_GUIDE: the net's guide input
        if (in != ESCRF_HEAD_INPUT_GUIDE)
        {
            id = net.getLayerId(in);
            if (id < 0)
                CV_Error_(Error::StsObjectNotFound, ("appendHead: the backbone has no output (layer) named '%s' "
                                                     "(HeadConfig::inputs[%d])", in.c_str(), (int)l));
            pin = std::max(0, net.getLayer(id)->outputNameToIndex(in));
        }
        if (cfg.projection > 0)
        {
            LayerParams lp = conv1x1(kPrefix + String("proj_") + in, head.projectionWeights[l], Mat());
            const int conv = addLayer(net, lp);
            net.connect(id, pin, conv, 0);
            id = conv, pin = 0;
        }
        LayerParams rp = resizeParams(kPrefix + String("resize_") + in, cfg.stride);
        const int rs = addLayer(net, rp);
        net.connect(id, pin, rs, 0);
        net.connect(0, 0, rs, 1); // the image gives the head resolution
        resized.push_back(rs);
    }
    return resized;
}

// The projected inputs summed (or the resized ones concatenated), then the projection's bias
// and ReLU; returns the last layer.
int addFeatureLayers(dnn::Net& net, const Head& head, const std::vector<int>& resized)
{
    const HeadConfig& cfg = head.config();
    const bool projection = cfg.projection > 0;
    int feat = resized[0];
    if (resized.size() > 1)
    {
        LayerParams lp;
        lp.name = kPrefix + String(projection ? "sum" : "concat");
        lp.type = projection ? "Eltwise" : "Concat";
        if (projection)
            lp.set("operation", "sum");
        else
            lp.set("axis", 1);
        feat = addLayer(net, lp);
        for (size_t l = 0; l < resized.size(); l++)
            net.connect(resized[l], 0, feat, (int)l);
    }
    if (!projection)
        return feat;
    // Bias only (Scale without weights: x + b, exact like Head::forward's Z += bias).
    LayerParams bp;
    bp.name = kPrefix + String("bias");
    bp.type = "Scale";
    bp.set("bias_term", true);
    bp.set("axis", 1);
    bp.blobs.push_back(head.projectionBias.reshape(1, 1).clone());
    const int bias = addLayer(net, bp);
    net.connect(feat, 0, bias, 0);
    if (!cfg.projectionRelu)
        return bias;
    LayerParams rl;
    rl.name = kPrefix + String("relu");
    rl.type = "ReLU";
    const int relu = addLayer(net, rl);
    net.connect(bias, 0, relu, 0);
    return relu;
}

// The ES-CRF block on the features, with the net's guide and superpixels; returns its layer.
int addBlockLayer(dnn::Net& net, const Head& head, int feat)
{
    LayerParams lp = detail::escrfLayerParams(kPrefix + String("block"), head.effectiveBlockParams(),
                                              head.blockWeights);
    const int block = addLayer(net, lp);
    net.connect(feat, 0, block, 0);
    net.connect(0, 1, block, 1);
    net.connect(0, 2, block, 2);
    return block;
}

// The non-local block on the features; returns its layer.
int addNonlocalLayer(dnn::Net& net, const Head& head, int feat)
{
    LayerParams lp = detail::nonlocalLayerParams(kPrefix + String("nonlocal"), detail::nonlocalParams(head.config()),
                                                 detail::nonlocalWeightsOf(head));
    const int id = addLayer(net, lp);
    net.connect(feat, 0, id, 0);
    return id;
}

// The joint-crf's mean field (inference iterations) on the scores, with the net's guide; returns its layer.
int addJointCrfLayer(dnn::Net& net, const Head& head, int scores)
{
    LayerParams lp = detail::jointCrfLayerParams(kPrefix + String("joint_crf"), detail::crfRnnParams(head.config(), false),
                                                 detail::crfWeightsOf(head), head.config().stride);
    const int id = addLayer(net, lp);
    net.connect(scores, 0, id, 0);
    net.connect(0, 1, id, 1);
    return id;
}

// The classifier (and the joint-crf's steps on its scores), then the scores resized to the image
// ("scores").
void addClassifierLayers(dnn::Net& net, const Head& head, int feat)
{
    LayerParams cp = conv1x1(kPrefix + String("classifier"), head.classifierWeights, head.classifierBias);
    int cls = addLayer(net, cp);
    net.connect(feat, 0, cls, 0);
    if (detail::headVariantTraits(head.config().variant).stage == detail::STAGE_JOINT_CRF)
        cls = addJointCrfLayer(net, head, cls);

    LayerParams up = resizeParams("scores", 1);
    const int scores = addLayer(net, up);
    net.connect(cls, 0, scores, 0);
    net.connect(0, 0, scores, 1);
}

} // namespace

void appendHead(dnn::Net& net, const Head& head, const String& imageInputName)
{
    registerLayers();
    checkAppendHead(head, imageInputName);
    setHeadInputs(net, head, imageInputName);
    int feat = addFeatureLayers(net, head, addInputLayers(net, head));
    const detail::HeadStage stage = detail::headVariantTraits(head.config().variant).stage;
    if (stage == detail::STAGE_BLOCK)
        feat = addBlockLayer(net, head, feat);
    if (stage == detail::STAGE_NONLOCAL)
        feat = addNonlocalLayer(net, head, feat);
    addClassifierLayers(net, head, feat);
}

dnn::Net createHeadNet(const String& backboneModelPath, const Head& head)
{
    if (!utils::fs::exists(backboneModelPath))
        CV_Error_(Error::StsObjectNotFound, ("createHeadNet: backbone model '%s' not found",
                                             backboneModelPath.c_str()));
    registerLayers();
    dnn::Net net = dnn::readNet(backboneModelPath);
    String inputName = "image";
    const String lower = toLowerCase(backboneModelPath);
    if (lower.size() >= 5 && lower.compare(lower.size() - 5, 5, ".onnx") == 0)
    {
        const std::vector<String> names = readOnnxInputNames(backboneModelPath);
        if (names.size() != 1)
            CV_Error_(Error::StsBadArg, ("createHeadNet: backbone '%s' has %d inputs, expected 1",
                                         backboneModelPath.c_str(), (int)names.size()));
        inputName = names[0];
    }
    appendHead(net, head, inputName);
    return net;
}

dnn::Net createHeadNet(const String& backboneModelPath, const Ptr<Head>& head)
{
    if (!head)
        CV_Error(Error::StsNullPtr, "createHeadNet: head is empty");
    return createHeadNet(backboneModelPath, *head);
}

}} // namespace cv::escrf
