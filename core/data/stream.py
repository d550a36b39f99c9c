"""Training from data that does not fit in memory (a memory-mapped ``.npy`` file, an HDF5 dataset).

The Trainer checks and converts its whole input up front, which would read such a source entirely. Until it
reads batches from lazy sources itself, ``fit_streaming`` feeds it one chunk of shuffled rows at a time: each
epoch draws a fresh permutation, reads it chunk by chunk (sorted reads, a few tens of MB each) and trains on each
chunk with shuffled mini-batches. Memory stays near one chunk however large the file is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.dataset import Dataset
from core.data.sources import take

CHUNK_BYTES = 32 * 2**20


def fit_streaming(model: Any, data: Dataset, epochs: int = 1, batch_size: int = 32, seed: int | None = 0,
                  chunk_rows: int | None = None) -> dict[str, list[float]]:
    """Train a compiled model on ``data`` a chunk at a time; returns per-epoch means of the training logs."""
    n = len(data)
    row_bytes = max(1, int(np.prod(data.input_shape)) * 4)
    rows = chunk_rows or max(batch_size, (CHUNK_BYTES // row_bytes) // batch_size * batch_size)
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {}
    for _ in range(epochs):
        order = rng.permutation(n)
        totals: dict[str, float] = {}
        for start in range(0, n, rows):
            idx = order[start:start + rows]
            x, y = take(data.x, idx), take(data.y, idx)
            logs = model.fit(x, y, epochs=1, batch_size=batch_size, shuffle=True, verbose=0).history
            for key, values in logs.items():
                totals[key] = totals.get(key, 0.0) + values[-1] * len(idx)
            del x, y
        for key, total in totals.items():
            history.setdefault(key, []).append(total / n)
    return history
