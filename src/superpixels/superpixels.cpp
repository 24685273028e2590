// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// computeSuperpixels: parameter checks, the ximgproc SLIC path, the dispatch to the module's
// SLIC on the CPU (slic_cpu.cpp) or the GPU (src/cuda/slic_pipeline.cu), and the canonical (raster
// order) renumbering shared by all paths.

#include "precomp.hpp"
#include "opencv2/ximgproc/slic.hpp"
#include "core/cuda_device.hpp"
#include "superpixels/superpixels_cuda.hpp"

namespace cv {
namespace escrf {

SuperpixelParams::SuperpixelParams()
    : algorithm(SUPERPIXEL_SLICO), numSuperpixels(600), ruler(10.f), iterations(10),
      enforceConnectivity(true), minElementSize(25), blurKernel(3), device(SUPERPIXEL_DEVICE_CPU),
      implementation(SUPERPIXEL_IMPL_ESCRF)
{
}

namespace detail {

void checkSuperpixelParams(const SuperpixelParams& p, Size imageSize)
{
    if (p.algorithm != SUPERPIXEL_SLIC && p.algorithm != SUPERPIXEL_SLICO && p.algorithm != SUPERPIXEL_MSLIC)
        CV_Error_(Error::StsBadArg, ("computeSuperpixels: params.algorithm = %d, expected SUPERPIXEL_SLIC (100), "
                                     "SUPERPIXEL_SLICO (101) or SUPERPIXEL_MSLIC (102)", p.algorithm));
    if (p.device != SUPERPIXEL_DEVICE_CPU && p.device != SUPERPIXEL_DEVICE_CUDA)
        CV_Error_(Error::StsBadArg, ("computeSuperpixels: params.device = %d, expected SUPERPIXEL_DEVICE_CPU (0) "
                                     "or SUPERPIXEL_DEVICE_CUDA (1)", p.device));
    if (p.implementation != SUPERPIXEL_IMPL_XIMGPROC && p.implementation != SUPERPIXEL_IMPL_ESCRF)
        CV_Error_(Error::StsBadArg, ("computeSuperpixels: params.implementation = %d, expected "
                                     "SUPERPIXEL_IMPL_XIMGPROC (0) or SUPERPIXEL_IMPL_ESCRF (1)", p.implementation));
    if (p.implementation == SUPERPIXEL_IMPL_ESCRF && p.algorithm == SUPERPIXEL_MSLIC)
        CV_Error(Error::StsNotImplemented, "computeSuperpixels: params.algorithm = SUPERPIXEL_MSLIC needs "
                                           "params.implementation = SUPERPIXEL_IMPL_XIMGPROC (the module's SLIC "
                                           "does SUPERPIXEL_SLIC and SUPERPIXEL_SLICO)");
    if (p.implementation == SUPERPIXEL_IMPL_XIMGPROC && p.device == SUPERPIXEL_DEVICE_CUDA)
        CV_Error(Error::StsNotImplemented, "computeSuperpixels: params.device = SUPERPIXEL_DEVICE_CUDA needs "
                                           "params.implementation = SUPERPIXEL_IMPL_ESCRF (ximgproc runs on the CPU)");
    if (p.numSuperpixels <= 0 || p.numSuperpixels > kMaxSuperpixels)
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.numSuperpixels = %d, expected 1..%d "
                                         "(kMaxSuperpixels)", p.numSuperpixels, (int)kMaxSuperpixels));
    const int64 numPixels = (int64)imageSize.width * imageSize.height;
    if (!imageSize.empty() && (int64)p.numSuperpixels >= numPixels)
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.numSuperpixels = %d, expected 0 < n < %lld "
                                         "(the number of pixels of the %dx%d image)", p.numSuperpixels,
                                         (long long)numPixels, imageSize.width, imageSize.height));
    if (!(p.ruler > 0.f) || !(p.ruler <= kMaxRuler))
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.ruler = %g, expected a value in (0, %d] "
                                         "(kMaxRuler)", (double)p.ruler, (int)kMaxRuler));
    if (p.iterations <= 0 || p.iterations > kMaxSlicIterations)
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.iterations = %d, expected 1..%d "
                                         "(kMaxSlicIterations)", p.iterations, (int)kMaxSlicIterations));
    if (p.minElementSize < 0 || p.minElementSize > 100)
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.minElementSize = %d, expected a percentage "
                                         "in [0, 100]", p.minElementSize));
    if (p.blurKernel < 0 || p.blurKernel > kMaxBlurKernel || (p.blurKernel > 0 && p.blurKernel % 2 == 0))
        CV_Error_(Error::StsOutOfRange, ("computeSuperpixels: params.blurKernel = %d, expected 0 (no blur) or an "
                                         "odd kernel size up to %d (kMaxBlurKernel)", p.blurKernel,
                                         (int)kMaxBlurKernel));
}

