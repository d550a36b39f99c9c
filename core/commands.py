"""What the ``neurocanvas`` subcommands do, apart from parsing (``core/cli.py``): each ``run_*`` function takes
the parsed arguments and returns a JSON-friendly result dict, printing progress to stderr only, so that the
command line prints either a human summary or the dict as JSON.

Errors a user can fix raise :class:`UsageError` (exit code 2) or a :class:`~core.errors.NeuroCanvasError`
(exit code 1), with a message that says what to do.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from core import tasks
from core.errors import ConfigError, NeuroCanvasError
from core.formatting import format_shape

class UsageError(NeuroCanvasError):
    """The command line asks for something impossible (exit code 2)."""


# -- data ----------------------------------------------------------------------------------------------------------
def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["n=200", "noise=0.1"]`` → ``{"n": 200, "noise": 0.1}`` (values parsed as JSON when they can be)."""
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r}: write KEY=VALUE, e.g. --param n=200")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
        if isinstance(params[key], float) and not math.isfinite(params[key]):
            raise UsageError(f"--param {item!r}: the value must be a finite number")
    return params


def load_data(spec: str, params: dict[str, Any] | None = None) -> Any:
    """A :class:`core.data.Dataset` from a sample name or any data file :func:`core.data.load_file` reads (CSV,
    .npz, .npy pairs, HDF5, MNIST IDX, a folder of images with one subfolder per class)."""
    from core.data import DataError, load_file, load_sample, sample_names
    if spec in sample_names():
        if not params:
            return load_sample(spec)
        try:
            return load_sample(spec, **params)
        except (ConfigError, DataError) as exc:  # a --param out of range or of the wrong kind: a usage error
            raise UsageError(f"--param: {exc}") from None
    if not Path(spec).exists():
        raise UsageError(f"--data {spec!r} is neither a sample data set (`neurocanvas samples` lists them) nor an "
                         "existing file")
    if params:
        raise UsageError("--param applies to sample data sets only")
    return load_file(spec)


def inputs_of(spec: str, params: dict[str, Any] | None = None) -> np.ndarray:
    """Inputs only: a .npy array of samples, or the x of anything :func:`load_data` reads."""
    if spec.lower().endswith(".npy") and Path(spec).is_file():
        return np.load(spec, allow_pickle=False)
    return np.asarray(load_data(spec, params).x)


def _refuse_non_finite(x: Any, command: str, allow_flag: bool = False) -> None:
    """A NeuroCanvasError naming the first sample (row) of ``x`` with a NaN or an infinite value, if any: the
    network would turn it into NaN outputs (or, before, plausible ones) without a word."""
    x = np.asarray(x)
    if x.dtype.kind not in "fc" or x.ndim == 0 or x.size == 0:
        return
    rows = x.reshape(len(x), -1)
    bad = ~np.isfinite(rows)
    bad_rows = bad.any(axis=1)
    if bad_rows.any():
        row = int(np.argmax(bad_rows))
        feature = int(np.argmax(bad[row]))
        allow = f", or pass --allow-nan to {command} them anyway (their outputs are then NaN)" if allow_flag else ""
        raise NeuroCanvasError(f"the inputs hold NaN or infinite values in {int(bad_rows.sum())} row(s), the first "
                               f"in row {row} ({float(rows[row, feature])} at feature {feature}): drop or impute "
                               f"those rows{allow}")


def _prepared(model: Any, x: Any) -> np.ndarray:
    """The inputs scaled as in training, after checking that they have the features the model was trained on."""
    x = np.asarray(x)
    net = model.network
    expected = net.output_shapes[net.input_ids[0]]
    if len(net.input_ids) == 1 and tuple(x.shape[1:]) != tuple(expected):
        size = int(np.prod(x.shape[1:]))
        raise NeuroCanvasError(f"the model's input is {format_shape(expected)} but the data's samples are "
                               f"{format_shape(x.shape[1:])} ({size} features): use data of the kind the model "
                               "was made for, or change its InputLayer")
    prep = getattr(model, "preprocessing", None)
    return prep.apply(x) if prep is not None else x.astype(np.float32, copy=False)


def _targets(model: Any, data: Any) -> np.ndarray:
    """The data's targets in the form the model's loss reads (:func:`core.tasks.prepare_targets`), after checking
    that the output, the data and the loss fit together."""
    io = tasks.network_io(model.graph)
    found = tasks.output_problems(io, data, model.loss)
    if found:
        raise NeuroCanvasError(" ".join(found))
    return tasks.prepare_targets(data.y, data, model.loss, io)


def _default_loss(model: Any, data: Any) -> str:
    """The loss :mod:`core.tasks` suggests for the model's output and the data (as the training panel does)."""
    return tasks.suggest_loss(tasks.network_io(model.graph), data.task)


