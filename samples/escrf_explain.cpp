// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The kernel picture of the ES-CRF paper's Fig. 4: for one pixel, what the head's pairwise stage
// weighs its neighbours with - the appearance similarity, the position term and the final pairwise
// weight psi = mu K over the pixel's window (ES-CRF heads), or the attention over the whole image
// (nonlocal heads) - side by side with the image. The numbers are cv::escrf::explainHeadKernel's,
// i.e. the head's own block math; the crop around the pixel is scaled up with nearest neighbours so
// that every cell of the window is visible.
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

#include <cstdio>
#include <iostream>

static const char* keys =
    "{ help h   |        | print this help }"
    "{ head     | <none> | head file (pairwise, escrf or nonlocal) }"
    "{ backbone |        | backbone description replacing the one stored in the head }"
    "{ input i  | <none> | image }"
    "{ pixel    | <none> | x,y of the pixel to explain }"
    "{ output o | <none> | picture (.png) }"
    "{ panel    | 320    | width of each panel in pixels }";

namespace {

using namespace cv;

Point parsePixel(const std::string& text)
{
    int x = 0, y = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%d,%d%c", &x, &y, &tail) != 2)
        CV_Error(Error::StsBadArg, "--pixel: expected x,y (two integers), got '" + text + "'");
    return Point(x, y);
}

// The image region the maps cover around the pixel: the cells where a map is defined (the
// window, or the whole map), one cell of margin, clipped to the image.
Rect cropOf(const escrf::HeadKernelMaps& maps, Size imageSize)
{
    const Mat defined = maps.weight == maps.weight;   // NaN outside G(i)
    Rect cells = boundingRect(defined);
    cells = Rect(cells.x - 1, cells.y - 1, cells.width + 2, cells.height + 2) & Rect(Point(), maps.mapSize);
    const int s = maps.cellSize;
    return Rect(cells.x * s, cells.y * s, cells.width * s, cells.height * s) & Rect(Point(), imageSize);
}

// One map as a colour panel of the crop: each cell a cellSize block, coloured by value / max
// (viridis), grey where the map is undefined; scaled like the image panel.
Mat mapPanel(const Mat& map, const escrf::HeadKernelMaps& maps, Rect crop, int scale)
{
    Mat values(crop.size(), CV_64F), valid(crop.size(), CV_8U);
    for (int y = 0; y < crop.height; y++)
        for (int x = 0; x < crop.width; x++)
        {
            const Point cell((crop.x + x) / maps.cellSize, (crop.y + y) / maps.cellSize);
            const double v = map.at<double>(std::min(cell.y, map.rows - 1), std::min(cell.x, map.cols - 1));
            values.at<double>(y, x) = v == v ? v : 0;
            valid.at<uchar>(y, x) = v == v ? 255 : 0;
        }
    double lo = 0, hi = 0;
    minMaxLoc(values, &lo, &hi, nullptr, nullptr, valid);
    Mat grey, coloured;
    values.convertTo(grey, CV_8U, hi > lo ? 255.0 / (hi - lo) : 0, hi > lo ? -255.0 * lo / (hi - lo) : 0);
    applyColorMap(grey, coloured, COLORMAP_VIRIDIS);
    coloured.setTo(Scalar::all(128), ~valid);
    Mat big;
    resize(coloured, big, Size(), scale, scale, INTER_NEAREST);
    return big;
}

// The pixel's position in a panel: a cross, and the outline of its cell.
void markPixel(Mat& panel, Point pixel, Rect crop, int scale, const escrf::HeadKernelMaps& maps)
{
    const Point c((pixel.x - crop.x) * scale + scale / 2, (pixel.y - crop.y) * scale + scale / 2);
    drawMarker(panel, c, Scalar(0, 0, 255), MARKER_CROSS, std::max(9, scale * 2), 2);
    const int s = maps.cellSize * scale;
    rectangle(panel, Rect((maps.cell.x * maps.cellSize - crop.x) * scale, (maps.cell.y * maps.cellSize - crop.y) * scale,
                          s, s), Scalar(255, 255, 255), 1);
}

// A panel with its title and value range above it.
Mat titled(const Mat& panel, const std::string& title, const std::string& note)
{
    Mat out(panel.rows + 44, panel.cols, CV_8UC3, Scalar::all(255));
    panel.copyTo(out(Rect(0, 44, panel.cols, panel.rows)));
    putText(out, title, Point(4, 18), FONT_HERSHEY_SIMPLEX, 0.5, Scalar::all(20), 1, LINE_AA);
    putText(out, note, Point(4, 37), FONT_HERSHEY_SIMPLEX, 0.4, Scalar::all(80), 1, LINE_AA);
    return out;
}

std::string rangeOf(const Mat& map)
{
    double lo = 0, hi = 0;
    minMaxLoc(map, &lo, &hi, nullptr, nullptr, map == map);
    return format("%.3g .. %.3g", lo, hi);
}

} // namespace

