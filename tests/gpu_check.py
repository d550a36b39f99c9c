"""GPU check for the cuda backend: kernel parity at realistic sizes and the benchmark workloads on both backends.

Run on a machine with an NVIDIA GPU::

    .venv/bin/python tests/gpu_check.py                     # parity table, then benchmark table per backend
    .venv/bin/python tests/gpu_check.py --workloads mlp-mnist cnn-lenet --repeat 1
    .venv/bin/python tests/gpu_check.py --simulate          # no GPU: numba's simulator, tiny sizes (slow)

Not collected by pytest (the name does not start with ``test_``). Exit status 1 when a parity check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulate", action="store_true", help="numba's CUDA simulator at tiny sizes")
    parser.add_argument("--workloads", nargs="*", default=None, help="benchmark workloads (default: all)")
    parser.add_argument("--repeat", type=int, default=2, help="measured epochs per benchmark")
    parser.add_argument("--skip-bench", action="store_true", help="only the kernel parity checks")
    return parser.parse_args()


ARGS = _args()
if ARGS.simulate:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # before numba is imported

import numpy as np  # noqa: E402

from core.kernels import cuda_available, get_backend  # noqa: E402


def _cases(tiny: bool):
    """``(name, kernel, args builder)``: sizes of the benchmark workloads, or tiny ones under the simulator."""
    r = np.random.default_rng(0)

    def f(*shape):
        return r.standard_normal(shape).astype(np.float32)

    n, feat, units = (4, 12, 8) if tiny else (128, 784, 256)
    img, ch, hw = (2, 2, 6) if tiny else (64, 6, 28)
    steps, rnn_units = (3, 4) if tiny else (28, 64)
    return [
        ("dense_forward", lambda k, a: k.dense_forward(*a), (f(n, feat), f(feat, units), f(units))),
        ("dense_backward", lambda k, a: k.dense_backward(*a, True), (f(n, feat), f(feat, units), f(n, units))),
        ("activation relu", lambda k, a: k.activation_forward(a[0], 3), (f(n, units),)),
        ("softmax_xent", lambda k, a: k.softmax_xent(*a), (f(n, 10), r.integers(0, 10, n))),
        ("conv2d_forward", lambda k, a: k.conv2d_forward(*a, (1, 1), "same", (1, 1)),
         (f(img, hw, hw, ch), f(5, 5, ch, 16), f(16))),
        ("conv2d_backward", lambda k, a: k.conv2d_backward(*a, (1, 1), "valid", (1, 1), True),
         (f(img, hw, hw, ch), f(3, 3, ch, 16), f(img, hw - 2, hw - 2, 16))),
        ("gru_forward", lambda k, a: k.gru_forward(*a, 2, 1, True, False, True)[0],
         (f(n, steps, 8), f(8, 3 * rnn_units), f(rnn_units, 3 * rnn_units), f(2, 3 * rnn_units))),
        ("avg_pool2d_backward", lambda k, a: k.avg_pool2d_backward(a[0], (img, hw, hw, ch), (3, 3), (2, 2), "same"),
         (f(img, (hw + 1) // 2, (hw + 1) // 2, ch),)),
        ("max_pool2d_forward", lambda k, a: k.max_pool2d_forward(a[0], (2, 2), (2, 2), "valid"),
         (f(img, hw, hw, ch),)),
        ("batchnorm_forward_train", lambda k, a: k.batchnorm_forward_train(*a, 1e-3),
         (f(img * hw * hw, ch), f(ch), f(ch))),
        ("lstm_forward", lambda k, a: k.lstm_forward(*a, 2, 1, False, False)[0],
         (f(n, steps, 8), f(8, 4 * rnn_units), f(rnn_units, 4 * rnn_units), f(4 * rnn_units))),
        ("adam_update", _adam, (f(feat * units), f(feat * units))),
    ]


def _adam(k, a):
    w, g = (k.to_device(v.copy()) for v in a)
    m, v = k.zeros_like(w), k.zeros_like(w)
    k.adam_update(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1, 0.0)
    return w


def _arrays(value):
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    if value is None or isinstance(value, (int, float, bool, str)):
        return [np.asarray(value, np.float64)] if isinstance(value, float) else []
    return [np.asarray(get_backend("cuda").to_host(value) if hasattr(value, "copy_to_host") else value)]


def _timed(fn, k, args, sync):
    fn(k, args)  # compile / warm up
    sync()
    start = time.perf_counter()
    out = fn(k, args)
    sync()
    return out, (time.perf_counter() - start) * 1e3


def parity(tiny: bool) -> bool:
    from numba import cuda
    cpu, gpu = get_backend("cpu"), get_backend("cuda")
    print(f"{'kernel':<26} {'max rel err':>12} {'cpu ms':>9} {'cuda ms':>9}  ok")
    ok_all = True
    for name, fn, args in _cases(tiny):
        want, t_cpu = _timed(fn, cpu, args, lambda: None)
        dev_args = tuple(gpu.to_device(a) if a.dtype.kind == "f" else a for a in args)
        got, t_gpu = _timed(fn, gpu, dev_args, cuda.synchronize)
        errs = [float(np.max(np.abs(g - w) / (np.abs(w) + 1e-3))) if w.size else 0.0
                for g, w in zip(_arrays(got), _arrays(want))]
        err = max(errs) if errs else 0.0
        ok = err <= 1e-3
        ok_all &= ok
        print(f"{name:<26} {err:>12.2e} {t_cpu:>9.2f} {t_gpu:>9.2f}  {'yes' if ok else 'NO'}")
    return ok_all


def bench_simulated() -> bool:
    """Under the simulator: one two-sample batch per workload on both backends, losses compared (by default
    only the smallest workload: the others' layer sizes take minutes per batch in the simulator)."""
    from core import bench
    ok = True
    print(f"\n{'workload (1 batch of 2)':<24} {'cpu loss':>10} {'cuda loss':>10} {'cuda s':>8}")
    for name in ARGS.workloads or ["mlp-digits"]:
        workload = bench.WORKLOADS[name]
        x, y = bench.make_data(workload)
        losses, seconds = [], 0.0
        for backend in ("cpu", "cuda"):
            trainer = bench.build_model(workload, backend).trainer
            xs, ys = trainer.check_data(x[:2], y[:2])
            start = time.perf_counter()
            losses.append(trainer.train_batch(xs, ys)[0])
            seconds = time.perf_counter() - start
        print(f"{name:<24} {losses[0]:>10.5f} {losses[1]:>10.5f} {seconds:>8.1f}")
        ok &= abs(losses[1] - losses[0]) <= 1e-4 * max(1.0, abs(losses[0]))
    return ok


def bench_real() -> None:
    from core import bench
    names = ARGS.workloads or list(bench.WORKLOADS)
    for backend in ("cpu", "cuda"):
        print(f"\nbackend {backend}")
        print(bench.format_table(list(bench.run(names, backend, ARGS.repeat))))


def main() -> int:
    available, reason = cuda_available()
    print(f"cuda: {reason}")
    if not available:
        return 2
    ok = parity(tiny=ARGS.simulate)
    if not ARGS.skip_bench:
        if ARGS.simulate:
            ok &= bench_simulated()
        else:
            bench_real()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
