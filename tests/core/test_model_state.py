"""The model's declared state: what ``model.state()`` hands to core.io and ``Model.from_state`` takes back, and
that nothing outside core.api reaches for the model's private attributes."""

import ast
import pathlib

import numpy as np
import pytest

import core
from core.data.preprocessing import Preprocessing, make_scaler
from core.io import h5
from core.io.state import ModelState
from core.training import CompileSpec, History

ROOT = pathlib.Path(__file__).resolve().parents[2]
PRIVATE = {"_compiled", "_get_trainer", "_network", "_trainer", "_graph", "_attach", "_invalidate", "_prepare"}


def _trained(tmp_path=None):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    model = core.Sequential([core.Dense(8, activation="relu", input_dim=4), core.Dense(3, activation="softmax")])
    model.compile(optimizer=core.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    model.preprocessing = Preprocessing([make_scaler("standard").fit(x)], class_names=["a", "b", "c"])
    model.dataset_info = {"name": "blobs", "params": {"n": 40}}
    return model, x, y


def test_state_holds_everything_a_file_keeps_and_from_state_rebuilds_the_model():
    model, x, y = _trained()
    state = model.state()
    assert isinstance(state, ModelState) and isinstance(state.compiled, CompileSpec)
    assert state.sequential and state.history is model.history and state.dataset == model.dataset_info
    again = core.Model.from_state(state)
    assert isinstance(again, core.Sequential)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again.optimizer is state.compiled.optimizer and again.loss is state.compiled.loss
    assert again.history.history == model.history.history
    assert again.preprocessing is model.preprocessing and again.dataset_info == model.dataset_info


def test_a_file_round_trip_keeps_the_whole_state(tmp_path):
    model, x, y = _trained()
    core.save_model(model, tmp_path / "m.h5")
    state = h5.read_model(tmp_path / "m.h5")
    assert state.history.history["loss"] == pytest.approx(model.history.history["loss"])
    assert state.compiled.optimizer.iterations == model.optimizer.iterations
    assert state.dataset == model.dataset_info and state.preprocessing.class_names == ["a", "b", "c"]
    reopened = core.load_model(tmp_path / "m.h5")
    assert reopened.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True))
    for m in (reopened, model):  # the reopened one continues from the saved optimiser state
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(reopened.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_reset_weights_is_reproducible_and_keeps_the_compile_spec():
    model, x, _ = _trained()
    spec = model.compiled
    model.reset_weights(7)
    first = model.get_weights()
    model.reset_weights(7)
    for a, b in zip(first, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.compiled is spec
    fresh = core.Sequential([core.Dense(8, activation="relu", input_dim=4), core.Dense(3, activation="softmax")])
    fresh.reset_weights(7)
    for a, b in zip(first, fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_new_model_declares_an_empty_state():
    model = core.Sequential([core.Dense(2, input_dim=3)])
    assert model.compiled is None and model.history is None
    assert model.preprocessing is None and model.dataset_info is None
    assert isinstance(History().batches, list)


def _private_model_attributes(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))]


def test_nothing_outside_the_api_reaches_for_the_models_private_attributes():
    files = [p for folder in ("core", "app") for p in (ROOT / folder).rglob("*.py") if p != ROOT / "core" / "api.py"]
    assert [hit for p in files for hit in _private_model_attributes(p)] == []
