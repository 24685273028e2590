// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Head::load on arbitrary bytes; a head that loads is saved again and reloaded (the writer and
// the reader must agree on everything the reader accepts).
#include "fuzz_common.hpp"
#include "opencv2/escrf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = escrf_fuzz::writeInput("head.yml", data, size);
    try
    {
        cv::Ptr<cv::escrf::Head> head = cv::escrf::Head::load(path);
        head->save(escrf_fuzz::folder() + "/resaved.yml");
        cv::escrf::Head::load(escrf_fuzz::folder() + "/resaved.yml");
    }
    catch (const cv::Exception&)
    {
    }
    return 0;
}
