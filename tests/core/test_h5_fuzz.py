"""Fuzzing the .h5 reader: mutated and truncated versions of valid files either load or raise ModelFileError.

The normal run feeds 3,900 cases. 3,000 are damaged files (the seeds and the files of ``fixtures/hostile`` as
they are, then bit flips, bytes set, zeroed 512-byte blocks and truncations of them), opened in a child process
with a memory limit and a time limit per case, so that a file that crashes or hangs libhdf5 fails the test and is
named. 900 are valid HDF5 files with mutated JSON (400) or structure (500), opened here. ``NC_FUZZ_SCALE``
multiplies every count: ``NC_FUZZ_SCALE=20 pytest tests/core/test_h5_fuzz.py`` runs 78,000
(``NC_FUZZ_KEEP=folder`` keeps a file that crashed the child there).
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


CHILD_CASES = 3000  # about 30 s on two cores; NC_FUZZ_SCALE multiplies it


@pytest.mark.timeout(int(300 * max(1.0, SCALE)))
def test_mutated_files_in_a_child(seeds, tmp_path):
    """Bit flips, bytes set, zeroed 512-byte blocks and truncations of valid files, opened in a child process
    with a memory limit and a time limit per case, so that a file that takes libhdf5 down (a segfault, a hang, an
    allocation beyond the limit) fails this test and names the file, instead of ending the test run."""
    import signal
    import subprocess
    import sys
    for name, data in seeds.items():
        (tmp_path / name).write_bytes(data)
    hostile = sorted((FIXTURES / "hostile").glob("*.h5"))
    child = Path(__file__).with_name("h5_fuzz_child.py")
    count = max(1, int(CHILD_CASES * SCALE))
    run = subprocess.run([sys.executable, str(child), str(tmp_path), str(count), "20261204",
                          *(str(tmp_path / name) for name in seeds), *map(str, hostile)],
                         capture_output=True, text=True, timeout=600 * max(1.0, SCALE))
    if run.returncode != 0:
        label = (tmp_path / "current.txt").read_text() if (tmp_path / "current.txt").exists() else "?"
        kept = Path(os.environ.get("NC_FUZZ_KEEP", str(tmp_path))) / "crash.h5"
        if (tmp_path / "current.h5").exists():
            kept.write_bytes((tmp_path / "current.h5").read_bytes())
        how = (f"signal {signal.Signals(-run.returncode).name}" if run.returncode < 0 else f"exit {run.returncode}")
        pytest.fail(f"case {label} ended the reading process ({how}; SIGALRM is a hang); the file is kept at "
                    f"{kept}\n{run.stderr[-2000:]}")
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["wrong"] == []
    assert summary["loaded"] + summary["refused"] == count
