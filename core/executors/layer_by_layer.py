"""The general executor: every layer's own ``forward`` and ``backward``, in topological order and back.

Forward keeps what each layer's backward needs (its cache); backward runs in reverse order and sums the gradients
of a tensor that feeds several layers. Any network on any backend runs this way.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class LayerByLayer:
    """Runs ``network`` (a :class:`core.engine.Network`) one layer at a time."""

    name = "layer by layer"

    def __init__(self, network: Any) -> None:
        self.network = network
        self._caches: dict[str, Any] = {}

    @classmethod
    def of(cls, network: Any) -> "LayerByLayer":
        return cls(network)

    def large_products(self, batch: int) -> bool:
        """Whether the run's matrix products are large enough to share between cores: never assumed here (the
        convolutional and recurrent kernels share their own work)."""
        return False

    def forward(self, inputs: Sequence[np.ndarray], training: bool) -> list[np.ndarray]:
        """Outputs of every output layer (host arrays); with ``training``, the caches backward needs are kept."""
        net, k = self.network, self.network.ctx.k
        net.ctx.training = training
        values: dict[str, Any] = {}
        self._caches = {}
        for input_id, x in zip(net.input_ids, net.check_inputs(inputs)):
            values[input_id] = k.to_device(x)
        for layer_id in net.order:
            if layer_id in values:
                continue
            args = [values[s] for s in net.sources[layer_id]]
            out, cache = net.layers[layer_id].forward(net.ctx, args, net.weights[layer_id])
            values[layer_id] = out
            if training:
                self._caches[layer_id] = cache
        return [k.to_host(values[i]) for i in net.output_ids]

    def logits(self, output_index: int) -> Any:
        """The pre-activation of output layer ``output_index`` in the last training forward pass."""
        layer_id = self.network.output_ids[output_index]
        return self.network.layers[layer_id].logits(self._caches[layer_id])

    def backward(self, output_grads: Sequence[Any], from_logits: Sequence[bool]) -> None:
        """Fill the network's gradient slots from the gradients w.r.t. the outputs of the last training forward
        (w.r.t. the output layer's pre-activation where ``from_logits``)."""
        net, k = self.network, self.network.ctx.k
        if not self._caches and len(net.order) > len(net.input_ids):
            raise RuntimeError("backward() needs a forward(training=True) first")
        pending: dict[str, Any] = {}
        logits_ids = set()
        for layer_id, grad, logits in zip(net.output_ids, output_grads, from_logits):
            if grad is not None:
                pending[layer_id] = k.to_device(grad)
                if logits:
                    logits_ids.add(layer_id)
        for layer_id in reversed(net.order):
            dout = pending.pop(layer_id, None)
            if dout is None or net.layers[layer_id].type_name == "InputLayer":
                continue
            self._backward_layer(layer_id, dout, layer_id in logits_ids, pending)

    def _backward_layer(self, layer_id: str, dout: Any, from_logits: bool, pending: dict[str, Any]) -> None:
        net, k = self.network, self.network.ctx.k
        layer, sources = net.layers[layer_id], net.sources[layer_id]
        need_dx = any(net.layers[s].type_name != "InputLayer" for s in sources)
        step = layer.backward_from_logits if from_logits else layer.backward
        dxs, dws = step(net.ctx, dout, self._caches[layer_id], net.weights[layer_id], need_dx)
        for slot, dw in zip(net.grads[layer_id], dws):
            if slot is not None and dw is not None:
                k.assign(slot, dw)
        for source, dx in zip(sources, dxs):
            if dx is None or net.layers[source].type_name == "InputLayer":
                continue
            pending[source] = dx if source not in pending else k.add(pending[source], dx)

    def predict(self, inputs: Sequence[np.ndarray], batch_size: int) -> list[np.ndarray]:
        """Outputs for every row of ``inputs`` (checked by the network), ``batch_size`` rows at a time."""
        n_out = len(self.network.output_ids)
        parts = [self.forward([a[s:s + batch_size] for a in inputs], training=False)
                 for s in range(0, len(inputs[0]), batch_size)]
        return [np.concatenate([p[k] for p in parts]) for k in range(n_out)]
