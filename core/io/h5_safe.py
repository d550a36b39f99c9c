"""Opening a stranger's ``.h5`` file without letting libhdf5 crash, hang, read outside the file or allocate
without bound.

libhdf5 trusts the bytes it reads: a zeroed block in a global heap collection (where variable-length strings
live) makes it loop forever, and an attribute whose datatype was damaged into a variable-length sequence
segfaults h5py. So, before libhdf5 sees a file, :func:`open_file` checks what it would otherwise trust: the
superblock's end-of-file address against the file's size (a truncated file), and every global heap collection
walked as libhdf5 walks it (each object inside the collection, each step moving forward). Afterwards every object
is reached through :func:`member`, which follows hard links only (a soft or external link, or a link into another
file, is refused, never followed), every attribute is read only after its datatype and size are checked
(:mod:`core.io.h5_fields`), and every dataset through :meth:`Budget.check`: stored in the file itself (no external
raw storage, no virtual dataset, only libhdf5's own filters), each array read once, and the total a file can make
us allocate bounded by the file's size, before anything is read.

Reading in a child process instead would survive crash classes not found yet, but costs a Python start with h5py
and NumPy per file (0.75 to 1.3 s on a busy two-core machine, against 30 to 80 ms for the whole read in-process), and
the checks here cover the crashes the fuzz tests find.
"""

from __future__ import annotations

import mmap
import os
from typing import Any

import numpy as np

from core.errors import ModelFileError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
ABSOLUTE_CAP = 16 << 30  # bytes of arrays one file may make us allocate, whatever it declares
FLOOR = 64 << 20  # chunked (maybe compressed) data may always expand to this much
EXPANSION = 64  # beyond it, to this many times the file's size
FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset", 32000: "lzf"}


class Budget:
    """What one file may still make us allocate: the file's own size for data it stores plainly (contiguous,
    compact), and a bounded multiple of it for chunked data, which may be compressed or left to fill values."""

    def __init__(self, path: str, size: int, largest_heap_object: int) -> None:
        self.path, self.size, self.largest_heap_object = path, size, largest_heap_object
        self.limit = min(ABSOLUTE_CAP, FLOOR + EXPANSION * size)
        self.used = 0

    def take(self, nbytes: int, what: str) -> None:
        self.used += nbytes
        if self.used > self.limit:
            raise ModelFileError(f"{self.path}: {what} would take the arrays of this {self.size}-byte file past "
                                 f"{self.limit} bytes: the file is damaged or made to exhaust memory")

    def check(self, ds: Any, where: str) -> int:
        """Check that dataset ``ds`` is stored in this file and may be read; its size in bytes, taken from the
        budget."""
        from h5py import h5d
        path = self.path
        dcpl = ds.id.get_create_plist()
        layout = dcpl.get_layout()
        if layout == h5d.VIRTUAL:
            raise ModelFileError(f"{path}: {where} is a virtual dataset (its values live in other files), which "
                                 "is never read")
        if dcpl.get_external_count() > 0:
            raise ModelFileError(f"{path}: {where} keeps its values in an external file, which is never read: "
                                 "only data stored in the model file itself is")
        for k in range(dcpl.get_nfilters()):
            code = dcpl.get_filter(k)[0]
            if code not in FILTERS:
                raise ModelFileError(f"{path}: {where} is stored with filter {code}, which is not one of "
                                     f"HDF5's own ({', '.join(FILTERS.values())})")
        count = int(np.prod(ds.shape, dtype=np.int64)) if ds.shape else 1
        nbytes = count * ds.dtype.itemsize
        stored = ds.id.get_storage_size()
        if layout in (h5d.CONTIGUOUS, h5d.COMPACT) and stored < nbytes:
            raise ModelFileError(f"{path}: {where} is truncated or damaged ({stored} of {nbytes} bytes stored)")
        if layout == h5d.CONTIGUOUS and nbytes > self.size:
            raise ModelFileError(f"{path}: {where} declares {nbytes} bytes, more than the whole file holds")
        self.take(nbytes, where)
        return nbytes


def open_file(path: str) -> tuple[Any, Budget]:
    """``(h5py.File, Budget)`` for a file that passed the checks above; ModelFileError naming the problem."""
    import h5py
    largest = check_file(path)
    try:
        f = h5py.File(path, "r", locking=False)
    except OSError:
        with open(path, "rb") as handle:
            zipped = handle.read(4) == b"PK\x03\x04"
        hint = (" This is a Keras 3 .keras archive: save the model from Keras with model.save('model.h5') to open "
                "it here." if zipped else "")
        raise ModelFileError(f"{path}: not an HDF5 file (or a damaged one): a Keras model file (.h5) is "
                             f"needed.{hint}") from None
    return f, Budget(path, os.path.getsize(path), largest)


