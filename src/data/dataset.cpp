// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// List files of image / label pairs and loading of one sample, with messages that name the
// list file and line so that a broken data set is fixed in one look.

#include "precomp.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "data/paths.hpp"
#include "core/yaml_gate.hpp"
#include <fstream>
#include <sstream>

namespace cv {
namespace escrf {

static std::vector<DatasetSample> parseDatasetList(const String& listFile, bool checkFiles);

std::vector<DatasetSample> readDatasetList(const String& listFile, bool checkFiles)
{
    if (listFile.empty())
        CV_Error(Error::StsBadArg, "readDatasetList: the list file name is empty");
    return detail::guardLoad(listFile, "list file", [&] { return parseDatasetList(listFile, checkFiles); });
}

std::vector<DatasetSample> parseDatasetList(const String& listFile, bool checkFiles)
{
    // Bounded, regular files only (a fifo or a device would block or never end).
    std::istringstream in(detail::readFileBounded(listFile, "list file", detail::kMaxListFileBytes));
    const String folder = detail::folderOf(listFile);
    std::vector<DatasetSample> samples;
    std::string text;
    for (int lineNo = 1; std::getline(in, text); lineNo++)
    {
        std::istringstream ss(text);
        std::vector<std::string> tokens;
        std::string tok;
        while (ss >> tok)
        {
            if (tok[0] == '#')
                break;  // comment to the end of the line
            tokens.push_back(tok);
        }
        if (tokens.empty())
            continue;
        if (tokens.size() != 2)
            CV_Error_(Error::StsParseError, ("%s:%d: expected 'image label' (two paths), got %d field(s): '%s'",
                                             listFile.c_str(), lineNo, (int)tokens.size(), text.substr(0, 200).c_str()));
        DatasetSample s;
        s.imagePath = detail::resolvePath(folder, tokens[0]);
        s.labelPath = detail::resolvePath(folder, tokens[1]);
        s.line = lineNo;
        if (checkFiles)
        {
            if (!utils::fs::exists(s.imagePath))
                CV_Error_(Error::StsObjectNotFound, ("%s:%d: image file '%s' does not exist",
                                                     listFile.c_str(), lineNo, s.imagePath.c_str()));
            if (!utils::fs::exists(s.labelPath))
                CV_Error_(Error::StsObjectNotFound, ("%s:%d: label file '%s' does not exist",
                                                     listFile.c_str(), lineNo, s.labelPath.c_str()));
        }
        samples.push_back(s);
    }
    return samples;
}

void loadDatasetSample(const DatasetSample& sample, Mat& image, Mat& label, const String& where)
{
    const String at = format("%s:%d", where.empty() ? "<list>" : where.c_str(), sample.line);
    Mat img = imread(sample.imagePath, IMREAD_COLOR);
    if (img.empty())
        CV_Error_(Error::StsError, ("%s: cannot read image '%s'", at.c_str(), sample.imagePath.c_str()));
    Mat lab = imread(sample.labelPath, IMREAD_UNCHANGED);
    if (lab.empty())
        CV_Error_(Error::StsError, ("%s: cannot read label map '%s'", at.c_str(), sample.labelPath.c_str()));
    if (lab.channels() != 1 || (lab.depth() != CV_8U && lab.depth() != CV_16U))
        CV_Error_(Error::StsBadArg, ("%s: label map '%s' must be a single-channel 8-bit or 16-bit image of class ids, "
                                     "got %s", at.c_str(), sample.labelPath.c_str(), typeToString(lab.type()).c_str()));
    if (lab.size() != img.size())
        CV_Error_(Error::StsUnmatchedSizes, ("%s: image '%s' is %dx%d but label map '%s' is %dx%d", at.c_str(),
                                             sample.imagePath.c_str(), img.cols, img.rows,
                                             sample.labelPath.c_str(), lab.cols, lab.rows));
    image = img;
    lab.convertTo(label, CV_32S);
}

Dataset::Dataset(const String& listFile)
    : listFile_(listFile), samples_(readDatasetList(listFile, true))
{
}

DatasetSample Dataset::sample(int i) const
{
    if (i < 0 || i >= size())
        CV_Error_(Error::StsOutOfRange, ("Dataset::sample: index %d outside [0, %d) of '%s'", i, size(),
                                         listFile_.c_str()));
    return samples_[i];
}

void Dataset::load(int i, Mat& image, Mat& label) const
{
    loadDatasetSample(sample(i), image, label, listFile_);
}

}} // namespace cv::escrf
