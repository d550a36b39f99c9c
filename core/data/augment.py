"""On-the-fly image augmentation per batch: gaussian noise, flips, rotation, scale, crop and translation.

Every batch gets fresh random transforms from a seeded generator, so a run is repeatable. The geometric work is
done by the augmentation kernels of the engine (``affine_resample`` and ``flip_images`` of the cpu backend), the
same ones the augmentation layers use: rotation, scale, translation and crop are composed into one affine map
per image and resampled once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterator

import numpy as np

from core.data.errors import DataError


@dataclass
class Augmentation:
    """Random transforms and their ranges (0 or False switches one off).

    Attributes:
        noise: standard deviation of gaussian noise added to the pixels.
        flip_horizontal, flip_vertical: mirror half of the images left-right / top-bottom.
        rotation: largest rotation, in degrees either way.
        scale: largest relative size change either way (0.1: 90 % to 110 %).
        translation: largest shift, as a fraction of the image side, either way.
        crop: largest fraction of each side cut away by a random crop that is resized back to full size.
        fill_mode: how pixels from outside the image are read: ``reflect``, ``wrap``, ``nearest``, ``constant``.
    """

    noise: float = 0.0
    flip_horizontal: bool = False
    flip_vertical: bool = False
    rotation: float = 0.0
    scale: float = 0.0
    translation: float = 0.0
    crop: float = 0.0
    fill_mode: str = "reflect"

    def __post_init__(self) -> None:
        for name, high in (("noise", 10.0), ("rotation", 180.0), ("scale", 0.9), ("translation", 1.0),
                           ("crop", 0.9)):
            value = getattr(self, name)
            if not 0.0 <= value <= high:
                raise DataError(f"augmentation {name} must be between 0 and {high}, got {value}")
        if self.fill_mode not in ("reflect", "wrap", "nearest", "constant"):
            raise DataError(f"fill_mode must be 'reflect', 'wrap', 'nearest' or 'constant', got {self.fill_mode!r}")

    @property
    def geometric(self) -> bool:
        return bool(self.rotation or self.scale or self.translation or self.crop)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A randomly transformed copy of a batch of images ``(n, height, width, channels)``."""
        from core.kernels import get_backend
        x = np.asarray(images)
        if x.ndim != 4:
            raise DataError(f"augmentation works on image batches (n, height, width, channels), got shape {x.shape}: "
                            "reshape grey images to (n, height, width, 1)")
        x = x.astype(np.float32, copy=False)
        k = get_backend("cpu")
        n, h, w, _ = x.shape
        if self.flip_horizontal or self.flip_vertical:
            x = k.flip_images(x, (rng.random(n) < 0.5) & self.flip_horizontal,
                              (rng.random(n) < 0.5) & self.flip_vertical)
        if self.geometric:
            x = k.affine_resample(x, self.matrices(rng, n, h, w), h, w, "bilinear", self.fill_mode, 0.0)
        if self.noise:
            x = x + rng.normal(0.0, self.noise, x.shape).astype(np.float32)
        return x

    def matrices(self, rng: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
        """Per-image 2×3 maps from an output pixel ``(column, row)`` to the input point it reads."""
        angle = np.deg2rad(rng.uniform(-self.rotation, self.rotation, n))
        zoom = rng.uniform(1.0 - self.scale, 1.0 + self.scale, n)
        shift = rng.uniform(-self.translation, self.translation, (n, 2)) * [w, h]
        keep = rng.uniform(1.0 - self.crop, 1.0, n)
        corner = rng.uniform(0.0, 1.0, (n, 2)) * (1.0 - keep[:, None]) * [w - 1, h - 1]
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        out = np.zeros((n, 2, 3))
        cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
        # crop: p = keep·out + corner; then undo "rotate and scale about the centre, then shift": in = A(p - c - t) + c
        a = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], 1)  # (n, 2, 2) = R(-angle) / zoom
        out[:, :, :2] = a * keep[:, None, None]
        offset = corner - [cx, cy] - shift
        out[:, :, 2] = np.einsum("nij,nj->ni", a, offset) + [cx, cy]
        return out


def augmented_batches(data: Any, augmentation: Augmentation, batch_size: int = 32, seed: int | None = 0,
                      shuffle: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A Dataset's batches with fresh random augmentation applied to each input batch."""
    rng = np.random.default_rng(seed)
    for x, y in data.batches(batch_size, shuffle=shuffle, seed=seed):
        yield augmentation(x, rng), y


def preview_grid(image: np.ndarray, augmentation: Augmentation, rows: int = 3, cols: int = 3,
                 seed: int | None = 0) -> np.ndarray:
    """One image ``(h, w, c)`` and ``rows·cols - 1`` augmented versions of it tiled into one picture
    ``(rows·h, cols·w, c)``, the original top left, for previewing the settings."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3:
        raise DataError(f"preview_grid takes one image (height, width, channels), got shape {image.shape}")
    copies = augmentation(np.repeat(image[None], rows * cols - 1, axis=0), np.random.default_rng(seed))
    tiles = np.concatenate([image[None], copies])
    h, w, c = image.shape
    return tiles.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
