// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_HPP
#define OPENCV_ESCRF_TRAIN_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/head.hpp"
#include "opencv2/escrf/backbone.hpp"
#include "opencv2/escrf/metrics.hpp"
#include "opencv2/escrf/segmenter.hpp"

#include <functional>

namespace cv {
namespace escrf {

/** @defgroup escrf_train Training a head on a frozen backbone
@ingroup escrf

HeadTrainer trains a head on the features of a frozen cv::dnn backbone. The backbone runs
once per image (and once more on its horizontal flip); its outputs are cached (float16 in
memory, spilling to a folder when the memory budget is exceeded), together with the image,
its labels and its superpixels. Each step runs the head forward, the per-pixel softmax
cross-entropy at full resolution (ignore label excluded, optional class weights) and the
backward pass of every head layer, then SGD with momentum or AdamW.

Every output (the head file, its checkpoint outputFile + ".ckpt", the history and plot files,
the feature cache) is written atomically: a temporary file in the same folder, then a rename.
A symbolic link is written through to its target; an output path that is not a regular file (a
folder, a device, a fifo) is refused with a cv::Exception. Head files and checkpoints end with a
checksum line; a checkpoint that does not match it (or the head configuration) is refused with a
message that says to delete it.

Checkpoints (head, optimizer state, position in the epoch, history) are written atomically
every checkpointEvery steps and at the end of each epoch; a run that finds its checkpoint
resumes from it and ends with the same weights as an uninterrupted run. Validation runs
every valEvery epochs with the module's metrics and the head with the best validation mIoU
is the one written to the output file.
@{
*/

enum TrainOptimizer
{
    OPTIMIZER_SGD = 0,  //!< SGD with (heavy-ball) momentum and L2 weight decay
    OPTIMIZER_ADAMW = 1 //!< AdamW (decoupled weight decay)
};

enum LearningRateSchedule
{
    LR_CONSTANT = 0, //!< constant after warm-up
    LR_POLY = 1,     //!< lr * (1 - t/T)^power after warm-up
    LR_COSINE = 2    //!< lr * (1 + cos(pi t/T)) / 2 after warm-up
};

enum ClassWeighting
{
    CLASS_WEIGHTS_NONE = 0, //!< every class counts the same
    CLASS_WEIGHTS_ENET = 1  //!< w_c = 1 / ln(1.02 + p_c), p_c the class frequency in the training labels
};

//! Where the head's training steps run.
enum TrainDevice
{
    TRAIN_DEVICE_CPU = 0, //!< everything on the CPU
    TRAIN_DEVICE_CUDA = 1 //!< head forward/backward and loss on the CUDA device (optimizer on the CPU)
};

//! Solver settings. The defaults reproduce the module's CamVid result (doc/results.md).
struct CV_EXPORTS_W_SIMPLE TrainParams
{
    CV_WRAP TrainParams();

