"""While background work runs, reference cycles are collected on the GUI thread only, never on the worker (where
destroying Qt objects deadlocked with the GUI thread); afterwards Python's own collection is back."""

from __future__ import annotations

import gc
import threading

from app.worker_thread import run_in_background


class Cycle:
    """Garbage that can only be freed by the cycle collector, and says on which thread that happened."""

    collected_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.collected_on.append(threading.current_thread().name)


def test_cycles_are_collected_on_the_gui_thread_while_background_work_runs(qtbot):
    assert gc.isenabled()
    release, allocated, done = threading.Event(), threading.Event(), []

    def work() -> None:
        Cycle()  # dropped at once: a cycle left for the collector
        junk = [[] for _ in range(50 * gc.get_threshold()[0])]  # would trigger a collection on this thread
        allocated.set()
        release.wait(10)
        del junk

    Cycle.collected_on.clear()
    run_in_background(work, lambda: done.append(True))
    assert not gc.isenabled()
    assert allocated.wait(10)
    qtbot.waitUntil(lambda: bool(Cycle.collected_on), timeout=5000)  # the GUI thread's timer collected it
    assert Cycle.collected_on == [threading.main_thread().name]
    release.set()
    qtbot.waitUntil(lambda: bool(done) and gc.isenabled(), timeout=5000)
