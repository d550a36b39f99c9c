"""Keras-compatible .h5 files: Keras-written fixtures, round trips, refusals, damaged files, atomic saves."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from core import Dense, Dropout, Input, Model, ModelFileError, Sequential, SGD, load_model
from core.api import save_model
from core.graph import Graph
from core.io import h5 as h5io
from core.io.h5 import read_string_list, write_string_list
from core.io.keras_model import keras_order
from core.layers import registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KERAS_FILES = sorted(p for p in FIXTURES.glob("keras[23]_*.h5"))


def _config(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["model_config"])


def _set_config(path: Path, config: dict) -> None:
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf-8")


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    os.chmod(target, 0o644)
    return target


def _trained_mlp(seed: int = 0, dropout: float = 0.25) -> tuple[Sequential, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(48, 6)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 48)]
    model = Sequential([Dense(8, activation="relu", input_dim=6), Dropout(dropout), Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(0.05, momentum=0.9, nesterov=True), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    return model, x, y


# -- files written by Keras ------------------------------------------------------------------------------------
def test_fixtures_are_present():
    assert {p.name for p in KERAS_FILES} >= {"keras3_mlp.h5", "keras2_mlp.h5"}


@pytest.mark.parametrize("path", KERAS_FILES, ids=lambda p: p.stem)
def test_keras_fixture_reproduces_keras_output(path):
    io = np.load(path.with_name(path.stem + "_io.npz"))
    model = load_model(path)
    assert isinstance(model, Sequential) == (_config(path)["class_name"] == "Sequential")
    np.testing.assert_allclose(model.predict(io["x"]), io["y"], atol=1e-5)


def test_keras3_functional_file_restores_compile_and_optimizer_state():
    """keras3_functional.h5 was written by Keras 3.15.1 (torch) after two epochs of Adam."""
    path = FIXTURES / "keras3_functional.h5"
    model = load_model(path)
    assert type(model) is Model and model.loss.name == "categorical_crossentropy"
    state = model.optimizer.get_state()
    assert state["iterations"] == 8
    network = model.network
    trainable = [(i, s.name) for i in network.order for s in network.specs[i] if s.trainable]
    assert len(state["slots"]) == len(trainable) == 10
    with h5py.File(path, "r") as f:
        for (layer_id, weight), slots in zip(trainable, state["slots"]):
            name = network.layers[layer_id].name
            for slot, value in zip(("momentum", "velocity"), slots):
                np.testing.assert_array_equal(value, f[f"optimizer_weights/adam/{name}_{weight}_{slot}"][()])


def test_keras2_hard_sigmoid_is_tf2_formula_and_keras3_is_keras3(tmp_path):
    for name, expected in (("keras2_mlp.h5", "hard_sigmoid_tf2"), ("keras3_mlp.h5", "hard_sigmoid")):
        path = _copy(name, tmp_path)
        config = _config(path)
        config["config"]["layers"][1]["config"]["activation"] = "hard_sigmoid"
        _set_config(path, config)
        assert load_model(path).get_layer("dense").config["activation"] == expected


def test_keras2_sequential_without_input_layer(tmp_path):
    path = _copy("keras2_mlp.h5", tmp_path)
    config = _config(path)
    first = config["config"]["layers"].pop(0)
    config["config"]["layers"][0]["config"]["batch_input_shape"] = first["config"]["batch_input_shape"]
    _set_config(path, config)
    io = np.load(FIXTURES / "keras2_mlp_io.npz")
    np.testing.assert_allclose(load_model(path).predict(io["x"]), io["y"], atol=1e-5)


def test_keras_archive_gets_a_hint(tmp_path):
    import zipfile
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(ModelFileError, match=r"\.keras archive"):
        load_model(path)


def test_keras_training_config_compiles_the_model(tmp_path):
    path = _copy("keras2_mlp.h5", tmp_path)
    training = {"loss": "categorical_crossentropy",
                "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy",
                                                                            "fn": "categorical_accuracy"}}]],
                "optimizer_config": {"class_name": "Custom>SGD",
                                     "config": {"name": "SGD", "learning_rate": 0.01, "momentum": 0.9,
                                                "nesterov": True, "is_legacy_optimizer": False}}}
    with h5py.File(path, "r+") as f:
        f.attrs["training_config"] = json.dumps(training)
    model = load_model(path)
    assert model.loss.name == "categorical_crossentropy"
    assert isinstance(model.optimizer, SGD) and model.optimizer.momentum == pytest.approx(0.9)
    assert load_model(path, compile=False).optimizer is None
    training["loss"] = "focal_loss"
    with h5py.File(path, "r+") as f:
        f.attrs["training_config"] = json.dumps(training)
    with pytest.raises(ModelFileError, match="compile=False"):
        load_model(path)


def test_keras3_functional_node_format_and_chunked_names(tmp_path):
    inp = Input((5,))
    a, b = Dense(4, activation="tanh")(inp), Dense(3)(inp)
    model = Model(inputs=inp, outputs=Dense(2)(_merge([a, Dense(4)(b)])))
    path = tmp_path / "f.h5"
    save_model(model, path)
    config = _config(path)
    for entry in config["config"]["layers"]:  # rewrite as Keras 3 writes it
        entry["inbound_nodes"] = [{"args": [[_k3_tensor(r) for r in node]] if len(node) > 1
                                   else [_k3_tensor(node[0])], "kwargs": {}} for node in entry["inbound_nodes"]]
        if entry["class_name"] == "InputLayer":
            entry["config"]["batch_shape"] = entry["config"].pop("batch_input_shape")
    config["config"]["input_layers"] = config["config"]["input_layers"][0]
    _set_config(path, config)
    with h5py.File(path, "r+") as f:
        group = f["model_weights"]
        names = read_string_list(group, "layer_names")
        del group.attrs["layer_names"]
        group.attrs["layer_names0"] = np.array(names[:2], dtype=h5py.string_dtype("ascii"))
        group.attrs["layer_names1"] = np.array(names[2:], dtype=h5py.string_dtype("ascii"))
    x = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    np.testing.assert_array_equal(load_model(path).predict(x), model.predict(x))


def _merge(tensors):
    from core import Add
    return Add()(tensors)


def _k3_tensor(ref):
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, 4], "dtype": "float32",
                                                         "keras_history": ref[:3]}}


def test_string_list_chunking_round_trip(tmp_path):
    names = [f"layer_with_a_rather_long_name_{i:05d}" * 3 for i in range(1200)]
    with h5py.File(tmp_path / "c.h5", "w") as f:
        write_string_list(f, "layer_names", names)
        write_string_list(f, "weight_names", [])
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs
        assert f.attrs["weight_names"].dtype == np.float64
        assert read_string_list(f, "layer_names") == names and read_string_list(f, "weight_names") == []


def test_keras_regularizers_and_initializers_are_mapped(tmp_path):
    path = _copy("keras2_mlp.h5", tmp_path)
    config = _config(path)
    dense = config["config"]["layers"][1]["config"]
    dense["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": 0.001}}
    dense["bias_initializer"] = "he_normal"
    _set_config(path, config)
    layer = load_model(path).get_layer("dense")
    assert layer.config["kernel_regularizer"] == {"l1": 0.0, "l2": 0.001}
    assert layer.config["bias_initializer"] == "he_normal"
    dense["kernel_initializer"] = {"class_name": "RandomNormal", "config": {"stddev": 0.01}}
    _set_config(path, config)
    with pytest.raises(ModelFileError, match="RandomNormal with stddev=0.01"):
        load_model(path)


# -- refusals --------------------------------------------------------------------------------------------------
def test_unsupported_layers_are_listed_in_one_error(tmp_path):
    path = _copy("keras3_mlp.h5", tmp_path)
    config = _config(path)
    layers = config["config"]["layers"]
    layers[1]["config"]["kernel_constraint"] = {"class_name": "MaxNorm", "config": {"max_value": 2}}
    layers.insert(2, {"class_name": "Lambda", "config": {"name": "lam", "function": "payload"}})
    layers.insert(3, {"class_name": "MyLayer", "registered_name": "pkg>MyLayer", "config": {"name": "mine"}})
    layers.insert(4, {"class_name": "Dropout", "config": {"name": "odd", "rate": 0.1, "noise_shape": [1, 2]}})
    _set_config(path, config)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    text = str(info.value)
    assert str(path) in text
    for expected in ("'dense' (Dense): kernel_constraint MaxNorm", "'lam' (Lambda)", "'mine' (MyLayer)",
                     "'odd' (Dropout): option noise_shape"):
        assert expected in text


def test_time_major_true_and_frozen_layers_are_refused(tmp_path):
    path = _copy("keras2_gru.h5", tmp_path)
    config = _config(path)
    config["config"]["layers"][1]["config"]["time_major"] = True
    config["config"]["layers"][2]["config"]["trainable"] = False
    _set_config(path, config)
    with pytest.raises(ModelFileError, match="time_major=True") as info:
        load_model(path)
    assert "trainable=false" in str(info.value)


@pytest.mark.parametrize("damage", ["not_hdf5", "missing", "truncated", "no_config", "bad_json", "wrong_shape",
                                    "no_layer_names", "string_weights", "missing_group", "extra_layer"])
def test_damaged_files_raise_model_file_error(tmp_path, damage):
    path = _copy("keras3_mlp.h5", tmp_path)
    if damage == "not_hdf5":
        path.write_text("hello")
    elif damage == "missing":
        path = tmp_path / "nothing.h5"
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: 9000])
    else:
        with h5py.File(path, "r+") as f:
            weights = f["model_weights"]
            if damage == "no_config":
                del f.attrs["model_config"]
            elif damage == "bad_json":
                f.attrs["model_config"] = "{not json"
            elif damage == "wrong_shape":
                del weights["dense/sequential/dense/kernel"]
                weights["dense"].create_dataset("sequential/dense/kernel", data=np.zeros((64, 20), np.float32))
            elif damage == "no_layer_names":
                del weights.attrs["layer_names"]
            elif damage == "string_weights":
                del weights["dense/sequential/dense/bias"]
                weights["dense"].create_dataset("sequential/dense/bias", data=np.array(["x"] * 64, dtype="S1"))
            elif damage == "missing_group":
                del weights["dense_1"]
            elif damage == "extra_layer":
                write_string_list(weights, "layer_names", ["dense", "dropout", "dense_1", "dense"])
    with pytest.raises(ModelFileError, match=str(path.name)):
        load_model(path)


# -- our own files ---------------------------------------------------------------------------------------------
def test_round_trip_keeps_everything_and_training_continues_identically(tmp_path):
    model, x, y = _trained_mlp(dropout=0.0)  # no dropout: its random stream is not part of the saved state
    model.graph.set_meta(model.graph.layer_ids[1], pos=(120.0, -40.5))
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, Sequential)
    assert [(l.type_name, l.name, l.config) for l in loaded.layers] == [
        (l.type_name, l.name, l.config) for l in model.layers]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.history.history == model.history.history and loaded.history.epoch == model.history.epoch
    assert loaded.graph.meta(loaded.graph.id_of(model.layers[0].name))["pos"] == (120.0, -40.5)
    saved, restored = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert restored["iterations"] == saved["iterations"] == 6
    for ga, gb in zip(saved["slots"], restored["slots"]):
        for sa, sb in zip(ga, gb):
            np.testing.assert_array_equal(sa, sb)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    model.fit(x, y, epochs=3, initial_epoch=2, batch_size=16, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=3, initial_epoch=2, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_round_trip_keeps_preprocessing_dataset_reference_and_batch_history(tmp_path):
    from core.data.preprocessing import Preprocessing, Standardizer
    from core.training import Callback
    model, x, y = _trained_mlp()

    class Batches(Callback):
        records: list = []

        def on_batch_end(self, record):
            self.records.append(record)

    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Batches()])
    model.history.batches = list(Batches.records)
    model.preprocessing = Preprocessing([Standardizer().fit(x)], class_names=["a", "b", "c"])
    model.dataset_info = {"name": "blobs", "source": "samples/blobs.csv", "samples": 48}
    path = tmp_path / "model.h5"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.history.batches == model.history.batches and len(loaded.history.batches) == 3
    assert loaded.preprocessing.to_dict() == model.preprocessing.to_dict()
    np.testing.assert_allclose(loaded.preprocessing.apply(x), model.preprocessing.apply(x))
    assert loaded.dataset_info == model.dataset_info


def test_written_file_is_in_the_style_keras2_keras3_and_netron_open(tmp_path):
    model, _, _ = _trained_mlp()
    path = tmp_path / "model.h5"
    save_model(model, path)
    config = _config(path)
    assert config["class_name"] == "Sequential"
    first = config["config"]["layers"][0]
    assert first["class_name"] == "InputLayer" and first["config"]["batch_input_shape"] == [None, 6]
    with h5py.File(path, "r") as f:
        names = read_string_list(f["model_weights"], "layer_names")
        assert names == [l.name for l in model.layers]  # Sequential: the InputLayer is not listed
        for name in names:
            weight_names = read_string_list(f["model_weights"][name], "weight_names")
            assert all(isinstance(f["model_weights"][name][w], h5py.Dataset) for w in weight_names)
        assert f["model_weights/dropout"].attrs["weight_names"].dtype == np.float64
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "SGD" and training["loss"] == "categorical_crossentropy"
        optimizer_names = read_string_list(f["optimizer_weights"], "weight_names")
        assert optimizer_names[:2] == ["sgd/iteration", "sgd/learning_rate"] and len(optimizer_names) == 6


@pytest.mark.skipif(not {"Concatenate", "Add"} <= set(registry.all_types()), reason="merge layers missing")
def test_functional_two_branch_round_trip(tmp_path):
    from core import Add, Concatenate
    inp = Input((6,), name="features")
    left = Dense(5, activation="relu")(inp)
    right = Dense(5, activation="tanh")(Dense(7)(inp))
    joined = Concatenate()([Add()([left, right]), left])
    model = Model(inputs=inp, outputs=Dense(2, activation="sigmoid")(joined))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(20, 6)).astype(np.float32), rng.integers(0, 2, (20, 2)).astype(np.float32)
    model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    for k, layer_id in enumerate(model.graph.layer_ids):
        model.graph.set_meta(layer_id, pos=(float(k), 2.0 * k))
    path = tmp_path / "functional.h5"
    save_model(model, path)
    config = _config(path)
    assert config["class_name"] == "Functional"
    concat = next(e for e in config["config"]["layers"] if e["class_name"] == "Concatenate")
    assert concat["inbound_nodes"] == [[["add", 0, 0, {}], ["dense", 0, 0, {}]]]
    with h5py.File(path, "r") as f:
        names = read_string_list(f["model_weights"], "layer_names")
    assert names[0] == "features" and names == [model.graph.layer(i).name for i in keras_order(model.graph)]
    loaded = load_model(path)
    assert type(loaded) is Model
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    for layer_id in model.graph.layer_ids:
        name = model.graph.layer(layer_id).name
        assert loaded.graph.meta(loaded.graph.id_of(name)) == model.graph.meta(layer_id)
        assert loaded.get_layer(name).config == model.graph.layer(layer_id).config
    assert loaded.optimizer.get_state()["iterations"] == 4


LAYER_EXAMPLES = [(name, k) for name in registry.all_types() if name != "InputLayer"
                  for k in range(len(registry.get(name).examples()))]


@pytest.mark.parametrize("type_name,k", LAYER_EXAMPLES, ids=[f"{n}-{k}" for n, k in LAYER_EXAMPLES])
def test_every_registered_layer_round_trips(tmp_path, type_name, k):
    """Config translation is driven by the registry: every layer example survives a save and load."""
    config, shapes = registry.get(type_name).examples()[k]
    graph = Graph()
    inputs = [graph.add_layer(registry.get("InputLayer")(shape=s)) for s in shapes]
    layer_id = graph.add_layer(registry.get(type_name)(**config))
    for source in inputs:
        graph.connect(source, layer_id)
    path = tmp_path / "layer.h5"
    save_model(graph, path)
    loaded = load_model(path)
    assert loaded.get_layer(graph.layer(layer_id).name).config == graph.layer(layer_id).config
    xs = [np.random.default_rng(k).normal(size=(2, *s)).astype(np.float32) for s in shapes]
    original = Model.from_graph(graph)
    original.set_weights(loaded.get_weights())
    np.testing.assert_array_equal(loaded.predict(xs), original.predict(xs))


def test_keras_order_matches_keras_map_graph():
    """Keras orders a functional model's layers by decreasing depth, ties by traversal from the outputs."""
    inp = Input((4,), name="in")
    short = Dense(2, name="short")(inp)
    long = Dense(2, name="long2")(Dense(3, name="long1")(inp))
    out = _merge([short, long])
    model = Model(inputs=inp, outputs=out)
    names = [model.graph.layer(i).name for i in keras_order(model.graph)]
    assert names == ["in", "long1", "short", "long2", "add"]


