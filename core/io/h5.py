"""Keras-compatible HDF5 model files (``.h5``): :func:`write_model` and :func:`read_model` of a
:class:`~core.io.state.ModelState` (``core.save_model`` / ``core.load_model`` for models), and weights-only files.

Files are written in the legacy Keras style that Keras 2, Keras 3 and Netron all open (see
``core.io.keras_model``), with ``training_config`` and ``optimizer_weights`` as Keras writes them, plus one group of
our own, ``/neurocanvas``, that Keras ignores: format and app versions, canvas positions, the full training
history, the optimiser with its schedule and exact state, the fitted preprocessing and a dataset reference.
Saving is atomic (``core.io.h5_save``: built in memory, written to a temporary file beside the target, synced,
then renamed over it); a file with NaN or infinite weights is not written, as it would not read back. Each weight
array's checksum is kept in our group, so that a flipped bit is noticed when the file is read.

Reading accepts files written by Keras 2 and Keras 3 as well as ours. Nothing in a file is executed or
unpickled: JSON is parsed, arrays are read as numbers and checked against the shapes the layers expect. Every
failure is a :class:`~core.errors.ModelFileError` naming the file and the problem. libhdf5 itself is guarded
(``core.io.h5_safe``): a damaged or hostile file is refused before it can crash, hang, read outside the file or
make us allocate without bound.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import numpy as np

from core import losses, optimizers
from core.errors import ModelFileError, NeuroCanvasError
from core.graph import Graph
from core.io import h5_safe, h5_state
from core.io.h5_save import write_atomically
from core.io.h5_fields import clip, read_array, read_attr, read_string_list, read_text, short, write_string_list
from core.io.state import ModelState
from core.io.keras_model import (Unsupported, UnsupportedModel, compile_from_training_config,
                                 graph_from_model_config, model_config_from_graph, training_config_to_keras)
from core.layers.base import WeightSpec
from core.shapes import check_buildable
from core.training import CompileSpec

FORMAT_VERSION = 1
KERAS_VERSION = "3.0.0"  # our formulas are Keras 3's (hard_sigmoid in particular)
BACKEND = "numpy"
OURS = "neurocanvas"


# -- saving ----------------------------------------------------------------------------------------------------
def write_model(state: ModelState, path: str | os.PathLike) -> None:
    """Write ``state`` to ``path`` as a Keras ``.h5`` model file; the previous file stays intact if anything fails."""
    path = os.fspath(path)
    try:
        specs = weight_specs(state.graph)
        model_config, keras_ids = model_config_from_graph(state.graph, state.name)
        ours = h5_state.collect(state)
    except NeuroCanvasError as exc:
        raise ModelFileError(f"cannot save {path}: {exc}") from None
    _refuse_non_finite(path, state.graph, state.weights, h5_state.non_finite(ours))
    write_atomically(path, lambda f: _write_model_file(f, state, specs, model_config, keras_ids, ours))


def _refuse_non_finite(path: str, graph: Graph, weights: dict[str, list], elsewhere: str | None = None) -> None:
    """A file holding NaN or infinite weights would be refused when read back, so it is not written."""
    for layer_id, values in weights.items():
        for k, value in enumerate(values):
            if not np.all(np.isfinite(np.asarray(value, dtype=np.float32))):
                layer = graph.layer(layer_id)
                raise ModelFileError(f"cannot save {path}: weight {k} of layer '{layer.name}' holds NaN or infinite "
                                     "values (training diverged): lower the learning rate and train again, or save "
                                     "the last weights that were finite")
    if elsewhere is not None:
        raise ModelFileError(f"cannot save {path}: {elsewhere} holds NaN or infinite values (training diverged): "
                             "reset the optimiser or train again")


def write_weights(graph: Graph, weights: dict[str, list[np.ndarray]], path: str | os.PathLike) -> None:
    """Write only the weights (by layer id), laid out as Keras's ``save_weights('file.h5')`` does; atomically."""
    path = os.fspath(path)
    try:
        specs = weight_specs(graph)
        _, keras_ids = model_config_from_graph(graph, "model")
    except NeuroCanvasError as exc:
        raise ModelFileError(f"cannot save {path}: {exc}") from None

    _refuse_non_finite(path, graph, weights)

    def write(f: Any) -> None:
        _write_weights(f, graph, specs, weights, keras_ids, {})
    write_atomically(path, write)


def weight_specs(graph: Graph) -> dict[str, list[WeightSpec]]:
    """Every layer's weight specs (names, shapes), by layer id; the graph must be buildable."""
    status = check_buildable(graph)
    return {i: graph.layer(i).weight_specs(status[i].input_shapes) for i in graph.layer_ids}


