"""The generated scripts' ``train()`` uses the settings the model was trained with (``model.settings``, else its
last run's), and values from a hostile file never become code."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import optimizers
from core.api import Sequential, load_model, save_model
from core.io import exporters
from core.io.codegen import WIDTH, core_script, keras_script
from core.layers.core import Dense, InputLayer
from core.training import RunRecord, run_settings

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '"); import os; os.system("x'
SETTINGS = dict(loss="mse", optimizer=optimizers.get("sgd", learning_rate=0.05, momentum=0.9), epochs=3,
                batch_size=8, validation_split=0.25)


def _model(**changes):
    m = Sequential([InputLayer(shape=(2,)), Dense(2, activation="softmax", name="head")], name="moons_net")
    m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    m.settings = run_settings({"sample": "moons", "params": {"n": 40, "noise": 0.1}}, **{**SETTINGS, **changes})
    return m


def _function(source: str, name: str) -> ast.FunctionDef:
    return next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name)


def _defaults(func: ast.FunctionDef) -> dict:
    names = [a.arg for a in func.args.args][-len(func.args.defaults):]
    return {n: ast.literal_eval(d) for n, d in zip(names, func.args.defaults)}


def _calls(node: ast.AST, suffix: str) -> list[ast.Call]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Call) and ast.unparse(c.func).endswith(suffix)]


def _keywords(call: ast.Call) -> dict:
    return {k.arg: ast.unparse(k.value) for k in call.keywords}


@pytest.mark.parametrize("script, prefix", [(keras_script, "keras.optimizers."), (core_script, "optimizers.")])
def test_train_uses_the_recorded_settings(script, prefix):
    train = _function(script(_model()), "train")
    assert _defaults(train) == {"epochs": 3, "batch_size": 8, "validation_split": 0.25}
    compiled = _keywords(_calls(train, "model.compile")[0])
    assert compiled["loss"] == "'mean_squared_error'" and compiled["metrics"] == "['accuracy']"
    assert compiled["optimizer"] == f"{prefix}SGD(learning_rate=0.05, momentum=0.9)"
    assert _keywords(_calls(train, "model.fit")[0]) == {"batch_size": "batch_size", "epochs": "epochs",
                                                        "validation_split": "validation_split"}


def test_the_settings_survive_the_model_file_and_the_exporter(tmp_path):
    save_model(_model(), tmp_path / "net.h5")
    reopened = load_model(tmp_path / "net.h5")
    source = exporters.get("keras-script").text(reopened, "net.h5")
    assert "keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)" in source
    assert 'load_sample("moons", n=40, noise=0.1)' in source
    assert "def train(model, x, y, epochs=3, batch_size=8, validation_split=0.25):" in source


def test_without_settings_the_last_run_decides_then_the_defaults():
    m = _model()
    m.settings = None
    m.runs = [RunRecord(run_settings({"file": "/data/old.npz"}, **SETTINGS)),
              RunRecord(run_settings({"file": "/data/new.csv"}, **{**SETTINGS, "epochs": 7}))]
    source = keras_script(m)
    assert 'DATA = "/data/new.csv"' in source and _defaults(_function(source, "train"))["epochs"] == 7
    m.runs = []
    train = _function(keras_script(m), "train")
    assert _defaults(train) == {"epochs": 10, "batch_size": 32, "validation_split": 0.1}
    assert not _calls(train, "model.compile")  # continues with compile_model's optimiser, as before


def test_schedules_keras_has_are_written_and_the_others_say_so():
    source = keras_script(_model(schedule="ExponentialDecay"))
    schedule = _calls(_function(source, "train"), "schedules.ExponentialDecay")[0]
    assert _keywords(schedule) == {"initial_learning_rate": "0.05", "decay_steps": "steps", "decay_rate": "0.9"}
    assert "SGD(learning_rate=learning_rate, momentum=0.9)" in source
    stepped = keras_script(_model(schedule="StepDecay"))
    assert "Keras has no StepDecay" in stepped and "SGD(learning_rate=0.05, momentum=0.9)" in stepped
    assert _calls(_function(core_script(_model(schedule="StepDecay")), "train"), "schedules.StepDecay")


def _hostile_model():
    m = _model()
    m.settings = {**m.settings, "loss": HOSTILE, "schedule": HOSTILE, "epochs": HOSTILE, "batch_size": float("nan"),
                  "seed": True, "preprocessing": HOSTILE, "data": {"sample": "moons", "params": {
                      "n": 40, HOSTILE: 1, "noise": HOSTILE}},
                  "optimizer": {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, HOSTILE: 1.0,
                                "nesterov": HOSTILE}}
    return m


@pytest.mark.parametrize("script", [keras_script, core_script])
def test_hostile_values_never_become_code(script):
    source = script(_hostile_model())
    assert "system" not in source and "import os;" not in source
    train = _function(source, "train")
    assert _defaults(train) == {"epochs": 10, "batch_size": 32, "validation_split": 0.25}
    compiled = _keywords(_calls(train, "model.compile")[0])
    assert compiled["loss"] == "'categorical_crossentropy'"  # the model's own, with a comment saying why
    assert compiled["optimizer"].endswith("SGD(learning_rate=0.05, momentum=0.9)")
    assert "The recorded loss is not one NeuroCanvas knows" in source
    assert 'load_sample("moons", n=40)' in source


def test_hostile_names_and_paths_stay_values():
    m = _model()
    m.settings = {**m.settings, "optimizer": {"name": HOSTILE, "learning_rate": 0.05},
                  "data": {"file": HOSTILE + "\n" + '\\"""'}}
    source = keras_script(m)
    tree = ast.parse(source)
    data = next(n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "DATA")
    assert data.value.value == m.settings["data"]["file"]
    assert [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))] == [
        "import os", "import sys", "import keras", "import numpy as np", "from keras import layers"]
    assert not [c for c in _calls(tree, "system")]
    assert "keras.optimizers.Adam(learning_rate=0.001)" in ast.unparse(_function(source, "train"))
    m.settings["data"] = {"sample": HOSTILE}
    assert "--same-data" not in keras_script(m) and "load_sample" not in keras_script(m)


