#!/usr/bin/env python3
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
"""PyTorch reference of the ES-CRF block, exportable to ONNX as the module's ESCRF node.

  EscrfBlock           nn.Module: F (N x C x h x w), I (N x 3 x H x W, RGB in [0,1]),
                       S (N x 1 x H x W, integer superpixel labels as floats) -> F*; the spec's
                       reference semantics (../shared/docs/escrf-spec.md) and its `normalize`
                       option, differentiable in F and the weights.
  export_onnx          torch.onnx.export of a module whose blocks become ESCRF nodes (domain
                       "escrf"), the contract of include/opencv2/escrf/dnn.hpp: cv::dnn loads the
                       file after cv::escrf::registerLayers() and runs the module's C++ block.
  block_messages       the window/dense message and superpixel prior on prepared embeddings; the
                       one PyTorch block, also timed by tools/bench_block_torch.py.

Check against the parity fixtures (exit 0 pass, 1 fail, 77 skipped: no torch or no fixtures):

  /usr/bin/python3 tools/escrf_torch.py --check-parity ../shared/data/parity \
      [--test-bin build/bin/opencv_test_escrf]

compares forward and backward of EscrfBlock with every fixture; with --test-bin it exports each
fixture's block as ONNX and has the C++ test Escrf_DnnLayers.torch_exported_onnx run the file
through cv::dnn against the fixture's output, and the same block with normalize=1 against the
PyTorch output (no fixture has that option). CTest runs this as Escrf_TorchExport.parity.
Needs PyTorch (Debian: apt-get install python3-torch) and PyYAML.
"""
import argparse
import glob
import gzip
import math
import os
import subprocess
import sys
import tempfile
import warnings

try:
    import torch
    import torch.nn.functional as tF
except ImportError:  # the check skips; importing this module for its functions needs torch
    torch = None

SKIP = 77  # CTest's SKIP_RETURN_CODE


