"""Reading the user's data files safely: regular files only, streamed, with bounded decompression and sizes.

A data path may be anything: ``/dev/zero``, a FIFO, a gzip file that expands a thousandfold, a header that claims
more data than any machine holds. Every reader here refuses those up front with a
:class:`~core.data.errors.DataError` that says why and what to do, instead of reading until memory runs out or
waiting forever.
"""

from __future__ import annotations

import math
import os
import stat
import zlib
from typing import Any, BinaryIO, Iterable

import numpy as np

from core.data.errors import DataError

MAX_ARRAY_BYTES = 4 * 2**30  # the most one array read into memory may take (larger data: a memory-mapped .npy)
MAX_EXPANDED_BYTES = 2 * 2**30  # the most a compressed file may expand to
MAX_RATIO = 100  # the largest expansion of a compressed file, once it is past RATIO_FROM bytes
RATIO_FROM = 64 * 2**20
CHUNK = 2**20


def gib(n: int) -> str:
    """A byte count in words: ``3.0 GiB``, ``12.5 MiB``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: str | os.PathLike) -> str:
    """``path`` as a string once it names a non-empty regular file; a DataError says what it is otherwise."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist: check the path") from None
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror}): check the path and its permissions") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{path} is a folder, not a file: choose the data file inside it")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path} is {_kind(info.st_mode)}, not a data file: NeuroCanvas reads only regular "
                        "files (a device or a pipe may never end); save the data to a file and open that")
    if info.st_size == 0:
        raise DataError(f"{path} is empty (0 bytes): re-create or re-download it")
    return path


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading, checked to be a regular file both before and after opening.

    The open itself does not block (``O_NONBLOCK``), so a path swapped for a FIFO after the first check cannot
    hang it; the second check, on the open file, refuses it.
    """
    path = check_regular(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror}): check its permissions") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError(f"{path} is {_kind(mode)}, not a data file: NeuroCanvas reads only regular files")
        _set_blocking(fd)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _set_blocking(fd: int) -> None:
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)


def check_array_size(path: Any, shape: Iterable[int], itemsize: int, what: str = "the data") -> int:
    """The byte size of an array of ``shape``, or a DataError when it cannot exist or is too large to load.

    Computed with Python integers, so a header whose dimensions would wrap around 64 bits is caught too.
    """
    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise DataError(f"{path}: {what} claims a negative dimension {tuple(dims)}: the file is damaged; "
                        "re-create it")
    nbytes = math.prod(dims) * int(itemsize)
    if nbytes > MAX_ARRAY_BYTES:
        raise DataError(f"{path}: {what} of shape {tuple(dims)} would take {gib(nbytes)} in memory, more than the "
                        f"{gib(MAX_ARRAY_BYTES)} NeuroCanvas loads at once: use fewer samples, or save the inputs as "
                        ".npy (memory-mapped, read a batch at a time)")
    return nbytes


def check_expansion(path: Any, expanded: int, compressed: int) -> None:
    """Refuse a compressed file that would expand beyond the absolute cap or by a suspicious ratio."""
    if expanded > MAX_EXPANDED_BYTES:
        raise DataError(f"{path} expands to {gib(expanded)} or more, above the {gib(MAX_EXPANDED_BYTES)} "
                        "NeuroCanvas decompresses: if you trust the file, decompress it yourself (gunzip) and open "
                        "the result")
    if expanded > RATIO_FROM and expanded > MAX_RATIO * max(1, compressed):
        raise DataError(f"{path} expands {expanded // max(1, compressed)}-fold ({gib(compressed)} to "
                        f"{gib(expanded)} or more), beyond the {MAX_RATIO}-fold real data sets reach: it looks "
                        "like a decompression bomb; if you trust it, decompress it yourself and open the result")


class GzipReader:
    """The decompressed bytes of a gzip file, read on demand and never more than the caps allow.

    Concatenated gzip members are read one after another, as ``gzip`` does. A damaged stream raises a
    DataError.
    """

    def __init__(self, handle: BinaryIO, path: str) -> None:
        self.handle, self.path = handle, path
        self.compressed = os.fstat(handle.fileno()).st_size
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = b""
        self.produced = 0
        self._done = False

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the data)."""
        parts, size = [], 0
        while size < n and not self._done:
            piece = self._next(n - size)
            parts.append(piece)
            size += len(piece)
        return b"".join(parts)

    def _next(self, n: int) -> bytes:
        try:
            if self._inflate.unconsumed_tail:
                out = self._inflate.decompress(self._inflate.unconsumed_tail, min(n, CHUNK))
            else:
                if self._inflate.eof:
                    self._next_member()
                    if self._done:
                        return b""
                data = self._pending or self.handle.read(CHUNK)
                self._pending = b""
                if not data:
                    raise DataError(f"{self.path} is a damaged gzip file (it ends before its end-of-stream "
                                    "marker): download it again")
                out = self._inflate.decompress(data, min(n, CHUNK))
        except zlib.error as exc:
            raise DataError(f"{self.path} is a damaged gzip file ({exc}): download it again") from None
        self.produced += len(out)
        check_expansion(self.path, self.produced, self.compressed)
        return out

    def _next_member(self) -> None:
        rest = self._inflate.unused_data or self.handle.read(CHUNK)
        if not rest.strip(b"\x00"):  # the end, or the zero padding some tools write after the last member
            self._done = True
            return
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = rest


def read_exactly(source: Any, n: int, path: Any, what: str) -> bytes:
    """``n`` bytes from a file or a GzipReader, or a DataError naming what was cut short."""
    data = source.read(n)
    if len(data) < n:
        raise DataError(f"{path}: {what} is cut short ({len(data)} of {n} bytes): the file is truncated or "
                        "damaged; download it again")
    return data


def npy_header(handle: BinaryIO, path: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` of the ``.npy`` data at the handle's position, checked to be numeric,
    of a possible shape; the handle is left at the start of the data."""
    try:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unknown .npy format version {version}")
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = reader(handle)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise DataError(f"{path} is not a valid .npy file ({exc}): save it with numpy.save") from None
    if dtype.hasobject:
        raise DataError(f"{path} holds Python objects, not numbers: convert it to a numeric dtype first "
                        "(NumPy arrays of objects can run code when loaded, so they are never read)")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise DataError(f"{path} claims an impossible shape {shape}: the file is damaged; re-create it")
    return tuple(shape), bool(fortran), dtype
