// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// readOnnxInputNames(): cv::dnn::Net cannot list its input names, and createHeadNet must
// keep the backbone's one while adding "guide" and "superpixels". An ONNX file is a
// protobuf ModelProto; reading the few fields needed needs no protobuf library:
// ModelProto.graph (7) -> GraphProto.input (11) -> ValueInfoProto.name (1), minus the
// names of GraphProto.initializer (5) -> TensorProto.name (8).
#include "precomp.hpp"
#include "opencv2/escrf/dnn.hpp"
#include <fstream>
#include <set>

namespace cv {
namespace escrf {

namespace {

// A bounded view of protobuf wire-format bytes.
struct Reader
{
    const uchar* p;
    const uchar* end;
    const String* file;

    bool done() const { return p >= end; }

    uint64 varint()
    {
        uint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (p >= end)
                fail("truncated varint");
            const uchar b = *p++;
            v |= (uint64)(b & 0x7f) << shift;
            if (!(b & 0x80))
                return v;
        }
        fail("varint too long");
        return 0;
    }

    // Reads a field key; for length-delimited fields returns the sub-range in sub.
    int field(int& wireType, Reader* sub)
    {
        const uint64 key = varint();
        wireType = (int)(key & 7);
        switch (wireType)
        {
        case 0: varint(); break;
        case 1: skip(8); break;
        case 5: skip(4); break;
        case 2:
        {
            const uint64 len = varint();
            if (len > (uint64)(end - p))
                fail("length beyond the end of the message");
            if (sub)
                *sub = Reader{ p, p + len, file };
            p += len;
            break;
        }
        default: fail("unsupported wire type (groups)");
        }
        return (int)(key >> 3);
    }

    void skip(size_t n)
    {
        if (n > (size_t)(end - p))
            fail("truncated fixed-size field");
        p += n;
    }

    CV_NORETURN void fail(const char* why) const
    {
        CV_Error_(Error::StsParseError, ("readOnnxInputNames: '%s' is not a valid ONNX model (%s)",
                                         file->c_str(), why));
    }
};

// The string field `number` of a message (the last occurrence), or "".
String stringField(Reader msg, int number)
{
    String s;
    while (!msg.done())
    {
        int wt = 0;
        Reader sub{ nullptr, nullptr, msg.file };
        const int f = msg.field(wt, &sub);
        if (f == number && wt == 2)
            s.assign((const char*)sub.p, sub.end - sub.p);
    }
    return s;
}

} // namespace

std::vector<String> readOnnxInputNames(const String& onnxPath)
{
    std::ifstream in(onnxPath.c_str(), std::ios::binary);
    if (!in)
        CV_Error_(Error::StsError, ("readOnnxInputNames: cannot open '%s'", onnxPath.c_str()));
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty())
        CV_Error_(Error::StsParseError, ("readOnnxInputNames: '%s' is empty", onnxPath.c_str()));

    Reader model{ bytes.data(), bytes.data() + bytes.size(), &onnxPath };
    Reader graph{ nullptr, nullptr, &onnxPath };
    bool haveGraph = false;
    while (!model.done())
    {
        int wt = 0;
        Reader sub{ nullptr, nullptr, &onnxPath };
        if (model.field(wt, &sub) == 7 && wt == 2)
            graph = sub, haveGraph = true;
    }
    if (!haveGraph)
        model.fail("no graph");

    std::vector<String> inputs;
    std::set<String> initializers;
    while (!graph.done())
    {
        int wt = 0;
        Reader sub{ nullptr, nullptr, &onnxPath };
        const int f = graph.field(wt, &sub);
        if (wt != 2)
            continue;
        if (f == 11)
            inputs.push_back(stringField(sub, 1));
        else if (f == 5)
            initializers.insert(stringField(sub, 8));
    }
    std::vector<String> names;
    for (const String& s : inputs)
        if (!initializers.count(s))
            names.push_back(s);
    return names;
}

}} // namespace cv::escrf