# -- models ------------------------------------------------------------------------------------------------------
def open_model(path: str, compile: bool = True, weights: bool = False) -> Any:
    """A model file (``.h5``, with its weights and training state) or a ``.ncd`` design (fresh weights).

    ``weights``: the command needs trained weights, so a design is refused with what to do instead.
    """
    from core.io import design
    if not str(path).lower().endswith(design.SUFFIX):
        from core.api import load_model
        return load_model(path, compile=compile)
    if weights:
        raise UsageError(f"{path} is a design without trained weights: train it first (neurocanvas train {path} "
                         f"--data ...), then use the {Path(path).with_suffix('.h5').name} that train writes")
    from core.api import Model
    return Model.from_graph(design.read_design(path), name=Path(path).stem)


def trained_path(model: str, out: str | None = None) -> Path:
    """Where train saves: ``out``, else the model file itself (beside a design: its name with ``.h5``)."""
    from core.io import design
    if out:
        return Path(out)
    path = Path(model)
    return path.with_suffix(".h5") if path.suffix.lower() == design.SUFFIX else path


# -- train / evaluate / predict ------------------------------------------------------------------------------------
def _compile(model: Any, data: Any, args: Any) -> None:
    """Keep the file's training settings unless the command line changes them."""
    from core import optimizers
    current = model.optimizer
    if current is None or args.optimizer or args.lr is not None:
        name = args.optimizer or (current.name if current is not None else "adam")
        kwargs = {} if args.lr is None else {"learning_rate": args.lr}
        optimizer = optimizers.get(name, **kwargs)
    else:
        optimizer = current
    loss = args.loss or (model.loss.name if model.loss is not None else _default_loss(model, data))
    metrics = model.compiled.metrics if model.compiled else None
    if not metrics:
        metrics = tasks.suggest_metrics(data.task)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or [], backend=args.backend, seed=args.seed)


def run_train(args: Any) -> dict[str, Any]:
    from core.api import save_model
    from core.progress import ProgressBar
    model = open_model(args.model)
    data = load_data(args.data, parse_params(args.param))
    _compile(model, data, args)
    splits = data.split(validation=args.validation_split, test=0.0, seed=args.seed)
    from core.data import Preprocessing, make_scaler
    if args.scale != "none":
        scaler = make_scaler(args.scale).fit(np.asarray(splits.train.x))
        model.preprocessing = Preprocessing([scaler], class_names=data.class_names)
    elif getattr(model, "preprocessing", None) is None and data.class_names:
        model.preprocessing = Preprocessing([], class_names=data.class_names)  # names for predict's CSV
    train, val = splits.train, splits.validation
    validation = (_prepared(model, val.x), _targets(model, val)) if len(val) else None
    bar = [] if args.quiet else [ProgressBar(1 if sys.stderr.isatty() else 2, file=sys.stderr)]
    previous = getattr(model, "history", None)
    x, y = _prepared(model, train.x), _targets(model, train)
    with _stop_on_interrupt(lambda: model.trainer.stop()) as interrupted:
        history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=bar,
                            validation_data=validation)
    if interrupted:
        history.stop_reason = "interrupted (Ctrl-C)"
    _merge_history(model, previous, history)
    _record_run(model, args, history, first_epoch=len(previous.epoch) if previous is not None else 0)
    out = trained_path(args.model, args.out)
    save_model(model, out)
    if interrupted:
        print(f"neurocanvas train: interrupted: saved the model as trained so far ({len(history.epoch)} of "
              f"{args.epochs} epoch(s)) with its history to {out}", file=sys.stderr)
    final = {k: v[-1] for k, v in history.history.items()}
    return {"model": str(out), "epochs": len(history.epoch), "samples": len(train),
            "validation_samples": len(val), "final": final, "history": history.history,
            "stop_reason": history.stop_reason, "interrupted": bool(interrupted)}


@contextlib.contextmanager
def _stop_on_interrupt(stop: Any) -> Iterator[list[bool]]:
    """While training: the first Ctrl-C (SIGINT) calls ``stop`` (the trainer ends after the current batch) and the
    list it yields becomes true; a second one aborts at once (a KeyboardInterrupt, reported without a traceback).
    Elsewhere than in the main thread signals cannot be caught, and Ctrl-C keeps its usual effect."""
    interrupted: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupted.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the next Ctrl-C aborts
        print("\nneurocanvas train: stopping after this batch and saving (Ctrl-C again to abort without saving)",
              file=sys.stderr, flush=True)
        stop()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _record_run(model: Any, args: Any, history: Any, first_epoch: int) -> None:
    """Keep the run's settings in the model (the application shows them when it opens the file)."""
    import datetime

    from core.data import sample_names
    from core.training import RunRecord, run_settings
    data = ({"sample": args.data, "params": parse_params(args.param)} if args.data in sample_names()
            else {"file": str(Path(args.data).resolve())})
    settings = run_settings(data, loss=model.loss.name, optimizer=model.optimizer, epochs=args.epochs,
                            batch_size=args.batch_size, validation_split=args.validation_split,
                            preprocessing=None if args.scale == "none" else args.scale, seed=args.seed,
                            backend=args.backend)
    outcome = "finished" if history.stop_reason is None else "stopped"
    model.runs = [*getattr(model, "runs", []), RunRecord(settings, first_epoch, len(history.epoch), outcome,
                                                         fresh=first_epoch == 0,
                                                         started=datetime.datetime.now().isoformat(timespec="seconds"))]
    model.settings, model.dataset_info = settings, data


