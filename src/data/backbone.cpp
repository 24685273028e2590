// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// A cv::dnn backbone: per-channel standardisation (cv::dnn::blobFromImage has no per-channel
// std in OpenCV 4.6, so the blob is built here), forward passes with checked output names,
// and the backbone's own label map.

#include "precomp.hpp"
#include "opencv2/dnn.hpp"
#include "opencv2/dnn/all_layers.hpp"
#include "head/argmax.hpp"
#include <climits>
#include <mutex>
#include <utility>

namespace cv {
namespace escrf {

void argmaxChannels(const Mat& scores, int numChannels, Mat& labels)
{
    if (scores.dims != 4 || scores.size[0] != 1 || scores.type() != CV_32F)
        CV_Error_(Error::StsBadArg, ("argmaxChannels: scores must be a 1 x C x H x W CV_32F blob, got dims %d type %s",
                                     scores.dims, typeToString(scores.type()).c_str()));
    const int C = scores.size[1], H = scores.size[2], W = scores.size[3];
    if (numChannels <= 0)
        numChannels = C;
    if (numChannels > C)
        CV_Error_(Error::StsOutOfRange, ("argmaxChannels: numChannels %d exceeds the %d channels of scores",
                                         numChannels, C));
    CV_Assert(scores.isContinuous());
    // The first numChannels planes as a numChannels x (H*W) matrix (no copy; the header shares
    // the blob's reference count, so labels may even be the scores object itself).
    const Mat planar = scores.reshape(1, C).rowRange(0, numChannels);
    detail::argmaxPlanar(planar, Size(W, H), CV_32S, labels);
}

namespace {

/* OpenCV 4.6 dnn re-runs its layer fusion on weights it has already fused when a net is set up a
 * second time, i.e. when the input size or the set of requested outputs changes after a forward
 * (measured with espnet_camvid: logits off by up to 70, then 630, instead of 0). A net is
 * therefore only ever run in one configuration: one net per (input size, output names), read
 * afresh from the model file (about 10 ms) and kept in a small most-recently-used cache. */
class BackboneImpl CV_FINAL : public Backbone
{
public:
    BackboneImpl(const BackboneDescription& d, int backend, int target)
        : desc_(d), backend_(backend), target_(target)
    {
        desc_.validate();
        probe_ = loadNet();
        // Fail at load time, not at the first forward, when the description does not match the net.
        checkOutput(desc_.logits, "logits");
        for (const String& f : desc_.features)
            checkOutput(f, "features");
    }

    void setPreferableBackend(int backend) CV_OVERRIDE { backend_ = backend; cache_.clear(); }
    void setPreferableTarget(int target) CV_OVERRIDE { target_ = target; cache_.clear(); }

    Mat blobFromImage(const Mat& bgr8) const CV_OVERRIDE
    {
        if (bgr8.empty() || bgr8.type() != CV_8UC3)
            CV_Error_(Error::StsBadArg, ("Backbone::blobFromImage: image must be a non-empty CV_8UC3 BGR image, got %s",
                                         bgr8.empty() ? "an empty image" : typeToString(bgr8.type()).c_str()));
        const int H = bgr8.rows, W = bgr8.cols;
        const int shape[] = { 1, 3, H, W };
        Mat blob(4, shape, CV_32F);
        Mat planes[3];
        split(bgr8, planes);
        for (int c = 0; c < 3; c++)
        {
            // blob_c = ((x - mean_c) / std_c) * scale as one affine map per channel.
            const double a = desc_.scale / desc_.stddev[c];
            const double b = -desc_.mean[c] * a;
            Mat dst(H, W, CV_32F, blob.ptr<float>(0, c));
            planes[desc_.rgb ? 2 - c : c].convertTo(dst, CV_32F, a, b);
        }
        return blob;
    }

    void forward(const Mat& image, const std::vector<String>& outputNames, std::vector<Mat>& outputs) CV_OVERRIDE
    {
        if (outputNames.empty())
            CV_Error(Error::StsBadArg, "Backbone::forward: no output name given");
        for (const String& n : outputNames)
            checkOutput(n, "outputNames");
        checkSize(image);
        dnn::Net& net = netFor(image.size(), outputNames);
        net.setInput(blobFromImage(image));
        // The net's output blobs are reused by the next forward: OpenCV's Net::forward copies each
        // into the caller's Mat (reusing it when it already has the size, so a steady caller
        // allocates nothing), which is the one copy the caller needs.
        net.forward(outputs, outputNames);
    }

