// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The PFB analysis of the ES-CRF paper's Fig. 1(a) ("pernicious favour on boundary"): for each
// class, the class whose pixels touch it most often in the ground truth of a list (4-neighbour
// pairs, the ignore label left out), and the cosine similarity of the two classes' classifier
// weight vectors (rows of cls.weight), one curve per head, pairs sorted by adjacency. Writes the
// plot (--output) and a CSV with the same numbers beside it (<output without extension>.csv).
#include "opencv2/escrf.hpp"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

#include <fstream>
#include <iostream>

static const char* keys =
    "{ help h     |        | print this help }"
    "{ head       | <none> | head file }"
    "{ compare    |        | a second head file (same classes) drawn as a second curve }"
    "{ list       | <none> | list of images and ground-truth labels (the adjacency counts) }"
    "{ output o   | <none> | plot (.png); the CSV is written beside it }"
    "{ max-images | 0      | use only the first N images of the list }";

namespace {

using namespace cv;

// A head as the analysis sees it: a name for the legend and its classifier's similarity matrix.
struct HeadCurve
{
    std::string name;
    Mat similarity;   // K x K
    Scalar colour;
};

std::string baseName(const std::string& path)
{
    const size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string withoutExtension(const std::string& path)
{
    const size_t dot = path.find_last_of('.'), slash = path.find_last_of("/\\");
    return dot == std::string::npos || (slash != std::string::npos && dot < slash) ? path : path.substr(0, dot);
}

// Text drawn bottom-to-top with its baseline at x, ending at y (for the x-axis labels).
void putVerticalText(Mat& canvas, const std::string& text, Point bottom, double scale)
{
    int base = 0;
    const Size ts = getTextSize(text, FONT_HERSHEY_SIMPLEX, scale, 1, &base);
    Mat horizontal(ts.height + base + 2, ts.width + 2, CV_8UC3, Scalar::all(255)), vertical;
    putText(horizontal, text, Point(1, ts.height + 1), FONT_HERSHEY_SIMPLEX, scale, Scalar::all(40), 1, LINE_AA);
    rotate(horizontal, vertical, ROTATE_90_COUNTERCLOCKWISE);
    Rect r(bottom.x - vertical.cols / 2, bottom.y - vertical.rows, vertical.cols, vertical.rows);
    r &= Rect(Point(), canvas.size());
    vertical(Rect(0, vertical.rows - r.height, r.width, r.height)).copyTo(canvas(r));
}

// The plot of Fig. 1(a): x = the pairs (by decreasing adjacency), y = cosine similarity in [-1, 1].
Mat plot(const std::vector<escrf::AdjacentClassPair>& pairs, const std::vector<std::string>& names,
         const std::vector<HeadCurve>& curves)
{
    const int left = 70, right = 20, top = 50, bottom = 170, step = 48, legendStep = 260;
    const String title = "cosine similarity of the classifier weights of the most adjacent class pairs";
    int base = 0;
    const int titleW = getTextSize(title, FONT_HERSHEY_SIMPLEX, 0.5, 1, &base).width;
    // Wide enough for the pairs, the title and the legend (one entry per head).
    const int plotW = std::max({ 300, step * (int)pairs.size(), titleW + 10, legendStep * (int)curves.size() + 10 });
    const int plotH = 320;
    Mat canvas(top + plotH + bottom, left + plotW + right, CV_8UC3, Scalar::all(255));
    auto yOf = [&](double s) { return top + (int)std::lround((1.0 - s) / 2.0 * plotH); };
    auto xOf = [&](size_t i) { return left + step / 2 + (int)i * step; };
    for (double s = -1.0; s <= 1.0001; s += 0.5)
    {
        line(canvas, Point(left, yOf(s)), Point(left + plotW, yOf(s)), Scalar::all(s == 0 ? 150 : 225), 1);
        putText(canvas, format("%.1f", s), Point(8, yOf(s) + 5), FONT_HERSHEY_SIMPLEX, 0.45, Scalar::all(40), 1,
                LINE_AA);
    }
    rectangle(canvas, Rect(left, top, plotW, plotH), Scalar::all(60), 1);
    putText(canvas, title, Point(left, 20), FONT_HERSHEY_SIMPLEX, 0.5, Scalar::all(20), 1, LINE_AA);
    for (size_t i = 0; i < pairs.size(); i++)
    {
        const escrf::AdjacentClassPair& p = pairs[i];
        putVerticalText(canvas, names[p.classA] + "-" + names[p.classB], Point(xOf(i), top + plotH + bottom - 10),
                        0.42);
        line(canvas, Point(xOf(i), top + plotH), Point(xOf(i), top + plotH + 4), Scalar::all(60), 1);
    }
    for (size_t c = 0; c < curves.size(); c++)
    {
        const HeadCurve& h = curves[c];
        for (size_t i = 0; i < pairs.size(); i++)
        {
            const Point pt(xOf(i), yOf(h.similarity.at<double>(pairs[i].classA, pairs[i].classB)));
            circle(canvas, pt, 4, h.colour, FILLED, LINE_AA);
            if (i > 0)
                line(canvas, Point(xOf(i - 1), yOf(h.similarity.at<double>(pairs[i - 1].classA, pairs[i - 1].classB))),
                     pt, h.colour, 2, LINE_AA);
        }
        const int lx = left + 10 + (int)c * legendStep;
        line(canvas, Point(lx, 36), Point(lx + 25, 36), h.colour, 2, LINE_AA);
        putText(canvas, h.name, Point(lx + 32, 40), FONT_HERSHEY_SIMPLEX, 0.45, Scalar::all(20), 1, LINE_AA);
    }
    return canvas;
}

void writeCsv(const std::string& file, const std::vector<escrf::AdjacentClassPair>& pairs,
              const std::vector<std::string>& names, const std::vector<HeadCurve>& curves)
{
    std::ofstream out(file);
    out << "rank,class_a,class_b,name_a,name_b,adjacency";
    for (const HeadCurve& h : curves)
        out << ",similarity " << h.name;
    out << "\n";
    for (size_t i = 0; i < pairs.size(); i++)
    {
        const escrf::AdjacentClassPair& p = pairs[i];
        out << i + 1 << "," << p.classA << "," << p.classB << "," << names[p.classA] << "," << names[p.classB] << ","
            << format("%.0f", p.adjacency);
        for (const HeadCurve& h : curves)
            out << format(",%.6f", h.similarity.at<double>(p.classA, p.classB));
        out << "\n";
    }
    if (!out)
        CV_Error(Error::StsError, "cannot write '" + file + "'");
}

} // namespace

int main(int argc, char** argv)
{
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_analyze_pfb: classifier similarity of adjacent classes (the ES-CRF paper's Fig. 1a)");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string headFile = parser.get<std::string>("head"), compare = parser.get<std::string>("compare");
    const std::string list = parser.get<std::string>("list"), output = parser.get<std::string>("output");
    const int maxImages = parser.get<int>("max-images");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        std::vector<Ptr<escrf::Head> > heads = { escrf::Head::load(headFile) };
        if (!compare.empty())
            heads.push_back(escrf::Head::load(compare));
        const int K = heads[0]->config().numClasses;
        for (const Ptr<escrf::Head>& h : heads)
            if (h->config().numClasses != K)
                CV_Error(Error::StsBadArg, format("--compare: the heads predict %d and %d classes", K,
                                                  h->config().numClasses));
        const escrf::BackboneDescription& desc = heads[0]->backbone();
        std::vector<std::string> names;
        for (int k = 0; k < K; k++)
            names.push_back((int)desc.classes.size() == K ? desc.classes[k] : format("%d", k));

        escrf::Dataset data(list);
        const int n = maxImages > 0 ? std::min(maxImages, data.size()) : data.size();
        if (n == 0)
            CV_Error(Error::StsBadArg, "--list '" + list + "' holds no samples");
        Mat adjacency, image, labels;
        for (int i = 0; i < n; i++)
        {
            data.load(i, image, labels);
            escrf::accumulateClassAdjacency(labels, K, desc.ignoreLabel, adjacency);
        }
        const Scalar colours[] = { Scalar(200, 90, 30), Scalar(40, 40, 220) };
        std::vector<HeadCurve> curves;
        for (size_t h = 0; h < heads.size(); h++)
            curves.push_back({ baseName(h == 0 ? headFile : compare) + " (" +
                                   escrf::headVariantToString(heads[h]->config().variant) + ")",
                               escrf::rowCosineSimilarity(heads[h]->classifierWeights), colours[h] });
        const std::vector<escrf::AdjacentClassPair> pairs = escrf::mostAdjacentClassPairs(adjacency);
        const std::string csv = withoutExtension(output) + ".csv";
        writeCsv(csv, pairs, names, curves);
        if (!imwrite(output, plot(pairs, names, curves)))
            CV_Error(Error::StsError, "cannot write '" + output + "'");
        for (size_t i = 0; i < pairs.size(); i++)
        {
            std::cout << format("%-24s adjacency %9.0f", (names[pairs[i].classA] + "-" + names[pairs[i].classB]).c_str(),
                                pairs[i].adjacency);
            for (const HeadCurve& h : curves)
                std::cout << format("  %+.3f", h.similarity.at<double>(pairs[i].classA, pairs[i].classB));
            std::cout << "\n";
        }
        std::cout << "mean similarity:";
        for (const HeadCurve& h : curves)
        {
            double mean = 0;
            for (const escrf::AdjacentClassPair& p : pairs)
                mean += h.similarity.at<double>(p.classA, p.classB) / std::max<size_t>(1, pairs.size());
            std::cout << format("  %s %+.3f", h.name.c_str(), mean);
        }
        std::cout << "\n" << n << " label maps; plot " << output << ", table " << csv << std::endl;
    }
    catch (const Exception& e)
    {
        std::cerr << "escrf_analyze_pfb: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
