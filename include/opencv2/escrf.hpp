// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_HPP
#define OPENCV_ESCRF_HPP

/**
@defgroup escrf ES-CRF: Embedded Superpixel CRF segmentation head

ES-CRF @cite escrf2022 refines the features of a pretrained segmentation backbone with
CRF message passing guided by the image (learned appearance and cosine position
embeddings, feature compatibility) and with a superpixel (SLIC @cite achanta2012slic)
average prior, before a 1x1 classifier. This module provides:

- superpixels (the module's SLIC on the CPU and the GPU, or ximgproc's SLIC) and their label
  maps at feature resolution, see @ref escrf_superpixels;
- the ES-CRF block, forward and backward, exactly as the module's specification defines it;
- custom cv::dnn layers so that a backbone and the ES-CRF head run as one cv::dnn::Net;
- a small solver that trains the head on features of a frozen cv::dnn backbone;
- cv::escrf::Segmenter, which segments an image end to end;
- segmentation metrics (mIoU and boundary F-score) and data set readers;
- DenseCRF post-processing (the `vanilla-crf` comparison), see @ref escrf_crf.

The data flow from an image to a label map is described in doc/architecture.md.
*/

#include "opencv2/escrf/superpixels.hpp"
#include "opencv2/escrf/metrics.hpp"
#include "opencv2/escrf/dataset.hpp"
#include "opencv2/escrf/backbone.hpp"
#include "opencv2/escrf/block.hpp"
#include "opencv2/escrf/head.hpp"
#include "opencv2/escrf/segmenter.hpp"
#include "opencv2/escrf/train.hpp"
#include "opencv2/escrf/dnn.hpp"
#include "opencv2/escrf/crf.hpp"

#endif
