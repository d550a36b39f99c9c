"""Reshaping layers: Permute, RepeatVector, Cropping2D, ZeroPadding2D (Flatten and Reshape live in core.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.formatting import format_shape as _fmt
from core.layers.base import Layer, Shape
from core.layers.registry import Param, register


class SidesParam(Param):
    """Rows and columns per side of an image, accepted in Keras's three forms and stored as
    ``(top, bottom, left, right)``.

    Keras takes an int (the same on every side), a pair ``(rows, columns)`` (symmetric) or
    ``((top, bottom), (left, right))``. The flat 4-tuple is also accepted, so an edited config validates again;
    layers using it give Keras's nested form back from ``get_config``.
    """

    def describe(self) -> str:
        return ("an integer, a pair (rows, columns) or ((top, bottom), (left, right)) of integers ≥ 0")

    def _check_ints(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]  # "2" typed in a tuple field
        if isinstance(value, (list, tuple)) and len(value) == 2:
            if all(isinstance(v, (list, tuple)) for v in value):
                if any(len(v) != 2 for v in value):
                    raise ValueError
                value = (*value[0], *value[1])
            else:
                value = (value[0], value[0], value[1], value[1])
        return super()._check_ints(value)


class DimsParam(Param):
    """Permute's ``dims``: a permutation of ``1..n`` (axes numbered from 1, without the batch axis)."""

    def describe(self) -> str:
        return "a permutation of 1..n listing every axis number once (1 = first axis after the batch), e.g. (2, 1)"

    def _check_shape(self, value: Any) -> tuple[int, ...]:
        dims = super()._check_shape(value)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError
        return dims


def sides_param(name: str, default: Any, what: str) -> SidesParam:
    return SidesParam(name, "ints", default, what, min=0, max=100_000, length=4)


