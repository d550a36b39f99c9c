"""The PyTorch script of a design: :func:`torch_script`.

The script is what a PyTorch user would write by hand: an ``nn.Module`` with one line per layer in ``__init__``
(attributes named after the design's layers) and a ``forward`` that follows the graph, merges and skip
connections included, on channels-last inputs as NeuroCanvas's. It reads the trained weights from the model's
``.h5`` file with h5py (the product never imports torch), can save them as a ``state_dict``, and trains with the
run's loss, optimiser, schedule and data, alone or under ``torchrun`` with DistributedDataParallel. At the end
rank 0 writes the weights (in Keras's layout) and the run's history to an ``.npz`` file that
:func:`core.io.torch_weights.import_weights` puts back into a copy of the model with NeuroCanvas's own writer.
The layers are translated by :mod:`core.io.torch_layers`; the fixed text is :mod:`core.io.torch_text`.
"""

from __future__ import annotations

from typing import Any

from core import tasks
from core.errors import NeuroCanvasError
from core.io import torch_layers, torch_text, torch_training
from core.io.codegen import INDENT, CodegenError, identifier, literal
from core.io.codegen_training import Plan, plan, recorded_settings, source_literal
from core.version import __version__

RESERVED = {"self", "x", "torch", "nn", "F", "np", "math", "training", "forward", "train", "eval", "to", "cuda",
            "cpu", "float", "double", "half", "type", "apply", "modules", "children", "parameters", "buffers",
            "state_dict", "load_state_dict", "zero_grad", "penalty", "extra_repr", "register_buffer"}
PENALISED = {"linear": {"kernel": "weight", "bias": "bias"}, "conv": {"kernel": "weight", "bias": "bias"},
             "conv_transpose": {"kernel": "weight", "bias": "bias"},
             "lstm": {"kernel": "weight_ih_l0", "recurrent": "weight_hh_l0", "bias": "bias_ih_l0"},
             "gru": {"kernel": "weight_ih_l0", "recurrent": "weight_hh_l0", "bias": "bias_ih_l0"},
             "rnn": {"kernel": "weight_ih_l0", "recurrent": "weight_hh_l0", "bias": "bias_ih_l0"},
             "keras": {"kernel": "kernel", "recurrent": "recurrent_kernel", "bias": "bias"},
             "batch_norm": {"gamma": "weight", "beta": "bias"}, "layer_norm": {"gamma": "weight", "beta": "bias"}}


class TorchExportError(CodegenError):
    """The design has a layer the PyTorch script cannot express."""


def check_torch(network: Any) -> None:
    """Raise a :class:`TorchExportError` naming every layer the script cannot express."""
    problems = torch_layers.problems_of(network)
    if problems:
        raise TorchExportError("this design cannot be written as a PyTorch script:\n" +
                               "\n".join(f"- {p}" for p in problems))


def torch_script(model: Any, weights_file: str = "model.h5") -> str:
    """The PyTorch script of ``model`` (a :class:`core.api.Model`), loading ``weights_file`` from its folder.

    Raises:
        TorchExportError: a layer has no PyTorch form here (all such layers are named).
    """
    network = model.network
    check_torch(network)
    pieces = {i: torch_layers.TRANSLATORS[network.layers[i].type_name](
        network.layers[i], network.input_shapes[i], network.output_shapes[i])
        for i in network.order if network.layers[i].type_name != "InputLayer"}
    attributes = _attributes(network, pieces)
    run = _plan(model)
    parts = [_header(model, run, weights_file) + "\n\n" + _constants(model, run, weights_file, network),
             *_helpers(pieces), _net(network, pieces, attributes), _weights_table(network, pieces, attributes),
             _converters(pieces), torch_training.data_text(run), torch_training.loss_text(run),
             torch_training.optimizer_text(run), torch_text.TRAINING]
    return "\n\n\n".join(part for part in parts if part) + "\n"


def _attributes(network: Any, pieces: dict) -> dict[str, str]:
    taken = set(RESERVED)
    return {i: identifier(network.layers[i].name, taken) for i in network.order if i in pieces and
            pieces[i].module is not None}


# -- the run ---------------------------------------------------------------------------------------------------------
def _plan(model: Any) -> Plan:
    """The run's checked settings (see :func:`core.io.codegen_training.plan`), else the model's compile spec."""
    from core import optimizers
    compiled = model.compiled
    if compiled is not None:
        loss, optimizer = compiled.loss.name, compiled.optimizer
    else:
        try:
            loss = tasks.suggest_loss(tasks.network_io(model.graph))
        except NeuroCanvasError:
            loss = tasks.REGRESSION_DEFAULT
        optimizer = optimizers.get("adam")
    return plan(model, {"loss": loss, "optimizer": optimizer, "epochs": 10, "batch_size": 32})


