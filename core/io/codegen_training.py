"""The training part of a generated script: ``load_data`` and ``train``, written from the settings the model was
trained with (``model.settings``, else its last run's, see :func:`core.training.run_settings`).

Those settings come from a model file anyone can make, so none of them reaches the source unchecked: the loss,
optimiser, schedule and sample are looked up among the names NeuroCanvas knows, the optimiser is built from its
options (which checks each one), numbers and flags become plain Python values, and every value is written by
:func:`source_literal`, which proves that its text reads back as that value and nothing else.
"""

from __future__ import annotations

import ast
import math
import textwrap
from dataclasses import dataclass, field
from typing import Any

from core.errors import NeuroCanvasError
from core.io.codegen_text import INDENT, WIDTH, CodegenError, call, code, literal

SCHEDULES = ("constant", "ExponentialDecay", "InverseTimeDecay", "CosineDecay", "StepDecay")
NOT_IN_KERAS = {"StepDecay": "Keras has no StepDecay (the rate halved every few epochs)"}


@dataclass
class Plan:
    """The checked settings of a run, every value a plain Python one; ``notes`` are fixed texts for comments."""

    loss: str
    optimizer: Any  # a core Optimizer, built from the settings' name and options
    epochs: int = 10
    batch_size: int = 32
    validation_split: float = 0.1
    schedule: str = "constant"
    seed: int | None = None
    data: dict[str, Any] | None = None  # {"sample": name, "params": {...}} or {"file": path}
    notes: list[str] = field(default_factory=list)
    from_settings: bool = False


def source_literal(value: Any) -> str:
    """Python source for a plain value (None, bool, int, finite float, str, or tuples, lists and dicts of them)
    that reads back as exactly that value; a ValueError for anything else."""
    _check_plain(value)
    text = literal(value, keras=False)
    if ast.literal_eval(text) != value:
        text = repr(value)
    if ast.literal_eval(text) != value:
        raise ValueError(f"{type(value).__name__} value has no exact literal")
    return text


def _check_plain(value: Any) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return
    if isinstance(value, (tuple, list)):
        for v in value:
            _check_plain(v)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("a key that is not a string")
            _check_plain(v)
        return
    raise ValueError(f"{type(value).__name__} is not a plain value")


# -- reading the settings -----------------------------------------------------------------------------------------
def recorded_settings(model: Any) -> dict[str, Any] | None:
    """``model.settings``, else the settings of its last run, else None."""
    settings = getattr(model, "settings", None)
    if isinstance(settings, dict):
        return settings
    runs = getattr(model, "runs", None) or []
    last = getattr(runs[-1], "settings", None) if runs else None
    return last if isinstance(last, dict) else None


def plan(model: Any, fallback: dict[str, Any]) -> Plan:
    """The run to write: the recorded settings, checked, each missing or unusable one taken from ``fallback``
    (``loss``, ``optimizer``, ``epochs``, ``batch_size``: what the script did before settings were kept)."""
    settings = recorded_settings(model)
    if settings is None:
        return Plan(fallback["loss"], fallback["optimizer"], fallback["epochs"], fallback["batch_size"])
    notes: list[str] = []
    loss = _loss(settings.get("loss"))
    if loss is None:
        loss = fallback["loss"]
        notes.append("The recorded loss is not one NeuroCanvas knows: this is the model's own.")
    optimizer = _optimizer(settings.get("optimizer"))
    if optimizer is None:
        optimizer = fallback["optimizer"]
        notes.append("The recorded optimiser is not one NeuroCanvas knows: this is the model's own.")
    schedule = settings.get("schedule", "constant")
    if schedule not in SCHEDULES:
        schedule = "constant"
        notes.append("The recorded learning-rate schedule is not one NeuroCanvas knows: the rate stays constant.")
    seed = _number(settings.get("seed"), int, 0, 2**32 - 1)
    return Plan(loss, optimizer, _number(settings.get("epochs"), int, 1, 10**7) or fallback["epochs"],
                _number(settings.get("batch_size"), int, 1, 10**9) or fallback["batch_size"],
                _number(settings.get("validation_split"), float, 0.0, 0.99, 0.0), schedule, seed,
                _data(settings.get("data")), notes + _unapplied(settings), from_settings=True)


def _loss(name: Any) -> str | None:
    from core import losses
    if not isinstance(name, str):
        return None
    try:
        return losses.get(name).name
    except (NeuroCanvasError, TypeError, ValueError, KeyError):
        return None


def _optimizer(spec: Any) -> Any:
    """A core optimiser from ``{"name": ..., "learning_rate": ..., <options>}``; options it lacks are dropped,
    and a name or value it refuses gives None."""
    from core import optimizers
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or spec["name"] not in optimizers.names():
        return None
    known = set(optimizers.get(spec["name"]).get_config()) - {"name", "decay"}
    options = {k: v for k, v in spec.items() if k in known and _is_plain_number(v)}
    try:
        return optimizers.get(spec["name"], **options)
    except (NeuroCanvasError, TypeError, ValueError):
        return None


