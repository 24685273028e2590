// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Per-image guide of the ES-CRF block: the RGB image and the cosine position encoding at
// feature resolution, and the superpixel of each cell. Independent of the weights. The block's
// kernels read it as a GuideView (the position as its two 1-D tables), which the head's
// inference path makes directly, in buffers it keeps between images; prepareGuide makes the
// public EscrfGuide from the same view.

#include "precomp.hpp"
#include "block/block_guide.hpp"
#include "block/block_kernels.hpp"
#include "opencv2/core/hal/intrin.hpp"

namespace cv {
namespace escrf {

// Spec step 2: for k in 0..P/2-1, f_k = exp(-2k ln(10000) / P), channel 2k = sin(x f_k),
// channel 2k+1 = cos(x f_k). Rows [0, P) encode x, rows [P, 2P) encode y (the parity
// fixtures confirm this layout). The encoding is separable: the x rows depend on x only and the
// y rows on y only, so its definition is the two tables posX (P x w) and posY (P x h); only
// prepareGuide expands them to 2P x N planes (P (w + h) sines and cosines, not 2 P N).
template <typename T>
static void positionTablesT(Size fs, int P, Mat& posX, Mat& posY)
{
    posX.create(P, fs.width, DataType<T>::depth);
    posY.create(P, fs.height, DataType<T>::depth);
    for (int k = 0; k < P / 2; k++)
    {
        const double f = std::exp(-2.0 * k * std::log(10000.0) / P);
        for (int x = 0; x < fs.width; x++)
        {
            posX.at<T>(2 * k, x) = (T)std::sin(x * f);
            posX.at<T>(2 * k + 1, x) = (T)std::cos(x * f);
        }
        for (int y = 0; y < fs.height; y++)
        {
            posY.at<T>(2 * k, y) = (T)std::sin(y * f);
            posY.at<T>(2 * k + 1, y) = (T)std::cos(y * f);
        }
    }
}

// The 2P x N planes of EscrfGuide::position from the tables.
template <typename T>
static void expandPosition(const Mat& posX, const Mat& posY, Mat& position)
{
    const int P = posX.rows, w = posX.cols, h = posY.cols;
    position.create(2 * P, w * h, DataType<T>::depth);
    for (int k = 0; k < P; k++)
    {
        T* rx = position.ptr<T>(k);
        T* ry = position.ptr<T>(P + k);
        for (int y = 0; y < h; y++)
        {
            std::copy(posX.ptr<T>(k), posX.ptr<T>(k) + w, rx + (size_t)y * w);
            std::fill(ry + (size_t)y * w, ry + (size_t)(y + 1) * w, posY.at<T>(k, y));
        }
    }
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

// An 8-bit BGR image at the feature size straight into the 3 x N RGB float planes, in one pass:
// the values of cvtColor + convertTo(CV_32F, 1/255) + split (convertTo scales by the float
// 1/255 and rounds once), without the two intermediate images.
static void bgr8ToRgbPlanes(const Mat& bgr, Mat& planes)
{
    const int w = bgr.cols, N = w * bgr.rows;
    planes.create(3, N, CV_32F);
    const float scale = (float)(1.0 / 255);
    parallel_for_(Range(0, bgr.rows), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
        {
            const uchar* src = bgr.ptr<uchar>(y);
            float* r = planes.ptr<float>(0) + (size_t)y * w;
            float* g = planes.ptr<float>(1) + (size_t)y * w;
            float* b = planes.ptr<float>(2) + (size_t)y * w;
            int x = 0;
#if CV_SIMD
            const int L = v_uint8::nlanes, Q = v_float32::nlanes;
            const v_float32 vs = vx_setall_f32(scale);
            for (; x + L <= w; x += L)
            {
                v_uint8 vb, vg, vr;
                v_load_deinterleave(src + 3 * x, vb, vg, vr);
                const v_uint8* in[3] = { &vr, &vg, &vb };
                float* out[3] = { r + x, g + x, b + x };
                for (int c = 0; c < 3; c++)
                {
                    v_uint16 lo16, hi16;
                    v_expand(*in[c], lo16, hi16);
                    v_uint32 q[4];
                    v_expand(lo16, q[0], q[1]);
                    v_expand(hi16, q[2], q[3]);
                    for (int k = 0; k < 4; k++)
                        v_store(out[c] + k * Q, v_cvt_f32(v_reinterpret_as_s32(q[k])) * vs);
                }
            }
#endif
            for (; x < w; x++)
            {
                r[x] = src[3 * x + 2] * scale;
                g[x] = src[3 * x + 1] * scale;
                b[x] = src[3 * x] * scale;
            }
        }
    }, std::max(1, bgr.rows / 16));
}

// Spec step 1: the RGB image resized to the features, 3 x N planes in b.image (bilinear with
// half-pixel centres is exactly cv::resize INTER_LINEAR).
static void guideImage(InputArray _image, Size featureSize, int depth, block::GuideBuffers& b)
{
    Mat rgb;
    if (_image.type() == CV_8UC3 && depth == CV_32F && _image.size() == featureSize)
    {
        bgr8ToRgbPlanes(_image.getMat(), b.image);
        return;
    }
    if (_image.type() == CV_8UC3)
    {
        cvtColor(_image, b.bgr, COLOR_BGR2RGB);
        b.bgr.convertTo(b.rgb, CV_32F, 1.0 / 255);
        rgb = b.rgb;
    }
    else
        rgb = _image.getMat();
    const int N = featureSize.area();
    resize(rgb, b.small, featureSize, 0, 0, INTER_LINEAR);
    b.image.create(3, N, depth);
    Mat small = b.small.isContinuous() ? b.small : b.small.clone();
    if (depth == CV_32F)
    {
        Mat planes[3] = { b.image.row(0).reshape(1, featureSize.height), b.image.row(1).reshape(1, featureSize.height),
                          b.image.row(2).reshape(1, featureSize.height) };
        split(small, planes);
    }
    else
    {
        Mat planar;
        transpose(small.reshape(1, N), planar);   // N x 3 -> 3 x N
        planar.convertTo(b.image, depth);
    }
}

namespace block {

void prepareGuideView(InputArray _image, InputArray _superpixels, int numSuperpixels, Size featureSize,
                      const EscrfBlockParams& params, int depth, GuideBuffers& b, GuideView& view)
{
    checkImageAndSize("prepareGuide", _image, featureSize, depth);
    if (_superpixels.type() != CV_32SC1 || _superpixels.size() != _image.size())
        CV_Error_(Error::StsBadArg, ("prepareGuide: superpixels must be CV_32SC1 of the image size %dx%d "
                                     "(got %s %dx%d)", _image.size().width, _image.size().height,
                                     typeToString(_superpixels.type()).c_str(), _superpixels.size().width,
                                     _superpixels.size().height));
    if (numSuperpixels <= 0)
        CV_Error_(Error::StsBadArg, ("prepareGuide: numSuperpixels = %d, expected > 0", numSuperpixels));
    const Size imgSize = _image.size();
    if (params.posDim <= 0 || params.posDim % 2 != 0)
        CV_Error_(Error::StsBadArg, ("prepareGuide: params.posDim = %d, expected even and > 0", params.posDim));

    Mat S = _superpixels.getMat();
    double minL = 0, maxL = 0;
    minMaxIdx(S, &minL, &maxL);
    if (minL < 0 || maxL >= numSuperpixels)
        CV_Error_(Error::StsOutOfRange, ("prepareGuide: superpixel labels span [%d, %d], expected "
                                         "0..numSuperpixels-1 = 0..%d", (int)minL, (int)maxL, numSuperpixels - 1));

    view = GuideView();
    view.size = featureSize;
    view.numSuperpixels = numSuperpixels;
    guideImage(_image, featureSize, depth, b);
    view.image = b.image;

    if (depth == CV_64F)
        positionTablesT<double>(featureSize, params.posDim, b.posX, b.posY);
    else
        positionTablesT<float>(featureSize, params.posDim, b.posX, b.posY);
    view.posX = b.posX;
    view.posY = b.posY;

    // Nearest cell labels; at the image size they are the labels themselves.
    if (featureSize == imgSize && S.isContinuous())
        view.cellLabels = S.reshape(1, 1);
    else
    {
        downsampleLabelsNearest(S, featureSize, b.cells);
        view.cellLabels = b.cells.reshape(1, 1);
    }
    if (params.softSuperpixels)
    {
        computeSoftAssignment(S, numSuperpixels, featureSize, b.soft);
        view.soft = &b.soft;
    }
}

} // namespace block

void prepareGuide(InputArray _image, InputArray _superpixels, int numSuperpixels, Size featureSize,
                  const EscrfBlockParams& params, EscrfGuide& guide, int depth)
{
    block::GuideBuffers b;
    block::GuideView view;
    block::prepareGuideView(_image, _superpixels, numSuperpixels, featureSize, params, depth, b, view);
    guide = EscrfGuide();
    guide.featureSize = featureSize;
    guide.numSuperpixels = numSuperpixels;
    guide.image = b.image;
    if (depth == CV_64F)
        expandPosition<double>(b.posX, b.posY, guide.position);
    else
        expandPosition<float>(b.posX, b.posY, guide.position);
    guide.cellLabels = view.cellLabels.clone();   // may be the caller's labels
    if (params.softSuperpixels)
        guide.soft = b.soft;
}

namespace detail {

void prepareImageGuide(InputArray image, Size featureSize, EscrfGuide& guide, int depth)
{
    checkImageAndSize("prepareImageGuide", image, featureSize, depth);
    block::GuideBuffers b;
    guideImage(image, featureSize, depth, b);
    guide = EscrfGuide();
    guide.featureSize = featureSize;
    guide.image = b.image;
}

} // namespace detail

}} // namespace cv::escrf
