"""Python scripts that rebuild a design: :func:`keras_script` (Keras 3 / tf.keras) and :func:`core_script`
(this project's ``core`` API).

Both scripts write the code a user would write by hand: a ``Sequential`` list for a plain stack, the functional
style otherwise, only the parameters that differ from their defaults, ``compile`` with the model's loss,
optimiser (and learning-rate schedule) and metrics, a ``train`` function calling ``fit``, and loading of the
trained weights from the ``.h5`` file saved beside the script. Lines are wrapped at :data:`WIDTH` columns, one
argument per line when a call does not fit, as black formats it.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from core import tasks
from core.errors import NeuroCanvasError
from core.io.codegen_text import INDENT, WIDTH, Code, CodegenError, call, code, literal  # noqa: F401
from core.layers import registry
from core.version import __version__

POSITIONAL = {  # the arguments Keras users pass by position, and that Keras requires
    "Dense": 1, "Conv1D": 2, "Conv2D": 2, "Conv2DTranspose": 2, "Dropout": 1, "SpatialDropout2D": 1,
    "GaussianDropout": 1, "GaussianNoise": 1, "Activation": 1, "Reshape": 1, "Permute": 1, "RepeatVector": 1,
    "SimpleRNN": 1, "GRU": 1, "LSTM": 1, "RandomCrop": 2, "RandomRotation": 1, "RandomZoom": 1,
    "RandomTranslation": 2, "ConvLSTM2D": 2, "MaxPooling1D": 1, "MaxPooling2D": 1, "AveragePooling1D": 1,
    "AveragePooling2D": 1,
}
NOT_IN_KERAS = {"LocalResponseNormalization": "Keras has no such layer"}
KERAS_ACTIVATIONS_MISSING = {"hard_sigmoid_tf2": "tf.keras 2's hard_sigmoid; Keras 3 has only its own"}


def identifier(name: str, taken: set[str]) -> str:
    """A unique Python variable name for a layer name."""
    base = re.sub(r"\W", "_", name) or "layer"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = "t_" + base
    candidate, k = base, 1
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    taken.add(candidate)
    return candidate


# -- layers ------------------------------------------------------------------------------------------------------
def _short(value: Any) -> Any:
    """``(3, 3)`` → ``3`` and ``((1, 1), (2, 2))`` → ``(1, 2)``, as Keras users write them."""
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, (tuple, list)) for v in value):
        if all(len(v) == 2 and v[0] == v[1] for v in value):
            value = tuple(v[0] for v in value)
        else:
            return tuple(tuple(v) for v in value)
    if isinstance(value, (tuple, list)) and len(value) > 1 and len(set(value)) == 1 and \
            all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def layer_arguments(layer: Any) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments of a layer's constructor, defaults left out."""
    config = layer.get_config()
    defaults = registry.get(layer.type_name).from_config({}).get_config()
    names = [p.name for p in registry.get(layer.type_name).params]
    positional = names[:POSITIONAL.get(layer.type_name, 0)]
    args = [_short(config[n]) for n in positional]
    if layer.type_name == "Reshape":
        args = [tuple(config["target_shape"])]
    kwargs = {n: _short(config[n]) for n in names if n not in positional and config[n] != defaults[n]}
    if layer.type_name == "Permute":
        args = [tuple(config["dims"])]
    return args, kwargs


def layer_call(layer: Any, prefix: str, keras: bool, indent: str, lead: int = 0) -> str:
    """``prefix + Type(args..., name=...)``; ``lead`` counts other characters on its line (to wrap in time)."""
    args, kwargs = layer_arguments(layer)
    kwargs["name"] = layer.name
    return call(prefix + layer.type_name, [literal(a, keras) for a in args], kwargs, indent, keras=keras, lead=lead)


def check_keras(graph: Any) -> None:
    """Raise a CodegenError naming every layer Keras cannot rebuild."""
    problems = []
    for layer_id in graph.topological_order():
        layer = graph.layer(layer_id)
        if layer.type_name in NOT_IN_KERAS:
            problems.append(f"layer '{layer.name}' ({layer.type_name}): {NOT_IN_KERAS[layer.type_name]}")
        for key in ("activation", "recurrent_activation"):
            act = layer.config.get(key)
            if act in KERAS_ACTIVATIONS_MISSING:
                problems.append(f"layer '{layer.name}' ({layer.type_name}): {key} {act} is "
                                f"{KERAS_ACTIVATIONS_MISSING[act]}: choose hard_sigmoid")
    if problems:
        raise CodegenError("this design cannot be written as a Keras script:\n" +
                           "\n".join(f"- {p}" for p in problems) + "\nChange these layers, or export a core script")


