"""Keras-compatible HDF5 model files (``.h5``): :func:`write_model` and :func:`read_model` of a
:class:`~core.io.state.ModelState` (``core.save_model`` / ``core.load_model`` for models), and weights-only files.

Files are written in the legacy Keras style that Keras 2, Keras 3 and Netron all open (see
``core.io.keras_model``), with ``training_config`` and ``optimizer_weights`` as Keras writes them, plus one group of
our own, ``/neurocanvas``, that Keras ignores: format and app versions, canvas positions, the full training
history, the optimiser with its schedule and exact state, the fitted preprocessing and a dataset reference.
Saving is atomic (a temporary file beside the target, flushed, synced, then renamed over it).

Reading accepts files written by Keras 2 and Keras 3 as well as ours. Nothing in a file is executed or
unpickled: JSON is parsed, arrays are read as numbers and checked against the shapes the layers expect. Every
failure is a :class:`~core.errors.ModelFileError` naming the file and the problem.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Callable

import numpy as np

from core import losses, optimizers
from core.errors import ModelFileError, NeuroCanvasError
from core.graph import Graph
from core.io import h5_state
from core.io.h5_fields import read_array, read_string_list, read_text, write_string_list
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
    _write_atomically(path, lambda f: _write_model_file(f, state, specs, model_config, keras_ids, ours))


def write_weights(graph: Graph, weights: dict[str, list[np.ndarray]], path: str | os.PathLike) -> None:
    """Write only the weights (by layer id), laid out as Keras's ``save_weights('file.h5')`` does; atomically."""
    path = os.fspath(path)
    try:
        specs = weight_specs(graph)
        _, keras_ids = model_config_from_graph(graph, "model")
    except NeuroCanvasError as exc:
        raise ModelFileError(f"cannot save {path}: {exc}") from None

    def write(f: Any) -> None:
        _write_weights(f, graph, specs, weights, keras_ids)
    _write_atomically(path, write)


def weight_specs(graph: Graph) -> dict[str, list[WeightSpec]]:
    """Every layer's weight specs (names, shapes), by layer id; the graph must be buildable."""
    status = check_buildable(graph)
    return {i: graph.layer(i).weight_specs(status[i].input_shapes) for i in graph.layer_ids}


def _permissions_for(path: str) -> int:
    """The mode a file saved over ``path`` gets: the existing file's, else what a new file gets under the umask
    (the temporary file is created private, 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(path: str, write: Callable[[Any], None]) -> None:
    """Run ``write(h5py_file)`` on a temporary file beside ``path``, sync it, and rename it over ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise ModelFileError(f"cannot save {path}: {exc.strerror or exc}") from None
    try:
        import h5py
        with h5py.File(tmp, "w") as f:
            write(f)
            f.flush()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _permissions_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        _remove_quietly(tmp)
        if isinstance(exc, ModelFileError) or not isinstance(exc, Exception):
            raise
        raise ModelFileError(f"cannot save {path}: {exc}") from exc
    _sync_folder(folder)


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
    _write_weights(f.create_group("model_weights"), state.graph, specs, state.weights, keras_ids)
    if compiled:
        _write_optimizer_weights(f, compiled.optimizer, state.graph, specs)
    h5_state.write(f.create_group(OURS), ours, FORMAT_VERSION, write_dataset)


def write_dataset(group: Any, name: str, value: Any) -> None:
    """Every array of a file goes through here (one place to fail in the interrupted-save test)."""
    group.create_dataset(name, data=value)


def _write_weights(group: Any, graph: Graph, specs: dict[str, list[WeightSpec]], weights: dict[str, list],
                   keras_ids: list[str]) -> None:
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
            write_dataset(sub, weight_name, np.asarray(value, dtype=np.float32))
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


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Make the rename durable where the platform allows it (POSIX); harmless elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- loading ---------------------------------------------------------------------------------------------------
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
    except ModelFileError:
        raise
    except UnsupportedModel as exc:
        lines = "\n".join(f"- {p}" for p in exc.problems)
        raise ModelFileError(f"{path}: this model uses things NeuroCanvas cannot run:\n{lines}") from None
    except NeuroCanvasError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except Exception as exc:  # h5py, JSON and NumPy errors from a damaged file: report, never crash
        raise ModelFileError(f"{path}: the file is damaged or is not a Keras model file "
                             f"({type(exc).__name__}: {exc})") from None


