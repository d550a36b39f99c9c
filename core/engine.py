"""Builds a runnable :class:`Network` from a valid :class:`~core.graph.Graph` on a chosen backend.

A network runs one step for every kind of network — forward, loss, backward when the loss is finite, regularisers
(:meth:`Network.train_step`) — over an executor chosen when it is built: layer by layer
(:mod:`core.executors.layer_by_layer`), or a Dense chain's products in reused buffers where the backend offers
that capability (:mod:`core.executors.dense_chain`). Weights are float32 (float64 for gradient checks), initialised
as Keras does by default, reproducibly for a given seed.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any, NamedTuple, Sequence

import numpy as np

from core.errors import ConfigError, ShapeError
from core.executors.dense_chain import DenseChain
from core.executors.layer_by_layer import LayerByLayer
from core.graph import Graph
from core.initializers import initialize
from core.kernels import get_backend
from core.layers.base import ActivatedLayer, Context, Layer, WeightSpec
from core.losses import Loss
from core.shapes import check_buildable, format_shape


def is_lazy(x: Any) -> bool:
    """Whether ``x`` reads its rows from disk on demand: a memmap, or an array-like that is no ndarray."""
    return isinstance(x, np.memmap) or (not isinstance(x, np.ndarray) and hasattr(x, "shape")
                                        and hasattr(x, "__getitem__") and hasattr(x, "dtype"))


def whole_number(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int when it is a whole number (a NumPy integer too) of at least ``minimum``, else a
    ConfigError that names ``name`` (a batch size of 0 or 2.5 is a mistake to report, not to round)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def build(graph: Graph, backend: str = "cpu", seed: int | None = 0, dtype: Any = np.float32,
          executor: str | None = None) -> "Network":
    """A runnable network for ``graph`` (which must be valid: see :func:`core.shapes.check_buildable`);
    ``executor`` forces one (:func:`choose_executor`), for comparisons."""
    return Network(graph, backend=backend, seed=seed, dtype=dtype, executor=executor)


def _place(k: Any, order: list[str], specs: dict[str, list[WeightSpec]], values: dict[str, list[np.ndarray]],
           dtype: np.dtype) -> tuple[dict, dict, tuple[Any, Any] | None]:
    """Weights and gradient slots in the backend's memory, per layer.

    On host backends the trainable weights are views of one flat array, and their gradients views of another
    (returned as ``flat_trainable``), so that an optimiser updates every weight in one pass instead of one call per
    array. Elsewhere (device memory) each array stands alone and ``flat_trainable`` is None.
    """
    trainable = [(i, j) for i in order for j, s in enumerate(specs[i]) if s.trainable]
    total = sum(values[i][j].size for i, j in trainable)
    flat_w, flat_g = np.empty(total, dtype), np.zeros(total, dtype)
    weights = {i: list(values[i]) for i in order}
    grads: dict[str, list[Any]] = {i: [None] * len(specs[i]) for i in order}
    start = 0
    for i, j in trainable:
        shape, size = values[i][j].shape, values[i][j].size
        view = flat_w[start:start + size].reshape(shape)
        view[...] = values[i][j]
        weights[i][j] = view
        grads[i][j] = flat_g[start:start + size].reshape(shape)
        start += size
    if k.is_host:
        return weights, grads, (flat_w, flat_g) if total else None
    placed = {i: [k.to_device(w) for w in weights[i]] for i in order}
    grads = {i: [None if g is None else k.zeros_like(placed[i][j]) for j, g in enumerate(grads[i])] for i in order}
    return placed, grads, None


class StepResult(NamedTuple):
    """What one batch gives back: the loss (with the regularisers' penalty) and the network's outputs."""

    loss: float
    outputs: list[np.ndarray]


def choose_executor(network: "Network", name: str | None = None) -> Any:
    """The executor for ``network``: the named one, else the fastest that covers it (the Dense chain where the
    backend offers its passes, else layer by layer)."""
    if name in (None, DenseChain.name):
        chain = DenseChain.of(network)
        if chain is not None:
            return chain
        if name is not None:
            raise ConfigError("the dense chain executor needs a plain Dense chain on a backend with its passes")
    if name not in (None, LayerByLayer.name):
        raise ConfigError(f"unknown executor {name!r}; choose {DenseChain.name!r} or {LayerByLayer.name!r}")
    return LayerByLayer.of(network)


class Network:
    """Weights, forward and backward for one graph on one backend.

    The network takes a snapshot of the graph's layers and links: later edits to the graph do not change it. How
    it runs is its executor's business (chosen once, here: see :func:`choose_executor`); every executor runs the
    same step, :meth:`train_step`.
    """

    def __init__(self, graph: Graph, backend: str = "cpu", seed: int | None = 0, dtype: Any = np.float32,
                 executor: str | None = None):
        status = check_buildable(graph)
        self.dtype = np.dtype(dtype)
        self.order: list[str] = graph.topological_order()
        self.layers: dict[str, Layer] = {i: graph.layer(i) for i in self.order}
        self.sources: dict[str, list[str]] = {i: graph.inputs_of(i) for i in self.order}
        self.input_ids: list[str] = graph.input_layers()
        self.output_ids: list[str] = graph.output_layers()
        self.input_shapes = {i: status[i].input_shapes for i in self.order}
        self.output_shapes = {i: status[i].output_shape for i in self.order}
        self.specs: dict[str, list[WeightSpec]] = {i: self.layers[i].weight_specs(self.input_shapes[i])
                                                   for i in self.order}
        k = get_backend(backend)
        rng = np.random.default_rng(seed)
        values = {i: [initialize(s.initializer, tuple(s.shape), rng, self.dtype) for s in self.specs[i]]
                  for i in self.order}
        # Weights, gradients (and the optimiser's slots) live in the backend's memory for the network's life.
        self.weights, self.grads, self.flat_trainable = _place(k, self.order, self.specs, values, self.dtype)
        self.ctx = Context(k=k, rng=np.random.default_rng(None if seed is None else seed + 1))
        self.backend = backend
        self._trainable = [(w, g) for i in self.order for w, g in zip(self.weights[i], self.grads[i]) if g is not None]
        self._regularised = [(spec.regularizer, w, g) for i in self.order
                             for spec, w, g in zip(self.specs[i], self.weights[i], self.grads[i])
                             if spec.regularizer and g is not None]
        self.executor = choose_executor(self, executor)

    # -- one step ------------------------------------------------------------------------------------------
    def train_step(self, xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], losses: Sequence[Loss],
                   checked: bool = False) -> StepResult:
        """Forward, loss and — when the loss is finite — backward of one batch: gradients land in ``self.grads``
        (the optimiser's update is the caller's). ``checked``: the targets passed the losses' checks already."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            outputs = self.executor.forward(xs, training=True)
            total, grads, from_logits = 0.0, [], []
            for k, (loss, out, y) in enumerate(zip(losses, outputs, ys)):
                logits = loss.logits_activation is not None and self.output_activation(k) == loss.logits_activation
                value, grad = (loss.from_logits(self.ctx.k, self.executor.logits(k), y, checked) if logits
                               else loss(out, y))
                total += value
                grads.append(grad)
                from_logits.append(logits)
            if math.isfinite(total):
                self.executor.backward(grads, from_logits)
            return StepResult(total + self.regularization(add_gradients=True), outputs)

    def evaluate_step(self, xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], losses: Sequence[Loss]) -> StepResult:
        """Loss (with the regularisers' penalty) and outputs of one batch in inference mode."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            outputs = self.executor.forward(xs, training=False)
            total = sum(loss(out, y)[0] for loss, out, y in zip(losses, outputs, ys))
            return StepResult(total + self.regularization(add_gradients=False), outputs)

    def forward(self, inputs: Sequence[np.ndarray], training: bool = False) -> list[np.ndarray]:
        """Outputs of every output layer for a batch of ``inputs`` (one array per InputLayer), as host arrays.

        The batch goes up to the backend's memory and only the outputs come back. Floating-point overflow is not
        warned about: the trainer checks the loss and stops with a clear message.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self.executor.forward(inputs, training)

    def backward(self, output_grads: Sequence[np.ndarray | None], from_logits: Sequence[bool] | None = None) -> None:
        """Fill ``self.grads`` from the gradients w.r.t. the outputs of the last ``forward(training=True)``.

        With ``from_logits[k]`` true, output ``k``'s gradient is w.r.t. its layer's pre-activation (the loss
        folded the activation in, as softmax + cross-entropy does).
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.executor.backward(output_grads, from_logits or [False] * len(self.output_ids))

    def regularization(self, add_gradients: bool) -> float:
        """The weight regularisers' penalty ``Σ l1·|w| + l2·w²``; with ``add_gradients`` their gradients are added
        to ``self.grads`` (call after ``backward``)."""
        k = self.ctx.k
        return sum((k.weight_penalty(w, g, reg.get("l1", 0.0), reg.get("l2", 0.0), add_gradients)
                    for reg, w, g in self._regularised), 0.0)

    def compute_scope(self, batch_size: int = 0):
        """A context manager for a whole run of batches of ``batch_size``: the backend's thread settings (see
        kernels/cpu/threads), with every core for the matrix products when the executor finds them large enough."""
        scope = getattr(self.ctx.k, "compute_scope", None)
        return nullcontext() if scope is None else scope(self.executor.large_products(batch_size))

    def predict(self, inputs: Sequence[np.ndarray], batch_size: int = 32) -> list[np.ndarray]:
        """Outputs for a whole data set, in inference mode, ``batch_size`` samples at a time."""
        xs = self.check_inputs(inputs, lazy_ok=True)
        step = whole_number("batch_size", batch_size)
        with self.compute_scope(step), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self.executor.predict(xs, step)

    def output_activation(self, output_index: int) -> str | None:
        layer = self.layers[self.output_ids[output_index]]
        return layer.activation_name() if isinstance(layer, ActivatedLayer) else None

    def check_inputs(self, inputs: Sequence[np.ndarray], lazy_ok: bool = False) -> list[np.ndarray]:
        """The inputs as contiguous arrays of the network's dtype, or a ShapeError that says what fits.

        With ``lazy_ok``, data read from disk on demand (a ``numpy.memmap``, or an array-like source with
        ``shape`` and row indexing) is only checked for its shape and left on disk: batches convert their rows.
        """
        if len(inputs) != len(self.input_ids):
            raise ShapeError(f"the network has {len(self.input_ids)} input(s) but {len(inputs)} array(s) were given")
        out = []
        for input_id, x in zip(self.input_ids, inputs):
            if not (lazy_ok and is_lazy(x)):
                x = np.ascontiguousarray(x, dtype=self.dtype)
            expected = self.output_shapes[input_id]
            if tuple(x.shape[1:]) != expected:
                name = self.layers[input_id].name
                raise ShapeError(f"input '{name}' expects data of shape {format_shape(expected)} but got "
                                 f"{format_shape(tuple(x.shape[1:]))} (batch of {x.shape[0] if len(x.shape) else 0}): "
                                 "reshape the data or change the InputLayer's shape")
            out.append(x)
        return out

    # -- weights -------------------------------------------------------------------------------------------
    def trainable(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(weight, gradient)`` pairs of every trainable weight, in Keras's order (the arrays never change: the
        list is made once)."""
        return self._trainable

    def weight_names(self) -> list[str]:
        return [f"{self.layers[i].name}/{s.name}" for i in self.order for s in self.specs[i]]

    def get_weights(self) -> list[np.ndarray]:
        """Host copies of every weight, layer by layer in graph order, each layer trainable first (Keras's order)."""
        return [np.array(self.ctx.k.to_host(w), copy=True) for i in self.order for w in self.weights[i]]

    def set_weights(self, values: Sequence[np.ndarray]) -> None:
        """Set every weight from a list in :meth:`get_weights` order; shapes must match exactly."""
        targets = [(i, k) for i in self.order for k in range(len(self.weights[i]))]
        if len(values) != len(targets):
            raise ShapeError(f"expected {len(targets)} weight arrays, got {len(values)}")
        for (layer_id, k), value in zip(targets, values):
            value = np.asarray(value)
            current = self.weights[layer_id][k]
            if value.shape != current.shape:
                raise ShapeError(f"weight '{self.layers[layer_id].name}/{self.specs[layer_id][k].name}' has shape "
                                 f"{current.shape}, got {value.shape}")
        for (layer_id, k), value in zip(targets, values):
            self.ctx.k.assign(self.weights[layer_id][k], np.asarray(value, self.dtype))

    def count_params(self) -> int:
        return sum(w.size for ws in self.weights.values() for w in ws)
