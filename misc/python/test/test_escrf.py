#!/usr/bin/env python
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
'''Tests of the cv2.escrf Python bindings.

Run by OpenCV's Python test runner (modules/python/test/test.py), which discovers the
misc/python/test folder of every wrapped module through opencv_python_tests.cfg:

    cd <build> && PYTHONPATH=<build>/python_loader python3 <opencv>/modules/python/test/test.py \
        --repo <opencv> -v

The toy tests use the module's own test data (test/data/*.onnx) and generated scenes; the CamVid
test needs the shared data folder ($ESCRF_SHARED_DIR, default ../shared next to the module) and
is skipped without it.
'''
from __future__ import print_function

import math
import os
import shutil
import tempfile
import unittest

import numpy as np
import cv2 as cv

from tests_common import NewOpenCVTests

MODULE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
TEST_DATA_DIR = os.path.join(MODULE_DIR, 'test', 'data')
TOY_CLASSES = ['background', 'box', 'disc']
TOY_IGNORE = 255


def test_data(name):
    return os.path.join(TEST_DATA_DIR, name)


def shared_dir():
    '''$ESCRF_SHARED_DIR, else ../shared next to the real module folder (as the C++ tests do).'''
    d = os.environ.get('ESCRF_SHARED_DIR') or os.path.join(os.path.dirname(os.path.realpath(MODULE_DIR)), 'shared')
    return d if os.path.isdir(d) else None


def write_toy_backbone(folder):
    '''The description of test/data/escrf_tiny_backbone.onnx, as test/test_main.cpp writes it.'''
    path = os.path.join(folder, 'tiny_backbone.yml')
    with open(path, 'w') as f:
        f.write('%YAML:1.0\n---\n'
                'tiny:\n'
                '  model: "{}"\n'
                '  mean: [ 0, 0, 0 ]\n'
                '  std: [ 1, 1, 1 ]\n'
                '  scale: 0.00392156862745098\n'
                '  rgb: 0\n'
                '  width: 32\n'
                '  height: 24\n'
                '  size_multiple: 2\n'
                '  features: [ "feat_a", "feat_b" ]\n'
                '  logits: "feat_a"\n'
                '  classes: [ "background", "box", "disc" ]\n'
                '  colors: [ [ 90, 90, 90 ], [ 220, 40, 40 ], [ 40, 200, 60 ] ]\n'
                '  ignore_label: 255\n'.format(test_data('escrf_tiny_backbone.onnx')))
    return path


def toy_config():
    '''HeadConfig of the C++ trainer tests (toyConfig in test/test_train.cpp).

    Nested structs are returned by value: change a copy and assign it back.'''
    cfg = cv.escrf.HeadConfig()
    cfg.variant = cv.escrf.HEAD_ESCRF
    cfg.inputs = ['feat_a', 'feat_b']
    cfg.projection = 8
    sp = cfg.superpixels
    sp.numSuperpixels = 20
    cfg.superpixels = sp
    block = cfg.block
    block.embedDim = 4
    block.posDim = 4
    block.learnableFusion = True
    cfg.block = block
    return cfg


def toy_params(epochs=8):
    p = cv.escrf.TrainParams()
    p.epochs = epochs
    p.batchSize = 2
    p.learningRate = 0.05
    p.warmupSteps = 2
    p.checkpointEvery = 2
    p.verbose = 0
    p.seed = 1
    return p


