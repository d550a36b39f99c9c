"""Peak memory while training from a large ``.npy`` file through the memory-mapped path (run by hand).

    .venv/bin/python tests/benchmarks/memmap_peak.py --gigabytes 1 --dir /tmp

Writes a float32 ``x.npy`` of the given size (784 features a row) and labels in ``--dir``, trains a small MLP
for one epoch with :meth:`Model.fit` reading a :class:`core.data.NpyFile` a batch at a time, and prints the process's
resident memory before training and the highest seen while loading and training. ``--direct`` instead passes
``numpy.load(mmap_mode='r')`` straight to ``model.fit``, for comparison. The files are deleted afterwards
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time

import numpy as np

FEATURES = 784


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler(threading.Thread):
    """The highest resident memory seen, sampled every 20 ms while training runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.highest, self.done = 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.highest = max(self.highest, _rss_mb())
            time.sleep(0.02)


def write_file(path: str, rows: int) -> None:
    """A float32 .npy of ``rows`` × 784 written block by block (never held in memory whole)."""
    rng = np.random.default_rng(0)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, FEATURES))
    for start in range(0, rows, 16384):
        stop = min(rows, start + 16384)
        out[start:stop] = rng.standard_normal((stop - start, FEATURES), dtype=np.float32)
        out.flush()
    del out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--direct", action="store_true",
                        help="for comparison: numpy.load(mmap_mode='r') passed straight to model.fit")
    args = parser.parse_args()
    rows = int(args.gigabytes * 2**30 / (FEATURES * 4))
    x_path, y_path = os.path.join(args.dir, "memmap_peak_x.npy"), os.path.join(args.dir, "memmap_peak_y.npy")
    if not os.path.exists(x_path):
        from subprocess import run
        import sys
        # written in a child process so that writing does not count towards this process's peak
        run([sys.executable, "-c", f"from tests.benchmarks.memmap_peak import write_file; "
             f"write_file({x_path!r}, {rows})"], check=True)
        np.save(y_path, np.random.default_rng(1).integers(0, 10, rows))
    from core import Adam, Dense, Sequential
    from core.data import load_npy
    model = Sequential([Dense(64, activation="relu", input_dim=FEATURES), Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((8, FEATURES), np.float32), np.zeros(8, np.int64), epochs=1, verbose=0)  # warm the kernels
    baseline_rss, baseline_peak = _rss_mb(), _peak_mb()
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    if args.direct:
        x, y = np.load(x_path, mmap_mode="r"), np.load(y_path)
        checked = time.perf_counter()
        history = model.fit(x, y, epochs=1, batch_size=128, verbose=0).history
    else:
        data = load_npy(x_path, y_path)  # memory-mapped; the NaN check reads it in blocks
        checked = time.perf_counter()
        history = model.fit(data.x, data.y, epochs=1, batch_size=128, verbose=0).history
    seconds = time.perf_counter() - checked
    sampler.done.set()
    sampler.join()
    peak = max(sampler.highest, _rss_mb())
    size = os.path.getsize(x_path) / 2**30
    print(f"file {size:.2f} GiB, {rows} rows; load+check {checked - started:.1f} s, 1 epoch {seconds:.1f} s, "
          f"loss {history['loss'][0]:.4f}")
    print(f"RSS before {baseline_rss:.0f} MB; highest RSS while loading and training {peak:.0f} MB "
          f"(+{peak - baseline_rss:.0f} MB); ru_maxrss before {baseline_peak:.0f} MB, after {_peak_mb():.0f} MB")
    if not args.keep:
        os.remove(x_path)
        os.remove(y_path)


if __name__ == "__main__":
    main()
