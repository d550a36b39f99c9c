"""The PyTorch export: PyTorch (an independent interpreter, .venv-ref) reproduces the engine's predictions for every
template and every registered layer's examples it can express, and the exporter refuses the rest by name.

All models are exported first and run in one reference process (PyTorch takes seconds to import), exchanging
arrays through .npz files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import templates
from core.api import Model, Sequential, save_model
from core.graph import Graph
from core.io.exporters import get
from core.io.torch_codegen import TorchExportError, torch_script
from core.io.torch_layers import REFUSED, TRANSLATORS
from core.layers import registry
from tests.core import export_templates as tpl
from tests.interop import reference

EXPECTED_REFUSED = set(REFUSED) | {"RandomCrop"}  # RandomCrop only where it resizes at inference




def _template(key):
    graph = templates.get(key).graph()
    return tpl.perturbed((Sequential if graph.is_chain() else Model).from_graph(graph, name=key))


def _cases():
    for template in templates.TEMPLATES:  # every starter design, and a ResNet with BatchNormalization
        yield f"template-{template.key}", (lambda k=template.key: _template(k))
    yield "template-resnet_bn", (lambda: tpl.perturbed(tpl.model("resnet")))
    for type_name in registry.all_types():
        if type_name == "InputLayer":
            continue
        for k, (config, shapes) in enumerate(registry.get(type_name).examples()):
            yield f"{type_name}-{k}", (lambda t=type_name, c=config, s=shapes:
                                       tpl.single_layer_model(t, c, s, len(t), name=f"{t.lower()}_case"))


CASES = dict(_cases())


@pytest.fixture(scope="module")
def torch_runs(tmp_path_factory):
    """Every case exported and run by PyTorch: {case: (model, inputs, outputs or refusal or error)}."""
    reference.require()
    root = tmp_path_factory.mktemp("torch_export")
    runs, jobs = {}, []
    for case, make in CASES.items():
        m = make()
        folder = root / case
        folder.mkdir()
        try:
            script = torch_script(m, "model.h5")
        except TorchExportError as exc:
            runs[case] = (m, None, exc)
            continue
        save_model(m, folder / "model.h5")
        (folder / "model_torch.py").write_text(script, encoding="utf-8")
        xs = tpl.inputs(m, 4, seed=2)
        np.savez(folder / "in.npz", **{f"x{k}": x for k, x in enumerate(xs)})
        jobs.append({"script": str(folder / "model_torch.py"), "inputs": str(folder / "in.npz"),
                     "outputs": str(folder / "out.npz")})
        runs[case] = (m, xs, folder / "out.npz")
    (root / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    reference.check(reference.run([reference.child(), str(root / "jobs.json")], root))
    return runs


@pytest.mark.parametrize("case", list(CASES))
def test_pytorch_predicts_as_the_engine_or_the_layer_is_refused_by_name(case, torch_runs):
    m, xs, result = torch_runs[case]
    if isinstance(result, TorchExportError):
        layer = m.layers[-1]
        assert f"'{layer.name}' ({layer.type_name})" in str(result)
        assert layer.type_name in EXPECTED_REFUSED, f"{layer.type_name} was refused: {result}"
        return
    error = Path(str(result) + ".error")
    assert not error.exists(), error.read_text() if error.exists() else ""
    with np.load(result) as data:
        got = data["y0"]
    want = m.predict(xs[0] if len(xs) == 1 else xs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_the_exporter_refuses_by_name_before_writing(tmp_path):
    g = Graph()
    source = g.add_layer("InputLayer", {"shape": (3, 4, 4, 2)})
    layer = g.add_layer("ConvLSTM2D", {"filters": 2, "kernel_size": 3}, name="memory")
    g.connect(source, layer)
    exporter = get("pytorch")
    reason = exporter.missing(Model.from_graph(g))
    assert "layer 'memory' (ConvLSTM2D)" in reason and "PyTorch" in reason
    assert not (tmp_path / "x.py").exists()


def test_every_translated_type_is_registered():
    assert set(TRANSLATORS) <= set(registry.all_types())


def test_hostile_names_stay_names(tmp_path):
    """Names from a model file anyone can make reach the script only as string literals or identifiers."""
    import ast

    g = Graph()
    source = g.add_layer("InputLayer", {"shape": (3,)}, name='in"""\nimport os')
    layer = g.add_layer("Dense", {"units": 2}, name="class")
    g.connect(source, layer)
    m = Model.from_graph(g, name='m"""; os.system("x") #\\')
    text = torch_script(m, 'w"""\\.h5')
    tree = ast.parse(text)
    assert ast.get_docstring(tree).startswith("The design")
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Call) and
                getattr(node.func, "attr", None) == "system"]
    names = {node.targets[0].id: node.value for node in tree.body if isinstance(node, ast.Assign) and
             isinstance(node.targets[0], ast.Name)}
    assert ast.literal_eval(names["MODEL_NAME"]) == m.name
