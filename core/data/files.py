"""One dispatch by file type for every data file NeuroCanvas reads: :func:`load_file` picks the reader from the
path (a folder of class subfolders, the suffix, or an MNIST IDX name), so the GUI's import and the command line's
``--data FILE`` read the same files the same way.

To read a new kind of file, add a :class:`FileType` to ``FILE_TYPES``: its label appears in the error that lists
the supported types.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.hdf5 import load_hdf5
from core.data.images import load_image_folder
from core.data.loaders import load_idx, load_npy, load_npz
from core.data.reading import check_regular
from core.data.tabular import load_csv

IDX_NAME = re.compile(r"idx\d", re.IGNORECASE)  # train-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte, ...


@dataclass(frozen=True)
class FileType:
    """A kind of data file: how to recognise it and how to read it into a Dataset."""

    label: str
    matches: Callable[[Path], bool]
    read: Callable[[Path], Dataset]


def _suffix(*suffixes: str) -> Callable[[Path], bool]:
    return lambda p: p.is_file() and p.suffix.lower() in suffixes


def _is_idx(path: Path) -> bool:
    return path.is_file() and bool(IDX_NAME.search(path.name))


def _read_npy(path: Path) -> Dataset:
    """Inputs from ``path`` and targets from the file beside it with the last ``x`` of its name made ``y``."""
    targets = partner(path, "x", "y", "x.npy and y.npy, or train_x.npy and train_y.npy")
    return load_npy(path, targets, lazy=False, name=path.stem)


def _read_idx(path: Path) -> Dataset:
    """Images from ``path`` and labels from the file named like it with ``labels-idx1`` for ``images-idx3``."""
    if "labels" in path.name.lower():
        raise DataError(f"{path.name} holds labels: open the images file (…-images-idx3-ubyte) beside it")
    labels = partner(path, "images-idx3", "labels-idx1", "train-images-idx3-ubyte and train-labels-idx1-ubyte")
    return load_idx(path, labels, name=path.name.split("-idx")[0])


def partner(path: Path, part: str, replacement: str, example: str) -> Path:
    """The file beside ``path`` whose name has the last ``part`` (any case) made ``replacement``: the targets
    that go with a file of inputs."""
    at = path.name.lower().rfind(part)
    if at >= 0:
        other = path.with_name(path.name[:at] + replacement + path.name[at + len(part):])
        if other.is_file():
            return other
    raise DataError(f"{path.name} holds the inputs only: put the targets beside it, named alike (e.g. {example}), "
                    "or save inputs and targets in one .npz file (arrays x and y)")


FILE_TYPES: tuple[FileType, ...] = (
    FileType("a folder of images with one subfolder per class", lambda p: p.is_dir(), load_image_folder),
    FileType("CSV/TSV (.csv, .tsv, .txt, .tab; the target in the last column)",
             _suffix(".csv", ".tsv", ".txt", ".tab"), lambda p: load_csv(p, name=p.stem)),
    FileType(".npz (arrays x and y)", _suffix(".npz"), lambda p: load_npz(p, name=p.stem)),
    FileType(".npy (inputs, with the targets in a y.npy beside them)", _suffix(".npy"), _read_npy),
    FileType("HDF5 (.h5, .hdf5; datasets x and y)", _suffix(".h5", ".hdf5"),
             lambda p: load_hdf5(p, "x", "y", lazy=False, name=p.stem)),
    FileType("MNIST IDX (…-images-idx3-ubyte, raw or .gz, with its labels file beside it)", _is_idx, _read_idx),
)


def supported_types() -> list[str]:
    """What :func:`load_file` reads, in words (for error messages and help texts)."""
    return [t.label for t in FILE_TYPES]


def load_file(path: str | os.PathLike) -> Dataset:
    """A Dataset from any data file NeuroCanvas reads; a DataError says what is wrong or which types it reads.

    Only regular files are read (never a device or a pipe, which may not end), streamed where the format allows,
    with every size checked from the file's header before memory is set aside (see :mod:`core.data.reading`).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p} does not exist: check the path")
    if not p.is_dir():
        check_regular(p)  # a device, a pipe or an empty file is named as such, whatever its name
    for file_type in FILE_TYPES:
        if file_type.matches(p):
            return file_type.read(p)
    raise DataError(f"cannot read {p.name}: NeuroCanvas reads " + "; ".join(supported_types()))


def file_filter() -> str:
    """A file-dialog filter of the data files by suffix (IDX files have none of their own)."""
    patterns = "*.csv *.tsv *.txt *.tab *.npz *.npy *.h5 *.hdf5 *idx*-ubyte *idx*-ubyte.gz"
    return f"Data files ({patterns});;All files (*)"

