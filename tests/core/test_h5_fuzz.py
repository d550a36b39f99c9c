"""Fuzzing the .h5 reader: mutated and truncated versions of valid files either load or raise ModelFileError.

The normal run feeds 2,500 cases (byte flips 1,000, truncations 600, JSON mutations 400, structure mutations
500). ``NC_FUZZ_SCALE`` multiplies every count: ``NC_FUZZ_SCALE=20 pytest tests/core/test_h5_fuzz.py`` runs
50,000.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Add, Dense, Input, Model, ModelFileError, load_model
from core.api import save_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCALE = float(os.environ.get("NC_FUZZ_SCALE", "1"))


def fuzz(examples: int):
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
SEEDS = ("keras3_mlp.h5", "keras2_gru.h5", "ours.h5")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """Valid files: two written by Keras and one of ours (functional, compiled, trained, with positions)."""
    folder = tmp_path_factory.mktemp("seeds")
    inp = Input((4,))
    out = Dense(3, activation="softmax")(Add()([Dense(5, activation="relu")(inp), Dense(5)(inp)]))
    model = Model(inputs=inp, outputs=out)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(8, 4)), np.eye(3)[rng.integers(0, 3, 8)], epochs=2, batch_size=4, verbose=0)
    for k, layer_id in enumerate(model.graph.layer_ids):
        model.graph.set_meta(layer_id, pos=(10.0 * k, 5.0))
    save_model(model, folder / "ours.h5")
    data = {name: (FIXTURES / name).read_bytes() for name in SEEDS[:2]}
    data["ours.h5"] = (folder / "ours.h5").read_bytes()
    return data


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(path: Path) -> None:
    """The property: a model, or a ModelFileError that names the file."""
    try:
        model = load_model(path)
    except ModelFileError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(model, Model)


def _write(workdir: Path, data: bytes) -> Path:
    path = workdir / "case.h5"
    path.write_bytes(data)
    return path


@fuzz(1000)
@given(seed=st.sampled_from(SEEDS), flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                                             st.integers(0, 255)), min_size=1, max_size=8))
def test_byte_flips(seeds, workdir, seed, flips):
    data = bytearray(seeds[seed])
    for where, value in flips:
        data[int(where * len(data))] = value
    _check(_write(workdir, bytes(data)))


@fuzz(600)
@given(seed=st.sampled_from(SEEDS), keep=st.floats(0, 1, exclude_max=True))
def test_truncation(seeds, workdir, seed, keep):
    data = seeds[seed]
    _check(_write(workdir, data[: int(keep * len(data))]))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(["Dense", "InputLayer", "Lambda", "hard_sigmoid", "same", "__keras_tensor__", "float64",
                       "input_layer", "dense", "Functional", "Sequential"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8)


def _json_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _json_paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _json_paths(child, prefix + (i,))


def _mutate_json(doc, path, action, new):
    if not path:
        return new if action == "replace" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


@fuzz(400)
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_json_mutations(seeds, workdir, seed, data):
    path = _write(workdir, seeds[seed])
    with h5py.File(path, "r+") as f:
        targets = [("attr", k) for k in ("model_config", "training_config") if k in f.attrs]
        if "neurocanvas/state.json" in f:
            targets.append(("dataset", "neurocanvas/state.json"))
        kind, key = data.draw(st.sampled_from(targets))
        raw = f.attrs[key] if kind == "attr" else f[key][()].tobytes()
        doc = json.loads(raw)
        for _ in range(data.draw(st.integers(1, 3))):
            paths = list(_json_paths(doc))
            where = data.draw(st.sampled_from(paths))
            doc = _mutate_json(doc, where, data.draw(st.sampled_from(["replace", "delete"])), data.draw(JSON_VALUES))
        text = json.dumps(doc).encode("utf-8")
        if kind == "attr":
            f.attrs[key] = text
        else:
            del f[key]
            f.create_dataset(key, data=np.frombuffer(text, dtype=np.uint8))
    _check(path)


ATTR_VALUES = st.one_of(
    st.text(max_size=10), st.integers(-5, 5), st.just(np.zeros((0,), np.float64)),
    st.lists(st.sampled_from(["dense", "dense_1", "dropout", "gru", "nope", ""]), max_size=4).map(
        lambda xs: np.array(xs, dtype=h5py.string_dtype("ascii"))),
    st.lists(st.floats(-3, 3), min_size=1, max_size=3).map(np.array))


@fuzz(500)
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_structure_mutations(seeds, workdir, seed, data):
    path = _write(workdir, seeds[seed])
    with h5py.File(path, "r+") as f:
        objects = ["/"]
        f.visit(objects.append)
        for _ in range(data.draw(st.integers(1, 3))):
            name = data.draw(st.sampled_from(objects))
            if name not in f:
                continue
            obj = f[name]
            action = data.draw(st.sampled_from(["del_attr", "set_attr", "del_obj", "replace_ds"]))
            attrs = sorted(obj.attrs)
            if action == "del_attr" and attrs:
                del obj.attrs[data.draw(st.sampled_from(attrs))]
            elif action == "set_attr":
                key = data.draw(st.sampled_from(attrs + ["layer_names0", "weight_names"]))
                obj.attrs[key] = data.draw(ATTR_VALUES)
            elif action == "del_obj" and name != "/":
                del f[name]
            elif action == "replace_ds" and isinstance(obj, h5py.Dataset):
                shape = tuple(data.draw(st.lists(st.integers(0, 4), max_size=3)))
                dtype = data.draw(st.sampled_from(["f4", "f8", "i4", "u1", "S3", "?"]))
                del f[name]
                f.create_dataset(name, data=np.zeros(shape, dtype=dtype))
    _check(path)
