"""Translation between our layer configs and Keras's ``model_config`` JSON, driven by the layer registry.

Reading accepts what Keras 2 and Keras 3 write (both InputLayer styles, both functional node formats,
``time_major``, initializer and regularizer objects, dtype policies). Every key of a Keras layer config is either
a parameter of the registered layer type, a generic key (name, trainable, dtype, ...), or a Keras option we do
not model whose value is checked to be Keras's default; anything else is a problem. Problems are collected per
layer, so that one error can list every layer we cannot run and why.

Writing emits the style Keras 2, Keras 3 and Netron all open: InputLayer with ``batch_input_shape``, the Keras 2
functional node format ``[[["name", 0, 0, {}]]]``, and no ``time_major``.
"""

from __future__ import annotations

from typing import Any

from core.io.h5_fields import clip, short
from core.layers import registry
from core.layers.base import INITIALIZERS, Layer, snake_case

GENERIC_KEYS = {"name", "trainable", "dtype", "module", "registered_name", "build_config", "shared_object_id"}
SHAPE_KEYS = ("batch_input_shape", "batch_shape", "input_shape", "input_dim", "batch_size")
_ANY = object()  # options that change neither the forward pass nor the loaded weights (seeds, init, kernels)
_OFF = (None, False, 0, 0.0, "channels_last")
# Keras options we do not model: key -> values that mean Keras's default (accepted and dropped).
DEFAULT_OPTIONS: dict[str, Any] = {
    "sparse": _OFF, "ragged": _OFF, "optional": _OFF, "input_tensor": _OFF, "noise_shape": _OFF,
    "quantization_config": _OFF, "lora_rank": _OFF, "lora_alpha": _ANY, "return_state": _OFF, "stateful": _OFF,
    "unroll": _ANY, "time_major": _OFF, "zero_output_for_mask": _OFF, "dropout": _OFF, "recurrent_dropout": _OFF,
    "data_format": _OFF, "dilation_rate": "ones", "groups": (1,), "synchronized": _OFF, "renorm": _OFF,
    "renorm_clipping": _OFF, "renorm_momentum": _ANY, "virtual_batch_size": _OFF, "adjustment": _OFF,
    "fused": _ANY, "implementation": _ANY, "seed": _ANY, "unit_forget_bias": _ANY, "keepdims": _OFF,
    "reset_after": (True,), "use_cudnn": _ANY,
}
CONSTRAINT_SUFFIXES = ("_constraint",)
REGULARIZER_SUFFIX = "_regularizer"
_RANDOM_INIT_DEFAULTS = {"seed": _ANY, "input_axes": (None,), "output_axes": (None,), "gain": (1.0, 1),
                         "mean": (0.0, 0), "stddev": (0.05,), "minval": (-0.05,), "maxval": (0.05,),
                         "dtype": _ANY}


class Unsupported(Exception):
    """A layer option we cannot honour; collected into one ModelFileError by the reader."""


def keras_major(keras_version: str | None) -> int:
    """The major version of the Keras that wrote a file (2 when unknown, as old files lack the attribute)."""
    try:
        return int(str(keras_version).split(".")[0])
    except ValueError:
        return 2


