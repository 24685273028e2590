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
#include "head/head_inference.hpp"
#include "head/head_inputs.hpp"
#include "head/head_variants.hpp"
#include "core/cuda_device.hpp"
#include "superpixels/superpixel_task.hpp"

namespace cv {
namespace escrf {

Segmenter::~Segmenter() {}

namespace {

// The wall time of the stages of one call, in the order they ran.
class StageTimes
{
public:
    void start()
    {
        names_.clear();
        ms_.clear();
        t0_ = last_ = getTickCount();
    }
    //! The time since the previous lap (or start) is the stage `name`'s.
    void lap(const char* name) { add(name, elapsed(last_)); }
    void add(const char* name, double ms)
    {
        names_.push_back(name);
        ms_.push_back(ms);
        last_ = getTickCount();
    }
    double total(std::vector<String>& names, std::vector<double>& ms) const
    {
        names = names_;
        ms = ms_;
        return total_;
    }
    void stop() { total_ = elapsed(t0_); }

private:
    static double elapsed(int64 since) { return (getTickCount() - since) * 1000.0 / getTickFrequency(); }
    std::vector<String> names_;
    std::vector<double> ms_;
    int64 t0_ = 0, last_ = 0;
    double total_ = 0;
};

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
        if (crf_)
        {
            // The argmax of the refined probabilities (K x H x W seen as K x (H*W)).
            Mat P, out;
            predict(image, P);
            const Size sz(P.size[2], P.size[1]);
            detail::argmaxPlanar(Mat(P.size[0], sz.area(), CV_32F, P.ptr<float>()), sz, ltype, out);
            out.copyTo(labels);
            return;
        }
        times_.start();
        Size size;
        bool resizeBack = false;
        const Mat work = prepareWork(image, size, resizeBack);
        Mat out;
        const bool inPlace = labels.kind() == _InputArray::MAT;   // a Mat is written in place
        if (inPlace)
        {
            labels.create(size, ltype);
            out = labels.getMat();
        }
        if (runner_)
            runOnDevice(work, size, resizeBack, ltype, out);   // labels computed on the device, one download
        else
        {
            const Size headSize = runHead(work);
            if (headSize == work.size() && !resizeBack)
                inference_.labels(size, ltype, out);   // classifier and argmax fused with the block's rows
            else
            {
                inference_.logits(logits_);
                const Mat* scores = &logits_;
                Size scoresSize = headSize;
                if (resizeBack && headSize != work.size())
                {
                    detail::resizeBilinear(logits_, headSize, work.size(), upsampled_);
                    scores = &upsampled_;
                    scoresSize = work.size();
                }
                detail::argmaxResized(*scores, scoresSize, resizeBack ? size : work.size(), size, ltype, out,
                                      upsampleScratch_);
            }
            times_.lap("head: block rows + classifier + argmax");
        }
        if (!inPlace)
            out.copyTo(labels);
        times_.stop();
    }

    void predict(InputArray image, OutputArray probabilities) CV_OVERRIDE
    {
        times_.start();
        Size size;
        bool resizeBack = false;
        const Mat work = prepareWork(image, size, resizeBack);
        Mat logits;
        if (runner_)
            runOnDevice(work, size, resizeBack, -1, logits);
        else
        {
            const Size headSize = runHead(work);
            inference_.logits(logits_);
            times_.lap("head: block rows + classifier");
            logits = upsample(logits_, headSize, work.size(), size, resizeBack);
            times_.lap("upsampling");
        }
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
        {
            denseCrf(image, P, P, crfParams_);
            times_.lap("DenseCRF");
        }
        P.copyTo(probabilities);
        times_.stop();
    }

