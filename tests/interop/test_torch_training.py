"""Training in PyTorch with the exported script, alone and under torchrun (two CPU processes, gloo), and the
trained weights back in NeuroCanvas: the reopened model predicts as PyTorch's trained network does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import optimizers
from core.api import Model, Sequential, load_model, save_model
from core.errors import ModelFileError
from core.graph import Graph
from core.io.torch_codegen import torch_script
from core.io.torch_weights import import_weights
from core.training import run_settings
from tests.core import export_templates as tpl
from tests.interop import reference

# PyTorch's predictions after training, from the last checkpoint (the trained network) on x of data.npz
PREDICT_TRAINED = """
import importlib.util, sys
import numpy as np, torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.build_model()
model.load_state_dict(torch.load(module.CHECKPOINT)["model"])
model.eval()
with np.load(sys.argv[2]) as data, torch.no_grad():
    np.save(sys.argv[3], model(torch.from_numpy(data["x"].astype("float32"))).numpy())
"""


def _chain(*specs):
    g, previous = Graph(), None
    for type_name, config in specs:
        layer = g.add_layer(type_name, config)
        if previous is not None:
            g.connect(previous, layer)
        previous = layer
    return g


def _prepared(tmp_path, graph, x, y, loss, optimizer, epochs=1, batch_size=8, schedule="constant"):
    """The model saved with its run settings, its data as data.npz, and its PyTorch script beside them."""
    m = tpl.perturbed(Sequential.from_graph(graph, name="net"))
    m.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    m.settings = run_settings({"file": "data.npz"}, loss=loss, optimizer=optimizer, epochs=epochs,
                              batch_size=batch_size, validation_split=0.25, seed=3, schedule=schedule)
    save_model(m, tmp_path / "net.h5")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    (tmp_path / "net_torch.py").write_text(torch_script(m, "net.h5"), encoding="utf-8")
    return m


def _reopened_predicts_as_torch(tmp_path, x):
    reference.check(reference.run(["-c", PREDICT_TRAINED, "net_torch.py", "data.npz", "torch_out.npy"], tmp_path))
    summary = import_weights(tmp_path / "net.h5", tmp_path / "net_torch_trained.npz", tmp_path / "net_trained.h5")
    reopened = load_model(tmp_path / "net_trained.h5")
    np.testing.assert_allclose(reopened.predict(x), np.load(tmp_path / "torch_out.npy"), atol=1e-5, rtol=1e-5)
    return summary, reopened


def test_the_script_trains_an_epoch_and_the_weights_come_back(tmp_path):
    reference.require()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 2)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    graph = _chain(("InputLayer", {"shape": (6, 2)}), ("GRU", {"units": 4}),
                   ("LayerNormalization", {}), ("Dense", {"units": 3, "activation": "softmax"}))
    m = _prepared(tmp_path, graph, x, y, "sparse_categorical_crossentropy",
                  optimizers.get("adam", learning_rate=0.01), schedule="ExponentialDecay")
    before = m.predict(x)
    reference.check(reference.run(["net_torch.py", "--train"], tmp_path))
    summary, reopened = _reopened_predicts_as_torch(tmp_path, x)
    assert summary["epochs"] == 1 and summary["weights"] == len(m.get_weights())
    assert not np.allclose(reopened.predict(x), before, atol=1e-4), "training changed nothing"
    assert reopened.history.epoch == [0] and set(reopened.history.history) >= {"loss", "val_loss", "accuracy"}
    assert reopened.runs[-1].settings["trained_with"] == "pytorch" and reopened.runs[-1].epochs == 1
    assert reopened.settings == m.settings


def test_torchrun_on_two_processes_trains_and_the_weights_reopen(tmp_path):
    reference.require()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 6, 6, 1)).astype(np.float32)
    y = rng.integers(0, 2, size=48)
    graph = _chain(("InputLayer", {"shape": (6, 6, 1)}), ("Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2,
                                                                     "padding": "same", "activation": "relu"}),
                   ("BatchNormalization", {}), ("Flatten", {}), ("Dense", {"units": 2, "activation": "softmax"}))
    _prepared(tmp_path, graph, x, y, "sparse_categorical_crossentropy", optimizers.get("sgd", momentum=0.9))
    run = reference.run([*reference.torchrun(), "--standalone", "--nproc_per_node", "2", "net_torch.py", "--train"],
                        tmp_path)
    reference.check(run)
    assert run.stdout.count("epoch 1/1") == 1, "rank 0 alone reports"
    manifest = json.loads(str(np.load(tmp_path / "net_torch_trained.npz")["manifest"][()]))
    assert manifest["settings"]["processes"] == 2
    summary, reopened = _reopened_predicts_as_torch(tmp_path, x)
    assert reopened.runs[-1].settings["processes"] == 2


def test_a_csv_file_trains_and_a_run_resumes_from_its_checkpoint(tmp_path):
    reference.require()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)
    graph = _chain(("InputLayer", {"shape": (3,)}), ("Dense", {"units": 1}))
    _prepared(tmp_path, graph, x, y, "mean_squared_error", optimizers.get("rmsprop"))
    table = np.column_stack([x, y])
    np.savetxt(tmp_path / "data.csv", table, delimiter=",", header="a,b,c,target", comments="")
    reference.check(reference.run(["net_torch.py", "--train", "data.csv", "--epochs", "1"], tmp_path))
    resumed = reference.run(["net_torch.py", "--train", "data.csv", "--epochs", "2", "--resume"], tmp_path)
    reference.check(resumed)
    assert "epoch 2/2" in resumed.stdout and "epoch 1/2" not in resumed.stdout, "resumed after the checkpoint"
    _, reopened = _reopened_predicts_as_torch(tmp_path, x)
    assert reopened.history.epoch == [0, 1]


def test_weights_of_another_design_are_refused_by_name(tmp_path):
    m = Model.from_graph(_chain(("InputLayer", {"shape": (3,)}), ("Dense", {"units": 2})), name="a")
    save_model(m, tmp_path / "a.h5")
    layer = m.layers[-1].name
    manifest = {"format": "neurocanvas-torch-weights", "version": 1, "weights": [[layer, "kernel"], [layer, "bias"]],
                "history": {"epoch": [0], "loss": [1.0]}, "settings": {}}
    np.savez(tmp_path / "t.npz", manifest=np.array(json.dumps(manifest)), weight_0=np.zeros((4, 2), np.float32),
             weight_1=np.zeros(2, np.float32))
    with pytest.raises(ModelFileError, match=rf"weight 'kernel' of layer '{layer}' must be .* shape \(3, 2\)"):
        import_weights(tmp_path / "a.h5", tmp_path / "t.npz", tmp_path / "b.h5")
    assert not (tmp_path / "b.h5").exists()
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="not written by a NeuroCanvas PyTorch script|not a trained-weights"):
        import_weights(tmp_path / "a.h5", tmp_path / "x.npy", tmp_path / "b.h5")