    void predict(const Mat& image, Mat& labels) CV_OVERRIDE
    {
        checkSize(image);
        dnn::Net& net = netFor(image.size(), std::vector<String>(1, desc_.logits));
        net.setInput(blobFromImage(image));
        Mat logits = net.forward(desc_.logits);  // argmax reads it before the next forward
        argmaxChannels(logits, numClasses(), labels);
    }

    int numClasses() const CV_OVERRIDE { return desc_.numClasses(); }
    BackboneDescription description() const CV_OVERRIDE { return desc_; }
    dnn::Net readNet() const CV_OVERRIDE { return loadNet(); }

private:
    struct CachedNet
    {
        Size size;
        std::vector<String> outputs;
        dnn::Net net;
    };
    enum { kMaxCachedNets = 4, kMaxCachedSizeVerdicts = 16 };

    dnn::Net loadNet() const
    {
        dnn::Net net;
        try
        {
            net = dnn::readNet(desc_.model);
        }
        catch (const cv::Exception& e)
        {
            CV_Error_(Error::StsError, ("Backbone: cannot load model '%s' of backbone '%s': %s",
                                        desc_.model.c_str(), desc_.name.c_str(), e.what()));
        }
        catch (const std::exception& e)   // e.g. std::bad_alloc or protobuf's errors on a corrupt model
        {
            CV_Error_(Error::StsError, ("Backbone: cannot load model '%s' of backbone '%s': %s",
                                        desc_.model.c_str(), desc_.name.c_str(), e.what()));
        }
        if (net.empty())
            CV_Error_(Error::StsError, ("Backbone: model '%s' of backbone '%s' loaded as an empty net",
                                        desc_.model.c_str(), desc_.name.c_str()));
        net.setPreferableBackend(backend_);
        net.setPreferableTarget(target_);
        return net;
    }

    bool supportsInputSize(Size size) const CV_OVERRIDE
    {
        if (size.width <= 0 || size.height <= 0 || size.width % desc_.sizeMultiple != 0 ||
            size.height % desc_.sizeMultiple != 0)
            return false;
        // The shape inference behind the answer costs about 0.5 ms, and the Segmenter asks for every
        // image: remember the answers for the last few sizes.
        std::lock_guard<std::mutex> lock(sizeVerdictsMutex_);
        for (const std::pair<Size, bool>& v : sizeVerdicts_)
            if (v.first == size)
                return v.second;
        const bool supported = largestDeconvolutionOffset(size).offset <= INT_MAX;
        if (sizeVerdicts_.size() >= (size_t)kMaxCachedSizeVerdicts)
            sizeVerdicts_.erase(sizeVerdicts_.begin());
        sizeVerdicts_.emplace_back(size, supported);
        return supported;
    }

    //! The net that runs this configuration (most recently used first).
    dnn::Net& netFor(const Size& size, const std::vector<String>& outputs)
    {
        for (size_t i = 0; i < cache_.size(); i++)
            if (cache_[i].size == size && cache_[i].outputs == outputs)
            {
                if (i > 0)
                    std::rotate(cache_.begin(), cache_.begin() + i, cache_.begin() + i + 1);
                return cache_[0].net;
            }
        checkDeconvolutionOffsets(size);   // a new size: never hand the net one it cannot run
        if (cache_.size() >= (size_t)kMaxCachedNets)
            cache_.pop_back();
        CachedNet c;
        c.size = size;
        c.outputs = outputs;
        c.net = loadNet();
        cache_.insert(cache_.begin(), c);
        return cache_[0].net;
    }

    void checkOutput(const String& outName, const char* what)
    {
        if (probe_.getLayerId(outName) >= 0)
            return;
        String known;
        const std::vector<String> outs = probe_.getUnconnectedOutLayersNames();
        for (const String& o : outs)
            known += (known.empty() ? "" : ", ") + o;
        CV_Error_(Error::StsObjectNotFound, ("Backbone '%s': %s '%s' is not an output of the net '%s' "
                                             "(its final outputs: %s)", desc_.name.c_str(), what, outName.c_str(),
                                             desc_.model.c_str(), known.c_str()));
    }

    void checkSize(const Mat& image) const
    {
        if (image.empty() || image.type() != CV_8UC3)
            CV_Error_(Error::StsBadArg, ("Backbone '%s': image must be a non-empty CV_8UC3 BGR image, got %s",
                                         desc_.name.c_str(),
                                         image.empty() ? "an empty image" : typeToString(image.type()).c_str()));
        const int m = desc_.sizeMultiple;
        if (image.cols % m != 0 || image.rows % m != 0)
            CV_Error_(Error::StsBadSize, ("Backbone '%s': image size %dx%d must be a multiple of %d in width and height "
                                          "(e.g. %dx%d)", desc_.name.c_str(), image.cols, image.rows, m,
                                          std::max(m, image.cols / m * m), std::max(m, image.rows / m * m)));
    }