# -- reading: one layer ----------------------------------------------------------------------------------------
def layer_from_keras(entry: Any, keras_version: str | None) -> Layer:
    """Our layer for one entry of a Keras ``layers`` list; raises Unsupported with the reason."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise Unsupported("the layer entry has no config")
    class_name = entry.get("class_name")
    if not isinstance(class_name, str):
        raise Unsupported("the layer entry has no class_name")
    if class_name == "Lambda":
        raise Unsupported("Lambda layers hold Python code, which is never run from a file: rebuild this step "
                          "with built-in layers")
    registered = entry.get("registered_name")
    if "." not in class_name and ">" not in class_name and (registered in (None, class_name)):
        type_name = class_name
    else:
        raise Unsupported(f"custom layer class {short(registered or class_name)} is not available here")
    if type_name not in registry.all_types():
        raise Unsupported(f"layer type {short(type_name)} is not available here; available: "
                          f"{', '.join(registry.all_types())}")
    cls = registry.get(type_name)
    config = dict(entry["config"])
    hook = getattr(cls, "from_keras_config", None)
    if callable(hook):
        config = hook(config, keras_version)
    params, hint = translate_config(cls, config, keras_version)
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise Unsupported("the layer has no name")
    if type_name == "InputLayer":
        if hint is None:
            raise Unsupported("the InputLayer has no shape (batch_input_shape or batch_shape)")
        params = {"shape": hint}
        hint = None
    try:
        layer = cls(name=name, input_shape=hint, **params)
    except Exception as exc:  # ConfigError from validation, TypeError from a hook
        raise Unsupported(str(exc)) from None
    return layer


def translate_config(cls: type, config: dict[str, Any], keras_version: str | None) -> tuple[dict, tuple | None]:
    """``(our params, per-sample input shape hint or None)`` for a Keras layer config."""
    spec = {p.name: p for p in cls.params}
    problems: list[str] = []
    params: dict[str, Any] = {}
    for key, value in config.items():
        try:
            if key in spec:
                params[key] = _param_value(spec[key], value, keras_version)
            elif key in GENERIC_KEYS:
                _check_generic(key, value)
            elif key not in SHAPE_KEYS:
                _check_option(key, value)
        except Unsupported as exc:
            problems.append(str(exc))
    if problems:
        raise Unsupported("; ".join(problems))
    return params, _shape_hint(config)


def _param_value(param: Any, value: Any, keras_version: str | None) -> Any:
    if param.name.endswith("_initializer") and param.kind == "choice":
        return initializer_name(param.name, value)
    if param.kind == "regularizer":
        return regularizer_value(param.name, value)
    if isinstance(value, dict):
        raise Unsupported(f"{param.name} is a custom object ({value.get('class_name', '?')}), which is not "
                          "available here")
    if param.name.endswith("activation") and value == "hard_sigmoid" and keras_major(keras_version) < 3:
        return "hard_sigmoid_tf2"  # tf.keras 2 defines hard_sigmoid as clip(0.2 x + 0.5, 0, 1)
    if isinstance(value, list):
        return tuple(value)
    return value


def _check_generic(key: str, value: Any) -> None:
    if key == "trainable" and value is not True:
        raise Unsupported("frozen layers (trainable=false) are not supported")
    if key == "dtype":
        name = value
        if isinstance(value, dict):
            inner = value.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
        if name not in ("float32", None):
            raise Unsupported(f"dtype {short(name)} is not supported (float32 only)")


def _check_option(key: str, value: Any) -> None:
    if key.endswith(CONSTRAINT_SUFFIXES):
        if value is not None:
            raise Unsupported(f"{key} {clip(_class_of(value))} is not supported (weight constraints)")
        return
    if key.endswith(REGULARIZER_SUFFIX):
        if value is not None:
            raise Unsupported(f"{key} {clip(_class_of(value))} is not supported for this layer")
        return
    if key.endswith("_initializer") and key not in DEFAULT_OPTIONS:
        return  # an initialiser we do not model only affects fresh weights; the file's weights replace them
    allowed = DEFAULT_OPTIONS.get(key)
    if allowed is None:
        raise Unsupported(f"option {clip(key)}={short(value)} is not supported")
    if allowed is _ANY:
        return
    if allowed == "ones":
        items = value if isinstance(value, (list, tuple)) else [value]
        if all(v == 1 and not isinstance(v, bool) for v in items):
            return
    elif any(value == a and type(value) is not bool or value is a for a in allowed):
        return
    raise Unsupported(f"option {clip(key)}={short(value)} is not supported (only {short(allowed)})")


def _class_of(value: Any) -> str:
    return str(value.get("class_name", value)) if isinstance(value, dict) else repr(value)


def _shape_hint(config: dict[str, Any]) -> tuple | None:
    shape = None
    for key in ("batch_input_shape", "batch_shape"):
        if config.get(key) is not None:
            full = config[key]
            if not isinstance(full, list) or len(full) < 2:
                raise Unsupported(f"{key} must be a list [null, ...], got {short(full)}")
            shape = full[1:]
    if shape is None and config.get("input_shape") is not None:
        shape = config["input_shape"]
    if shape is None and config.get("input_dim") is not None:
        shape = [config["input_dim"]]
    if shape is None:
        return None
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                              for d in shape):
        raise Unsupported(f"the input shape {short(shape)} must be fixed positive sizes (no None besides the batch)")
    return tuple(shape)


def initializer_name(key: str, value: Any) -> str:
    """Our initialiser name for a Keras initialiser (a string or a ``{"class_name", "config"}`` object)."""
    if isinstance(value, str):
        name, config = snake_case(value) if value[:1].isupper() else value, {}
    elif isinstance(value, dict) and isinstance(value.get("class_name"), str):
        name, config = snake_case(value["class_name"]), value.get("config") or {}
    else:
        raise Unsupported(f"{key} {short(value)} is not an initializer")
    if name not in INITIALIZERS:
        raise Unsupported(f"{key} {clip(_class_of(value))} is not available; available: {', '.join(INITIALIZERS)}")
    if not isinstance(config, dict):
        raise Unsupported(f"{key} has a malformed config")
    for k, v in config.items():
        allowed = _RANDOM_INIT_DEFAULTS.get(k)
        if allowed is None or (allowed is not _ANY and v not in allowed):
            raise Unsupported(f"{key} {clip(_class_of(value))} with {clip(k)}={short(v)} is not supported (only "
                              "Keras's defaults)")
    return name


def regularizer_value(key: str, value: Any) -> dict[str, float] | None:
    """``{"l1": a, "l2": b}`` for a Keras regularizer object (L1, L2, L1L2), a name, or None."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict) or value.get("class_name") not in ("L1", "L2", "L1L2", "l1", "l2", "l1_l2"):
        raise Unsupported(f"{key} {clip(_class_of(value))} is not supported (L1, L2 and L1L2 are)")
    config = value.get("config") or {}
    if not isinstance(config, dict) or not set(config) <= {"l1", "l2"}:
        raise Unsupported(f"{key} has a malformed config")
    return {k: config[k] for k in ("l1", "l2") if k in config}


