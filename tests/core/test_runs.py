"""The training runs a model file keeps: each run's settings (data set reference with its parameters, split,
loss, optimiser, epochs, batch size, seed), its epochs and outcome; the settings chosen for the next run; and the
per-batch history, compact and bounded."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import core
from core import optimizers
from core.api import load_model, save_model
from core.cli import main
from core.training import MAX_BATCH_RECORDS, BatchEnd, History, RunRecord, run_settings
from tests.core import export_templates as tpl


def _model():
    model = core.Sequential([core.Dense(8, activation="relu", input_dim=2), core.Dense(3, activation="softmax")])
    model.compile(optimizer=core.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 2)).astype(np.float32), rng.integers(0, 3, 40)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


def test_runs_and_chosen_settings_survive_a_file(tmp_path):
    model = _model()
    settings = run_settings({"sample": "blobs", "params": {"n": 40}}, loss="sparse_categorical_crossentropy",
                            optimizer=model.optimizer, epochs=2, batch_size=8, validation_split=0.2, seed=3)
    model.runs = [RunRecord(settings, 0, 2, "finished", True, "2026-01-02T03:04:05")]
    model.settings = {**settings, "epochs": 50}
    save_model(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.runs == model.runs
    assert loaded.settings == model.settings and loaded.settings["epochs"] == 50
    assert loaded.runs[0].settings["data"] == {"sample": "blobs", "params": {"n": 40}}
    assert loaded.runs[0].settings["optimizer"]["learning_rate"] == pytest.approx(0.01)


def test_fit_keeps_every_batch_and_the_file_keeps_them_exactly(tmp_path):
    model = _model()
    assert len(model.history.batches) == 2 * 5 and model.history.batches[-1].epoch == 1
    model.history.batches[0] = BatchEnd(0, 0, 5, float("nan"), {}, 0.01, 8)  # a diverged batch, no metric
    save_model(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5").history.batches
    assert np.isnan(loaded[0].loss) and loaded[0].metrics == {}
    assert loaded[1:] == model.history.batches[1:]


def test_a_long_run_keeps_a_bounded_evenly_thinned_batch_history():
    history = History()
    n = 3 * MAX_BATCH_RECORDS
    for k in range(n):
        history.on_batch_end(BatchEnd(k // 100, k % 100, 100, float(k), {}, 0.1, k))
    assert MAX_BATCH_RECORDS // 2 <= len(history.batches) <= MAX_BATCH_RECORDS
    steps = np.diff([b.loss for b in history.batches])
    assert steps.min() == steps.max()  # evenly spaced: the curve keeps its shape
    assert history.batches[0].loss == 0 and history.batches[-1].loss > 0.99 * n - steps[0]


def test_extending_a_history_renumbers_the_later_run_s_batches():
    first, later = History(), History()
    for h, epochs in ((first, 2), (later, 1)):
        for e in range(epochs):
            h.on_batch_end(BatchEnd(e, 0, 1, 1.0, {}, 0.1, 1))
            h.epoch.append(e)
    joined = first.extended(later)
    assert joined.epoch == [0, 1, 2] and [b.epoch for b in joined.batches] == [0, 1, 2]


@pytest.mark.parametrize("runs", ["not a list", [1, "x", {"settings": 3}, {"settings": {}, "epochs": "many"}]])
def test_runs_of_the_wrong_kind_in_a_file_are_left_out(tmp_path, runs):
    import json
    model = _model()
    save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        ds = f["neurocanvas/state.json"]
        state = json.loads(ds[()].tobytes())
        state["runs"], state["settings"] = runs, "not a dict"
        del f["neurocanvas/state.json"]
        f["neurocanvas"].create_dataset("state.json", data=np.frombuffer(json.dumps(state).encode(), np.uint8))
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.runs == [] and loaded.settings is None
    assert len(loaded.history.epoch) == 2


def test_neurocanvas_train_records_each_run_with_its_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    graph = tpl._chain(("InputLayer", {"shape": (2,)}), tpl._dense(8, "tanh"), tpl._dense(3, "softmax"))
    save_model(graph, tmp_path / "d.h5")
    common = ["--data", "blobs", "--param", "n=60", "--batch-size", "16", "--quiet"]
    assert main(["train", "d.h5", *common, "--epochs", "2", "--lr", "0.02", "--scale", "standard"]) == 0
    assert main(["train", "d.h5", *common, "--epochs", "1"]) == 0
    model = load_model(tmp_path / "d.h5")
    assert [(r.first_epoch, r.epochs, r.fresh) for r in model.runs] == [(0, 2, True), (2, 1, False)]
    first = model.runs[0].settings
    assert first["data"] == {"sample": "blobs", "params": {"n": 60}} and first["preprocessing"] == "standard"
    assert first["optimizer"]["learning_rate"] == pytest.approx(0.02) and first["batch_size"] == 16
    assert model.settings == model.runs[1].settings and model.dataset_info == first["data"]
    assert len(model.history.batches) == 3 * 4 and model.history.batches[-1].epoch == 2


def test_run_settings_name_the_schedule_and_keep_the_starting_rate():
    from core import schedules
    optimizer = optimizers.get("sgd", learning_rate=schedules.CosineDecay(0.05, 100))
    settings = run_settings({"file": "/data/x.csv"}, loss="mse", optimizer=optimizer, epochs=3, batch_size=4)
    assert settings["schedule"] == "CosineDecay" and settings["optimizer"]["learning_rate"] == 0.05
