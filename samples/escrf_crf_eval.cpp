// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The vanilla-crf comparison: scores a head's argmax and the argmax after DenseCRF
// (cv::escrf::denseCrf) on a list with the module's metrics. With --backbone and no --head the
// probabilities are the softmax of the backbone's own logits (first K channels).
// The last two lines are exactly "<name> mIoU <value> bF <value>" (percent, two decimals).
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgproc.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>

static const char* keys =
    "{ help h         |      | print this help }"
    "{ head           |      | head file (its probabilities are refined) }"
    "{ backbone       |      | backbone description: without --head, refine the backbone's own softmax }"
    "{ list           |<none>| list of images and labels }"
    "{ max-images     | 0    | evaluate only the first N images }"
    "{ iterations     | 5    | mean-field iterations }"
    "{ bilateral-sxy  | 50   | appearance kernel: spatial std (pixels) }"
    "{ bilateral-srgb | 3    | appearance kernel: colour std (levels) }"
    "{ bilateral-w    | 5    | appearance kernel weight }"
    "{ gaussian-sxy   | 3    | smoothness kernel: spatial std (pixels) }"
    "{ gaussian-w     | 3    | smoothness kernel weight }"
    "{ crf-threads    | 1    | threads for denseCrf (the timing is per image with these; 0 = OpenCV's default) }";

//! K x H x W softmax of the first K logits channels of the backbone, at the image size.
static void backboneProbabilities(cv::escrf::Backbone& backbone, const cv::Mat& image, cv::Mat& prob)
{
    const cv::escrf::BackboneDescription desc = backbone.description();
    std::vector<cv::Mat> outs;
    backbone.forward(image, { desc.logits }, outs);
    const cv::Mat& logits = outs[0];
    const int K = backbone.numClasses(), h = logits.size[2], w = logits.size[3];
    int sz[] = { K, image.rows, image.cols };
    prob.create(3, sz, CV_32F);
    std::vector<cv::Mat> planes(K);
    for (int k = 0; k < K; k++)
    {
        const cv::Mat src(h, w, CV_32F, (void*)logits.ptr<float>(0, k));
        planes[k] = cv::Mat(image.rows, image.cols, CV_32F, prob.ptr<float>(k));
        cv::resize(src, planes[k], image.size(), 0, 0, cv::INTER_LINEAR);
    }
    cv::Mat mx = planes[0].clone(), sum = cv::Mat::zeros(image.size(), CV_32F);
    for (int k = 1; k < K; k++)
        cv::max(mx, planes[k], mx);
    for (int k = 0; k < K; k++)
    {
        cv::subtract(planes[k], mx, planes[k]);
        cv::exp(planes[k], planes[k]);
        sum += planes[k];
    }
    for (int k = 0; k < K; k++)
        cv::divide(planes[k], sum, planes[k]);
}

