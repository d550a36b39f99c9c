"""Arrays as pictures for the evaluation views: a sample image as a pixmap, a map of any range in heat colours,
and a stack of feature maps tiled into one grid."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def image_pixmap(image: np.ndarray, side: int = 56) -> QPixmap:
    """A grey or colour image ``(h, w[, c])`` of any range as a pixmap, scaled to ``side`` pixels."""
    a = np.nan_to_num(np.asarray(image, dtype=np.float64))
    a = a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a
    a = a.mean(axis=-1) if a.ndim == 3 and a.shape[-1] < 3 else a  # two channels: their mean, in grey
    a = (a - a.min()) / max(float(np.ptp(a)), 1e-12) * 255
    data = np.ascontiguousarray(a.astype(np.uint8))
    h, w = data.shape[:2]
    if data.ndim == 2:
        qimage = QImage(data.data, w, h, w, QImage.Format_Grayscale8)
    else:
        data = np.ascontiguousarray(data[..., :3])
        qimage = QImage(data.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(qimage.copy()).scaled(side, side, Qt.KeepAspectRatio, Qt.FastTransformation)


def unit_range(a: np.ndarray) -> np.ndarray:
    """``a`` scaled to [0, 1] (NaN and infinities as 0; a constant array as 0)."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return (a - a.min()) / max(float(np.ptp(a)), 1e-12) if a.size else a


def heat_rgb(a: np.ndarray) -> np.ndarray:
    """A 2-D map of any range in heat colours ``(h, w, 3)`` uint8: black, red, yellow, white as it rises."""
    t = unit_range(a)[..., None]
    stops = np.array([(0, 0, 0), (200, 30, 20), (250, 200, 40), (255, 255, 255)], float)
    pos = np.clip(t * 3, 0, 3 - 1e-9)
    low = pos.astype(int)[..., 0]
    frac = pos - low[..., None]
    return np.rint(stops[low] * (1 - frac) + stops[low + 1] * frac).astype(np.uint8)


def overlay_rgb(image: np.ndarray, heat: np.ndarray, share: float = 0.5) -> np.ndarray:
    """The grey of ``image`` ``(h, w[, c])`` under ``heat`` (a map of its height and width), blended."""
    grey = unit_range(np.asarray(image, float).mean(axis=-1) if np.ndim(image) == 3 else image)
    return ((1 - share) * 255 * grey[..., None] + share * heat_rgb(heat)).astype(np.uint8)


def feature_grid(maps: np.ndarray, gap: int = 1) -> np.ndarray:
    """Feature maps ``(H, W, C)`` tiled into one 2-D array, each scaled to [0, 1] on its own, columns first,
    with ``gap`` pixels of NaN between them (drawn empty)."""
    h, w, c = maps.shape
    cols = max(1, math.ceil(math.sqrt(c)))
    rows = max(1, math.ceil(c / cols))
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for k in range(c):
        r, q = divmod(k, cols)
        grid[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = unit_range(maps[..., k])
    return grid
