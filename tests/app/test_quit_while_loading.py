"""Quitting while the engine still loads in the background: the load finishes and the process exits cleanly.

The application is started in a fresh interpreter (the way a user starts it) and its window closed while the
loader thread is still at work; a thread cut off by interpreter shutdown printed ``RuntimeError: Signal source
has been deleted`` or ``can't register atexit after shutdown`` on the way out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app.__main__ as launcher

real_load, real_warm_up = launcher._load_kernels, launcher.warm_up_engine

def slow_load():
    time.sleep(0.5)  # the window closes while the engine is still loading
    real_load()
    print("engine loaded", flush=True)

def warm_up_then_close(window):
    real_warm_up(window)
    QTimer.singleShot(50, QApplication.closeAllWindows)

launcher._load_kernels, launcher.warm_up_engine = slow_load, warm_up_then_close
sys.exit(launcher.main([]))
"""

# the offscreen platform's own notice, not the application's
PLATFORM_NOTICES = {"This plugin does not support propagateSizeHints()"}


def test_quitting_while_the_engine_loads_waits_for_it_and_prints_nothing(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    errors = [line for line in done.stderr.splitlines() if line.strip() and line not in PLATFORM_NOTICES]
    assert errors == []
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["engine loaded"]


def test_waiting_for_background_work_is_bounded_and_done_runs_on_the_gui_thread(qtbot):
    import threading

    from app.worker_thread import run_in_background, wait_for_background_threads

    release, calls = threading.Event(), []
    run_in_background(release.wait, lambda: calls.append(threading.current_thread()))
    assert not wait_for_background_threads(timeout=0.05)
    release.set()
    assert wait_for_background_threads(timeout=10)
    qtbot.waitUntil(lambda: calls == [threading.main_thread()], timeout=5000)