    double getPerfProfile(std::vector<String>& stages, std::vector<double>& milliseconds) const CV_OVERRIDE
    {
        return times_.total(stages, milliseconds);
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

    void setMaxProcessingArea(int pixels) CV_OVERRIDE
    {
        if (pixels < 0)
            CV_Error_(Error::StsBadArg, ("Segmenter::setMaxProcessingArea: expected a number of pixels >= 0 (0: no "
                                         "bound), got %d", pixels));
        maxArea_ = pixels;
    }
    int getMaxProcessingArea() const CV_OVERRIDE { return maxArea_; }

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

    // K x (H*W) scores at the image size from K x headSize logits: resized to the processed size,
    // then cropped (the padding) or resized back (a processing size).
    Mat upsample(const Mat& logits, Size headSize, Size workSize, Size size, bool resizeBack)
    {
        Mat full;
        detail::resizeBilinear(logits, headSize, workSize, full);
        if (workSize == size)
            return full;
        const int K = full.rows;
        Mat out(K, size.area(), CV_32F);
        for (int k = 0; k < K; k++)
        {
            Mat src(workSize, CV_32F, full.ptr<float>(k)), dst(size, CV_32F, out.ptr<float>(k));
            if (resizeBack)
                resize(src, dst, size, 0, 0, INTER_LINEAR);
            else
                src(Rect(Point(0, 0), size)).copyTo(dst);
        }
        return out;
    }

    // The GPU path of segment() (ltype CV_8U / CV_32S: labels) and predict() (ltype -1: K x (H*W) logits).
    void runOnDevice(const Mat& work, Size size, bool resizeBack, int ltype, Mat& out)
    {
        const Size headSize(work.cols / head_->config().stride, work.rows / head_->config().stride);
        EscrfGuide guide;
        if (head_->needsGuide())
            startSuperpixels(work);   // superpixels as the CPU path
        detail::computeHeadInputs(*backbone_, work, head_->config().inputs, features_);
        times_.lap("backbone");
        if (head_->needsGuide())
        {
            Mat sp;
            const int M = superpixelTask_.get(sp);
            times_.lap("superpixels (rest of the wait)");
            prepareGuide(work, sp, M, headSize, head_->effectiveBlockParams(), guide);
            times_.lap("guide preparation");
        }
        runner_->syncParameters();   // the head's weights may have been changed through head()
        runner_->predict(features_, headSize, head_->needsGuide() ? &guide : nullptr, work.size(), size, resizeBack,
                         ltype, out);
        times_.lap("head on the device");
    }

    /* Starts the superpixels of the processed image on their own thread. A small image gets fewer
    superpixels: at most one per kMinSuperpixelArea pixels. */
    void startSuperpixels(const Mat& work)
    {
        SuperpixelParams sp = superpixels_;
        sp.numSuperpixels = std::max(1, std::min(sp.numSuperpixels, (int)(work.total() / kMinSuperpixelArea)));
        superpixelTask_.start(work, sp);
    }

    /* The CPU head up to its last pass: the superpixels start on their own thread, the backbone
    runs meanwhile, then pass 1 of the inference path (the projection), then the guide at the head
    resolution. Returns the head resolution. */
    Size runHead(const Mat& work)
    {
        const Size headSize(work.cols / head_->config().stride, work.rows / head_->config().stride);
        const bool guide = head_->needsGuide(), superpixels = head_->needsSuperpixels();
        if (superpixels)
            startSuperpixels(work);
        detail::computeHeadInputs(*backbone_, work, head_->config().inputs, features_);
        times_.lap("backbone");
        inference_.project(*head_, features_, headSize);
        times_.lap("head: projection + resize + sum + bias + ReLU");
        if (!guide)
        {
            inference_.setGuide(nullptr);
            return headSize;
        }
        Mat sp;
        int M = 0;
        if (superpixels)
        {
            M = superpixelTask_.get(sp);
            times_.lap("superpixels (rest of the wait)");
            times_.add("superpixels (own thread, overlapped)", superpixelTask_.milliseconds());
        }
        inference_.setGuide(work, sp, M);
        times_.lap("head: guide + block preparation");
        return headSize;
    }

    /* The image the backbone reads: the input padded at the right and bottom to the size
    alignment, or resized to the processing size, or, beyond the maximum processing area, to the
    largest aligned size of its aspect ratio within it (then resizeBack is set). */
    Mat prepareWork(InputArray input, Size& size, bool& resizeBack)
    {
        Mat image = input.getMat();
        if (image.empty())
            CV_Error(Error::StsBadArg, "Segmenter: image is empty");
        if (image.type() != CV_8UC3)
            CV_Error_(Error::StsBadArg, ("Segmenter: image must be CV_8UC3 BGR, got type %d (%s)",
                                         image.type(), typeToString(image.type()).c_str()));
        size = image.size();
        Size target = processingSize_;
        int interpolation = INTER_LINEAR;
        if (target.empty() && maxArea_ > 0 &&
            ((int64)size.width * size.height > maxArea_ || !backbone_->supportsInputSize(alignedSize(size))))
        {
            target = boundedSize(size);
            interpolation = INTER_AREA;   // a reduction: average, do not alias
        }
        resizeBack = !target.empty();
        if (resizeBack)
            resize(image, work_, target, 0, 0, interpolation);
        else
        {
            // Pad right and bottom so that the sizes align; the crop undoes it exactly.
            const int a = alignment();
            const int padX = (a - size.width % a) % a, padY = (a - size.height % a) % a;
            if (!padX && !padY)
            {
                times_.lap("preprocessing (pad or resize)");
                return image;   // (work_ never shares the caller's image: it is written into)
            }
            // BORDER_ISOLATED: a ROI is padded from its own pixels, as its clone would be.
            copyMakeBorder(image, work_, 0, padY, 0, padX, BORDER_REFLECT_101 | BORDER_ISOLATED);
        }
        times_.lap("preprocessing (pad or resize)");
        return work_;
    }

    Size alignedSize(Size size) const
    {
        const int a = alignment();
        return Size((size.width + a - 1) / a * a, (size.height + a - 1) / a * a);
    }

    /* The largest size of the aspect ratio of `size`, multiple of the alignment, within maxArea_
    pixels and one the backbone can run (OpenCV 4.6's Deconvolution overflows on some sizes within
    the area, e.g. 4096x512 with ESPNet: Backbone::supportsInputSize). */
    Size boundedSize(Size size) const
    {
        const int a = alignment();
        double scale = std::min(1.0, std::sqrt((double)maxArea_ / ((double)size.width * size.height)));
        for (;;)
        {
            const Size t(std::max(a, (int)(size.width * scale) / a * a), std::max(a, (int)(size.height * scale) / a * a));
            if (backbone_->supportsInputSize(t) || (t.width == a && t.height == a))
                return t;   // (the smallest size, if refused, is refused by the backbone with its reason)
            scale *= 0.95;
        }
    }

    enum { kMinSuperpixelArea = 4 };

    Ptr<Head> head_;
    BackboneDescription desc_;
    Ptr<Backbone> backbone_;
    SuperpixelParams superpixels_;
    Size processingSize_;
    Ptr<detail::HeadRunner> runner_;   // set when the head runs on the CUDA device
    bool crf_ = false;                 // DenseCRF post-processing (setDenseCrf)
    DenseCrfParams crfParams_;
    int maxArea_ = 2048 * 1024;        // setMaxProcessingArea

    // What one image needs, kept between images: a stream of images of one size allocates nothing
    // large after the first.
    Mat work_;                              // the image the backbone reads (when it is not the input)
    std::vector<Mat> features_;             // the backbone outputs the head reads
    detail::SuperpixelTask superpixelTask_;
    detail::HeadInference inference_;
    Mat logits_, upsampled_;
    std::vector<std::vector<float> > upsampleScratch_;
    StageTimes times_;
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
