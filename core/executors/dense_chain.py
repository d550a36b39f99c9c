"""The Dense-chain executor: a whole ``InputLayer → Dense → … → Dense`` network as one sequence of matrix products.

The layer-by-layer executor runs every layer through its Python ``forward``/``backward``, allocates each
intermediate and copies the weight gradients into their slots; for the small networks drawn here that bookkeeping
costs more than the arithmetic. This executor runs the same arithmetic — one matrix product per layer and
direction, the bias and activation in one compiled pass after each product — in buffers kept between batches, and
writes the weight gradients straight into the network's gradient slots. Its results equal the layer-by-layer
executor's to rounding (tests/core/test_dense_chain.py).

It needs a backend that offers the ``dense_chain`` capability (the passes between the products) and covers:
hidden activations linear, ReLU, sigmoid or tanh (the output layer may also use softmax), any loss, weight
regularisers, float32 or float64, every parameter of ``Dense`` (:data:`HONOURED_DENSE_PARAMS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core import activations

_SOFTMAX = activations.code("softmax")

#: The ``Dense`` parameters this executor honours; a Dense layer with any other parameter is not a chain link
#: (a test compares this with ``Dense.params``, so a new parameter cannot be silently ignored here).
HONOURED_DENSE_PARAMS = frozenset({"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                   "kernel_regularizer", "bias_regularizer"})

#: Multiply-adds per forward pass from which BLAS may use every core (tests/benchmarks/NOTES.md has the figures).
LARGE_PRODUCTS = 8_000_000


@dataclass(frozen=True)
class ChainLayer:
    """One Dense layer of the chain: its weights and gradient slots (an empty array where it has no bias)."""

    kernel: np.ndarray
    bias: np.ndarray
    has_bias: bool
    activation: int  # kernel code
    kernel_grad: np.ndarray
    bias_grad: np.ndarray


@dataclass(frozen=True)
class Buffers:
    """Per layer its output (activated in place) and the gradient w.r.t. its input; the output layer's logits."""

    outputs: list[np.ndarray]
    input_grads: list[np.ndarray]
    logits: np.ndarray