def _write_model_file(f: Any, state: ModelState, specs: dict, model_config: dict, keras_ids: list[str],
                      ours: dict) -> None:
    f.attrs["model_config"] = json.dumps(model_config).encode("utf-8")
    f.attrs["keras_version"] = KERAS_VERSION
    f.attrs["backend"] = BACKEND
    compiled = state.compiled
    if compiled:
        training = training_config_to_keras(compiled.loss, compiled.optimizer, compiled.metrics)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training).encode("utf-8")
    sums: dict[str, int] = {}
    _write_weights(f.create_group("model_weights"), state.graph, specs, state.weights, keras_ids, sums)
    if compiled:
        _write_optimizer_weights(f, compiled.optimizer, state.graph, specs)
    h5_state.write(f.create_group(OURS), {**ours, "checksums": sums}, FORMAT_VERSION, write_dataset)


def write_dataset(group: Any, name: str, value: Any) -> None:
    """Every array of a file goes through here (one place to fail in the interrupted-save test)."""
    group.create_dataset(name, data=value)


def _write_weights(group: Any, graph: Graph, specs: dict[str, list[WeightSpec]], weights: dict[str, list],
                   keras_ids: list[str], sums: dict[str, int]) -> None:
    """Each layer's group with its ``weight_names`` and arrays; ``sums`` gets each array's checksum by path."""
    names = []
    for layer_id in keras_ids:
        layer = graph.layer(layer_id)
        if layer.name in (".", "..") or "/" in layer.name:
            raise ModelFileError(f"layer name {layer.name!r} cannot be saved in a Keras file: rename the layer")
        names.append(layer.name)
        sub = group.create_group(layer.name)
        weight_names = [f"{layer.name}/{spec.name}" for spec in specs[layer_id]]
        write_string_list(sub, "weight_names", weight_names)
        for weight_name, value in zip(weight_names, weights[layer_id]):
            value = np.asarray(value, dtype=np.float32)
            write_dataset(sub, weight_name, value)
            sums[f"{group.name.rstrip('/')}/{layer.name}/{weight_name}"] = h5_state.checksum(value)
    write_string_list(group, "layer_names", names)
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS_VERSION
    write_string_list(group.create_group("top_level_model_weights"), "weight_names", [])


def _write_optimizer_weights(f: Any, optimizer: Any, graph: Graph, specs: dict[str, list[WeightSpec]]) -> None:
    """Keras 3's layout: ``<opt>/iteration``, ``<opt>/learning_rate``, then each slot of each trainable weight."""
    prefix = getattr(optimizer, "name", "optimizer") or "optimizer"
    group = f.create_group("optimizer_weights")
    names = [f"{prefix}/iteration", f"{prefix}/learning_rate"]
    write_dataset(group, names[0], np.int64(optimizer.iterations))
    write_dataset(group, names[1], np.float32(optimizer.current_learning_rate()))
    trainable = [(i, s.name) for i in graph.topological_order() for s in specs[i] if s.trainable]
    for (layer_id, weight), slots in zip(trainable, optimizer.slots):
        for slot_name, value in zip(optimizer.slot_names, slots):
            name = f"{prefix}/{graph.layer(layer_id).name}_{weight}_{slot_name}"
            names.append(name)
            write_dataset(group, name, np.asarray(value, dtype=np.float32))
    write_string_list(group, "weight_names", names)


# -- loading ---------------------------------------------------------------------------------------------------
MESSAGE_LIMIT = 4000  # characters of a refusal; a file's values are quoted short, this bounds the rest


