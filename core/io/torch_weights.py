"""Weights trained in PyTorch back into a NeuroCanvas model: :func:`import_weights`.

The PyTorch script (:mod:`core.io.torch_codegen`) ends a run by writing an ``.npz`` file: the weights in Keras's
layout, in the file's order (``weight_0``, ``weight_1``, ...), and a JSON ``manifest`` naming each one
(layer, weight) with the run's history and settings. This module reads it as untrusted input (no pickles, every
name and shape checked against the design) and writes a copy of the model with NeuroCanvas's own writer
(:func:`core.io.h5.write_model`, which ``core.api.save_model`` calls): the design, its settings and earlier runs
stay, the run's epochs are appended to the history, the run is recorded, and the optimiser starts afresh, since
its moments were PyTorch's.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import zipfile
from datetime import datetime
from typing import Any

import numpy as np

from core.errors import ModelFileError
from core.io.h5 import read_model, weight_specs, write_model
from core.training import History, RunRecord

FORMAT = "neurocanvas-torch-weights"
MAX_MANIFEST = 50_000_000  # characters of JSON: a long run's history fits many times over


def import_weights(model_path: str | os.PathLike, npz_path: str | os.PathLike,
                   out_path: str | os.PathLike) -> dict[str, Any]:
    """Write to ``out_path`` the model of ``model_path`` with the weights and history of a PyTorch run (the
    script's ``*_torch_trained.npz``, ``npz_path``); returns ``{"model", "weights", "epochs", "out"}``.

    Raises:
        ModelFileError: either file is unreadable, or the weights do not fit the design (each misfit named).
    """
    state = read_model(model_path)
    manifest, arrays = read_trained(npz_path)
    weights = _matched(state, manifest, arrays, os.fspath(npz_path))
    history = _history(manifest.get("history"), os.fspath(npz_path))
    before = state.history.epoch if state.history is not None else []
    record = RunRecord(settings=_settings(manifest, state), first_epoch=len(before), epochs=len(history.epoch),
                       outcome="finished", fresh=False, started=datetime.now().isoformat(timespec="seconds"))
    compiled = state.compiled
    if compiled is not None:  # PyTorch's moments do not carry over: the next run starts its optimiser afresh
        optimizer = type(compiled.optimizer).from_config(compiled.optimizer.get_config())
        compiled = dataclasses.replace(compiled, optimizer=optimizer)
    state = dataclasses.replace(state, weights=weights, compiled=compiled, runs=[*state.runs, record],
                                history=history if state.history is None else state.history.extended(history))
    write_model(state, out_path)
    return {"model": os.fspath(model_path), "weights": sum(len(w) for w in weights.values()),
            "epochs": len(history.epoch), "out": os.fspath(out_path)}


def read_trained(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and the ``weight_<k>`` arrays of a trained-weights file (no pickled objects are read)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file: run the PyTorch script's --train first")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an .npz archive")
        with data:
            text = str(data["manifest"][()]) if "manifest" in data.files else ""
            arrays = {k: np.asarray(data[k]) for k in data.files if k.startswith("weight_")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a trained-weights file ({type(exc).__name__}: {str(exc)[:200]})") from None
    if len(text) > MAX_MANIFEST:
        raise ModelFileError(f"{path}: its manifest is too large to be one of the script's")
    try:
        manifest = json.loads(text)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not written by a NeuroCanvas PyTorch script (no {FORMAT} manifest)")
    return manifest, arrays


def _matched(state: Any, manifest: dict[str, Any], arrays: dict[str, np.ndarray], path: str) -> dict[str, list]:
    """The arrays by layer id, in each layer's order, after checking names and shapes against the design."""
    names = manifest.get("weights")
    if not isinstance(names, list) or not all(isinstance(n, list) and len(n) == 2 and all(isinstance(s, str)
                                                                                           for s in n) for n in names):
        raise ModelFileError(f"{path}: its manifest lists no weights")
    found = {(layer, weight): f"weight_{k}" for k, (layer, weight) in enumerate(names)}
    specs = weight_specs(state.graph)
    weights, problems = {}, []
    for layer_id, layer_specs in specs.items():
        layer = state.graph.layer(layer_id).name
        values = []
        for spec in layer_specs:
            key = found.pop((layer, spec.name), None)
            value = arrays.get(key) if key else None
            if value is None:
                problems.append(f"weight '{spec.name}' of layer '{layer}' is missing")
            elif tuple(value.shape) != tuple(spec.shape) or value.dtype.kind != "f" or not np.all(np.isfinite(value)):
                problems.append(f"weight '{spec.name}' of layer '{layer}' must be finite numbers of shape "
                                f"{tuple(spec.shape)}, the file's has shape {tuple(value.shape)}")
            else:
                values.append(value.astype(np.float32))
        weights[layer_id] = values
    problems += [f"the design has no weight '{weight}' in a layer '{layer}'" for layer, weight in found]
    if problems:
        raise ModelFileError(f"{path}: these weights do not fit the model (was it exported from another design?):"
                             "\n" + "\n".join(f"- {p}" for p in problems[:20]))
    return weights


def _history(data: Any, path: str) -> History:
    """The run's epochs: ``{"epoch": [...], "loss": [...], ...}`` with finite numbers, each list as long."""
    if not isinstance(data, dict) or not isinstance(data.get("epoch"), list):
        raise ModelFileError(f"{path}: its manifest has no history")
    epochs = data["epoch"]
    logs = {k: v for k, v in data.items() if k != "epoch"}
    plain = all(isinstance(e, int) and not isinstance(e, bool) and e >= 0 for e in epochs) and all(
        isinstance(k, str) and isinstance(v, list) and len(v) == len(epochs) and
        all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
        for k, v in logs.items())
    if not plain:
        raise ModelFileError(f"{path}: its history is not one epoch number and one finite value per epoch and log")
    return History(history={k: [float(x) for x in v] for k, v in logs.items()}, epoch=list(epochs))


def _settings(manifest: dict[str, Any], state: Any) -> dict[str, Any]:
    """The run's settings: the model's own (or its last run's), with what the PyTorch run changed."""
    base = state.settings or (state.runs[-1].settings if state.runs else {}) or {}
    given = manifest.get("settings") if isinstance(manifest.get("settings"), dict) else {}
    changed = {k: given[k] for k in ("epochs", "batch_size", "validation_split")
               if isinstance(given.get(k), (int, float)) and not isinstance(given.get(k), bool)}
    processes = given.get("processes")
    return {**base, **changed, "trained_with": "pytorch",
            "processes": processes if isinstance(processes, int) and not isinstance(processes, bool) else 1}
