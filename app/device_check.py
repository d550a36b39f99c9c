"""Whether the device backends (CUDA) can train here, asked of another process: loading numba's CUDA part holds
the interpreter for over a second at a time (ml_dtypes sets up its types in one call), which would freeze the
window from any thread of its own process. The process is ``neurocanvas --device-backends``
(:mod:`app.launcher`), which prints :func:`device_backend_states` as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

DEVICE_BACKENDS = "--device-backends"


def device_backend_states() -> dict[str, tuple[bool, str]]:
    """Whether each backend that needs a device can train here, and why not (probing loads drivers: slow)."""
    from core.kernels import backends
    return {info.name: info.status for info in backends() if not info.is_host and not info.oracle}


def device_backends_command() -> list[str]:
    """The command line that prints :func:`device_backend_states` (a bundle is its own interpreter)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, DEVICE_BACKENDS]
    return [sys.executable, "-m", "app.launcher", DEVICE_BACKENDS]  # the launcher answers it


def ask_device_backends(done: Callable[[dict[str, tuple[bool, str]]], None]) -> None:
    """Give ``done`` the :func:`device_backend_states` on the GUI thread, probed in another process; an empty
    answer when that process gave none (the caller says so; probing here instead would freeze the window)."""
    from PySide6.QtCore import QTimer

    from app.worker_thread import run_in_subprocess

    if _answer:  # devices do not come and go within a session: every later window gets the first answer
        QTimer.singleShot(0, lambda: done(dict(_answer[0])))
        return
    _waiting.append(done)
    if len(_waiting) > 1:  # a check is on its way
        return

    def answered(output: str | None) -> None:
        try:
            states = {str(name): (bool(ok), str(reason)) for name, (ok, reason) in json.loads(output).items()}
        except (TypeError, ValueError, AttributeError):
            states = {}
        else:
            _answer.append(states)
        waiting = list(_waiting)
        _waiting.clear()
        for callback in waiting:
            callback(dict(states))

    root = Path(__file__).resolve().parents[1]  # where ``app`` is found, whatever the current folder
    run_in_subprocess(device_backends_command(), answered, cwd=str(root))


_answer: list[dict[str, tuple[bool, str]]] = []  # the first answer, kept for the session
_waiting: list[Callable[[dict[str, tuple[bool, str]]], None]] = []
