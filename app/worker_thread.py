"""Run a plain function on a Python thread, or a program in another process, and call back on the GUI thread when
it is done.

Quitting waits (a bounded time) for the threads still at work: a daemon thread cut off by interpreter shutdown
fails half-way (an import after shutdown began) or signals through a relay Qt has already deleted. Processes still
running are stopped. While the application builds its first window, starts are held back (:func:`hold_starts`):
the window paints first, and the threads do not take the interpreter from the GUI thread while it is built.
"""

from __future__ import annotations

import atexit

import gc
import threading
import time
from typing import Callable, Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QProcess, QTimer, Signal

QUIT_WAIT_S = 15.0  # longest that quitting waits for background work; a hung thread is then left behind
_pending: dict["_Relay", threading.Thread] = {}
_processes: set[QProcess] = set()
_held: list[Callable[[], None]] | None = None  # the starts held back (see hold_starts), while held


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

    def start() -> None:
        _pending[relay] = thread  # keeps the relay alive until it has fired, and the thread known until quitting
        _wait_for_threads_on_quit()
        collect_garbage_on_the_gui_thread_while(thread)
        thread.start()

    _start_or_hold(start)
    return thread


_stop_at_exit: list[bool] = []


def run_in_subprocess(argv: Sequence[str], done: Callable[[str | None], None], cwd: str = "") -> QProcess:
    """Run the program ``argv`` in another process; ``done`` gets what it printed (or None if it failed) on the GUI
    thread. Work that would hold this interpreter for long (a C library's set-up) leaves the GUI alone there."""
    process = QProcess()
    process.setProgram(argv[0])
    process.setArguments(list(argv[1:]))
    process.setStandardErrorFile(QProcess.nullDevice())
    if cwd:
        process.setWorkingDirectory(cwd)

    def finished(code: int, status: QProcess.ExitStatus) -> None:
        _processes.discard(process)
        if not shiboken6.isValid(process):  # destroyed with the interpreter: nobody is waiting any more
            return
        ok = status == QProcess.NormalExit and code == 0
        done(bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace") if ok else None)
        process.deleteLater()

    def failed(error: QProcess.ProcessError) -> None:
        if error == QProcess.FailedToStart:  # no finished signal follows
            finished(-1, QProcess.CrashExit)

    process.finished.connect(finished)
    process.errorOccurred.connect(failed)

    def start() -> None:
        if not _processes and not _stop_at_exit:
            atexit.register(stop_processes)  # also where no event loop quits (a script, the tests)
            _stop_at_exit.append(True)
        _processes.add(process)
        _wait_for_threads_on_quit()
        process.start()

    _start_or_hold(start)
    return process


def hold_starts() -> None:
    """Hold back the threads and processes started from now on until :func:`stop_holding` (the application holds
    them while it builds and paints its first window; what is still held when it quits never starts)."""
    global _held
    if _held is None:
        _held = []


def stop_holding() -> list[Callable[[], None]]:
    """Make later starts immediate again; returns the starts held back until now, for the caller to call when it
    chooses (each starts one thread or process)."""
    global _held
    held, _held = _held or [], None
    return held


def _start_or_hold(start: Callable[[], None]) -> None:
    if _held is None:
        start()
    else:
        _held.append(start)  # keeps the relay or the process (and the caller's callback) alive until started


def _wait_for_threads_on_quit() -> None:
    app = QCoreApplication.instance()
    if app is not None and not app.property("waitsForBackgroundThreads"):
        app.aboutToQuit.connect(stop_processes)
        app.aboutToQuit.connect(wait_for_background_threads)
        app.setProperty("waitsForBackgroundThreads", True)


def stop_processes() -> None:
    """Stop the processes started by :func:`run_in_subprocess` that still run; their callbacks are not called."""
    for process in list(_processes):
        if not shiboken6.isValid(process):
            continue
        process.finished.disconnect()
        process.kill()
        process.waitForFinished(1000)
    _processes.clear()


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
    """Collects on a GUI-thread timer, as Python's thresholds would, while watched threads are alive.

    A full collection walks every object (over 100 ms once the engine is loaded) and holds the GUI thread meanwhile;
    Python itself runs one only when the old objects have grown by a quarter, which the counts do not tell. So the
    timer runs one at most every ``FULL_SPACING_S`` seconds, and none in a thread's first seconds (the engine's load).
    """

    INTERVAL_MS = 100
    FULL_SPACING_S = 10.0

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.timer: QTimer | None = None
        self.enable_after = False
        self.last_full = 0.0

    def watch(self, thread: threading.Thread) -> None:
        if not self.threads:
            self.enable_after = gc.isenabled()
            gc.disable()
            self.last_full = time.monotonic()
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
                gc.enable()  # Python collects from here on, when its thresholds say (no thread of ours is left)
            return
        threshold, counts = gc.get_threshold(), gc.get_count()
        for generation in range(3):  # generation g is collected when it and the younger ones passed their threshold
            if counts[generation] <= threshold[generation]:
                break
            if generation == 2:
                if time.monotonic() - self.last_full < self.FULL_SPACING_S:
                    break
                self.last_full = time.monotonic()
            gc.collect(generation)


_collector = _GuiThreadCollector()
