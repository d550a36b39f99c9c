"""A faster training step for the commonest network: a chain of Dense layers, on the CPU backend.

The general engine runs every layer through its Python ``forward``/``backward``, allocates each intermediate and
copies the weight gradients into their slots. For the small networks drawn here that bookkeeping costs more than
the arithmetic. :class:`DenseChain` runs the same arithmetic — one matrix product per layer and direction, the
bias and activation fused into one numba pass after each product — in buffers kept between batches, and writes the
weight gradients straight into the network's gradient slots. Its results equal the general engine's to rounding
(tests/core/test_fused.py); any network it does not cover trains through the general engine.

Covered: ``InputLayer (features,) → Dense → … → Dense`` with hidden activations linear, ReLU, sigmoid or tanh (the
output layer may also use softmax), any loss, weight regularisers, float32 or float64.
"""

from __future__ import annotations

import numpy as np

from core import activations
from core.engine import Network
from core.losses import Loss

_SOFTMAX = activations.code("softmax")

#: Multiply-adds per forward pass from which BLAS gets every core (mlp-mnist at batch 128: 30 M; below ~1 M, waking
#: a second thread costs more than it saves).
LARGE_PRODUCTS = 8_000_000


class DenseChain:
    """Forward, loss and backward of a Dense chain in reused buffers; build it with :meth:`of`."""

    def __init__(self, network: Network) -> None:
        from core.kernels.cpu import _dense_chain, activations as cpu_activations
        self._kernels, self._softmax_rows = _dense_chain, cpu_activations._softmax_rows
        self.network = network
        self.layers = []  # (kernel, bias or an empty array, has_bias, activation code, kernel grad, bias grad)
        for layer_id in network.order[1:]:
            w, g = network.weights[layer_id], network.grads[layer_id]
            has_bias = len(w) > 1
            empty = np.empty(0, network.dtype)
            self.layers.append((w[0], w[1] if has_bias else empty, has_bias,
                                activations.code(network.layers[layer_id].activation_name()),
                                g[0], g[1] if has_bias else empty))
        self.regularised = any(s.regularizer for specs in network.specs.values() for s in specs)
        self._buffers: dict[int, tuple[list[np.ndarray], list[np.ndarray], np.ndarray]] = {}

    @classmethod
    def of(cls, network: Network) -> "DenseChain | None":
        """The fused step for ``network``, or None when the network is not a plain Dense chain (use
        :meth:`Network.dense_chain`, which keeps one)."""
        from core.kernels.cpu._dense_chain import FROM_OUTPUT
        if network.backend != "cpu" or len(network.input_ids) != 1 or len(network.output_ids) != 1:
            return None
        order = network.order
        if len(order) < 2 or len(network.output_shapes[order[0]]) != 1:
            return None
        for position, layer_id in enumerate(order[1:], start=1):
            layer = network.layers[layer_id]
            if layer.type_name != "Dense" or network.sources[layer_id] != [order[position - 1]]:
                return None
            code = activations.code(layer.activation_name())
            if code not in FROM_OUTPUT and not (position == len(order) - 1 and code == _SOFTMAX):
                return None
        return cls(network)

    def large_products(self, batch: int) -> bool:
        """Whether a step on ``batch`` samples multiplies enough to share its products between cores."""
        return batch * sum(w.size for w, *_ in self.layers) >= LARGE_PRODUCTS

    def _buffers_for(self, batch: int):
        """Per layer: its output (activated in place), the gradient w.r.t. its input; and the output's logits."""
        if batch not in self._buffers:
            if len(self._buffers) > 2:  # the full batch and an epoch's last, shorter one
                self._buffers.clear()
            dtype = self.network.dtype
            outs = [np.empty((batch, w.shape[1]), dtype) for w, *_ in self.layers]
            grads = [np.empty((batch, w.shape[0]), dtype) for w, *_ in self.layers]
            self._buffers[batch] = (outs, grads, np.empty_like(outs[-1]))
        return self._buffers[batch]

    def train_step(self, x: np.ndarray, y: np.ndarray, loss: Loss,
                   checked: bool = False) -> tuple[float, np.ndarray]:
        """Forward, loss and — when the loss is finite — backward of one batch; returns the loss (with the
        regularisers' penalty) and a copy of the network's output. Gradients land in ``network.grads``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            outs, grads, logits = self._buffers_for(len(x))
            self._forward(x, outs, logits)
            fused = loss.fused_activation is not None and activations.code(loss.fused_activation) == self.layers[-1][3]
            if fused:
                value, dz = loss.from_logits(self.network.ctx.k, logits, y, checked)
            else:
                value, dz = self._loss_through_activation(loss, outs[-1], logits, y)
            if np.isfinite(value):
                self._backward(x, outs, grads, dz)
            value += self.network.regularization(add_gradients=True) if self.regularised else 0.0
            return value, outs[-1].copy()

    def predict(self, x: np.ndarray, batch_size: int) -> np.ndarray:
        """The network's output for every row of ``x``, ``batch_size`` rows at a time (inference mode)."""
        dtype = self.network.dtype
        result = np.empty((len(x), self.layers[-1][0].shape[1]), dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, len(x), batch_size):
                rows = np.ascontiguousarray(x[start:start + batch_size], dtype=dtype)
                outs, _, logits = self._buffers_for(len(rows))
                self._forward(rows, outs, logits)
                result[start:start + len(rows)] = outs[-1]
        return result

    def _forward(self, x, outs, logits) -> None:
        k = self._kernels
        a = x
        last = len(self.layers) - 1
        for index, (w, b, has_bias, code, _, _) in enumerate(self.layers):
            z = logits if index == last else outs[index]
            np.matmul(a, w, out=z)
            if index < last:
                k.bias_activation(z, b, has_bias, code, z)
            elif code == _SOFTMAX:
                k.bias_activation(z, b, has_bias, 0, z)
                self._softmax_rows(z, outs[index])
            else:
                k.bias_activation(z, b, has_bias, 0, z)
                k.bias_activation(z, b, False, code, outs[index])
            a = z

    def _loss_through_activation(self, loss, out, logits, y):
        """A loss on the activated output: its gradient taken back through the output activation."""
        value, dout = loss(out, y)
        code = self.layers[-1][3]
        dz = self.network.ctx.k.activation_backward(logits, out, dout, code) if code else dout
        return value, dz

    def _backward(self, x, outs, grads, dz) -> None:
        k = self._kernels
        dz = np.ascontiguousarray(dz, dtype=self.network.dtype)
        for index in range(len(self.layers) - 1, -1, -1):
            w, _, has_bias, _, dw, db = self.layers[index]
            a = outs[index - 1] if index else x
            if index == len(self.layers) - 1 and has_bias:
                k.activation_grad_col_sum(dz, dz, 0, db, True)  # linear: only the bias gradient
            if len(a) <= k.SMALL_BATCH:
                k.weight_grad_small(a, dz, dw)
            else:
                np.matmul(a.T, dz, out=dw)
            if index:
                below = self.layers[index - 1]
                da = grads[index]
                np.matmul(dz, w.T, out=da)
                k.activation_grad_col_sum(da, a, below[3], below[5], below[2])
                dz = da
