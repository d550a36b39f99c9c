"""Metrics: values against hand-computed figures, exactness across batch splits, name resolution."""

import numpy as np
import pytest

from core import metrics
from core.errors import ConfigError, ShapeError

# 3 classes, 8 samples: truth and arg-max predictions
TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2])
PRED = np.array([0, 1, 1, 1, 2, 2, 0, 2])
# confusion (rows truth): [[1,1,0],[0,2,1],[1,0,2]]
# precision per class: 1/2, 2/3, 2/3; recall: 1/2, 2/3, 2/3; F1 = same as both are equal per class
SCORES = np.eye(3)[PRED] * 0.6 + 0.1


def _feed(metric, y_pred, y_true, splits=(3, 6)):
    """Update in batches cut at ``splits``; returns the accumulated result."""
    for p, t in zip(np.split(y_pred, splits), np.split(y_true, splits)):
        metric.update(p, t)
    return metric.result()


def test_confusion_matrix_from_labels_one_hot_and_scores():
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 2]])
    np.testing.assert_array_equal(metrics.confusion_matrix(TRUE, PRED), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[TRUE], SCORES), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(TRUE, SCORES, num_classes=4)[:3, :3], expected)
    binary = metrics.confusion_matrix(np.array([[1.0], [0.0], [1.0], [0.0]]), np.array([[0.9], [0.6], [0.2], [0.1]]))
    np.testing.assert_array_equal(binary, [[1, 1], [1, 1]])
    with pytest.raises(ShapeError, match="outside"):
        metrics.confusion_matrix(TRUE, PRED, num_classes=2)
    with pytest.raises(ShapeError, match="targets but"):
        metrics.confusion_matrix(TRUE[:3], PRED)


def test_per_class_precision_recall_f1():
    figures = metrics.precision_recall_f1(metrics.confusion_matrix(TRUE, PRED))
    np.testing.assert_allclose(figures["precision"], [1 / 2, 2 / 3, 2 / 3])
    np.testing.assert_allclose(figures["recall"], [1 / 2, 2 / 3, 2 / 3])
    np.testing.assert_allclose(figures["f1"], [1 / 2, 2 / 3, 2 / 3])
    np.testing.assert_array_equal(figures["support"], [2, 3, 3])
    empty = metrics.precision_recall_f1(np.array([[2, 0], [0, 0]]))
    np.testing.assert_array_equal(empty["precision"], [1.0, 0.0])  # undefined → 0, no warning


def test_macro_precision_recall_f1_accumulate_over_batches():
    y_true = np.eye(3)[TRUE]
    for name, expected in (("precision", 11 / 18), ("recall", 11 / 18), ("f1_score", 11 / 18)):
        metric = metrics.get(name, "categorical_crossentropy", 3)
        assert _feed(metric, SCORES, y_true) == pytest.approx(expected)
    skewed_pred = np.array([0, 0, 0, 1, 1, 1, 1, 1])  # class 2 never predicted
    p = metrics.get("precision", "sparse_categorical_crossentropy", 3)
    r = metrics.get("recall", "sparse_categorical_crossentropy", 3)
    f = metrics.get("f1", "sparse_categorical_crossentropy", 3)
    for m in (p, r, f):
        _feed(m, np.eye(3)[skewed_pred], TRUE)
    # confusion [[2,0,0],[1,2,0],[0,3,0]]: precision 2/3, 2/5, 0; recall 1, 2/3, 0
    assert p.result() == pytest.approx((2 / 3 + 2 / 5) / 3)
    assert r.result() == pytest.approx((1 + 2 / 3) / 3)
    assert f.result() == pytest.approx((0.8 + 2 * (2 / 5) * (2 / 3) / (2 / 5 + 2 / 3)) / 3)