def test_the_core_script_trains_on_the_data_it_was_trained_on(tmp_path):
    m = _model(loss="categorical_crossentropy")
    save_model(m, tmp_path / "net.h5")
    (tmp_path / "net_core.py").write_text(core_script(m, "net.h5"))
    code = ("import runpy, sys; sys.argv = ['net_core.py', '--same-data']; "
            "ns = runpy.run_path('net_core.py', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code + "; m = ns['model']; print('epochs', len(m.history.epoch))"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "epochs 3" in done.stdout


def test_the_keras_script_trains_with_keras(tmp_path):
    pytest.importorskip("keras")
    m = _model(loss="categorical_crossentropy")
    save_model(m, tmp_path / "net.h5")
    (tmp_path / "net_keras.py").write_text(keras_script(m, "net.h5"))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(16, 2)).astype(np.float32),
             y=np.eye(2, dtype=np.float32)[rng.integers(0, 2, 16)])
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
           **{k: v for k, v in os.environ.items() if k == "KERAS_BACKEND"}}
    for data in ("data.npz", "--same-data"):
        done = subprocess.run([sys.executable, "net_keras.py", data], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env=env)
        assert done.returncode == 0, done.stderr
        assert "Epoch 3/3" in done.stdout


@pytest.mark.parametrize("schedule", ["constant", "ExponentialDecay", "InverseTimeDecay", "CosineDecay", "StepDecay"])
@pytest.mark.parametrize("script", [keras_script, core_script])
def test_scripts_with_settings_are_formatted_python(script, schedule):
    m = _model(schedule=schedule, preprocessing="standard", augmentation={"noise": 0.1})
    for data in (m.settings["data"], {"file": "/data/a folder/with a long name/" + "x" * 60 + ".csv"}):
        m.settings["data"] = data
        source = script(m)
        assert max(len(line) for line in source.splitlines() if not line.startswith("DATA = ")) <= WIDTH
        assert not any(line != line.rstrip() for line in source.splitlines())
        compile(source, "<generated>", "exec")
    assert "scale x the same way" in source and "augmented its inputs" in source
