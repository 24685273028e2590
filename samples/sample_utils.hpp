// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Small helpers shared by the sample programs.
#ifndef ESCRF_SAMPLE_UTILS_HPP
#define ESCRF_SAMPLE_UTILS_HPP

#include <sstream>
#include <string>
#include <vector>

//! The non-empty items of a comma-separated command-line value ("a,b,,c" -> a, b, c).
inline std::vector<std::string> splitComma(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

#endif
