"""Training and inference speed of the ``cnn-lenet`` workload (docs: BENCHMARKS.md) on the NeuroCanvas engine.

Conv2D 6@5×5 same relu → MaxPool 2 → Conv2D 16@5×5 valid relu → MaxPool 2 → Flatten → Dense 120 relu → Dense 84
relu → Dense 10 softmax on 28×28×1, 10,000 synthetic samples, batch 64, SGD lr 0.01 momentum 0.9, sparse
categorical cross-entropy. Training samples/s is the median over ``--repeat`` epochs after one warm-up epoch;
inference is forward only at batch 1,024. ``--profile`` prints the hottest functions of one epoch.
A development tool, not collected by pytest:

    .venv/bin/python tests/benchmarks/cnn_lenet.py --repeat 5 [--backend cpu] [--blas-threads 1]
        [--numba-threads 1] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time

import numpy as np

import core
from core.training import Callback


def data(n: int = 10_000, shape=(28, 28, 1)):
    """BENCHMARKS.md's synthetic set: Gaussian inputs labelled by a random linear teacher."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n,) + shape, dtype=np.float32)
    teacher = rng.standard_normal((x[0].size, 10), dtype=np.float32)
    return x, np.argmax(x.reshape(n, -1) @ teacher, axis=1)


class Rates(Callback):
    """Collects samples/s (wall clock, and per second of this process's CPU time) and the loss of every epoch.

    On a shared machine the CPU-time rate says how much work the engine does, whatever the neighbours do.
    """

    def __init__(self, n: int):
        self.n, self.rates, self.cpu_rates, self.losses = n, [], [], []
        self._cpu = time.process_time()

    def on_epoch_end(self, record):
        now = time.process_time()
        self.rates.append(record.samples_per_second)
        self.cpu_rates.append(self.n / max(now - self._cpu, 1e-9))
        self._cpu = now
        self.losses.append(record.logs["loss"])


def model(backend: str):
    net = core.Sequential([
        core.InputLayer(shape=(28, 28, 1)),
        core.Conv2D(6, 5, padding="same", activation="relu"), core.MaxPooling2D(2),
        core.Conv2D(16, 5, padding="valid", activation="relu"), core.MaxPooling2D(2), core.Flatten(),
        core.Dense(120, activation="relu"), core.Dense(84, activation="relu"), core.Dense(10, activation="softmax")])
    net.compile(optimizer=core.SGD(learning_rate=0.01, momentum=0.9), loss="sparse_categorical_crossentropy",
                backend=backend)
    return net


def measure(backend: str, repeat: int, n: int) -> dict:
    x, y = data(n)
    net = model(backend)
    rates = Rates(n)
    net.fit(x, y, epochs=repeat + 1, batch_size=64, callbacks=[rates], verbose=0)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        net.predict(x, batch_size=1024)
        times.append(time.perf_counter() - start)
    train = rates.rates[1:]
    return {"workload": "cnn-lenet", "backend": backend, "n": n, "train_samples_per_s": statistics.median(train),
            "train_min": min(train), "train_max": max(train),
            "train_samples_per_cpu_s": statistics.median(rates.cpu_rates[1:]), "inference_samples_per_s": n / statistics.median(times),
            "loss_first_last": [rates.losses[0], rates.losses[-1]]}


def profile(backend: str, n: int) -> None:
    x, y = data(n)
    net = model(backend)
    net.fit(x[:640], y[:640], epochs=1, batch_size=64, verbose=0)  # compile and warm up outside the profile
    prof = cProfile.Profile()
    prof.runcall(net.fit, x, y, epochs=1, batch_size=64, verbose=0)
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--blas-threads", type=int, default=None, help="limit BLAS threads (threadpoolctl)")
    parser.add_argument("--numba-threads", type=int, default=None, help="limit numba's parallel threads")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.blas_threads, user_api="blas")
    if args.numba_threads:
        import numba
        numba.set_num_threads(args.numba_threads)
    if args.profile:
        profile(args.backend, args.n)
    else:
        print(json.dumps(measure(args.backend, args.repeat, args.n)), flush=True)


if __name__ == "__main__":
    main()
