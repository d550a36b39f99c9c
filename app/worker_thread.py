"""Run a plain function on a Python thread and call back on the GUI thread when it is done.

Quitting waits (a bounded time) for the threads still at work: a daemon thread cut off by interpreter shutdown
fails half-way (an import after shutdown began) or signals through a relay Qt has already deleted.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

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
    collect_garbage_on_the_gui_thread_while(thread)
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
    forget_finished_threads()
    return not any(thread.is_alive() for thread in threads)


def collect_garbage_on_the_gui_thread_while(thread: threading.Thread) -> None:
    """Collect reference cycles only on the GUI thread until ``thread`` (about to start) and every other such thread
    have ended: automatic collection is off meanwhile, and a timer on the GUI thread collects as it would have.

    Python collects cycles in whichever thread allocates past a threshold. Closed windows waiting in cycles were
    collected on the training thread (while numba compiled, which allocates a lot) and destroyed their widgets
    there, as the GUI thread deleted others: each held what the other waited for (the interpreter lock, a Qt mutex)
    and both stopped. pyqtgraph's ``GarbageCollector`` does the same for a whole program; here it lasts only as long
    as background threads run, so that code without an event loop keeps Python's own collection.
    """
    _collector.watch(thread)


def forget_finished_threads() -> None:
    """Hand collection back to Python at once if no watched thread still runs (after joining them, say)."""
    _collector.check()


class _GuiThreadCollector:
    """Collects on a GUI-thread timer, as Python's thresholds would, while watched threads are alive."""

    INTERVAL_MS = 100

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.timer: QTimer | None = None
        self.enable_after = False

    def watch(self, thread: threading.Thread) -> None:
        gc.collect()  # what is garbage now goes here, on the GUI thread
        if not self.threads:
            self.enable_after = gc.isenabled()
            gc.disable()
            if self.timer is None:
                self.timer = QTimer()
                self.timer.setInterval(self.INTERVAL_MS)
                self.timer.timeout.connect(self.check)
            self.timer.start()
        self.threads.append(thread)

    def check(self) -> None:
        if not self.threads:
            return
        self.threads = [t for t in self.threads if t.is_alive() or t.ident is None]  # not started yet: keep
        if not self.threads:
            self.timer.stop()
            if self.enable_after:
                gc.enable()
            gc.collect()
            return
        threshold, counts = gc.get_threshold(), gc.get_count()
        for generation in range(3):  # generation g is collected when it and the younger ones passed their threshold
            if counts[generation] <= threshold[generation]:
                break
            gc.collect(generation)


_collector = _GuiThreadCollector()
