"""Image augmentation layers (Keras's preprocessing layers): RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomCrop; and :func:`augment_batch` / :func:`augment_preview`, which run the same layers
on data outside a network (on-the-fly augmentation in the dataset pipeline, the preview grid).

The layers change images only while training (``ctx.training``) and pass them through at inference; RandomCrop
is the exception, since its output size differs (see its doc). Random parameters are drawn per sample from
``ctx.rng``, so a seeded generator gives the same augmentation every time. For fixed parameters each layer is a
linear map of its input, so its backward is the transposed map (computed by the augmentation kernels).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from core.errors import ConfigError, ShapeError
from core.formatting import format_shape as _fmt
from core.layers import registry
from core.layers.base import Context, Layer, Shape
from core.layers.registry import Param, register

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


class FactorParam(Param):
    """A Keras factor: a number ``f`` meaning the range ``(-|f|, |f|)``, or a pair ``(lower, upper)``.

    Stored as given — a float, or a sorted ``(lower, upper)`` tuple of floats — so that the config reads back
    as Keras wrote it; :func:`factor_range` gives the range.
    """

    def describe(self) -> str:
        text = (f"a number f (the range -f..f) or a pair (lower, upper), each between {self.min:g} and "
                f"{self.max:g}")
        return text + (" or None" if self.nullable else "")

    def _check_float(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError
            return tuple(sorted(Param._check_float(self, v) for v in value))
        return Param._check_float(self, value)


def factor_range(value: float | tuple[float, float]) -> tuple[float, float]:
    """``(lower, upper)`` of a factor: a pair as it is, a number ``f`` as ``(-|f|, |f|)``."""
    if isinstance(value, tuple):
        return value
    return -abs(value), abs(value)


def _seed_param() -> Param:
    return Param("seed", "int", None, "random seed of this layer (None: derived from the model's seed)",
                 min=0, nullable=True)


def _resample_params() -> tuple[Param, ...]:
    return (Param("fill_mode", "choice", "reflect", "how points outside the image are filled: reflect, wrap, "
                                                    "constant (fill_value) or nearest edge pixel", choices=FILL_MODES),
            Param("interpolation", "choice", "bilinear", "how the image is read between pixels",
                  choices=INTERPOLATIONS),
            _seed_param(),
            Param("fill_value", "float", 0.0, "value outside the image when fill_mode is 'constant'"))


# -- per-sample 2×3 matrices: output pixel (x, y, 1) -> input point (Keras's affine_transform convention) ------
def rotation_matrices(angles: np.ndarray, h: int, w: int) -> np.ndarray:
    """Rotations by ``angles`` (radians, counter-clockwise) about the image centre, ``(N, 2, 3)``."""
    c, s = np.cos(angles), np.sin(angles)
    x_off = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2
    y_off = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2
    return np.stack([np.stack([c, -s, x_off], -1), np.stack([s, c, y_off], -1)], 1)


def zoom_matrices(zx: np.ndarray, zy: np.ndarray, h: int, w: int) -> np.ndarray:
    """Scalings about the image centre; a factor above 1 reads a larger area, so zooms out. ``(N, 2, 3)``."""
    zeros = np.zeros_like(zx)
    return np.stack([np.stack([zx, zeros, (w - 1) / 2 * (1 - zx)], -1),
                     np.stack([zeros, zy, (h - 1) / 2 * (1 - zy)], -1)], 1)


def translation_matrices(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Shifts of the content by ``dx`` pixels right and ``dy`` pixels down, ``(N, 2, 3)``."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([np.stack([ones, zeros, -dx], -1), np.stack([zeros, ones, -dy], -1)], 1)


def resize_matrices(n: int, in_hw: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resizing from ``in_hw`` to ``out_hw`` with half-pixel centres (as ``tf.image.resize``)."""
    sy, sx = in_hw[0] / out_hw[0], in_hw[1] / out_hw[1]
    m = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
    return np.repeat(m[None], n, axis=0)