    /* OpenCV 4.6's Deconvolution layer (Col2ImInvoker, dnn/src/layers/convolution_layer.cpp) reads
     * its column buffer at the int offset (c*kh*kw + y*kw + x) * h_in*w_in for every output element
     * (c, y, x). Past INT_MAX that is a signed overflow (undefined behaviour): with espnet_camvid
     * 4096x512, 2048x2048 and 2504x2504 segfault in Col2ImInvoker, while 4096x424 (offset 2.16e9)
     * happens to run and 4096x416 (2.12e9) and 1920x1080 (2.14e9) are within the limit. Sizes past
     * it are refused. The largest offset of every Deconvolution layer of the net, from the layer
     * shapes for this input size (nothing is run). */
    struct DeconvolutionOffset
    {
        int64 offset = 0;
        String layer;
    };

    DeconvolutionOffset largestDeconvolutionOffset(Size size) const
    {
        DeconvolutionOffset worst;
        const dnn::MatShape input = { 1, 3, size.height, size.width };
        std::vector<int> ids;   // filled by getLayersShapes: every layer
        std::vector<std::vector<dnn::MatShape>> ins, outs;
        probe_.getLayersShapes(input, ids, ins, outs);
        for (size_t i = 0; i < ids.size(); i++)
        {
            const Ptr<dnn::Layer> layer = probe_.getLayer(ids[i]);
            if (layer->type != "Deconvolution")
                continue;
            const Ptr<dnn::BaseConvolutionLayer> conv = layer.dynamicCast<dnn::BaseConvolutionLayer>();
            if (!conv || ins[i].empty() || outs[i].empty() || ins[i][0].size() != 4 || outs[i][0].size() != 4 ||
                layer->blobs.empty() || layer->blobs[0].dims != 4 || conv->kernel_size.size() != 2 ||
                conv->pads_begin.size() != 2)
                continue;
            const dnn::MatShape &in = ins[i][0], &out = outs[i][0];
            const int64 kh = (int64)conv->kernel_size[0], kw = (int64)conv->kernel_size[1];
            const int64 groupChannels = layer->blobs[0].size[1];
            const int64 offset = (groupChannels * kh * kw + (out[2] - 1 + (int64)conv->pads_begin[0]) * kw +
                                  (out[3] - 1 + (int64)conv->pads_begin[1])) * ((int64)in[2] * in[3]);
            if (offset > worst.offset)
                worst = { offset, layer->name };
        }
        return worst;
    }

    void checkDeconvolutionOffsets(Size size) const
    {
        const DeconvolutionOffset worst = largestDeconvolutionOffset(size);
        if (worst.offset <= INT_MAX)
            return;
        // The largest accepted size of the same aspect ratio, for the message.
        double lo = 0, hi = 1;
        for (int it = 0; it < 20; it++)
        {
            const double s = (lo + hi) / 2;
            const int m = desc_.sizeMultiple;
            const Size t(std::max(m, (int)(size.width * s) / m * m), std::max(m, (int)(size.height * s) / m * m));
            (largestDeconvolutionOffset(t).offset <= INT_MAX ? lo : hi) = s;
        }
        const int m = desc_.sizeMultiple;
        CV_Error_(Error::StsOutOfRange, ("Backbone '%s': an input of %dx%d is too large for OpenCV 4.6's Deconvolution "
                                         "layer '%s' (its int column offset reaches %lld, more than INT_MAX = %d: the "
                                         "layer overflows and crashes); at this aspect ratio at most %dx%d "
                                         "(Backbone::supportsInputSize)",
                                         desc_.name.c_str(), size.width, size.height, worst.layer.c_str(),
                                         (long long)worst.offset, INT_MAX,
                                         std::max(m, (int)(size.width * lo) / m * m),
                                         std::max(m, (int)(size.height * lo) / m * m)));
    }

    BackboneDescription desc_;
    int backend_, target_;
    dnn::Net probe_;                 // never run: answers questions about layer names
    std::vector<CachedNet> cache_;
    mutable std::mutex sizeVerdictsMutex_;                      // supportsInputSize is const and may be
    mutable std::vector<std::pair<Size, bool>> sizeVerdicts_;  // asked from several threads
};

} // namespace

Backbone::~Backbone() {}

Ptr<Backbone> Backbone::create(const BackboneDescription& description, int backend, int target)
{
    return makePtr<BackboneImpl>(description, backend, target);
}

}} // namespace cv::escrf