class DenseChain:
    """Forward and backward of a Dense chain in reused buffers; :meth:`of` says whether a network is one."""

    name = "dense chain"

    def __init__(self, network: Any, passes: Any) -> None:
        self.network, self._passes = network, passes
        empty = np.empty(0, network.dtype)
        self.layers: list[ChainLayer] = []
        for layer_id in network.order[1:]:
            w, g = network.weights[layer_id], network.grads[layer_id]
            has_bias = len(w) > 1
            self.layers.append(ChainLayer(w[0], w[1] if has_bias else empty, has_bias,
                                          activations.code(network.layers[layer_id].activation_name()),
                                          g[0], g[1] if has_bias else empty))
        self._buffers: dict[int, Buffers] = {}
        self._last: tuple[np.ndarray, Buffers] | None = None  # input and buffers of the last training forward

    @classmethod
    def of(cls, network: Any) -> "DenseChain | None":
        """This executor for ``network``, or None when its backend lacks the passes or it is no plain Dense chain."""
        passes = network.ctx.k.capability("dense_chain")
        if passes is None or len(network.input_ids) != 1 or len(network.output_ids) != 1:
            return None
        order = network.order
        if len(order) < 2 or len(network.output_shapes[order[0]]) != 1:
            return None
        for position, layer_id in enumerate(order[1:], start=1):
            layer = network.layers[layer_id]
            if layer.type_name != "Dense" or network.sources[layer_id] != [order[position - 1]]:
                return None
            if set(layer.config) - HONOURED_DENSE_PARAMS - {"name"}:
                return None
            code = activations.code(layer.activation_name())
            if code not in passes.FROM_OUTPUT and not (position == len(order) - 1 and code == _SOFTMAX):
                return None
        return cls(network, passes)

    def large_products(self, batch: int) -> bool:
        """Whether a step on ``batch`` samples multiplies enough to share its products between cores."""
        return batch * sum(layer.kernel.size for layer in self.layers) >= LARGE_PRODUCTS

    def _buffers_for(self, batch: int) -> Buffers:
        if batch not in self._buffers:
            if len(self._buffers) > 2:  # the full batch and an epoch's last, shorter one
                self._buffers.clear()
            dtype = self.network.dtype
            outs = [np.empty((batch, layer.kernel.shape[1]), dtype) for layer in self.layers]
            grads = [np.empty((batch, layer.kernel.shape[0]), dtype) for layer in self.layers]
            self._buffers[batch] = Buffers(outs, grads, np.empty_like(outs[-1]))
        return self._buffers[batch]

    # -- the executor's passes -----------------------------------------------------------------------------
    def forward(self, inputs: Sequence[np.ndarray], training: bool) -> list[np.ndarray]:
        """The output for a batch (a copy: the buffers are reused by the next batch)."""
        x = inputs[0]
        if not (isinstance(x, np.ndarray) and x.dtype == self.network.dtype and x.flags.c_contiguous):
            x = self.network.check_inputs(inputs)[0]
        buffers = self._buffers_for(len(x))
        self._forward(x, buffers)
        self._last = (x, buffers) if training else None
        return [buffers.outputs[-1].copy()]

    def logits(self, output_index: int) -> np.ndarray:
        if self._last is None:
            raise RuntimeError("logits() needs a forward(training=True) first")
        return self._last[1].logits

    def backward(self, output_grads: Sequence[np.ndarray], from_logits: Sequence[bool]) -> None:
        """Gradients into the network's slots from the output's gradient (w.r.t. its logits with ``from_logits``)."""
        if self._last is None:
            raise RuntimeError("backward() needs a forward(training=True) first")
        x, buffers = self._last
        dz = output_grads[0]
        code = self.layers[-1].activation
        if not from_logits[0] and code:
            dz = self.network.ctx.k.activation_backward(buffers.logits, buffers.outputs[-1], dz, code)
        self._backward(x, buffers, np.ascontiguousarray(dz, dtype=self.network.dtype))

    def predict(self, inputs: Sequence[np.ndarray], batch_size: int) -> list[np.ndarray]:
        """The output for every row of ``inputs``, ``batch_size`` rows at a time (inference mode)."""
        x, dtype = inputs[0], self.network.dtype
        result = np.empty((len(x), self.layers[-1].kernel.shape[1]), dtype)
        for start in range(0, len(x), batch_size):
            rows = np.ascontiguousarray(x[start:start + batch_size], dtype=dtype)
            buffers = self._buffers_for(len(rows))
            self._forward(rows, buffers)
            result[start:start + len(rows)] = buffers.outputs[-1]
        return [result]

    def _forward(self, x: np.ndarray, buffers: Buffers) -> None:
        p, last = self._passes, len(self.layers) - 1
        a = x
        for index, layer in enumerate(self.layers):
            z = buffers.logits if index == last else buffers.outputs[index]
            np.matmul(a, layer.kernel, out=z)
            if index < last:
                p.bias_activation(z, layer.bias, layer.has_bias, layer.activation, z)
            elif layer.activation == _SOFTMAX:
                p.bias_activation(z, layer.bias, layer.has_bias, 0, z)
                p.softmax_rows(z, buffers.outputs[index])
            else:
                p.bias_activation(z, layer.bias, layer.has_bias, 0, z)
                p.bias_activation(z, layer.bias, False, layer.activation, buffers.outputs[index])
            a = z

    def _backward(self, x: np.ndarray, buffers: Buffers, dz: np.ndarray) -> None:
        p = self._passes
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            a = buffers.outputs[index - 1] if index else x
            if index == len(self.layers) - 1 and layer.has_bias:
                p.activation_grad_col_sum(dz, dz, 0, layer.bias_grad, True)  # linear: only the bias gradient
            if len(a) <= p.SMALL_BATCH:
                p.weight_grad_small(a, dz, layer.kernel_grad)
            else:
                np.matmul(a.T, dz, out=layer.kernel_grad)
            if index:
                below = self.layers[index - 1]
                da = buffers.input_grads[index]
                np.matmul(dz, layer.kernel.T, out=da)
                p.activation_grad_col_sum(da, a, below.activation, below.bias_grad, below.has_bias)
                dz = da
