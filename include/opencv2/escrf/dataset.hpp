// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_DATASET_HPP
#define OPENCV_ESCRF_DATASET_HPP

#include "opencv2/core.hpp"
#include <vector>

namespace cv {
namespace escrf {

//! @addtogroup escrf
//! @{

/** @defgroup escrf_dataset Data set lists (image / label pairs)
@ingroup escrf

A list file holds one sample per line: `image label`, two whitespace-separated paths relative
to the folder of the list file (absolute paths are kept). Blank lines are skipped, and a token
starting with `#` starts a comment that runs to the end of the line (so paths cannot contain
spaces or start with `#`). Windows line ends are accepted.

Images are read as 8-bit BGR (cv::IMREAD_COLOR). Label maps are read unchanged and must be
single-channel 8-bit or 16-bit images of class ids (a colour-coded label image is rejected); they
are returned as CV_32SC1, the type the metrics and the trainer use. Every failure throws
cv::Exception naming the list file and line.
@{
*/

//! One line of a list file.
struct CV_EXPORTS_W_SIMPLE DatasetSample
{
    //! Empty paths, line 0 (set in the constructor: hdr_parser.py cannot parse member initialisers).
    CV_WRAP DatasetSample() : line(0) {}

    CV_PROP_RW String imagePath;  //!< image path, resolved against the list file's folder
    CV_PROP_RW String labelPath;  //!< label path, resolved against the list file's folder
    CV_PROP_RW int line;          //!< 1-based line number in the list file (for messages)
};

/** @brief Reads a list file.
@param listFile path of the list.
@param checkFiles when true, each image and label file must exist (error names the line).
Throws on a missing list, a malformed line (`file:line`) or a missing file. */
CV_EXPORTS_W std::vector<DatasetSample> readDatasetList(const String& listFile, bool checkFiles = true);

/** @brief Loads one sample.
@param sample the sample (its line is quoted in messages; where names the list file).
@param image output CV_8UC3 BGR image.
@param label output CV_32SC1 label map of the image size.
@param where the list file, for messages (may be empty).
Throws when the image or label cannot be read, when the label is not a single-channel 8/16-bit
image, or when the sizes differ (both sizes are quoted). */
CV_EXPORTS_W void loadDatasetSample(const DatasetSample& sample, CV_OUT Mat& image, CV_OUT Mat& label,
                                    const String& where = String());

/** @brief A list file loaded into memory (paths only; images are read on demand). */
class CV_EXPORTS_W Dataset
{
public:
    //! Reads the list (see readDatasetList, files are checked).
    CV_WRAP explicit Dataset(const String& listFile);

    //! Number of samples in the list.
    CV_WRAP int size() const { return (int)samples_.size(); }
    //! Whether the list has no sample.
    CV_WRAP bool empty() const { return samples_.empty(); }
    //! The list file the data set was read from.
    CV_WRAP String listFile() const { return listFile_; }
    //! Sample i, 0 <= i < size().
    CV_WRAP DatasetSample sample(int i) const;
    //! All samples.
    CV_WRAP std::vector<DatasetSample> samples() const { return samples_; }
    //! Reads image i (CV_8UC3 BGR) and its label map (CV_32SC1), see loadDatasetSample.
    CV_WRAP void load(int i, CV_OUT Mat& image, CV_OUT Mat& label) const;

private:
    String listFile_;
    std::vector<DatasetSample> samples_;
};

//! @}
/** @brief Generates a street-like toy scene with exact labels: a gradient background (class 0),
reddish boxes (class 1) and greenish discs (class 2), with noise and a slight blur.
Used by the smoke tests and by the demo that runs without any data set.
@param size image size (at least 8x8). @param rng random source.
@param image output CV_8UC3 BGR. @param labels output CV_8UC1 class ids 0..2. */
CV_EXPORTS void generateSyntheticScene(Size size, RNG& rng, OutputArray image, OutputArray labels);

/** @brief Writes count generated scenes (scene_NNN.png, scene_NNN_labels.png) and a list file
`list.txt` into folder (created if needed). @return the path of the list file. */
CV_EXPORTS_W String writeSyntheticDataset(const String& folder, int count, Size size, int seed = 0);

//! @}

}} // namespace cv::escrf

#endif
