"""Merge layers: combine the outputs of several layers into one. Add, Subtract, Multiply, Average and Maximum
work element-wise on inputs of one shape; Concatenate joins inputs along an axis.

They make branching networks possible: ResNet's skip connections (``Add``), Inception's parallel branches
(``Concatenate``), gates (``Multiply``). Shape checks explain a mismatch and suggest the layer that fixes it.
"""

from __future__ import annotations

from core.formatting import format_shape as _fmt
from core.layers.base import Layer, Shape
from core.layers.registry import Param, register

MANY = 10_000  # no practical limit on the number of merged inputs


def _list_shapes(shapes: list[Shape]) -> str:
    texts = [_fmt(s) for s in shapes]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _same_shape_fix(shapes: list[Shape]) -> str:
    """How to make element-wise merge inputs agree, judged from how their shapes differ."""
    if len({len(s) for s in shapes}) > 1:
        return "the inputs differ in rank: Flatten or Reshape them to one shape before merging"
    distinct = sorted(set(shapes), key=lambda s: (s[:-1], s[-1]))
    if len({s[:-1] for s in distinct}) == 1:
        wide = max(s[-1] for s in distinct)
        narrow = "/".join(str(s[-1]) for s in distinct if s[-1] != wide)
        rank = len(distinct[0])
        if rank == 3:
            return (f"add a 1×1 Conv2D with {wide} filters on the shortcut (the input with {narrow} channels) "
                    f"so that every input has {wide} channels")
        if rank == 2:
            return (f"add a Dense({wide}) (or a Conv1D with kernel_size 1 and {wide} filters) on the input "
                    f"with {narrow} features")
        return f"add a Dense({wide}) on the input with {narrow} features"
    if len(distinct) == 2 and len(distinct[0]) == 3:
        small, big = distinct
        if all(b % s == 0 for s, b in zip(small[:2], big[:2])):
            stride = (big[0] // small[0], big[1] // small[1])
            return (f"give the shortcut (the input of shape {_fmt(big)}) a 1×1 Conv2D with {small[-1]} filters "
                    f"and strides {stride} so that it becomes {_fmt(small)}")
    return ("make the shapes equal with a layer before the merge (Dense, Conv2D, pooling, Reshape), or join the "
            "inputs with Concatenate instead")


class _ElementwiseMerge(Layer):
    """Shared shape check of the element-wise merges: every input has the same shape."""

    category = "Merge"
    params = ()
    min_inputs = 2
    max_inputs = MANY

    def output_shape(self, input_shapes):
        if not self.min_inputs <= len(input_shapes) <= self.max_inputs:
            count = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                     else f"at least {self.min_inputs}")
            raise self.shape_error(f"needs {count} inputs but gets {len(input_shapes)}: connect "
                                   f"{count} layers to it")
        shapes = [tuple(s) for s in input_shapes]
        if any(s != shapes[0] for s in shapes):
            raise self.shape_error(f"needs inputs of the same shape but gets {_list_shapes(shapes)}: "
                                   f"{_same_shape_fix(shapes)}")
        return shapes[0]

    @classmethod
    def examples(cls):
        return [({}, [(4,), (4,)]), ({}, [(2, 3), (2, 3), (2, 3)])]


@register
class Add(_ElementwiseMerge):
    """Element-wise sum of its inputs, which must all have the same shape; output has that shape.

    The skip connection of residual networks: ``Add()([x, shortcut])``. When the branch changes the number of
    channels, give the shortcut a 1×1 Conv2D (a projection) so the shapes match.
    """

    def forward(self, ctx, inputs, weights):
        return ctx.k.merge_add(inputs), len(inputs)

    def backward(self, ctx, dout, n, weights, need_dx):
        return [dout] * n, []


@register
class Subtract(_ElementwiseMerge):
    """Element-wise difference ``inputs[0] - inputs[1]`` of exactly two inputs of the same shape; output has
    that shape."""

    min_inputs = max_inputs = 2

    def forward(self, ctx, inputs, weights):
        return ctx.k.merge_subtract(inputs[0], inputs[1]), None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return list(ctx.k.merge_subtract_backward(dout)), []

    @classmethod
    def examples(cls):
        return [({}, [(4,), (4,)]), ({}, [(2, 2, 3), (2, 2, 3)])]