def build_function(graph: Any, name: str, keras: bool) -> list[str]:
    """``def build_model():`` returning the design, Sequential for a chain and functional otherwise."""
    prefix = "layers." if keras else ""
    model_cls = "keras.Sequential" if keras else "Sequential"
    input_fn = "keras.Input" if keras else "Input"
    order = graph.topological_order()
    lines = ["def build_model():", f'{INDENT}"""The design "{name}", layer by layer."""']
    if graph.is_chain():
        first = graph.layer(order[0])
        items = [call(input_fn, [], {"shape": tuple(first.config["shape"]), "name": first.name}, INDENT * 3, lead=1)]
        items += [layer_call(graph.layer(i), prefix, keras, INDENT * 3, lead=1) for i in order[1:]]
        lines += [f"{INDENT}model = {model_cls}(", f"{INDENT * 2}["]
        lines += [f"{INDENT * 3}{item}," for item in items]
        lines += [f"{INDENT * 2}],", f"{INDENT * 2}name={literal(name)},", f"{INDENT})", f"{INDENT}return model"]
        return lines
    taken: set[str] = {"model", "keras", "layers", "np", "os", "sys"}
    var = {i: identifier(graph.layer(i).name, taken) for i in order}
    for layer_id in order:
        layer = graph.layer(layer_id)
        if layer.type_name == "InputLayer":
            rhs = call(input_fn, [], {"shape": tuple(layer.config["shape"]), "name": layer.name}, INDENT,
                       lead=len(var[layer_id]) + 3)
        else:
            sources = [var[s] for s in graph.inputs_of(layer_id)]
            operand = sources[0] if len(sources) == 1 and layer.max_inputs == 1 else "[" + ", ".join(sources) + "]"
            lead = len(var[layer_id]) + len(operand) + 5
            rhs = layer_call(layer, prefix, keras, INDENT, lead) + f"({operand})"
        lines.append(f"{INDENT}{var[layer_id]} = {rhs}")
    ins = [var[i] for i in graph.input_layers()]
    outs = [var[i] for i in graph.output_layers()]
    model_fn = "keras.Model" if keras else "Model"
    inputs = ins[0] if len(ins) == 1 else "[" + ", ".join(ins) + "]"
    outputs = outs[0] if len(outs) == 1 else "[" + ", ".join(outs) + "]"
    lines.append(f"{INDENT}return " + call(model_fn, [], {"inputs": inputs, "outputs": outputs,
                                                          "name": literal(name)}, INDENT, raw=True, lead=7))
    return lines


# -- training settings -------------------------------------------------------------------------------------------
def _optimizer_source(optimizer: Any, keras: bool) -> Code:
    """The optimiser constructor call, with its schedule; Keras gets the current rate for a schedule it lacks."""
    from core.io.keras_model import KERAS_SCHEDULES
    defaults = type(optimizer)().get_config()
    config = {k: v for k, v in optimizer.get_config().items()
              if k not in ("name", "decay") and v is not None and (k == "learning_rate" or v != defaults.get(k))}
    rate = config.get("learning_rate")
    cls = type(optimizer).__name__
    module = "keras.optimizers." if keras else "optimizers."
    if isinstance(rate, dict):
        if keras and rate["class_name"] not in KERAS_SCHEDULES:
            config["learning_rate"] = float(optimizer.current_learning_rate())
        else:
            schedule_module = "keras.optimizers.schedules." if keras else "schedules."
            settings = {k: v for k, v in rate["config"].items() if k != "name"}
            config["learning_rate"] = code(schedule_module + rate["class_name"], [], settings, keras=keras)
    return code(module + cls, [], config, keras=keras)


def _training(model: Any) -> dict[str, Any]:
    """Loss, optimiser, metrics, epochs and batch size of the model (Keras's defaults when not compiled)."""
    from core import optimizers
    compiled = model.compiled
    metrics = [m if isinstance(m, str) else getattr(m, "name", str(m)) for m in (compiled.metrics if compiled else [])]
    epochs = len(model.history.epoch) if model.history is not None and model.history.epoch else 10
    return {"loss": compiled.loss.name if compiled else _default_loss(model), "metrics": metrics,
            "optimizer": compiled.optimizer if compiled else optimizers.get("adam"), "epochs": epochs,
            "batch_size": 32}


def _default_loss(model: Any) -> str:
    """The loss :mod:`core.tasks` suggests for the output layer when the model was never compiled (no data set is
    known here, so the output activation decides, as it does in the training panel and the command line)."""
    try:
        io = tasks.network_io(model.graph)
    except NeuroCanvasError:
        return tasks.REGRESSION_DEFAULT
    return tasks.suggest_loss(io)


def compile_function(model: Any, keras: bool) -> list[str]:
    t = _training(model)
    kwargs = {"optimizer": _optimizer_source(t["optimizer"], keras), "loss": literal(t["loss"])}
    if t["metrics"]:
        kwargs["metrics"] = literal(list(t["metrics"]))
    return ["def compile_model(model):", f'{INDENT}"""The loss, optimiser and metrics the design was trained with."""',
            INDENT + call("model.compile", [], kwargs, INDENT, raw=True)]


