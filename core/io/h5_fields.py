"""The low-level pieces of Keras's HDF5 layout that the model, state and weights files share: text attributes,
list attributes (split into ``name0``, ``name1``, ... when large, as Keras does) and checked arrays. Reading
checks each attribute's type and size before libhdf5 converts it, and each dataset against the file's budget."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from core.errors import ModelFileError
from core.io.h5_safe import Budget

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


SHORT = 80  # characters of an offending value quoted in a message


def short(value: Any, limit: int = SHORT) -> str:
    """``repr(value)`` cut to ``limit`` characters, saying how long it was: a file's values go into messages."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def clip(text: Any, limit: int = SHORT) -> str:
    """``str(text)`` cut to ``limit`` characters, saying how long it was."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


MAX_ATTR_ITEMS = 1 << 16  # elements of one attribute (Keras splits long lists into name0, name1, ...)


def read_attr(obj: Any, name: str, budget: Any = None) -> Any:
    """The attribute ``name`` of ``obj`` (None when absent), read only after its type and size are checked: text
    (fixed or variable length, ASCII or UTF-8), integers or floats, scalar or an array of a bounded size. A
    damaged datatype (variable-length sequences, references, compounds) is refused before libhdf5 converts it."""
    from h5py import h5a, h5s, h5t
    key = name.encode("utf-8")
    if not h5a.exists(obj.id, key):
        return None
    aid = h5a.open(obj.id, key)
    tid, space = aid.get_type(), aid.get_space()
    if space.get_simple_extent_type() == h5s.NULL:
        return np.zeros((0,), np.float64)
    count = int(np.prod(space.shape, dtype=np.int64)) if space.shape else 1
    kind = tid.get_class()
    if count > MAX_ATTR_ITEMS:
        raise ValueError(f"attribute {name} holds {count} values")
    if kind == h5t.STRING:
        if tid.get_cset() not in (h5t.CSET_ASCII, h5t.CSET_UTF8):
            raise ValueError(f"attribute {name} holds text of an unknown character set")
        if tid.is_variable_str():
            if budget is not None:
                budget.take(count * (budget.largest_heap_object + 16), f"attribute {name}")
        elif tid.get_size() * count > (1 << 26):
            raise ValueError(f"attribute {name} is too large")
    elif not ((kind == h5t.INTEGER and tid.get_size() in (1, 2, 4, 8))
              or (kind == h5t.FLOAT and tid.get_size() in (2, 4, 8))):
        raise ValueError(f"attribute {name} has an unsupported type (class {kind}, {tid.get_size()} bytes)")
    return obj.attrs[name]


def read_text(value: Any) -> str:
    """An attribute holding text (str, bytes, or a 0-d / 1-element array of them) as str."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise ValueError(f"expected a text attribute, got {type(value).__name__}")


def read_string_list(group: Any, name: str, budget: Any = None) -> list[str] | None:
    """A Keras list attribute: whole or chunked (``name0``, ``name1``, ...); an empty float64 array is []."""
    from h5py import h5a
    if h5a.exists(group.id, name.encode("utf-8")):
        parts = [read_attr(group, name, budget)]
    elif h5a.exists(group.id, f"{name}0".encode("utf-8")):
        parts, k = [], 0
        while h5a.exists(group.id, f"{name}{k}".encode("utf-8")):
            parts.append(read_attr(group, f"{name}{k}", budget))
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


def read_array(ds: Any, path: str, where: str, kinds: str = "fiub", budget: Any = None) -> np.ndarray:
    """A dataset's values, after checking its type, that the file really holds its bytes (and nothing outside
    it), and that the file's allocation budget allows it (:class:`core.io.h5_safe.Budget`)."""
    from h5py import h5t
    tid = ds.id.get_type()
    kind = tid.get_class()
    plain = (kind in (h5t.INTEGER, h5t.FLOAT) or (kind == h5t.ENUM and tid.get_size() == 1))
    if not plain or ds.dtype.kind not in kinds:
        needed = "floating-point numbers" if kinds == "f" else "numbers"
        raise ModelFileError(f"{path}: {where} holds {short(str(ds.dtype), 40)} values, {needed} are needed")
    if budget is None:
        budget = Budget(path, os.path.getsize(path), 0)
    budget.check(ds, where)
    value = ds[()]
    if ds.dtype.kind == "f":
        value = np.asarray(value, dtype=np.float32)
        if not np.all(np.isfinite(value)):
            raise ModelFileError(f"{path}: {where} holds NaN or infinite values")
    return np.asarray(value)
