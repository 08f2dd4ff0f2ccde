"""Benchmark: the numba fast path vs the readable reference vs torch CPU, same thread count.

    python -m autograder bench            ResNet-like shapes, median of 20 runs each
    python -m autograder bench --quick    tiny shapes, a smoke test

Each row times forward + backward together, after one untimed warm-up call (which also
compiles the numba kernels), and reports each time as a ratio to torch's.
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


def _median_seconds(fn, repeat: int) -> float:
    fn()  # warm-up: JIT compilation, allocator, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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

    return f"conv2d 3x3 pad 1, N={n} C={c}->{f} {size}x{size}", ours(fast), ours(reference), torch_run


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

    return f"max_pool2d 2x2, N={n} C={c} {size}x{size}", ours(fast), ours(reference), torch_run


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
    return f"{kind} {label}", ours(fast_norms), ours(reference_norms), torch_run


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

    return (f"attention causal, N={n} H={heads} L={length} dk={dk}", ours(fast_attention), ours(reference_attention),
            torch_run)


def main(quick: bool = False, repeat: int = 20) -> list[dict]:
    threads = numba.get_num_threads()
    torch.set_num_threads(threads)
    repeat = 1 if quick else repeat
    console = Console()
    table = Table(title=f"forward + backward, median of {repeat} (numba and torch: {threads} threads)")
    for column in ("operation", "dtype", "fast path", "reference", "torch CPU", "fast / torch", "reference / torch"):
        table.add_column(column, justify="right" if column != "operation" else "left")
    rows = []
    for dtype in (np.float32, np.float64):
        cases = ([_conv_case(2, 4, 8, 8, dtype), _pool_case(2, 4, 8, dtype),
                  _norm_case("batchnorm", (4, 3, 4, 4), dtype), _norm_case("layernorm", (2, 3, 8), dtype),
                  _attention_case(1, 2, 8, 4, dtype)] if quick else
                 [_conv_case(16, 32, 64, 32, dtype), _pool_case(16, 64, 32, dtype),
                  _norm_case("batchnorm", (32, 64, 32, 32), dtype), _norm_case("layernorm", (32, 128, 256), dtype),
                  _attention_case(8, 8, 256, 64, dtype)])
        for name, fast_run, ref_run, torch_run in cases:
            with console.status(f"timing {name} {np.dtype(dtype)}"):
                t_fast, t_ref, t_torch = (_median_seconds(fn, repeat) for fn in (fast_run, ref_run, torch_run))
            rows.append(dict(op=name, dtype=np.dtype(dtype).name, fast=t_fast, reference=t_ref, torch=t_torch))
            table.add_row(name, np.dtype(dtype).name, f"{t_fast * 1e3:.2f} ms", f"{t_ref * 1e3:.2f} ms",
                          f"{t_torch * 1e3:.2f} ms", f"{t_fast / t_torch:.2f}x", f"{t_ref / t_torch:.1f}x")
    console.print(table)
    return rows