def train_function(model: Any, keras: bool = True) -> list[str]:
    """``load_data`` and ``train``, with the settings the model was trained with (see :mod:`.codegen_training`)."""
    from core.io import codegen_training
    t = _training(model)
    run = codegen_training.plan(model, t)
    try:
        output_shape = tasks.network_io(model.graph).output_shape
    except NeuroCanvasError:
        output_shape = None
    return (codegen_training.load_data_lines(run, output_shape) + ["", ""] +
            codegen_training.train_lines(run, list(t["metrics"]), keras))


# -- whole scripts -------------------------------------------------------------------------------------------------
def _header(title: str, weights_file: str, needs: str, model: Any) -> list[str]:
    lines = ['"""' + title, "", f"Generated by NeuroCanvas {__version__}. Needs {needs}.",
             "It loads the trained weights from this file beside it:", weights_file, "",
             "Give an .npz file with arrays x and y as argument to continue training on them."]
    if _data_reference(model):
        lines += ["Give --same-data to train on the data the design was trained on (see load_data)."]
    return lines + ['"""', ""]


def _data_reference(model: Any) -> dict[str, Any] | None:
    from core.io.codegen_training import plan
    return plan(model, _training(model)).data


def _data_constant(model: Any) -> list[str]:
    """``DATA = <path>`` when the model was trained on a file."""
    from core.io.codegen_training import source_literal
    ref = _data_reference(model) or {}
    return ["# the data the design was trained on", f"DATA = {source_literal(ref['file'])}"] if "file" in ref else []


def _main(load_line: str, model: Any) -> list[str]:
    path = 'None if sys.argv[1] == "--same-data" else sys.argv[1]' if _data_reference(model) else "sys.argv[1]"
    return ['if __name__ == "__main__":', f"{INDENT}model = build_model()", f"{INDENT}compile_model(model)",
            f"{INDENT}if os.path.exists(WEIGHTS):", f"{INDENT * 2}{load_line}", f"{INDENT}model.summary()",
            f"{INDENT}if len(sys.argv) > 1:", f"{INDENT * 2}x, y = load_data({path})",
            f"{INDENT * 2}train(model, x, y)", ""]


def _script(parts: list[list[str]]) -> str:
    out: list[str] = []
    for k, part in enumerate(parts):
        out += part
        if k < len(parts) - 1 and part and part[0].startswith(("def ", "if ")):
            out += ["", ""]
    return "\n".join(out)


def keras_script(model: Any, weights_file: str = "model.h5") -> str:
    """A Keras 3 (also tf.keras 2) script rebuilding ``model`` and loading ``weights_file`` from its folder."""
    check_keras(model.graph)
    head = _header(f'The design "{model.name}" in Keras.', weights_file, "Keras 3 (or tf.keras 2), h5py and NumPy",
                   model)
    imports = ["import os", "import sys", "", "import keras", "import numpy as np", "from keras import layers", "",
               "HERE = os.path.dirname(os.path.abspath(__file__))",
               f"WEIGHTS = os.path.join(HERE, {literal(weights_file)})", *_data_constant(model), "", ""]
    return _script([head + imports, build_function(model.graph, model.name, True), compile_function(model, True),
                    train_function(model, True), _main("model.load_weights(WEIGHTS)", model)])


def core_script(model: Any, weights_file: str = "model.h5") -> str:
    """A script for the ``core`` API rebuilding ``model`` and loading ``weights_file`` from its folder."""
    graph = model.graph
    types = sorted({graph.layer(i).type_name for i in graph.layer_ids} - {"InputLayer"})
    api = ["Input", "Sequential"] if graph.is_chain() else ["Input", "Model"]
    head = _header(f'The design "{model.name}" for the NeuroCanvas core API.', weights_file, "NeuroCanvas", model)
    names = ", ".join(api + types)
    from_core = f"from core import {names}"
    if len(from_core) > WIDTH:
        from_core = "from core import (\n" + "".join(f"{INDENT}{n},\n" for n in api + types) + ")"
    from core.io.codegen_training import plan, uses_schedule
    schedule = isinstance(_training(model)["optimizer"].get_config().get("learning_rate"), dict) or \
        uses_schedule(plan(model, _training(model)), keras=False)
    imports = ["import os", "import sys", "", "import numpy as np", "",
               "from core import optimizers" + (", schedules" if schedule else ""), from_core, "",
               "HERE = os.path.dirname(os.path.abspath(__file__))",
               f"WEIGHTS = os.path.join(HERE, {literal(weights_file)})", *_data_constant(model), "", ""]
    return _script([head + imports, build_function(graph, model.name, False), compile_function(model, False),
                    train_function(model, False), _main("model.load_weights(WEIGHTS)", model)])
