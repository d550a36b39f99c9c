"""HDF5 data files: datasets ``x`` and ``y`` (or any two, by their path inside the file).

Only data stored in the file itself is read. A link to another file (an external link), a dataset whose bytes
lie in other files (external storage, a virtual dataset) or a chain of soft links that never ends is refused with
what it is and how to fix it: opening a data file must not read files elsewhere on the machine. Sizes read into
memory are checked from the dataset's header (and its compression ratio) first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import Dataset, guess_task
from core.data.errors import DataError
from core.data.reading import check_array_size, check_expansion, check_regular
from core.data.sources import H5Array

MAX_LINK_HOPS = 16  # soft links followed for one path before it counts as a loop
COPY_FIX = "copy the data into this file (h5py: f['x'] = numpy.asarray(other['x']))"


def open_h5(path: str | os.PathLike) -> Any:
    """The HDF5 file at ``path``, open for reading (a regular file only)."""
    import h5py
    path = check_regular(path)
    try:
        return h5py.File(path, "r")
    except (OSError, RuntimeError, ValueError) as exc:
        raise DataError(f"{path} is not a readable HDF5 file ({exc}): check that it was written completely") from exc


def dataset_at(f: Any, key: str, path: Any) -> Any:
    """The dataset at ``key`` inside ``f``, following soft links within the file only; None when there is none.

    Raises a DataError for anything not stored in the file: external links, external storage, virtual datasets,
    soft-link loops.
    """
    import h5py
    parts, group, hops = [p for p in key.split("/") if p], f, 0
    obj = None
    while parts:
        link = group.get(parts[0], getlink=True)
        if link is None:
            return None
        if isinstance(link, h5py.SoftLink):
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise DataError(f"{path}: {key!r} is a soft link that leads to itself (more than {MAX_LINK_HOPS} "
                                "links in a row): point it at a dataset, or store the data under that name")
            group = f if link.path.startswith("/") else group
            parts = [p for p in link.path.split("/") if p] + parts[1:]
            continue
        if not isinstance(link, h5py.HardLink):
            target = f" ({link.filename}:{link.path})" if isinstance(link, h5py.ExternalLink) else ""
            raise DataError(f"{path}: {key!r} is a link to another file{target}: NeuroCanvas reads only data "
                            f"stored in the file itself; {COPY_FIX}")
        obj = group[parts.pop(0)]
        if parts:
            if not isinstance(obj, h5py.Group):
                return None
            group = obj
    if not isinstance(obj, h5py.Dataset):
        return None
    _check_stored_here(obj, key, path)
    return obj


def _check_stored_here(dataset: Any, key: str, path: Any) -> None:
    import h5py
    plist = dataset.id.get_create_plist()
    if plist.get_layout() == h5py.h5d.VIRTUAL:
        raise DataError(f"{path}: dataset {key!r} is a virtual dataset whose data lies in other files: NeuroCanvas "
                        f"reads only data stored in the file itself; {COPY_FIX}")
    if plist.get_external_count():
        raise DataError(f"{path}: dataset {key!r} keeps its data in external files: NeuroCanvas reads only data "
                        f"stored in the file itself; {COPY_FIX}")


def hdf5_arrays(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], str]]:
    """Every dataset in an HDF5 file: ``{path inside the file: (shape, dtype)}``, to choose from (only objects
    the file holds itself are visited; links are not followed)."""
    import h5py
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    with open_h5(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, (obj.shape, str(obj.dtype)))
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def _read_whole(dataset: Any, key: str, path: Any) -> np.ndarray:
    """A dataset read into memory, its size and compression ratio checked first."""
    label = f"{path} (dataset {key!r})"
    nbytes = check_array_size(label, dataset.shape, dataset.dtype.itemsize)
    stored = dataset.id.get_storage_size()
    if stored < nbytes:
        check_expansion(label, nbytes, stored)
    try:
        return np.asarray(dataset[()])
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise DataError(f"{label} cannot be read ({exc}): the file is damaged or uses a filter this h5py lacks; "
                        "re-save it") from None


def load_hdf5(path: str | os.PathLike, x: str, y: str, lazy: bool = True, task: str = "auto",
              **info: Any) -> Dataset:
    """Inputs and targets from two datasets of an HDF5 file; with ``lazy`` the inputs are read a batch at a time
    (the file stays open while the Dataset lives)."""
    f = open_h5(path)
    try:
        found = {key: dataset_at(f, key, path) for key in (x, y)}
        for key, dataset in found.items():
            if dataset is None:
                listing = ", ".join(f"{k} {s}" for k, (s, _) in hdf5_arrays(path).items())
                raise DataError(f"{path} has no dataset {key!r}: it holds {listing or 'none'}; pass x=... and y=...")
        xs = H5Array(found[x]) if lazy and found[x].ndim else _read_whole(found[x], x, path)
        ys = _read_whole(found[y], y, path)
        data = Dataset(xs, ys, guess_task(ys, task), name=info.pop("name", Path(path).stem),
                       source=os.fspath(path), **info)
    except BaseException:
        f.close()
        raise
    if not lazy:
        f.close()
    return data