def _metrics(model: Any) -> list[str]:
    compiled = model.compiled
    names = [m if isinstance(m, str) else getattr(m, "name", str(m)) for m in (compiled.metrics if compiled else [])]
    return ["accuracy"] if any(n in ("accuracy", "acc") for n in names) else []


def _plain(text: str) -> str:
    """``text`` safe inside the script's docstring: printable, no backslash or double quote."""
    return "".join(c if c.isprintable() and c not in '\\"' else "_" for c in str(text))


def _header(model: Any, run: Plan, weights_file: str) -> str:
    weights_file = _plain(weights_file)
    stem = weights_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    lines = [f'"""The design "{_plain(model.name)}" in PyTorch.', "",
             f"Generated by NeuroCanvas {__version__}. Needs PyTorch, NumPy and h5py (not NeuroCanvas). It reads the",
             f"trained weights from {weights_file} beside it, in channels-last layout as NeuroCanvas and Keras keep",
             "them, and takes channels-last inputs (batch, height, width, channels).", "",
             *_usage(stem), "",
             "DATA is an .npz file with arrays x and y, or a .csv file of numbers with a header line whose last",
             "column is the target. Under torchrun each process trains on its share (DistributedSampler, gloo on",
             "the CPU, nccl on GPUs), the batch size is the whole step's, rank 0 saves a checkpoint after each",
             "epoch (--resume continues from it) and at the end writes the weights and the history to",
             f"{stem}_torch_trained.npz. Put them back into a copy of the model with NeuroCanvas:", "",
             f"    neurocanvas import-weights {weights_file} {stem}_torch_trained.npz --out {stem}_trained.h5"]
    data = run.data or {}
    if "sample" in data:
        params = ", ".join(f"{k}={source_literal(v)}" for k, v in data["params"].items())
        lines += ["", f"The design was trained on NeuroCanvas's sample {data['sample']!r}; write it to"
                  f" {data['sample']}.npz once with:", "",
                  f'    python -c "import numpy as np; from core.data import load_sample; '
                  f"d = load_sample({data['sample']!r}{', ' + params if params else ''}); "
                  f"np.savez('{data['sample']}.npz', x=d.x, y=d.y)\""]
    return "\n".join(lines + ['"""'])


def _usage(stem: str) -> list[str]:
    rows = [("", "print the network"), ("--predict in.npz out.npz", "outputs y0, ... for inputs x (or x0, x1, ...)"),
            (f"--save-state-dict {stem}_torch.pt", "the .h5 weights as a state_dict"),
            ("--train [DATA]", "train as the design's last run did")]
    width = max(len(r[0]) for r in rows)
    return [f"    python {stem}_torch.py {args.ljust(width)}  # {what}" for args, what in rows] + [
        f"    torchrun --standalone --nproc_per_node 4 {stem}_torch.py --train [DATA]"]


def _constants(model: Any, run: Plan, weights_file: str, network: Any) -> str:
    stem = weights_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    data = run.data or {}
    if "sample" in data:
        data_line = f"DATA = os.path.join(HERE, {literal(data['sample'] + '.npz')})"
    elif "file" in data:
        data_line = f"DATA = {source_literal(data['file'])}"
    else:
        data_line = "DATA = None  # give the data file as the argument of --train"
    output = network.output_shapes[network.output_ids[0]]
    settings = recorded_settings(model) or {}
    kept = {k: settings[k] for k in ("data", "loss", "optimizer", "schedule", "seed") if k in settings}
    try:
        kept_text = "{" + "".join(f"\n{INDENT}{literal(k)}: {source_literal(v)}," for k, v in kept.items()) + \
            ("\n}" if kept else "}")
    except ValueError:
        kept_text = "{}"
    lines = ["import argparse", "import json", "import math", "import os", "", "import h5py", "import numpy as np",
             "import torch", "import torch.distributed as dist", "import torch.nn.functional as F", "from torch import nn",
             "from torch.nn.parallel import DistributedDataParallel as DDP",
             "from torch.utils.data import DataLoader, DistributedSampler, TensorDataset", "",
             "HERE = os.path.dirname(os.path.abspath(__file__))",
             f"WEIGHTS = os.path.join(HERE, {literal(weights_file)})",
             f"TRAINED = os.path.join(HERE, {literal(stem + '_torch_trained.npz')})",
             f"CHECKPOINT = os.path.join(HERE, {literal(stem + '_torch_checkpoint.pt')})", data_line,
             f"MODEL_NAME = {literal(model.name)}",
             f"EPOCHS, BATCH_SIZE, VALIDATION_SPLIT = {run.epochs}, {run.batch_size}, {run.validation_split!r}",
             f"SEED = {run.seed or 0}", f"METRICS = {literal(_metrics(model))}",
             f"OUTPUT_SHAPE = {literal(tuple(int(n) for n in output))}",
             f"TRAINABLE = {len(network.input_ids) == 1 and len(network.output_ids) == 1}  # one input, one output",
             f"RUN_SETTINGS = {kept_text}"]
    return "\n".join(lines)


