"""ONNX export of a design with its weights: :func:`export_onnx`.

The ONNX graph keeps the engine's channels-last layout between layers, so ``Flatten`` and ``Reshape`` give the
same element order as in the engine and in Keras; convolutions and poolings transpose to ONNX's channels-first
layout around their one operator. The batch dimension is dynamic (named ``batch``), the opset is
:data:`OPSET`, and names follow the design: graph inputs and outputs are named after their layers, every
layer's output tensor carries the layer's name, and weights are initialisers named ``layer/weight``.

The ``onnx`` package is an optional dependency (``pip install 'neurocanvas[onnx]'``): it is imported only here,
only when an export runs. A layer that ONNX cannot express raises :class:`OnnxExportError` naming it.
"""

from __future__ import annotations

import importlib
import itertools
import os
from typing import Any

import numpy as np

from core.errors import NeuroCanvasError
from core.version import __version__

OPSET = 17
IR_VERSION = 8  # the IR version of opset 17, so that older runtimes open the file too
PRODUCER = "neurocanvas"


class OnnxExportError(NeuroCanvasError):
    """The design cannot be written as ONNX (a layer ONNX cannot express, or the onnx package is missing)."""


def _onnx() -> Any:
    try:
        return importlib.import_module("onnx")
    except ImportError:
        raise OnnxExportError("ONNX export needs the onnx package: install it with "
                              "pip install 'neurocanvas[onnx]' (or pip install onnx)") from None


class Builder:
    """Collects the nodes and initialisers of one ONNX graph, keeping every name unique."""

    def __init__(self, onnx: Any, dtype: Any = np.float32) -> None:
        self.onnx = onnx
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def unique(self, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``... when taken."""
        name = base
        for k in itertools.count(1):
            if name not in self._names:
                break
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._names.add(name)

    def const(self, name: str, value: Any, dtype: Any = None) -> str:
        """An initialiser holding ``value`` (float tensors in the export dtype unless ``dtype`` says otherwise)."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        name = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, name: str, values: Any) -> str:
        return self.const(name, np.asarray(values, dtype=np.int64), np.int64)

    def op(self, op_type: str, inputs: list[str], name: str, **attrs: Any) -> str:
        """Add one node; returns the name of its (first) output tensor, which is the node's name."""
        out = self.unique(name)
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def op_multi(self, op_type: str, inputs: list[str], name: str, n_out: int, **attrs: Any) -> list[str]:
        """Add a node with several outputs (``name``, ``name/1``, ...); returns their names."""
        node_name = self.unique(name)
        outs = [node_name] + [self.unique(f"{name}/out{k}") for k in range(1, n_out)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outs, name=node_name, **attrs))
        return outs

    def rename_output(self, tensor: str, new: str) -> bool:
        """Rename the tensor made by the last node to ``new`` (a layer's name); False if it was not the last."""
        if not self.nodes or self.nodes[-1].output[0] != tensor:
            return False
        self.nodes[-1].output[0] = new
        self.nodes[-1].name = new
        self._names.discard(tensor)
        return True


def export_onnx(model: Any, path: str | os.PathLike | None = None) -> Any:
    """The ONNX model (an ``onnx.ModelProto``) of ``model`` (a :class:`core.api.Model` with its weights; wrap a
    bare design with ``Model.from_graph``), written to ``path`` when given.

    Raises:
        OnnxExportError: the onnx package is missing, or some layers cannot be expressed (all are named).
    """
    from core.io.onnx_layers import CONVERTERS, problems_of
    onnx = _onnx()
    network = model.network
    problems = problems_of(network)
    if problems:
        raise OnnxExportError("this design cannot be exported to ONNX:\n" + "\n".join(f"- {p}" for p in problems))
    b = Builder(onnx)
    for layer_id in network.order:
        b.reserve(network.layers[layer_id].name)
    tensors: dict[str, str] = {}
    for layer_id in network.order:
        layer = network.layers[layer_id]
        if layer.type_name == "InputLayer":
            tensors[layer_id] = layer.name
            continue
        inputs = [tensors[s] for s in network.sources[layer_id]]
        result = CONVERTERS[layer.type_name](b, layer, inputs, network.weights[layer_id],
                                             network.input_shapes[layer_id], network.output_shapes[layer_id])
        if not b.rename_output(result, layer.name):
            b.op("Identity", [result], layer.name)
        tensors[layer_id] = layer.name
    proto = _model_proto(onnx, b, model, network)
    if path is not None:
        onnx.save_model(proto, os.fspath(path))
    return proto


def _value_info(onnx: Any, name: str, shape: tuple[int, ...]) -> Any:
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", *shape])


def _model_proto(onnx: Any, b: Builder, model: Any, network: Any) -> Any:
    inputs = [_value_info(onnx, network.layers[i].name, network.output_shapes[i]) for i in network.input_ids]
    outputs = [_value_info(onnx, network.layers[i].name, network.output_shapes[i]) for i in network.output_ids]
    graph = onnx.helper.make_graph(b.nodes, model.name or "model", inputs, outputs, b.initializers)
    proto = onnx.helper.make_model(graph, producer_name=PRODUCER, opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    proto.producer_version = __version__
    proto.ir_version = IR_VERSION
    onnx.checker.check_model(proto)
    return proto