def _read(path: str, compile: bool) -> ModelState:
    import h5py
    try:
        f = h5py.File(path, "r")
    except OSError:
        with open(path, "rb") as handle:
            zipped = handle.read(4) == b"PK\x03\x04"
        hint = (" This is a Keras 3 .keras archive: save the model from Keras with model.save('model.h5') to open "
                "it here." if zipped else "")
        raise ModelFileError(f"{path}: not an HDF5 file (or a damaged one): a Keras model file (.h5) is "
                             f"needed.{hint}") from None
    with f:
        if "model_config" not in f.attrs:
            raise ModelFileError(f"{path}: no model_config: this HDF5 file holds no Keras model (a weights-only "
                                 "file cannot be opened as a model)")
        keras_version = read_text(f.attrs.get("keras_version")) if "keras_version" in f.attrs else None
        model_config = json.loads(read_text(f.attrs["model_config"]))
        graph, keras_ids, name = graph_from_model_config(model_config, keras_version)
        ours = _our_group(f, path)
        document = h5_state.read_state(ours) if ours is not None else None
        if document is not None:
            h5_state.apply_exact(graph, document)
        specs = weight_specs(graph)
        state = ModelState(graph=graph, name=name, sequential=model_config.get("class_name") == "Sequential",
                           weights=_read_weights(f, path, graph, keras_ids, specs))
        if document is not None:
            h5_state.restore(state, document, compile)
        elif compile and "training_config" in f.attrs:
            state.compiled = _compile_from_keras(path, read_text(f.attrs["training_config"]))
            h5_state.restore_keras_optimizer(f, state.compiled.optimizer, graph, specs, keras_ids)
    return state


def _our_group(f: Any, path: str) -> Any:
    import h5py
    group = f.get(OURS)
    if not isinstance(group, h5py.Group):
        return None
    version = group.attrs.get("format_version")
    if not isinstance(version, (int, np.integer)) or version < 1:
        raise ModelFileError(f"{path}: the NeuroCanvas data in the file is damaged (format version {version!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer NeuroCanvas (file format {version}, this version reads "
                             f"up to {FORMAT_VERSION}): update NeuroCanvas to open it")
    return group


def _read_weights(f: Any, path: str, graph: Graph, keras_ids: list[str], specs: dict) -> dict[str, list]:
    """Weights by layer id, matched as Keras does: by order, over the layers that have weights."""
    import h5py
    stored = _stored_layers(f, path)
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
                                 f"{len(weight_names)} (group '{name}')")
        arrays = []
        for weight_name, spec in zip(weight_names, specs):
            ds = sub.get(weight_name)
            where = f"model_weights/{name}/{weight_name}"
            if not isinstance(ds, h5py.Dataset) or tuple(ds.shape) != tuple(spec.shape):
                got = "missing" if not isinstance(ds, h5py.Dataset) else f"shape {tuple(ds.shape)}"
                raise ModelFileError(f"{path}: weight '{spec.name}' of layer '{layer.name}' ({layer.type_name}) "
                                     f"must have shape {tuple(spec.shape)}, {where} is {got}")
            arrays.append(read_array(ds, path, where, kinds="f"))
        out[layer_id] = arrays
    return out


def _stored_layers(f: Any, path: str) -> list[tuple[str, Any, list[str]]]:
    """``(group name, group, weight names)`` of every listed layer group that holds weights, in order."""
    import h5py
    group = f.get("model_weights")
    if not isinstance(group, h5py.Group):
        group = f  # Keras 1 kept the layer groups at the root
    names = read_string_list(group, "layer_names")
    if names is None:
        raise ModelFileError(f"{path}: model_weights has no layer_names: the weights cannot be matched to layers")
    stored = []
    for name in names:
        sub = group.get(name)
        if not isinstance(sub, h5py.Group):
            raise ModelFileError(f"{path}: the weights of layer '{name}' are missing (model_weights/{name})")
        weight_names = read_string_list(sub, "weight_names") or []
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
