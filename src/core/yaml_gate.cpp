// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The checks in front of cv::FileStorage (yaml_gate.hpp). The subset is checked line by line with
// a stack of open blocks, the way a YAML reader would structure the document, but it only decides
// whether the text may be handed to FileStorage: FileStorage still builds the nodes.
#include "precomp.hpp"
#include "core/yaml_gate.hpp"
#include "core/checksum.hpp"

#include <climits>
#include <cmath>
#include <fstream>
#include <sys/stat.h>

namespace cv {
namespace escrf {
namespace detail {

namespace {

const int kMaxLineLength = 2048;   // FileStorage's own limit on a scalar is 4096
const int kMaxFlowDepth = 8;
const char kChecksumPrefix[] = "# escrf-checksum fnv1a64 ";

bool isKeyChar(char c) { return std::isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'; }
bool isBase64Char(char c) { return std::isalnum((unsigned char)c) || c == '+' || c == '/' || c == '='; }

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

// Bytes of one element of a FileStorage format character (fs::decodeFormat's "ucwsifdh").
int formatElementSize(char c)
{
    switch (c)
    {
    case 'u': case 'c': return 1;
    case 'w': case 's': case 'h': return 2;
    case 'i': case 'f': return 4;
    case 'd': return 8;
    }
    return 0;
}

class YamlSubsetChecker
{
public:
    YamlSubsetChecker(const String& path, const char* what) : path_(path), what_(what) {}

    void run(const std::string& bytes)
    {
        checkStart(bytes);
        size_t pos = 0;
        int lineNo = 0;
        while (pos < bytes.size())
        {
            size_t end = bytes.find('\n', pos);
            if (end == std::string::npos)
                end = bytes.size();
            lineNo_ = ++lineNo;
            std::string line = bytes.substr(pos, end - pos);
            pos = end + 1;
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (lineNo <= 2)
                continue;   // the header, checked by checkStart
            checkLine(line);
        }
        lineNo_ = lineNo;
        if (inBase64_)
            finishBase64();
        if (flowDepth_ > 0)
            fail("a flow sequence '[' is not closed");
        if (opens_ && !stack_.empty())
            fail("the last key or item has no value");
        if (stack_.empty())
            fail("the document is empty");
    }

private:
    enum Kind { MAP, SEQ };
    struct Block
    {
        int indent;
        Kind kind;
    };

    [[noreturn]] void fail(const String& why) const
    {
        CV_Error_(Error::StsParseError, ("%s '%s', line %d: %s (not in the YAML subset the module reads, see "
                                         "doc/reliability.md)", what_, path_.c_str(), lineNo_, why.c_str()));
    }

    void checkStart(const std::string& bytes)
    {
        lineNo_ = 1;
        if (bytes.empty())
            fail("the file is empty");
        if (bytes[0] == '<')
            fail("XML files are not read (only YAML: OpenCV 4.6's XML parser crashes on malformed files)");
        if (bytes[0] == '{' || bytes[0] == '[')
            fail("JSON files are not read (only YAML)");
        const bool header = bytes.compare(0, 10, "%YAML:1.0\n") == 0 || bytes.compare(0, 10, "%YAML 1.0\n") == 0 ||
                            bytes.compare(0, 11, "%YAML:1.0\r\n") == 0 || bytes.compare(0, 11, "%YAML 1.0\r\n") == 0;
        if (!header)
            fail("expected the first line '%YAML:1.0'");
        const size_t second = bytes.find('\n') + 1;
        lineNo_ = 2;
        if (bytes.compare(second, 4, "---\n") != 0 && bytes.compare(second, 5, "---\r\n") != 0)
            fail("expected the second line '---'");
    }

    void checkLine(const std::string& raw)
    {
        if ((int)raw.size() > kMaxLineLength)
            fail(format("the line is longer than %d characters", kMaxLineLength));
        for (char c : raw)
            if (c < 0x20 || c > 0x7e)
                fail(format("byte 0x%02x: only printable ASCII is read (no tabs or control characters)",
                            (unsigned char)c));
        int indent = 0;
        while (indent < (int)raw.size() && raw[indent] == ' ')
            indent++;
        std::string text = raw.substr(indent);
        while (!text.empty() && text.back() == ' ')
            text.pop_back();

        if (inBase64_)
        {
            if (!text.empty() && indent > base64Indent_ &&
                std::all_of(text.begin(), text.end(), isBase64Char))
            {
                base64_ += text;
                return;
            }
            finishBase64();
        }
        if (flowDepth_ > 0)
        {
            if (indent <= flowIndent_ || text.empty())
                fail("a flow sequence '[' continues on a line that is not indented below its key");
            scanFlow(text, 0);
            return;
        }
        if (text.empty() || text[0] == '#')
            return;
        if (opens_ && indent > openerIndent_ && (text[0] == '[' || text[0] == '{'))
        {
            // "key:" with its flow value on the next, deeper line (FileStorage writes "best:\n   []").
            opens_ = false;
            value(openerIndent_, text);
            return;
        }
        if (text == "-" || text.compare(0, 2, "- ") == 0)
            sequenceItem(indent, text);
        else
        {
            place(indent, MAP);
            keyValue(indent, text);
        }
    }

    // Puts a line of this kind at this indentation into the block structure.
    void place(int indent, Kind kind)
    {
        if (opens_)
        {
            opens_ = false;
            if (indent > openerIndent_)
            {
                stack_.push_back({ indent, kind });
                return;
            }
            // "key:" followed by "- item" at the key's indentation (a compact sequence).
            if (indent == openerIndent_ && kind == SEQ && openerIsKey_)
            {
                stack_.push_back({ indent, SEQ });
                return;
            }
            fail("a key or item with no value is not followed by a deeper block");
        }
        while (!stack_.empty() && stack_.back().indent > indent)
            stack_.pop_back();
        // A compact sequence ends where its map's next key starts.
        if (kind == MAP && stack_.size() >= 2 && stack_.back().kind == SEQ && stack_.back().indent == indent &&
            stack_[stack_.size() - 2].indent == indent)
            stack_.pop_back();
        if (stack_.empty() || stack_.back().indent != indent)
            fail("the indentation matches no open block");
        if (stack_.back().kind != kind)
            fail(kind == MAP ? "a key where a sequence item was expected" : "a sequence item where a key was expected");
    }

    void sequenceItem(int indent, const std::string& text)
    {
        place(indent, SEQ);
        size_t start = 1;
        while (start < text.size() && text[start] == ' ')
            start++;
        const std::string rest = text.substr(start);
        if (rest.empty() || rest[0] == '#')
        {
            opensBlock(indent, false);
            return;
        }
        if (startsWithKey(rest))
        {
            // "- key: value": the item is a map whose keys are at the column of this key.
            const int mapIndent = indent + (int)start;
            stack_.push_back({ mapIndent, MAP });
            keyValue(mapIndent, rest);
            return;
        }
        value(indent, rest);
    }

    static bool startsWithKey(const std::string& t)
    {
        size_t i = 0;
        while (i < t.size() && isKeyChar(t[i]))
            i++;
        return i > 0 && i < t.size() && t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ') && t[0] != '-';
    }

    void keyValue(int indent, const std::string& text)
    {
        if (!startsWithKey(text))
            fail("expected 'key: value' (a key of letters, digits, '_', '-', '.' not starting with '-', then ': ')");
        const size_t colon = text.find(':');
        size_t start = colon + 1;
        while (start < text.size() && text[start] == ' ')
            start++;
        const std::string rest = text.substr(start);
        if (rest.empty() || rest[0] == '#')
            opensBlock(indent, true);
        else
            value(indent, rest);
    }

    void opensBlock(int indent, bool isKey)
    {
        opens_ = true;
        openerIndent_ = indent;
        openerIsKey_ = isKey;
    }

    // The value of a key or item, on its own line at `indent`.
    void value(int indent, const std::string& v)
    {
        if (v == "!!binary |")
        {
            inBase64_ = true;
            base64Indent_ = indent;
            base64_.clear();
            base64Line_ = lineNo_;
            return;
        }
        if (v == "!!opencv-matrix")
        {
            opensBlock(indent, true);
            return;
        }
        if (v[0] == '!')
            fail("only the tags !!binary | and !!opencv-matrix are read");
        if (v[0] == '[')
        {
            flowIndent_ = indent;
            scanFlow(v, 0);
            return;
        }
        if (v[0] == '{')
        {
            if (v != "{}" && v.compare(0, 3, "{} ") != 0)
                fail("flow maps '{...}' are not read (only the empty map {})");
            return;
        }
        size_t end = v[0] == '"' || v[0] == '\'' ? quoted(v, 0) : plain(v, 0, false);
        while (end < v.size() && v[end] == ' ')
            end++;
        if (end < v.size() && v[end] != '#')
            fail("unexpected text after the value");
    }

    // A quoted string starting at v[i]; returns the index after its closing quote.
    size_t quoted(const std::string& v, size_t i) const
    {
        const char q = v[i];
        for (size_t k = i + 1; k < v.size(); k++)
        {
            const char c = v[k];
            if (q == '\'' && c == '\'')
            {
                if (k + 1 < v.size() && v[k + 1] == '\'')
                {
                    k++;
                    continue;
                }
                return k + 1;
            }
            if (q == '"' && c == '\\')
            {
                if (k + 1 >= v.size() || std::strchr("\\\"'nrt", v[k + 1]) == nullptr)
                    fail("a string escape other than \\\\ \\\" \\' \\n \\r \\t");
                k++;
                continue;
            }
            if (q == '"' && c == '"')
                return k + 1;
        }
        fail("a quoted string does not end on its line");
    }

    // A plain scalar starting at v[i]; in a flow it ends at ',' or ']'. Returns the index after it.
    size_t plain(const std::string& v, size_t i, bool inFlow) const
    {
        const char c0 = v[i];
        if (std::strchr("?:,[]{}#&*!|>'\"%@`", c0) != nullptr || (c0 == '-' && (i + 1 == v.size() || v[i + 1] == ' ')))
            fail(format("a plain value may not start with '%c'", c0));
        size_t k = i;
        for (; k < v.size(); k++)
        {
            const char c = v[k];
            if (inFlow && (c == ',' || c == ']'))
                break;
            if (c == '#' && v[k - 1] == ' ')
                break;
            if (c == ':' && (k + 1 == v.size() || v[k + 1] == ' '))
                fail("': ' inside a plain value (a map needs its own line)");
            if (std::strchr("[]{}\"", c) != nullptr)
                fail(format("'%c' inside a plain value (quote the value)", c));
        }
        while (k > i && v[k - 1] == ' ')
            k--;
        return k;
    }

    // Flow sequence text from v[i], continuing the open flow (flowDepth_) of previous lines.
    void scanFlow(const std::string& v, size_t i)
    {
        while (i < v.size())
        {
            const char c = v[i];
            if (c == ' ')
            {
                i++;
                continue;
            }
            if (flowDepth_ == 0)
            {
                if (c == '#')
                    return;
                if (c != '[')
                    fail("unexpected text after a flow sequence");
            }
            if (c == '[')
            {
                if (flowDepth_ > 0 && !flowExpectValue_)
                    fail("a ',' is missing in a flow sequence");
                if (++flowDepth_ > kMaxFlowDepth)
                    fail(format("flow sequences nested deeper than %d", kMaxFlowDepth));
                flowExpectValue_ = true;
                flowEmpty_ = true;
                i++;
            }
            else if (c == ']')
            {
                if (flowExpectValue_ && !flowEmpty_)
                    fail("a value is missing after ',' in a flow sequence");
                flowDepth_--;
                flowExpectValue_ = false;
                flowEmpty_ = false;
                i++;
            }
            else if (c == ',')
            {
                if (flowExpectValue_)
                    fail("a value is missing before ',' in a flow sequence");
                flowExpectValue_ = true;
                flowEmpty_ = false;
                i++;
            }
            else
            {
                if (!flowExpectValue_)
                    fail("a ',' is missing in a flow sequence");
                if (c == '#')
                {
                    if (i > 0 && v[i - 1] != ' ')
                        fail("'#' inside a flow sequence that does not start a comment");
                    return;   // a comment to the end of the line; the flow goes on below
                }
                if (c == '{')
                    fail("flow maps are not read inside a flow sequence");
                i = c == '"' || c == '\'' ? quoted(v, i) : plain(v, i, true);
                flowExpectValue_ = false;
                flowEmpty_ = false;
            }
        }
    }

    // The base64 block that FileStorage's parseBase64 will decode: a header naming the element
    // format, then whole elements. A format of no elements makes OpenCV 4.6's decoder loop forever.
    void finishBase64()
    {
        inBase64_ = false;
        const int line = lineNo_;
        lineNo_ = base64Line_;
        const size_t pad = std::min(base64_.find('='), base64_.size());
        if (base64_.empty() || base64_.size() % 4 != 0 || base64_.size() - pad > 2 ||
            base64_.find_first_not_of('=', pad) != std::string::npos)
            fail("a !!binary block is not whole base64 (length a multiple of 4, '=' only at its end)");
        std::vector<uchar> bytes;
        bytes.reserve(base64_.size() / 4 * 3);
        for (size_t k = 0; k + 4 <= base64_.size(); k += 4)
        {
            int v[4];
            for (int j = 0; j < 4; j++)
                v[j] = base64_[k + j] == '=' ? 0 : base64Value(base64_[k + j]);
            bytes.push_back((uchar)((v[0] << 2) | (v[1] >> 4)));
            bytes.push_back((uchar)((v[1] << 4) | (v[2] >> 2)));
            bytes.push_back((uchar)((v[2] << 6) | v[3]));
        }
        bytes.resize(bytes.size() - (base64_.size() - pad));
        const size_t kHeader = 24;
        if (bytes.size() <= kHeader)
            fail("a !!binary block holds no data after its 24-byte header");
        size_t elementSize = 0, k = 0;
        while (k < kHeader && bytes[k] != ' ')
        {
            int count = 0;
            while (k < kHeader && std::isdigit(bytes[k]) && count < 100000)
                count = count * 10 + (bytes[k++] - '0');
            if (k == kHeader || formatElementSize((char)bytes[k]) == 0)
                fail("the header of a !!binary block is not an element format (e.g. '1f')");
            if (count == 0 && k > 0 && std::isdigit(bytes[k - 1]))
                fail("the header of a !!binary block has a zero element count");
            elementSize += (size_t)std::max(count, 1) * formatElementSize((char)bytes[k++]);
        }
        if (elementSize == 0)
            fail("the header of a !!binary block names no element format");
        for (; k < kHeader; k++)
            if (bytes[k] != ' ')
                fail("the header of a !!binary block is not padded with spaces");
        if ((bytes.size() - kHeader) % elementSize != 0)
            fail("a !!binary block does not hold a whole number of elements");
        lineNo_ = line;
    }

    String path_;
    const char* what_;
    int lineNo_ = 0;
    std::vector<Block> stack_;
    bool opens_ = true;        // the previous line opens a block (the document's root at the start)
    int openerIndent_ = -1;
    bool openerIsKey_ = false;
    bool inBase64_ = false;
    int base64Indent_ = 0, base64Line_ = 0;
    std::string base64_;
    int flowDepth_ = 0, flowIndent_ = 0;
    bool flowExpectValue_ = false, flowEmpty_ = false;
};

String checksumLine(const std::string& body)
{
    return format("%s%016llx\n", kChecksumPrefix, (unsigned long long)fnv1a64(body.data(), body.size()));
}

} // namespace

std::string readFileBounded(const String& path, const char* what, size_t maxBytes)
{
    if (path.empty())
        CV_Error_(Error::StsBadArg, ("%s: the file name is empty", what));
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        CV_Error_(Error::StsObjectNotFound, ("%s '%s' does not exist or cannot be accessed", what, path.c_str()));
    if (!S_ISREG(st.st_mode))
        CV_Error_(Error::StsBadArg, ("%s '%s' is not a regular file (a folder, device or pipe)", what, path.c_str()));
    if ((uint64)st.st_size > (uint64)maxBytes)
        CV_Error_(Error::StsOutOfRange, ("%s '%s' has %lld bytes, more than the %lld this loader reads", what,
                                         path.c_str(), (long long)st.st_size, (long long)maxBytes));
    std::ifstream in(path.c_str(), std::ios::binary);
    if (!in)
        CV_Error_(Error::StsError, ("%s '%s' cannot be opened", what, path.c_str()));
    std::string bytes((size_t)st.st_size, '\0');
    in.read(&bytes[0], (std::streamsize)bytes.size());
    if ((size_t)in.gcount() != bytes.size() || in.peek() != std::char_traits<char>::eof())
        CV_Error_(Error::StsError, ("%s '%s' changed while it was read", what, path.c_str()));
    return bytes;
}

void checkYamlSubset(const std::string& bytes, const String& path, const char* what)
{
    YamlSubsetChecker(path, what).run(bytes);
}

FileStorage openYamlFile(const String& path, const char* what, size_t maxBytes, bool* checksummed)
{
    return guardLoad(path, what, [&] {
        const std::string bytes = readFileBounded(path, what, maxBytes);
        const bool hasChecksum = verifyChecksumLine(bytes, path, what);
        if (checksummed)
            *checksummed = hasChecksum;
        checkYamlSubset(bytes, path, what);
        FileStorage fs;
        try
        {
            fs.open(bytes, FileStorage::READ | FileStorage::MEMORY | FileStorage::FORMAT_YAML);
        }
        catch (const cv::Exception& e)
        {
            CV_Error_(Error::StsParseError, ("%s '%s' is corrupt or truncated: %s", what, path.c_str(), e.err.c_str()));
        }
        if (!fs.isOpened())
            CV_Error_(Error::StsParseError, ("%s '%s' cannot be parsed as YAML", what, path.c_str()));
        return fs;
    });
}

void appendChecksumLine(std::string& text)
{
    if (!text.empty() && text.back() != '\n')
        text += '\n';
    text += checksumLine(text);
}

bool verifyChecksumLine(const std::string& bytes, const String& path, const char* what)
{
    const size_t prefixLen = sizeof(kChecksumPrefix) - 1, lineLen = prefixLen + 16 + 1;
    if (bytes.size() < lineLen || bytes.compare(bytes.size() - lineLen, prefixLen, kChecksumPrefix) != 0)
        return false;
    const size_t start = bytes.size() - lineLen;
    if (start > 0 && bytes[start - 1] != '\n')
        return false;
    const std::string body = bytes.substr(0, start);
    if (bytes.compare(start, lineLen, checksumLine(body)) != 0)
        CV_Error_(Error::StsParseError, ("%s '%s' is corrupt: its content does not match the checksum on its last "
                                         "line", what, path.c_str()));
    return true;
}

void YamlReader::fail(const char* key, const String& problem) const
{
    CV_Error_(Error::StsParseError, ("%s: key '%s' %s%s", where_.c_str(), key, problem.c_str(), hint_.c_str()));
}

FileNode YamlReader::required(const FileNode& map, const char* key) const
{
    FileNode n = map.isMap() ? map[key] : FileNode();
    if (n.empty())
        CV_Error_(Error::StsParseError, ("%s: missing key '%s'%s", where_.c_str(), key, hint_.c_str()));
    return n;
}

double YamlReader::asNumber(const FileNode& value, const char* key) const
{
    if (!value.isInt() && !value.isReal())
        fail(key, "must be a number");
    return (double)value;
}

int YamlReader::asInteger(const FileNode& value, const char* key) const
{
    if (!value.isInt())
        fail(key, "must be an integer");
    return (int)value;
}

int YamlReader::asCount(const FileNode& value, const char* key) const
{
    const double v = asNumber(value, key);
    if (!(v >= 0 && v <= INT_MAX) || v != std::floor(v))
        fail(key, format("= %g, expected a count >= 0", v));
    return (int)v;
}

bool YamlReader::asBoolean(const FileNode& value, const char* key) const
{
    if (value.isInt() && ((int)value == 0 || (int)value == 1))
        return (int)value != 0;
    if (value.isString())
    {
        const String s = (String)value;
        if (s == "true" || s == "True")
            return true;
        if (s == "false" || s == "False")
            return false;
    }
    fail(key, "must be 0 or 1 (or true / false)");
}

String YamlReader::asString(const FileNode& value, const char* key) const
{
    if (!value.isString())
        fail(key, "must be a string");
    return (String)value;
}

std::vector<String> YamlReader::asStrings(const FileNode& value, const char* key) const
{
    std::vector<String> out;
    if (value.isString())
        out.push_back((String)value);
    else if (value.isSeq())
        for (FileNodeIterator it = value.begin(); it != value.end(); ++it)
            out.push_back(asString(*it, key));
    else
        fail(key, "must be a sequence of strings");
    return out;
}

void readMatrix(const FileNode& node, int rows, int cols, int type, Mat& out, const String& where)
{
    const char* w = where.c_str();
    if (!node.isMap() || !node["rows"].isInt() || !node["cols"].isInt() || !node["dt"].isString())
        CV_Error_(Error::StsParseError, ("%s: expected a matrix (!!opencv-matrix with rows, cols, dt, data)", w));
    const int r = (int)node["rows"], c = (int)node["cols"];
    const String dt = (String)node["dt"];
    const char* expectedDt = type == CV_32F ? "f" : type == CV_64F ? "d" : type == CV_32S ? "i" : "";
    if (r != rows || c != cols || dt != expectedDt)
        CV_Error_(Error::StsParseError, ("%s is %dx%d of element type '%s', expected %dx%d of '%s'", w, r, c,
                                         dt.c_str(), rows, cols, expectedDt));
    const FileNode data = node["data"];
    if (!data.isSeq() || (int64)data.size() != (int64)rows * cols)
        CV_Error_(Error::StsParseError, ("%s: holds %d values, expected %dx%d", w, data.isSeq() ? (int)data.size() : 0,
                                         rows, cols));
    out.create(rows, cols, type);
    data.readRaw(expectedDt, out.ptr(), out.total() * out.elemSize());
    if (!checkRange(out))
        CV_Error_(Error::StsParseError, ("%s holds NaN or infinite values", w));
}

void readMatrices(const FileNode& node, const std::vector<Mat>& like, std::vector<Mat>& out, const String& where)
{
    if (!node.isSeq() || node.size() != like.size())
        CV_Error_(Error::StsParseError, ("%s: expected a sequence of %d matrices, found %d", where.c_str(),
                                         (int)like.size(), node.isSeq() ? (int)node.size() : 0));
    out.resize(like.size());
    for (size_t i = 0; i < like.size(); i++)
        readMatrix(node[(int)i], like[i].rows, like[i].cols, like[i].type(), out[i],
                   format("%s[%d]", where.c_str(), (int)i));
}

}}} // namespace cv::escrf::detail
