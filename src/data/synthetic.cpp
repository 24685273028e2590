// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Generated scenes with exact labels: data for smoke tests and for the demo that runs on a
// fresh machine with no data set and no model at hand.
#include "precomp.hpp"
#include "opencv2/escrf/dataset.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "opencv2/imgcodecs.hpp"

#include <fstream>

namespace cv {
namespace escrf {

void generateSyntheticScene(Size size, RNG& rng, OutputArray image, OutputArray labels)
{
    if (size.width < 8 || size.height < 8)
        CV_Error_(Error::StsBadArg, ("generateSyntheticScene: size must be at least 8x8, got %dx%d", size.width, size.height));
    Mat img(size, CV_8UC3), lab(size, CV_8U, Scalar(0));
    // Class 0: a vertical colour gradient (sky to ground).
    for (int y = 0; y < size.height; y++)
    {
        const double t = (double)y / size.height;
        img.row(y).setTo(Scalar(200 - 120 * t, 170 - 60 * t, 120 + 40 * t));
    }
    const int shapes = 2 + rng.uniform(0, 4);
    for (int s = 0; s < shapes; s++)
    {
        const Point c(rng.uniform(0, size.width), rng.uniform(0, size.height));
        const int rx = std::max(2, rng.uniform(size.width / 12, size.width / 4));
        const int ry = std::max(2, rng.uniform(size.height / 12, size.height / 4));
        if (rng.uniform(0, 2) == 0)
        {
            // Class 1: reddish boxes.
            const Scalar colour(40 + rng.uniform(0, 40), 40 + rng.uniform(0, 50), 150 + rng.uniform(0, 90));
            const Rect r(c.x - rx, c.y - ry, 2 * rx, 2 * ry);
            rectangle(img, r, colour, FILLED);
            rectangle(lab, r, Scalar(1), FILLED);
        }
        else
        {
            // Class 2: greenish discs.
            const Scalar colour(40 + rng.uniform(0, 60), 130 + rng.uniform(0, 100), 30 + rng.uniform(0, 50));
            ellipse(img, c, Size(rx, ry), 0, 0, 360, colour, FILLED);
            ellipse(lab, c, Size(rx, ry), 0, 0, 360, Scalar(2), FILLED);
        }
    }
    // Sensor noise and a little blur, so that the edges are not trivially sharp.
    Mat noise(size, CV_16SC3);
    rng.fill(noise, RNG::NORMAL, 0, 12);
    Mat noisy;
    img.convertTo(noisy, CV_16SC3);
    noisy += noise;
    noisy.convertTo(img, CV_8UC3);
    GaussianBlur(img, img, Size(3, 3), 0);
    img.copyTo(image);
    lab.copyTo(labels);
}

String writeSyntheticDataset(const String& folder, int count, Size size, int seed)
{
    if (count < 1)
        CV_Error_(Error::StsBadArg, ("writeSyntheticDataset: count must be >= 1, got %d", count));
    if (!utils::fs::isDirectory(folder) && !utils::fs::createDirectories(folder))
        CV_Error_(Error::StsError, ("writeSyntheticDataset: cannot create folder '%s'", folder.c_str()));
    RNG rng((uint64)seed);
    const String list = utils::fs::join(folder, "list.txt");
    std::ofstream out(list.c_str());
    for (int i = 0; i < count; i++)
    {
        Mat image, labels;
        generateSyntheticScene(size, rng, image, labels);
        const String name = format("scene_%03d", i);
        if (!imwrite(utils::fs::join(folder, name + ".png"), image) ||
            !imwrite(utils::fs::join(folder, name + "_labels.png"), labels))
            CV_Error_(Error::StsError, ("writeSyntheticDataset: cannot write images into '%s'", folder.c_str()));
        out << name << ".png " << name << "_labels.png\n";
    }
    if (!out)
        CV_Error_(Error::StsError, ("writeSyntheticDataset: cannot write '%s'", list.c_str()));
    return list;
}

}} // namespace cv::escrf