    CV_PROP_RW int epochs;             //!< passes over the training list
    CV_PROP_RW int batchSize;          //!< images per step (gradients summed over the batch)
    CV_PROP_RW int optimizer;          //!< TrainOptimizer
    CV_PROP_RW double learningRate;    //!< base learning rate
    CV_PROP_RW double momentum;        //!< SGD momentum, or AdamW beta1
    CV_PROP_RW double beta2;           //!< AdamW beta2
    CV_PROP_RW double weightDecay;     //!< L2 (SGD) or decoupled (AdamW) weight decay on weight matrices
    CV_PROP_RW int schedule;           //!< LearningRateSchedule
    CV_PROP_RW double polyPower;       //!< exponent of LR_POLY
    CV_PROP_RW int warmupSteps;        //!< linear warm-up steps from 0 to learningRate
    CV_PROP_RW int classWeighting;     //!< ClassWeighting
    CV_PROP_RW bool flip;              //!< also train on horizontal flips (features computed once per flip)
    CV_PROP_RW int valEvery;           //!< validate every valEvery epochs (0: never, keep the last head)
    CV_PROP_RW int seed;               //!< seed of the initialisation and of the sample order
    CV_PROP_RW double cacheBudgetMB;   //!< memory for cached features; beyond it they go to cacheDir
    CV_PROP_RW String cacheDir;        //!< folder for features beyond the budget ("" = error when exceeded)
    CV_PROP_RW int checkpointEvery;    //!< steps between checkpoints (0: only at the end of an epoch)
    CV_PROP_RW bool resume;            //!< resume from `output`.ckpt when it exists
    CV_PROP_RW int maxImages;          //!< use only the first maxImages of each list (0: all)
    CV_PROP_RW int verbose;            //!< 0 silent, 1 progress (a bar on a terminal, lines otherwise)
    /** TrainDevice. With TRAIN_DEVICE_CUDA the head's forward and backward passes, the loss and
    the validation forward run on the GPU; the backbone cache, the superpixels and the optimizer
    stay on the CPU (parameters are uploaded and gradients downloaded once per step). A build
    without CUDA or a machine without a device raises cv::Exception (Error::GpuNotSupported). */
    CV_PROP_RW int device;
};

//! One row of the training history (also written to `output`.csv).
struct CV_EXPORTS_W_SIMPLE TrainEpochStats
{
    // Defaults in the constructor: hdr_parser.py (Python bindings) cannot parse member initialisers.
    //! Zeros, and -1 for the validation scores (not validated).
    CV_WRAP TrainEpochStats()
        : epoch(0), loss(0), learningRate(0), seconds(0), valMeanIoU(-1), valBoundaryF(-1), valPixelAccuracy(-1)
    {}

    CV_PROP_RW int epoch;               //!< epoch number, from 1
    CV_PROP_RW double loss;             //!< mean training loss over the epoch
    CV_PROP_RW double learningRate;     //!< at the end of the epoch
    CV_PROP_RW double seconds;          //!< wall time of the epoch (training only)
    CV_PROP_RW double valMeanIoU;       //!< percent; -1 when not validated this epoch
    CV_PROP_RW double valBoundaryF;     //!< percent; -1 when not validated this epoch
    CV_PROP_RW double valPixelAccuracy; //!< percent; -1 when not validated this epoch
};

class CV_EXPORTS_W HeadTrainer
{
public:
    virtual ~HeadTrainer();

    /** @brief Creates a trainer.
    @param backbone the frozen backbone; every name in config.inputs must be one of its outputs.
    @param config head architecture; numClasses 0 takes the backbone's class count.
    @param params solver settings. */
    CV_WRAP static Ptr<HeadTrainer> create(const BackboneDescription& backbone, const HeadConfig& config,
                                           const TrainParams& params = TrainParams());

    /** @brief Trains and writes the best head to outputFile (atomically).
    Also writes `outputFile`.csv (history) and `outputFile`.png (curves), and keeps
    `outputFile`.ckpt while running (removed at the end).
    @param trainList list file of training images and labels.
    @param valList list file of validation images ("" = no validation).
    @return the best head. */
    CV_WRAP virtual Ptr<Head> train(const String& trainList, const String& valList, const String& outputFile) = 0;

    //! History of the last train() call (resumed epochs included).
    CV_WRAP virtual std::vector<TrainEpochStats> history() const = 0;

    /** @brief Called after every step with the global step index; may throw to interrupt
    training (used by the tests to simulate a crash). */
    virtual void setStepCallback(const std::function<void(int)>& callback) = 0;
};

/** @brief Evaluates a head with the module's metrics on a list.
@param segmenter the segmenter to evaluate.
@param listFile list of images and labels.
@param ignoreLabel label excluded from the metrics (-1: none).
@param predictionDir when not empty, one 8-bit PNG label map per image is written there,
named as the input image.
@param maxImages evaluate only the first maxImages (0: all).
@return the accumulated metrics. */
CV_EXPORTS SegmentationMetrics evaluateSegmenter(const Ptr<Segmenter>& segmenter, const String& listFile,
                                                 int ignoreLabel, const String& predictionDir = String(),
                                                 int maxImages = 0);

//! @}

}} // namespace cv::escrf

#endif
