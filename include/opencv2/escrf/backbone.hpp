// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_BACKBONE_HPP
#define OPENCV_ESCRF_BACKBONE_HPP

#include "opencv2/core.hpp"
#include "opencv2/dnn.hpp"
#include <vector>

namespace cv {
namespace escrf {

//! @addtogroup escrf
//! @{

/** @defgroup escrf_backbone Pretrained cv::dnn backbones
@ingroup escrf

A backbone is a cv::dnn network plus a description of how to feed it and what it outputs,
read from a YAML file in the spirit of OpenCV's samples/dnn/models.yml. The file must start
with `%YAML:1.0` and `---` and keep to the YAML that cv::FileStorage writes (block maps and
sequences, flow sequences, plain or quoted scalars, comments; at most 1 MB): OpenCV 4.6's
parsers hang or crash on some malformed files, so anything else (XML, JSON, other YAML
syntax) is refused with a cv::Exception before it reaches them (doc/reliability.md).

@code{.yaml}
%YAML:1.0
---
espnet_camvid:                 # top-level map of named entries
  model: "espnet_camvid.onnx"  # relative to this file
  mean: [ 110.3310, 108.4089, 105.0332 ]  # in the net's channel order
  std: [ 72.1257, 72.6907, 69.9043 ]
  scale: 0.00392156862745098   # blob = ((x - mean) / std) * scale
  rgb: 0                       # 0: the net takes BGR, 1: RGB
  width: 480                   # nominal input size
  height: 360
  size_multiple: 8             # any input size must be a multiple of it
  features: [ "feat_dec", "feat_s8" ]   # optional feature outputs
  logits: "logits"             # class scores, at least len(classes) channels
  classes: [ "Sky", "Building" ]
  colors: [ [128,128,128], [128,0,0] ]  # optional, RGB, one per class
  ignore_label: 11             # optional, -1 (none) by default
@endcode
@{
*/

//! How to run a pretrained segmentation network and what it outputs.
struct CV_EXPORTS_W_SIMPLE BackboneDescription
{
    // Defaults in the constructor: hdr_parser.py (Python bindings) cannot parse member initialisers.
    //! An empty description (scale 1, BGR, size multiple 1, no ignore label).
    CV_WRAP BackboneDescription()
        : scale(1.0), rgb(false), width(0), height(0), sizeMultiple(1), ignoreLabel(-1)
    {}

    CV_PROP_RW String name;        //!< entry name in the description file
    CV_PROP_RW String model;       //!< model file; made absolute when read from a file
    CV_PROP_RW Scalar mean;        //!< per-channel mean, in the net's channel order
    CV_PROP_RW Scalar stddev;      //!< per-channel standard deviation (> 0), net's channel order (key `std`)
    CV_PROP_RW double scale;       //!< factor applied after standardisation (default 1)
    CV_PROP_RW bool rgb;           //!< the net's input channels are R, G, B (B, G, R otherwise, the default)
    CV_PROP_RW int width;          //!< nominal input width (a multiple of sizeMultiple)
    CV_PROP_RW int height;         //!< nominal input height
    CV_PROP_RW int sizeMultiple;                     //!< input sizes must be multiples of it (default 1)
    CV_PROP_RW std::vector<String> features;         //!< names of feature outputs
    CV_PROP_RW String logits;                        //!< name of the class-score output
    CV_PROP_RW std::vector<String> classes;          //!< class names (K = classes.size())
    CV_PROP_RW std::vector<Vec3b> colors;            //!< RGB colour per class (empty or K entries)
    CV_PROP_RW int ignoreLabel;                      //!< label that is not a class, -1 (the default) for none

    /** @brief Reads entry `name` (the first entry when empty) of a description file.
    Relative model paths are resolved against the file's folder. Missing or invalid keys, and
    files outside the YAML subset above, throw cv::Exception naming the key and the file. */
    CV_WRAP static BackboneDescription read(const String& file, const String& name = String());

    /** @brief Reads one entry (the map with the keys above), e.g. embedded in a head file.
    @param node the entry.
    @param baseDir folder against which a relative model path is resolved ("" keeps it).
    @param where the file name, for messages. */
    void read(const FileNode& node, const String& baseDir = String(), const String& where = String());

    /** @brief Writes the keys of the entry into the currently open map of fs (the caller opens
    and closes it, e.g. `fs << "backbone" << "{"; d.write(fs); fs << "}";`). */
    void write(FileStorage& fs) const;

