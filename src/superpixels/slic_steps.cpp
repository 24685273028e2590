// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The steps of the module's SLIC that its CPU path (slic_cpu.cpp) shares with the tests and
// the definitions of the GPU pipeline: grid, centre initialisation, the size of the smallest
// piece that connectivity keeps, and the serial connectivity rule.

#include "precomp.hpp"
#include "superpixels/slic_device_math.hpp"
#include "superpixels/superpixels_detail.hpp"

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

void initSlicCentres(const Mat& lab, const SlicGrid& g, Mat& centres)
{
    CV_Assert(lab.type() == CV_8UC3 && lab.isContinuous());
    CV_Assert(g.gx >= 1 && g.gy >= 1 && g.gx <= lab.cols && g.gy <= lab.rows);
    centres.create(g.gx * g.gy, 5, CV_32F);
    const slicdev::SlicInitCentre init{ lab.ptr<uint8_t>(), centres.ptr<float>(), lab.cols, lab.rows, g.gx, g.gy };
    for (int k = 0; k < centres.rows; k++)
        init(k);
}

int slicMinPieceSize(Size imageSize, int numCentres, int percent)
{
    CV_Assert(numCentres > 0);
    return (int)((int64)imageSize.area() / numCentres * percent / 100);
}

namespace {

//! Horizontal runs of equal labels, in raster order; row y's runs are [rowFirst[y], rowFirst[y+1]).
struct LabelRuns
{
    std::vector<int> x0, x1, label, rowFirst;
};

LabelRuns findRuns(const Mat& labels)
{
    const int H = labels.rows, W = labels.cols;
    LabelRuns r;
    r.rowFirst.assign(H + 1, 0);
    parallel_for_(Range(0, H), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
        {
            const int* l = labels.ptr<int>(y);
            int n = 1;
            for (int x = 1; x < W; x++)
                n += l[x] != l[x - 1];
            r.rowFirst[y + 1] = n;
        }
    });
    for (int y = 0; y < H; y++)
        r.rowFirst[y + 1] += r.rowFirst[y];
    r.x0.resize(r.rowFirst[H]);
    r.x1.resize(r.rowFirst[H]);
    r.label.resize(r.rowFirst[H]);
    parallel_for_(Range(0, H), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
        {
            const int* l = labels.ptr<int>(y);
            for (int x = 0, i = r.rowFirst[y]; x < W; i++)
            {
                r.x0[i] = x;
                r.label[i] = l[x];
                for (x++; x < W && l[x] == l[x - 1]; x++) {}
                r.x1[i] = x;
            }
        }
    });
    return r;
}

int findRoot(std::vector<int>& parent, int i)
{
    while (parent[i] != i)
    {
        parent[i] = parent[parent[i]];  // path halving
        i = parent[i];
    }
    return i;
}

/** 4-connected pieces: runs of the same label that overlap in consecutive rows are joined. A
piece's root is its smallest run, which holds the piece's first pixel in raster order. */
std::vector<int> joinPieces(const LabelRuns& r)
{
    std::vector<int> parent(r.x0.size());
    for (size_t i = 0; i < parent.size(); i++)
        parent[i] = (int)i;
    for (size_t y = 1; y + 1 < r.rowFirst.size(); y++)
    {
        int a = r.rowFirst[y - 1];
        const int aEnd = r.rowFirst[y];
        for (int b = r.rowFirst[y]; b < r.rowFirst[y + 1]; b++)
        {
            while (a < aEnd && r.x1[a] <= r.x0[b])
                a++;
            for (int t = a; t < aEnd && r.x0[t] < r.x1[b]; t++)
                if (r.label[t] == r.label[b])
                {
                    const int ra = findRoot(parent, t), rb = findRoot(parent, b);
                    parent[std::max(ra, rb)] = std::min(ra, rb);
                }
        }
    }
    for (size_t i = 0; i < parent.size(); i++)
        parent[i] = findRoot(parent, (int)i);
    return parent;
}

} // namespace

int enforceLabelConnectivity(Mat& labels, int minSize)
{
    CV_Assert(labels.type() == CV_32SC1 && !labels.empty());
    const LabelRuns r = findRuns(labels);
    const std::vector<int> root = joinPieces(r);
    const int runs = (int)root.size();
    std::vector<int> size(runs, 0), final(runs, -1);
    for (int i = 0; i < runs; i++)
        size[root[i]] += r.x1[i] - r.x0[i];
    // Pieces in raster order of their first pixel (= of their root run). The anchor is the pixel
    // before the first one: left of it, or above it at the start of a row; its piece comes
    // earlier, so its final label is known. A piece that is too small takes it, a kept piece
    // takes the next label: the labels come out in raster order of first appearance.
    int next = 0;
    for (int y = 0, i = 0; y < labels.rows; y++)
        for (; i < r.rowFirst[y + 1]; i++)
        {
            if (root[i] != i)
                continue;
            const int anchorRun = r.x0[i] > 0 ? i - 1 : (y > 0 ? r.rowFirst[y - 1] : -1);
            final[i] = (size[i] < minSize && anchorRun >= 0) ? final[root[anchorRun]] : next++;
        }
    parallel_for_(Range(0, labels.rows), [&](const Range& rows) {
        for (int y = rows.start; y < rows.end; y++)
        {
            int* l = labels.ptr<int>(y);
            for (int i = r.rowFirst[y]; i < r.rowFirst[y + 1]; i++)
                std::fill(l + r.x0[i], l + r.x1[i], final[root[i]]);
        }
    });
    return next;
}

}}} // namespace cv::escrf::detail
