// The smallest program built against an installed escrf (see CMakeLists.txt next to it).
// It needs no data: a generated street-like scene, its superpixels, and DenseCRF cleaning
// noisy class probabilities of that scene; it prints the mIoU before and after the CRF.
// Exit status 0 when every step ran and DenseCRF improved the noisy prediction.

#include <opencv2/core.hpp>
#include <opencv2/escrf.hpp>

#include <iostream>

static double scoreMeanIoU(const cv::Mat& probabilities, const cv::Mat& truth, int numClasses)
{
    const int blobShape[] = { 1, numClasses, truth.rows, truth.cols };
    cv::Mat labels;
    cv::escrf::argmaxChannels(probabilities.reshape(1, 4, blobShape), numClasses, labels);
    cv::escrf::SegmentationMetrics metrics(numClasses);
    metrics.add(labels, truth);
    return metrics.meanIoU();
}

int main()
{
    const int numClasses = 3;
    cv::RNG rng(7);
    cv::Mat image, truth;
    cv::escrf::generateSyntheticScene(cv::Size(240, 180), rng, image, truth);

    cv::Mat superpixels;
    const int numSuperpixels = cv::escrf::computeSuperpixels(image, superpixels);

    // K x H x W probabilities: the truth, blurred by uniform noise so that many pixels are wrong.
    const int shape[] = { numClasses, image.rows, image.cols };
    cv::Mat probabilities(3, shape, CV_32F);
    for (int k = 0; k < numClasses; ++k)
    {
        cv::Mat plane(image.rows, image.cols, CV_32F, probabilities.ptr<float>(k));
        rng.fill(plane, cv::RNG::UNIFORM, 0.f, 1.f);
        plane.setTo(cv::Scalar(1.2), truth == k);   // the right class wins most ties, not all
        cv::Mat mask(image.rows, image.cols, CV_32F);
        rng.fill(mask, cv::RNG::UNIFORM, 0.f, 1.f);
        plane.setTo(cv::Scalar(0.5), (truth == k) & (mask < 0.35f));
    }
    cv::Mat refined;
    cv::escrf::denseCrf(image, probabilities, refined);

    const double before = scoreMeanIoU(probabilities, truth, numClasses);
    const double after = scoreMeanIoU(refined, truth, numClasses);
    std::cout << "escrf consumer: " << numSuperpixels << " superpixels, mIoU noisy "
              << before << " -> after DenseCRF " << after << std::endl;
    return after > before ? 0 : 1;
}