def rel_diff(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def block_reference(F, I, S, W_img, W_pos, w_comp, k, dilation, alpha_s, alpha_p, normalize):
    '''The ES-CRF block of the specification (reference semantics, optional normalize), in numpy,
    for one image: F C x h x w, I 3 x H x W RGB in [0,1], S H x W integer superpixel labels.'''
    C, h, w = F.shape
    E, P = W_img.shape[0], W_pos.shape[1] // 2
    N = h * w
    F64 = F.astype(np.float64).reshape(C, N)
    # 1. guide at feature resolution (bilinear, half-pixel centres = cv.resize INTER_LINEAR)
    Ig = cv.resize(np.ascontiguousarray(I.transpose(1, 2, 0)), (w, h), interpolation=cv.INTER_LINEAR)
    Ig = Ig.transpose(2, 0, 1).reshape(3, N).astype(np.float64)
    # 2. cosine position encoding: per axis sin at 2k, cos at 2k+1, x channels then y channels
    f = np.exp(-2.0 * np.arange(P // 2) * math.log(10000.0) / P)

    def axis(n):
        ang = np.arange(n)[:, None] * f[None, :]
        return np.stack([np.sin(ang), np.cos(ang)], axis=2).reshape(n, P).T  # P x n

    pe_x, pe_y = axis(w), axis(h)
    PE = np.concatenate([np.broadcast_to(pe_x[:, None, :], (P, h, w)),
                         np.broadcast_to(pe_y[:, :, None], (P, h, w))]).reshape(2 * P, N)
    # 3. embedding, 6. compatibility of each neighbour
    e = np.concatenate([W_img.astype(np.float64) @ Ig, W_pos.astype(np.float64) @ PE])  # 2E x N
    mu = 1.0 / (1.0 + np.exp(-(w_comp.astype(np.float64).ravel() @ F64)))              # N
    # 4.-7. pairwise message over the dilated k x k window (in-map neighbours only)
    Fp = np.zeros((C, N))
    r = k // 2
    for y in range(h):
        for x in range(w):
            i = y * w + x
            js = [(y + dy * dilation) * w + (x + dx * dilation)
                  for dy in range(-r, r + 1) for dx in range(-r, r + 1)
                  if 0 <= y + dy * dilation < h and 0 <= x + dx * dilation < w]
            score = e[:, js].T @ e[:, i]
            if normalize:
                z = score / math.sqrt(2 * E)
                score = np.exp(z - z.max())
                score /= score.sum()
            Fp[:, i] = F64[:, js] @ (mu[js] * score)
    # 8. superpixel average prior on the nearest-resized labels
    Sf = cv.resize(S.astype(np.float32), (w, h), interpolation=cv.INTER_NEAREST).astype(np.int64).ravel()
    Fs = np.zeros((C, N))
    for s in np.unique(Sf):
        cells = Sf == s
        Fs[:, cells] = F64[:, cells].mean(axis=1, keepdims=True)
    return (F64 + alpha_s * Fs + alpha_p * Fp).reshape(C, h, w)


def two_region_scene(w=40, h=30):
    '''A dark left half and a bright right half with noise: image, labels (0 left, 1 right).'''
    rng = np.random.RandomState(5)
    labels = np.zeros((h, w), np.uint8)
    labels[:, w // 2:] = 1
    image = np.where(labels[..., None] == 1, 200, 50).astype(np.float64)
    image = np.clip(image + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)
    return image, labels


@unittest.skipUnless(hasattr(cv, 'escrf'), 'cv2 built without the escrf module')
class escrf_test(NewOpenCVTests):

    def setUp(self):
        super(escrf_test, self).setUp()
        self.tmp = tempfile.mkdtemp(prefix='escrf_py_')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        super(escrf_test, self).tearDown()

    def assertConstructorRaises(self, pattern, cls, *args):
        '''A C++ exception in a wrapped constructor. OpenCV 4.6's generated __init__ returns success
        after setting the cv2.error, so Python raises SystemError with the cv2.error as its cause.'''
        with self.assertRaises((cv.error, SystemError)) as ctx:
            cls(*args)
        error = ctx.exception
        if isinstance(error, SystemError):
            error = error.__cause__
        self.assertIsInstance(error, cv.error)
        self.assertRegex(str(error), pattern)

    def require_test_data(self, name):
        path = test_data(name)
        if not os.path.isfile(path):
            raise unittest.SkipTest('escrf test data missing: ' + path)
        return path

    # ------------------------------------------------------------------ parameters and API

    def test_parameter_structs_have_their_cpp_defaults(self):
        crf = cv.escrf.DenseCrfParams()
        self.assertEqual(crf.iterations, 5)
        self.assertAlmostEqual(crf.bilateralSxy, 50.0)
        self.assertAlmostEqual(crf.bilateralSrgb, 3.0)
        self.assertAlmostEqual(crf.bilateralWeight, 5.0)
        self.assertAlmostEqual(crf.gaussianSxy, 3.0)
        self.assertAlmostEqual(crf.gaussianWeight, 3.0)
        self.assertAlmostEqual(crf.probabilityFloor, 1e-5)

        sp = cv.escrf.SuperpixelParams()
        self.assertEqual(sp.algorithm, cv.escrf.SUPERPIXEL_SLICO)
        self.assertEqual(sp.numSuperpixels, 600)
        self.assertEqual(sp.device, cv.escrf.SUPERPIXEL_DEVICE_CPU)

        cfg = cv.escrf.HeadConfig()
        self.assertEqual(cfg.variant, cv.escrf.HEAD_ESCRF)
        self.assertEqual(cfg.stride, 1)
        self.assertEqual(cfg.projection, 16)
        self.assertEqual(cfg.block.window, 3)
        self.assertEqual(cfg.block.dilation, 2)
        self.assertEqual(cfg.superpixels.numSuperpixels, 600)

        tp = cv.escrf.TrainParams()
        self.assertGreater(tp.epochs, 0)
        self.assertIn(tp.optimizer, (cv.escrf.OPTIMIZER_SGD, cv.escrf.OPTIMIZER_ADAMW))

        stats = cv.escrf.TrainEpochStats()
        self.assertEqual(stats.valMeanIoU, -1)

        d = cv.escrf.BackboneDescription()
        self.assertEqual(d.scale, 1.0)
        self.assertEqual(d.sizeMultiple, 1)
        self.assertEqual(d.ignoreLabel, -1)
        self.assertFalse(d.rgb)
        self.assertEqual(d.numClasses(), 0)

        self.assertEqual(cv.escrf.DatasetSample().line, 0)

    def test_nested_structs_are_values(self):
        cfg = cv.escrf.HeadConfig()
        cfg.block.embedDim = 7          # changes a temporary copy only
        self.assertEqual(cfg.block.embedDim, 32)
        block = cfg.block
        block.embedDim = 7
        cfg.block = block
        self.assertEqual(cfg.block.embedDim, 7)

    def test_head_variant_names(self):
        for name, value in (('baseline', cv.escrf.HEAD_BASELINE), ('pairwise', cv.escrf.HEAD_PAIRWISE),
                            ('superpixel', cv.escrf.HEAD_SUPERPIXEL), ('escrf', cv.escrf.HEAD_ESCRF)):
            self.assertEqual(cv.escrf.headVariantFromString(name), value)
            self.assertEqual(cv.escrf.headVariantToString(value), name)
        with self.assertRaisesRegex(cv.error, 'no_such_variant'):
            cv.escrf.headVariantFromString('no_such_variant')

    def test_backbone_description_from_python_equals_the_file(self):
        self.require_test_data('escrf_tiny_backbone.onnx')
        path = write_toy_backbone(self.tmp)
        read = cv.escrf.BackboneDescription.read(path)
        self.assertEqual(read.name, 'tiny')
        self.assertEqual(read.numClasses(), 3)
        self.assertEqual(list(read.classes), TOY_CLASSES)
        self.assertEqual(list(read.features), ['feat_a', 'feat_b'])
        self.assertEqual(read.ignoreLabel, TOY_IGNORE)
        self.assertEqual(np.asarray(read.colors).reshape(-1, 3).tolist(), [[90, 90, 90], [220, 40, 40], [40, 200, 60]])

        made = cv.escrf.BackboneDescription()
        made.name = 'tiny'
        made.model = test_data('escrf_tiny_backbone.onnx')
        made.mean = (0, 0, 0, 0)
        made.stddev = (1, 1, 1, 0)
        made.scale = 1.0 / 255
        made.width, made.height, made.sizeMultiple = 32, 24, 2
        made.features = ['feat_a', 'feat_b']
        made.logits = 'feat_a'
        made.classes = TOY_CLASSES
        made.colors = np.array([[90, 90, 90], [220, 40, 40], [40, 200, 60]], np.uint8)
        made.ignoreLabel = TOY_IGNORE
        made.validate('python')
        for key in ('name', 'scale', 'rgb', 'width', 'height', 'sizeMultiple', 'logits', 'ignoreLabel'):
            self.assertEqual(getattr(made, key), getattr(read, key), key)
        self.assertEqual(os.path.realpath(made.model), os.path.realpath(read.model))
        self.assertEqual(tuple(made.stddev)[:3], tuple(read.stddev)[:3])

        backbone = cv.escrf.Backbone.create(made)
        image = np.full((24, 32, 3), 128, np.uint8)
        outputs = backbone.forward(image, ['feat_a', 'feat_b'])
        self.assertEqual([o.shape for o in outputs], [(1, 4, 24, 32), (1, 5, 12, 16)])
        self.assertEqual(backbone.predict(image).shape, (24, 32))

    # ------------------------------------------------------------------ superpixels, CRF, metrics

    def test_superpixels_are_contiguous_labels(self):
        rng = np.random.RandomState(0)
        image = cv.GaussianBlur(rng.randint(0, 256, (60, 80, 3)).astype(np.uint8), (7, 7), 0)
        params = cv.escrf.SuperpixelParams()
        params.numSuperpixels = 48
        M, labels = cv.escrf.computeSuperpixels(image, params=params)
        self.assertEqual(labels.shape, (60, 80))
        self.assertEqual(labels.dtype, np.int32)
        self.assertEqual(labels.min(), 0)
        self.assertEqual(labels.max(), M - 1)
        self.assertEqual(len(np.unique(labels)), M)
        self.assertTrue(20 <= M <= 96, M)
        # labels are numbered in raster order of their first pixel, so deterministic
        M2, labels2 = cv.escrf.computeSuperpixels(image, params=params)
        self.assertEqual(M, M2)
        self.assertTrue(np.array_equal(labels, labels2))
        cells = cv.escrf.downsampleLabelsNearest(labels, (20, 15))
        self.assertTrue(np.array_equal(cells, cv.resize(labels, (20, 15), interpolation=cv.INTER_NEAREST)))

    def test_dense_crf_cleans_noisy_probabilities(self):
        image, truth = two_region_scene()
        h, w = truth.shape
        rng = np.random.RandomState(1)
        # correct class with probability 0.6 on average, the wrong one at a quarter of the pixels
        p1 = np.where(truth == 1, 0.6, 0.4) + rng.uniform(-0.35, 0.35, (h, w))
        p1 = np.clip(p1, 0.01, 0.99)
        probs = np.stack([1 - p1, p1]).astype(np.float32)  # K x H x W
        noisy_acc = np.mean(probs.argmax(0) == truth)
        # a 3-D numpy array reaches C++ as H rows of W channels unless wrapped: cv.Mat keeps K x H x W
        refined = cv.escrf.denseCrf(image, cv.Mat(probs))
        self.assertEqual(refined.shape, probs.shape)
        self.assertTrue(np.allclose(refined.sum(0), 1, atol=1e-4))
        refined_acc = np.mean(refined.argmax(0) == truth)
        self.assertGreater(refined_acc, noisy_acc + 0.1)
        # the 1 x K x H x W blob form gives the same result
        blob = cv.escrf.denseCrf(image, probs[np.newaxis])
        self.assertEqual(blob.shape, (1, 2, h, w))
        self.assertTrue(np.allclose(blob[0], refined, atol=1e-6))
        # parameters pass through: 0 iterations returns the normalised input
        params = cv.escrf.DenseCrfParams()
        params.iterations = 0
        same = cv.escrf.denseCrf(image, cv.Mat(probs), params=params)
        self.assertTrue(np.allclose(same, probs / probs.sum(0), atol=1e-5))

    def test_metrics_count_as_specified(self):
        gt = np.array([[0, 0, 1, 1],
                       [0, 0, 1, 1],
                       [2, 2, 255, 255]], np.uint8)
        pred = np.array([[0, 1, 1, 1],
                         [0, 0, 1, 1],
                         [2, 1, 0, 2]], np.uint8)
        m = cv.escrf.SegmentationMetrics(3, 255)
        m.add(pred, gt)
        self.assertEqual(m.numImages(), 1)
        expected = np.array([[3, 1, 0], [0, 4, 0], [0, 1, 1]], np.float64)
        self.assertTrue(np.array_equal(m.confusionMatrix(), expected))
        iou = np.asarray(m.classIoU()).ravel()
        self.assertTrue(np.allclose(iou, [3 / 4., 4 / 6., 1 / 2.]))
        self.assertAlmostEqual(m.meanIoU(), np.mean([3 / 4., 4 / 6., 1 / 2.]))
        self.assertAlmostEqual(m.pixelAccuracy(), 8 / 10.)
        self.assertEqual(m.boundaryCounts().shape, (4, 3))
        report = m.report(['road', 'car', 'sky'])
        self.assertIn('road', report)
        # merge adds the counts of another accumulator
        other = cv.escrf.SegmentationMetrics(3, 255)
        other.add(np.where(gt == 255, 0, gt).astype(np.uint8), gt)  # perfect, ignore pixels aside
        m.merge(other)
        self.assertEqual(m.numImages(), 2)
        self.assertTrue(np.array_equal(m.confusionMatrix(), expected + np.diag([4, 4, 2])))
        m.reset()
        self.assertEqual(m.numImages(), 0)
        self.assertTrue(math.isnan(m.meanIoU()))

    # ------------------------------------------------------------------ dnn: the ESCRF ONNX node

    def test_onnx_escrf_node_matches_the_numpy_block(self):
        path = self.require_test_data('escrf_block.onnx')
        cv.escrf.registerLayers()
        self.assertEqual(list(cv.escrf.readOnnxInputNames(path)), ['F', 'I', 'S'])
        net = cv.dnn.readNetFromONNX(path)
        net.setPreferableBackend(cv.dnn.DNN_BACKEND_OPENCV)
        ids = [net.getLayerId(name) for name in net.getLayerNames()]
        block = [i for i in ids if net.getLayer(i).type == 'escrf.ESCRF']
        self.assertEqual(len(block), 1, 'the node of domain "escrf" is named escrf.ESCRF in OpenCV 4.6')
        # weights as the importer passed them (initializers in node-input order)
        W_img, W_pos, w_comp = (net.getParam(block[0], i) for i in range(3))
        self.assertEqual(W_img.shape, (4, 3))
        self.assertEqual(W_pos.shape, (4, 8))
        self.assertEqual(w_comp.size, 6)

        rng = np.random.RandomState(11)
        F = rng.uniform(-1, 1, (1, 6, 5, 7)).astype(np.float32)
        I = rng.uniform(0, 1, (1, 3, 11, 15)).astype(np.float32)
        yy, xx = np.mgrid[0:11, 0:15]
        S = ((yy // 4) * 4 + xx // 4).astype(np.float32)[np.newaxis, np.newaxis]  # 3 x 4 blocks of 4x4
        net.setInput(F, 'F')
        net.setInput(I, 'I')
        net.setInput(S, 'S')
        out = net.forward()
        self.assertEqual(out.shape, F.shape)
        # the attributes tools/make_escrf_onnx.py writes: k=5, dilation=1, alpha_s=0.3, alpha_p=0.15, normalize=1
        expected = block_reference(F[0], I[0], S[0, 0], W_img, W_pos, w_comp, 5, 1, 0.3, 0.15, True)
        self.assertLess(rel_diff(out[0].astype(np.float64), expected), 1e-5)
        self.assertGreater(rel_diff(F[0].astype(np.float64), expected), 1e-3)  # the block changes F

    # ------------------------------------------------------------------ training and segmenting

    def test_train_tiny_head_then_segment_with_it(self):
        self.require_test_data('escrf_tiny_backbone.onnx')
        train = cv.escrf.writeSyntheticDataset(os.path.join(self.tmp, 'train'), 6, (32, 24), 1)
        val = cv.escrf.writeSyntheticDataset(os.path.join(self.tmp, 'val'), 3, (32, 24), 2)
        desc = cv.escrf.BackboneDescription.read(write_toy_backbone(self.tmp))
        out = os.path.join(self.tmp, 'head.yml')

        trainer = cv.escrf.HeadTrainer.create(desc, toy_config(), toy_params())
        head = trainer.train(train, val, out)
        history = trainer.history()
        self.assertEqual(len(history), 8)
        self.assertEqual([s.epoch for s in history], list(range(1, 9)))
        self.assertLess(history[-1].loss, history[0].loss)
        self.assertGreater(history[-1].valMeanIoU, 40.0)  # percent; three easy colour classes
        for suffix in ('', '.csv', '.png'):
            self.assertTrue(os.path.isfile(out + suffix), out + suffix)
        self.assertFalse(os.path.exists(out + '.ckpt'))

        # the returned head, the saved one and its reload agree
        self.assertEqual(head.config().numClasses, 3)
        self.assertEqual(list(head.config().inputs), ['feat_a', 'feat_b'])
        self.assertEqual(list(head.inputChannels()), [4, 5])
        self.assertEqual(head.featureChannels(), 8)
        self.assertTrue(head.needsGuide())
        self.assertEqual(head.backbone().name, 'tiny')
        loaded = cv.escrf.Head.load(out)
        self.assertEqual(loaded.classifierWeights.shape, (3, 8))
        self.assertTrue(np.array_equal(loaded.classifierWeights, head.classifierWeights))
        self.assertTrue(all(np.array_equal(a, b) for a, b in zip(loaded.projectionWeights, head.projectionWeights)))
        copy = os.path.join(self.tmp, 'copy.yml')
        loaded.save(copy)
        self.assertTrue(np.array_equal(cv.escrf.Head.load(copy).classifierBias, head.classifierBias))

        # segmenting the validation list from Python reproduces the trainer's best validation mIoU
        seg = cv.escrf.Segmenter.create(out)
        self.assertEqual(list(seg.classNames()), TOY_CLASSES)
        data = cv.escrf.Dataset(val)
        metrics = cv.escrf.SegmentationMetrics(3, TOY_IGNORE)
        for i in range(data.size()):
            image, gt = data.load(i)
            labels = seg.segment(image)
            self.assertEqual(labels.shape, image.shape[:2])
            self.assertEqual(labels.dtype, np.uint8)
            metrics.add(labels, gt)
        best = max(s.valMeanIoU for s in history)
        self.assertAlmostEqual(100 * metrics.meanIoU(), best, delta=1e-6)

        # the in-memory overload, probabilities, CRF and processing size options
        image, gt = data.load(0)
        seg2 = cv.escrf.Segmenter.create(head, desc)
        self.assertTrue(np.array_equal(seg2.segment(image), seg.segment(image)))
        probs = seg.predict(image)
        self.assertEqual(probs.shape, (3,) + image.shape[:2])
        self.assertTrue(np.allclose(probs.sum(0), 1, atol=1e-4))
        self.assertTrue(np.array_equal(probs.argmax(0).astype(np.uint8), seg.segment(image)))
        self.assertEqual(seg.segment(image, ltype=cv.CV_32S).dtype, np.int32)
        seg.setDenseCrf(True, cv.escrf.DenseCrfParams())
        self.assertEqual(seg.segment(image).shape, image.shape[:2])
        seg.setDenseCrf(False)
        sp = seg.getSuperpixelParams()
        self.assertEqual(sp.numSuperpixels, 20)  # the head's own superpixels
        sp.numSuperpixels = 10
        seg.setSuperpixelParams(sp)
        self.assertEqual(seg.getSuperpixelParams().numSuperpixels, 10)
        overlay = cv.escrf.drawSegmentationOverlay(image, seg.segment(image), seg.classColors())
        self.assertEqual(overlay.shape, image.shape)
        colored = cv.escrf.colorizeLabels(gt.astype(np.uint8), seg.classColors())
        self.assertEqual(colored[gt == 1][0].tolist(), [40, 40, 220])  # BGR of RGB (220, 40, 40)

    def untrained_toy_head(self):
        """A 3-class head of toy_config() on the tiny ONNX backbone, its description and a 32x24
        generated scene."""
        self.require_test_data('escrf_tiny_backbone.onnx')
        desc = cv.escrf.BackboneDescription.read(write_toy_backbone(self.tmp))
        cfg = toy_config()
        cfg.numClasses = 3
        head = cv.escrf.Head.create(cfg, [4, 5], 7)
        head.setBackbone(desc)
        image = cv.imread(cv.escrf.writeSyntheticDataset(os.path.join(self.tmp, 's'), 1, (32, 24), 3)
                          .replace('list.txt', 'scene_000.png'))
        self.assertIsNotNone(image)
        return head, desc, image

    def test_head_net_from_python_matches_the_segmenter(self):
        head, desc, image = self.untrained_toy_head()
        net = cv.escrf.createHeadNet(desc.model, head)
        backbone = cv.escrf.Backbone.create(desc)
        net.setInput(backbone.blobFromImage(image), 'image')
        net.setInput(cv.dnn.blobFromImage(image, 1.0 / 255, swapRB=True), 'guide')
        _, sp = cv.escrf.computeSuperpixels(image, params=head.config().superpixels)
        net.setInput(sp.astype(np.float32)[np.newaxis, np.newaxis], 'superpixels')
        scores = net.forward('scores')
        self.assertEqual(scores.shape, (1, 3, 24, 32))
        seg = cv.escrf.Segmenter.create(head, desc)
        agree = np.mean(scores[0].argmax(0) == seg.segment(image))
        self.assertGreater(agree, 0.99)

    def test_scales_flip_and_processing_area_from_python(self):
        head, desc, image = self.untrained_toy_head()
        seg = cv.escrf.Segmenter.create(head, desc)
        single = seg.segment(image)
        single_probs = seg.predict(image)
        self.assertEqual(list(seg.getScales()), [1.0])
        self.assertFalse(seg.getFlip())
        seg.setScales([0.75, 1.0, 1.25])
        seg.setFlip(True)
        self.assertEqual(list(seg.getScales()), [0.75, 1.0, 1.25])
        self.assertTrue(seg.getFlip())
        augmented = seg.segment(image)
        self.assertEqual(augmented.shape, single.shape)
        probs = seg.predict(image)
        self.assertEqual(probs.shape, (3, 24, 32))
        np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-4)
        self.assertGreater(np.abs(probs - single_probs).max(), 1e-6)   # the settings take effect
        # The averaged probabilities' argmax is what segment() returns.
        self.assertEqual(np.mean(probs.argmax(0) == augmented), 1.0)
        with self.assertRaises(cv.error) as ctx:
            seg.setScales([])
        self.assertIn('scales', str(ctx.exception))
        seg.setScales([1.0])
        seg.setFlip(False)
        np.testing.assert_array_equal(seg.segment(image), single)

        default_area = seg.getMaxProcessingArea()
        self.assertGreater(default_area, 0)
        seg.setMaxProcessingArea(16 * 16)
        self.assertEqual(seg.getMaxProcessingArea(), 16 * 16)
        small = seg.segment(image)
        self.assertEqual(small.shape, single.shape)   # processed smaller, labels at the input size
        reduced_probs = seg.predict(image)
        self.assertEqual(reduced_probs.shape, single_probs.shape)
        self.assertGreater(np.abs(reduced_probs - single_probs).max(), 1e-6)
        with self.assertRaises(cv.error) as ctx:
            seg.setMaxProcessingArea(-1)
        self.assertIn('pixels >= 0', str(ctx.exception))
        seg.setMaxProcessingArea(0)   # no bound
        np.testing.assert_array_equal(seg.segment(image), single)
        np.testing.assert_array_equal(seg.predict(image), single_probs)

    def test_camvid_image_with_the_shipped_head(self):
        shared = shared_dir()
        head_file = os.path.join(MODULE_DIR, 'models', 'escrf_espnet_camvid.yml')
        if shared is None or not os.path.isfile(os.path.join(shared, 'models', 'espnet_camvid.onnx')):
            raise unittest.SkipTest('CamVid model not found (set ESCRF_SHARED_DIR)')
        val_list = os.path.join(shared, 'data', 'camvid', 'val.txt')
        if not os.path.isfile(val_list) or not os.path.isfile(head_file):
            raise unittest.SkipTest('CamVid val list or shipped head missing')
        backbone_file = os.path.join(shared, 'models', 'espnet_camvid.yml')
        seg = cv.escrf.Segmenter.create(head_file, backbone_file)
        self.assertEqual(len(seg.classNames()), 11)
        backbone = cv.escrf.Backbone.create(cv.escrf.BackboneDescription.read(backbone_file))
        data = cv.escrf.Dataset(val_list)
        ours = cv.escrf.SegmentationMetrics(11, 11)
        alone = cv.escrf.SegmentationMetrics(11, 11)
        for i in range(2):
            image, gt = data.load(i)
            labels = seg.segment(image)
            self.assertEqual(labels.shape, image.shape[:2])
            ours.add(labels, gt)
            alone.add(backbone.predict(image), gt)
        print('\n    CamVid val, first 2 images: head mIoU %.2f / pixel acc %.2f, ESPNet alone mIoU %.2f / %.2f'
              % (100 * ours.meanIoU(), 100 * ours.pixelAccuracy(), 100 * alone.meanIoU(), 100 * alone.pixelAccuracy()))
        self.assertGreater(ours.pixelAccuracy(), 0.85)
        self.assertGreater(ours.meanIoU(), alone.meanIoU() - 0.05)

    # ------------------------------------------------------------------ bad inputs

    def test_bad_inputs_raise_cv_error_naming_the_argument(self):
        gray = np.zeros((24, 32), np.uint8)
        image = np.zeros((24, 32, 3), np.uint8)
        with self.assertRaisesRegex(cv.error, 'image type is CV_8UC1'):
            cv.escrf.computeSuperpixels(gray)
        with self.assertRaisesRegex(cv.error, 'image is empty'):
            cv.escrf.computeSuperpixels(np.zeros((0, 0, 3), np.uint8))
        params = cv.escrf.SuperpixelParams()
        params.numSuperpixels = 0
        with self.assertRaisesRegex(cv.error, 'params.numSuperpixels'):
            cv.escrf.computeSuperpixels(image, params=params)

        probs = np.full((1, 2, 24, 32), 0.5, np.float32)
        with self.assertRaisesRegex(cv.error, 'denseCrf: image'):
            cv.escrf.denseCrf(gray, probs)
        with self.assertRaisesRegex(cv.error, 'denseCrf: probabilities'):
            cv.escrf.denseCrf(image, probs[:, :, :12])
        with self.assertRaisesRegex(cv.error, 'denseCrf: probabilities'):
            cv.escrf.denseCrf(image, probs[0])  # plain 3-D numpy array: H x W of K channels to C++
        crf = cv.escrf.DenseCrfParams()
        crf.probabilityFloor = 2
        with self.assertRaisesRegex(cv.error, 'params.probabilityFloor'):
            cv.escrf.denseCrf(image, probs, params=crf)

        self.assertConstructorRaises('numClasses must be > 0', cv.escrf.SegmentationMetrics, 0)
        self.assertConstructorRaises('no_such_list.txt', cv.escrf.Dataset, os.path.join(self.tmp, 'no_such_list.txt'))
        m = cv.escrf.SegmentationMetrics(3)
        with self.assertRaisesRegex(cv.error, 'prediction label 7'):
            m.add(np.full((2, 2), 7, np.uint8), np.zeros((2, 2), np.uint8))
        with self.assertRaisesRegex(cv.error, 'prediction is 2x2 but groundTruth is 3x3'):
            m.add(np.zeros((2, 2), np.uint8), np.zeros((3, 3), np.uint8))
        with self.assertRaisesRegex(cv.error, 'other'):
            m.merge(cv.escrf.SegmentationMetrics(4))

        missing = os.path.join(self.tmp, 'no_such_head.yml')
        with self.assertRaisesRegex(cv.error, 'no_such_head.yml'):
            cv.escrf.Head.load(missing)
        with self.assertRaisesRegex(cv.error, 'no_such_head.yml'):
            cv.escrf.Segmenter.create(missing)
        truncated = os.path.join(self.tmp, 'truncated.yml')
        with open(truncated, 'w') as f:
            f.write('%YAML:1.0\n---\nversion: 1\n')
        with self.assertRaisesRegex(cv.error, 'truncated.yml'):
            cv.escrf.Head.load(truncated)
        with self.assertRaisesRegex(cv.error, 'no_such_backbone.yml'):
            cv.escrf.BackboneDescription.read(os.path.join(self.tmp, 'no_such_backbone.yml'))

        # wrong Python types are rejected by the bindings before C++ runs
        with self.assertRaises(cv.error):
            cv.escrf.computeSuperpixels('not an image')

    def test_bad_inputs_of_training_and_segmenting(self):
        self.require_test_data('escrf_tiny_backbone.onnx')
        gray = np.zeros((24, 32), np.uint8)
        image = np.zeros((24, 32, 3), np.uint8)
        desc = cv.escrf.BackboneDescription.read(write_toy_backbone(self.tmp))
        cfg = toy_config()
        cfg.inputs = ['feat_a', 'no_such_output']
        with self.assertRaisesRegex(cv.error, 'no_such_output'):
            cv.escrf.HeadTrainer.create(desc, cfg, toy_params()).train(
                cv.escrf.writeSyntheticDataset(os.path.join(self.tmp, 't'), 2, (32, 24), 1), '',
                os.path.join(self.tmp, 'bad.yml'))
        cfg = toy_config()
        cfg.numClasses = 3
        head = cv.escrf.Head.create(cfg, [4, 5])
        seg = cv.escrf.Segmenter.create(head, desc)
        with self.assertRaisesRegex(cv.error, 'image must be CV_8UC3'):
            seg.segment(gray)
        with self.assertRaisesRegex(cv.error, 'ltype'):
            seg.segment(image, ltype=cv.CV_16S)
        with self.assertRaisesRegex(cv.error, 'setProcessingSize'):
            seg.setProcessingSize((31, 24))  # not a multiple of the backbone's size multiple (2)


if __name__ == '__main__':
    NewOpenCVTests.bootstrap()
