"""Looking inside a trained network: every layer's output for a batch, and which inputs a class score depends on
(the input gradient, gradient × input and Grad-CAM on a convolution's feature maps).

Everything runs with the network's own layers in inference mode, as :class:`core.executors.layer_by_layer.
LayerByLayer` runs them, whatever executor trains the network; the network's gradient slots are left alone, so
these may be called between two training batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from core.layers.base import ActivatedLayer


def _inputs(network: Any, x: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    return network.check_inputs(list(x) if isinstance(x, (list, tuple)) else [x])


def _forward(network: Any, x: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every layer's output (device arrays) and its backward cache, in inference mode."""
    net, k = network, network.ctx.k
    was_training, net.ctx.training = net.ctx.training, False
    values: dict[str, Any] = {}
    caches: dict[str, Any] = {}
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for input_id, a in zip(net.input_ids, _inputs(net, x)):
                values[input_id] = k.to_device(a)
            for layer_id in net.order:
                if layer_id in values:
                    continue
                args = [values[s] for s in net.sources[layer_id]]
                values[layer_id], caches[layer_id] = net.layers[layer_id].forward(net.ctx, args,
                                                                                  net.weights[layer_id])
    finally:
        net.ctx.training = was_training
    return values, caches


def layer_outputs(network: Any, x: Any, layer_ids: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """``{layer_id: output}`` (host arrays, the batch axis first) of every layer, or of ``layer_ids``, for the batch
    ``x`` (one array, or one per InputLayer).

    Raises:
        KeyError: a layer id that is not in the network.
        ShapeError: ``x`` does not fit the network's inputs.
    """
    wanted = list(network.order if layer_ids is None else layer_ids)
    for layer_id in wanted:
        if layer_id not in network.layers:
            raise KeyError(f"the network has no layer {layer_id!r}")
    values, _ = _forward(network, x)
    return {i: np.asarray(network.ctx.k.to_host(values[i])) for i in wanted}


def _seed(network: Any, values: dict[str, Any], output_index: int, class_index: int) -> tuple[str, Any]:
    out_id = network.output_ids[output_index]
    out = network.ctx.k.to_host(values[out_id])
    units = int(np.prod(out.shape[1:]))
    if not 0 <= class_index < units:
        raise ValueError(f"class {class_index} is not one of the output's {units} unit(s)")
    seed = np.zeros(out.shape, dtype=network.dtype)
    seed.reshape(len(out), -1)[:, class_index] = 1.0
    return out_id, network.ctx.k.to_device(seed)


def _backward(network: Any, caches: dict[str, Any], out_id: str, seed: Any, from_logits: bool) -> dict[str, Any]:
    """The gradient of the seeded output w.r.t. every layer's output it depends on (device arrays), inputs
    included; weight gradients are computed by the layers but not kept."""
    net, k = network, network.ctx.k
    pending: dict[str, Any] = {out_id: seed}
    reached: dict[str, Any] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for layer_id in reversed(net.order):
            dout = pending.pop(layer_id, None)
            if dout is None:
                continue
            reached[layer_id] = dout
            layer = net.layers[layer_id]
            if layer.type_name == "InputLayer":
                continue
            step = layer.backward_from_logits if from_logits and layer_id == out_id else layer.backward
            dxs, _ = step(net.ctx, dout, caches[layer_id], net.weights[layer_id], True)
            for source, dx in zip(net.sources[layer_id], dxs):
                if dx is not None:
                    pending[source] = dx if source not in pending else k.add(pending[source], dx)
    return reached


def input_gradient(network: Any, x: Any, class_index: int, output_index: int = 0) -> np.ndarray:
    """``d output[:, class_index] / d x`` for each sample of the batch (the shape of the first input), through the
    layers' own backward in inference mode. ``class_index`` counts the output's units (flattened)."""
    return _input_gradient(network, *_forward(network, x), class_index, output_index)


def _input_gradient(network: Any, values: dict[str, Any], caches: dict[str, Any], class_index: int,
                    output_index: int) -> np.ndarray:
    out_id, seed = _seed(network, values, output_index, class_index)
    reached = _backward(network, caches, out_id, seed, from_logits=False)
    input_id = network.input_ids[0]
    if input_id not in reached:  # the output does not depend on this input
        return np.zeros(network.ctx.k.to_host(values[input_id]).shape, dtype=network.dtype)
    return np.asarray(network.ctx.k.to_host(reached[input_id]))


def gradient_times_input(network: Any, x: Any, class_index: int, output_index: int = 0) -> np.ndarray:
    """The input gradient times the input, element by element: how much each input value moved the class score
    from a zero input, to first order."""
    first = _inputs(network, x)[0]
    return input_gradient(network, x, class_index, output_index) * first


def is_feature_map(shape: Sequence[int]) -> bool:
    """Whether a per-sample output shape is a stack of 2-D feature maps ``(H, W, C)``."""
    return len(shape) == 3


def conv_layers(network: Any) -> list[str]:
    """Layers whose output is a stack of feature maps, computed from an image (convolutions, pooling, ...), in
    order; the last convolution is the usual Grad-CAM layer."""
    return [i for i in network.order if i not in network.input_ids and "Conv" in network.layers[i].type_name
            and is_feature_map(network.output_shapes[i])]


def grad_cam(network: Any, x: Any, class_index: int, conv_layer_id: str, output_index: int = 0) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): the feature maps of ``conv_layer_id`` weighted by the mean gradient of the
    class score on each, summed, with negatives cut, scaled up to the input's height and width: ``(N, H, W)``.

    The class score is the output layer's pre-activation where it has an activation (softmax saturates), else
    its output.

    Raises:
        ValueError: the layer's output is not ``(H, W, C)`` feature maps, or the class is not an output unit.
    """
    if conv_layer_id not in network.layers or not is_feature_map(network.output_shapes[conv_layer_id]):
        raise ValueError(f"Grad-CAM needs a layer with (height, width, channels) outputs, not {conv_layer_id!r}")
    return _grad_cam(network, *_forward(network, x), class_index, conv_layer_id, output_index)


def _grad_cam(network: Any, values: dict[str, Any], caches: dict[str, Any], class_index: int, conv_layer_id: str,
              output_index: int) -> np.ndarray:
    out_id, seed = _seed(network, values, output_index, class_index)
    layer = network.layers[out_id]
    logits = isinstance(layer, ActivatedLayer) and layer.activation_name() != "linear"
    reached = _backward(network, caches, out_id, seed, from_logits=logits)
    k = network.ctx.k
    maps = np.asarray(k.to_host(values[conv_layer_id]), dtype=np.float64)
    grads = np.asarray(k.to_host(reached[conv_layer_id]), dtype=np.float64) if conv_layer_id in reached \
        else np.zeros_like(maps)
    weights = grads.mean(axis=(1, 2))
    cam = np.maximum(np.einsum("nhwc,nc->nhw", maps, weights), 0.0)
    image = network.output_shapes[network.input_ids[0]]
    return resize_nearest(cam, image[:2]) if len(image) >= 2 else cam


def resize_nearest(maps: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """``(N, h, w)`` maps resized to ``(N, H, W)``, each output pixel taking the map pixel it falls in."""
    n, h, w = maps.shape
    rows = np.minimum(np.arange(size[0]) * h // max(1, size[0]), h - 1)
    cols = np.minimum(np.arange(size[1]) * w // max(1, size[1]), w - 1)
    return maps[:, rows][:, :, cols]


@dataclass(frozen=True)
class Look:
    """What the network makes of one sample: a layer's output, the prediction and, for an image, where it looked.

    Attributes:
        layer_id: the layer shown; ``output`` its output for the sample (no batch axis).
        probabilities: the (first) output layer's output for the sample, flattened.
        predicted: the predicted class (arg-max, or one sigmoid unit above 0.5).
        saliency: ``|gradient × input|`` summed over channels ``(H, W)``, for image inputs; else None.
        cam: Grad-CAM on the last convolution ``(H, W)``, where the network has one; else None.
    """

    layer_id: str
    output: np.ndarray
    probabilities: np.ndarray
    predicted: int
    saliency: np.ndarray | None = None
    cam: np.ndarray | None = None


def look(network: Any, sample: np.ndarray, layer_id: str | None = None) -> Look:
    """A :class:`Look` at one ``sample`` (no batch axis) and ``layer_id`` (default: the first output layer)."""
    out_id = network.output_ids[0]
    layer_id = out_id if layer_id is None or layer_id not in network.layers else layer_id
    x = np.asarray(sample)[None]
    values, caches = _forward(network, x)  # one forward pass, shared by the output and both gradients
    host = {i: np.asarray(network.ctx.k.to_host(values[i])) for i in dict.fromkeys([layer_id, out_id])}
    probabilities = host[out_id][0].reshape(-1).astype(np.float64)
    predicted = int(probabilities[0] > 0.5) if probabilities.size == 1 else int(np.nan_to_num(probabilities).argmax())
    saliency = cam = None
    if is_feature_map(network.output_shapes[network.input_ids[0]]):
        unit = 0 if probabilities.size == 1 else predicted
        first = network.ctx.k.to_host(values[network.input_ids[0]])
        saliency = np.abs(_input_gradient(network, values, caches, unit, 0) * first)[0].sum(axis=-1)
        convs = conv_layers(network)
        if convs:
            cam = _grad_cam(network, values, caches, unit, convs[-1], 0)[0]
    return Look(layer_id, host[layer_id][0], probabilities, predicted, saliency, cam)