def check_file(path: str) -> int:
    """Refuse a truncated file and one with a damaged global heap; the largest global heap object's size."""
    size = os.path.getsize(path)
    if size < len(SIGNATURE):
        raise ModelFileError(f"{path}: not an HDF5 file ({size} bytes): a Keras model file (.h5) is needed")
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        found = _superblock(data, path)
        if found is None:
            return 0  # not HDF5: h5py says so
        base, eof, lengths = found
        if base + eof > size:
            raise ModelFileError(f"{path}: the file is truncated ({size} of {base + eof} bytes): it was not "
                                 "completely written or copied")
        return _check_global_heaps(data, size, lengths, path)


def _superblock(data: Any, path: str) -> tuple[int, int, int] | None:
    """``(base address, end-of-file address, size of lengths)`` from the superblock, found where libhdf5 looks
    for it (offset 0, 512, 1024, 2048, ...); None when there is none."""
    where = 0
    while where + 64 <= len(data):
        if data[where:where + 8] == SIGNATURE:
            version = data[where + 8]
            if version in (0, 1):
                offsets, lengths = data[where + 13], data[where + 14]
                fields = where + (24 if version == 0 else 28)
                base = _uint(data, fields, offsets, path)
                return base, _uint(data, fields + 2 * offsets, offsets, path), lengths
            offsets, lengths = data[where + 9], data[where + 10]
            base = _uint(data, where + 12, offsets, path)
            return base, _uint(data, where + 12 + 2 * offsets, offsets, path), lengths
        where = 512 if where == 0 else where * 2
    return None


def _uint(data: Any, at: int, size: int, path: str) -> int:
    if size not in (2, 4, 8, 16) or at + size > len(data):
        raise ModelFileError(f"{path}: the HDF5 superblock is damaged")
    return int.from_bytes(data[at:at + size], "little")


def _check_global_heaps(data: Any, size: int, lengths: int, path: str) -> int:
    """Walk every global heap collection (``GCOL``, version 1, inside the file) as libhdf5 would, refusing one it
    would loop in or read past; the largest object found. Bytes that only look like a heap's start (in weights or
    text) are walked too: refusing one would need a declared size that fits the file and a broken object list."""
    header = _align(8 + lengths)
    object_header = _align(8 + lengths)
    largest = 0
    at = data.find(b"GCOL")
    while at >= 0:
        if data[at + 4:at + 5] == b"\x01":
            total = int.from_bytes(data[at + 8:at + 8 + lengths], "little")
            end = at + total
            if total < header or end > size:  # libhdf5 refuses to read it (or it is not a heap: weights, text)
                at = data.find(b"GCOL", at + 1)
                continue
            p = at + header
            while p + object_header <= end:
                index = int.from_bytes(data[p:p + 2], "little")
                length = int.from_bytes(data[p + 8:p + 8 + lengths], "little")
                step = length if index == 0 else object_header + _align(length)
                if step < object_header or p + step > end:
                    raise ModelFileError(f"{path}: a global heap collection is damaged (object at byte {p})")
                if index:
                    largest = max(largest, length)
                p += step
        at = data.find(b"GCOL", at + 1)
    return largest


def _align(n: int) -> int:
    return (n + 7) & ~7


def member(group: Any, name: str, path: str) -> Any:
    """The group or dataset ``name`` (``a/b`` walks down) inside ``group``, reached through hard links only;
    None when there is no such link. A soft or external link, or any other object, is refused."""
    import h5py
    from h5py import h5l, h5o
    current = group
    parts = [p for p in name.split("/") if p]
    if not parts:
        return None
    for k, part in enumerate(parts):
        if not isinstance(current, h5py.Group) or part in (".", ".."):
            return None
        key = part.encode("utf-8")
        if not current.id.links.exists(key):
            return None
        kind = current.id.links.get_info(key).type
        if kind != h5l.TYPE_HARD:
            what = {h5l.TYPE_SOFT: "a soft link", h5l.TYPE_EXTERNAL: "a link into another file"}.get(
                kind, "a user-defined link")
            raise ModelFileError(f"{path}: {_short_name(current, part)} is {what}, which is never followed: "
                                 "only objects stored in the file itself are read")
        oid = h5o.open(current.id, key)
        otype = h5o.get_info(oid).type
        if otype == h5o.TYPE_GROUP:
            current = h5py.Group(oid)
        elif otype == h5o.TYPE_DATASET and k == len(parts) - 1:
            current = h5py.Dataset(oid)
        else:
            return None
    return current


def _short_name(group: Any, part: str) -> str:
    where = (group.name or "").rstrip("/") + "/" + part
    return where if len(where) <= 80 else where[:77] + "..."