def test_binary_precision_recall_f1():
    y_true = np.array([[1], [1], [1], [0], [0], [0], [1], [0]], dtype=np.float32)
    y_pred = np.array([[0.9], [0.7], [0.2], [0.6], [0.1], [0.3], [0.8], [0.4]], dtype=np.float32)
    # tp 3, fn 1, fp 1, tn 3
    assert _feed(metrics.get("precision", "binary_crossentropy", 1), y_pred, y_true) == pytest.approx(0.75)
    assert _feed(metrics.get("recall", "binary_crossentropy", 1), y_pred, y_true) == pytest.approx(0.75)
    assert _feed(metrics.get("f1_score", "binary_crossentropy", 1), y_pred, y_true) == pytest.approx(0.75)
    strict = metrics.Precision(average="binary", threshold=0.75)
    assert _feed(strict, y_pred, y_true) == pytest.approx(1.0)  # only 0.9 and 0.8 pass, both right


def test_top_k_accuracy():
    y_pred = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.4, 0.35, 0.25], [0.2, 0.2, 0.6]])
    labels = np.array([1, 0, 2, 1])
    # rank of the true class: 1, 2, 2, 0 (a tie with a higher score counts for the truth)
    assert _feed(metrics.TopKCategoricalAccuracy(k=2), y_pred, np.eye(3)[labels], (2,)) == pytest.approx(0.5)
    assert _feed(metrics.SparseTopKCategoricalAccuracy(k=3), y_pred, labels, (2,)) == 1.0
    assert _feed(metrics.get("sparse_top_k_categorical_accuracy"), y_pred, labels, (2,)) == 1.0  # Keras's k=5
    with pytest.raises(ConfigError, match="k must"):
        metrics.TopKCategoricalAccuracy(k=0)


def test_regression_metrics():
    y_true = np.array([[1.0, 2.0], [2.0, 0.0], [3.0, 1.0], [4.0, 5.0]])
    y_pred = np.array([[1.5, 2.0], [1.0, 1.0], [3.0, 0.0], [5.0, 5.0]])
    err = y_pred - y_true
    assert _feed(metrics.get("mae"), y_pred, y_true, (1,)) == pytest.approx(np.abs(err).mean())
    assert _feed(metrics.get("mse"), y_pred, y_true, (1,)) == pytest.approx((err**2).mean())
    assert _feed(metrics.get("rmse"), y_pred, y_true, (1,)) == pytest.approx(np.sqrt((err**2).mean()))
    r2 = [1 - (err[:, j] ** 2).sum() / ((y_true[:, j] - y_true[:, j].mean()) ** 2).sum() for j in range(2)]
    assert _feed(metrics.get("r2_score"), y_pred, y_true, (1, 3)) == pytest.approx(np.mean(r2))
    constant = metrics.get("r2")
    constant.update(np.array([[1.0], [2.0]]), np.array([[3.0], [3.0]]))
    assert constant.result() == 0.0


def test_get_resolves_names_and_resets_instances():
    assert isinstance(metrics.get("accuracy", "categorical_crossentropy", 3), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("acc", "sparse_categorical_crossentropy", 3), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", "binary_crossentropy", 1), metrics.BinaryAccuracy)
    assert metrics.get("precision", output_units=1).average == "binary"
    assert metrics.get("recall", output_units=4).average == "macro"
    mine = metrics.MeanAbsoluteErrorMetric()
    mine.update(np.ones((2, 1)), np.zeros((2, 1)))
    assert metrics.get(mine) is mine and mine.result() == 0.0
    assert {"precision", "recall", "f1_score", "r2_score", "top_k_categorical_accuracy"} <= set(metrics.names())
    with pytest.raises(ConfigError, match="unknown metric"):
        metrics.get("auc_pr")


def test_metrics_in_fit_logs():
    from core import Dense, Sequential
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "precision", "recall", "f1_score", "sparse_top_k_categorical_accuracy"])
    logs = model.fit(x, labels, epochs=2, batch_size=30, verbose=0).history
    assert set(logs) >= {"loss", "accuracy", "precision", "recall", "f1_score", "sparse_top_k_categorical_accuracy"}
    cm = metrics.confusion_matrix(labels, model.predict(x))
    assert cm.sum() == 90 and cm.shape == (3, 3)
