"""Training from the GUI vs headless ``fit`` on the ``mlp-mnist`` workload (docs: BENCHMARKS.md), and how
responsive the GUI thread stays meanwhile.

Each measurement runs in its own process, alternating GUI and headless runs (A B A B ...), because the machine is
shared and its speed drifts. A GUI run opens the main window offscreen, puts the workload's network in the
document, offers the synthetic data set to the training panel and presses Start, with Adam lr 1e-3, batch 128, no
validation, exactly as the headless run. A 5 ms QTimer records the gaps between its ticks: the longest gap is
the longest stall of the event loop (the click on Start itself, which splits the data, is reported apart).
Samples/s is the median of the trainer's own per-epoch figures after one warm-up epoch, in both modes.
A development tool, not collected by pytest:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/gui_training.py --pairs 4 --epochs 3 [--no-probe]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def headless(epochs: int) -> dict:
    from core.bench import WORKLOADS, build_model, make_data
    from core.training import Callback

    workload = WORKLOADS["mlp-mnist"]
    x, y = make_data(workload)
    rates: list[float] = []

    class Rates(Callback):
        def on_epoch_end(self, record):
            rates.append(record.samples_per_second)

    build_model(workload).fit(x, y, epochs=epochs, batch_size=workload.batch, verbose=0, callbacks=[Rates()])
    return {"mode": "headless", "samples_per_s": statistics.median(rates[1:]), "epochs": rates}


def _panel(epochs: int):
    """A main window training the workload's network on its data: the panel set as the headless run."""
    from app.document import Document
    from app.main_window import MainWindow
    from core.bench import WORKLOADS, build_model, make_data
    from core.data import Dataset

    workload = WORKLOADS["mlp-mnist"]
    x, y = make_data(workload)
    window = MainWindow(show_start=False)
    window.show()
    window.set_document(Document(model=build_model(workload), parent=window))
    panel = window.training_area
    panel.add_dataset(Dataset(x, y, "classification", name="mlp-mnist"))
    form = panel.form
    form.validation.setValue(0.0)
    form.optimizer.setCurrentText("adam")
    form.learning_rate.setValue(1e-3)
    form.batch_size.setValue(workload.batch)
    form.epochs.setValue(epochs)
    return window, panel


class GapRecorder:
    """A 5 ms timer that records the gaps between its ticks (and how many batches had been seen)."""

    def __init__(self, panel) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer
        self.panel = panel
        self.clock = QElapsedTimer()
        self.clock.start()
        self.timer = QTimer(interval=5, timerType=Qt.PreciseTimer, timeout=self.tick)
        self.gaps: list[float] = []
        self.where: list[tuple[float, int]] = []
        self.last = 0.0

    def start(self) -> None:
        self.gaps, self.where = [], []
        self.last = self.clock.nsecsElapsed() / 1e6
        self.timer.start()

    def tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.gaps.append(now - self.last)
        self.where.append((now, self.panel._progress_state.get("done", 0)))
        self.last = now

    def summary(self, prefix: str = "") -> dict:
        gaps = np.array(self.gaps)
        worst = [(round(float(gaps[k]), 1), round((self.where[k][0] - self.where[0][0]) / 1000, 2), self.where[k][1])
                 for k in np.argsort(gaps)[::-1][:5]]  # (gap ms, seconds in, batches seen)
        return {f"{prefix}longest_stall_ms": float(gaps.max()), f"{prefix}p99_stall_ms": float(np.percentile(gaps, 99)),
                f"{prefix}stalls_over_50ms": int(np.sum(gaps > 50)), f"{prefix}worst": worst}


def gui(epochs: int, probe: bool = True) -> dict:
    import app  # noqa: F401  (before any widget)
    from PySide6.QtCore import QEventLoop, QTimer

    from app.__main__ import create_application

    create_application()
    window, panel = _panel(epochs)
    recorder = GapRecorder(panel)
    idle = QEventLoop()
    QTimer.singleShot(3000, idle.quit)
    recorder.start()
    idle.exec()  # the same timer with nothing training: the machine's own noise
    recorder.timer.stop()
    idle_figures = recorder.summary("idle_")
    done: list = []
    loop = QEventLoop()
    panel.run_finished.connect(done.append)
    panel.run_finished.connect(loop.quit)
    started = time.perf_counter()
    if not panel.start():
        raise SystemExit(panel.message.text())
    start_click = time.perf_counter() - started
    if probe:
        recorder.start()
    cpu, wall = time.thread_time(), time.perf_counter()
    loop.exec()
    gui_cpu_share = (time.thread_time() - cpu) / (time.perf_counter() - wall)
    recorder.timer.stop()
    rates = [float(v) for v in panel.epoch_rates]
    window.document.undo_stack.setClean()
    window.close()
    return {"mode": "gui", "samples_per_s": statistics.median(rates[1:]), "epochs": rates,
            "start_click_ms": 1000 * start_click, "outcome": done[0].outcome,
            "gui_thread_cpu_share": round(gui_cpu_share, 3), **(recorder.summary() if probe else {}),
            **idle_figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="per run, the first being the warm-up")
    parser.add_argument("--worker", choices=["gui", "headless"])
    parser.add_argument("--no-probe", action="store_true",
                        help="GUI runs without the 5 ms stall probe (whose own ticks cost the GUI thread CPU): "
                             "the training speed alone")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(gui(args.epochs, not args.no_probe) if args.worker == "gui" else headless(args.epochs)))
        return
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    results: dict[str, list[dict]] = {"gui": [], "headless": []}
    for pair in range(args.pairs):
        for mode in ("gui", "headless") if pair % 2 == 0 else ("headless", "gui"):
            proc = subprocess.run([sys.executable, __file__, "--worker", mode, "--epochs", str(args.epochs)]
                                  + (["--no-probe"] if args.no_probe else []),
                                  capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            results[mode].append(result)
            print(json.dumps(result), flush=True)
    ratios = [g["samples_per_s"] / h["samples_per_s"] for g, h in zip(results["gui"], results["headless"])]
    print(json.dumps({"gui_vs_headless_median_ratio": statistics.median(ratios), "ratios": ratios,
                      "longest_stall_ms": max(g.get("longest_stall_ms", 0.0) for g in results["gui"]),
                      "idle_longest_stall_ms": max(g["idle_longest_stall_ms"] for g in results["gui"]),
                      "start_click_ms": max(g["start_click_ms"] for g in results["gui"])}))


if __name__ == "__main__":
    main()