def _merge_history(model: Any, previous: Any, latest: Any) -> None:
    """Continue the file's history instead of replacing it (the CSV export then shows every epoch)."""
    if previous is not None:
        model.history = previous.extended(latest)


def run_evaluate(args: Any) -> dict[str, Any]:
    model = open_model(args.model, weights=True)
    data = load_data(args.data, parse_params(args.param))
    _refuse_non_finite(data.x, "evaluate")
    if model.loss is None:
        model.compile(optimizer="adam", loss=_default_loss(model, data),
                      metrics=tasks.suggest_metrics(data.task))
    logs = model.evaluate(_prepared(model, data.x), _targets(model, data), batch_size=args.batch_size, verbose=0,
                          return_dict=True)
    return {"model": args.model, "data": args.data, "samples": len(data), "metrics": logs}


def run_predict(args: Any) -> dict[str, Any]:
    model = open_model(args.model, compile=False, weights=True)
    x = inputs_of(args.data, parse_params(args.param))
    if not args.allow_nan:
        _refuse_non_finite(x, "predict", allow_flag=True)
    x = _prepared(model, x)
    out = model.predict(x, batch_size=args.batch_size)
    if isinstance(out, list):
        raise UsageError("the model has several outputs: predict writes one; use the Python API for it")
    path = Path(args.out)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        np.save(path, out)
    elif suffix == ".csv":
        _write_predictions_csv(path, model, out)
    else:
        raise UsageError(f"--out {args.out}: the file name must end in .csv or .npy")
    return {"model": args.model, "out": str(path), "rows": int(out.shape[0]), "shape": list(out.shape[1:])}


def _write_predictions_csv(path: Path, model: Any, out: np.ndarray) -> None:
    """One row per sample; for a softmax classifier the predicted class first (empty where the outputs are NaN),
    then one column per class."""
    import csv
    flat = out.reshape(len(out), -1)
    prep = getattr(model, "preprocessing", None)
    names = (prep.class_names if prep is not None else None) or [f"output_{k}" for k in range(flat.shape[1])]
    names = names if len(names) == flat.shape[1] else [f"output_{k}" for k in range(flat.shape[1])]
    net = model.network
    softmax = net.output_activation(0) == "softmax" and flat.shape[1] > 1
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((["predicted"] if softmax else []) + list(names))
        for row in flat:
            head = [names[int(np.argmax(row))] if np.all(np.isfinite(row)) else ""] if softmax else []
            writer.writerow(head + [repr(float(v)) for v in row])


# -- export / summary / samples --------------------------------------------------------------------------------------
def run_export(args: Any) -> dict[str, Any]:
    from core.io.exporters import names
    from core.io.exports import default_path, export
    if args.format not in names():
        raise UsageError(f"--format {args.format}: choose one of {', '.join(names())}")
    model = open_model(args.model)
    out = Path(args.out) if args.out else default_path(args.model, args.format)
    weights = os.path.relpath(os.path.abspath(trained_path(args.model)), os.path.dirname(os.path.abspath(out)))
    export(model, out, args.format, weights_file=weights)
    return {"model": args.model, "format": args.format, "out": str(out), "bytes": out.stat().st_size}


def run_import_weights(args: Any) -> dict[str, Any]:
    """The model file with the weights and history a run elsewhere trained (see ``core.io.torch_weights``)."""
    from core.io.torch_weights import import_weights
    model = Path(args.model)
    out = Path(args.out) if args.out else model.with_name(f"{model.stem}_trained.h5")
    return import_weights(model, args.weights, out)


def run_summary(args: Any) -> dict[str, Any]:
    from core.io.exports import summary_markdown
    from core.io.summary import summary_text
    from core.shapes import infer_shapes
    model = open_model(args.model, compile=False)
    status = infer_shapes(model.graph)
    layers = [{"name": model.graph.layer(i).name, "type": model.graph.layer(i).type_name,
               "output_shape": format_shape(status[i].output_shape), "params": status[i].params,
               "inputs": [model.graph.layer(s).name for s in model.graph.inputs_of(i)]}
              for i in model.graph.topological_order()]
    text = (summary_markdown if args.markdown else summary_text)(model.graph, model.name)
    return {"model": args.model, "name": model.name, "layers": layers, "params": model.count_params(),
            "text": text}


def run_samples(args: Any) -> dict[str, Any]:
    from core.data import list_samples
    return {"samples": list_samples(args.category)}


def samples_table(samples: list[dict[str, Any]]) -> str:
    rows = [("NAME", "TASK", "CATEGORY", "TITLE")] + [(s["name"], s["task"], s["category"], s["title"])
                                                      for s in samples]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3] for r in rows)
