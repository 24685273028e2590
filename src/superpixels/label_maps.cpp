// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Superpixel label maps at feature resolution: the nearest (reference) downsampling and the
// area-weighted soft assignment of feature cells to superpixels.

#include "precomp.hpp"

namespace cv {
namespace escrf {

static void checkLabelMap(const char* fn, InputArray labels, Size featureSize)
{
    if (labels.empty())
        CV_Error_(Error::StsBadArg, ("%s: labels is empty, expected a CV_32SC1 label map", fn));
    if (labels.type() != CV_32SC1)
        CV_Error_(Error::StsBadArg, ("%s: labels type is %s, expected CV_32SC1", fn,
                                     typeToString(labels.type()).c_str()));
    const Size sz = labels.size();
    if (featureSize.width <= 0 || featureSize.height <= 0 ||
        featureSize.width > sz.width || featureSize.height > sz.height)
        CV_Error_(Error::StsBadSize, ("%s: featureSize = %dx%d, expected 0 < w <= %d and 0 < h <= %d "
                                      "(at most the label map size)", fn, featureSize.width,
                                      featureSize.height, sz.width, sz.height));
}

void downsampleLabelsNearest(InputArray _labels, Size featureSize, OutputArray _cellLabels)
{
    checkLabelMap("downsampleLabelsNearest", _labels, featureSize);
    Mat labels = _labels.getMat();
    const int H = labels.rows, W = labels.cols, h = featureSize.height, w = featureSize.width;

    (void)H; (void)W; (void)h; (void)w;
    // The spec's reference semantics are cv::resize's nearest neighbour (the PyTorch reference
    // agrees): source index cvFloor(dst * (1 / (w / W))) in double precision, which differs
    // from the exact floor(dst * W / w) for some non-integer ratios (e.g. W = 26, w = 10).
    Mat cells;
    resize(labels, cells, featureSize, 0, 0, INTER_NEAREST);
    cells.copyTo(_cellLabels);
}

namespace {

// Overlap of a cell with the pixels under it along one axis. Working in units of 1/cells
// keeps everything integer: cell c covers [c*pixels, (c+1)*pixels) and pixel p covers
// [p*cells, (p+1)*cells); the overlap divided by `pixels` is the fraction of the cell.
struct AxisCover
{
    std::vector<int> offsets;   // cells + 1
    std::vector<int> pixel;
    std::vector<double> frac;   // fraction of the cell's extent covered by that pixel
};

AxisCover axisCover(int pixels, int cells)
{
    AxisCover a;
    a.offsets.resize(cells + 1, 0);
    for (int c = 0; c < cells; c++)
    {
        const int64 lo = (int64)c * pixels, hi = (int64)(c + 1) * pixels;
        for (int p = (int)(lo / cells); (int64)p * cells < hi; p++)
        {
            const int64 plo = (int64)p * cells, phi = plo + cells;
            const int64 overlap = std::min(hi, phi) - std::max(lo, plo);
            if (overlap <= 0)
                continue;
            a.pixel.push_back(p);
            a.frac.push_back((double)overlap / pixels);
        }
        a.offsets[c + 1] = (int)a.pixel.size();
    }
    return a;
}

} // namespace

void computeSoftAssignment(InputArray _labels, int numSuperpixels, Size featureSize,
                           SoftAssignment& assignment)
{
    checkLabelMap("computeSoftAssignment", _labels, featureSize);
    if (numSuperpixels <= 0)
        CV_Error_(Error::StsOutOfRange, ("computeSoftAssignment: numSuperpixels = %d, expected > 0",
                                         numSuperpixels));
    Mat labels = _labels.getMat();
    double minVal = 0, maxVal = 0;
    Point minLoc, maxLoc;
    minMaxLoc(labels, &minVal, &maxVal, &minLoc, &maxLoc);
    if (minVal < 0 || maxVal >= numSuperpixels)
    {
        const Point bad = minVal < 0 ? minLoc : maxLoc;
        CV_Error_(Error::StsOutOfRange, ("computeSoftAssignment: labels(%d, %d) = %d, expected labels in [0, %d)",
                                         bad.y, bad.x, labels.at<int>(bad), numSuperpixels));
    }

    const int w = featureSize.width, h = featureSize.height;
    const AxisCover cx = axisCover(labels.cols, w), cy = axisCover(labels.rows, h);

    // One list per cell, computed in parallel over cell rows, then packed into CSR.
    typedef std::vector<std::pair<int, double> > Entries;
    std::vector<Entries> cells((size_t)w * h);
    parallel_for_(Range(0, h), [&](const Range& r) {
        Entries acc;
        for (int y = r.start; y < r.end; y++)
            for (int x = 0; x < w; x++)
            {
                acc.clear();
                for (int iy = cy.offsets[y]; iy < cy.offsets[y + 1]; iy++)
                {
                    const int* row = labels.ptr<int>(cy.pixel[iy]);
                    for (int ix = cx.offsets[x]; ix < cx.offsets[x + 1]; ix++)
                        acc.emplace_back(row[cx.pixel[ix]], cy.frac[iy] * cx.frac[ix]);
                }
                // Merge equal labels; sorted by superpixel so the output is deterministic.
                std::sort(acc.begin(), acc.end(),
                          [](const std::pair<int, double>& a, const std::pair<int, double>& b) {
                              return a.first < b.first;
                          });
                Entries& out = cells[(size_t)y * w + x];
                for (const auto& e : acc)
                {
                    if (!out.empty() && out.back().first == e.first)
                        out.back().second += e.second;
                    else
                        out.push_back(e);
                }
            }
    });

    assignment.numCells = w * h;
    assignment.numSuperpixels = numSuperpixels;
    assignment.offsets.assign((size_t)w * h + 1, 0);
    size_t total = 0;
    for (size_t i = 0; i < cells.size(); i++)
    {
        total += cells[i].size();
        assignment.offsets[i + 1] = (int)total;
    }
    assignment.superpixel.resize(total);
    assignment.weight.resize(total);
    size_t k = 0;
    for (const Entries& e : cells)
        for (const auto& sw : e)
        {
            assignment.superpixel[k] = sw.first;
            assignment.weight[k] = (float)sw.second;
            k++;
        }
}

}} // namespace cv::escrf
