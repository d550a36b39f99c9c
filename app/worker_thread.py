"""Run a plain function on a Python thread and call back on the GUI thread when it is done.

Quitting waits (a bounded time) for the threads still at work: a daemon thread cut off by interpreter shutdown
fails half-way (an import after shutdown began) or signals through a relay Qt has already deleted.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

QUIT_WAIT_S = 15.0  # longest that quitting waits for background work; a hung thread is then left behind
_pending: dict["_Relay", threading.Thread] = {}


class _Relay(QObject):
    finished = Signal()


def run_in_background(work: Callable[[], None], done: Callable[[], None]) -> threading.Thread:
    """Start ``work`` on a daemon thread; ``done`` runs on the GUI thread afterwards (a queued signal).

    ``work`` must not wait for the GUI thread: quitting joins it there.
    """
    relay = _Relay()
    relay.finished.connect(done)
    relay.finished.connect(lambda: _pending.pop(relay, None))

    def run() -> None:
        try:
            work()
        finally:
            relay.finished.emit()

    thread = threading.Thread(target=run, daemon=True, name=getattr(work, "__name__", "background"))
    _pending[relay] = thread  # keeps the relay alive until it has fired, and the thread known until quitting
    _wait_for_threads_on_quit()
    collect_garbage_before_starting_a_thread()
    thread.start()
    return thread


def _wait_for_threads_on_quit() -> None:
    app = QCoreApplication.instance()
    if app is not None and not app.property("waitsForBackgroundThreads"):
        app.aboutToQuit.connect(wait_for_background_threads)
        app.setProperty("waitsForBackgroundThreads", True)


def wait_for_background_threads(timeout: float = QUIT_WAIT_S) -> bool:
    """Join the threads started by :func:`run_in_background`; False if one is still running after ``timeout``."""
    deadline, threads = time.monotonic() + timeout, list(_pending.values())
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


def collect_garbage_before_starting_a_thread() -> None:
    """Collect reference cycles now, on the GUI thread, before a background thread starts allocating.

    Python collects cycles in whichever thread allocates past a threshold. Closed windows waiting in cycles were
    collected on the training thread (while numba compiled) and destroyed their widgets there, as the GUI thread
    deleted others: each held what the other waited for (the interpreter lock, a Qt mutex) and both stopped.
    """
    gc.collect()
