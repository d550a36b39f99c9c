"""Generated scripts: the core script rebuilds every template with the same predictions; the Keras script of
every template is valid, formatted Python naming the same layers, loss and optimiser."""

from __future__ import annotations

import ast
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import optimizers, schedules
from core.api import Sequential
from core.io.codegen import WIDTH, CodegenError, core_script, keras_script
from core.api import save_model
from core.layers.core import Dense, InputLayer
from core.layers.normalization import LocalResponseNormalization
from tests.core import export_templates as tpl

ROOT = Path(__file__).resolve().parents[2]


def _compiled(name: str):
    m = tpl.perturbed(tpl.model(name))
    schedule = schedules.ExponentialDecay(initial_learning_rate=0.01, decay_steps=100, decay_rate=0.9)
    m.compile(optimizer=optimizers.get("adam", learning_rate=schedule), loss="categorical_crossentropy",
              metrics=["accuracy"])
    return m


def _formatted(source: str) -> None:
    assert max(len(line) for line in source.splitlines()) <= WIDTH
    assert "\t" not in source and not any(line != line.rstrip() for line in source.splitlines())
    compile(source, "<generated>", "exec")


@pytest.mark.parametrize("name", list(tpl.TEMPLATES))
def test_core_script_reproduces_the_model(name, tmp_path):
    m = _compiled(name)
    save_model(m, tmp_path / f"{name}.h5")
    script = tmp_path / f"{name}_core.py"
    script.write_text(core_script(m, f"{name}.h5"))
    _formatted(script.read_text())
    namespace = runpy.run_path(str(script), run_name="generated")
    rebuilt = namespace["build_model"]()
    namespace["compile_model"](rebuilt)
    rebuilt.load_weights(namespace["WEIGHTS"])
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in m.layers]
    assert type(rebuilt.optimizer) is type(m.optimizer)
    assert rebuilt.optimizer.get_config() == m.optimizer.get_config()
    assert rebuilt.loss.name == m.loss.name
    xs = tpl.inputs(m, 4)
    x = xs[0] if len(xs) == 1 else xs
    np.testing.assert_array_equal(rebuilt.predict(x), m.predict(x))


def test_core_script_runs_as_a_program_and_trains(tmp_path):
    m = _compiled("perceptron")
    save_model(m, tmp_path / "p.h5")
    (tmp_path / "p_core.py").write_text(core_script(m, "p.h5"))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(16, 2)).astype(np.float32),
             y=np.eye(1, dtype=np.float32)[np.zeros(16, int)])
    done = subprocess.run([sys.executable, "p_core.py", "data.npz"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert 'Model: "perceptron"' in done.stdout and "Total params: 3" in done.stdout


@pytest.mark.parametrize("name", list(tpl.TEMPLATES))
def test_keras_script_is_valid_python(name):
    m = _compiled(name)
    source = keras_script(m, f"{name}.h5")
    _formatted(source)
    tree = ast.parse(source)
    calls = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute)}
    assert {"compile", "fit", "load_weights", "Adam", "ExponentialDecay"} <= calls
    types = {m.graph.layer(i).type_name for i in m.graph.layer_ids} - {"InputLayer"}
    assert types <= calls
    names = {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
             if kw.arg == "name" and isinstance(kw.value, ast.Constant)}
    assert {layer.name for layer in m.layers} <= names
    assert ('"categorical_crossentropy"' in source) and ("keras.Sequential(" in source) == m.graph.is_chain()


def test_keras_script_refuses_layers_keras_lacks_by_name():
    m = Sequential([InputLayer(shape=(4, 4, 3)), LocalResponseNormalization(name="lrn"),
                    Dense(2, activation="hard_sigmoid_tf2", name="head")])
    with pytest.raises(CodegenError) as info:
        keras_script(m)
    assert "'lrn' (LocalResponseNormalization)" in str(info.value) and "'head' (Dense)" in str(info.value)
    compile(core_script(m), "<core>", "exec")


def test_long_calls_wrap_one_argument_a_line():
    m = Sequential([InputLayer(shape=(3,)), Dense(4, activation="tanh", use_bias=False, kernel_initializer="he_normal",
                                                 kernel_regularizer={"l1": 0.0, "l2": 0.01}, name="hidden_layer")])
    source = keras_script(m)
    _formatted(source)
    assert "keras.regularizers.L1L2(l1=0.0, l2=0.01)" in source
    assert '            layers.Dense(\n                4,\n' in source


def _layer_examples():
    from core.layers import registry
    for type_name in registry.all_types():
        if type_name != "InputLayer":
            for k, (config, shapes) in enumerate(registry.get(type_name).examples()):
                yield pytest.param(type_name, config, shapes, id=f"{type_name}-{k}")


@pytest.mark.parametrize("type_name, config, shapes", list(_layer_examples()))
def test_every_layer_example_round_trips_through_the_core_script(type_name, config, shapes, tmp_path):
    from core.api import Model
    from core.graph import Graph
    g = Graph()
    inputs = [g.add_layer("InputLayer", {"shape": s}) for s in shapes]
    layer = g.add_layer(type_name, config)
    for i in inputs:
        g.connect(i, layer)
    m = tpl.perturbed(Model.from_graph(g, name="example"))
    save_model(m, tmp_path / "example.h5")
    namespace: dict = {"__file__": str(tmp_path / "example_core.py"), "__name__": "generated"}
    exec(compile(core_script(m, "example.h5"), "example_core.py", "exec"), namespace)
    rebuilt = namespace["build_model"]()
    rebuilt.load_weights(namespace["WEIGHTS"])
    assert rebuilt.graph.layer(rebuilt.graph.id_of(m.layers[-1].name)).get_config() == m.layers[-1].get_config()
    xs = tpl.inputs(m, 3)
    np.testing.assert_array_equal(rebuilt.predict(xs if len(xs) > 1 else xs[0]),
                                  m.predict(xs if len(xs) > 1 else xs[0]))
    try:
        source = keras_script(m, "example.h5")
    except CodegenError as exc:
        assert f"'{m.layers[-1].name}' ({type_name})" in str(exc)
        return
    _formatted(source)
    if "Pooling" in type_name and "Global" not in type_name:  # Keras 3's AveragePooling requires pool_size
        assert f"layers.{type_name}(name=" not in source
