#!/usr/bin/env python3
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
"""Writes the small ONNX models of the cv::dnn integration tests (test/test_dnn_layers.cpp).

  test/data/escrf_block.onnx          one ESCRF node (domain "escrf") with fixed-seed weights:
                                      inputs F (1x6x5x7), I (1x3x11x15), S (1x1x11x15), output Fstar
  test/data/escrf_tiny_backbone.onnx  a tiny "backbone": input image (1x3x16x20) -> outputs
                                      feat_a (1x4x16x20, 1x1 conv) and feat_b (1x5x8x10,
                                      2x2 average pooling then 1x1 conv and ReLU)

The ESCRF node's contract is documented in include/opencv2/escrf/dnn.hpp. The tests read the
weights back from the loaded net, so they do not depend on this script's random numbers.

Usage: /usr/bin/python3 tools/make_escrf_onnx.py [output folder, default test/data]
Needs numpy and onnx (Debian: apt-get install -y python3-onnx).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240611
DOMAIN = "escrf"


def initializer(name, array):
    return numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def make_block(path, rng):
    C, h, w = 6, 5, 7
    H, W = 11, 15
    E, P = 4, 4  # embedding channels, position channels per axis
    inputs = [
        helper.make_tensor_value_info("F", TensorProto.FLOAT, [1, C, h, w]),
        helper.make_tensor_value_info("I", TensorProto.FLOAT, [1, 3, H, W]),
        helper.make_tensor_value_info("S", TensorProto.FLOAT, [1, 1, H, W]),
    ]
    output = helper.make_tensor_value_info("Fstar", TensorProto.FLOAT, [1, C, h, w])
    inits = [
        initializer("W_img", rng.uniform(-0.5, 0.5, (E, 3))),
        initializer("W_pos", rng.uniform(-0.3, 0.3, (E, 2 * P))),
        initializer("w_comp", rng.uniform(-0.4, 0.4, (C,))),
    ]
    # Non-default attribute values, so that the test sees them parsed.
    node = helper.make_node("ESCRF", ["F", "I", "S", "W_img", "W_pos", "w_comp"], ["Fstar"],
                            name="escrf_block", domain=DOMAIN,
                            k=5, dilation=1, alpha_s=0.3, alpha_p=0.15, normalize=1)
    graph = helper.make_graph([node], "escrf_block", inputs, [output], initializer=inits)
    model = helper.make_model(graph, producer_name="escrf make_escrf_onnx.py",
                              opset_imports=[helper.make_opsetid("", 11), helper.make_opsetid(DOMAIN, 1)])
    # The checker does not know the custom domain; it validates the standard part of the model.
    save(model, path)


def make_backbone(path, rng):
    H, W = 16, 20
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, H, W])
    outputs = [
        helper.make_tensor_value_info("feat_a", TensorProto.FLOAT, [1, 4, H, W]),
        helper.make_tensor_value_info("feat_b", TensorProto.FLOAT, [1, 5, H // 2, W // 2]),
    ]
    inits = [
        initializer("wa", rng.uniform(-1, 1, (4, 3, 1, 1))),
        initializer("ba", rng.uniform(-0.2, 0.2, (4,))),
        initializer("wb", rng.uniform(-1, 1, (5, 3, 1, 1))),
        initializer("bb", rng.uniform(-0.2, 0.2, (5,))),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "wa", "ba"], ["feat_a"], name="conv_a", kernel_shape=[1, 1]),
        helper.make_node("AveragePool", ["image"], ["pooled"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pooled", "wb", "bb"], ["conv_b"], name="conv_b", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["conv_b"], ["feat_b"], name="relu_b"),
    ]
    graph = helper.make_graph(nodes, "escrf_tiny_backbone", [image], outputs, initializer=inits)
    model = helper.make_model(graph, producer_name="escrf make_escrf_onnx.py",
                              opset_imports=[helper.make_opsetid("", 11)])
    save(model, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(here, "..", "test", "data"))
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(SEED)
    make_block(os.path.join(out, "escrf_block.onnx"), rng)
    make_backbone(os.path.join(out, "escrf_tiny_backbone.onnx"), rng)


if __name__ == "__main__":
    main()
