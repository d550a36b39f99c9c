"""Training from the GUI vs headless ``fit`` on the ``mlp-mnist`` workload (docs: BENCHMARKS.md), and how
responsive the GUI thread stays meanwhile.

Each measurement runs in its own process, alternating GUI and headless runs (A B A B ...), because the machine is
shared and its speed drifts. A GUI run opens the main window offscreen, puts the workload's network in the
document, offers the synthetic data set to the training panel and presses Start, with Adam lr 1e-3, batch 128, no
validation, exactly as the headless run. A 5 ms QTimer records the gaps between its ticks: the longest gap is
the longest stall of the event loop (the click on Start itself, which splits the data, is reported apart).
Samples/s is the median of the trainer's own per-epoch figures after one warm-up epoch, in both modes.
A development tool, not collected by pytest:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/gui_training.py --pairs 3 --epochs 3
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


def gui(epochs: int) -> dict:
    import app  # noqa: F401  (before any widget)
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from app.__main__ import create_application
    from app.document import Document
    from app.main_window import MainWindow
    from core.bench import WORKLOADS, build_model, make_data
    from core.data import Dataset

    qapp = create_application()
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
    gaps: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]

    where: list[tuple[float, int]] = []

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        where.append((now, panel._progress_state.get("done", 0)))
        last[0] = now

    timer = QTimer(interval=5, timerType=Qt.PreciseTimer, timeout=tick)
    done: list = []
    loop = QEventLoop()
    panel.run_finished.connect(done.append)
    panel.run_finished.connect(loop.quit)
    clock.start()
    timer.start()
    idle = QEventLoop()
    QTimer.singleShot(3000, idle.quit)
    idle.exec()  # the same timer with nothing training: the machine's own noise
    timer.stop()
    idle_gaps, gaps[:], where[:] = list(gaps[1:]), [], []
    started = time.perf_counter()
    if not panel.start():
        raise SystemExit(panel.message.text())
    start_click = time.perf_counter() - started
    last[0] = clock.nsecsElapsed() / 1e6
    timer.start()
    loop.exec()
    timer.stop()
    rates = [float(v) for v in panel.epoch_rates]
    window.close()
    return {"mode": "gui", "samples_per_s": statistics.median(rates[1:]), "epochs": rates,
            "longest_stall_ms": max(gaps[1:]), "p99_stall_ms": float(np.percentile(gaps[1:], 99)),
            "start_click_ms": 1000 * start_click, "outcome": done[0].outcome,
            "idle_longest_stall_ms": max(idle_gaps), "idle_p99_stall_ms": float(np.percentile(idle_gaps, 99)),
            "stalls_over_50ms": int(np.sum(np.array(gaps[1:]) > 50)), "ticks": len(gaps),
            "worst": [(round(gaps[k], 1), round((where[k][0] - where[0][0]) / 1000, 2), where[k][1])
                      for k in np.argsort(gaps)[::-1][:5]]}  # (gap ms, seconds into the run, batches seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="per run, the first being the warm-up")
    parser.add_argument("--worker", choices=["gui", "headless"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps((gui if args.worker == "gui" else headless)(args.epochs)))
        return
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    results: dict[str, list[dict]] = {"gui": [], "headless": []}
    for pair in range(args.pairs):
        for mode in ("gui", "headless") if pair % 2 == 0 else ("headless", "gui"):
            proc = subprocess.run([sys.executable, __file__, "--worker", mode, "--epochs", str(args.epochs)],
                                  capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            results[mode].append(result)
            print(json.dumps(result), flush=True)
    ratios = [g["samples_per_s"] / h["samples_per_s"] for g, h in zip(results["gui"], results["headless"])]
    print(json.dumps({"gui_vs_headless_median_ratio": statistics.median(ratios), "ratios": ratios,
                      "longest_stall_ms": max(g["longest_stall_ms"] for g in results["gui"]),
                      "idle_longest_stall_ms": max(g["idle_longest_stall_ms"] for g in results["gui"]),
                      "start_click_ms": max(g["start_click_ms"] for g in results["gui"])}))


if __name__ == "__main__":
    main()