int superpixelRegionSize(Size imageSize, int numSuperpixels)
{
    const double area = (double)imageSize.width * imageSize.height / numSuperpixels;
    return std::max(1, cvRound(std::sqrt(area)));
}

int renumberLabelsRasterOrder(Mat& labels)
{
    CV_Assert(labels.type() == CV_32SC1);
    double minVal = 0, maxVal = 0;
    minMaxLoc(labels, &minVal, &maxVal);
    CV_Assert(minVal >= 0);
    // Old label -> new label; -1 = not seen yet. Serial on purpose: "first appearance"
    // is a raster-order notion.
    std::vector<int> remap((size_t)maxVal + 1, -1);
    int next = 0;
    for (int y = 0; y < labels.rows; y++)
    {
        int* row = labels.ptr<int>(y);
        for (int x = 0; x < labels.cols; x++)
        {
            int& r = remap[row[x]];
            if (r < 0)
                r = next++;
            row[x] = r;
        }
    }
    return next;
}

} // namespace detail

static void computeSuperpixelsXimgproc(const Mat& image, Mat& labels, const SuperpixelParams& p)
{
    Mat blurred;
    if (p.blurKernel > 1)
        GaussianBlur(image, blurred, Size(p.blurKernel, p.blurKernel), 0);
    else
        blurred = image;
    Mat lab;
    cvtColor(blurred, lab, COLOR_BGR2Lab);
    const int regionSize = detail::superpixelRegionSize(lab.size(), p.numSuperpixels);
    Ptr<ximgproc::SuperpixelSLIC> slic =
        ximgproc::createSuperpixelSLIC(lab, p.algorithm, regionSize, p.ruler);
    slic->iterate(p.iterations);
    if (p.enforceConnectivity)
        slic->enforceLabelConnectivity(p.minElementSize);
    slic->getLabels(labels);
}

int computeSuperpixels(InputArray _image, OutputArray _labels, const SuperpixelParams& params)
{
    if (_image.empty())
        CV_Error(Error::StsBadArg, "computeSuperpixels: image is empty, expected a CV_8UC3 BGR image");
    if (_image.type() != CV_8UC3)
        CV_Error_(Error::StsBadArg, ("computeSuperpixels: image type is %s, expected CV_8UC3 (BGR)",
                                     typeToString(_image.type()).c_str()));
    Mat image = _image.getMat();
    // A ROI is segmented as an image of its own: the blur must not read the pixels around it.
    if (image.isSubmatrix())
        image = image.clone();
    detail::checkSuperpixelParams(params, image.size());

    if (params.device == SUPERPIXEL_DEVICE_CUDA)
        detail::requireCudaDevice("computeSuperpixels: SUPERPIXEL_DEVICE_CUDA requested", "SUPERPIXEL_DEVICE_CPU");

    Mat labels;
    int M = 0;
    if (params.implementation == SUPERPIXEL_IMPL_ESCRF && params.device == SUPERPIXEL_DEVICE_CPU)
    {
        Mat lab;
        detail::slicBlurLab(image, params.blurKernel, lab);
        M = detail::runSlic(lab, labels, params);  // already in raster order
    }
    else
    {
        if (params.implementation == SUPERPIXEL_IMPL_XIMGPROC)
            computeSuperpixelsXimgproc(image, labels, params);
#ifdef HAVE_ESCRF_CUDA
        else
            cuda::computeSuperpixelLabels(image, labels, params);  // blur and Lab on the GPU too
#endif
        M = detail::renumberLabelsRasterOrder(labels);
    }
    _labels.assign(labels);
    return M;
}

}} // namespace cv::escrf
