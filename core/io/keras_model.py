"""Whole Keras models: ``model_config`` <-> :class:`~core.graph.Graph`, Keras's layer order, and the
``training_config`` (loss, metrics, optimiser) Keras writes for a compiled model.

Both functional node formats are read (Keras 2 ``[[["name", 0, 0, {}]]]`` and Keras 3 ``{"args": [...]}``);
the Keras 2 format is written, which Keras 2, Keras 3 and Netron all open.
"""

from __future__ import annotations

from typing import Any

from core.graph import Graph
from core.io.keras_config import Unsupported, _shape_hint, layer_from_keras, layer_to_keras
from core.io.h5_fields import clip, short
from core.layers import registry
from core.layers.base import Layer


def keras_order(graph: Graph) -> list[str]:
    """Layer ids in the order Keras's Functional model lists its layers (``map_graph``: by decreasing depth,
    ties by depth-first traversal order from the outputs), which is the order weights are loaded in."""
    index: dict[str, int] = {}
    finished: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:  # iterative form of Keras's _build_map_helper
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in done:
                continue
            if expanded:
                done.add(current)
                finished.append(current)
                continue
            index.setdefault(current, len(index))
            stack.append((current, True))
            for source in reversed(graph.inputs_of(current)):
                if source not in done:
                    stack.append((source, False))

    for out in graph.output_layers():
        visit(out)
    depth: dict[str, int] = {}
    for node in reversed(finished):
        d = depth.setdefault(node, 0)
        for source in graph.inputs_of(node):
            depth[source] = max(depth.get(source, 0), d + 1)
    for rank, node in enumerate(i for i in graph.layer_ids if i not in done):  # inputs no output depends on
        depth[node], index[node] = 0, rank - len(graph)
        finished.append(node)
    return sorted(finished, key=lambda i: (-depth[i], index[i]))


# -- whole models ----------------------------------------------------------------------------------------------
def model_config_from_graph(graph: Graph, name: str) -> tuple[dict[str, Any], list[str]]:
    """``(model_config, layer ids in Keras's model.layers order)``: Sequential for a chain, else Functional."""
    if graph.is_chain():
        order = graph.topological_order()
        layers = [layer_to_keras(graph.layer(i)) for i in order]
        return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}, order[1:]
    order = keras_order(graph)
    entries = []
    for layer_id in order:
        entry = layer_to_keras(graph.layer(layer_id))
        entry["name"] = graph.layer(layer_id).name
        sources = graph.inputs_of(layer_id)
        entry["inbound_nodes"] = [[[graph.layer(s).name, 0, 0, {}] for s in sources]] if sources else []
        entries.append(entry)
    config = {"name": name, "layers": entries,
              "input_layers": [[graph.layer(i).name, 0, 0] for i in graph.input_layers()],
              "output_layers": [[graph.layer(i).name, 0, 0] for i in graph.output_layers()]}
    return {"class_name": "Functional", "config": config}, order


