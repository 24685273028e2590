// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The head file: a versioned cv::FileStorage document holding the configuration, the
// superpixel parameters, the backbone description and the weights (base64), written
// atomically so that an interrupted save never leaves a half-written file behind. Version 2
// files end with a checksum line over all their bytes (core/yaml_gate.hpp); version 1 files
// (before checksums) still load. Reading goes through the YAML gate, and every declared
// shape is checked against the configuration's limits and the data present before anything
// is allocated.
#include "precomp.hpp"
#include "opencv2/escrf/head.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "core/atomic_file.hpp"
#include "core/yaml_gate.hpp"
#include "head/head_parameters.hpp"
#include "head/head_variants.hpp"

namespace cv {
namespace escrf {

static const int kHeadFileVersion = 2;          // with a checksum line
static const int kHeadFileVersionUnchecked = 1; // before checksums: still read
static const char* const kHeadRoot = "escrf_head";

class HeadIO
{
public:
    static void write(const Head& head, FileStorage& fs);
    static Ptr<Head> read(const FileNode& root, const String& file, bool checksummed);
};

namespace {

void writeBlockParams(FileStorage& fs, const EscrfBlockParams& p)
{
    fs << "block" << "{"
       << "embed_dim" << p.embedDim << "pos_dim" << p.posDim
       << "window" << p.window << "dilation" << p.dilation
       << "alpha_s" << p.alphaS << "alpha_p" << p.alphaP
       << "normalize" << (int)p.normalize << "dense" << (int)p.dense
       << "pair_compatibility" << (int)p.pairCompatibility
       << "soft_superpixels" << (int)p.softSuperpixels
       << "learnable_fusion" << (int)p.learnableFusion
       << "gaussian_kernel" << (int)p.gaussianKernel << "}";
}

// The file's names of SuperpixelParams::implementation.
const char* superpixelImplementationName(int implementation)
{
    if (implementation == SUPERPIXEL_IMPL_XIMGPROC)
        return "ximgproc";
    if (implementation == SUPERPIXEL_IMPL_ESCRF)
        return "escrf";
    CV_Error_(Error::StsBadArg, ("Head::save: config.superpixels.implementation = %d, expected "
                                 "SUPERPIXEL_IMPL_XIMGPROC (0) or SUPERPIXEL_IMPL_ESCRF (1)", implementation));
}

void writeSuperpixelParams(FileStorage& fs, const SuperpixelParams& p)
{
    fs << "superpixels" << "{"
       << "algorithm" << p.algorithm << "num_superpixels" << p.numSuperpixels
       << "ruler" << p.ruler << "iterations" << p.iterations
       << "enforce_connectivity" << (int)p.enforceConnectivity
       << "min_element_size" << p.minElementSize << "blur_kernel" << p.blurKernel
       << "implementation" << superpixelImplementationName(p.implementation) << "}";
}

// The options of the variants that have some, each in its own section, written only for its
// variant (files of the other variants stay as they were).
void writeStageOptions(FileStorage& fs, const HeadConfig& c)
{
    const detail::HeadStage stage = detail::headVariantTraits(c.variant).stage;
    if (stage == detail::STAGE_JOINT_CRF)
    {
        const JointCrfOptions& o = c.jointCrf;
        fs << "joint_crf" << "{"
           << "iterations" << o.iterations << "inference_iterations" << o.inferenceIterations
           << "factor" << o.factor << "bilateral_sxy" << o.bilateralSxy << "bilateral_srgb" << o.bilateralSrgb
           << "spatial_sxy" << o.spatialSxy << "}";
    }
    if (stage == detail::STAGE_NONLOCAL)
        fs << "nonlocal" << "{" << "embed_dim" << c.nonlocal.embedDim << "factor" << c.nonlocal.factor << "}";
}

EscrfBlockParams readBlockParams(const detail::YamlReader& r, const FileNode& n)
{
    EscrfBlockParams p;
    p.embedDim = r.integer(n, "embed_dim");
    p.posDim = r.integer(n, "pos_dim");
    p.window = r.integer(n, "window");
    p.dilation = r.integer(n, "dilation");
    p.alphaS = (float)r.number(n, "alpha_s");
    p.alphaP = (float)r.number(n, "alpha_p");
    p.normalize = r.boolean(n, "normalize");
    p.dense = r.boolean(n, "dense");
    p.pairCompatibility = r.boolean(n, "pair_compatibility");
    p.softSuperpixels = r.boolean(n, "soft_superpixels");
    p.learnableFusion = r.boolean(n, "learnable_fusion");
    // Added after version 1 files were shipped: absent means the reference dot-product kernel.
    p.gaussianKernel = !n["gaussian_kernel"].empty() && r.boolean(n, "gaussian_kernel");
    return p;
}

SuperpixelParams readSuperpixelParams(const detail::YamlReader& r, const FileNode& n)
{
    SuperpixelParams p;
    p.algorithm = r.integer(n, "algorithm");
    p.numSuperpixels = r.integer(n, "num_superpixels");
    p.ruler = (float)r.number(n, "ruler");
    p.iterations = r.integer(n, "iterations");
    p.enforceConnectivity = r.boolean(n, "enforce_connectivity");
    p.minElementSize = r.integer(n, "min_element_size");
    p.blurKernel = r.integer(n, "blur_kernel");
    // Added after version 1 files were shipped: heads without the key were trained with ximgproc.
    const FileNode impl = n["implementation"];
    const String name = impl.empty() ? String("ximgproc") : r.asString(impl, "implementation");
    if (name == superpixelImplementationName(SUPERPIXEL_IMPL_ESCRF))
        p.implementation = SUPERPIXEL_IMPL_ESCRF;
    else if (name == superpixelImplementationName(SUPERPIXEL_IMPL_XIMGPROC))
        p.implementation = SUPERPIXEL_IMPL_XIMGPROC;
    else
        r.fail("implementation", "must be \"ximgproc\" or \"escrf\"");
    return p;
}

void readStageOptions(const detail::YamlReader& r, const FileNode& root, HeadConfig& c)
{
    const detail::HeadStage stage = detail::headVariantTraits(c.variant).stage;
    if (stage == detail::STAGE_JOINT_CRF)
    {
        const FileNode n = r.required(root, "joint_crf");
        JointCrfOptions& o = c.jointCrf;
        o.iterations = r.integer(n, "iterations");
        o.inferenceIterations = r.integer(n, "inference_iterations");
        o.factor = r.integer(n, "factor");
        o.bilateralSxy = (float)r.number(n, "bilateral_sxy");
        o.bilateralSrgb = (float)r.number(n, "bilateral_srgb");
        o.spatialSxy = (float)r.number(n, "spatial_sxy");
    }
    if (stage == detail::STAGE_NONLOCAL)
    {
        const FileNode n = r.required(root, "nonlocal");
        c.nonlocal.embedDim = r.integer(n, "embed_dim");
        c.nonlocal.factor = r.integer(n, "factor");
    }
}

} // namespace

void HeadIO::write(const Head& head, FileStorage& fs)
{
    const HeadConfig& c = head.config_;
    fs << kHeadRoot << "{";
    fs << "version" << kHeadFileVersion;
    fs << "variant" << headVariantToString(c.variant);
    fs << "inputs" << c.inputs;
    fs << "input_channels" << head.inputChannels_;
    fs << "stride" << c.stride << "projection" << c.projection
       << "projection_relu" << (int)c.projectionRelu << "num_classes" << c.numClasses;
    writeBlockParams(fs, c.block);
    writeSuperpixelParams(fs, c.superpixels);
    writeStageOptions(fs, c);
    if (!head.backbone_.model.empty())
    {
        fs << "backbone" << "{";
        head.backbone_.write(fs);
        fs << "}";
    }
    fs << "weights" << "[";
    detail::forEachHeadParameter(c, head, [&](const String& name, detail::ParameterRole, const auto& tensor) {
        fs << "{" << "name" << name << "value" << detail::parameterValue(tensor) << "}";
    });
    fs << "]";
    fs << "}";
}

// The weights of a configuration: each entry's name, declared shape and element count are
// compared with the table (headParameterShapes) before the head is created.
void checkDeclaredWeights(const FileNode& weights, const std::vector<detail::ParameterShape>& shapes,
                          const String& file)
{
    if (!weights.isSeq() || weights.size() != shapes.size())
        CV_Error_(Error::StsParseError, ("head file '%s': expected %d weight tensors for this configuration, found %d",
                                         file.c_str(), (int)shapes.size(), weights.isSeq() ? (int)weights.size() : 0));
    for (size_t i = 0; i < shapes.size(); i++)
    {
        const FileNode w = weights[(int)i];
        const String name = w.isMap() && w["name"].isString() ? (String)w["name"] : String();
        if (name != shapes[i].name)
            CV_Error_(Error::StsParseError, ("head file '%s': weight %d is '%s', expected '%s'",
                                             file.c_str(), (int)i, name.c_str(), shapes[i].name.c_str()));
        const FileNode v = w["value"];
        const FileNode data = v.isMap() ? v["data"] : FileNode();
        if (!v.isMap() || !v["rows"].isInt() || !v["cols"].isInt() || (int)v["rows"] != shapes[i].rows ||
            (int)v["cols"] != shapes[i].cols || !data.isSeq() || (int64)data.size() != (int64)shapes[i].rows * shapes[i].cols)
            CV_Error_(Error::StsParseError, ("head file '%s': weight '%s' is not a %dx%d matrix with its %d values",
                                             file.c_str(), name.c_str(), shapes[i].rows, shapes[i].cols,
                                             shapes[i].rows * shapes[i].cols));
    }
}

Ptr<Head> HeadIO::read(const FileNode& root, const String& file, bool checksummed)
{
    const detail::YamlReader r("head file '" + file + "'");
    const int version = r.integer(root, "version");
    if (version != kHeadFileVersion && version != kHeadFileVersionUnchecked)
        CV_Error_(Error::StsParseError, ("head file '%s': version %d is not supported (this build reads versions %d "
                                         "and %d)", file.c_str(), version, kHeadFileVersionUnchecked, kHeadFileVersion));
    if (version >= kHeadFileVersion && !checksummed)
        CV_Error_(Error::StsParseError, ("head file '%s' is corrupt or truncated: a version %d head file ends with a "
                                         "checksum line, this one does not", file.c_str(), version));
    HeadConfig c;
    c.variant = headVariantFromString(r.string(root, "variant"));
    r.required(root, "inputs") >> c.inputs;
    std::vector<int> channels;
    r.required(root, "input_channels") >> channels;
    c.stride = r.integer(root, "stride");
    c.projection = r.integer(root, "projection");
    c.projectionRelu = r.boolean(root, "projection_relu");
    c.numClasses = r.integer(root, "num_classes");
    c.block = readBlockParams(r, r.required(root, "block"));
    c.superpixels = readSuperpixelParams(r, r.required(root, "superpixels"));
    readStageOptions(r, root, c);

    // Limits first, then the declared tensors against the data present: only then allocate.
    detail::checkHeadConfig(c, channels, "head file '" + file + "'");
    FileNode weights = r.required(root, "weights");
    checkDeclaredWeights(weights, detail::headParameterShapes(c, channels), file);

    Ptr<Head> head = Head::create(c, channels);
    FileNode bb = root["backbone"];
    if (!bb.empty())
    {
        // A relative model path is relative to the head file, as in a backbone description.
        const String dir = utils::fs::getParent(file);
        head->backbone_.read(bb, dir.empty() ? String(".") : dir, file);
    }

    std::vector<Mat> params = head->parameters();
    for (size_t i = 0; i < params.size(); i++)
    {
        Mat value;
        detail::readMatrix(weights[(int)i]["value"], params[i].rows, params[i].cols, params[i].type(), value,
                           format("head file '%s': weight '%s'", file.c_str(), head->parameterNames()[i].c_str()));
        value.copyTo(params[i]); // params[i] shares the head's storage
    }
    return head;
}

void Head::save(const String& filename) const
{
    if (filename.empty())
        CV_Error(Error::StsBadArg, "Head::save: filename is empty");
    FileStorage fs(".yml", FileStorage::WRITE | FileStorage::MEMORY | FileStorage::FORMAT_YAML |
                           FileStorage::WRITE_BASE64);
    HeadIO::write(*this, fs);
    std::string text = fs.releaseAndGetString();
    detail::appendChecksumLine(text);
    detail::writeFileAtomically(filename, text, "head file");
}

Ptr<Head> Head::load(const String& filename)
{
    if (filename.empty())
        CV_Error(Error::StsBadArg, "Head::load: filename is empty");
    return detail::guardLoad(filename, "head file", [&] {
        bool checksummed = false;
        FileStorage fs = detail::openYamlFile(filename, "head file", detail::kMaxHeadFileBytes, &checksummed);
        FileNode root = fs[kHeadRoot];
        if (root.empty() || !root.isMap())
            CV_Error_(Error::StsParseError, ("head file '%s' has no '%s' map: not an escrf head file",
                                             filename.c_str(), kHeadRoot));
        try
        {
            return HeadIO::read(root, filename, checksummed);
        }
        catch (const cv::Exception& e)
        {
            if (e.code == Error::StsParseError)
                throw;
            CV_Error_(Error::StsParseError, ("head file '%s' is inconsistent: %s", filename.c_str(), e.err.c_str()));
        }
    });
}

}} // namespace cv::escrf