def _is_plain_number(value: Any) -> bool:
    return value is None or isinstance(value, bool) or isinstance(value, (int, float)) and math.isfinite(value)


def _number(value: Any, kind: type, low: float, high: float, default: Any = None) -> Any:
    """``value`` as an int or float within ``[low, high]``, else ``default`` (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    if kind is int and value != int(value):
        return default
    return kind(value) if low <= value <= high else default


def _data(ref: Any) -> dict[str, Any] | None:
    """The data reference with a known sample and its known plain parameters, or a file path; else None."""
    from core.data.samples import get_spec, sample_names
    if not isinstance(ref, dict):
        return None
    if isinstance(ref.get("sample"), str) and ref["sample"] in sample_names():
        given = ref.get("params") if isinstance(ref.get("params"), dict) else {}
        params = {}
        for spec in get_spec(ref["sample"]).params:  # each value checked as load_sample checks it
            try:
                value = spec.validate(ref["sample"], given[spec.name]) if spec.name in given else None
            except NeuroCanvasError:
                continue
            if isinstance(value, (bool, int, float, str)) and _literal_ok(value):
                params[spec.name] = value
        return {"sample": ref["sample"], "params": params}
    if isinstance(ref.get("file"), str) and ref["file"] and _literal_ok(ref["file"]):
        return {"file": ref["file"]}
    return None


def _literal_ok(value: Any) -> bool:
    try:
        source_literal(value)
    except (ValueError, SyntaxError):
        return False
    return True


def _unapplied(settings: dict[str, Any]) -> list[str]:
    """Fixed notes for the settings the script does not apply itself."""
    notes = []
    if settings.get("preprocessing") in ("standard", "minmax"):
        notes.append(f"The inputs were scaled ({settings['preprocessing']}) before training: scale x the same way.")
    if settings.get("augmentation"):
        notes.append("The run augmented its inputs, which this script does not do.")
    return notes


# -- writing the functions ---------------------------------------------------------------------------------------
def load_data_lines(run: Plan, output_shape: tuple[int, ...] | None) -> list[str]:
    """``def load_data(path=...)``: an .npz file or any file NeuroCanvas reads, and by default the run's data.
    A NeuroCanvas data set's targets are put in the form the loss reads, as :func:`core.tasks.prepare_targets`
    does for the network's output (of ``output_shape``; None: several outputs, left as they are)."""
    ref = run.data or {}
    if "sample" in ref:
        what = f"the sample data set {source_literal(ref['sample'])} the design was trained on, made by NeuroCanvas"
        made = _call("load_sample", [source_literal(ref["sample"])], ref["params"])
        body = [f"{INDENT}if path is None:", f"{INDENT * 2}from core.data import load_sample", "",
                f"{INDENT * 2}data = {made}", f'{INDENT}elif path.endswith(".npz"):',
                f"{INDENT * 2}data = np.load(path)", f'{INDENT * 2}return data["x"], data["y"]', f"{INDENT}else:",
                f"{INDENT * 2}from core.data import load_file", "", f"{INDENT * 2}data = load_file(path)"]
    else:
        what = "the file the design was trained on (DATA)" if "file" in ref else "none, give one"
        body = [f"{INDENT}path = DATA if path is None else path"] if "file" in ref else []
        body += [f'{INDENT}if path.endswith(".npz"):', f"{INDENT * 2}data = np.load(path)",
                 f'{INDENT * 2}return data["x"], data["y"]', f"{INDENT}from core.data import load_file", "",
                 f"{INDENT}data = load_file(path)"]
    doc = ("Inputs and targets from ``path``: an .npz file with arrays x and y, or any data file NeuroCanvas "
           f"reads (CSV, HDF5, image folders, ...). Without ``path``: {what}.")
    lines = ["def load_data(path=None):", *docstring(doc), *body,
             f'{INDENT}x, y = np.asarray(data.x, dtype="float32"), np.asarray(data.y)']
    return lines + _target_lines(run, output_shape) + [f"{INDENT}return x, y"]


def _target_lines(run: Plan, output_shape: tuple[int, ...] | None) -> list[str]:
    from core import losses
    if output_shape is None:
        return []
    kind = losses.get(run.loss).targets
    as_classes = {"labels": 'y.astype("int64").reshape(-1)', "binary": 'y.astype("float32").reshape(-1, 1)'}.get(
        kind, 'np.eye(data.num_classes, dtype="float32")[y.reshape(-1).astype("int64")]')
    shape = source_literal(tuple(int(n) for n in output_shape))
    return [f'{INDENT}if data.task == "classification":  # class numbers, in the form the loss reads',
            f"{INDENT * 2}y = {as_classes}", f"{INDENT}else:",
            f'{INDENT * 2}y = y.astype("float32").reshape((len(y),) + {shape})']


def docstring(text: str) -> list[str]:
    """A function's docstring, wrapped to the script's width."""
    one = f'{INDENT}"""{text}"""'
    if len(one) <= WIDTH:
        return [one]
    lines = textwrap.wrap(text, WIDTH - len(INDENT), initial_indent='"""')
    return [INDENT + line for line in lines] + [f'{INDENT}"""']


