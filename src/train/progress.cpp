// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/progress.hpp"
#include "core/atomic_file.hpp"

#include <cstdio>
#include <unistd.h>

namespace cv {
namespace escrf {
namespace detail {

Progress::Progress(int verbose) : verbose_(verbose), tty_(isatty(fileno(stderr)) != 0) {}

void Progress::start(const std::string& phase, int total)
{
    phase_ = phase;
    total_ = total;
    images_ = 0;
    t0_ = lastPrint_ = getTickCount();
}

void Progress::update(int done, double loss, int images)
{
    if (verbose_ <= 0)
        return;
    images_ += images;
    const int64 now = getTickCount();
    const double elapsed = (now - t0_) / getTickFrequency();
    const double sinceLast = (now - lastPrint_) / getTickFrequency();
    if (!tty_ && sinceLast < 10 && done < total_)
        return;
    if (tty_ && sinceLast < 0.2 && done < total_)
        return;
    lastPrint_ = now;
    const double rate = elapsed > 0 ? images_ / elapsed : 0;
    const double eta = done > 0 ? elapsed * (total_ - done) / done : 0;
    const int width = 24, filled = total_ > 0 ? width * done / total_ : width;
    std::string bar = std::string(filled, '=') + std::string(width - filled, ' ');
    std::string line = format("%s [%s] %d/%d", phase_.c_str(), bar.c_str(), done, total_);
    if (loss >= 0)
        line += format(" loss %.4f", loss);
    line += format(" %.1f img/s ETA %d:%02d", rate, (int)eta / 60, (int)eta % 60);
    if (tty_)
        std::fprintf(stderr, "\r%s\033[K", line.c_str());
    else
        std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void Progress::finish(const std::string& summary)
{
    if (verbose_ <= 0)
        return;
    if (tty_)
        std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", summary.c_str());
    std::fflush(stderr);
}

void Progress::message(const std::string& line)
{
    if (verbose_ > 0)
    {
        std::fprintf(stderr, "%s\n", line.c_str());
        std::fflush(stderr);
    }
}

void writeHistoryCsv(const String& file, const std::vector<TrainEpochStats>& history)
{
    std::string text = "epoch,loss,learning_rate,seconds,val_miou,val_boundary_f,val_pixel_accuracy\n";
    for (const TrainEpochStats& h : history)
        text += format("%d,%.6f,%.6g,%.2f,%.2f,%.2f,%.2f\n", h.epoch, h.loss, h.learningRate, h.seconds,
                       h.valMeanIoU, h.valBoundaryF, h.valPixelAccuracy);
    writeFileAtomically(file, text, "training log");
}

namespace {

// One panel: series over epochs scaled into rect, with its min/max written at the left.
void drawSeries(Mat& img, Rect rect, const std::vector<std::pair<std::vector<Point2d>, Scalar>>& series,
                const std::string& title)
{
    rectangle(img, rect, Scalar::all(160));
    double xmin = DBL_MAX, xmax = -DBL_MAX, ymin = DBL_MAX, ymax = -DBL_MAX;
    for (const auto& s : series)
        for (const Point2d& p : s.first)
            xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x), ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
    putText(img, title, rect.tl() + Point(6, 16), FONT_HERSHEY_SIMPLEX, 0.45, Scalar::all(0), 1, LINE_AA);
    if (xmin > xmax)
        return;
    if (xmax == xmin) xmax = xmin + 1;
    if (ymax == ymin) ymax = ymin + 1;
    auto map = [&](const Point2d& p) {
        return Point(rect.x + 10 + (int)((p.x - xmin) / (xmax - xmin) * (rect.width - 20)),
                     rect.y + rect.height - 10 - (int)((p.y - ymin) / (ymax - ymin) * (rect.height - 40)));
    };
    for (const auto& s : series)
    {
        for (size_t i = 1; i < s.first.size(); i++)
            line(img, map(s.first[i - 1]), map(s.first[i]), s.second, 2, LINE_AA);
        for (const Point2d& p : s.first)
            circle(img, map(p), 3, s.second, FILLED, LINE_AA);
    }
    putText(img, format("%.3g", ymax), Point(rect.x + rect.width - 70, rect.y + 34), FONT_HERSHEY_SIMPLEX, 0.4, Scalar::all(60), 1, LINE_AA);
    putText(img, format("%.3g", ymin), Point(rect.x + rect.width - 70, rect.y + rect.height - 4), FONT_HERSHEY_SIMPLEX, 0.4, Scalar::all(60), 1, LINE_AA);
}

} // namespace

void plotHistory(const String& file, const std::vector<TrainEpochStats>& history)
{
    Mat img(300, 800, CV_8UC3, Scalar::all(255));
    std::vector<Point2d> loss, miou, bf;
    for (const TrainEpochStats& h : history)
    {
        loss.emplace_back(h.epoch, h.loss);
        if (h.valMeanIoU >= 0)
            miou.emplace_back(h.epoch, h.valMeanIoU), bf.emplace_back(h.epoch, h.valBoundaryF);
    }
    drawSeries(img, Rect(5, 5, 390, 290), { { loss, Scalar(200, 80, 0) } }, "training loss / epoch");
    drawSeries(img, Rect(405, 5, 390, 290), { { miou, Scalar(0, 140, 0) }, { bf, Scalar(0, 0, 200) } },
               "val mIoU (green), boundary F (red) / epoch");
    writeImageAtomically(file, img, "training plot");
}

}}} // namespace cv::escrf::detail
