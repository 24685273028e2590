#!/usr/bin/env python3
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
'''Segments one image with a trained ES-CRF head and writes the label map (8-bit PNG of class
ids) and, optionally, a colour overlay. The Python twin of samples/escrf_segment.cpp.

Needs an OpenCV build with the escrf module and its Python bindings (cv2.escrf), e.g.
tools/build_in_opencv_tree.sh, then PYTHONPATH=<build>/python_loader.

  python3 samples/escrf_segment.py --head models/escrf_espnet_camvid.yml \
      --backbone ../shared/models/espnet_camvid.yml --input street.png \
      --output labels.png --overlay overlay.png
'''
import argparse
import sys
import time

import cv2 as cv


def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError("--size must be WxH, got '%s'" % text)
    return w, h


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='escrf_segment: segment an image with a backbone and an ES-CRF head')
    parser.add_argument('--head', required=True, help='head file written by escrf_train (Head::save)')
    parser.add_argument('--backbone', default='',
                        help='backbone description (.yml) replacing the one stored in the head')
    parser.add_argument('--input', '-i', required=True, help='input image')
    parser.add_argument('--output', '-o', required=True, help='output label map (8-bit PNG of class ids)')
    parser.add_argument('--overlay', default='', help='optional colour overlay picture')
    parser.add_argument('--size', type=parse_size, default=None,
                        help="process at WxH (e.g. 480x360) instead of the image's own size")
    args = parser.parse_args(argv)

    if not hasattr(cv, 'escrf'):
        print('escrf_segment: this cv2 (%s) has no escrf module; build OpenCV with it and its '
              'Python bindings (tools/build_in_opencv_tree.sh)' % cv.__file__, file=sys.stderr)
        return 1
    try:
        image = cv.imread(args.input, cv.IMREAD_COLOR)
        if image is None:
            raise cv.error("cannot read input image '%s'" % args.input)
        segmenter = cv.escrf.Segmenter.create(args.head, args.backbone)
        if args.size is not None:
            segmenter.setProcessingSize(args.size)
        start = time.perf_counter()
        labels = segmenter.segment(image, ltype=cv.CV_8U)
        elapsed_ms = (time.perf_counter() - start) * 1e3
        if not cv.imwrite(args.output, labels):
            raise cv.error("cannot write '%s'" % args.output)
        if args.overlay:
            picture = cv.escrf.drawSegmentationOverlay(image, labels, segmenter.classColors())
            if not cv.imwrite(args.overlay, picture):
                raise cv.error("cannot write '%s'" % args.overlay)
        variant = cv.escrf.headVariantToString(segmenter.head().config().variant)
        print('segmented %s (%dx%d) with %s head in %.1f ms -> %s'
              % (args.input, image.shape[1], image.shape[0], variant, elapsed_ms, args.output))
    except cv.error as e:
        print('escrf_segment: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