@register
class Multiply(_ElementwiseMerge):
    """Element-wise product of its inputs, which must all have the same shape; output has that shape.

    Used for gating: a sigmoid branch multiplied with a feature branch lets the network switch features off.
    """

    def forward(self, ctx, inputs, weights):
        return ctx.k.merge_multiply(inputs), inputs

    def backward(self, ctx, dout, inputs, weights, need_dx):
        return list(ctx.k.merge_multiply_backward(inputs, dout)), []


@register
class Average(_ElementwiseMerge):
    """Element-wise mean of its inputs, which must all have the same shape; output has that shape.

    Averages the predictions of several branches (a small ensemble).
    """

    def forward(self, ctx, inputs, weights):
        return ctx.k.merge_average(inputs), len(inputs)

    def backward(self, ctx, dout, n, weights, need_dx):
        return [ctx.k.merge_average_backward(dout, n)] * n, []


@register
class Maximum(_ElementwiseMerge):
    """Element-wise maximum of its inputs, which must all have the same shape; output has that shape.

    The gradient of each element goes to the input that held the maximum (the first one on ties), as in max
    pooling.
    """

    def forward(self, ctx, inputs, weights):
        out, index = ctx.k.merge_maximum(inputs)
        return out, (index, len(inputs))

    def backward(self, ctx, dout, cache, weights, need_dx):
        index, n = cache
        return list(ctx.k.merge_maximum_backward(dout, index, n)), []


@register
class Concatenate(Layer):
    """Joins its inputs along ``axis`` (default -1: the channels). The inputs must agree on every other axis;
    the output's size on ``axis`` is the sum of theirs: ``(None, 8, 8, 16)`` and ``(None, 8, 8, 32)`` →
    ``(None, 8, 8, 48)``.

    Inception-style networks concatenate parallel branches; U-Nets concatenate the encoder's maps to the
    decoder's.
    """

    category = "Merge"
    params = (Param("axis", "int", -1, "the axis to join along, counting the batch axis as 0 (-1: the last)",
                    min=-32, max=32),)
    min_inputs = 2
    max_inputs = MANY

    def _index(self, shapes: list[Shape]) -> int:
        rank = len(shapes[0])
        axis = self.config["axis"]
        index = axis - 1 if axis > 0 else rank + axis
        if axis == 0 or not 0 <= index < rank:
            raise self.shape_error(f"axis={axis} is not an axis of its inputs {_list_shapes(shapes)}: choose one "
                                   f"of 1..{rank} or -1..-{rank} (axis 0 is the batch axis)")
        return index

    def output_shape(self, input_shapes):
        shapes = [tuple(s) for s in input_shapes]
        if len(shapes) < 2:
            raise self.shape_error(f"needs at least 2 inputs but gets {len(shapes)}: connect the layers to join")
        if len({len(s) for s in shapes}) > 1:
            raise self.shape_error(f"needs inputs of the same rank but gets {_list_shapes(shapes)}: Flatten or "
                                   "Reshape them to the same number of axes before joining")
        index = self._index(shapes)
        others = [i for i in range(len(shapes[0])) if i != index and len({s[i] for s in shapes}) > 1]
        if others:
            axes = ", ".join(str(i + 1) for i in others)
            same_on_axis = len({s[index] for s in shapes}) == 1
            hint = (f"join along axis {others[0] + 1} instead (axis={others[0] + 1})"
                    if len(others) == 1 and same_on_axis else "resize the inputs first")
            raise self.shape_error(
                f"joins along axis {self.config['axis']}, so its inputs must agree on every other axis, but "
                f"{_list_shapes(shapes)} differ on axis {axes}: {hint}, or make them agree on axis {axes} with "
                "pooling, cropping, padding or a Reshape before the merge")
        return shapes[0][:index] + (sum(s[index] for s in shapes),) + shapes[0][index + 1:]

    def forward(self, ctx, inputs, weights):
        shapes = [x.shape[1:] for x in inputs]
        index = self._index(shapes)
        sizes = [s[index] for s in shapes]
        return ctx.k.merge_concatenate(inputs, index + 1), (sizes, index + 1)

    def backward(self, ctx, dout, cache, weights, need_dx):
        sizes, axis = cache
        return list(ctx.k.merge_concatenate_backward(dout, sizes, axis)), []

    @classmethod
    def examples(cls):
        return [({}, [(2,), (3,)]), ({}, [(2, 2, 1), (2, 2, 3), (2, 2, 2)]), ({"axis": 1}, [(2, 3), (1, 3)])]
