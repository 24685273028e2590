// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The one way the module reads a YAML file (head files, checkpoints, backbone descriptions):
// bounded reading, a check of the bytes against the YAML subset the module writes and documents,
// an optional checksum line, and cv::FileStorage only on what passed. OpenCV 4.6's FileStorage
// parsers hang or crash on some malformed input (doc/reliability.md lists the cases); the subset
// keeps every known trigger away from them, and every failure, std::exception included, becomes
// a cv::Exception that names the file.
#ifndef OPENCV_ESCRF_CORE_YAML_GATE_HPP
#define OPENCV_ESCRF_CORE_YAML_GATE_HPP

#include "opencv2/core.hpp"

#include <string>
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! Largest files the loaders read (bytes): far above any real file of each kind.
enum FileLimits : size_t
{
    kMaxHeadFileBytes = (size_t)128 << 20,
    kMaxCheckpointBytes = (size_t)512 << 20,
    kMaxDescriptionBytes = (size_t)1 << 20,
    kMaxListFileBytes = (size_t)64 << 20
};

/** @brief The bytes of a regular file of at most maxBytes (a folder, a device, a fifo or a
larger file throw cv::Exception naming `what` and the path, before anything is read). */
std::string readFileBounded(const String& path, const char* what, size_t maxBytes);

/** @brief Checks that bytes are a YAML document of the subset below, else throws
Error::StsParseError naming `what`, the path and the line:
- printable ASCII lines (LF or CRLF ends, no tabs or other control bytes), at most 2048 characters;
- a first line `%YAML:1.0` (or `%YAML 1.0`), then `---`; no other directive, document marker or
  XML/JSON;
- block maps (`key: value`, keys of letters, digits, `_`, `-`, `.`) and block sequences (`- value`,
  `- key: value`) with space indentation, each line at the indentation of an open block or opening
  a deeper one below a line that opens one;
- values: plain scalars, quoted strings (escapes `\\ \" \' \n \r \t`), flow sequences `[ ... ]`
  of such values (nested up to 8 deep, may span lines), `[]`, `{}`, the tag `!!opencv-matrix`
  (a map below) and `!!binary |` blocks of base64 whose decoded header is a FileStorage element
  format with a non-zero element size and whose payload is a whole number of elements;
- comments (`#` at the start of a line or after a space).
This is what cv::FileStorage writes and what the documented hand-written files use. */
void checkYamlSubset(const std::string& bytes, const String& path, const char* what);

/** @brief readFileBounded + checkYamlSubset + cv::FileStorage on the checked bytes (from memory,
so the file cannot change in between). `checksummed` (when not null) is set to whether the file
ends with a checksum line, which is then verified (verifyChecksumLine). */
FileStorage openYamlFile(const String& path, const char* what, size_t maxBytes, bool* checksummed = nullptr);

/** @brief Appends the checksum line `# escrf-checksum fnv1a64 <16 hex digits>` to a document:
FNV-1a (64 bit) of every byte before it. A YAML comment, so readers without checksums ignore it. */
void appendChecksumLine(std::string& text);

/** @brief False when bytes do not end with a checksum line; true when they do and it matches;
throws Error::StsParseError naming `what` and the path when it does not match (a corrupt file). */
bool verifyChecksumLine(const std::string& bytes, const String& path, const char* what);

/** @brief Typed reads of the keys of a checked document, worded alike for every file kind.
Each failure throws Error::StsParseError "<where>: key '<key>' <problem><hint>" (a missing key:
"<where>: missing key '<key>'<hint>"). `where` names the file (and the entry), e.g.
"head file 'a.yml'"; `hint` ends every message, e.g. " (delete it to start over)". The as*
functions check a value already looked up (an optional key, a sequence element); the others read a
required key of a map. */
class YamlReader
{
public:
    explicit YamlReader(const String& where, const String& hint = String()) : where_(where), hint_(hint) {}

    [[noreturn]] void fail(const char* key, const String& problem) const;
    FileNode required(const FileNode& map, const char* key) const;

    double asNumber(const FileNode& value, const char* key) const;   //!< an integer or a real
    int asInteger(const FileNode& value, const char* key) const;     //!< an integer
    int asCount(const FileNode& value, const char* key) const;       //!< a whole number in [0, INT_MAX]
    bool asBoolean(const FileNode& value, const char* key) const;    //!< 0, 1, true or false
    String asString(const FileNode& value, const char* key) const;   //!< a string
    std::vector<String> asStrings(const FileNode& value, const char* key) const; //!< a string or a sequence of them

    double number(const FileNode& map, const char* key) const { return asNumber(required(map, key), key); }
    int integer(const FileNode& map, const char* key) const { return asInteger(required(map, key), key); }
    int count(const FileNode& map, const char* key) const { return asCount(required(map, key), key); }
    bool boolean(const FileNode& map, const char* key) const { return asBoolean(required(map, key), key); }
    String string(const FileNode& map, const char* key) const { return asString(required(map, key), key); }

private:
    String where_, hint_;
};

/** @brief Reads a cv::Mat written by FileStorage (`!!opencv-matrix`) that must be rows x cols of
`type`, checking the declared shape, the element type and the number of values present in the file
before allocating; throws Error::StsParseError naming `where` otherwise. */
void readMatrix(const FileNode& node, int rows, int cols, int type, Mat& out, const String& where);

/** @brief Reads a sequence of matrices shaped like `like` (count, shapes and types), each with
readMatrix. */
void readMatrices(const FileNode& node, const std::vector<Mat>& like, std::vector<Mat>& out, const String& where);

/** @brief Runs a loader body; a cv::Exception passes unchanged when it names the path already,
anything else thrown (std::exception from OpenCV's parsers or the standard library, e.g.
std::length_error or std::bad_alloc) becomes Error::StsParseError naming `what` and the path. */
template <class Body>
auto guardLoad(const String& path, const char* what, Body&& body) -> decltype(body())
{
    try
    {
        return body();
    }
    catch (const cv::Exception& e)
    {
        if (e.err.find(path) != std::string::npos)
            throw;
        CV_Error_(e.code == Error::StsNoMem ? Error::StsNoMem : Error::StsParseError,
                  ("%s '%s': %s", what, path.c_str(), e.err.c_str()));
    }
    catch (const std::exception& e)
    {
        CV_Error_(Error::StsParseError, ("%s '%s' cannot be read: %s", what, path.c_str(), e.what()));
    }
}

}}} // namespace cv::escrf::detail

#endif
