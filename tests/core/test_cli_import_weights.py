"""``neurocanvas import-weights``: a run trained elsewhere comes back into a copy of the model file, with its
epochs after the file's own; a file that does not fit is refused by name, the model file untouched."""

from __future__ import annotations

import json

import numpy as np

from core.api import load_model, save_model
from core.cli import main
from core.io.torch_weights import FORMAT
from core.io.h5 import weight_specs
from tests.core import export_templates as tpl


def _trained_npz(path, model, scale=2.0, history=None):
    specs = weight_specs(model.graph)
    names, arrays = [], {}
    for layer_id, weights in zip(model.network.order, [model.network_weights()[i] for i in model.network.order]):
        for spec, value in zip(specs[layer_id], weights):
            arrays[f"weight_{len(names)}"] = value * scale
            names.append([model.graph.layer(layer_id).name, spec.name])
    manifest = {"format": FORMAT, "weights": names, "history": history or {"epoch": [0, 1], "loss": [0.9, 0.5]}}
    np.savez(path, manifest=np.array(json.dumps(manifest)), **arrays)


def test_import_weights_writes_a_copy_with_the_weights_and_history(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    graph = tpl._chain(("InputLayer", {"shape": (2,)}), tpl._dense(4, "tanh"), tpl._dense(1, "sigmoid"))
    save_model(graph, tmp_path / "m.h5")
    model = load_model(tmp_path / "m.h5")
    _trained_npz(tmp_path / "m_torch_trained.npz", model)
    assert main(["import-weights", "m.h5", "m_torch_trained.npz"]) == 0
    assert "m_trained.h5" in capsys.readouterr().out
    back = load_model(tmp_path / "m_trained.h5")
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, 2.0 * b, rtol=1e-6)
    assert back.history.epoch == [0, 1] and back.history.history["loss"] == [0.9, 0.5]
    assert [(r.first_epoch, r.epochs, r.fresh) for r in back.runs] == [(0, 2, False)]


def test_weights_of_another_design_are_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_model(tpl._chain(("InputLayer", {"shape": (2,)}), tpl._dense(4, "tanh"), tpl._dense(1, "sigmoid")),
               tmp_path / "m.h5")
    other = tpl._chain(("InputLayer", {"shape": (3,)}), tpl._dense(4, "tanh"), tpl._dense(1, "sigmoid"))
    save_model(other, tmp_path / "o.h5")
    _trained_npz(tmp_path / "o.npz", load_model(tmp_path / "o.h5"))
    assert main(["import-weights", "m.h5", "o.npz", "--out", "x.h5"]) == 1
    assert "do not fit" in capsys.readouterr().err and not (tmp_path / "x.h5").exists()
    assert main(["import-weights", "m.h5", "missing.npz"]) == 1
