"""Run a plain function on a Python thread and call back on the GUI thread when it is done."""

from __future__ import annotations

import gc
import threading
from typing import Callable

from PySide6.QtCore import QObject, Signal

_pending: set["_Relay"] = set()


class _Relay(QObject):
    finished = Signal()


def run_in_background(work: Callable[[], None], done: Callable[[], None]) -> threading.Thread:
    """Start ``work`` on a daemon thread; ``done`` runs on the GUI thread afterwards (a queued signal)."""
    relay = _Relay()
    relay.finished.connect(done)
    relay.finished.connect(lambda: _pending.discard(relay))
    _pending.add(relay)  # keep the relay alive until it has fired

    def run() -> None:
        try:
            work()
        finally:
            relay.finished.emit()

    thread = threading.Thread(target=run, daemon=True, name=getattr(work, "__name__", "background"))
    collect_garbage_before_starting_a_thread()
    thread.start()
    return thread


def collect_garbage_before_starting_a_thread() -> None:
    """Collect reference cycles now, on the GUI thread, before a background thread starts allocating.

    Python collects cycles in whichever thread allocates past a threshold. Closed windows waiting in cycles were
    collected on the training thread (while numba compiled) and destroyed their widgets there, as the GUI thread
    deleted others: each held what the other waited for (the interpreter lock, a Qt mutex) and both stopped.
    """
    gc.collect()
