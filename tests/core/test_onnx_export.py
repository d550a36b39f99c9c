"""ONNX export: onnxruntime reproduces the engine on every template and every registered layer's examples."""

from __future__ import annotations

import numpy as np
import pytest

from core.api import Model, Sequential
from core.graph import Graph
from core.io.onnx_export import OPSET, OnnxExportError, export_onnx
from core.layers import registry
from core.layers.core import Dense, InputLayer
from tests.core import export_templates as tpl

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(proto, m: Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [m.network.layers[i].name for i in m.network.input_ids]
    return session.run(None, dict(zip(names, xs)))


@pytest.mark.parametrize("name", list(tpl.TEMPLATES))
def test_template_outputs_match_the_engine(name, tmp_path):
    m = tpl.perturbed(tpl.model(name))
    path = tmp_path / f"{name}.onnx"
    export_onnx(m, path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version == OPSET
    for n in (1, 7):  # the batch dimension is dynamic
        xs = tpl.inputs(m, n)
        (got,) = _run(proto, m, xs)
        want = m.predict(xs[0] if len(xs) == 1 else xs)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_names_follow_the_design():
    m = tpl.model("resnet")
    proto = export_onnx(m)
    assert [i.name for i in proto.graph.input] == ["image"]
    assert [o.name for o in proto.graph.output] == ["classes"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    produced = {out for node in proto.graph.node for out in node.output}
    assert {layer.name for layer in m.layers if layer.type_name != "InputLayer"} <= produced
    initializers = {t.name for t in proto.graph.initializer}
    assert {"stem/kernel", "r1bn/moving_mean", "classes/bias"} <= initializers




def _exportable_examples():
    for type_name in registry.all_types():
        if type_name == "InputLayer":
            continue
        for k, (config, shapes) in enumerate(registry.get(type_name).examples()):
            yield pytest.param(type_name, config, shapes, id=f"{type_name}-{k}")


@pytest.mark.parametrize("type_name, config, shapes", list(_exportable_examples()))
def test_every_layer_example_matches_or_is_refused_by_name(type_name, config, shapes):
    m = tpl.single_layer_model(type_name, config, shapes, seed=len(type_name))
    try:
        proto = export_onnx(m)
    except OnnxExportError as exc:
        layer = m.layers[-1]
        assert f"'{layer.name}' ({type_name})" in str(exc)
        assert type_name == "RandomCrop" or type_name not in _expected_exportable()
        return
    xs = tpl.inputs(m, 3, seed=2)
    (got,) = _run(proto, m, xs)
    np.testing.assert_allclose(got, m.predict(xs[0] if len(xs) == 1 else xs), atol=1e-5, rtol=1e-5)


def _expected_exportable():
    from core.io.onnx_layers import CONVERTERS
    return set(CONVERTERS)


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh", "relu", "softmax", "leaky_relu", "elu",
                                        "gelu", "softplus", "hard_sigmoid", "hard_sigmoid_tf2"])
def test_every_activation(activation):
    m = tpl.perturbed(Sequential([InputLayer(shape=(6,)), Dense(5, activation=activation)]))
    xs = tpl.inputs(m, 4)
    (got,) = _run(export_onnx(m), m, xs)
    np.testing.assert_allclose(got, m.predict(xs[0]), atol=1e-5, rtol=1e-5)


def test_recurrent_activation_without_onnx_form_is_named():
    from core.layers.recurrent import LSTM
    m = Sequential([InputLayer(shape=(4, 2)), LSTM(3, activation="gelu", name="encoder")])
    with pytest.raises(OnnxExportError, match=r"'encoder' \(LSTM\) uses the activation gelu"):
        export_onnx(m)


def test_a_design_exports_with_fresh_weights(tmp_path):
    proto = export_onnx(Model.from_graph(tpl.TEMPLATES["perceptron"]()), tmp_path / "p.onnx")
    assert (tmp_path / "p.onnx").stat().st_size > 0
    assert [o.name for o in proto.graph.output] == ["dense"]
