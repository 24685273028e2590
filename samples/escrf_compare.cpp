// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Side-by-side pictures for comparing heads: for each chosen image of a list, one row of
// panels: the image, the backbone's own prediction, each head's prediction, the ground truth.
#include "opencv2/escrf.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

#include <iostream>
#include "sample_utils.hpp"

static const char* keys =
    "{ help h   |        | print this help }"
    "{ backbone | <none> | backbone description (.yml) }"
    "{ heads    | <none> | comma-separated head files }"
    "{ names    |        | comma-separated panel titles of the heads (default: the variants) }"
    "{ list     | <none> | list of images and labels }"
    "{ images   | 0,1,2  | comma-separated indices of the list to show }"
    "{ scale    | 0.5    | size of each panel relative to the image }"
    "{ output o | <none> | output PNG }";

int main(int argc, char** argv)
{
    using namespace cv;
    using namespace cv::escrf;
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_compare: side-by-side predictions of a backbone and heads");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::string backbone = parser.get<std::string>("backbone"), list = parser.get<std::string>("list");
    const std::vector<std::string> heads = splitComma(parser.get<std::string>("heads"));
    std::vector<std::string> names = splitComma(parser.get<std::string>("names"));
    const std::vector<std::string> indices = splitComma(parser.get<std::string>("images"));
    const double scale = parser.get<double>("scale");
    const std::string output = parser.get<std::string>("output");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        const BackboneDescription desc = BackboneDescription::read(backbone);
        Ptr<Backbone> net = Backbone::create(desc);
        std::vector<Ptr<Segmenter>> segs;
        for (size_t i = 0; i < heads.size(); i++)
        {
            segs.push_back(Segmenter::create(heads[i], backbone));
            if (names.size() <= i)
                names.push_back(headVariantToString(segs.back()->head()->config().variant));
        }
        Dataset data(list);
        std::vector<Mat> rows;
        for (const std::string& s : indices)
        {
            const int idx = std::stoi(s);
            if (idx < 0 || idx >= data.size())
                CV_Error_(Error::StsOutOfRange, ("--images: index %d is outside the list (0..%d)", idx, data.size() - 1));
            Mat image, gt, pred;
            data.load(idx, image, gt);
            std::vector<std::pair<std::string, Mat>> panels = { { "image", image } };
            net->predict(image, pred);
            Mat colored;
            colorizeLabels(pred, desc.colors, colored);
            panels.push_back({ "backbone", colored });
            for (size_t h = 0; h < segs.size(); h++)
            {
                segs[h]->segment(image, pred, CV_32S);
                colorizeLabels(pred, desc.colors, colored);
                panels.push_back({ names[h], colored });
            }
            colorizeLabels(gt, desc.colors, colored);
            panels.push_back({ "ground truth", colored });
            std::vector<Mat> small;
            for (auto& p : panels)
            {
                Mat panel;
                resize(p.second, panel, Size(), scale, scale, INTER_NEAREST);
                putText(panel, p.first, Point(6, 18), FONT_HERSHEY_SIMPLEX, 0.55, Scalar::all(0), 3, LINE_AA);
                putText(panel, p.first, Point(6, 18), FONT_HERSHEY_SIMPLEX, 0.55, Scalar::all(255), 1, LINE_AA);
                copyMakeBorder(panel, panel, 2, 2, 2, 2, BORDER_CONSTANT, Scalar::all(255));
                small.push_back(panel);
            }
            Mat row;
            hconcat(small, row);
            rows.push_back(row);
        }
        Mat picture;
        vconcat(rows, picture);
        if (!imwrite(output, picture))
            CV_Error(Error::StsError, "cannot write '" + output + "'");
        std::cout << "wrote " << output << " (" << picture.cols << "x" << picture.rows << ")" << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "escrf_compare: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
