"""The Dataset object: checks with actionable errors, stratified seeded splits, batches, fitted preprocessing."""

import json

import numpy as np
import pytest

from core.data import (DataError, Dataset, LabelEncoder, MinMaxScaler, NpyFile, Preprocessing, Standardizer,
                       one_hot)
from core.errors import NeuroCanvasError


def _blobs(n=100, classes=(0, 1)):
    rng = np.random.default_rng(0)
    y = np.resize(np.array(classes), n)
    x = rng.normal(size=(n, 3)).astype(np.float32) + y[:, None]
    return Dataset(x, y, class_names=["a", "b", "c"][:len(set(classes))])


def test_bad_arrays_get_errors_that_say_the_fix():
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(DataError, match="4 samples but the targets have 3: give one target per sample"):
        Dataset(x, np.array([0, 1, 0]))
    with pytest.raises(DataError, match="not numeric.*encode"):
        Dataset(np.array([["a", "b"]] * 4), np.array([0, 1, 0, 1]))
    bad = x.copy()
    bad[0, 0], bad[1, 1], bad[2, 0] = np.nan, np.nan, np.inf
    with pytest.raises(DataError, match="2 NaN and 1 infinite"):
        Dataset(bad, np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"only one class \(b\).*at least two"):
        Dataset(x, np.array([1, 1, 1, 1]), class_names=["a", "b"])
    with pytest.raises(DataError, match="inputs are empty"):
        Dataset(np.zeros((0, 2)), np.zeros(0, int))
    with pytest.raises(DataError, match="unknown task kind"):
        Dataset(x, np.zeros((4, 1)), task="clustering")
    assert issubclass(DataError, NeuroCanvasError)


def test_stratified_split_keeps_class_ratios_and_is_seeded():
    data = _blobs(200, classes=(0, 0, 0, 1))  # 150 vs 50
    parts = data.split(validation=0.2, test=0.2, seed=3)
    assert [len(p) for p in parts] == [120, 40, 40]
    for part in parts:
        counts = np.bincount(part.y)
        assert counts[0] == 3 * counts[1]
    again = data.split(validation=0.2, test=0.2, seed=3)
    assert np.array_equal(parts.test.x, again.test.x)
    rows = np.concatenate([p.x for p in parts])
    assert len(np.unique(rows, axis=0)) == 200  # disjoint and complete
    with pytest.raises(DataError, match="leave no training data"):
        data.split(validation=0.5, test=0.5)


def test_batches_cover_every_row_once_in_seeded_order():
    data = _blobs(50)
    batches = list(data.batches(16, seed=1))
    assert [len(b[0]) for b in batches] == [16, 16, 16, 2]
    seen = np.concatenate([b[0] for b in batches])
    assert np.array_equal(np.sort(seen, axis=0), np.sort(data.x, axis=0))
    assert np.array_equal(list(data.batches(16, seed=1))[0][0], batches[0][0])
    assert [len(b[0]) for b in data.batches(16, drop_last=True)] == [16, 16, 16]


def test_scaling_is_fitted_on_train_only_and_round_trips_through_a_plain_dict():
    data = Dataset(np.arange(40, dtype=np.float32).reshape(20, 2) * [1, 10], np.zeros((20, 1)), task="regression")
    parts = data.split(validation=0.0, test=0.25, seed=0)
    scaled = parts.scaled("standard")
    assert np.allclose(scaled.train.x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(scaled.train.x.std(axis=0), 1, atol=1e-5)
    stored = json.loads(json.dumps(scaled.train.preprocessing.to_dict()))
    restored = Preprocessing.from_dict(stored)
    assert np.allclose(restored.apply(parts.test.x), scaled.test.x)
    minmax = MinMaxScaler(feature_range=(-1, 1)).fit(parts.train.x)
    out = minmax.transform(parts.train.x)
    assert out.min() == pytest.approx(-1) and out.max() == pytest.approx(1)
    assert np.allclose(minmax.inverse_transform(out), parts.train.x, atol=1e-4)
    with pytest.raises(DataError, match="fitted on samples of shape"):
        Standardizer().fit(parts.train.x).transform(np.zeros((2, 3)))
    with pytest.raises(DataError, match="not fitted yet"):
        Standardizer().transform(parts.train.x)


def test_label_and_one_hot_encoding_keep_class_names():
    enc = LabelEncoder().fit(["cat", "dog", "cat", "bird"])
    assert enc.classes == ["bird", "cat", "dog"]
    assert enc.transform(["dog", "bird"]).tolist() == [2, 0]
    assert enc.inverse_transform([1]) == ["cat"]
    assert LabelEncoder(enc.to_dict()["classes"]).transform(["cat"]).tolist() == [1]
    with pytest.raises(DataError, match="unknown class label.*fish"):
        enc.transform(["fish"])
    assert one_hot([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_lazy_npy_source_reads_only_asked_rows_and_trains(tmp_path):
    from core import Dense, Sequential
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    source = NpyFile(tmp_path / "x.npy")
    assert source.shape == (300, 4) and len(source) == 300
    assert np.array_equal(source[np.array([5, 1, 5])], x[[5, 1, 5]])
    assert np.array_equal(source[10:13], x[10:13]) and np.array_equal(source[-1], x[-1])
    y = (x[:, 0] > 0).astype(np.int64)
    data = Dataset(source, y)
    parts = data.split(0.0, 0.2, seed=0)
    assert parts.train.lazy  # splitting keeps the rows on disk
    assert np.array_equal(parts.train.x[np.arange(3)], x[parts.train.x.rows[:3]])
    scaled = parts.scaled("standard")
    assert scaled.train.lazy and abs(float(np.asarray(scaled.train.x).mean())) < 1e-5
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(scaled.train.x, scaled.train.y, epochs=3, batch_size=32, verbose=0).history
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
