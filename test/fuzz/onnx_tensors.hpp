// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// fuzz_escrf_onnx steers around a bug of OpenCV 4.6's ONNX importer (doc/reliability.md): it
// copies product(dims) elements out of a tensor's raw_data or typed data without comparing that
// with the bytes present (a heap-buffer-overflow inside cv::dnn::readNetFromONNX, found by this
// harness within seconds). Not the module's code, so the harness only hands OpenCV models whose
// tensors - initializers and node attributes, in subgraphs too - hold exactly the elements their
// dims declare. The walk reads protobuf wire format (as src/dnn/onnx_inputs.cpp does).
#ifndef OPENCV_ESCRF_FUZZ_ONNX_TENSORS_HPP
#define OPENCV_ESCRF_FUZZ_ONNX_TENSORS_HPP

#include <cstddef>
#include <cstdint>

namespace escrf_fuzz {

struct Wire
{
    const uint8_t* p;
    const uint8_t* end;

    bool varint(uint64_t& v)
    {
        v = 0;
        for (int shift = 0; shift < 64 && p < end; shift += 7)
        {
            const uint8_t b = *p++;
            v |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                return true;
        }
        return false;
    }

    // One field: its number, wire type and, for length-delimited ones, the bytes in sub.
    bool field(int& number, int& wireType, Wire& sub, uint64_t& value)
    {
        uint64_t key = 0;
        if (!varint(key))
            return false;
        number = (int)(key >> 3);
        wireType = (int)(key & 7);
        size_t skip = 0;
        switch (wireType)
        {
        case 0: return varint(value);
        case 1: skip = 8; break;
        case 5: skip = 4; break;
        case 2:
            if (!varint(value) || value > (uint64_t)(end - p))
                return false;
            sub = Wire{ p, p + value };
            p += value;
            return true;
        default: return false;
        }
        if (skip > (size_t)(end - p))
            return false;
        p += skip;
        return true;
    }
};

// Bytes per element of an ONNX TensorProto.DataType, 0 for types the check does not accept.
inline int onnxElementSize(uint64_t dataType)
{
    static const int sizes[] = { 0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8 };
    return dataType < sizeof(sizes) / sizeof(sizes[0]) ? sizes[dataType] : 0;
}

// Number of values in a repeated numeric field occurrence (packed or not).
inline uint64_t repeatedCount(int wireType, const Wire& sub, int packedWidth)
{
    if (wireType != 2)
        return 1;
    if (packedWidth > 0)
        return (uint64_t)(sub.end - sub.p) / packedWidth;
    uint64_t n = 0;   // packed varints: one per byte without the continuation bit
    for (const uint8_t* q = sub.p; q < sub.end; q++)
        n += !(*q & 0x80);
    return n;
}

// total *= dim, refusing negative (huge as uint64) dims and tensors past 2^26 elements.
inline bool multiplyDim(uint64_t& total, uint64_t dim)
{
    if (dim > (1u << 24))
        return false;
    total *= dim;
    return total <= (1u << 26);
}

inline bool tensorIsConsistent(Wire t)
{
    uint64_t total = 1, dataType = 0, rawBytes = 0, typed = 0;
    bool haveRaw = false;
    while (t.p < t.end)
    {
        int f = 0, wt = 0;
        uint64_t v = 0;
        Wire sub{ nullptr, nullptr };
        if (!t.field(f, wt, sub, v))
            return false;
        if (f == 1 && wt == 0)   // dims, one per field
        {
            if (!multiplyDim(total, v))
                return false;
        }
        else if (f == 1 && wt == 2)   // dims, packed
        {
            for (uint64_t dim = 0; sub.p < sub.end; )
                if (!sub.varint(dim) || !multiplyDim(total, dim))
                    return false;
        }
        else if (f == 2)
            dataType = v;
        else if (f == 9 && wt == 2)
            haveRaw = true, rawBytes = (uint64_t)(sub.end - sub.p);
        else if (f == 4 || f == 5 || f == 7 || f == 10 || f == 11)   // float, int32, int64, double, uint64
            typed += repeatedCount(wt, sub, f == 4 ? 4 : f == 10 ? 8 : 0);
        else if (f == 6 || f == 13 || f == 14)   // strings, external data
            return false;
    }
    const int elemSize = onnxElementSize(dataType);
    if (elemSize == 0)
        return false;
    if (haveRaw && rawBytes != total * elemSize)
        return false;
    if (typed != 0 && typed != total)
        return false;
    return total == 0 || haveRaw || typed != 0;
}

inline bool graphTensorsAreConsistent(Wire g, int depth);

inline bool attributeIsConsistent(Wire a, int depth)
{
    while (a.p < a.end)
    {
        int f = 0, wt = 0;
        uint64_t v = 0;
        Wire sub{ nullptr, nullptr };
        if (!a.field(f, wt, sub, v))
            return false;
        if (wt == 2 && (f == 5 || f == 10) && !tensorIsConsistent(sub))   // t, tensors
            return false;
        if (wt == 2 && (f == 6 || f == 11) && !graphTensorsAreConsistent(sub, depth + 1))   // g, graphs
            return false;
    }
    return true;
}

inline bool graphTensorsAreConsistent(Wire g, int depth)
{
    if (depth > 4)
        return false;
    while (g.p < g.end)
    {
        int f = 0, wt = 0;
        uint64_t v = 0;
        Wire sub{ nullptr, nullptr };
        if (!g.field(f, wt, sub, v))
            return false;
        if (wt == 2 && f == 5 && !tensorIsConsistent(sub))   // initializer
            return false;
        if (wt == 2 && f == 15)   // sparse_initializer: not handled here
            return false;
        if (wt == 2 && f == 1)   // node -> attribute (5)
        {
            Wire n = sub;
            while (n.p < n.end)
            {
                Wire attr{ nullptr, nullptr };
                if (!n.field(f, wt, attr, v))
                    return false;
                if (wt == 2 && f == 5 && !attributeIsConsistent(attr, depth))
                    return false;
            }
        }
    }
    return true;
}

//! True when every tensor of the model holds the elements its dims declare (and no more than 2^26).
inline bool onnxTensorsAreConsistent(const uint8_t* data, size_t size)
{
    Wire m{ data, data + size };
    while (m.p < m.end)
    {
        int f = 0, wt = 0;
        uint64_t v = 0;
        Wire sub{ nullptr, nullptr };
        if (!m.field(f, wt, sub, v))
            return false;
        if (wt == 2 && f == 7 && !graphTensorsAreConsistent(sub, 0))   // graph
            return false;
    }
    return true;
}

} // namespace escrf_fuzz

#endif