class UnsupportedModel(Exception):
    """Layers we cannot run; ``problems`` holds one line per layer."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def graph_from_model_config(model_config: Any, keras_version: str | None) -> tuple[Graph, list[str], str]:
    """``(graph, layer ids in Keras's model.layers order, model name)`` from a Keras ``model_config``.

    Raises UnsupportedModel listing every layer we cannot run, or ValueError for a malformed config.
    """
    if not isinstance(model_config, dict) or not isinstance(model_config.get("config"), dict):
        raise ValueError("model_config has no config")
    kind, config = model_config.get("class_name"), model_config["config"]
    entries = config.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError("model_config lists no layers")
    name = config.get("name") if isinstance(config.get("name"), str) else "model"
    layers, problems = [], []
    for k, entry in enumerate(entries):
        try:
            layers.append(layer_from_keras(entry, keras_version))
        except Unsupported as exc:
            label = _entry_label(entry, k)
            problems.append(f"{label}: {exc}")
    if problems:
        raise UnsupportedModel(problems)
    if kind == "Sequential":
        graph, order = _sequential_graph(layers, config)
    elif kind in ("Functional", "Model"):
        graph, order = _functional_graph(layers, entries, config)
    else:
        raise UnsupportedModel([f"model class {short(kind)} is not supported (Sequential and Functional are)"])
    return graph, order, name


def _entry_label(entry: Any, k: int) -> str:
    if not isinstance(entry, dict):
        return f"layer #{k + 1}"
    cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    return (f"layer '{clip(cfg.get('name', entry.get('name', '#' + str(k + 1))))}' "
            f"({clip(entry.get('class_name', '?'))})")


def _sequential_graph(layers: list[Layer], config: dict[str, Any]) -> tuple[Graph, list[str]]:
    if layers[0].type_name != "InputLayer":
        hint = layers[0].input_shape_hint
        build = config.get("build_input_shape")
        if hint is None and isinstance(build, list) and len(build) > 1:
            hint = _shape_hint({"batch_input_shape": build})
        if hint is None:
            raise UnsupportedModel(["the model has no input shape (no InputLayer, no batch_input_shape)"])
        layers = [registry.get("InputLayer")(shape=hint)] + layers
    if any(layer.type_name == "InputLayer" for layer in layers[1:]):
        raise ValueError("a Sequential model has an InputLayer after its first layer")
    graph = Graph.chain(layers)
    return graph, graph.topological_order()[1:]


def _functional_graph(layers: list[Layer], entries: list[Any], config: dict[str, Any]) -> tuple[Graph, list[str]]:
    by_name = {layer.name: (layer, entry) for layer, entry in zip(layers, entries)}
    if len(by_name) != len(layers):
        raise ValueError("two layers have the same name")
    inputs = [_tensor_ref(r)[0] for r in _ref_list(config.get("input_layers"))]
    outputs = [_tensor_ref(r)[0] for r in _ref_list(config.get("output_layers"))]
    if not inputs or not outputs or not set(inputs + outputs) <= set(by_name):
        raise ValueError("input_layers / output_layers name layers that are not in the model")
    sources, problems = {}, []
    for layer, entry in zip(layers, entries):
        try:
            sources[layer.name] = _inbound(entry.get("inbound_nodes"))
        except Unsupported as exc:
            problems.append(f"layer '{clip(layer.name)}' ({layer.type_name}): {exc}")
        if not set(sources.get(layer.name, ())) <= set(by_name):
            raise ValueError(f"layer '{layer.name}' is fed by a layer that is not in the model")
    if problems:
        raise UnsupportedModel(problems)
    rest = [n for n in by_name if n not in inputs and n not in outputs]
    graph = Graph()
    ids = {n: graph.add_layer(by_name[n][0]) for n in inputs + rest + outputs}
    for target, srcs in sources.items():
        for slot, src in enumerate(srcs):
            graph.connect(ids[src], ids[target], slot)
    if graph.input_layers() != [ids[n] for n in inputs] or graph.output_layers() != [ids[n] for n in outputs]:
        raise UnsupportedModel(["the model's inputs and outputs are not its InputLayers and its final layers "
                                "(outputs taken from the middle of the network are not supported)"])
    return graph, keras_order(graph)


def _ref_list(value: Any) -> list[Any]:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value]  # Keras 3 writes a single input or output flat: ["input_layer", 0, 0]
    return value if isinstance(value, list) else []


def _tensor_ref(ref: Any) -> tuple[str, int, int]:
    if not isinstance(ref, list) or len(ref) < 3 or not isinstance(ref[0], str):
        raise ValueError(f"malformed layer reference {short(ref)}")
    if ref[1] != 0 or ref[2] != 0:
        raise Unsupported(f"a layer used more than once, or one of several outputs of a layer ({short(ref[:3])}), "
                          "is not supported")
    return ref[0], ref[1], ref[2]


def _inbound(nodes: Any) -> list[str]:
    """Source layer names of a layer's single call, from either functional node format."""
    if nodes is None or nodes == []:
        return []
    if not isinstance(nodes, list):
        raise ValueError("inbound_nodes must be a list")
    if len(nodes) > 1:
        raise Unsupported("a layer called more than once (shared layer) is not supported")
    node = nodes[0]
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        for key, value in (node.get("kwargs") or {}).items():
            if not (key == "training" or (key == "mask" and value is None)):
                raise Unsupported(f"call argument {clip(key)}={short(value)} is not supported")
        refs = _keras3_tensors(node.get("args", []))
    elif isinstance(node, list):  # Keras 2: [["name", node, tensor, {kwargs}], ...]
        refs = node
        for ref in refs:
            if isinstance(ref, list) and len(ref) > 3 and ref[3] not in ({}, None):
                raise Unsupported(f"call arguments {short(ref[3])} are not supported")
    else:
        raise ValueError("malformed inbound node")
    return [_tensor_ref(r)[0] for r in refs]


def _keras3_tensors(args: Any) -> list[list]:
    out = []
    for arg in args if isinstance(args, list) else [args]:
        if isinstance(arg, list):
            out.extend(_keras3_tensors(arg))
        elif isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            cfg = arg.get("config")
            out.append(cfg.get("keras_history") if isinstance(cfg, dict) else None)
        else:
            raise Unsupported(f"a call argument that is not a tensor ({short(arg)}) is not supported")
    return out


# -- training_config ------------------------------------------------------------------------------------------
KERAS_LOSSES = {"mean_squared_error", "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy", "hinge"}
KERAS_METRICS = {"accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy",
                 "mae", "mse", "mean_absolute_error", "mean_squared_error"}
KERAS_OPTIMIZERS = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "AdamW", "Ftrl", "Lion"}
KERAS_SCHEDULES = {"ExponentialDecay", "PiecewiseConstantDecay", "InverseTimeDecay", "PolynomialDecay",
                   "CosineDecay", "CosineDecayRestarts"}