int main(int argc, char** argv)
{
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_explain: what a head's pairwise kernel weighs one pixel's neighbours with (Fig. 4)");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string headFile = parser.get<std::string>("head"), backboneFile = parser.get<std::string>("backbone");
    const std::string input = parser.get<std::string>("input"), output = parser.get<std::string>("output");
    const std::string pixelText = parser.get<std::string>("pixel");
    const int panelWidth = parser.get<int>("panel");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        const Point pixel = parsePixel(pixelText);
        Ptr<escrf::Head> head = escrf::Head::load(headFile);
        const escrf::BackboneDescription desc =
            backboneFile.empty() ? head->backbone() : escrf::BackboneDescription::read(backboneFile);
        if (desc.model.empty())
            CV_Error(Error::StsBadArg, "head file '" + headFile + "' names no backbone; pass --backbone");
        Ptr<escrf::Backbone> backbone = escrf::Backbone::create(desc);
        const Mat image = imread(input, IMREAD_COLOR);
        if (image.empty())
            CV_Error(Error::StsBadArg, "--input: cannot read the image '" + input + "'");
        escrf::HeadKernelMaps maps;
        escrf::explainHeadKernel(*head, *backbone, image, pixel, maps);

        const Rect crop = cropOf(maps, image.size());
        const int scale = std::max(1, panelWidth / crop.width);
        Mat picture;
        resize(image(crop), picture, Size(), scale, scale, INTER_NEAREST);
        markPixel(picture, pixel, crop, scale, maps);
        std::vector<Mat> panels = { titled(picture, format("image, pixel (%d, %d)", pixel.x, pixel.y),
                                           format("crop %dx%d at (%d, %d), x%d", crop.width, crop.height, crop.x,
                                                  crop.y, scale)) };
        const bool nonlocal = maps.appearance.empty();
        const struct { const Mat* map; const char* title; } shown[] = {
            { &maps.appearance, "appearance similarity" }, { &maps.position, "position term" },
            { &maps.weight, nonlocal ? "attention softmax(theta.phi)" : "pairwise weight psi = mu K" } };
        for (const auto& s : shown)
            if (!s.map->empty())
            {
                Mat panel = mapPanel(*s.map, maps, crop, scale);
                markPixel(panel, pixel, crop, scale, maps);
                panels.push_back(titled(panel, s.title, rangeOf(*s.map)));
            }
        Mat row;
        hconcat(panels, row);
        Mat out(row.rows + 28, row.cols, CV_8UC3, Scalar::all(255));
        row.copyTo(out(Rect(0, 28, row.cols, row.rows)));
        putText(out, format("%s head (%s), %s, cell (%d, %d) of %dx%d, %d px per cell", headFile.c_str(),
                            escrf::headVariantToString(head->config().variant).c_str(), input.c_str(), maps.cell.x,
                            maps.cell.y, maps.mapSize.width, maps.mapSize.height, maps.cellSize),
                Point(4, 19), FONT_HERSHEY_SIMPLEX, 0.45, Scalar::all(20), 1, LINE_AA);
        if (!imwrite(output, out))
            CV_Error(Error::StsError, "cannot write '" + output + "'");
        std::cout << "cell (" << maps.cell.x << ", " << maps.cell.y << "), psi " << rangeOf(maps.weight) << " -> "
                  << output << std::endl;
    }
    catch (const Exception& e)
    {
        std::cerr << "escrf_explain: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
