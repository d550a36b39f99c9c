"""Loading the weights of a ``.h5`` model file into a model built in code: :func:`load_weights`.

This is what Keras's ``model.load_weights("model.h5")`` does for the scripts that :mod:`core.io.codegen`
writes: the layers of the file's ``model_weights`` group are matched to the model's layers by name, and every
array is checked against the shape the layer expects.
"""

from __future__ import annotations

import os
from typing import Any

from core.errors import ModelFileError


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Set every weight of ``model`` (a :class:`core.api.Model`) from the ``.h5`` file at ``path``.

    Raises:
        ModelFileError: the file is missing or damaged, or a layer's weights are missing or of the wrong shape.
    """
    import h5py

    from core.io.h5 import read_array, read_string_list
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file: save the model there first")
    network = model.network
    values = []
    try:
        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "model_weights" in f else f
            for layer_id in network.order:
                layer, specs = network.layers[layer_id], network.specs[layer_id]
                if not specs:
                    continue
                sub = group.get(layer.name)
                names = read_string_list(sub, "weight_names") if sub is not None else None
                if not names or len(names) != len(specs):
                    raise ModelFileError(f"{path}: no weights for layer '{layer.name}' ({layer.type_name}): the file "
                                         "was saved from another design; rename the layers to match it")
                for name, spec in zip(names, specs):
                    ds = sub.get(name)
                    if ds is None or tuple(ds.shape) != tuple(spec.shape):
                        got = "missing" if ds is None else f"shape {tuple(ds.shape)}"
                        raise ModelFileError(f"{path}: weight '{spec.name}' of layer '{layer.name}' must have shape "
                                             f"{tuple(spec.shape)}, the file's is {got}")
                    values.append(read_array(ds, path, f"{layer.name}/{name}", kinds="f"))
    except OSError as exc:
        raise ModelFileError(f"{path}: not a readable .h5 file ({exc})") from None
    network.set_weights(values)
