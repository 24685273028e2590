// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head variants in one table: their names and what each is made of (which stages it runs,
// what its guide needs, whether the GPU runner implements it). Every question a caller asks
// about a variant (the head, its parameter table, the head file, the trainer, the Segmenter, the
// GPU runner, the dnn export) is answered here, so a new variant is a new row plus its stage.
#ifndef OPENCV_ESCRF_HEAD_VARIANTS_HPP
#define OPENCV_ESCRF_HEAD_VARIANTS_HPP

#include "opencv2/escrf/head.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Where a variant's own stage sits in the head.
enum HeadStage
{
    STAGE_NONE = 0,      //!< projection and classifier only (baseline)
    STAGE_BLOCK = 1,     //!< the ES-CRF block on the features, before the classifier
    STAGE_NONLOCAL = 2,  //!< the non-local block on the features, before the classifier
    STAGE_JOINT_CRF = 3  //!< mean-field CRF steps on the class scores, after the classifier
};

//! One row of the table.
struct HeadVariantTraits
{
    int variant;          //!< HeadVariant
    const char* name;     //!< headVariantToString / headVariantFromString
    HeadStage stage;
    bool superpixels;     //!< the guide needs the superpixels (the block's prior and cell labels)
    bool guideImage;      //!< the guide needs the image at the head's resolution (block, joint-crf)
    bool onDevice;        //!< the head's GPU runner implements it (else the head runs on the CPU)
};

//! The row of a variant; cv::Exception naming the valid values for an unknown one.
const HeadVariantTraits& headVariantTraits(int variant);

//! All rows, in HeadVariant order.
const std::vector<HeadVariantTraits>& headVariantTable();

}}} // namespace cv::escrf::detail

#endif
