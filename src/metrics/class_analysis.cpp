// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The PFB analysis (the ES-CRF paper's Fig. 1(a)): which classes touch in the ground truth, and
// how alike a classifier's weight vectors of those classes are.

#include "precomp.hpp"
#include "metrics/label_map.hpp"

namespace cv {
namespace escrf {

void accumulateClassAdjacency(InputArray labels, int numClasses, int ignoreLabel, InputOutputArray counts)
{
    const char* fn = "accumulateClassAdjacency";
    if (numClasses <= 0)
        CV_Error_(Error::StsOutOfRange, ("%s: numClasses = %d, expected > 0", fn, numClasses));
    const Mat L = detail::labelMapAs32S(labels, fn, "labels");
    if (!counts.empty() && (counts.rows() != numClasses || counts.cols() != numClasses || counts.type() != CV_64F))
        CV_Error_(Error::StsBadArg, ("%s: counts is %dx%d %s, expected empty or %d x %d CV_64F", fn, counts.rows(),
                                     counts.cols(), typeToString(counts.type()).c_str(), numClasses, numClasses));
    for (int y = 0; y < L.rows; y++)
        for (int x = 0; x < L.cols; x++)
        {
            const int v = L.at<int>(y, x);
            if ((v < 0 || v >= numClasses) && v != ignoreLabel)
                CV_Error_(Error::StsOutOfRange, ("%s: label %d at (%d, %d) is outside [0, %d) and is not the ignore "
                                                 "label %d", fn, v, x, y, numClasses, ignoreLabel));
        }
    if (counts.empty())
    {
        counts.create(numClasses, numClasses, CV_64F);
        counts.setTo(0);
    }
    Mat C = counts.getMat();
    auto add = [&](int a, int b) {
        if (a != b && a != ignoreLabel && b != ignoreLabel)
        {
            C.at<double>(a, b) += 1;
            C.at<double>(b, a) += 1;
        }
    };
    for (int y = 0; y < L.rows; y++)
    {
        const int* row = L.ptr<int>(y);
        const int* below = y + 1 < L.rows ? L.ptr<int>(y + 1) : nullptr;
        for (int x = 0; x < L.cols; x++)
        {
            if (x + 1 < L.cols)
                add(row[x], row[x + 1]);
            if (below)
                add(row[x], below[x]);
        }
    }
}

Mat rowCosineSimilarity(InputArray weights)
{
    const Mat W = weights.getMat();
    if (W.empty() || W.dims != 2 || W.channels() != 1 || (W.depth() != CV_32F && W.depth() != CV_64F))
        CV_Error_(Error::StsBadArg, ("rowCosineSimilarity: weights is %s %dx%d, expected a non-empty K x D CV_32F or "
                                     "CV_64F matrix", typeToString(W.type()).c_str(), W.rows, W.cols));
    Mat Wd, gram;
    W.convertTo(Wd, CV_64F);
    mulTransposed(Wd, gram, false);   // W W^T
    const int K = Wd.rows;
    Mat S(K, K, CV_64F);
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++)
        {
            const double na = std::sqrt(gram.at<double>(a, a)), nb = std::sqrt(gram.at<double>(b, b));
            S.at<double>(a, b) = a == b ? 1.0 : (na > 0 && nb > 0 ? gram.at<double>(a, b) / (na * nb) : 0.0);
        }
    return S;
}

std::vector<AdjacentClassPair> mostAdjacentClassPairs(InputArray adjacency, InputArray similarity)
{
    const char* fn = "mostAdjacentClassPairs";
    const Mat A = adjacency.getMat(), S = similarity.getMat();
    if (A.empty() || A.rows != A.cols || A.type() != CV_64F)
        CV_Error_(Error::StsBadArg, ("%s: adjacency is %s %dx%d, expected a square CV_64F matrix "
                                     "(accumulateClassAdjacency)", fn, typeToString(A.type()).c_str(), A.rows, A.cols));
    if (!S.empty() && (S.size() != A.size() || S.type() != CV_64F))
        CV_Error_(Error::StsBadArg, ("%s: similarity is %s %dx%d, expected empty or %d x %d CV_64F", fn,
                                     typeToString(S.type()).c_str(), S.rows, S.cols, A.rows, A.cols));
    const int K = A.rows;
    std::vector<AdjacentClassPair> pairs;
    for (int a = 0; a < K; a++)
    {
        int best = -1;
        for (int b = 0; b < K; b++)
            if (b != a && A.at<double>(a, b) > 0 && (best < 0 || A.at<double>(a, b) > A.at<double>(a, best)))
                best = b;
        if (best < 0)
            continue;
        AdjacentClassPair p;
        p.classA = std::min(a, best);
        p.classB = std::max(a, best);
        p.adjacency = A.at<double>(a, best);
        p.similarity = S.empty() ? 0.0 : S.at<double>(p.classA, p.classB);
        const bool seen = std::any_of(pairs.begin(), pairs.end(), [&](const AdjacentClassPair& q) {
            return q.classA == p.classA && q.classB == p.classB;
        });
        if (!seen)
            pairs.push_back(p);
    }
    std::sort(pairs.begin(), pairs.end(), [](const AdjacentClassPair& p, const AdjacentClassPair& q) {
        if (p.adjacency != q.adjacency)
            return p.adjacency > q.adjacency;
        return p.classA != q.classA ? p.classA < q.classA : p.classB < q.classB;
    });
    return pairs;
}

}} // namespace cv::escrf
