"""The low-level pieces of Keras's HDF5 layout that the model, state and weights files share: text attributes,
list attributes (split into ``name0``, ``name1``, ... when large, as Keras does) and checked arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import ModelFileError

HEADER_LIMIT = 64512  # Keras splits list attributes larger than this into name0, name1, ...


def write_string_list(group: Any, name: str, items: list[str]) -> None:
    """A list attribute as Keras writes it: vlen strings, an empty list as float64 (0,), chunked when large."""
    import h5py
    if not items:
        group.attrs[name] = np.zeros((0,), dtype=np.float64)
        return
    encoding = "ascii" if all(s.isascii() for s in items) else "utf-8"
    dtype = h5py.string_dtype(encoding)
    chunks, current, size = [], [], 0
    for item in items:
        cost = len(item.encode("utf-8")) + 16
        if current and size + cost > HEADER_LIMIT:
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += cost
    chunks.append(current)
    if len(chunks) == 1:
        group.attrs[name] = np.array(items, dtype=dtype)
    else:
        for k, chunk in enumerate(chunks):
            group.attrs[f"{name}{k}"] = np.array(chunk, dtype=dtype)


def read_text(value: Any) -> str:
    """An attribute holding text (str, bytes, or a 0-d / 1-element array of them) as str."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise ValueError(f"expected a text attribute, got {type(value).__name__}")


def read_string_list(group: Any, name: str) -> list[str] | None:
    """A Keras list attribute: whole or chunked (``name0``, ``name1``, ...); an empty float64 array is []."""
    if name in group.attrs:
        parts = [group.attrs[name]]
    elif f"{name}0" in group.attrs:
        parts, k = [], 0
        while f"{name}{k}" in group.attrs:
            parts.append(group.attrs[f"{name}{k}"])
            k += 1
    else:
        return None
    out = []
    for part in parts:
        arr = np.asarray(part)
        if arr.size == 0:
            continue
        if arr.dtype.kind not in "OSU":
            raise ValueError(f"attribute {name} is not a list of names")
        out.extend(read_text(v) for v in arr.reshape(-1))
    return out


def read_array(ds: Any, path: str, where: str, kinds: str = "fiub") -> np.ndarray:
    """A dataset's values, after checking its type and that the file really holds its bytes."""
    if ds.dtype.kind not in kinds:
        needed = "floating-point numbers" if kinds == "f" else "numbers"
        raise ModelFileError(f"{path}: {where} holds {ds.dtype} values, {needed} are needed")
    nbytes = int(np.prod(ds.shape, dtype=np.int64)) * ds.dtype.itemsize
    stored = ds.id.get_storage_size()
    if (ds.chunks is None and stored < nbytes) or nbytes > (1 << 34):
        raise ModelFileError(f"{path}: {where} is truncated or damaged ({stored} of {nbytes} bytes stored)")
    value = ds[()]
    if ds.dtype.kind == "f":
        value = np.asarray(value, dtype=np.float32)
        if not np.all(np.isfinite(value)):
            raise ModelFileError(f"{path}: {where} holds NaN or infinite values")
    return np.asarray(value)