# -- writing: one layer ----------------------------------------------------------------------------------------
def layer_to_keras(layer: Layer, input_shape: tuple | None = None) -> dict[str, Any]:
    """The Keras ``{"class_name", "config"}`` entry of a layer, in the style Keras 2, Keras 3 and Netron open."""
    if layer.type_name == "InputLayer":
        config = {"batch_input_shape": [None, *layer.config["shape"]], "dtype": "float32", "sparse": False,
                  "name": layer.name}
        return {"class_name": "InputLayer", "config": config}
    config: dict[str, Any] = {"name": layer.name, "trainable": True, "dtype": "float32"}
    for param in layer.params:
        config[param.name] = _keras_value(param, layer.config[param.name])
    config.pop("time_major", None)
    hook = getattr(layer, "keras_config", None)
    if callable(hook):
        config = hook(config)
    return {"class_name": layer.type_name, "config": config}


def _keras_value(param: Any, value: Any) -> Any:
    if param.name.endswith("_initializer") and isinstance(value, str) and value in INITIALIZERS:
        class_name = "".join(part.capitalize() for part in value.split("_"))
        config = {} if value in ("zeros", "ones") else {"seed": None}
        return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}
    if param.kind == "regularizer" and value is not None:
        l1, l2 = value.get("l1", 0.0), value.get("l2", 0.0)
        class_name = "L1L2" if (l1 and l2) or not (l1 or l2) else ("L1" if l1 else "L2")
        config = {"l1": l1, "l2": l2} if class_name == "L1L2" else ({"l1": l1} if l1 else {"l2": l2})
        return {"module": "keras.regularizers", "class_name": class_name, "config": config, "registered_name": None}
    if value == "hard_sigmoid_tf2":
        return "hard_sigmoid"  # the exact variant is kept in our own group (see core.io.h5)
    if isinstance(value, tuple):
        return list(value)
    return value