class _ImageAugmentation(Layer):
    """Shared parts: the image-rank check, identity at inference, backward through the cached parameters."""

    category = "Augmentation"

    def output_shape(self, input_shapes):
        return self.image_shape(input_shapes)

    def image_shape(self, input_shapes) -> Shape:
        shape = input_shapes[0]
        if len(shape) != 3:
            raise self.shape_error(
                f"expects images (height, width, channels) but gets {_fmt(shape)}: put it right after an image "
                f"Input, or Reshape flat data to (height, width, channels) first, e.g. (28, 28, 1)")
        return shape

    def forward(self, ctx, inputs, weights):
        if not ctx.training:
            return inputs[0], None
        return self.augment(ctx, inputs[0])

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [dout if cache is None else self.augment_backward(ctx, dout, cache)], []

    def augment(self, ctx: Context, x: np.ndarray) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def augment_backward(self, ctx: Context, dout: np.ndarray, cache: Any) -> np.ndarray:
        raise NotImplementedError


@register
class RandomFlip(_ImageAugmentation):
    """While training, mirrors each image left-right and/or top-bottom with probability 1/2 each; passes images
    through at inference. Output shape = input shape ``(None, H, W, C)``.

    ``mode`` is 'horizontal' (left-right), 'vertical' (top-bottom) or 'horizontal_and_vertical'.
    """

    params = (Param("mode", "choice", "horizontal_and_vertical", "which flips may happen",
                    choices=("horizontal_and_vertical", "horizontal", "vertical")),
              _seed_param())

    def augment(self, ctx, x):
        n, mode = x.shape[0], self.config["mode"]
        flip_h = ctx.rng.random(n) < 0.5 if "horizontal" in mode else np.zeros(n, bool)
        flip_v = ctx.rng.random(n) < 0.5 if "vertical" in mode else np.zeros(n, bool)
        return ctx.k.flip_images(x, flip_h, flip_v), (flip_h, flip_v)

    def augment_backward(self, ctx, dout, flips):
        return ctx.k.flip_images(dout, *flips)

    @classmethod
    def examples(cls):
        return [({"mode": m}, [(5, 6, 2)]) for m in ("horizontal_and_vertical", "horizontal", "vertical")]