def position_encoding(h, w, P, dtype=None):
    """2P x h x w cosine position encoding (spec step 2): x channels first, then y."""
    k = torch.arange(P // 2, dtype=torch.float64)
    f = torch.exp(-2 * k * math.log(10000.0) / P)

    def axis(n):
        ang = torch.arange(n, dtype=torch.float64)[:, None] * f[None]
        return torch.stack([torch.sin(ang), torch.cos(ang)], 2).reshape(n, P).t()  # sin at 2k, cos at 2k+1

    px, py = axis(w), axis(h)
    pe = torch.cat([px[:, None, :].expand(P, h, w), py[:, :, None].expand(P, h, w)], 0)
    return pe.to(dtype or torch.get_default_dtype())


def block_messages(F, e, cells, M, w_comp, k=3, dilation=2, alpha_s=0.1, alpha_p=0.2,
                   normalize=False, dense=False):
    """F* = F + alpha_s Fs + alpha_p Fp (spec steps 4-9) from prepared inputs.

    F: B x C x h x w features; e: B x 2E x h x w embeddings; cells: B x (h*w) int64 superpixel of
    each cell (0..M-1); w_comp: 1 x C x 1 x 1. normalize: softmax of score / sqrt(2E) over the
    in-map cells of the window (or of the map when dense) instead of the raw score."""
    B, C, h, w = F.shape
    N = h * w
    E2 = e.shape[1]
    G = F * torch.sigmoid(tF.conv2d(F, w_comp))  # mu(i,j) F_j: the compatibility is the neighbour's
    if not dense:
        pad = dilation * (k // 2)
        eu = tF.unfold(e, k, dilation=dilation, padding=pad).view(B, E2, k * k, N)
        Gu = tF.unfold(G, k, dilation=dilation, padding=pad).view(B, C, k * k, N)
        s = (e.view(B, E2, 1, N) * eu).sum(1)  # B x k*k x N
        if normalize:
            ones = torch.ones(1, 1, h, w, dtype=F.dtype, device=F.device)
            inside = tF.unfold(ones, k, dilation=dilation, padding=pad).view(1, k * k, N) > 0
            s = torch.softmax((s / math.sqrt(E2)).masked_fill(~inside, float("-inf")), dim=1)
        Fp = (Gu * s.unsqueeze(1)).sum(2)
    else:
        ef = e.view(B, E2, N)
        s = ef.transpose(1, 2) @ ef  # B x N x N
        if normalize:
            s = torch.softmax(s / math.sqrt(E2), dim=2)
        Fp = G.view(B, C, N) @ s.transpose(1, 2)
    Ff = F.view(B, C, N)
    idx = cells[:, None, :].expand(B, C, N)
    sums = torch.zeros(B, C, M, dtype=F.dtype, device=F.device).scatter_add(2, idx, Ff)
    count = torch.zeros(B, 1, M, dtype=F.dtype, device=F.device).scatter_add(
        2, cells[:, None, :], torch.ones(B, 1, N, dtype=F.dtype, device=F.device))
    Fs = torch.gather(sums / count.clamp(min=1), 2, idx)
    return (Ff + alpha_s * Fs + alpha_p * Fp).view(B, C, h, w)


def reference_block(F, I, S, W_img, W_pos, w_comp, k, dilation, alpha_s, alpha_p, normalize):
    """The whole block (spec steps 1-9) on N x C x h x w features and full-resolution I, S."""
    B, C, h, w = F.shape
    H, W = I.shape[2:]
    E, P2 = W_pos.shape
    Ig = tF.interpolate(I, size=(h, w), mode="bilinear", align_corners=False)  # = INTER_LINEAR
    PE = position_encoding(h, w, P2 // 2, F.dtype).to(F.device)[None].expand(B, P2, h, w)
    e = torch.cat([tF.conv2d(Ig, W_img.view(E, 3, 1, 1)), tF.conv2d(PE, W_pos.view(E, P2, 1, 1))], 1)
    # Superpixel of each cell: source index floor(dst * H / h) (spec step 8, INTER_NEAREST).
    ys = torch.div(torch.arange(h, device=F.device) * H, h, rounding_mode="floor")
    xs = torch.div(torch.arange(w, device=F.device) * W, w, rounding_mode="floor")
    cells = S[:, 0][:, ys][:, :, xs].reshape(B, h * w).round().long()
    M = int(S.max().item()) + 1
    return block_messages(F, e, cells, M, w_comp.view(1, C, 1, 1), k, dilation, alpha_s, alpha_p, normalize)


if torch is not None:
    class _EscrfFunction(torch.autograd.Function):
        """Runs the PyTorch block; in torch.onnx.export it becomes one escrf::ESCRF node."""

        @staticmethod
        def forward(ctx, F, I, S, W_img, W_pos, w_comp, k, dilation, alpha_s, alpha_p, normalize):
            return reference_block(F, I, S, W_img, W_pos, w_comp, k, dilation, alpha_s, alpha_p, normalize)

        @staticmethod
        def symbolic(g, F, I, S, W_img, W_pos, w_comp, k, dilation, alpha_s, alpha_p, normalize):
            out = g.op("escrf::ESCRF", F, I, S, W_img, W_pos, w_comp, k_i=k, dilation_i=dilation,
                       alpha_s_f=alpha_s, alpha_p_f=alpha_p, normalize_i=int(normalize))
            out.setType(F.type())  # F* has the shape and type of F
            return out

    class EscrfBlock(torch.nn.Module):
        """One ES-CRF block (reference semantics, optionally `normalize`)."""

        def __init__(self, channels, embed_dim=32, pos_dim=32, k=3, dilation=2, alpha_s=0.1, alpha_p=0.2,
                     normalize=False):
            super().__init__()
            if pos_dim % 2 or k % 2 == 0:
                raise ValueError("pos_dim must be even and k odd")
            self.W_img = torch.nn.Parameter(torch.empty(embed_dim, 3).uniform_(-0.5, 0.5))
            self.W_pos = torch.nn.Parameter(torch.empty(embed_dim, 2 * pos_dim).uniform_(-0.1, 0.1))
            self.w_comp = torch.nn.Parameter(torch.empty(channels).uniform_(-0.1, 0.1))
            self.k, self.dilation, self.normalize = int(k), int(dilation), bool(normalize)
            self.alpha_s, self.alpha_p = float(alpha_s), float(alpha_p)

        def forward(self, F, I, S):
            if torch.onnx.is_in_onnx_export():
                return _EscrfFunction.apply(F, I, S, self.W_img, self.W_pos, self.w_comp, self.k,
                                            self.dilation, self.alpha_s, self.alpha_p, self.normalize)
            return reference_block(F, I, S, self.W_img, self.W_pos, self.w_comp, self.k, self.dilation,
                                   self.alpha_s, self.alpha_p, self.normalize)


def export_onnx(module, example_inputs, path, input_names=("F", "I", "S"), output_names=("Fstar",)):
    """Exports module (whose ES-CRF blocks are EscrfBlock) to path; the blocks' weights become
    initializers of the ESCRF nodes."""
    module.eval()
    with warnings.catch_warnings():
        # Tracing runs the PyTorch block once (its superpixel count becomes a constant of the
        # trace, which the ESCRF node does not use) and torch 1.13 flags g.op as deprecated.
        warnings.simplefilter("ignore")
        torch.onnx.export(module, tuple(example_inputs), path, input_names=list(input_names),
                          output_names=list(output_names), opset_version=11, custom_opsets={"escrf": 1},
                          do_constant_folding=False)


# ------------------------------------------------------------------------ parity check

def read_fixture(path):
    """A parity fixture (OpenCV FileStorage YAML, gzipped) as {key: int, float or float64 tensor}."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def matrix(loader, node):
        m = loader.construct_mapping(node, deep=True)
        channels = int(m["dt"][0]) if m["dt"][0].isdigit() else 1
        t = torch.tensor(m["data"], dtype=torch.float64)
        return t.view(m["rows"], m["cols"], channels) if channels > 1 else t.view(m["rows"], m["cols"])

    Loader.add_constructor("tag:yaml.org,2002:opencv-matrix", matrix)
    text = gzip.open(path, "rt").read().replace("%YAML:1.0", "%YAML 1.0", 1)
    return yaml.load(text, Loader=Loader)


def relative_error(a, b):
    return float((a - b).abs().max() / max(1.0, float(b.abs().max())))


def fixture_tensors(fx):
    C, h, w, H, W = (fx[key] for key in ("C", "h", "w", "H", "W"))
    F = fx["F"].view(1, C, h, w)
    I = fx["I"].permute(2, 0, 1)[None].contiguous()  # H x W x 3 RGB -> 1 x 3 x H x W
    S = fx["S"].view(1, 1, H, W)
    return F, I, S


def write_fixture(path, fx, out):
    """The keys the C++ check reads (sizes, F, I, S, out) as an OpenCV FileStorage YAML file."""
    def matrix(name, t, channels=1, dt="f"):
        t = t.detach().reshape(-1).tolist()
        rows, cols = {"F": (fx["C"], fx["h"] * fx["w"]), "out": (fx["C"], fx["h"] * fx["w"]),
                      "I": (fx["H"], fx["W"]), "S": (fx["H"], fx["W"])}[name]
        values = ", ".join(repr(int(v)) if dt == "i" else repr(float(v)) for v in t)
        return "%s: !!opencv-matrix\n   rows: %d\n   cols: %d\n   dt: %s\n   data: [ %s ]\n" % (
            name, rows, cols, ('"3f"' if channels == 3 else dt), values)

    with open(path, "w") as f:
        f.write("%YAML:1.0\n---\n")
        for key in ("C", "h", "w", "H", "W"):
            f.write("%s: %d\n" % (key, fx[key]))
        f.write(matrix("F", fx["F"]) + matrix("I", fx["I"], 3) + matrix("S", fx["S"], dt="i") + matrix("out", out))


def run_in_cv_dnn(test_bin, onnx_path, fixture_path):
    """Escrf_DnnLayers.torch_exported_onnx: the exported file in cv::dnn against the fixture's out."""
    env = dict(os.environ, ESCRF_TORCH_ONNX=onnx_path, ESCRF_TORCH_ONNX_FIXTURE=os.path.abspath(fixture_path))
    run = subprocess.run([test_bin, "--gtest_filter=Escrf_DnnLayers.torch_exported_onnx"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    passed = run.returncode == 0 and "[  PASSED  ] 1 test" in run.stdout
    return passed, run.stdout


def check_fixture(path, test_bin, work, tolerance=1e-4):
    """The PyTorch block against the fixture (forward and gradients); then, with test_bin, its
    ONNX export in cv::dnn against the fixture (reference) and against PyTorch (normalize)."""
    fx = read_fixture(path)
    name = os.path.basename(path)
    stem = os.path.join(work, name.split(".")[0])
    F, I, S = fixture_tensors(fx)
    block = EscrfBlock(fx["C"], fx["E"], fx["P"], fx["k"], fx["dilation"], fx["alpha_s"], fx["alpha_p"]).double()
    with torch.no_grad():
        block.W_img.copy_(fx["W_img"])
        block.W_pos.copy_(fx["W_pos"])
        block.w_comp.copy_(fx["w_comp"].view(-1))
    F.requires_grad_(True)
    out = block(F, I, S)
    (out * fx["dOut"].view_as(out)).sum().backward()
    errors = {
        "out": relative_error(out.detach().view(fx["C"], -1), fx["out"]),
        "dF": relative_error(F.grad.view(fx["C"], -1), fx["dF"]),
        "dW_img": relative_error(block.W_img.grad, fx["dW_img"]),
        "dW_pos": relative_error(block.W_pos.grad, fx["dW_pos"]),
        "dw_comp": relative_error(block.w_comp.grad.view(1, -1), fx["dw_comp"]),
    }
    ok = all(v <= tolerance for v in errors.values())
    print("%s: PyTorch block vs fixture, relative max error %s -> %s"
          % (name, ", ".join("%s %.2e" % kv for kv in errors.items()), "ok" if ok else "FAIL"))
    if not test_bin:
        return ok
    inputs = [t.detach().float() for t in (F, I, S)]
    export_onnx(block.float(), inputs, stem + ".onnx")
    passed, log = run_in_cv_dnn(test_bin, stem + ".onnx", path)
    print("%s: its ONNX export in cv::dnn (C++ ESCRF layer) vs fixture -> %s" % (name, "ok" if passed else "FAIL\n" + log))
    ok = ok and passed
    # The normalize option has no fixture: cv::dnn against the PyTorch block itself.
    block.normalize = True
    with torch.no_grad():
        expected = block.double()(*[t.double() for t in inputs])
    write_fixture(stem + "_normalize.yml", fx, expected.view(fx["C"], -1))
    export_onnx(block.float(), inputs, stem + "_normalize.onnx")
    passed, log = run_in_cv_dnn(test_bin, stem + "_normalize.onnx", stem + "_normalize.yml")
    print("%s: normalize=1, ONNX export in cv::dnn vs the PyTorch block -> %s" % (name, "ok" if passed else "FAIL\n" + log))
    return ok and passed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-parity", metavar="FOLDER", required=True,
                    help="folder of the parity fixtures (*.yml.gz), e.g. ../shared/data/parity")
    ap.add_argument("--test-bin", help="opencv_test_escrf, to run the exported files through cv::dnn")
    args = ap.parse_args()
    if torch is None:
        print("escrf_torch: PyTorch is not installed for %s; skipped" % sys.executable)
        return SKIP
    fixtures = sorted(glob.glob(os.path.join(args.check_parity, "*.yml.gz")))
    if not fixtures:
        print("escrf_torch: no parity fixtures in %s; skipped" % args.check_parity)
        return SKIP
    with tempfile.TemporaryDirectory() as work:
        results = [check_fixture(p, args.test_bin, work) for p in fixtures]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
