"""The benchmark workloads of the project's speed measurements, run exactly as specified.

Each workload runs in its own process (thread pools of two engines in one process distort both), after a
warm-up epoch. Reported per workload: training samples/s (median and spread over ``repeat`` epochs), inference
samples/s, time to the first training batch from a cold process with an empty compilation cache and from a warm
one, and peak memory. ``neurocanvas bench --json`` prints one JSON object per line.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    input_shape: tuple[int, ...]
    n: int
    batch: int
    optimizer: Callable[[], Any]
    layers: Callable[[], list]
    inference_batch: int = 1024


def _mlp_mnist_layers():
    from core import Dense
    return [Dense(256, activation="relu"), Dense(128, activation="relu"), Dense(10, activation="softmax")]


def _lenet_layers():
    from core import Conv2D, Dense, Flatten, MaxPooling2D
    return [Conv2D(6, 5, padding="same", activation="relu"), MaxPooling2D(2),
            Conv2D(16, 5, padding="valid", activation="relu"), MaxPooling2D(2), Flatten(),
            Dense(120, activation="relu"), Dense(84, activation="relu"), Dense(10, activation="softmax")]


def _lstm_layers():
    from core import LSTM, Dense
    return [LSTM(64), Dense(10, activation="softmax")]


def _sgd():
    from core import SGD
    return SGD(0.01, momentum=0.9)


def _adam():
    from core import Adam
    return Adam(1e-3)


WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("mlp-digits", (64,), 1797, 32, _sgd,
             lambda: [__import__("core").Dense(64, activation="relu"),
                      __import__("core").Dense(10, activation="softmax")], inference_batch=1797),
    Workload("mlp-mnist", (784,), 60000, 128, _adam, _mlp_mnist_layers),
    Workload("cnn-lenet", (28, 28, 1), 10000, 64, _sgd, _lenet_layers),
    Workload("lstm-seq", (28, 28), 10000, 64, _adam, _lstm_layers),
    Workload("mlp-small-batch", (784,), 5000, 1, _adam, _mlp_mnist_layers, inference_batch=0),
)}


def make_data(workload: Workload) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic data with a random linear teacher, identical in every engine."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((workload.n,) + workload.input_shape, dtype=np.float32)
    teacher = rng.standard_normal((x[0].size, 10), dtype=np.float32)
    y = np.argmax(x.reshape(workload.n, -1) @ teacher, axis=1)
    return x, y


def build_model(workload: Workload, backend: str = "cpu"):
    from core import InputLayer, Sequential
    model = Sequential([InputLayer(shape=workload.input_shape)] + workload.layers())
    model.compile(optimizer=workload.optimizer(), loss="sparse_categorical_crossentropy", backend=backend)
    return model


def measure(name: str, backend: str = "cpu", repeat: int = 3) -> dict[str, Any]:
    """Run one workload in this process; returns the figures (first-batch times excluded)."""
    from core.training import Callback

    workload = WORKLOADS[name]
    x, y = make_data(workload)
    model = build_model(workload, backend)
    rates: list[float] = []

    class Rates(Callback):
        def on_epoch_end(self, record):
            rates.append(record.samples_per_second)

    model.fit(x, y, epochs=1 + repeat, batch_size=workload.batch, verbose=0, callbacks=[Rates()])
    measured = rates[1:]
    result = {"workload": name, "backend": backend, "train_samples_per_s": statistics.median(measured),
              "train_min": min(measured), "train_max": max(measured), "epochs_measured": len(measured)}
    if workload.inference_batch:
        model.predict(x[:workload.inference_batch], batch_size=workload.inference_batch)
        times = []
        for _ in range(max(3, repeat)):
            start = time.perf_counter()
            model.predict(x, batch_size=workload.inference_batch)
            times.append(time.perf_counter() - start)
        result["inference_samples_per_s"] = workload.n / statistics.median(times)
    else:
        result["inference_samples_per_s"] = None
    result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def first_batch(name: str, backend: str = "cpu") -> float:
    """Seconds from before ``import core`` to the end of the first training batch, in this process, less the time
    spent making the synthetic data set (a user's data is loaded, not generated: 0.5 s for mlp-mnist's 60,000
    samples)."""
    start = time.perf_counter()
    import core  # noqa: F401
    workload = WORKLOADS[name]
    data_start = time.perf_counter()
    x, y = make_data(workload)
    data_seconds = time.perf_counter() - data_start
    model = build_model(workload, backend)
    trainer = model.trainer
    xs, ys = trainer.check_data(x[:workload.batch], y[:workload.batch])
    with trainer.network.compute_scope():
        trainer.train_batch(xs, ys)
    return time.perf_counter() - start - data_seconds


def _run_worker(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "core.bench", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(names: list[str], backend: str = "cpu", repeat: int = 3, first_batch_times: bool = True):
    """Yield one result dict per workload, each measured in fresh processes."""
    for name in names:
        result = _run_worker(["--measure", name, "--backend", backend, "--repeat", str(repeat)])
        if first_batch_times:
            with tempfile.TemporaryDirectory() as cache:
                env = {"NUMBA_CACHE_DIR": cache}
                result["first_batch_cold_s"] = _run_worker(["--first-batch", name, "--backend", backend], env)["s"]
                result["first_batch_warm_s"] = _run_worker(["--first-batch", name, "--backend", backend], env)["s"]
        yield result


def format_table(results: list[dict[str, Any]]) -> str:
    head = f"{'workload':<16} {'train/s':>10} {'spread':>17} {'infer/s':>11} {'1st cold':>9} {'1st warm':>9} {'MB':>6}"
    lines = [head, "-" * len(head)]
    for r in results:
        spread = f"{r['train_min']:,.0f}–{r['train_max']:,.0f}"
        infer = f"{r['inference_samples_per_s']:,.0f}" if r.get("inference_samples_per_s") else "—"
        cold = f"{r['first_batch_cold_s']:.2f}s" if "first_batch_cold_s" in r else "—"
        warm = f"{r['first_batch_warm_s']:.2f}s" if "first_batch_warm_s" in r else "—"
        lines.append(f"{r['workload']:<16} {r['train_samples_per_s']:>10,.0f} {spread:>17} {infer:>11} "
                     f"{cold:>9} {warm:>9} {r['peak_memory_mb']:>6.0f}")
    return "\n".join(lines)


def _worker_main(argv: list[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure")
    parser.add_argument("--first-batch")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.backend, args.repeat)))
    else:
        print(json.dumps({"s": first_batch(args.first_batch, args.backend)}))
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
