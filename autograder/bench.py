"""Benchmark: the numba fast path vs the readable reference vs torch CPU, same thread count.

    python -m autograder bench            ResNet-like shapes, median of 20 runs each
    python -m autograder bench --quick    tiny shapes, a smoke test

Each row times forward + backward together, the fast path, the reference and torch taking turns
(two rounds, each after 0.25 s of untimed calls, the first of which compile the numba kernels),
and reports each median as a ratio to torch's. A roofline column
says how close each is to this machine: the work of forward + backward (FLOPs of the matrix
products, 2*M*N*K each, for conv2d and attention; the bytes that must move, every array read or
written once, for the memory-bound pooling and norms) over the time, as a fraction of the peak
measured here once (a large square matmul per dtype, a large array copy), with the same threads.
"""

from __future__ import annotations

import statistics
import time

import numba
import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

from assignments.common.fast import attention as fast_attention
from assignments.common.fast import conv as fast
from assignments.common.fast import norms as fast_norms
from solutions.a1_convolution import conv as reference
from solutions.a2_normalization import norms as reference_norms
from solutions.a5_attention import attention as reference_attention


def _median_seconds(fn, repeat: int, pick=statistics.median) -> float:
    fn()  # warm-up: JIT compilation, allocator, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return pick(times)


def _medians_in_turn(fns, repeat: int, rounds: int = 2, settle: float = 0.25) -> list[float]:
    """The median time of each of ``fns``, timed in turn: ``rounds`` rounds, each running every
    function ``repeat / rounds`` times in a row after ``settle`` seconds of untimed calls (one at
    least). Taking turns spreads a slow spell of a shared machine over all of them (one function
    timed alone can land in it and skew a ratio); the untimed calls compile the numba kernels on
    the first round and, after that, let the previous function's threads (torch's OpenMP pool,
    OpenBLAS's) stop spinning: after torch, they slow the next 100 to 150 ms of work by a third."""
    rounds = max(1, min(rounds, repeat))
    times = [[] for _ in fns]
    for turn in range(rounds):
        share = repeat // rounds + (turn < repeat % rounds)
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            fn()
            while time.perf_counter() - start < settle:
                fn()
            for _ in range(share):
                start = time.perf_counter()
                fn()
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def _conv_case(n, c, f, size, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size)).astype(dtype)
    w = rng.standard_normal((f, c, 3, 3)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    dout = rng.standard_normal((n, f, size, size)).astype(dtype)

    def ours(module):
        def run():
            out, cache = module.conv2d_forward(x, w, b, padding=1)
            module.conv2d_backward(dout, cache)
        return run

    def torch_run():
        xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
        F.conv2d(xt, wt, bt, padding=1).backward(torch.from_numpy(dout))

    flops = 3 * 2 * (n * size * size) * f * (c * 9)  # out, dw and dx: one (F x C*9) by (C*9 x N*H*W) product each
    return f"conv2d 3x3 pad 1, N={n} C={c}->{f} {size}x{size}", ours(fast), ours(reference), torch_run, (flops, "FLOP")


def _pool_case(n, c, size, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, size, size)).astype(dtype)
    dout = rng.standard_normal((n, c, size // 2, size // 2)).astype(dtype)

    def ours(module):
        def run():
            out, cache = module.maxpool2d_forward(x, 2)
            module.maxpool2d_backward(dout, cache)
        return run

    def torch_run():
        xt = torch.from_numpy(x).requires_grad_()
        F.max_pool2d(xt, 2).backward(torch.from_numpy(dout))

    moved = 2 * (x.nbytes + dout.nbytes)  # read x, write out; read dout, write dx
    return f"max_pool2d 2x2, N={n} C={c} {size}x{size}", ours(fast), ours(reference), torch_run, (moved, "B")


def _norm_case(kind, shape, dtype):
    """batchnorm (training) or layernorm over the last axis, forward + backward."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    C = shape[1] if kind == "batchnorm" else shape[-1]
    gamma, beta = np.ones(C, dtype), np.zeros(C, dtype)

    def ours(module):
        def run():
            if kind == "batchnorm":
                out, cache = module.batchnorm_forward(x, gamma, beta, np.zeros(C, dtype), np.ones(C, dtype))
            else:
                out, cache = module.layernorm_forward(x, gamma, beta)
            getattr(module, f"{kind}_backward")(dout, cache)
        return run

    def torch_run():
        xt, gt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, gamma, beta))
        if kind == "batchnorm":
            out = F.batch_norm(xt, torch.zeros(C, dtype=xt.dtype), torch.ones(C, dtype=xt.dtype), gt, bt, training=True)
        else:
            out = F.layer_norm(xt, (C,), gt, bt)
        out.backward(torch.from_numpy(dout))

    label = "x".join(map(str, shape))
    moved = 5 * x.nbytes  # read x, write out; read x and dout, write dx
    return f"{kind} {label}", ours(fast_norms), ours(reference_norms), torch_run, (moved, "B")


def _attention_case(n, heads, length, dk, dtype):
    """Causal scaled dot-product attention, forward + backward, against torch's SDPA."""
    rng = np.random.default_rng(3)
    q, k, v, dout = (rng.standard_normal((n, heads, length, dk)).astype(dtype) for _ in range(4))
    mask = np.tril(np.ones((length, length), dtype=bool))

    def ours(module):
        def run():
            module.scaled_dot_product_attention(q, k, v, mask)
            module.scaled_dot_product_attention_backward(dout, q, k, v, mask)
        return run

    def torch_run():
        qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
        F.scaled_dot_product_attention(qt, kt, vt, attn_mask=torch.from_numpy(mask)).backward(torch.from_numpy(dout))

    flops = 6 * 2 * n * heads * length * length * dk  # q k^T, w v; dv, dw, dq, dk: each (L x L x dk)
    return (f"attention causal, N={n} H={heads} L={length} dk={dk}", ours(fast_attention), ours(reference_attention),
            torch_run, (flops, "FLOP"))


def peaks(quick: bool = False) -> dict:
    """This machine's peaks with the current threads, measured once (well under 2 s):
    FLOP/s per dtype as numpy's rate on a square matmul, bytes/s as a large array copy (read +
    write). The best of a few runs: a peak, not a typical rate."""
    n, size = (256, 1 << 20) if quick else (1536, 1 << 25)
    flops = {}
    for dtype in (np.float32, np.float64):
        a = np.ones((n, n), dtype)
        flops[np.dtype(dtype).name] = 2 * n**3 / _median_seconds(lambda: a @ a, 3, pick=min)
    src, dst = np.ones(size // 8), np.empty(size // 8)  # size bytes each, beyond the caches
    bandwidth = 2 * size / _median_seconds(lambda: np.copyto(dst, src), 3, pick=min)
    return dict(flops=flops, bandwidth=bandwidth)


def main(quick: bool = False, repeat: int = 20) -> list[dict]:
    threads = numba.get_num_threads()
    torch.set_num_threads(threads)
    repeat = 1 if quick else repeat
    console = Console()
    peak = peaks(quick)
    caption = (f"roofline peaks, {threads} threads: matmul {peak['flops']['float32'] / 1e9:.0f} GFLOP/s float32, "
               f"{peak['flops']['float64'] / 1e9:.0f} GFLOP/s float64; copy {peak['bandwidth'] / 1e9:.1f} GB/s")
    table = Table(title=f"forward + backward, median of {repeat} in turns (numba and torch: {threads} threads)", caption=caption)
    for column in ("operation", "dtype", "fast path", "reference", "torch CPU", "fast / torch", "reference / torch",
                   "fast % peak", "torch % peak"):
        table.add_column(column, justify="right" if column != "operation" else "left")
    rows = []
    for dtype in (np.float32, np.float64):
        cases = ([_conv_case(2, 4, 8, 8, dtype), _pool_case(2, 4, 8, dtype),
                  _norm_case("batchnorm", (4, 3, 4, 4), dtype), _norm_case("layernorm", (2, 3, 8), dtype),
                  _attention_case(1, 2, 8, 4, dtype)] if quick else
                 [_conv_case(16, 32, 64, 32, dtype), _pool_case(16, 64, 32, dtype),
                  _norm_case("batchnorm", (32, 64, 32, 32), dtype), _norm_case("layernorm", (32, 128, 256), dtype),
                  _attention_case(8, 8, 256, 64, dtype)])
        name_of = np.dtype(dtype).name
        for name, fast_run, ref_run, torch_run, (work, unit) in cases:
            with console.status(f"timing {name} {name_of}"):
                t_fast, t_ref, t_torch = _medians_in_turn((fast_run, ref_run, torch_run), repeat, settle=0 if quick else 0.25)
            roof = peak["flops"][name_of] if unit == "FLOP" else peak["bandwidth"]  # per second
            fast_fraction, torch_fraction = work / t_fast / roof, work / t_torch / roof
            rows.append(dict(op=name, dtype=name_of, fast=t_fast, reference=t_ref, torch=t_torch, work=work,
                             work_unit=unit, peak=roof, fast_fraction=fast_fraction, torch_fraction=torch_fraction))
            bound = "FLOP/s" if unit == "FLOP" else "B/s"
            table.add_row(name, name_of, f"{t_fast * 1e3:.2f} ms", f"{t_ref * 1e3:.2f} ms",
                          f"{t_torch * 1e3:.2f} ms", f"{t_fast / t_torch:.2f}x", f"{t_ref / t_torch:.1f}x",
                          f"{fast_fraction:.1%} {bound}", f"{torch_fraction:.1%} {bound}")
    console.print(table)
    return rows
