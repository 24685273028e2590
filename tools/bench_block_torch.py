#!/usr/bin/env python3
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
"""Side-by-side speed of the ES-CRF block: PyTorch vs the module (opencv_perf_escrf), on the CPU
or, with --device cuda, on the GPU.

The PyTorch side implements the reference semantics of the module's specification the way a
PyTorch user writes them: 1x1 convolutions for the embeddings and the compatibility,
F.unfold for the k x k dilated window, scatter_add for the superpixel means, and for the dense
option the N x N score matrix (softmax attention when normalised). Forward is timed under
torch.no_grad(); forward+backward runs autograd on sum(out * dOut) with F and the weights
requiring gradients (the block is tools/escrf_torch.py's). The C++ side is the standalone perf
binary built from perf/ on Google Benchmark (the Block.forward case without cache, the
Block.forwardBackward case with cache + backward), run by this script so that both numbers come
from the same run on the same machine with the same thread count.

Usage (Debian's torch: /usr/bin/python3):
  /usr/bin/python3 tools/bench_block_torch.py --perf-bin build-block/bin/opencv_perf_escrf --threads 2

--device cuda (issue #6): the PyTorch reference runs on the GPU for B=8 C=256 128x128 k=3 d=2
(tensors on cuda, torch.cuda.synchronize() around each timed pass, peak memory growth from
torch.cuda.max_memory_allocated) next to the BM_BlockCuda*WithCopies benchmarks of a perf
binary built with CUDA (perf/perf_cuda.cpp). Our times include the host<->device copies of
F/out/dOut/dF (the module's CUDA block takes host Mats); the PyTorch inputs stay on the GPU.
  python3 tools/bench_block_torch.py --device cuda --perf-bin build-cuda/bin/opencv_perf_escrf
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn.functional as tF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import escrf_torch  # noqa: E402 (the one PyTorch block, next to this script)

# (name, B, C, h, w, mode): mode 0 window k=3 d=2, 1 dense softmax, 2 dense plain. E = P = 32.
CASES = [
    ("main: B=2 C=256 128x128 window", 2, 256, 128, 128, 0),
    ("ESPNet: B=2 C=12 180x240 window", 2, 12, 180, 240, 0),
    ("ESPNet: B=2 C=64 180x240 window", 2, 64, 180, 240, 0),
    ("dense softmax: B=1 C=64 64x64", 1, 64, 64, 64, 1),
    ("dense plain: B=1 C=64 64x64", 1, 64, 64, 64, 2),
]
# --device cuda: the case of issue #6 (target: ours >= 2x faster than PyTorch CUDA, fwd+bwd).
CUDA_CASES = [
    ("issue #6: B=8 C=256 128x128 window", 8, 256, 128, 128, 0),
]
E = P = 32
K, DIL = 3, 2
ALPHA_S, ALPHA_P = 0.1, 0.2


def position_encoding(h, w):
    return escrf_torch.position_encoding(h, w, P, torch.float32)


def make_inputs(B, C, h, w, grad, device="cpu"):
    g = torch.Generator().manual_seed(0)
    F = torch.randn(B, C, h, w, generator=g)
    Ig = torch.rand(B, 3, h, w, generator=g)
    PE = position_encoding(h, w)[None].expand(B, 2 * P, h, w).contiguous()
    cols = (w + 3) // 4
    labels = ((torch.arange(h)[:, None] // 4) * cols + torch.arange(w)[None] // 4).reshape(1, -1).expand(B, -1)
    M = int(labels.max()) + 1
    W_img = (torch.rand(E, 3, 1, 1, generator=g) - 0.5)
    W_pos = (torch.rand(E, 2 * P, 1, 1, generator=g) - 0.5) * 0.25
    w_comp = (torch.rand(1, C, 1, 1, generator=g) - 0.5) * 0.1
    dOut = torch.randn(B, C, h, w, generator=g)
    labels = labels.contiguous()
    if device != "cpu":  # same values as on the CPU: generated there, then moved
        F, Ig, PE, labels, W_img, W_pos, w_comp, dOut = (
            t.to(device) for t in (F, Ig, PE, labels, W_img, W_pos, w_comp, dOut))
    for t in (F, W_img, W_pos, w_comp):
        t.requires_grad_(grad)
    return F, Ig, PE, labels, M, W_img, W_pos, w_comp, dOut


def block(F, Ig, PE, labels, M, W_img, W_pos, w_comp, mode):
    """The PyTorch block of tools/escrf_torch.py on inputs prepared at feature resolution."""
    e = torch.cat([tF.conv2d(Ig, W_img), tF.conv2d(PE, W_pos)], 1)  # B, 2E, h, w
    return escrf_torch.block_messages(F, e, labels, M, w_comp, K, DIL, ALPHA_S, ALPHA_P,
                                      normalize=mode == 1, dense=mode != 0)


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return float(line.split()[1])
    return 0.0


def time_torch(case, backward, min_time=1.0, device="cpu"):
    """Best time of one pass in ms; on cuda also the peak device memory growth of one pass in MiB."""
    _, B, C, h, w, mode = case
    F, Ig, PE, labels, M, W_img, W_pos, w_comp, dOut = make_inputs(B, C, h, w, backward, device)
    params = [F, W_img, W_pos, w_comp]

    def run():
        if backward:
            for p in params:
                p.grad = None
            out = block(F, Ig, PE, labels, M, W_img, W_pos, w_comp, mode)
            (out * dOut).sum().backward()
        else:
            with torch.no_grad():
                block(F, Ig, PE, labels, M, W_img, W_pos, w_comp, mode)

    if device != "cpu":
        for _ in range(3):  # warm-up: context, kernel selection, caching allocator
            run()
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run()
        torch.cuda.synchronize()
        peak = (torch.cuda.max_memory_allocated() - base) / 2.0 ** 20
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < min_time or len(times) < 10:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            run()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return min(times) * 1e3, peak

    run()  # warm-up
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 3:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def torch_peak_mib(case, backward, threads):
    """Peak RSS growth of one PyTorch pass, measured in a fresh process."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-peak", str(CASES.index(case)),
           "--threads", str(threads)] + (["--backward"] if backward else [])
    return float(subprocess.check_output(cmd).decode().strip())


