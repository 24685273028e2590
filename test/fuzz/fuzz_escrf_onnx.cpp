// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// An ONNX model with an ESCRF node: the module's own input-name reader, then registerLayers +
// readNetFromONNX (the ESCRF layer's constructor checks its attributes and blobs) and a forward
// pass on small inputs of the seed model's shapes (F 1x6x5x7, I 1x3x11x15, S 1x1x11x15).
// OpenCV's own ONNX importer is not the module's code: its crashes are noted in doc/reliability.md.
#include "fuzz_common.hpp"
#include "opencv2/dnn.hpp"
#include "opencv2/escrf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const bool registered = (cv::escrf::registerLayers(), true);
    (void)registered;
    const std::string path = escrf_fuzz::writeInput("model.onnx", data, size);
    try
    {
        cv::escrf::readOnnxInputNames(path);
    }
    catch (const cv::Exception&)
    {
    }
    try
    {
        cv::dnn::Net net = cv::dnn::readNetFromONNX((const char*)data, size);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        const int fs[] = { 1, 6, 5, 7 }, is[] = { 1, 3, 11, 15 }, ss[] = { 1, 1, 11, 15 };
        cv::Mat F(4, fs, CV_32F), I(4, is, CV_32F), S(4, ss, CV_32F);
        cv::randu(F, -1, 1);
        cv::randu(I, 0, 1);
        for (int i = 0; i < (int)S.total(); i++)
            S.ptr<float>()[i] = (float)((i % 15) / 5 + 3 * ((i / 15) / 4));
        net.setInput(F, "F");
        net.setInput(I, "I");
        net.setInput(S, "S");
        net.forward();
    }
    catch (const cv::Exception&)
    {
    }
    return 0;
}
