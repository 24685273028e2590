// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Probes superpixel settings for the ES-CRF prior before any training: averages the backbone's
// own logits inside superpixels, F + alpha * mean_S(F) (the block's prior term on the logits),
// and scores the argmax with the module's metrics for several alphas. Superpixels that follow
// the data set's object edges raise the boundary F-score; ones that cut across them lower it.
#include "opencv2/escrf.hpp"
#include "opencv2/imgproc.hpp"

#include <cstdio>
#include "sample_utils.hpp"

static const char* keys =
    "{ help h      |        | print this help }"
    "{ backbone    | <none> | backbone description (.yml) }"
    "{ list        | <none> | list of images and labels (a validation set) }"
    "{ superpixels | 600    | superpixels per image }"
    "{ algorithm   | slico  | slic, slico or mslic }"
    "{ ruler       | 10     | SLIC compactness }"
    "{ alphas      | 0,0.25,0.5,1 | comma-separated prior weights to score }"
    "{ step        | 1      | use every step-th image of the list }";

int main(int argc, char** argv)
{
    using namespace cv;
    using namespace cv::escrf;
    CommandLineParser parser(argc, argv, keys);
    parser.about("escrf_probe_superpixels: score superpixel averaging of a backbone's logits");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const String backbone = parser.get<String>("backbone"), list = parser.get<String>("list");
    const String algorithm = parser.get<String>("algorithm"), alphaList = parser.get<String>("alphas");
    SuperpixelParams sp;
    sp.numSuperpixels = parser.get<int>("superpixels");
    sp.ruler = parser.get<float>("ruler");
    const int step = parser.get<int>("step");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
    try
    {
        if (algorithm != "slic" && algorithm != "slico" && algorithm != "mslic")
            CV_Error(Error::StsBadArg, "--algorithm must be slic, slico or mslic");
        if (step < 1)
            CV_Error(Error::StsBadArg, "--step must be >= 1");
        sp.algorithm = algorithm == "slic" ? SUPERPIXEL_SLIC : algorithm == "slico" ? SUPERPIXEL_SLICO : SUPERPIXEL_MSLIC;
        if (sp.algorithm == SUPERPIXEL_MSLIC)
            sp.implementation = SUPERPIXEL_IMPL_XIMGPROC;  // MSLIC is ximgproc's only
        std::vector<double> alphas;
        for (const std::string& a : splitComma(alphaList))
            alphas.push_back(std::stod(a));
        const BackboneDescription desc = BackboneDescription::read(backbone);
        Ptr<Backbone> net = Backbone::create(desc);
        Dataset data(list);
        const int K = desc.numClasses();
        std::vector<SegmentationMetrics> metrics;
        for (size_t a = 0; a < alphas.size(); a++)
            metrics.emplace_back(K, desc.ignoreLabel);
        for (int i = 0; i < data.size(); i += step)
        {
            Mat image, gt, S;
            data.load(i, image, gt);
            std::vector<Mat> out;
            net->forward(image, { desc.logits }, out);
            const int C = out[0].size[1], h = out[0].size[2], w = out[0].size[3];
            Mat F(C, h * w, CV_32F, out[0].ptr<float>());
            const int M = computeSuperpixels(image, S, sp);
            EscrfBlockParams p;
            p.alphaP = 0.f; // the prior alone: no pairwise weights are needed
            EscrfGuide guide;
            prepareGuide(image, S, M, Size(w, h), p, guide);
            for (size_t a = 0; a < alphas.size(); a++)
            {
                p.alphaS = (float)alphas[a];
                Mat refined, labels;
                escrfBlockForward(p, EscrfBlockWeights(), guide, F, refined);
                const int sz[] = { 1, C, h, w };
                argmaxChannels(Mat(4, sz, CV_32F, refined.ptr<float>()), K, labels);
                if (labels.size() != gt.size())
                    resize(labels, labels, gt.size(), 0, 0, INTER_NEAREST);
                metrics[a].add(labels, gt);
            }
        }
        for (size_t a = 0; a < alphas.size(); a++)
            std::printf("%s %d superpixels ruler %g alpha %.2f: mIoU %.2f bF %.2f\n", algorithm.c_str(),
                        sp.numSuperpixels, sp.ruler, alphas[a], 100 * metrics[a].meanIoU(),
                        100 * metrics[a].meanBoundaryF());
    }
    catch (const cv::Exception& e)
    {
        std::fprintf(stderr, "escrf_probe_superpixels: %s\n", e.what());
        return 1;
    }
    return 0;
}
