// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/feature_cache.hpp"
#include "head/head_inputs.hpp"
#include "opencv2/core/utils/filesystem.hpp"
#include "core/atomic_file.hpp"
#include "core/checksum.hpp"

#include <cstring>
#include <fstream>

namespace cv {
namespace escrf {
namespace detail {

namespace {

const char kMagic[8] = { 'E', 'S', 'C', 'R', 'F', 'F', 'C', '1' };

// A stable file name for a cache key.
String hashKey(const String& key)
{
    return format("%016llx", (unsigned long long)fnv1a64(key.data(), key.size()));
}

// The file layout: magic, blob count, then per blob type, dims, sizes and the raw data.
void writeBlobs(const String& file, const std::vector<Mat>& blobs)
{
    std::string bytes(kMagic, sizeof(kMagic));
    auto put = [&](const void* p, size_t n) { bytes.append((const char*)p, n); };
    const int count = (int)blobs.size();
    put(&count, sizeof(count));
    for (const Mat& b : blobs)
    {
        CV_Assert(b.isContinuous());
        const int header[2] = { b.type(), b.dims };
        put(header, sizeof(header));
        put(b.size.p, sizeof(int) * b.dims);
        put(b.data, b.total() * b.elemSize());
    }
    writeFileAtomically(file, bytes, "feature cache");
}

// The types writeBlobs is given (features, superpixel maps, counts); anything else is corruption.
bool storableType(int type)
{
    return type == CV_16F || type == CV_8U || type == CV_16U || type == CV_32S || type == CV_32F;
}

// No cache file comes near this; a larger stored size means a corrupt file.
const uint64 kMaxFileBytes = (uint64)1 << 30;

bool readBlobs(const String& file, std::vector<Mat>& blobs)
{
    std::ifstream in(file.c_str(), std::ios::binary);
    if (!in)
        return false;
    char magic[8];
    int count = 0;
    in.read(magic, sizeof(magic));
    in.read((char*)&count, sizeof(count));
    if (!in || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0 || count < 0 || count > 64)
        return false;
    blobs.assign(count, Mat());
    uint64 fileBytes = 0;
    for (int i = 0; i < count; i++)
    {
        int header[2] = { 0, 0 };
        in.read((char*)header, sizeof(header));
        if (!in || !storableType(header[0]) || header[1] < 1 || header[1] > 8)
            return false;
        std::vector<int> sz(header[1]);
        in.read((char*)sz.data(), sizeof(int) * header[1]);
        if (!in)
            return false;
        // Checked before allocating: a corrupt size must not become a huge allocation.
        uint64 bytes = CV_ELEM_SIZE(header[0]);
        for (int s : sz)
        {
            if (s <= 0 || s > (1 << 24))
                return false;
            bytes *= (uint64)s;
            if (bytes >= kMaxFileBytes)
                return false;
        }
        fileBytes += bytes;
        if (fileBytes >= kMaxFileBytes)
            return false;
        blobs[i].create(header[1], sz.data(), header[0]);
        in.read((char*)blobs[i].data, (std::streamsize)(blobs[i].total() * blobs[i].elemSize()));
        if (!in)
            return false;
    }
    return true;
}

size_t blobBytes(const std::vector<Mat>& blobs)
{
    size_t n = 0;
    for (const Mat& b : blobs)
        n += b.total() * b.elemSize();
    return n;
}

} // namespace

FeatureCache::FeatureCache(const Ptr<Backbone>& backbone, const std::vector<String>& outputs,
                           const SuperpixelParams* superpixels, double budgetMB, const String& folder)
    : backbone_(backbone), outputs_(outputs), superpixels_(superpixels != nullptr),
      budget_((size_t)(std::max(0.0, budgetMB) * 1024 * 1024)), folder_(folder)
{
    if (superpixels)
        spParams_ = *superpixels;
    if (!folder_.empty() && !utils::fs::isDirectory(folder_) && !utils::fs::createDirectories(folder_))
        CV_Error_(Error::StsError, ("feature cache: cannot create folder '%s'", folder_.c_str()));
}

void FeatureCache::add(const Mat& image, const Mat& labels, bool flip, const String& what)
{
    Entry e;
    if (flip)
    {
        cv::flip(image, e.image, 1);
        cv::flip(labels, e.labels, 1);
    }
    else
    {
        e.image = image;
        e.labels = labels;
    }
    // SLIC can cost as much as the backbone (ximgproc's): it is cached in the folder too, and when
    // it has to be computed it runs on its own thread while the backbone runs, which shortens a
    // cold cache build.
    String spFile;
    SuperpixelTask slic;
    if (superpixels_)
        startSuperpixels(e, flip, what, spFile, slic);
    keepFeatures(e, computeFeatures(e, flip, what), what);
    if (slic.running())
    {
        Mat sp;
        const int M = slic.get(sp);   // rethrows what computeSuperpixels threw
        finishSuperpixels(e, sp, M, spFile);
    }
    double maxLabel = 0;
    minMaxLoc(e.labels, nullptr, &maxLabel);
    if (maxLabel <= 255)
        e.labels.convertTo(e.labels, CV_8U); // a quarter of the memory for the usual class counts
    entries_.push_back(e);
}

void FeatureCache::startSuperpixels(Entry& e, bool flip, const String& what, String& spFile, SuperpixelTask& task) const
{
    if (!folder_.empty())
    {
        const SuperpixelParams& q = spParams_;
        // ximgproc's superpixels keep the key they had before the module had its own SLIC.
        const String impl = q.implementation == SUPERPIXEL_IMPL_XIMGPROC ? String() : format("impl %d|", q.implementation);
        const String key = format("superpixels|%d|%d|%g|%d|%d|%d|%d|", q.algorithm, q.numSuperpixels, q.ruler,
                                  q.iterations, (int)q.enforceConnectivity, q.minElementSize, q.blurKernel) +
                           impl + what + (flip ? "|flip" : "|");
        spFile = utils::fs::join(folder_, hashKey(key) + ".sp");
    }
    std::vector<Mat> stored;
    if (!spFile.empty() && readBlobs(spFile, stored) && stored.size() == 2 && stored[1].total() == 1 &&
        stored[0].size() == e.image.size())
    {
        e.superpixels = stored[0];
        e.numSuperpixels = stored[1].at<int>(0);
        return;
    }
    task.start(e.image, spParams_);
}

void FeatureCache::finishSuperpixels(Entry& e, const Mat& sp, int M, const String& spFile) const
{
    e.numSuperpixels = M;
    // 16 bits are enough for the superpixel counts in use and halve the cache.
    if (e.numSuperpixels <= 65535)
        sp.convertTo(e.superpixels, CV_16U);
    else
        e.superpixels = sp;
    if (!spFile.empty())
        writeBlobs(spFile, { e.superpixels, Mat(1, 1, CV_32S, Scalar(e.numSuperpixels)) });
}

// The float16 outputs of the image: read from the folder, else from the backbone (and stored).
// One file per output, so that heads reading other combinations of outputs reuse them.
std::vector<Mat> FeatureCache::computeFeatures(Entry& e, bool flip, const String& what) const
{
    std::vector<Mat> half(outputs_.size());
    // The model and its preprocessing: changing either must not reuse stale features.
    const BackboneDescription& d = backbone_->description();
    const String modelKey = d.model + format("|mean %.17g %.17g %.17g %.17g|std %.17g %.17g %.17g %.17g|scale %.17g|rgb %d",
                                             d.mean[0], d.mean[1], d.mean[2], d.mean[3], d.stddev[0], d.stddev[1],
                                             d.stddev[2], d.stddev[3], d.scale, (int)d.rgb);
    if (!folder_.empty())
        for (size_t k = 0; k < outputs_.size(); k++)
        {
            const String key = modelKey + "|" + what + (flip ? "|flip|" : "||") + outputs_[k];
            e.files.push_back(utils::fs::join(folder_, hashKey(key) + ".feat"));
            std::vector<Mat> stored;
            if (readBlobs(e.files[k], stored) && stored.size() == 1)
                half[k] = stored[0];
        }
    std::vector<String> missing;
    for (size_t k = 0; k < outputs_.size(); k++)
        if (half[k].empty())
            missing.push_back(outputs_[k]);
    if (missing.empty())
        return half;
    std::vector<Mat> blobs;
    computeHeadInputs(*backbone_, e.image, missing, blobs);
    for (size_t k = 0, m = 0; k < outputs_.size(); k++)
    {
        if (!half[k].empty())
            continue;
        const Mat& b = blobs[m++];
        if (!checkRange(b))
            CV_Error_(Error::StsError, ("feature cache: backbone output '%s' of %s holds NaN or infinite values",
                                        outputs_[k].c_str(), what.c_str()));
        b.convertTo(half[k], CV_16F);
        if (!e.files.empty())
            writeBlobs(e.files[k], { half[k] });
    }
    return half;
}

// Features within the memory budget stay in memory; beyond it they are read back from the folder.
void FeatureCache::keepFeatures(Entry& e, const std::vector<Mat>& half, const String& what)
{
    const size_t n = blobBytes(half);
    if (bytes_ + n <= budget_)
    {
        e.features = half;
        bytes_ += n;
    }
    else if (e.files.empty())
        CV_Error_(Error::StsNoMem, ("feature cache: the features exceed the memory budget of %.0f MB at %s; "
                                    "raise TrainParams::cacheBudgetMB or set TrainParams::cacheDir",
                                    budget_ / 1048576.0, what.c_str()));
}

void FeatureCache::get(int i, CachedSample& s) const
{
    CV_Assert(i >= 0 && i < size());
    const Entry& e = entries_[i];
    std::vector<Mat> half = e.features;
    if (half.empty())
        for (const String& file : e.files)
        {
            std::vector<Mat> stored;
            if (!readBlobs(file, stored) || stored.size() != 1)
                CV_Error_(Error::StsError, ("feature cache: '%s' is missing or corrupt", file.c_str()));
            half.push_back(stored[0]);
        }
    s.features.resize(half.size());
    for (size_t k = 0; k < half.size(); k++)
        half[k].convertTo(s.features[k], CV_32F);
    s.image = e.image;
    e.labels.convertTo(s.labels, CV_32S);
    if (!e.superpixels.empty())
        e.superpixels.convertTo(s.superpixels, CV_32S);
    else
        s.superpixels.release();
    s.numSuperpixels = e.numSuperpixels;
}

}}} // namespace cv::escrf::detail
