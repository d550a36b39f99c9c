"""Work-arounds for faults of particular Qt binding versions.

PySide6 6.12.0 on Python 3.11 returns ``None`` from every C++ ``void`` method without taking a reference to it,
so each such call lowers ``None``'s reference count by one; after a few thousand calls (a few seconds of
painting) the interpreter aborts with "deallocating None". Python 3.12 made ``None`` immortal (PEP 683), which
hides the fault there. :func:`protect_none` detects the fault and gives ``None`` the same immortality on 3.11,
by raising its reference count far out of reach. It does nothing where the binding is sound.
"""

from __future__ import annotations

import ctypes
import sys

_PROBE_CALLS = 64
_RESERVE = 1 << 48


def binding_leaks_none() -> bool:
    """Whether calling a ``void`` Qt method lowers ``None``'s reference count."""
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    return sys.getrefcount(None) <= before - _PROBE_CALLS // 2


def protect_none() -> bool:
    """Make ``None`` effectively immortal if the binding leaks it; returns whether it did."""
    if not binding_leaks_none():
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += _RESERVE  # ob_refcnt is the first field of every object
    return True
