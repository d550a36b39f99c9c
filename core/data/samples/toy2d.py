"""Two-dimensional classification sets in the spirit of TensorFlow Playground, generated with a seed.

Every generator returns ``(x, y)``: points ``(n, 2)`` in float32 roughly within ``[-1, 1]`` and integer labels.
``noise`` is the standard deviation of gaussian jitter added to the points, in the same units.
"""

from __future__ import annotations

import numpy as np


def xor(n: int = 400, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants: label 1 where the signs of the two coordinates differ."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    margin = 0.05
    x += np.sign(x) * margin  # keep points off the axes so the classes stay separable without noise
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return _jitter(x, noise, rng), y


def circles(n: int = 400, noise: float = 0.05, factor: float = 0.5, seed: int = 0):
    """A ring around a disc: class 0 on the outer circle (radius 1), class 1 on the inner (radius ``factor``)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, factor)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return _jitter(x, noise, rng), y.astype(np.int64)


def moons(n: int = 400, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles, scaled into about ``[-1, 1]``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower)
    x = (x - [0.5, 0.25]) / 1.5
    return _jitter(x, noise, rng), y.astype(np.int64)


def spirals(n: int = 400, noise: float = 0.03, arms: int = 2, turns: float = 1.0, seed: int = 0):
    """``arms`` interleaved spiral arms, one class per arm, each turning ``turns`` times around the centre."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % arms
    t = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * (turns * t + y / arms)
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return _jitter(x, noise, rng), y.astype(np.int64)


def blobs(n: int = 400, noise: float = 0.15, centers: int = 3, seed: int = 0):
    """``centers`` gaussian clusters evenly spaced on a circle of radius 0.6; ``noise`` is their spread."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % centers
    angle = 2 * np.pi * np.arange(centers) / centers + 0.3
    means = 0.6 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x = means[y] + rng.normal(0.0, 1.0, (n, 2)) * max(noise, 1e-3)
    return x.astype(np.float32), y.astype(np.int64)


def _jitter(x: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return (x + rng.normal(0.0, 1.0, x.shape) * noise).astype(np.float32)