def test_bare_graph_and_tf2_hard_sigmoid_round_trip(tmp_path):
    graph = Graph.chain([registry.get("InputLayer")(shape=(3,)), Dense(2, activation="hard_sigmoid_tf2")])
    path = tmp_path / "design.h5"
    save_model(graph, path)
    assert _config(path)["config"]["layers"][1]["config"]["activation"] == "hard_sigmoid"
    loaded = load_model(path)
    assert loaded.layers[0].config["activation"] == "hard_sigmoid_tf2" and loaded.optimizer is None


def test_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    old, x, _ = _trained_mlp(seed=1)
    path = tmp_path / "model.h5"
    save_model(old, path)
    new, _, _ = _trained_mlp(seed=2)
    calls = {"n": 0}
    real = h5io.write_dataset

    def failing(group, name, value):
        calls["n"] += 1
        if calls["n"] > 5:  # about half of this model's 11 datasets
            raise RuntimeError("disk full")
        real(group, name, value)

    monkeypatch.setattr(h5io, "write_dataset", failing)
    with pytest.raises(ModelFileError, match="disk full"):
        save_model(new, path)
    monkeypatch.undo()
    assert calls["n"] == 6
    assert os.listdir(tmp_path) == ["model.h5"]  # the temporary file is gone
    np.testing.assert_array_equal(load_model(path).predict(x), old.predict(x))


def test_saved_files_get_the_usual_permissions_and_keep_an_existing_files(tmp_path):
    import stat
    model = Sequential([Dense(2, input_dim=3)])
    old = os.umask(0o022)
    try:
        save_model(model, tmp_path / "new.h5")
        assert stat.S_IMODE(os.stat(tmp_path / "new.h5").st_mode) == 0o644
        os.chmod(tmp_path / "new.h5", 0o640)
        save_model(model, tmp_path / "new.h5")
        assert stat.S_IMODE(os.stat(tmp_path / "new.h5").st_mode) == 0o640
    finally:
        os.umask(old)
