"""Image sets: the UCI handwritten digits (8×8, shipped in ``data/digits.npz`` beside this module) and synthetic
28×28 shapes.

Images are channels-last float32 in ``[0, 1]``: ``(n, height, width, 1)``.
"""

from __future__ import annotations

import numpy as np

from core.data.errors import DataError
from core.data.samples.files import sample_path

SHAPES = ("circle", "square", "triangle", "cross")


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 UCI digits, 8×8 pixels with 17 grey levels (0..16), scaled to ``[0, 1]``."""
    path = sample_path("digits.npz")
    try:
        with np.load(path) as data:
            images, labels = data["images"], data["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"cannot read the digits sample {path} ({exc}): restore samples/digits.npz "
                        "from the repository") from exc
    return (images.astype(np.float32) / 16.0)[..., None], labels.astype(np.int64)


def shapes(n: int = 2000, size: int = 28, noise: float = 0.1, min_scale: float = 0.25, max_scale: float = 0.45,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Filled circles, squares, triangles and crosses at random position, size and rotation, plus noise.

    Args:
        n: number of images (classes take turns, so they are balanced).
        size: image side in pixels.
        noise: standard deviation of gaussian pixel noise (the result is clipped to ``[0, 1]``).
        min_scale, max_scale: range of the shape's radius as a fraction of the image side.
        seed: random seed.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(SHAPES)
    radius = rng.uniform(min_scale, max_scale, n) * size / 2 * 1.6
    margin = radius * 0.9
    cx = rng.uniform(margin, size - margin)
    cy = rng.uniform(margin, size - margin)
    theta = rng.uniform(0.0, 2 * np.pi, n)
    grid = np.arange(size) + 0.5
    dx = grid[None, None, :] - cx[:, None, None]
    dy = grid[None, :, None] - cy[:, None, None]
    c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    u, v = (c * dx + s * dy) / radius[:, None, None], (-s * dx + c * dy) / radius[:, None, None]
    images = np.zeros((n, size, size), dtype=np.float64)
    for label, fn in enumerate((_circle, _square, _triangle, _cross)):
        pick = y == label
        images[pick] = fn(u[pick], v[pick])
    images += rng.normal(0.0, 1.0, images.shape) * noise
    return np.clip(images, 0.0, 1.0).astype(np.float32)[..., None], y.astype(np.int64)


def _circle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (u * u + v * v <= 1.0).astype(np.float64)


def _square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (np.maximum(np.abs(u), np.abs(v)) <= 0.75).astype(np.float64)


def _triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    inside = np.ones(u.shape, dtype=bool)
    for angle in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3):
        inside &= u * np.cos(angle) + v * np.sin(angle) <= 0.5
    return inside.astype(np.float64)


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    au, av = np.abs(u), np.abs(v)
    return (((au <= 0.25) & (av <= 1.0)) | ((av <= 0.25) & (au <= 1.0))).astype(np.float64)