def comment(text: str) -> list[str]:
    """A comment in a function's body, wrapped to the script's width."""
    return [f"{INDENT}# {line}" for line in textwrap.wrap(text, WIDTH - len(INDENT) - 2)]


def train_lines(run: Plan, metrics: list[str], keras: bool) -> list[str]:
    """``def train(model, x, y, epochs=..., batch_size=..., validation_split=...)``: with recorded settings, it
    compiles the model with the run's loss and optimiser (and schedule) before ``fit``."""
    head = (f"def train(model, x, y, epochs={source_literal(run.epochs)}, batch_size={source_literal(run.batch_size)}, "
            f"validation_split={source_literal(run.validation_split)}):")
    doc = ("Train on ``x`` and ``y`` as the design's last run did" if run.from_settings else
           "Continue training on inputs ``x`` and targets ``y``")
    lines = [head, *docstring(f"{doc}; returns the History.")]
    lines += [line for note in run.notes for line in comment(note)]
    from core.io.keras_model import KERAS_LOSSES
    if keras and run.from_settings and run.loss not in KERAS_LOSSES:
        lines += comment(f"Keras has no loss named {run.loss}: give compile a function computing it.")
    if run.from_settings:
        if keras and run.seed is not None:
            lines.append(f"{INDENT}keras.utils.set_random_seed({source_literal(run.seed)})")
        lines += _rate_lines(run, keras)
        kwargs = {"optimizer": _optimizer_call(run, keras), "loss": source_literal(run.loss)}
        if metrics:
            kwargs["metrics"] = source_literal(list(metrics))
        if not keras and run.seed is not None:
            kwargs["seed"] = source_literal(run.seed)
        lines.append(INDENT + call("model.compile", [], kwargs, INDENT, raw=True))
    fit = {"batch_size": "batch_size", "epochs": "epochs", "validation_split": "validation_split"}
    return lines + [f"{INDENT}return " + call("model.fit", ["x", "y"], fit, INDENT, raw=True, lead=7)]


def uses_schedule(run: Plan, keras: bool) -> bool:
    return run.from_settings and run.schedule != "constant" and not (keras and run.schedule in NOT_IN_KERAS)


def _rate_lines(run: Plan, keras: bool) -> list[str]:
    """``steps = ...`` and ``learning_rate = <schedule>`` as the training panel builds them from the run's
    length, or a comment when Keras lacks the schedule (the rate then stays at its start)."""
    if run.schedule in NOT_IN_KERAS and keras:
        return comment(f"{NOT_IN_KERAS[run.schedule]}: the rate stays at the one the run started from.")
    if not uses_schedule(run, keras):
        return []
    start = source_literal(start_rate(run))
    settings = {"ExponentialDecay": {"decay_steps": "steps", "decay_rate": "0.9"},
                "InverseTimeDecay": {"decay_steps": "steps", "decay_rate": "0.5"},
                "CosineDecay": {"decay_steps": "steps * epochs"},
                "StepDecay": {"drop_rate": "0.5", "epochs_drop": "max(1, epochs // 3)"}}[run.schedule]
    module = "keras.optimizers.schedules." if keras else "schedules."
    schedule = call(module + run.schedule, [], {"initial_learning_rate": start, **settings}, INDENT, raw=True,
                    lead=16)
    lines = [] if run.schedule == "StepDecay" else [
        f"{INDENT}# batches an epoch: the schedule counts in them, as the training panel's does",
        f"{INDENT}steps = -(-(len(x) - int(len(x) * validation_split)) // batch_size)"]
    return lines + [f"{INDENT}learning_rate = {schedule}"]


def start_rate(run: Plan) -> float:
    """The rate the run starts from (the current one of a model's own optimiser with a schedule)."""
    rate = run.optimizer.get_config()["learning_rate"]
    return float(rate) if _is_plain_number(rate) and rate is not None else float(run.optimizer.current_learning_rate())


def _optimizer_call(run: Plan, keras: bool) -> Any:
    """The optimiser's constructor: its class by Keras name, the rate, and the options that differ from their
    defaults (every core option is one Keras has too, under the same name)."""
    from core.io.keras_model import KERAS_OPTIMIZERS
    cls = type(run.optimizer).__name__
    if keras and cls not in KERAS_OPTIMIZERS:
        raise CodegenError(f"Keras has no {cls} optimiser: choose another for the next run")
    defaults = type(run.optimizer)().get_config()
    config = run.optimizer.get_config()
    kwargs = {"learning_rate": "learning_rate" if uses_schedule(run, keras) else source_literal(start_rate(run))}
    kwargs.update({k: source_literal(v) for k, v in config.items()
                   if k not in ("name", "decay", "learning_rate") and v is not None and v != defaults.get(k)})
    return code(("keras.optimizers." if keras else "optimizers.") + cls, [], kwargs, raw=True)


def _call(func: str, args: list[str], params: dict[str, Any]) -> str:
    return call(func, args, {k: source_literal(v) for k, v in params.items()}, INDENT * 2, raw=True, lead=15)
