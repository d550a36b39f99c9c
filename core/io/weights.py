"""Reading the weights of a ``.h5`` model or weights file into a model built in code: :func:`load_weights`.

This is what Keras's ``model.load_weights("model.h5")`` does for the scripts that :mod:`core.io.codegen`
writes: the layers of the file's ``model_weights`` group (or of its root, in a weights-only file) are matched to
the model's layers by name, and every array is checked against the shape the layer expects.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from core.errors import ModelFileError
from core.io.h5_fields import clip, read_array, read_string_list
from core.io.h5_safe import member, open_file


def load_weights(path: str | os.PathLike, layers: Sequence[tuple[str, Sequence[Any]]]) -> list[np.ndarray]:
    """Every weight for ``layers`` (``(layer name, weight specs)`` in the model's order) from the file at
    ``path``, in that order; read as safely as :func:`core.io.h5.read_model` reads (:mod:`core.io.h5_safe`).

    Raises:
        ModelFileError: the file is missing or damaged, or a layer's weights are missing or of the wrong shape.
    """
    import h5py

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file: save the model there first")
    values = []
    try:
        f, budget = open_file(path)
        with f:
            group = member(f, "model_weights", path)
            group = group if isinstance(group, h5py.Group) else f
            for name, specs in layers:
                if specs:
                    values.extend(_layer_weights(group, budget, name, specs))
    except ModelFileError:
        raise
    except Exception as exc:  # h5py and NumPy errors from a damaged file
        raise ModelFileError(f"{path}: not a readable .h5 file ({type(exc).__name__}: {clip(exc, 300)})") from None
    return values


def _layer_weights(group: Any, budget: Any, name: str, specs: Sequence[Any]) -> list[np.ndarray]:
    import h5py
    path = budget.path
    sub = member(group, name, path)
    names = read_string_list(sub, "weight_names", budget) if isinstance(sub, h5py.Group) else None
    if not names or len(names) != len(specs):
        raise ModelFileError(f"{path}: no weights for layer '{name}': the file was saved from another design; "
                             "rename the layers to match it")
    out = []
    for weight_name, spec in zip(names, specs):
        ds = member(sub, weight_name, path)
        if not isinstance(ds, h5py.Dataset) or tuple(ds.shape) != tuple(spec.shape):
            got = "missing" if not isinstance(ds, h5py.Dataset) else f"shape {tuple(ds.shape)}"
            raise ModelFileError(f"{path}: weight '{spec.name}' of layer '{name}' must have shape "
                                 f"{tuple(spec.shape)}, the file's is {got}")
        out.append(read_array(ds, path, clip(f"{name}/{weight_name}"), kinds="f", budget=budget))
    return out
