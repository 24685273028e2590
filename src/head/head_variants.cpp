// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/head_variants.hpp"

namespace cv {
namespace escrf {
namespace detail {

const std::vector<HeadVariantTraits>& headVariantTable()
{
    //                                   variant          name          stage            superpixels image  device
    static const std::vector<HeadVariantTraits> table = {
        { HEAD_BASELINE,   "baseline",   STAGE_NONE,      false, false, true },
        { HEAD_PAIRWISE,   "pairwise",   STAGE_BLOCK,     true,  true,  true },
        { HEAD_SUPERPIXEL, "superpixel", STAGE_BLOCK,     true,  true,  true },
        { HEAD_ESCRF,      "escrf",      STAGE_BLOCK,     true,  true,  true },
        { HEAD_JOINT_CRF,  "joint-crf",  STAGE_JOINT_CRF, false, true,  false },
        { HEAD_NONLOCAL,   "nonlocal",   STAGE_NONLOCAL,  false, false, false },
    };
    return table;
}

namespace {

String variantNames()
{
    String names;
    for (const HeadVariantTraits& t : headVariantTable())
        names += (names.empty() ? "" : ", ") + String(t.name);
    return names;
}

} // namespace

const HeadVariantTraits& headVariantTraits(int variant)
{
    const std::vector<HeadVariantTraits>& table = headVariantTable();
    if (variant < 0 || variant >= (int)table.size())
        CV_Error_(Error::StsBadArg, ("head variant: expected 0..%d (HeadVariant: %s), got %d", (int)table.size() - 1,
                                     variantNames().c_str(), variant));
    CV_DbgAssert(table[variant].variant == variant);
    return table[variant];
}

}}} // namespace cv::escrf::detail

namespace cv {
namespace escrf {

int headVariantFromString(const String& name)
{
    for (const detail::HeadVariantTraits& t : detail::headVariantTable())
        if (name == t.name)
            return t.variant;
    CV_Error_(Error::StsBadArg, ("head variant: expected one of %s, got '%s'", detail::variantNames().c_str(),
                                 name.c_str()));
}

String headVariantToString(int variant)
{
    return detail::headVariantTraits(variant).name;
}

}} // namespace cv::escrf
