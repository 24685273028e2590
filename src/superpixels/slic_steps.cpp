// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The steps of the module's own SLIC (used by the CUDA path, which runs the assignment on
// the GPU): grid, centre initialisation, the CPU reference of the assignment, centre update
// and connectivity enforcement.

#include "precomp.hpp"
#include "superpixels/superpixels_detail.hpp"
#include <cfloat>

namespace cv {
namespace escrf {
namespace detail {

SlicGrid makeSlicGrid(Size imageSize, int regionSize)
{
    CV_Assert(regionSize >= 1 && !imageSize.empty());
    SlicGrid g;
    g.gx = std::max(1, cvRound((double)imageSize.width / regionSize));
    g.gy = std::max(1, cvRound((double)imageSize.height / regionSize));
    g.step = (float)regionSize;
    return g;
}

static inline Vec3f labAt(const Mat& lab, int y, int x)
{
    if (lab.depth() == CV_8U)
    {
        const Vec3b& v = lab.at<Vec3b>(y, x);
        return Vec3f(v[0], v[1], v[2]);
    }
    return lab.at<Vec3f>(y, x);
}

void initSlicCentres(const Mat& lab, const SlicGrid& g, Mat& centres)
{
    CV_Assert(lab.type() == CV_8UC3 || lab.type() == CV_32FC3);
    centres.create(g.gx * g.gy, 5, CV_32F);
    for (int j = 0; j < g.gy; j++)
        for (int i = 0; i < g.gx; i++)
        {
            // Middle pixel of grid cell (i, j): the cell spans [i*W/gx, (i+1)*W/gx).
            const int x = (int)(((int64)(2 * i + 1) * lab.cols) / (2 * g.gx));
            const int y = (int)(((int64)(2 * j + 1) * lab.rows) / (2 * g.gy));
            const Vec3f c = labAt(lab, y, x);
            float* row = centres.ptr<float>(j * g.gx + i);
            row[0] = c[0]; row[1] = c[1]; row[2] = c[2];
            row[3] = (float)x; row[4] = (float)y;
        }
}

void slicAssignCpu(const Mat& lab, const Mat& centres, const SlicGrid& g,
                   const std::vector<float>& invColorScale, float invSpatialScale, Mat& labels)
{
    CV_Assert(lab.type() == CV_8UC3 || lab.type() == CV_32FC3);
    CV_Assert(centres.type() == CV_32FC1 && centres.cols == 5 && centres.rows == g.gx * g.gy);
    CV_Assert(centres.isContinuous() && (int)invColorScale.size() == centres.rows);
    labels.create(lab.size(), CV_32SC1);
    const float* C = centres.ptr<float>();
    const int W = lab.cols, H = lab.rows;
    parallel_for_(Range(0, H), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
        {
            int* out = labels.ptr<int>(y);
            const int cy = (int)((int64)y * g.gy / H);
            for (int x = 0; x < W; x++)
            {
                const int cx = (int)((int64)x * g.gx / W);
                const Vec3f p = labAt(lab, y, x);
                float best = FLT_MAX;
                int bestK = -1;
                // Centres in row-major order of the 3x3 neighbourhood = increasing index,
                // and a strict '<' keeps the lowest index on ties (the kernel does the same).
                for (int j = std::max(0, cy - 1); j <= std::min(g.gy - 1, cy + 1); j++)
                    for (int i = std::max(0, cx - 1); i <= std::min(g.gx - 1, cx + 1); i++)
                    {
                        const int k = j * g.gx + i;
                        const float* c = C + 5 * k;
                        const float dl = p[0] - c[0], da = p[1] - c[1], db = p[2] - c[2];
                        const float dx = (float)x - c[3], dy = (float)y - c[4];
                        const float dc2 = (dl * dl + da * da) + db * db;
                        const float ds2 = dx * dx + dy * dy;
                        const float d = dc2 * invColorScale[k] + ds2 * invSpatialScale;
                        if (d < best)
                        {
                            best = d;
                            bestK = k;
                        }
                    }
                out[x] = bestK;
            }
        }
    });
}

void slicUpdateCentres(const Mat& lab, const Mat& labels, Mat& centres, std::vector<float>* maxColorDist2)
{
    CV_Assert(labels.type() == CV_32SC1 && labels.size() == lab.size());
    CV_Assert(centres.type() == CV_32FC1 && centres.cols == 5 && centres.isContinuous());
    const int K = centres.rows;
    std::vector<double> sums((size_t)K * 6, 0.0);  // L, a, b, x, y, count
    for (int y = 0; y < lab.rows; y++)
    {
        const int* l = labels.ptr<int>(y);
        for (int x = 0; x < lab.cols; x++)
        {
            CV_DbgAssert(l[x] >= 0 && l[x] < K);
            double* s = &sums[(size_t)l[x] * 6];
            const Vec3f p = labAt(lab, y, x);
            s[0] += p[0]; s[1] += p[1]; s[2] += p[2];
            s[3] += x; s[4] += y; s[5] += 1;
        }
    }
    for (int k = 0; k < K; k++)
    {
        const double* s = &sums[(size_t)k * 6];
        if (s[5] == 0)
            continue;
        float* c = centres.ptr<float>(k);
        for (int t = 0; t < 5; t++)
            c[t] = (float)(s[t] / s[5]);
    }
    if (maxColorDist2)
    {
        maxColorDist2->assign(K, 0.f);
        const float* C = centres.ptr<float>();
        for (int y = 0; y < lab.rows; y++)
        {
            const int* l = labels.ptr<int>(y);
            for (int x = 0; x < lab.cols; x++)
            {
                const float* c = C + 5 * l[x];
                const Vec3f p = labAt(lab, y, x);
                const float dl = p[0] - c[0], da = p[1] - c[1], db = p[2] - c[2];
                float& m = (*maxColorDist2)[l[x]];
                m = std::max(m, dl * dl + da * da + db * db);
            }
        }
    }
}

void runSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params, const SlicAssignFn& assign)
{
    CV_Assert(lab.type() == CV_8UC3 && assign);
    CV_Assert(params.algorithm == SUPERPIXEL_SLIC || params.algorithm == SUPERPIXEL_SLICO);
    const int S = superpixelRegionSize(lab.size(), params.numSuperpixels);
    const SlicGrid g = makeSlicGrid(lab.size(), S);
    Mat centres;
    initSlicCentres(lab, g, centres);
    const int K = centres.rows;

    const bool slico = params.algorithm == SUPERPIXEL_SLICO;
    const float invSpatial = slico ? 1.f / (float)(S * S) : (params.ruler * params.ruler) / (float)(S * S);
    std::vector<float> invColor(K, slico ? 1.f / 100.f : 1.f), maxDc2;
    for (int it = 0; it < params.iterations; it++)
    {
        assign(lab, centres, g, invColor, invSpatial, labels);
        slicUpdateCentres(lab, labels, centres, slico ? &maxDc2 : nullptr);
        if (slico)
            for (int k = 0; k < K; k++)
                invColor[k] = 1.f / std::max(maxDc2[k], 1.f);
    }
    if (params.enforceConnectivity)
    {
        enforceLabelConnectivity(labels, slicMinPieceSize(lab.size(), K, params.minElementSize));
    }
}

int slicMinPieceSize(Size imageSize, int numCentres, int percent)
{
    CV_Assert(numCentres > 0);
    return (int)((int64)imageSize.area() / numCentres * percent / 100);
}

int enforceLabelConnectivity(Mat& labels, int minSize)
{
    CV_Assert(labels.type() == CV_32SC1 && !labels.empty());
    const int W = labels.cols, H = labels.rows;
    Mat out(labels.size(), CV_32SC1, Scalar(-1));
    std::vector<Point> piece;
    piece.reserve(1024);
    const int dx4[4] = { -1, 0, 1, 0 }, dy4[4] = { 0, -1, 0, 1 };
    int next = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
        {
            if (out.at<int>(y, x) >= 0)
                continue;
            // A labelled neighbour met before this piece: it absorbs the piece if too small.
            int adjacent = -1;
            for (int n = 0; n < 4 && adjacent < 0; n++)
            {
                const int ax = x + dx4[n], ay = y + dy4[n];
                if (ax >= 0 && ax < W && ay >= 0 && ay < H && out.at<int>(ay, ax) >= 0)
                    adjacent = out.at<int>(ay, ax);
            }
            const int old = labels.at<int>(y, x);
            piece.clear();
            piece.push_back(Point(x, y));
            out.at<int>(y, x) = next;
            for (size_t i = 0; i < piece.size(); i++)
                for (int n = 0; n < 4; n++)
                {
                    const int ax = piece[i].x + dx4[n], ay = piece[i].y + dy4[n];
                    if (ax >= 0 && ax < W && ay >= 0 && ay < H && out.at<int>(ay, ax) < 0 &&
                        labels.at<int>(ay, ax) == old)
                    {
                        out.at<int>(ay, ax) = next;
                        piece.push_back(Point(ax, ay));
                    }
                }
            if ((int)piece.size() < minSize && adjacent >= 0)
            {
                for (const Point& p : piece)
                    out.at<int>(p) = adjacent;
            }
            else
                next++;
        }
    out.copyTo(labels);
    return renumberLabelsRasterOrder(labels);
}

}}} // namespace cv::escrf::detail
