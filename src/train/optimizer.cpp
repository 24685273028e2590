// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "train/optimizer.hpp"
#include "core/yaml_gate.hpp"

namespace cv {
namespace escrf {
namespace detail {

double learningRateAt(const TrainParams& p, int step, int totalSteps)
{
    if (p.warmupSteps > 0 && step < p.warmupSteps)
        return p.learningRate * (step + 1) / p.warmupSteps;
    const int span = std::max(1, totalSteps - p.warmupSteps);
    const double t = std::min(1.0, (double)(step - p.warmupSteps) / span);
    switch (p.schedule)
    {
    case LR_CONSTANT: return p.learningRate;
    case LR_POLY: return p.learningRate * std::pow(1.0 - t, p.polyPower);
    case LR_COSINE: return p.learningRate * 0.5 * (1.0 + std::cos(CV_PI * t));
    }
    CV_Error_(Error::StsBadArg, ("TrainParams::schedule: expected LR_CONSTANT, LR_POLY or LR_COSINE, got %d", p.schedule));
}

Optimizer::Optimizer(const TrainParams& params, const std::vector<ParameterRole>& roles, const std::vector<Mat>& shapes)
    : p_(params)
{
    if (p_.optimizer != OPTIMIZER_SGD && p_.optimizer != OPTIMIZER_ADAMW)
        CV_Error_(Error::StsBadArg, ("TrainParams::optimizer: expected OPTIMIZER_SGD or OPTIMIZER_ADAMW, got %d", p_.optimizer));
    CV_Assert(roles.size() == shapes.size());
    for (size_t i = 0; i < roles.size(); i++)
    {
        decay_.push_back(roles[i] == PARAM_WEIGHT);
        m_.push_back(Mat::zeros(shapes[i].size(), shapes[i].type()));
        v_.push_back(p_.optimizer == OPTIMIZER_ADAMW ? Mat::zeros(shapes[i].size(), shapes[i].type()) : Mat());
    }
}

void Optimizer::step(std::vector<Mat>& params, const std::vector<Mat>& grads, double lr)
{
    CV_Assert(params.size() == m_.size() && grads.size() == m_.size());
    t_++;
    const double b1 = p_.momentum, b2 = p_.beta2, eps = 1e-8;
    for (size_t i = 0; i < params.size(); i++)
    {
        Mat& w = params[i];
        const double wd = decay_[i] ? p_.weightDecay : 0.0;
        if (p_.optimizer == OPTIMIZER_SGD)
        {
            // PyTorch SGD: g += wd * w; buf = momentum * buf + g; w -= lr * buf.
            Mat g = grads[i] + wd * w;
            m_[i] = b1 * m_[i] + g;
            w -= lr * m_[i];
        }
        else
        {
            // AdamW: w -= lr * wd * w; then the Adam step with bias correction.
            w *= (1.0 - lr * wd);
            m_[i] = b1 * m_[i] + (1.0 - b1) * grads[i];
            v_[i] = b2 * v_[i] + (1.0 - b2) * grads[i].mul(grads[i]);
            const double c1 = 1.0 - std::pow(b1, t_), c2 = 1.0 - std::pow(b2, t_);
            Mat denom;
            sqrt(v_[i] / c2, denom);
            denom += eps;
            Mat update;
            divide(m_[i], denom, update, lr / c1);
            w -= update;
        }
    }
}

void Optimizer::write(FileStorage& fs) const
{
    fs << "optimizer" << "{" << "t" << t_ << "m" << m_;
    if (p_.optimizer == OPTIMIZER_ADAMW)
        fs << "v" << v_;
    fs << "}";
}

void Optimizer::read(const FileNode& node, const String& file)
{
    if (!node.isMap())
        CV_Error_(Error::StsParseError, ("checkpoint '%s': optimizer state is missing", file.c_str()));
    std::vector<Mat> m, v;
    readMatrices(node["m"], m_, m, format("checkpoint '%s': optimizer state m (other settings?)", file.c_str()));
    if (p_.optimizer == OPTIMIZER_ADAMW)
        readMatrices(node["v"], v_, v, format("checkpoint '%s': optimizer state v (other settings?)", file.c_str()));
    const YamlReader r("checkpoint '" + file + "': optimizer state", " (delete it to start over)");
    const int t = r.integer(node, "t");
    if (t < 0)
        r.fail("t", format("= %d, expected the step count >= 0", t));
    m_ = m;
    if (p_.optimizer == OPTIMIZER_ADAMW)
        v_ = v;
    t_ = t;
}

}}} // namespace cv::escrf::detail
