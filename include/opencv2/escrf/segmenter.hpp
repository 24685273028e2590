// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_SEGMENTER_HPP
#define OPENCV_ESCRF_SEGMENTER_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "opencv2/escrf/backbone.hpp"
#include "opencv2/escrf/crf.hpp"

namespace cv {
namespace escrf {

/** @defgroup escrf_segmenter Segmenting images end to end
@ingroup escrf

Segmenter runs the whole pipeline on one image: superpixels of the image, the backbone
(cv::dnn), the head (projection, ES-CRF block, classifier) and the bilinear up-sampling of
the class scores to the image, then argmax.

Any image size is accepted, down to 1x1. By default the image is processed at its own size: it
is padded on the right and bottom (reflected border, from the image's own pixels even when it
is a ROI of a larger image) to the backbone's size multiple and the scores are cropped back, so
every output pixel comes from the pixel at the same place. A ROI gives the result of its clone.
On a small processed image the number of superpixels is reduced to at most one per 4 pixels
(the head's SuperpixelParams::numSuperpixels applies to every image of more than 4 times as many
pixels). With
setProcessingSize() the image is resized to a fixed size instead (e.g. the size the head
was trained at) and the scores are resized back bilinearly. An image larger than the maximum
processing area (setMaxProcessingArea(), 2048 x 1024 pixels by default) is processed at the
largest aligned size of its aspect ratio within that area (reduced with INTER_AREA) and its
scores are resized back bilinearly, streamed into the label map; so is an image within the area
whose padded size the backbone cannot run (Backbone::supportsInputSize, e.g. OpenCV 4.6's
Deconvolution overflow at 4096 x 512 with ESPNet), at the largest size it can.

On the CPU the superpixels are computed on their own thread while the backbone runs, and the
head runs fused by rows (projection, then block, classifier and argmax row by row), keeping only
what it reads again; its buffers belong to the Segmenter and keep their size between images, so
a stream of images of one size allocates nothing large after the first. A Segmenter is
therefore not thread-safe: use one per thread.

Memory: the processed image has at most getMaxProcessingArea() pixels (2048 x 1024 by default),
so what segment() holds besides the caller's image and the label map (1 byte per pixel with
CV_8U) is bounded whatever the image size: the backbone's nets and blobs, the backbone outputs
the head reads, the head's buffers (the D x N features, the guide and the superpixel labels at
the processed size) and, when the scores are resized back, the K x N logits at the processed
size and K x 16 rows of the output width per parallel strip. Measured with the ESPNet CamVid head on the CPU (doc/performance.md): peak
resident memory of the whole process 1.3 GB for a 2048 x 1024 image and 1.7 GB for a
10000 x 10000 image (0.4 GB of which are that image and its label map). predict() is bounded the
same way while it computes, but returns K floats per pixel by contract.

@code
cv::Ptr<cv::escrf::Segmenter> seg = cv::escrf::Segmenter::create("camvid_escrf.yml");
cv::Mat labels;
seg->segment(cv::imread("street.png"), labels);
@endcode
@{
*/

/** @brief Segments images end to end: backbone, superpixels, ES-CRF head, optional DenseCRF.

Created from a head file (or a Head and a BackboneDescription) with create(); segment() gives
a label map at the image size, predict() the class probabilities. */
class CV_EXPORTS_W Segmenter
{
public:
    virtual ~Segmenter();

    /** @brief Loads a head file and the backbone it names.
    @param headFile a file written by Head::save() (e.g. by escrf_train).
    @param backboneDescription optional backbone description file that replaces the one stored
    in the head (e.g. when the model moved); its outputs and classes must match the head. */
    CV_WRAP static Ptr<Segmenter> create(const String& headFile, const String& backboneDescription = String());

    //! Creates a segmenter from a head in memory and a backbone description.
    CV_WRAP static Ptr<Segmenter> create(const Ptr<Head>& head, const BackboneDescription& backbone);

    /** @brief Label map of an image.
    @param image CV_8UC3 BGR image (as cv::imread gives it), not empty.
    @param labels output label map of the image size, class ids 0..K-1.
    @param ltype CV_8U (K <= 256) or CV_32S. */
    CV_WRAP virtual void segment(InputArray image, OutputArray labels, int ltype = CV_8U) = 0;

    /** @brief Per-class probabilities (softmax of the head's scores) at the image size.
    @param image as for segment().
    @param scores output 3-D Mat K x H x W CV_32F. */
    CV_WRAP virtual void predict(InputArray image, OutputArray scores) = 0;

    /** @brief Backend and target of the backbone network (cv::dnn::Backend / cv::dnn::Target).
    A CUDA target also moves the ES-CRF block and the head to the GPU when the module is built with
    CUDA, a device exists and the block has no CPU-only option (dense); otherwise, or if the GPU
    head cannot be created, they stay on the CPU, with one log line. The superpixels move only when
    SuperpixelParams::device is SUPERPIXEL_DEVICE_CUDA (setSuperpixelParams): the default, the
    CPU with the implementation stored in the head, gives the superpixels the head was trained
    with (for a head trained with the module's SLIC the CUDA device gives the same ones). */
    CV_WRAP virtual void setPreferableBackend(int backend) = 0;
    //! Target of the backbone network (cv::dnn::Target); see setPreferableBackend() for what moves with it.
    CV_WRAP virtual void setPreferableTarget(int target) = 0;