def run_ours(perf_bin, threads, min_time, bench_filter="^Block_(forward|forwardBackward)/"):
    """Best real time in ms of each benchmark matching bench_filter, as {name: (ms,)}; a benchmark
    that reported an error (e.g. "no CUDA device") maps to (None, message)."""
    env = dict(os.environ, ESCRF_PERF_THREADS=str(threads))
    out = subprocess.check_output([perf_bin, "--benchmark_filter=" + bench_filter, "--benchmark_format=json",
                                   "--benchmark_repetitions=3", "--benchmark_min_time=%g" % min_time], env=env)
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        if b.get("error_occurred"):
            res[name] = (None, b.get("error_message", "error"))
            continue
        t = b["real_time"] * {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
        prev = res.get(name)
        res[name] = (min(prev[0], t) if prev else t,)
    return res


def ours_peak_mib(perf_bin, threads, case, backward):
    """Peak RSS growth of our pass, measured in a fresh process (one benchmark only)."""
    env = dict(os.environ, ESCRF_PERF_THREADS=str(threads))
    name = ours_key(case, backward)
    out = subprocess.check_output([perf_bin, "--benchmark_filter=^%s$" % re.escape(name), "--benchmark_format=json",
                                   "--benchmark_min_time=0.01"], env=env)
    return max(b.get("peak_rss_growth_MiB", 0.0) for b in json.loads(out)["benchmarks"])


def ours_key(case, backward, device="cpu"):
    _, B, C, h, w, mode = case
    if device == "cuda":  # perf/perf_cuda.cpp, a Google Benchmark program
        fn = "BM_BlockCudaForwardBackwardWithCopies" if backward else "BM_BlockCudaForwardWithCopies"
        return "%s/B:%d/C:%d/h:%d/w:%d/mode:%d/real_time" % (fn, B, C, h, w, mode)
    # perf/perf_block.cpp: ts perf cases, named "<fixture>_<case>/(<parameters>)" on Google Benchmark
    fn = "Block_forwardBackward" if backward else "Block_forward"
    return "%s/(%d,%d,%d,%d,%d)/real_time" % (fn, B, C, h, w, mode)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perf-bin", default="build-block/bin/opencv_perf_escrf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cpu (default): the CPU table; cuda: PyTorch on the GPU vs BM_BlockCuda* (issue #6 case)")
    ap.add_argument("--torch-peak", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--backward", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.torch_peak is not None:
        case = CASES[args.torch_peak]
        _, B, C, h, w, mode = case
        inputs = make_inputs(B, C, h, w, args.backward)
        # Reset the peak resident set (VmHWM) so that the growth is this pass alone.
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status_kib("VmRSS:")
        F, Ig, PE, labels, M, W_img, W_pos, w_comp, dOut = inputs
        if args.backward:
            out = block(F, Ig, PE, labels, M, W_img, W_pos, w_comp, mode)
            (out * dOut).sum().backward()
        else:
            with torch.no_grad():
                block(F, Ig, PE, labels, M, W_img, W_pos, w_comp, mode)
        print((status_kib("VmHWM:") - before) / 1024.0)
        return

    if args.device == "cuda":
        return main_cuda(args)

    ours = run_ours(args.perf_bin, args.threads, args.min_time / 2)
    print("threads: %d (torch %s, set_num_threads), times are the best of several runs in ms" %
          (args.threads, torch.__version__))
    hdr = "%-34s %-8s %10s %10s %8s %12s %12s" % ("case", "pass", "torch ms", "ours ms", "speedup",
                                                  "torch MiB", "ours MiB")
    print(hdr)
    print("-" * len(hdr))
    for case in CASES:
        for backward in (False, True):
            t_torch = time_torch(case, backward, args.min_time)
            t_ours = ours[ours_key(case, backward)][0]
            mem_ours = ours_peak_mib(args.perf_bin, args.threads, case, backward)
            mem_torch = torch_peak_mib(case, backward, args.threads)
            print("%-34s %-8s %10.1f %10.1f %7.2fx %12.1f %12.1f" % (
                case[0], "fwd+bwd" if backward else "fwd", t_torch, t_ours, t_torch / t_ours,
                mem_torch, mem_ours))
            sys.stdout.flush()


def main_cuda(args):
    if not torch.cuda.is_available():
        sys.exit("--device cuda: torch.cuda.is_available() is False (no GPU or a CPU-only PyTorch)")
    ours = run_ours(args.perf_bin, args.threads, args.min_time / 2, "^BM_BlockCuda")
    if not ours:
        sys.exit("--device cuda: %s has no BM_BlockCuda benchmarks (build it with CUDA: perf/perf_cuda.cpp)"
                 % args.perf_bin)
    failed = [(k, v[1]) for k, v in ours.items() if v[0] is None]
    if failed:
        sys.exit("--device cuda: opencv_perf_escrf could not run %s: %s" % failed[0])
    print("GPU: %s (torch %s, CUDA %s); times are the best of several runs in ms" %
          (torch.cuda.get_device_name(0), torch.__version__, torch.version.cuda))
    print("ours = BM_BlockCuda*WithCopies: includes the host<->device copies of F/out/dOut/dF and the cache;"
          " PyTorch's tensors stay on the GPU")
    hdr = "%-36s %-8s %10s %10s %8s %16s" % ("case", "pass", "torch ms", "ours ms", "speedup", "torch peak MiB")
    print(hdr)
    print("-" * len(hdr))
    for case in CUDA_CASES:
        for backward in (False, True):
            t_torch, mem_torch = time_torch(case, backward, args.min_time, "cuda")
            t_ours = ours[ours_key(case, backward, "cuda")][0]
            print("%-36s %-8s %10.2f %10.2f %7.2fx %16.1f" % (
                case[0], "fwd+bwd" if backward else "fwd", t_torch, t_ours, t_torch / t_ours, mem_torch))
            sys.stdout.flush()
    print("target (issue #6): speedup >= 2x for fwd+bwd")


if __name__ == "__main__":
    main()
