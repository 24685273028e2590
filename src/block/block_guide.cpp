// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Per-image guide of the ES-CRF block: the RGB image and the cosine position encoding at
// feature resolution, and the superpixel of each cell. Independent of the weights.

#include "precomp.hpp"
#include "block/block_guide.hpp"

namespace cv {
namespace escrf {

// Spec step 2: for k in 0..P/2-1, f_k = exp(-2k ln(10000) / P), channel 2k = sin(x f_k),
// channel 2k+1 = cos(x f_k). Rows [0, P) encode x, rows [P, 2P) encode y (the parity
// fixtures confirm this layout).
// The encoding is separable: each x row repeats one w-long pattern and each y row is constant
// along x, so only P (w + h) sines and cosines are evaluated, not 2 P N.
template <typename T>
static void positionEncodingT(Size fs, int P, Mat& position)
{
    const int w = fs.width, h = fs.height;
    position.create(2 * P, w * h, DataType<T>::depth);
    std::vector<T> px(w), py(h);
    for (int k = 0; k < P / 2; k++)
    {
        const double f = std::exp(-2.0 * k * std::log(10000.0) / P);
        for (int c = 0; c < 2; c++) // c = 0: sin, c = 1: cos
        {
            for (int x = 0; x < w; x++)
                px[x] = (T)(c == 0 ? std::sin(x * f) : std::cos(x * f));
            for (int y = 0; y < h; y++)
                py[y] = (T)(c == 0 ? std::sin(y * f) : std::cos(y * f));
            T* rx = position.ptr<T>(2 * k + c);
            T* ry = position.ptr<T>(P + 2 * k + c);
            for (int y = 0; y < h; y++)
            {
                std::copy(px.begin(), px.end(), rx + (size_t)y * w);
                std::fill(ry + (size_t)y * w, ry + (size_t)(y + 1) * w, py[y]);
            }
        }
    }
}

static void positionEncoding(Size fs, int P, int depth, Mat& position)
{
    if (depth == CV_64F)
        positionEncodingT<double>(fs, P, position);
    else
        positionEncodingT<float>(fs, P, position);
}

// The checks shared by prepareGuide and detail::prepareImageGuide.
static void checkImageAndSize(const char* fn, InputArray image, Size featureSize, int depth)
{
    if (depth != CV_32F && depth != CV_64F)
        CV_Error_(Error::StsBadArg, ("%s: depth = %d, expected CV_32F or CV_64F", fn, depth));
    if (image.empty() || (image.type() != CV_32FC3 && image.type() != CV_8UC3))
        CV_Error_(Error::StsBadArg, ("%s: image type is %s, expected a non-empty CV_32FC3 RGB "
                                     "image in [0,1] or CV_8UC3 BGR", fn, typeToString(image.type()).c_str()));
    const Size imgSize = image.size();
    if (featureSize.width <= 0 || featureSize.height <= 0 ||
        featureSize.width > imgSize.width || featureSize.height > imgSize.height)
        CV_Error_(Error::StsBadSize, ("%s: featureSize = %dx%d, expected positive and at most "
                                      "the image size %dx%d", fn, featureSize.width, featureSize.height,
                                      imgSize.width, imgSize.height));
}

// Spec step 1: the RGB image resized to the features, planar (bilinear with half-pixel centres is
// exactly cv::resize INTER_LINEAR).
static void guideImage(InputArray image, Size featureSize, int depth, Mat& planarImage)
{
    Mat rgb;
    if (image.type() == CV_8UC3)
    {
        Mat tmp;
        cvtColor(image, tmp, COLOR_BGR2RGB);
        tmp.convertTo(rgb, CV_32F, 1.0 / 255);
    }
    else
        rgb = image.getMat();
    Mat small, planar;
    resize(rgb, small, featureSize, 0, 0, INTER_LINEAR);
    transpose(small.reshape(1, featureSize.area()), planar);   // N x 3 -> 3 x N
    planar.convertTo(planarImage, depth);
}

void prepareGuide(InputArray _image, InputArray _superpixels, int numSuperpixels, Size featureSize,
                  const EscrfBlockParams& params, EscrfGuide& guide, int depth)
{
    checkImageAndSize("prepareGuide", _image, featureSize, depth);
    if (_superpixels.type() != CV_32SC1 || _superpixels.size() != _image.size())
        CV_Error_(Error::StsBadArg, ("prepareGuide: superpixels must be CV_32SC1 of the image size %dx%d "
                                     "(got %s %dx%d)", _image.size().width, _image.size().height,
                                     typeToString(_superpixels.type()).c_str(), _superpixels.size().width,
                                     _superpixels.size().height));
    if (numSuperpixels <= 0)
        CV_Error_(Error::StsBadArg, ("prepareGuide: numSuperpixels = %d, expected > 0", numSuperpixels));
    if (params.posDim <= 0 || params.posDim % 2 != 0)
        CV_Error_(Error::StsBadArg, ("prepareGuide: params.posDim = %d, expected even and > 0", params.posDim));

    Mat S = _superpixels.getMat();
    double minL = 0, maxL = 0;
    minMaxIdx(S, &minL, &maxL);
    if (minL < 0 || maxL >= numSuperpixels)
        CV_Error_(Error::StsOutOfRange, ("prepareGuide: superpixel labels span [%d, %d], expected "
                                         "0..numSuperpixels-1 = 0..%d", (int)minL, (int)maxL, numSuperpixels - 1));

    guide = EscrfGuide();
    guide.featureSize = featureSize;
    guide.numSuperpixels = numSuperpixels;
    guideImage(_image, featureSize, depth, guide.image);
    positionEncoding(featureSize, params.posDim, depth, guide.position);

    Mat cells;
    downsampleLabelsNearest(S, featureSize, cells);
    guide.cellLabels = cells.reshape(1, 1).clone();
    if (params.softSuperpixels)
        computeSoftAssignment(S, numSuperpixels, featureSize, guide.soft);
}

namespace detail {

void prepareImageGuide(InputArray image, Size featureSize, EscrfGuide& guide, int depth)
{
    checkImageAndSize("prepareImageGuide", image, featureSize, depth);
    guide = EscrfGuide();
    guide.featureSize = featureSize;
    guideImage(image, featureSize, depth, guide.image);
}

} // namespace detail

}} // namespace cv::escrf
