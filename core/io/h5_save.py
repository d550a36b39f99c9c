"""Saving a ``.h5`` file safely: :func:`write_atomically`.

The file is built in memory by h5py, then its bytes go to a temporary file beside the target, which is synced
and renamed over the target. So the previous file stays whole whatever fails (a full disk gives a clear
ModelFileError), libhdf5 never writes to the disk itself (closing a file on a nearly full disk crashed it), a
symbolic link is written through to its target, and anything that is not a writable regular file is refused with
the reason. Temporary files that killed saves left behind are removed by the next save in that folder.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import stat
import tempfile
import time
from typing import Any, Callable

from core.errors import ModelFileError
from core.io.h5_fields import short
from core.io.h5_safe import SIGNATURE

STALE_TEMP_AGE = 300  # seconds after which a temporary file of ours is a killed save's, removed by the next save
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")


def write_atomically(path: str, write: Callable[[Any], None]) -> None:
    """Run ``write(h5py_file)`` on a file in memory, then write its bytes to a temporary file beside the target
    (``path``, or what it links to), sync it and rename it over the target: the previous file stays intact if
    anything fails, a full disk included, and libhdf5 never writes to the disk itself (on a nearly full disk it
    crashed closing the file)."""
    target = _target(path)
    folder = os.path.dirname(target)
    _remove_stale_temps(folder)
    try:
        image = _file_image(write)
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(f"cannot save {path}: {short(str(exc), 300)}") from exc
    mode = _permissions_for(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ModelFileError(f"cannot save {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, image)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        _remove_quietly(tmp)
        if not isinstance(exc, Exception):
            raise
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ModelFileError(f"cannot save {path}: the disk is full ({len(image)} bytes are needed): free some "
                                 "space or save elsewhere; the previous file is unchanged") from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelFileError(f"cannot save {path}: {short(reason, 300)}") from None
    _sync_folder(folder)


def _write_all(handle: Any, data: bytes) -> None:
    """Write ``data`` in pieces (one place for the full-disk tests to fail)."""
    view = memoryview(data)
    for start in range(0, len(view), 1 << 22):
        handle.write(view[start:start + (1 << 22)])


def _file_image(write: Callable[[Any], None]) -> bytes:
    """The bytes of the HDF5 file that ``write(h5py_file)`` makes, built in memory."""
    import h5py
    with h5py.File(f"in-memory-{os.getpid()}-{next(_IMAGES)}.h5", "w", driver="core", backing_store=False,
                   block_size=1 << 20) as f:
        write(f)
        f.flush()
        return f.id.get_file_image()


_IMAGES = itertools.count()


def _target(path: str) -> str:
    """The file a save to ``path`` replaces: what a symbolic link points to; refused when it is not a regular
    file or is read-only, with the reason."""
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise ModelFileError(f"cannot save {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device or other special file"
        raise ModelFileError(f"cannot save {path}: it is {kind}, not a regular file: choose a file name")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise ModelFileError(f"cannot save {path}: the file is read-only: make it writable or save under "
                             "another name")
    return target


def _remove_stale_temps(folder: str) -> None:
    """Remove temporary files that killed saves left in ``folder``: our name pattern, ours, older than
    :data:`STALE_TEMP_AGE`, and empty or an HDF5 file."""
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if (not stat.S_ISREG(info.st_mode) or info.st_uid != (_uid() if _uid() is not None else info.st_uid)
                    or now - info.st_mtime < STALE_TEMP_AGE):
                continue
            with open(entry.path, "rb") as handle:
                head = handle.read(8)
            if head in (b"", SIGNATURE):
                os.remove(entry.path)
        except OSError:
            continue


def _permissions_for(path: str) -> int:
    """The mode a file saved over ``path`` gets: the existing file's, else what a new file gets under the umask
    (the temporary file is created private, 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the platform tells it (Linux), as setting it to read it
    would let another thread create a file meanwhile with the wrong mode."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid else None


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Make the rename durable where the platform allows it (POSIX); harmless elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
