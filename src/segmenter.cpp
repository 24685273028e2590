// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The core pipeline: image -> superpixels + backbone features -> head (projection,
// ES-CRF block, classifier) -> bilinear up-sampling -> label map.
#include "precomp.hpp"
#include "core/alignment.hpp"
#include "head/argmax.hpp"
#include "head/bilinear.hpp"
#include "head/head_cuda.hpp"
#include "head/head_inputs.hpp"
#include "head/head_variants.hpp"
#include "core/cuda_device.hpp"

namespace cv {
namespace escrf {

Segmenter::~Segmenter() {}

namespace {

class SegmenterImpl CV_FINAL : public Segmenter
{
public:
    SegmenterImpl(const Ptr<Head>& head, const BackboneDescription& desc) : head_(head), desc_(desc)
    {
        CV_Assert(head_);
        const HeadConfig& cfg = head_->config();
        if (desc_.numClasses() != cfg.numClasses)
            CV_Error_(Error::StsBadArg, ("Segmenter: the head predicts %d classes, the backbone description '%s' has %d",
                                         cfg.numClasses, desc_.name.c_str(), desc_.numClasses()));
        backbone_ = Backbone::create(desc_);
        superpixels_ = cfg.superpixels;
    }

    void segment(InputArray image, OutputArray labels, int ltype) CV_OVERRIDE
    {
        if (ltype != CV_8U && ltype != CV_32S)
            CV_Error_(Error::StsBadArg, ("Segmenter::segment: ltype must be CV_8U or CV_32S, got %d", ltype));
        const int K = head_->config().numClasses;
        if (ltype == CV_8U && K > 256)
            CV_Error_(Error::StsBadArg, ("Segmenter::segment: %d classes do not fit CV_8U labels, use CV_32S", K));
        Size size;
        Mat out;
        if (crf_)
        {
            // The argmax of the refined probabilities (K x H x W seen as K x (H*W)).
            Mat P;
            predict(image, P);
            const Size sz(P.size[2], P.size[1]);
            detail::argmaxPlanar(Mat(P.size[0], sz.area(), CV_32F, P.ptr<float>()), sz, ltype, out);
        }
        else if (runner_)
            runOnDevice(image, size, ltype, out);   // labels computed on the device, one download
        else
        {
            Mat logits = scores(image, size);
            detail::argmaxPlanar(logits, size, ltype, out);
        }
        out.copyTo(labels);
    }

    void predict(InputArray image, OutputArray probabilities) CV_OVERRIDE
    {
        Size size;
        Mat logits;
        if (runner_)
            runOnDevice(image, size, -1, logits);
        else
            logits = scores(image, size);
        const int K = logits.rows;
        // Softmax over classes, per pixel.
        Mat maxv;
        reduce(logits, maxv, 0, REDUCE_MAX);
        Mat e = logits - repeat(maxv, K, 1);
        exp(e, e);
        Mat sum;
        reduce(e, sum, 0, REDUCE_SUM);
        e /= repeat(sum, K, 1);
        const int sz[] = { K, size.height, size.width };
        Mat P(3, sz, CV_32F, e.ptr<float>());
        if (crf_)
            denseCrf(image, P, P, crfParams_);
        P.copyTo(probabilities);
    }

    void setDenseCrf(bool enable, const DenseCrfParams& params) CV_OVERRIDE
    {
        if (enable)   // the same checks denseCrf makes, now rather than at the first image
        {
            Mat probe(1, 1, CV_8UC3, Scalar::all(0));
            const int sz[] = { 1, 1, 1 };
            Mat one(3, sz, CV_32F, Scalar(1)), out;
            denseCrf(probe, one, out, params);
        }
        crf_ = enable;
        crfParams_ = params;
    }

    void setPreferableBackend(int backend) CV_OVERRIDE { backbone_->setPreferableBackend(backend); }
    void setPreferableTarget(int target) CV_OVERRIDE
    {
        backbone_->setPreferableTarget(target);
        runner_.release();
        if (target != dnn::DNN_TARGET_CUDA && target != dnn::DNN_TARGET_CUDA_FP16)
            return;
        // The CUDA targets also move the block and the head to the GPU when they can go there. The
        // superpixels keep SuperpixelParams::device: the CUDA SLIC is the module's SLIC, whose
        // superpixels differ from ximgproc's (those of heads trained with ximgproc), so using it is
        // the caller's choice.
        String why = detail::cudaUnavailableReason();
        if (!detail::headVariantTraits(head_->config().variant).onDevice)   // joint-crf, nonlocal: CPU only
            why = "the " + headVariantToString(head_->config().variant) + " head has no GPU path";
#ifdef HAVE_ESCRF_CUDA
        if (why.empty() && cuda::headBlockOnDevice(*head_, &why))
        {
            try
            {
                runner_ = cuda::createHeadRunner(*head_);
                CV_LOG_INFO(NULL, "escrf Segmenter: ES-CRF block and head run on the CUDA device (superpixels "
                                  "where SuperpixelParams::device says)");
                return;
            }
            catch (const cv::Exception& e)   // e.g. cuBLAS initialisation, or weights the runner does not take
            {
                why = "the head runner could not be created (" + e.err + ")";
            }
        }
#endif
        CV_LOG_WARNING(NULL, "escrf Segmenter: CUDA target requested but " << why
                             << ": the head runs on the CPU (the backbone keeps the CUDA target)");
    }
    void setSuperpixelParams(const SuperpixelParams& params) CV_OVERRIDE { superpixels_ = params; }
    SuperpixelParams getSuperpixelParams() const CV_OVERRIDE { return superpixels_; }

