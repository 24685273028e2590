// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Trains a segmentation head (baseline, pairwise, superpixel, ES-CRF, joint-crf or nonlocal) on the
// features of a frozen cv::dnn backbone. The defaults reproduce the ES-CRF row of doc/results.md;
// the joint-crf and nonlocal options are the CamVid defaults of doc/variants.md.
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"
#include "sample_utils.hpp"

#include <iostream>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static const char* keys =
    "{ help h        |        | print this help }"
    "{ backbone      | <none> | backbone description (.yml), e.g. ../shared/models/espnet_camvid.yml }"
    "{ train         | <none> | training list (image label per line) }"
    "{ val           |        | validation list (model selection by val mIoU) }"
    "{ out o         | <none> | output head file (.yml); also writes <out>.csv and <out>.png }"
    "{ variant       | escrf  | baseline, pairwise, superpixel, escrf, joint-crf or nonlocal }"
    "{ inputs        | logits,feat_s2,feat_s8 | comma-separated backbone outputs the head reads (guide: the image itself) }"
    "{ stride        | 1      | head resolution = image size / stride }"
    "{ projection    | 16     | channels of the 1x1 projection (0 = concatenate the inputs) }"
    "{ superpixels   | 2500   | superpixels per image }"
    "{ sp-algorithm  | slic   | superpixel algorithm: slic, slico or mslic }"
    "{ ruler         | 5      | SLIC compactness (smaller follows image edges more closely) }"
    "{ sp-impl       | escrf  | superpixel implementation: escrf (the module's SLIC) or ximgproc (needed for mslic) }"
    "{ window        | 3      | ES-CRF window size k }"
    "{ dilation      | 2      | ES-CRF window dilation }"
    "{ embed         | 32     | ES-CRF embedding channels E }"
    "{ normalize     | true   | softmax-normalised kernel (a learned bilateral-like filter) }"
    "{ soft          | false  | area-weighted superpixel assignment }"
    "{ gaussian      | true   | Gaussian kernel of the embedding distance instead of the dot product }"
    "{ alpha-s       | 0.5    | fusion weight a_s of the superpixel prior (initial value when learnable) }"
    "{ alpha-p       | 0.2    | fusion weight a_p of the pairwise message (initial value when learnable) }"
    "{ learnable-fusion | true | train a_s and a_p }"
    "{ crf-iterations | 5     | joint-crf: mean-field steps in training }"
    "{ crf-inference-iterations | -1 | joint-crf: mean-field steps at inference (-1: as in training) }"
    "{ crf-factor    | 4      | joint-crf: mean field on a grid this many times coarser than the head }"
    "{ crf-bilateral-sxy | 50 | joint-crf: bilateral kernel position std (pixels) }"
    "{ crf-bilateral-srgb | 3 | joint-crf: bilateral kernel colour std (8-bit levels) }"
    "{ crf-spatial-sxy | 3    | joint-crf: spatial kernel position std (pixels) }"
    "{ nonlocal-embed | 8     | nonlocal: theta / phi / g channels E }"
    "{ nonlocal-factor | 8    | nonlocal: attention on a grid this many times coarser than the head }"
    "{ epochs        | 5      | epochs }"
    "{ batch         | 4      | images per step }"
    "{ optimizer     | adamw  | adamw or sgd }"
    "{ lr            | 5e-3   | base learning rate }"
    "{ wd            | 1e-4   | weight decay }"
    "{ schedule      | poly   | poly, cosine or constant }"
    "{ warmup        | 20     | warm-up steps }"
    "{ class-weights | none   | none or enet }"
    "{ flip          | true   | also train on horizontal flips }"
    "{ seed          | 1      | random seed }"
    "{ cache-mb      | 6000   | memory budget of the feature cache (MB) }"
    "{ cache-dir     |        | folder for cached features (reused by later runs) }"
    "{ max-images    | 0      | use only the first N images of each list (0 = all) }"
    "{ device        | cpu    | cpu or cuda (head and loss on the GPU; needs a CUDA build and device) }";

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_train: train an ES-CRF (or comparison) head on a frozen cv::dnn backbone");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    using namespace cv::escrf;
#ifdef __GLIBC__
    // The head's full-resolution tensors are tens of MB: above glibc's mmap threshold each one
    // would be mapped and zero-filled by the kernel anew at every step. Keeping them on the
    // heap avoids that page-fault and zeroing cost (see doc/performance.md).
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    try
    {
        const std::string backbone = parser.get<std::string>("backbone");
        const std::string train = parser.get<std::string>("train");
        const std::string val = parser.get<std::string>("val");
        const std::string out = parser.get<std::string>("out");
        HeadConfig cfg;
        cfg.variant = headVariantFromString(parser.get<std::string>("variant"));
        for (const std::string& in : splitComma(parser.get<std::string>("inputs")))
            cfg.inputs.push_back(in);
        cfg.stride = parser.get<int>("stride");
        cfg.projection = parser.get<int>("projection");
        cfg.superpixels.numSuperpixels = parser.get<int>("superpixels");
        const std::string alg = parser.get<std::string>("sp-algorithm");
        if (alg != "slic" && alg != "slico" && alg != "mslic")
            CV_Error(cv::Error::StsBadArg, "--sp-algorithm must be slic, slico or mslic, got '" + alg + "'");
        cfg.superpixels.algorithm = alg == "slic" ? SUPERPIXEL_SLIC : alg == "slico" ? SUPERPIXEL_SLICO : SUPERPIXEL_MSLIC;
        cfg.superpixels.ruler = parser.get<float>("ruler");
        const std::string impl = parser.get<std::string>("sp-impl");
        if (impl != "escrf" && impl != "ximgproc")
            CV_Error(cv::Error::StsBadArg, "--sp-impl must be escrf or ximgproc, got '" + impl + "'");
        cfg.superpixels.implementation = impl == "escrf" ? SUPERPIXEL_IMPL_ESCRF : SUPERPIXEL_IMPL_XIMGPROC;
        cfg.block.window = parser.get<int>("window");
        cfg.block.dilation = parser.get<int>("dilation");
        cfg.block.embedDim = parser.get<int>("embed");
        cfg.block.normalize = parser.get<bool>("normalize");
        cfg.block.softSuperpixels = parser.get<bool>("soft");
        cfg.block.gaussianKernel = parser.get<bool>("gaussian");
        cfg.block.alphaS = parser.get<float>("alpha-s");
        cfg.block.alphaP = parser.get<float>("alpha-p");
        cfg.block.learnableFusion = parser.get<bool>("learnable-fusion");
        cfg.jointCrf.iterations = parser.get<int>("crf-iterations");
        cfg.jointCrf.inferenceIterations = parser.get<int>("crf-inference-iterations");
        cfg.jointCrf.factor = parser.get<int>("crf-factor");
        cfg.jointCrf.bilateralSxy = parser.get<float>("crf-bilateral-sxy");
        cfg.jointCrf.bilateralSrgb = parser.get<float>("crf-bilateral-srgb");
        cfg.jointCrf.spatialSxy = parser.get<float>("crf-spatial-sxy");
        cfg.nonlocal.embedDim = parser.get<int>("nonlocal-embed");
        cfg.nonlocal.factor = parser.get<int>("nonlocal-factor");

        TrainParams p;
        p.epochs = parser.get<int>("epochs");
        p.batchSize = parser.get<int>("batch");
        const std::string opt = parser.get<std::string>("optimizer");
        if (opt != "adamw" && opt != "sgd")
            CV_Error(cv::Error::StsBadArg, "--optimizer must be adamw or sgd, got '" + opt + "'");
        p.optimizer = opt == "sgd" ? OPTIMIZER_SGD : OPTIMIZER_ADAMW;
        p.learningRate = parser.get<double>("lr");
        p.weightDecay = parser.get<double>("wd");
        const std::string sched = parser.get<std::string>("schedule");
        if (sched != "poly" && sched != "cosine" && sched != "constant")
            CV_Error(cv::Error::StsBadArg, "--schedule must be poly, cosine or constant, got '" + sched + "'");
        p.schedule = sched == "poly" ? LR_POLY : sched == "cosine" ? LR_COSINE : LR_CONSTANT;
        p.warmupSteps = parser.get<int>("warmup");
        const std::string cw = parser.get<std::string>("class-weights");
        if (cw != "none" && cw != "enet")
            CV_Error(cv::Error::StsBadArg, "--class-weights must be none or enet, got '" + cw + "'");
        p.classWeighting = cw == "enet" ? CLASS_WEIGHTS_ENET : CLASS_WEIGHTS_NONE;
        p.flip = parser.get<bool>("flip");
        p.seed = parser.get<int>("seed");
        p.cacheBudgetMB = parser.get<double>("cache-mb");
        p.cacheDir = parser.get<std::string>("cache-dir");
        p.maxImages = parser.get<int>("max-images");
        const std::string device = parser.get<std::string>("device");
        if (!parser.check())
        {
            parser.printErrors();
            return 2;
        }
        if (device != "cpu" && device != "cuda")
            CV_Error(cv::Error::StsBadArg, "--device must be cpu or cuda, got '" + device + "'");
        p.device = device == "cuda" ? TRAIN_DEVICE_CUDA : TRAIN_DEVICE_CPU;   // HeadTrainer says why if it cannot

        cv::TickMeter tm;
        tm.start();
        cv::Ptr<HeadTrainer> trainer = HeadTrainer::create(BackboneDescription::read(backbone), cfg, p);
        trainer->train(train, val, out);
        tm.stop();
        std::cout << "trained " << headVariantToString(cfg.variant) << " head in "
                  << cv::format("%.1f", tm.getTimeSec() / 60) << " min -> " << out << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_train: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
