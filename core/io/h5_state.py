"""Our own group in a model file (``/neurocanvas``), which Keras ignores: everything Keras's format cannot hold.

It holds one JSON document (``state.json``, stored as bytes so its size is not limited like an attribute's)
and the arrays it refers to (``arrays/<k>``, referenced as ``{"__array__": k}``): canvas positions and other
layer metadata, exact parameter values Keras cannot express (tf.keras 2's ``hard_sigmoid``), the loss, metrics
and optimiser (with its schedule) and the optimiser's exact state, the training history (per epoch and, where
recorded, per batch), the fitted preprocessing, a reference to the dataset, the training runs (each one's
settings, epochs and outcome) and the settings chosen for the next run. Only JSON and numbers are
stored, so reading it runs nothing from the file.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Callable

import numpy as np

from core import losses, optimizers
from core.data.preprocessing import Preprocessing
from core.errors import ModelFileError
from core.io.h5_fields import clip, read_array, read_attr, read_string_list
from core.io.h5_safe import member
from core.io.state import ModelState
from core.training import BatchEnd, CompileSpec, History, RunRecord
from core.version import __version__

EXACT_VALUES = ("hard_sigmoid_tf2",)  # parameter values that Keras configs cannot express


def collect(state: ModelState) -> dict[str, Any]:
    """Everything of ours worth keeping, as JSON-able values and NumPy arrays."""
    graph = state.graph
    layers = {}
    for layer_id in graph.layer_ids:
        layer = graph.layer(layer_id)
        exact = {k: v for k, v in layer.config.items() if isinstance(v, str) and v in EXACT_VALUES}
        layers[layer.name] = {"meta": _jsonable_meta(graph.meta(layer_id)), "exact": exact}
    out: dict[str, Any] = {"app_version": __version__,
                           "model_class": "Sequential" if state.sequential else "Model", "layers": layers}
    compiled = state.compiled
    if compiled:
        optimizer = compiled.optimizer
        out["compile"] = {"loss": compiled.loss.name, "loss_config": compiled.loss.get_config(),
                          "metrics": [m if isinstance(m, str) else m.name for m in compiled.metrics],
                          "optimizer": {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}}
        out["optimizer_state"] = optimizer.get_state()
    history = state.history
    if history is not None:
        out["history"] = {"history": history.history, "epoch": list(history.epoch),
                          "stop_reason": history.stop_reason, "batch_columns": _batch_columns(history.batches)}
    if state.preprocessing is not None:
        out["preprocessing"] = state.preprocessing.to_dict()
    if state.dataset is not None:
        out["dataset"] = dict(state.dataset)
    if state.runs:
        out["runs"] = [run.to_dict() for run in state.runs]
    if state.settings is not None:
        out["settings"] = dict(state.settings)
    return out


BATCH_FIELDS = {"epoch": np.int64, "batch": np.int64, "batches": np.int64, "loss": np.float64,
                "learning_rate": np.float64, "samples_seen": np.int64}


def _batch_columns(batches: list[BatchEnd]) -> dict[str, Any]:
    """The per-batch records as one list per field (a metric missing from a record is NaN), where a list of
    objects would repeat every field's name for each batch. Lists, not arrays: exact float64, and NaN allowed."""
    columns: dict[str, Any] = {key: np.array([getattr(b, key) for b in batches], dtype).tolist()
                               for key, dtype in BATCH_FIELDS.items()}
    names = list(dict.fromkeys(name for b in batches for name in b.metrics))
    columns["metrics"] = {name: [float(b.metrics.get(name, np.nan)) for b in batches] for name in names}
    return columns