    //! Number of classes K.
    CV_WRAP int numClasses() const { return (int)classes.size(); }

    //! Checks the values (throws naming the key and `where`).
    CV_WRAP void validate(const String& where = String()) const;
};

/** @brief A loaded backbone: preprocessing and forward passes of a cv::dnn network. */
class CV_EXPORTS_W Backbone
{
public:
    virtual ~Backbone();

    /** @brief Loads the model with cv::dnn::readNet and checks that the described logits and
    feature outputs exist in it.
    @param description the description (validated).
    @param backend cv::dnn::Backend, @param target cv::dnn::Target. */
    CV_WRAP static Ptr<Backbone> create(const BackboneDescription& description,
                                        int backend = dnn::DNN_BACKEND_DEFAULT,
                                        int target = dnn::DNN_TARGET_CPU);

    CV_WRAP virtual void setPreferableBackend(int backend) = 0;
    CV_WRAP virtual void setPreferableTarget(int target) = 0;

    /** @brief The network input of one image: a 1 x 3 x H x W CV_32F blob holding
    ((x - mean) / std) * scale per channel in the described channel order.
    @param bgr8 CV_8UC3 BGR image (as cv::imread returns it). */
    CV_WRAP virtual Mat blobFromImage(const Mat& bgr8) const = 0;

    /** @brief Runs the network on one image.

    Each (input size, output names) configuration is run by its own net (see readNet()), created
    on first use (about 10 ms for a small model); the four most recently used are kept. Not
    thread-safe: use one Backbone per thread.
    @param image CV_8UC3 BGR image whose width and height are multiples of sizeMultiple, of a
    size the net can run (supportsInputSize; a size it cannot run throws cv::Exception naming the
    size, the layer and the largest size of the same aspect ratio that runs).
    @param outputNames outputs to compute (ask only for those needed: each requested output
    prevents the fusion of its layer).
    @param outputs one NCHW CV_32F blob per name, owned by the caller (not overwritten by the
    next forward). */
    CV_WRAP virtual void forward(const Mat& image, const std::vector<String>& outputNames,
                                 CV_OUT std::vector<Mat>& outputs) = 0;

    /** @brief Label map of the backbone alone: argmax over the first numClasses() channels of
    the logits output (extra channels, e.g. "unlabelled", are not predicted).
    @param image as for forward().
    @param labels output CV_32SC1 map of the logits' size. */
    CV_WRAP virtual void predict(const Mat& image, CV_OUT Mat& labels) = 0;

    /** @brief Whether forward() and predict() run on an input of this size: a multiple of
    sizeMultiple that the net can process. OpenCV 4.6's Deconvolution layer indexes its column
    buffer with an int offset (c*kh*kw + y*kw + x) * h_in*w_in over its output elements (c, y, x);
    a size where that offset passes INT_MAX overflows it (undefined behaviour; the layer then reads
    outside its buffer: a segfault, or wrong values), so such sizes are refused before the net
    sees them. For the ESPNet CamVid backbone (final 2x2 Deconvolution to 12 channels at full
    resolution) the condition is (44 + 2(H-1) + W-1) * (H/2 * W/2) <= INT_MAX: 1920x1080 and
    4096x416 run, 4096x424, 2048x2048 and 3840x2160 are refused (4096x512, 2048x2048 and
    2504x2504 segfault in OpenCV 4.6; see doc/reliability.md). Nothing is run to answer. */
    CV_WRAP virtual bool supportsInputSize(Size size) const = 0;

    CV_WRAP virtual int numClasses() const = 0;
    CV_WRAP virtual BackboneDescription description() const = 0;

    /** @brief A fresh copy of the network, read from the model file, with the backend and target.
    @note In OpenCV 4.6 a net that has run a forward pass must not be run again with another input
    size or another set of requested outputs: its layer fusion is then applied a second time to
    already fused weights and the results are wrong. forward() and predict() avoid this by keeping
    one net per configuration; do the same with the nets returned here. */
    CV_WRAP virtual dnn::Net readNet() const = 0;
};

/** @brief Per-pixel argmax over the first numChannels channels of a 1 x C x H x W CV_32F blob.
@param scores the blob (C >= numChannels).
@param numChannels channels to compare (all when <= 0).
@param labels output CV_32SC1 H x W map; ties go to the lowest channel. */
CV_EXPORTS_W void argmaxChannels(const Mat& scores, int numChannels, CV_OUT Mat& labels);

//! @}
//! @}

}} // namespace cv::escrf

#endif