def read_model(path: str | os.PathLike, compile: bool = True) -> ModelState:
    """The model state stored in a ``.h5`` file written here, by Keras 2 or by Keras 3.

    With ``compile`` (the default) the loss, metrics and optimiser are read too (with the optimiser's exact
    state for our files); ``compile=False`` skips them, as in Keras.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise ModelFileError(f"load_model expects a file path, got {type(path).__name__}") from None
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file")
    try:
        return _read(path, compile)
    except ModelFileError as exc:
        raise _clipped(str(exc)) from None
    except UnsupportedModel as exc:
        lines = "\n".join(f"- {p}" for p in exc.problems)
        raise _clipped(f"{path}: this model uses things NeuroCanvas cannot run:\n{lines}") from None
    except NeuroCanvasError as exc:
        raise _clipped(f"{path}: {exc}") from None
    except Exception as exc:  # h5py, JSON and NumPy errors from a damaged file: report, never crash
        raise _clipped(f"{path}: the file is damaged or is not a Keras model file "
                       f"({type(exc).__name__}: {exc})") from None


def _clipped(message: str) -> ModelFileError:
    if len(message) > MESSAGE_LIMIT:
        message = f"{message[:MESSAGE_LIMIT]}... (and {len(message) - MESSAGE_LIMIT} more characters)"
    return ModelFileError(message)


def _read(path: str, compile: bool) -> ModelState:
    f, budget = h5_safe.open_file(path)
    with f:
        config_text = read_attr(f, "model_config", budget)
        if config_text is None:
            raise ModelFileError(f"{path}: no model_config: this HDF5 file holds no Keras model (a weights-only "
                                 "file cannot be opened as a model)")
        version = read_attr(f, "keras_version", budget)
        keras_version = read_text(version) if version is not None else None
        model_config = json.loads(read_text(config_text))
        graph, keras_ids, name = graph_from_model_config(model_config, keras_version)
        ours = _our_group(f, budget)
        document = h5_state.read_state(ours, budget) if ours is not None else None
        if document is not None:
            h5_state.apply_exact(graph, document)
        specs = weight_specs(graph)
        checksums = h5_state.checksums(document)
        state = ModelState(graph=graph, name=name, sequential=model_config.get("class_name") == "Sequential",
                           weights=_read_weights(f, budget, graph, keras_ids, specs, checksums))
        if document is not None:
            h5_state.restore(state, document, compile)
        elif compile:
            text = read_attr(f, "training_config", budget)
            if text is not None:
                state.compiled = _compile_from_keras(path, read_text(text))
                h5_state.restore_keras_optimizer(f, budget, state.compiled.optimizer, graph, specs, keras_ids)
    return state


def _our_group(f: Any, budget: h5_safe.Budget) -> Any:
    import h5py
    path = budget.path
    group = h5_safe.member(f, OURS, path)
    if group is None:
        return None
    if not isinstance(group, h5py.Group):
        raise ModelFileError(f"{path}: the NeuroCanvas data in the file is damaged (/{OURS} is not a group)")
    version = read_attr(group, "format_version", budget)
    if isinstance(version, np.ndarray) and version.shape == ():
        version = version[()]
    if not isinstance(version, (int, np.integer)) or version < 1:
        raise ModelFileError(f"{path}: the NeuroCanvas data in the file is damaged (format version "
                             f"{short(version)})")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer NeuroCanvas (file format {version}, this version reads "
                             f"up to {FORMAT_VERSION}): update NeuroCanvas to open it")
    return group


def _read_weights(f: Any, budget: h5_safe.Budget, graph: Graph, keras_ids: list[str], specs: dict,
                  checksums: dict[str, int]) -> dict[str, list]:
    """Weights by layer id, matched as Keras does: by order, over the layers that have weights; each array's shape
    is checked before it is read, and its checksum (in files of ours) after."""
    import h5py
    path = budget.path
    stored = _stored_layers(f, budget)
    targets = [(i, specs[i]) for i in keras_ids if specs[i]]
    if len(stored) != len(targets):
        raise ModelFileError(f"{path}: the file holds weights for {len(stored)} layer(s) but the model has "
                             f"{len(targets)} layer(s) with weights")
    out = {}
    for (name, sub, weight_names), (layer_id, specs) in zip(stored, targets):
        layer = graph.layer(layer_id)
        if len(weight_names) != len(specs):
            raise ModelFileError(f"{path}: layer '{layer.name}' ({layer.type_name}) needs {len(specs)} weight "
                                 f"arrays ({', '.join(s.name for s in specs)}) but the file has "
                                 f"{len(weight_names)} (group '{clip(name)}')")
        arrays = []
        for weight_name, spec in zip(weight_names, specs):
            ds = h5_safe.member(sub, weight_name, path)
            where = f"model_weights/{name}/{weight_name}"
            if not isinstance(ds, h5py.Dataset) or tuple(ds.shape) != tuple(spec.shape):
                got = "missing" if not isinstance(ds, h5py.Dataset) else f"shape {tuple(ds.shape)}"
                raise ModelFileError(f"{path}: weight '{spec.name}' of layer '{layer.name}' ({layer.type_name}) "
                                     f"must have shape {tuple(spec.shape)}, {clip(where)} is {got}")
            value = read_array(ds, path, clip(where), kinds="f", budget=budget)
            h5_state.verify(value, ds.name, checksums, path)
            arrays.append(value)
        out[layer_id] = arrays
    return out


def _stored_layers(f: Any, budget: h5_safe.Budget) -> list[tuple[str, Any, list[str]]]:
    """``(group name, group, weight names)`` of every listed layer group that holds weights, in order."""
    import h5py
    path = budget.path
    group = h5_safe.member(f, "model_weights", path)
    if not isinstance(group, h5py.Group):
        group = f  # Keras 1 kept the layer groups at the root
    names = read_string_list(group, "layer_names", budget)
    if names is None:
        raise ModelFileError(f"{path}: model_weights has no layer_names: the weights cannot be matched to layers")
    stored = []
    for name in names:
        sub = h5_safe.member(group, name, path)
        if not isinstance(sub, h5py.Group):
            raise ModelFileError(f"{path}: the weights of layer '{clip(name)}' are missing "
                                 f"(model_weights/{clip(name)})")
        weight_names = read_string_list(sub, "weight_names", budget) or []
        if weight_names:
            stored.append((name, sub, weight_names))
    return stored


def _compile_from_keras(path: str, text: str) -> CompileSpec:
    try:
        loss, optimizer, metrics = compile_from_training_config(json.loads(text))
    except Unsupported as exc:
        raise ModelFileError(f"{path}: the training settings cannot be restored: {exc}. Open the model without "
                             "them with load_model(path, compile=False) and compile it again") from None
    return CompileSpec(optimizers.get(optimizer), losses.get(loss), list(metrics))