    void setProcessingSize(Size size) CV_OVERRIDE
    {
        if (size != Size() && (size.width <= 0 || size.height <= 0 || size.width % alignment() ||
                               size.height % alignment()))
            CV_Error_(Error::StsBadArg, ("Segmenter::setProcessingSize: expected a positive size, multiple of %d, got %dx%d",
                                         alignment(), size.width, size.height));
        processingSize_ = size;
    }

    std::vector<String> classNames() const CV_OVERRIDE { return desc_.classes; }
    std::vector<Vec3b> classColors() const CV_OVERRIDE { return desc_.colors; }
    Ptr<Head> head() const CV_OVERRIDE { return head_; }

private:
    // Both the backbone and the head stride must divide the processed size.
    int alignment() const { return detail::sizeAlignment(desc_.sizeMultiple, head_->config().stride); }

    // K x (H*W) CV_32F logits at the input image size.
    Mat scores(InputArray input, Size& size)
    {
        Mat work;
        Size headSize;
        std::vector<Mat> features;
        EscrfGuide guide;
        prepare(input, size, work, headSize, features, guide, superpixels_);
        Mat logits, full;
        head_->forward(features, headSize, head_->needsGuide() ? &guide : nullptr, logits);
        detail::resizeBilinear(logits, headSize, work.size(), full);
        if (work.size() == size)
            return full;
        const int K = full.rows;
        Mat out(K, size.area(), CV_32F);
        for (int k = 0; k < K; k++)
        {
            Mat src(work.size(), CV_32F, full.ptr<float>(k)), dst(size, CV_32F, out.ptr<float>(k));
            if (!processingSize_.empty())
                resize(src, dst, size, 0, 0, INTER_LINEAR);
            else
                src(Rect(Point(0, 0), size)).copyTo(dst);
        }
        return out;
    }

    // The GPU path of segment() (ltype CV_8U / CV_32S: labels) and predict() (ltype -1: K x (H*W) logits).
    void runOnDevice(InputArray input, Size& size, int ltype, Mat& out)
    {
        Mat work;
        Size headSize;
        std::vector<Mat> features;
        EscrfGuide guide;
        prepare(input, size, work, headSize, features, guide, superpixels_);   // superpixels as the CPU path
        runner_->syncParameters();   // the head's weights may have been changed through head()
        runner_->predict(features, headSize, head_->needsGuide() ? &guide : nullptr, work.size(), size,
                         !processingSize_.empty(), ltype, out);
    }

    // The processed image, the head resolution, the head's inputs and the guide.
    void prepare(InputArray input, Size& size, Mat& work, Size& headSize, std::vector<Mat>& features,
                 EscrfGuide& guide, const SuperpixelParams& superpixels)
    {
        Mat image = input.getMat();
        if (image.empty())
            CV_Error(Error::StsBadArg, "Segmenter: image is empty");
        if (image.type() != CV_8UC3)
            CV_Error_(Error::StsBadArg, ("Segmenter: image must be CV_8UC3 BGR, got type %d (%s)",
                                         image.type(), typeToString(image.type()).c_str()));
        size = image.size();
        if (!processingSize_.empty())
            resize(image, work, processingSize_, 0, 0, INTER_LINEAR);
        else
        {
            // Pad right and bottom so that the sizes align; the crop below undoes it exactly.
            const int a = alignment();
            const int padX = (a - size.width % a) % a, padY = (a - size.height % a) % a;
            if (padX || padY)
                copyMakeBorder(image, work, 0, padY, 0, padX, BORDER_REFLECT_101);
            else
                work = image;
        }
        headSize = Size(work.cols / head_->config().stride, work.rows / head_->config().stride);
        detail::computeHeadInputs(*backbone_, work, head_->config().inputs, features);
        Mat sp;
        const int M = head_->needsSuperpixels() ? computeSuperpixels(work, sp, superpixels) : 0;
        detail::prepareHeadGuide(*head_, work, sp, M, headSize, guide);
    }

    Ptr<Head> head_;
    BackboneDescription desc_;
    Ptr<Backbone> backbone_;
    SuperpixelParams superpixels_;
    Size processingSize_;
    Ptr<detail::HeadRunner> runner_;   // set when the head runs on the CUDA device
    bool crf_ = false;                 // DenseCRF post-processing (setDenseCrf)
    DenseCrfParams crfParams_;
};

} // namespace

Ptr<Segmenter> Segmenter::create(const Ptr<Head>& head, const BackboneDescription& backbone)
{
    if (!head)
        CV_Error(Error::StsBadArg, "Segmenter::create: head is null");
    return makePtr<SegmenterImpl>(head, backbone);
}

Ptr<Segmenter> Segmenter::create(const String& headFile, const String& backboneDescription)
{
    Ptr<Head> head = Head::load(headFile);
    BackboneDescription desc;
    if (!backboneDescription.empty())
        desc = BackboneDescription::read(backboneDescription);
    else
    {
        desc = head->backbone();
        if (desc.model.empty())
            CV_Error_(Error::StsBadArg, ("Segmenter::create: head file '%s' names no backbone; pass backboneDescription",
                                         headFile.c_str()));
    }
    return create(head, desc);
}

}} // namespace cv::escrf