class _AffineAugmentation(_ImageAugmentation):
    """A layer that resamples each image through a random per-sample affine map (see ``matrices``)."""

    def matrices(self, rng: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
        raise NotImplementedError

    def augment(self, ctx, x):
        n, h, w, _ = x.shape
        m = self.matrices(ctx.rng, n, h, w)
        c = self.config
        return ctx.k.affine_resample(x, m, h, w, c["interpolation"], c["fill_mode"], c["fill_value"]), m

    def augment_backward(self, ctx, dout, m):
        c = self.config
        return ctx.k.affine_resample_backward(dout, m, dout.shape[1], dout.shape[2], c["interpolation"],
                                              c["fill_mode"])


@register
class RandomRotation(_AffineAugmentation):
    """While training, rotates each image about its centre by a random angle; passes images through at
    inference. Output shape = input shape ``(None, H, W, C)``.

    ``factor`` is a fraction of a full turn (2π): 0.1 draws angles in ±36°, ``(-0.1, 0.25)`` in −36°..90°.
    Positive angles turn counter-clockwise. Points from outside the image follow ``fill_mode``.
    """

    params = (FactorParam("factor", "float", 0.1, "rotation range as a fraction of a full turn: f means -f..f",
                          min=-1.0, max=1.0),) + _resample_params()

    def matrices(self, rng, n, h, w):
        lo, hi = factor_range(self.config["factor"])
        return rotation_matrices(rng.uniform(lo, hi, n) * 2 * math.pi, h, w)

    @classmethod
    def examples(cls):
        return [({"factor": 0.2}, [(5, 6, 2)]),
                ({"factor": (-0.1, 0.3), "fill_mode": "constant", "fill_value": 0.5, "interpolation": "nearest"},
                 [(5, 6, 2)]),
                ({"factor": 0.5, "fill_mode": "wrap"}, [(4, 4, 1)]),
                ({"factor": 0.5, "fill_mode": "nearest"}, [(4, 5, 1)])]


@register
class RandomZoom(_AffineAugmentation):
    """While training, zooms each image in or out about its centre by a random amount; passes images through
    at inference. Output shape = input shape ``(None, H, W, C)``.

    Factors are fractions: 0.2 draws a zoom of −20%..+20%; positive values zoom out (the image shrinks), negative
    values zoom in. ``width_factor=None`` zooms both axes by the same amount, keeping the aspect ratio.
    """

    params = (FactorParam("height_factor", "float", 0.1, "vertical zoom range: positive zooms out, negative in",
                          min=-1.0, max=1.0),
              FactorParam("width_factor", "float", None, "horizontal zoom range (None: same zoom as the height)",
                          min=-1.0, max=1.0, nullable=True)) + _resample_params()

    def matrices(self, rng, n, h, w):
        lo, hi = factor_range(self.config["height_factor"])
        zy = 1.0 + rng.uniform(lo, hi, n)
        if self.config["width_factor"] is None:
            zx = zy
        else:
            lo, hi = factor_range(self.config["width_factor"])
            zx = 1.0 + rng.uniform(lo, hi, n)
        return zoom_matrices(zx, zy, h, w)

    @classmethod
    def examples(cls):
        return [({"height_factor": 0.3}, [(5, 6, 2)]),
                ({"height_factor": (-0.4, 0.2), "width_factor": 0.5, "fill_mode": "constant", "fill_value": -1.0},
                 [(5, 6, 2)]),
                ({"height_factor": 0.3, "width_factor": (0.1, 0.6), "interpolation": "nearest",
                  "fill_mode": "nearest"}, [(6, 5, 1)])]


@register
class RandomTranslation(_AffineAugmentation):
    """While training, shifts each image by a random fraction of its height and width; passes images through at
    inference. Output shape = input shape ``(None, H, W, C)``.

    ``height_factor=0.2`` shifts up or down by up to 20% of the height; ``(-0.1, 0.3)`` from 10% up to 30% down.
    ``width_factor`` likewise (negative: left, positive: right). Uncovered pixels follow ``fill_mode``.
    """

    params = (FactorParam("height_factor", "float", 0.1, "vertical shift range as a fraction of the height "
                                                         "(negative: up, positive: down)", min=-1.0, max=1.0),
              FactorParam("width_factor", "float", 0.1, "horizontal shift range as a fraction of the width "
                                                        "(negative: left, positive: right)", min=-1.0, max=1.0),
              ) + _resample_params()

    def matrices(self, rng, n, h, w):
        lo, hi = factor_range(self.config["height_factor"])
        dy = rng.uniform(lo, hi, n) * h
        lo, hi = factor_range(self.config["width_factor"])
        dx = rng.uniform(lo, hi, n) * w
        return translation_matrices(dx, dy)

    @classmethod
    def examples(cls):
        return [({"height_factor": 0.3, "width_factor": 0.2}, [(5, 6, 2)]),
                ({"height_factor": (-0.5, 0.1), "width_factor": 0.4, "fill_mode": "constant", "fill_value": 0.3,
                  "interpolation": "nearest"}, [(5, 6, 2)])]


@register
class RandomCrop(_ImageAugmentation):
    """While training, cuts a random ``height`` × ``width`` window out of each image. ``(None, H, W, C)`` →
    ``(None, height, width, C)``.

    At inference — and in training when the image is smaller than the window — it takes the largest centred
    window with the target aspect ratio and resizes it bilinearly to ``height`` × ``width``, as Keras documents;
    an image already of the target size passes through unchanged. Unlike Keras, which uses one crop position
    for the whole batch, each image gets its own position.
    """

    params = (Param("height", "int", 24, "height of the output window", min=1, max=100_000),
              Param("width", "int", 24, "width of the output window", min=1, max=100_000),
              _seed_param())

    def output_shape(self, input_shapes):
        return (self.config["height"], self.config["width"], self.image_shape(input_shapes)[2])

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        n, h, w, _ = x.shape
        th, tw = self.config["height"], self.config["width"]
        if ctx.training and h >= th and w >= tw:
            tops, lefts = ctx.rng.integers(0, h - th + 1, n), ctx.rng.integers(0, w - tw + 1, n)
            return ctx.k.crop_images(x, tops, lefts, th, tw), [("crop", tops, lefts, h, w)]
        return self._center_resize(ctx, x)

    def _center_resize(self, ctx, x):
        n, h, w, _ = x.shape
        th, tw = self.config["height"], self.config["width"]
        ch, cw = max(min(h, int(w * th / tw)), 1), max(min(w, int(h * tw / th)), 1)
        steps = []
        if (ch, cw) != (h, w):
            tops, lefts = np.full(n, (h - ch) // 2), np.full(n, (w - cw) // 2)
            x = ctx.k.crop_images(x, tops, lefts, ch, cw)
            steps.append(("crop", tops, lefts, h, w))
        if (ch, cw) != (th, tw):
            m = resize_matrices(n, (ch, cw), (th, tw))
            x = ctx.k.affine_resample(x, m, th, tw, "bilinear", "nearest", 0.0)
            steps.append(("resize", m, ch, cw))
        return x, steps

    def backward(self, ctx, dout, steps, weights, need_dx):
        for step in reversed(steps):
            if step[0] == "crop":
                dout = ctx.k.crop_images_backward(dout, *step[1:])
            else:
                dout = ctx.k.affine_resample_backward(dout, step[1], step[2], step[3], "bilinear", "nearest")
        return [dout], []

    @classmethod
    def examples(cls):
        return [({"height": 3, "width": 4}, [(5, 6, 2)]), ({"height": 6, "width": 7}, [(5, 6, 2)]),
                ({"height": 4, "width": 2}, [(5, 6, 1)])]


# -- augmentation outside a network ------------------------------------------------------------------------------
def _as_layer(item: Any) -> Layer:
    """A layer from a Layer, a type name, ``(type_name, config)`` or a Keras ``{"class_name", "config"}`` dict."""
    if isinstance(item, Layer):
        return item
    if isinstance(item, str):
        return registry.get(item).from_config({})
    if isinstance(item, dict) and "class_name" in item:
        item = (item["class_name"], item.get("config", {}))
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
        config = {k: v for k, v in dict(item[1]).items() if k not in ("name", "trainable", "dtype")}
        return registry.get(item[0]).from_config(config)
    raise ConfigError(f"cannot make an augmentation layer from {item!r}: give a layer such as RandomFlip(), a "
                      f"type name, a (type name, config) pair or a Keras {{'class_name', 'config'}} dict")


def augment_batch(images: np.ndarray, layers_or_configs: Sequence[Any], rng: np.random.Generator,
                  backend: str = "cpu") -> np.ndarray:
    """Apply augmentation layers, in training mode, to a batch of images ``(N, H, W, C)``.

    Used by the dataset pipeline for on-the-fly augmentation; each image gets its own random parameters from
    ``rng``. Only layers without weights are allowed (any of this module's, GaussianNoise, ...).
    """
    from core.kernels import get_backend

    layers = [_as_layer(item) for item in layers_or_configs]
    x = np.asarray(images)
    x = x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)
    ctx = Context(k=get_backend(backend), rng=rng, training=True)
    shape = tuple(x.shape[1:])
    for layer in layers:
        if layer.weight_specs([shape]):
            raise ConfigError(f"{layer.type_name} has weights, so it cannot augment data; use layers such as "
                              f"RandomFlip, RandomRotation, RandomZoom, RandomCrop or RandomTranslation")
        shape = layer.output_shape([shape])
        x, _ = layer.forward(ctx, [x], [])
    return x


def augment_preview(image: np.ndarray, layers_or_configs: Sequence[Any], n: int = 9, seed: int = 0,
                    backend: str = "cpu") -> np.ndarray:
    """``n`` augmented versions of one image ``(H, W)`` or ``(H, W, C)``, stacked on a new first axis.

    The same ``seed`` gives the same versions, so a preview grid stays still while the user looks at it.
    """
    img = np.asarray(image)
    if img.ndim not in (2, 3):
        raise ShapeError(f"augment_preview: expects one image (height, width) or (height, width, channels), got "
                         f"shape {img.shape}: pass a single image, e.g. images[0]")
    batch = np.repeat((img[..., None] if img.ndim == 2 else img)[None], n, axis=0)
    out = augment_batch(batch, layers_or_configs, np.random.default_rng(seed), backend)
    return out[..., 0] if img.ndim == 2 else out