_LOSS_OPTIONS = {"name": None, "reduction": None, "fn": None, "dtype": None, "from_logits": (False,),
                 "label_smoothing": (0, 0.0), "axis": (-1,), "ignore_class": (None,)}


def training_config_to_keras(loss: Any, optimizer: Any, metrics: list[Any]) -> dict[str, Any] | None:
    """Keras 3's ``training_config`` for a compiled model, or None when Keras has no equivalent of the loss or
    optimiser (Keras then opens the model uncompiled; our own group still holds the exact state)."""
    cls_name = type(optimizer).__name__
    if loss.name not in KERAS_LOSSES or cls_name not in KERAS_OPTIMIZERS:
        return None
    config = dict(optimizer.get_config())
    config.pop("decay", None)  # refused by tf.keras 2's optimisers, ignored by Keras 3
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        if rate.get("class_name") in KERAS_SCHEDULES:
            config["learning_rate"] = {"module": "keras.optimizers.schedules", **rate, "registered_name": None}
        else:  # a schedule Keras does not have: Keras continues at the current rate
            config["learning_rate"] = optimizer.current_learning_rate()
    names = [m if isinstance(m, str) else getattr(m, "name", "") for m in metrics]
    return {"loss": loss.name, "metrics": [m for m in names if m in KERAS_METRICS], "loss_weights": None,
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
            "optimizer_config": {"class_name": cls_name, "config": config}}


def compile_from_training_config(config: Any) -> tuple[Any, Any, list[str]]:
    """``(loss, optimizer, metrics)`` for a Keras ``training_config``; Unsupported when we cannot honour it."""
    from core import losses as losses_mod
    if not isinstance(config, dict):
        raise Unsupported("training_config is not an object")
    loss = _loss_from_keras(config.get("loss"), losses_mod)
    metrics = [_metric_name(m) for m in _flatten(config.get("metrics") or [])]
    for key in ("loss_weights", "weighted_metrics"):
        if config.get(key) not in (None, [], {}):
            raise Unsupported(f"{key} is not supported")
    return loss, _optimizer_from_keras(config.get("optimizer_config")), metrics


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict) and "class_name" not in value:
        value = list(value.values())  # per-output metrics
    if not isinstance(value, list):
        return [value]
    return [item for v in value for item in _flatten(v)]


def _loss_from_keras(value: Any, losses_mod: Any) -> Any:
    if isinstance(value, (list, dict)) and not (isinstance(value, dict) and "class_name" in value):
        items = _flatten(value)
        if not items or any(i != items[0] for i in items):
            raise Unsupported("different losses for different outputs are not supported")
        value = items[0]
    if isinstance(value, dict):
        cfg = value.get("config") if isinstance(value.get("config"), dict) else {}
        _check_options("loss", cfg, _LOSS_OPTIONS)
        name = cfg.get("fn") if value.get("class_name") == "LossFunctionWrapper" else value.get("class_name")
    else:
        name = value
    try:
        return losses_mod.get(name)
    except Exception:
        raise Unsupported(f"loss {short(name)} is not available") from None


def _metric_name(value: Any) -> str:
    from core import metrics as metrics_mod
    if isinstance(value, dict):  # tf.keras 2: {"class_name": "MeanMetricWrapper", "config": {"name", "fn"}}
        cfg = value.get("config") if isinstance(value.get("config"), dict) else {}
        value = cfg.get("name") if cfg.get("name") in KERAS_METRICS else cfg.get("fn", cfg.get("name"))
    try:
        metrics_mod.get(value)
    except Exception:
        raise Unsupported(f"metric {short(value)} is not available") from None
    return value


def _check_options(what: str, config: dict[str, Any], allowed: dict[str, Any]) -> None:
    for key, value in config.items():
        if key not in allowed:
            raise Unsupported(f"{what} option {clip(key)}={short(value)} is not supported")
        if allowed[key] is not None and value not in allowed[key]:
            raise Unsupported(f"{what} option {clip(key)}={short(value)} is not supported")


def _optimizer_from_keras(value: Any) -> Any:
    from core import optimizers as optimizers_mod
    if not isinstance(value, dict) or not isinstance(value.get("config"), dict):
        raise Unsupported("the optimizer config is missing")
    try:
        return optimizers_mod.get(value)
    except Exception as exc:
        raise Unsupported(f"optimizer: {exc}") from None