//! Per-pixel argmax of K x H x W probabilities, CV_32S labels.
static cv::Mat argmaxLabels(const cv::Mat& prob)
{
    const int K = prob.size[0], H = prob.size[1], W = prob.size[2];
    cv::Mat best(H, W, CV_32F, (void*)prob.ptr<float>(0)), labels(H, W, CV_32S, cv::Scalar(0));
    best = best.clone();
    for (int k = 1; k < K; k++)
    {
        const cv::Mat plane(H, W, CV_32F, (void*)prob.ptr<float>(k));
        const cv::Mat better = plane > best;
        plane.copyTo(best, better);
        labels.setTo(k, better);
    }
    return labels;
}

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_crf_eval: score a head (or a backbone) with and without DenseCRF");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string headFile = parser.get<std::string>("head");
    const std::string backboneFile = parser.get<std::string>("backbone");
    const std::string list = parser.get<std::string>("list");
    const int maxImages = parser.get<int>("max-images");
    const int crfThreads = parser.get<int>("crf-threads");
    cv::escrf::DenseCrfParams params;
    params.iterations = parser.get<int>("iterations");
    params.bilateralSxy = parser.get<float>("bilateral-sxy");
    params.bilateralSrgb = parser.get<float>("bilateral-srgb");
    params.bilateralWeight = parser.get<float>("bilateral-w");
    params.gaussianSxy = parser.get<float>("gaussian-sxy");
    params.gaussianWeight = parser.get<float>("gaussian-w");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    if (headFile.empty() && backboneFile.empty())
    {
        std::cerr << "escrf_crf_eval: give --head (and optionally --backbone) or --backbone alone" << std::endl;
        return 2;
    }
    try
    {
        cv::Ptr<cv::escrf::Segmenter> seg;
        cv::Ptr<cv::escrf::Backbone> backbone;
        cv::escrf::BackboneDescription desc;
        if (!headFile.empty())
        {
            seg = cv::escrf::Segmenter::create(headFile, backboneFile);
            desc = backboneFile.empty() ? seg->head()->backbone() : cv::escrf::BackboneDescription::read(backboneFile);
        }
        else
        {
            desc = cv::escrf::BackboneDescription::read(backboneFile);
            backbone = cv::escrf::Backbone::create(desc);
        }
        const cv::escrf::Dataset data(list);
        const int n = maxImages > 0 ? std::min(maxImages, data.size()) : data.size();
        cv::escrf::SegmentationMetrics plain(desc.numClasses(), desc.ignoreLabel), crf = plain;
        const int defaultThreads = cv::getNumThreads();
        cv::Mat image, label, prob, refined;
        cv::TickMeter tmPredict, tmCrf;
        double crfCpuMs = 0;  // process CPU time: with one CRF thread, unaffected by other processes' load
        for (int i = 0; i < n; i++)
        {
            data.load(i, image, label);
            tmPredict.start();
            if (seg)
                seg->predict(image, prob);
            else
                backboneProbabilities(*backbone, image, prob);
            tmPredict.stop();
            plain.add(argmaxLabels(prob), label);

            cv::setNumThreads(crfThreads > 0 ? crfThreads : defaultThreads);
            const std::clock_t cpu0 = std::clock();
            tmCrf.start();
            cv::escrf::denseCrf(image, prob, refined, params);
            tmCrf.stop();
            crfCpuMs += (std::clock() - cpu0) * 1000.0 / CLOCKS_PER_SEC;
            cv::setNumThreads(defaultThreads);
            crf.add(argmaxLabels(refined), label);
            std::fprintf(stderr, "\r%d / %d", i + 1, n);
        }
        std::fprintf(stderr, "\n");
        const char* what = seg ? "head" : "backbone";
        std::cout << "== " << what << std::endl << plain.report(desc.classes);
        std::cout << "== " << what << " + DenseCRF" << std::endl << crf.report(desc.classes);
        std::printf("%d images; per image: predict %.1f ms, DenseCRF %.1f ms wall / %.1f ms CPU (%s thread%s)\n", n,
                    tmPredict.getTimeMilli() / std::max(1, n), tmCrf.getTimeMilli() / std::max(1, n),
                    crfCpuMs / std::max(1, n), crfThreads > 0 ? std::to_string(crfThreads).c_str() : "default",
                    crfThreads == 1 ? "" : "s");
        std::printf("DenseCRF: %d iterations, bilateral sxy %g srgb %g w %g, gaussian sxy %g w %g\n", params.iterations,
                    params.bilateralSxy, params.bilateralSrgb, params.bilateralWeight, params.gaussianSxy,
                    params.gaussianWeight);
        std::printf("plain mIoU %.2f bF %.2f\n", 100 * plain.meanIoU(), 100 * plain.meanBoundaryF());
        std::printf("crf mIoU %.2f bF %.2f\n", 100 * crf.meanIoU(), 100 * crf.meanBoundaryF());
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_crf_eval: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