def _batches_from_columns(columns: dict[str, Any]) -> list[BatchEnd]:
    """The records :func:`_batch_columns` stored; columns of unequal length are cut to the shortest."""
    try:
        fields = {key: np.asarray(columns[key], dtype).reshape(-1) for key, dtype in BATCH_FIELDS.items()}
        metrics = {str(k): np.asarray(v, np.float64).reshape(-1) for k, v in (columns.get("metrics") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError("the per-batch history of the NeuroCanvas data is malformed") from None
    n = min([len(v) for v in (*fields.values(), *metrics.values())], default=0)
    return [BatchEnd(**{key: values[k].item() for key, values in fields.items()},
                     metrics={name: float(v[k]) for name, v in metrics.items() if not np.isnan(v[k])})
            for k in range(n)]


def _jsonable_meta(meta: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in meta.items():
        try:
            json.dumps(_plain(value, []), allow_nan=True)
        except (TypeError, ValueError):
            continue  # view-only objects (e.g. Qt items) are not part of the design
        out[key] = value
    return out


def write(group: Any, state: dict[str, Any], version: int, write_dataset: Callable) -> None:
    """Store ``state`` in ``group``: the JSON document (with its CRC-32 and its arrays' checksums) and its
    arrays."""
    arrays: list[np.ndarray] = []
    document = _plain(state, arrays)
    document["array_checksums"] = [checksum(a) for a in arrays]
    text = json.dumps(document).encode("utf-8")
    group.attrs["format_version"] = np.int64(version)
    group.attrs["app_version"] = state["app_version"]
    write_dataset(group, "state.json", np.frombuffer(text, dtype=np.uint8))
    group["state.json"].attrs["crc32"] = np.int64(zlib.crc32(text))  # a document replaced on purpose drops it
    sub = group.create_group("arrays")
    for k, value in enumerate(arrays):
        write_dataset(sub, str(k), value)


def non_finite(state: dict[str, Any]) -> str | None:
    """Where the first float array of ``state`` holding NaN or an infinity is (a file with one would not read
    back), or None."""
    arrays: list[np.ndarray] = []
    _plain(state, arrays)
    for k, value in enumerate(arrays):
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            return f"array {k} of the training state"
    return None


def _plain(value: Any, arrays: list[np.ndarray]) -> Any:
    """JSON-able form of ``value``; arrays are set aside and referenced by index."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"__array__": len(arrays) - 1}
    if isinstance(value, dict):
        return {str(k): _plain(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a model file")


# -- reading ---------------------------------------------------------------------------------------------------
def read_state(group: Any, budget: Any) -> dict[str, Any]:
    """The JSON document with its arrays put back, each array read once (a document that refers to one array
    twice is refused before any is read: a file made to multiply what it makes us allocate) and checked against
    its checksum."""
    import h5py

    path = budget.path
    ds = member(group, "state.json", path)
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
        raise ValueError("the NeuroCanvas data (state.json) is missing")
    raw = read_array(ds, path, "neurocanvas/state.json", kinds="u", budget=budget).astype(np.uint8).tobytes()
    expected = read_attr(ds, "crc32", budget)
    if expected is not None and int(np.asarray(expected).reshape(-1)[0]) != zlib.crc32(raw):
        raise ModelFileError(f"{path}: the NeuroCanvas data (state.json) is damaged: its checksum does not match")
    state = json.loads(raw)
    if not isinstance(state, dict):
        raise ValueError("the NeuroCanvas data is not an object")
    arrays = member(group, "arrays", path)
    sums = state.pop("array_checksums", None)
    sums = sums if isinstance(sums, list) else []
    _refuse_repeated_arrays(state)

    def restore(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                key = str(value["__array__"])
                ds = member(arrays, key, path) if isinstance(arrays, h5py.Group) else None
                if not isinstance(ds, h5py.Dataset):
                    raise ValueError(f"array {clip(key)} of the NeuroCanvas data is missing")
                out = read_array(ds, path, f"neurocanvas/arrays/{clip(key)}", budget=budget)
                index = value["__array__"]
                if isinstance(index, int) and 0 <= index < len(sums) and sums[index] != checksum(out):
                    raise ModelFileError(f"{path}: neurocanvas/arrays/{index} is damaged: its checksum does not "
                                         "match")
                return out
            return {k: restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [restore(v) for v in value]
        return value

    return restore(state)


def _refuse_repeated_arrays(document: Any) -> None:
    """Before any array is read: a document that refers to one array twice (which we never write) is refused."""
    seen: set[str] = set()
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                key = str(value["__array__"])
                if key in seen:
                    raise ValueError(f"array {clip(key)} of the NeuroCanvas data is used twice")
                seen.add(key)
            else:
                stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def checksum(value: np.ndarray) -> int:
    """CRC-32 of an array's values as stored (little-endian, C order): a flipped bit in a file is noticed."""
    value = np.asarray(value)
    return zlib.crc32(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes())


def checksums(document: dict[str, Any] | None) -> dict[str, int]:
    """The weights' checksums, by dataset path, that a file of ours keeps; {} for others."""
    sums = (document or {}).get("checksums")
    return {str(k): v for k, v in sums.items() if isinstance(v, int)} if isinstance(sums, dict) else {}


def verify(value: np.ndarray, name: str, sums: dict[str, int], path: str) -> None:
    """Refuse an array whose checksum the file records and does not match."""
    expected = sums.get(name)
    if expected is not None and checksum(value) != expected:
        raise ModelFileError(f"{path}: {clip(name.lstrip('/'))} is damaged: its values do not match the "
                             "checksum saved with them (the file was changed or corrupted after saving)")


def apply_exact(graph: Any, state: dict[str, Any]) -> None:
    """Put back parameter values the Keras config could not express, and the layers' metadata (from the document
    :func:`read_state` returned)."""
    layers = state.get("layers") or {}
    for layer_id in graph.layer_ids:
        entry = layers.get(graph.layer(layer_id).name)
        if not isinstance(entry, dict):
            continue
        exact = entry.get("exact") or {}
        if exact:
            if not all(isinstance(v, str) and v in EXACT_VALUES for v in exact.values()):
                raise ValueError("unexpected exact parameter values in the NeuroCanvas data")
            graph.set_config(layer_id, exact)
        meta = dict(entry.get("meta") or {})
        if "pos" in meta:
            x, y = meta["pos"]
            meta["pos"] = (float(x), float(y))
        if meta:
            graph.set_meta(layer_id, **meta)


def restore(target: ModelState, state: dict[str, Any], compile: bool) -> None:
    """Compile state, optimiser state, history, preprocessing, dataset reference, runs and the chosen training
    settings from the document into ``target``."""
    if compile and isinstance(state.get("compile"), dict):
        target.compiled = _compile_spec(state["compile"], state.get("optimizer_state"))
    if isinstance(state.get("history"), dict):
        target.history = _history(state["history"])
    if state.get("preprocessing") is not None:
        target.preprocessing = Preprocessing.from_dict(state["preprocessing"])
    if isinstance(state.get("dataset"), dict):
        target.dataset = dict(state["dataset"])
    if isinstance(state.get("runs"), list):  # a record of the wrong kind is left out, not fatal
        target.runs = [run for run in map(RunRecord.from_dict, state["runs"]) if run is not None]
    if isinstance(state.get("settings"), dict):
        target.settings = dict(state["settings"])


def _compile_spec(compiled: dict[str, Any], optimizer_state: Any) -> CompileSpec:
    loss = losses.get(compiled["loss"])
    if compiled.get("loss_config"):
        loss = type(loss)(**compiled["loss_config"])
    optimizer = optimizers.get(compiled["optimizer"])
    metrics = [str(m) for m in compiled.get("metrics") or []]
    if isinstance(optimizer_state, dict):
        optimizer.set_state(optimizer_state)
    return CompileSpec(optimizer, loss, metrics)


def _history(data: dict[str, Any]) -> History:
    history = History(history={str(k): [float(v) for v in vs] for k, vs in (data.get("history") or {}).items()},
                      epoch=[int(e) for e in data.get("epoch") or []], stop_reason=data.get("stop_reason"))
    if isinstance(data.get("batch_columns"), dict):
        history.batches = _batches_from_columns(data["batch_columns"])
    else:  # earlier files kept a list of records
        try:
            history.batches = [BatchEnd(**b) for b in data.get("batches") or [] if isinstance(b, dict)]
        except TypeError:
            raise ValueError("the per-batch history of the NeuroCanvas data is malformed") from None
    return history


def restore_keras_optimizer(f: Any, budget: Any, optimizer: Any, graph: Any, specs: dict[str, list],
                            keras_ids: list[str]) -> bool:
    """The optimiser state of a file written by Keras 3 (``<opt>/iteration`` and one ``<opt>/<var>_<slot>``
    per trainable weight and slot), all or nothing: True when restored, False when it does not match (the
    optimiser then starts fresh, which is what Keras itself does with a state it cannot load)."""
    import h5py

    group = member(f, "optimizer_weights", budget.path)
    if not isinstance(group, h5py.Group) or optimizer is None:
        return False
    names = read_string_list(group, "weight_names", budget) or []
    ours = [(i, k) for i in graph.topological_order() for k, s in enumerate(specs[i]) if s.trainable]
    theirs = [(i, k) for i in keras_ids for k, s in enumerate(specs[i]) if s.trainable]
    iteration = [n for n in names if n.rsplit("/", 1)[-1] in ("iteration", "iterations")]
    per_slot = {slot: [n for n in names if n.endswith("_" + slot)] for slot in optimizer.slot_names}
    if len(iteration) != 1 or any(len(v) != len(theirs) for v in per_slot.values()):
        return False
    values: dict[tuple[str, int], list[np.ndarray]] = {key: [] for key in theirs}
    for slot in optimizer.slot_names:
        for key, name in zip(theirs, per_slot[slot]):
            ds = member(group, name, budget.path)
            shape = tuple(specs[key[0]][key[1]].shape)
            if not isinstance(ds, h5py.Dataset) or tuple(ds.shape) != shape:
                return False
            values[key].append(read_array(ds, budget.path, f"optimizer_weights/{clip(name)}", kinds="f",
                                          budget=budget))
    ds = member(group, iteration[0], budget.path)
    if not isinstance(ds, h5py.Dataset) or ds.shape != ():
        return False
    steps = int(read_array(ds, budget.path, f"optimizer_weights/{clip(iteration[0])}", budget=budget))
    if steps < 0:
        return False
    optimizer.set_state({"iterations": steps, "slots": [values[key] for key in ours]})
    return True