def _helpers(pieces: dict) -> list[str]:
    wanted = set().union(*(p.helpers for p in pieces.values())) if pieces else set()
    return [text for name, text in torch_text.HELPERS.items() if name in wanted]


# -- the module --------------------------------------------------------------------------------------------------
def _net(network: Any, pieces: dict, attributes: dict[str, str]) -> str:
    lines = ["class Net(nn.Module):", f'{INDENT}"""The design\'s layers; inputs and outputs channels-last."""', "",
             f"{INDENT}def __init__(self):", f"{INDENT * 2}super().__init__()"]
    for layer_id, attribute in attributes.items():
        piece = pieces[layer_id]
        note = f"  # {piece.comment}" if piece.comment else ""
        lines.append(f"{INDENT * 2}self.{attribute} = {piece.module}{note}")
    lines += ["", *_forward(network, pieces, attributes), "", *_penalty(network, pieces, attributes)]
    return "\n".join(lines)


def _forward(network: Any, pieces: dict, attributes: dict[str, str]) -> list[str]:
    chain = len(network.input_ids) == 1 and len(network.output_ids) == 1 and all(
        len(network.sources[i]) == 1 and network.sources[i][0] == network.order[k]
        for k, i in enumerate(network.order[1:]))
    taken = set(RESERVED) - {"x"}
    var = {i: "x" if chain else identifier(network.layers[i].name, taken) for i in network.order}
    lines = [f"{INDENT}def forward(self, {', '.join(var[i] for i in network.input_ids)}):"]
    for layer_id in network.order:
        if layer_id not in pieces:
            continue
        piece, sources = pieces[layer_id], [var[s] for s in network.sources[layer_id]]
        module = f"self.{attributes[layer_id]}" if layer_id in attributes else ""
        text = piece.forward.replace("{m}", module).replace("{x}", sources[0])
        for k, name in enumerate(sources):
            text = text.replace(f"{{xs[{k}]}}", name)
        note = f"  # {piece.comment}" if piece.comment and layer_id not in attributes else ""
        if text != var[layer_id] or note:
            lines.append(f"{INDENT * 2}{var[layer_id]} = {text}{note}")
    outs = [var[i] for i in network.output_ids]
    return lines + [f"{INDENT * 2}return {outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'}"]


def _penalty(network: Any, pieces: dict, attributes: dict[str, str]) -> list[str]:
    """``penalty()``: the layers' L1/L2 regularisers, added to the loss in training as NeuroCanvas adds them."""
    terms = []
    for layer_id, attribute in attributes.items():
        piece, config = pieces[layer_id], network.layers[layer_id].config
        if piece.weights is None:
            continue
        names = PENALISED.get(piece.weights[0], {})
        for key, torch_name in names.items():
            reg = config.get(f"{key}_regularizer")
            if isinstance(reg, dict) and (reg.get("l1") or reg.get("l2")):
                w = f"self.{attribute}.{torch_name}"
                l1, l2 = float(reg.get("l1") or 0.0), float(reg.get("l2") or 0.0)
                terms += ([f"{l1!r} * {w}.abs().sum()"] if l1 else []) + ([f"{l2!r} * {w}.square().sum()"] if l2 else [])
    body = " + ".join(terms) if terms else "0.0"
    return [f"{INDENT}def penalty(self):", f'{INDENT * 2}"""The layers\' weight regularisers (L1, L2)."""',
            f"{INDENT * 2}return {body}"]


def _weights_table(network: Any, pieces: dict, attributes: dict[str, str]) -> str:
    rows = []
    for layer_id, attribute in attributes.items():
        weights = pieces[layer_id].weights
        if weights is not None:
            rows.append(f"{INDENT}{literal(network.layers[layer_id].name)}: ({literal(attribute)}, "
                        f"{literal(weights[0])}, {literal(tuple(weights[1]))}),")
    return "\n".join(["# Keras layer name: (attribute of Net, kind of weights, Keras weight names in file order)",
                      "KERAS_WEIGHTS = {", *rows, "}"])


def _converters(pieces: dict) -> str:
    kinds = {p.weights[0] for p in pieces.values() if p.weights is not None}
    from_keras = [torch_text.FROM_KERAS[k] for k in torch_text.FROM_KERAS if k in kinds or k == "lstm" and "rnn" in kinds]
    covered = {torch_text.ALIASES.get(k, k) for k in kinds}
    to_keras = [torch_text.TO_KERAS[k] for k in torch_text.TO_KERAS if k in covered]
    text = torch_text.WEIGHTS_IO.replace("@FROM@", "\n".join(from_keras)).replace("@TO@", "\n".join(to_keras))
    return (torch_text.GRU_ORDER + "\n\n\n" + text) if "gru" in kinds else text
