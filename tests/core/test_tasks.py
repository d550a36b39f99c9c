"""The task rules in core.tasks: the loss and metrics suggested for a data set and an output, the targets each kind
of loss reads, what prevents training, and the command line and code export giving the same loss."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core import losses, tasks
from core.api import Model
from core.cli import main
from core.data import load_sample
from core.io.codegen import keras_script
from core.api import load_model, save_model
from tests.core import export_templates as tpl

SOFTMAX3 = ((2,), tpl._dense(3, "softmax"))
SIGMOID1 = ((2,), tpl._dense(1, "sigmoid"))
LINEAR1 = ((1,), tpl._dense(1, None))
# (network, sample, the loss every part of NeuroCanvas chooses)
CASES = [(SOFTMAX3, "blobs", "sparse_categorical_crossentropy"), (SIGMOID1, "xor", "binary_crossentropy"),
         (LINEAR1, "sine", "mean_squared_error")]


def network(net):
    shape, head = net
    return tpl._chain(("InputLayer", {"shape": shape}), tpl._dense(8, "tanh"), head)


def _io(shape=(3,), activation="softmax"):
    return tasks.NetworkIO((2,), shape, activation, "out")


def test_every_loss_declares_consistent_facts():
    for name in losses.names():
        loss = losses.get(name)
        assert loss.task in ("classification", "regression")
        assert loss.targets in ("values", "labels", "one_hot", "binary")
        assert loss.integer_targets == (loss.targets == "labels")
        assert (loss.targets == "values") == (loss.task == "regression")
        assert loss.logits_activation is None or loss.logits_activation in loss.output_activations
    assert "hinge" in losses.names("classification") and "hinge" not in losses.names("regression")


@pytest.mark.parametrize("io, task, expected", [
    (_io(), "classification", "sparse_categorical_crossentropy"),
    (_io((1,), "sigmoid"), "classification", "binary_crossentropy"),
    (_io((3,), "sigmoid"), "classification", "sparse_categorical_crossentropy"),
    (_io((3,), "linear"), "classification", "sparse_categorical_crossentropy"),
    (_io((1,), "linear"), "regression", "mean_squared_error"),
    (_io((4,), "softmax"), "sequence-to-one", "sparse_categorical_crossentropy"),
    (_io((1,), "linear"), "sequence-to-one", "mean_squared_error"),
    (_io(), None, "sparse_categorical_crossentropy"),
    (_io((1,), "sigmoid"), None, "binary_crossentropy"),
    (_io((1,), "relu"), None, "mean_squared_error"),
])
def test_suggested_loss(io, task, expected):
    assert tasks.suggest_loss(io, task) == expected


def test_suggested_metrics():
    assert tasks.suggest_metrics("classification") == ["accuracy"]
    assert tasks.suggest_metrics("regression") == ["mae"]


@pytest.mark.parametrize("loss, dtype, shape", [
    ("sparse_categorical_crossentropy", np.int64, (6,)),
    ("categorical_crossentropy", np.float32, (6, 3)),
    ("mean_squared_error", np.float32, (6, 3)),
])
def test_classification_targets_for_each_loss_kind(loss, dtype, shape):
    data = load_sample("blobs", n=60)
    y = np.array([0, 2, 1, 1, 0, 2])
    out = tasks.prepare_targets(y, data, loss, _io())
    assert out.dtype == dtype and out.shape == shape
    labels = out if out.ndim == 1 else out.argmax(axis=1)
    assert list(labels) == list(y)
    if out.ndim == 2:
        assert np.array_equal(out.sum(axis=1), np.ones(6))


def test_binary_and_regression_targets():
    binary = tasks.prepare_targets(np.array([0, 1, 1]), load_sample("xor", n=40), "binary_crossentropy",
                                   _io((1,), "sigmoid"))
    assert binary.dtype == np.float32 and binary.tolist() == [[0.0], [1.0], [1.0]]
    sine = load_sample("sine", n=40)
    values = tasks.prepare_targets(np.array([0.5, -1.0]), sine, "mean_absolute_error", _io((1,), "linear"))
    assert values.dtype == np.float32 and values.tolist() == [[0.5], [-1.0]]


@pytest.mark.parametrize("net, sample, loss, expected", [
    (SOFTMAX3, "xor", None, "give 'dense_1' 2 units"),
    (SIGMOID1, "blobs", "binary_crossentropy", "needs two classes and one output unit"),
    (SIGMOID1, "xor", "sparse_categorical_crossentropy", "use binary_crossentropy for one sigmoid unit"),
    (((2,), tpl._dense(3, None)), "blobs", "categorical_crossentropy", "set its activation to softmax"),
    (((2,), tpl._dense(1, "relu")), "xor", "binary_crossentropy", "set its activation to sigmoid"),
    (SIGMOID1, "sine", "binary_crossentropy", "is for class labels"),
    (LINEAR1, "blobs", "mean_squared_error", "InputLayer expects (None, 1)"),
    (((1,), tpl._dense(2, None)), "sine", "mean_squared_error", "make the last layer output 1 value(s)"),
])
def test_problems_say_what_to_fix(net, sample, loss, expected):
    graph, data = network(net), load_sample(sample, n=40)
    found = tasks.problems(graph, data, loss or tasks.suggest_loss(tasks.network_io(graph), data.task))
    assert any(expected in problem for problem in found), found


def test_suggested_losses_have_no_problems():
    for net, sample, _ in CASES:
        graph, data = network(net), load_sample(sample, n=40)
        assert tasks.problems(graph, data, tasks.suggest_loss(tasks.network_io(graph), data.task)) == []
    two_heads = network(SOFTMAX3)
    two_heads.connect(two_heads.input_layers()[0], two_heads.add_layer("Dense", {"units": 1}))
    assert "one input and one output" in tasks.problems(two_heads, load_sample("xor", n=40), "mse")[0]


@pytest.mark.parametrize("net, sample, expected", CASES)
def test_command_line_and_code_export_choose_the_same_loss(net, sample, expected, tmp_path):
    graph = network(net)
    data = load_sample(sample, n=60)
    assert tasks.suggest_loss(tasks.network_io(graph), data.task) == expected
    save_model(graph, tmp_path / "design.h5")
    assert main(["train", str(tmp_path / "design.h5"), "--data", sample, "--param", "n=60", "--epochs", "1",
                 "--quiet", "--out", str(tmp_path / "trained.h5")]) == 0
    trained = load_model(tmp_path / "trained.h5")
    assert trained.loss.name == expected
    script = keras_script(Model.from_graph(network(net)))
    assert re.search(r"loss=[\"']" + expected + r"[\"']", script), script