def nested_sides(sides: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(top, bottom, left, right)`` → Keras's ``((top, bottom), (left, right))``."""
    top, bottom, left, right = sides
    return (top, bottom), (left, right)


@register
class Permute(Layer):
    """Reorders the axes of each sample; ``dims`` are 1-based and exclude the batch axis, as in Keras.
    ``(None, 10, 64)`` with ``dims=(2, 1)`` → ``(None, 64, 10)``.

    Useful to swap time and features of a sequence, or to move channels of an image.
    """

    category = "Reshaping"
    params = (DimsParam("dims", "shape", (2, 1), "new order of the axes, numbered from 1 without the batch axis: "
                                             "(2, 1) swaps the two axes of a sequence"),)

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        dims = self.config["dims"]
        if len(dims) != len(shape):
            raise self.shape_error(
                f"dims {tuple(dims)} orders {len(dims)} axes but the input {_fmt(shape)} has {len(shape)} per "
                f"sample: give a permutation of 1..{len(shape)}, e.g. {tuple(range(len(shape), 0, -1))}")
        return tuple(shape[d - 1] for d in dims)

    def forward(self, ctx, inputs, weights):
        axes = (0,) + tuple(self.config["dims"])
        return ctx.k.permute_axes(inputs[0], axes), axes

    def backward(self, ctx, dout, axes, weights, need_dx):
        return [ctx.k.permute_axes(dout, tuple(int(a) for a in np.argsort(axes)))], []

    @classmethod
    def examples(cls):
        return [({"dims": (2, 1)}, [(3, 4)]), ({"dims": (3, 1, 2)}, [(2, 3, 4)])]


@register
class RepeatVector(Layer):
    """Repeats each input vector ``n`` times: ``(None, features)`` → ``(None, n, features)``.

    The usual bridge from an encoder's summary vector to a sequence decoder.
    """

    category = "Reshaping"
    params = (Param("n", "int", 1, "number of repetitions (the new time axis)", min=1, max=1_000_000),)

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        if len(shape) != 1:
            raise self.shape_error(f"expects a flat input (None, features) but gets {_fmt(shape)}: add a Flatten "
                                   f"(or a recurrent layer with return_sequences=False) before it")
        return (self.config["n"], shape[0])

    def forward(self, ctx, inputs, weights):
        return ctx.k.repeat_vector(inputs[0], self.config["n"]), None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [ctx.k.repeat_vector_backward(dout)], []

    @classmethod
    def examples(cls):
        return [({"n": 3}, [(4,)])]


class _SidesLayer(Layer):
    """Shared parts of Cropping2D and ZeroPadding2D: the sides parameter and the image-rank check."""

    category = "Reshaping"
    sides_key = ""

    def get_config(self):
        return {**self.config, self.sides_key: nested_sides(self.config[self.sides_key])}

    def keras_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The Keras file entry's config with the sides in Keras's nested form (core.io calls this)."""
        return {**config, self.sides_key: [list(pair) for pair in nested_sides(self.config[self.sides_key])]}

    def image_shape(self, input_shapes) -> Shape:
        shape = input_shapes[0]
        if len(shape) != 3:
            raise self.shape_error(f"expects images (height, width, channels) but gets {_fmt(shape)}: use it after "
                                   f"an image Input or a Conv2D layer, or Reshape the data to (H, W, C) first")
        return shape


@register
class Cropping2D(_SidesLayer):
    """Removes rows and columns at the edges of each image: ``(None, H, W, C)`` →
    ``(None, H - top - bottom, W - left - right, C)``.

    ``cropping`` is an int (every side), ``(rows, columns)`` (symmetric) or ``((top, bottom), (left, right))``.
    """

    sides_key = "cropping"
    params = (sides_param("cropping", ((0, 0), (0, 0)), "rows and columns to remove: an int, (rows, columns) or "
                                                        "((top, bottom), (left, right))"),)

    def output_shape(self, input_shapes):
        h, w, c = self.image_shape(input_shapes)
        top, bottom, left, right = self.config["cropping"]
        if top + bottom >= h:
            raise self.shape_error(f"cropping {top} + {bottom} rows from an image {h} rows high leaves nothing: "
                                   f"crop at most {h - 1} rows in total (top + bottom)")
        if left + right >= w:
            raise self.shape_error(f"cropping {left} + {right} columns from an image {w} columns wide leaves "
                                   f"nothing: crop at most {w - 1} columns in total (left + right)")
        return (h - top - bottom, w - left - right, c)

    def forward(self, ctx, inputs, weights):
        return ctx.k.crop_2d(inputs[0], self.config["cropping"]), None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [ctx.k.zero_pad_2d(dout, self.config["cropping"])], []

    @classmethod
    def examples(cls):
        return [({"cropping": ((1, 0), (2, 1))}, [(5, 6, 2)]), ({"cropping": 1}, [(4, 4, 1)])]


@register
class ZeroPadding2D(_SidesLayer):
    """Adds rows and columns of zeros around each image: ``(None, H, W, C)`` →
    ``(None, H + top + bottom, W + left + right, C)``.

    ``padding`` is an int (every side), ``(rows, columns)`` (symmetric) or ``((top, bottom), (left, right))``.
    """

    sides_key = "padding"
    params = (sides_param("padding", (1, 1), "rows and columns of zeros to add: an int, (rows, columns) or "
                                             "((top, bottom), (left, right))"),)

    def output_shape(self, input_shapes):
        h, w, c = self.image_shape(input_shapes)
        top, bottom, left, right = self.config["padding"]
        return (h + top + bottom, w + left + right, c)

    def forward(self, ctx, inputs, weights):
        return ctx.k.zero_pad_2d(inputs[0], self.config["padding"]), None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [ctx.k.crop_2d(dout, self.config["padding"])], []

    @classmethod
    def examples(cls):
        return [({"padding": ((1, 0), (2, 1))}, [(5, 6, 2)]), ({}, [(3, 3, 1)])]
