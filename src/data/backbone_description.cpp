// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Reading, checking and writing backbone descriptions. Every error names the key and the file:
// these files are written by hand.

#include "precomp.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "data/paths.hpp"
#include "core/yaml_gate.hpp"

namespace cv {
namespace escrf {

namespace {

// The description's one compound value: mean, std and each colour are [a, b, c] triples.
Scalar readTriple(const detail::YamlReader& r, const FileNode& n, const char* key)
{
    if (!n.isSeq() || n.size() != 3)
        r.fail(key, "must be a sequence of 3 numbers (one per input channel)");
    return Scalar(r.asNumber(n[0], key), r.asNumber(n[1], key), r.asNumber(n[2], key));
}

String entryWhere(const String& where, const String& name)
{
    return format("'%s'%s", where.empty() ? "<node>" : where.c_str(),
                  name.empty() ? "" : format(", entry '%s'", name.c_str()).c_str());
}

//! An absolute path where possible, so that the description stays valid when embedded in a
//! file elsewhere or used from another working directory.
String absolutePath(const String& path)
{
    if (path.empty() || detail::isAbsolutePath(path))
        return path;
    if (utils::fs::exists(path))
        return utils::fs::canonical(path);
    return detail::resolvePath(utils::fs::getcwd(), path);
}

} // namespace

// The entry `name` (or the first) of a description document's root.
static BackboneDescription readEntry(const FileNode& root, const String& file, const String& name)
{
    BackboneDescription d;
    const String baseDir = detail::folderOf(file).empty() ? String(".") : detail::folderOf(file);
    if (root.isMap() && !root["model"].empty())
    {
        // A file holding a single unnamed entry.
        if (!name.empty())
            CV_Error_(Error::StsObjectNotFound, ("backbone description '%s' has a single unnamed entry, "
                                                 "entry '%s' was asked for", file.c_str(), name.c_str()));
        d.read(root, baseDir, file);
        return d;
    }
    if (!root.isMap() || root.size() == 0)
        CV_Error_(Error::StsParseError, ("backbone description '%s' must hold a map of named entries", file.c_str()));
    FileNode entry;
    String names;
    for (FileNodeIterator it = root.begin(); it != root.end(); ++it)
    {
        const FileNode n = *it;
        names += (names.empty() ? "" : ", ") + n.name();
        if (entry.empty() && (name.empty() || n.name() == name))
        {
            entry = n;
            d.name = n.name();
        }
    }
    if (entry.empty())
        CV_Error_(Error::StsObjectNotFound, ("backbone description '%s' has no entry '%s' (entries: %s)",
                                             file.c_str(), name.c_str(), names.c_str()));
    d.read(entry, baseDir, file);
    return d;
}

void BackboneDescription::read(const FileNode& node, const String& baseDir, const String& where)
{
    if (!node.isMap())
        CV_Error_(Error::StsParseError, ("backbone description %s: the entry must be a map of keys (model, mean, ...)",
                                         entryWhere(where, name).c_str()));
    BackboneDescription d;
    d.name = name;
    if (!node["name"].empty())
        d.name = (String)node["name"];
    const String at = entryWhere(where, d.name);
    const detail::YamlReader r("backbone description " + at);

    d.model = r.string(node, "model");
    if (d.model.empty())
        r.fail("model", "must not be empty");
    if (!baseDir.empty())
        d.model = absolutePath(detail::resolvePath(baseDir, d.model));
    d.mean = readTriple(r, r.required(node, "mean"), "mean");
    d.stddev = readTriple(r, r.required(node, "std"), "std");
    d.scale = r.number(node, "scale");
    d.rgb = r.boolean(node, "rgb");
    d.width = r.integer(node, "width");
    d.height = r.integer(node, "height");
    d.sizeMultiple = r.integer(node, "size_multiple");
    if (!node["features"].empty())
        d.features = r.asStrings(node["features"], "features");
    d.logits = r.string(node, "logits");
    d.classes = r.asStrings(r.required(node, "classes"), "classes");
    if (!node["colors"].empty())
    {
        const FileNode cn = node["colors"];
        if (!cn.isSeq())
            r.fail("colors", "must be a sequence of [R, G, B] triples");
        for (FileNodeIterator it = cn.begin(); it != cn.end(); ++it)
        {
            const Scalar c = readTriple(r, *it, "colors");
            for (int k = 0; k < 3; k++)
                if (c[k] < 0 || c[k] > 255 || c[k] != (int)c[k])
                    r.fail("colors", "must hold integers in [0, 255]");
            d.colors.push_back(Vec3b((uchar)c[0], (uchar)c[1], (uchar)c[2]));
        }
    }
    if (!node["ignore_label"].empty())
        d.ignoreLabel = r.asInteger(node["ignore_label"], "ignore_label");
    d.validate(at);
    *this = d;
}

BackboneDescription BackboneDescription::read(const String& file, const String& name)
{
    return detail::guardLoad(file, "backbone description", [&] {
        FileStorage fs = detail::openYamlFile(file, "backbone description", detail::kMaxDescriptionBytes);
        return readEntry(fs.root(), file, name);
    });
}

void BackboneDescription::validate(const String& where) const
{
    const String at = where.empty() ? entryWhere(String(), name) : where;
    const detail::YamlReader r("backbone description " + at);
    if (model.empty())
        r.fail("model", "must not be empty");
    for (int k = 0; k < 3; k++)
    {
        if (!std::isfinite(mean[k]))
            r.fail("mean", "must be finite");
        if (!(stddev[k] > 0) || !std::isfinite(stddev[k]))
            r.fail("std", format("must be > 0, got %g for channel %d", stddev[k], k));
    }
    if (!std::isfinite(scale) || scale == 0)
        r.fail("scale", format("must be a finite non-zero number, got %g", scale));
    // Bounds of hand-written values: the size multiple pads every image, the nominal size is an image size.
    const int kMaxSizeMultiple = 256, kMaxNominalSize = 16384;
    if (sizeMultiple < 1 || sizeMultiple > kMaxSizeMultiple)
        r.fail("size_multiple", format("must be in [1, %d], got %d", kMaxSizeMultiple, sizeMultiple));
    if (width <= 0 || width > kMaxNominalSize || width % sizeMultiple != 0)
        r.fail("width", format("must be in [1, %d] and a multiple of size_multiple %d, got %d", kMaxNominalSize,
                               sizeMultiple, width));
    if (height <= 0 || height > kMaxNominalSize || height % sizeMultiple != 0)
        r.fail("height", format("must be in [1, %d] and a multiple of size_multiple %d, got %d", kMaxNominalSize,
                                sizeMultiple, height));
    if (logits.empty())
        r.fail("logits", "must name an output of the net");
    for (const String& f : features)
        if (f.empty())
            r.fail("features", "must not hold empty names");
    if (classes.empty())
        r.fail("classes", "must hold at least one class name");
    if (!colors.empty() && colors.size() != classes.size())
        r.fail("colors", format("must hold one colour per class (%d), got %d", (int)classes.size(), (int)colors.size()));
    if (ignoreLabel >= 0 && ignoreLabel < (int)classes.size())
        r.fail("ignore_label", format("must be -1 or outside the class labels [0, %d), got %d",
                                      (int)classes.size(), ignoreLabel));
}

void BackboneDescription::write(FileStorage& fs) const
{
    if (!fs.isOpened())
        CV_Error(Error::StsBadArg, "BackboneDescription::write: the FileStorage is not open");
    validate();
    if (!name.empty())
        fs << "name" << name;
    fs << "model" << model;
    fs << "mean" << "[:" << mean[0] << mean[1] << mean[2] << "]";
    fs << "std" << "[:" << stddev[0] << stddev[1] << stddev[2] << "]";
    fs << "scale" << scale;
    fs << "rgb" << (int)rgb;
    fs << "width" << width << "height" << height << "size_multiple" << sizeMultiple;
    fs << "features" << "[:";
    for (const String& f : features)
        fs << f;
    fs << "]";
    fs << "logits" << logits;
    fs << "classes" << "[:";
    for (const String& c : classes)
        fs << c;
    fs << "]";
    if (!colors.empty())
    {
        fs << "colors" << "[";
        for (const Vec3b& c : colors)
            fs << "[:" << (int)c[0] << (int)c[1] << (int)c[2] << "]";
        fs << "]";
    }
    fs << "ignore_label" << ignoreLabel;
}

}} // namespace cv::escrf