    //! Superpixels used for the guide (defaults to those the head was trained with).
    CV_WRAP virtual void setSuperpixelParams(const SuperpixelParams& params) = 0;
    //! The superpixel parameters in use.
    CV_WRAP virtual SuperpixelParams getSuperpixelParams() const = 0;

    /** @brief DenseCRF post-processing of the head's probabilities (the spec's `vanilla-crf`
    comparison when the head is a baseline head): predict() and segment() then refine the
    probabilities at the image size with denseCrf() before the argmax. Off by default; it runs
    on the CPU (about 0.5 s per 480x360 image on one core). */
    CV_WRAP virtual void setDenseCrf(bool enable, const DenseCrfParams& params = DenseCrfParams()) = 0;

    /** @brief Processes every image at this size (a multiple of the backbone's size multiple)
    instead of its own size; Size() restores the default. Cannot be combined with scales other
    than 1 (setScales), which it would undo. */
    CV_WRAP virtual void setProcessingSize(Size size) = 0;

    /** @brief Largest number of pixels processed at the image's own size (default 2048 * 1024).
    Without a processing size, a larger image is reduced to the largest size of its aspect ratio
    within this area (a multiple of the size alignment), and its scores are resized back. This bounds
    the memory of segment() whatever the image size; 0 removes the bound. */
    CV_WRAP virtual void setMaxProcessingArea(int pixels) = 0;
    //! The maximum processing area (setMaxProcessingArea).
    CV_WRAP virtual int getMaxProcessingArea() const = 0;

    /** @brief Time of each stage of the last segment() or predict() call (stage names and
    milliseconds, in the order they ended; e.g. "backbone", "superpixels (rest of the wait)",
    "head: projection + resize + sum + bias + ReLU", "head: block rows + classifier + argmax").
    The superpixels run on their own thread during the backbone: their own duration is listed as
    "superpixels (own thread, overlapped)" and is not part of the total.
    @return the wall time of the whole call in milliseconds. */
    CV_WRAP virtual double getPerfProfile(CV_OUT std::vector<String>& stages, CV_OUT std::vector<double>& milliseconds) const = 0;

    /** @brief Multi-scale testing: predict() and segment() run the single-scale pipeline once per
    scale, on the image resized (bilinear) to round(scale * width) x round(scale * height), with
    superpixels computed on each resized image (same count as at scale 1, so they cover the same
    content), and average the class probabilities after resizing them back to the image size
    (bilinear); the labels are the argmax of that average and DenseCRF (setDenseCrf) refines the
    average. Each scale costs one pass (about scale^2 of a single-scale pass).
    @param scales e.g. {0.75, 1, 1.25}; not empty, each finite and in (0, 4]. The default {1} is
    single-scale testing. Scales other than 1 need the image's own processing size (no
    setProcessingSize); a scaled image beyond the maximum processing area is reduced as any image
    is (setMaxProcessingArea). getPerfProfile() lists the stages of every pass. */
    CV_WRAP virtual void setScales(const std::vector<double>& scales) = 0;
    //! The scales of multi-scale testing (setScales); {1} by default.
    CV_WRAP virtual std::vector<double> getScales() const = 0;

    /** @brief Flip testing: with enable, every scale (setScales) also runs on the horizontally
    flipped image, its probabilities are flipped back and enter the average (twice the passes).
    Off by default. */
    CV_WRAP virtual void setFlip(bool enable) = 0;
    //! Whether flip testing is on (setFlip).
    CV_WRAP virtual bool getFlip() const = 0;

    //! Class names from the backbone description, one per class id.
    CV_WRAP virtual std::vector<String> classNames() const = 0;
    //! Class colours (RGB) from the backbone description, one per class id.
    CV_WRAP virtual std::vector<Vec3b> classColors() const = 0;

    //! The head in use.
    CV_WRAP virtual Ptr<Head> head() const = 0;
};

/** @brief Colours a label map.
@param labels CV_8U or CV_32S label map.
@param colors RGB colour per class; labels without a colour (e.g. an ignore label) are black.
@param colored output CV_8UC3 BGR image. */
CV_EXPORTS_W void colorizeLabels(InputArray labels, const std::vector<Vec3b>& colors, OutputArray colored);

/** @brief Blends the colour-coded labels over the image: out = (1 - alpha) image + alpha colours,
with the class boundaries drawn in white.
@param image CV_8UC3 BGR image. @param labels label map of the image size.
@param colors RGB colour per class. @param overlay output CV_8UC3. @param alpha weight in [0,1]. */
CV_EXPORTS_W void drawSegmentationOverlay(InputArray image, InputArray labels, const std::vector<Vec3b>& colors,
                                          OutputArray overlay, double alpha = 0.5);

//! @}

}} // namespace cv::escrf

#endif
