"""The run-specific functions of the PyTorch script (:mod:`core.io.torch_codegen`): ``load_data`` with the
targets in the form the loss reads, ``loss_fn`` as NeuroCanvas computes the loss, ``make_optimizer`` with the
run's options, ``learning_rate`` (the schedule, per batch, as the training panel builds it) and the gradient
clipping the optimiser asks for. Every value comes from :func:`core.io.codegen_training.plan`, checked there.
"""

from __future__ import annotations

from typing import Any

from core.io.codegen_training import Plan, source_literal, start_rate, uses_schedule

EPSILON = "1e-07"
LOSSES = {
    "mean_squared_error": ["return F.mse_loss(output, target)"],
    "mean_absolute_error": ["return F.l1_loss(output, target)"],
    "root_mean_squared_error": ["return torch.sqrt(F.mse_loss(output, target))"],
    "sum_of_squares": ["return 0.5 * (output - target).square().sum() / len(output)"],
    "absolute_error": ["return (output - target).abs().sum() / len(output)"],
    "hinge": ["if bool(((target == 0) | (target == 1)).all()):  # 0/1 targets as -1/1, as Keras reads them",
              "    target = 2 * target - 1", "return torch.clamp(1 - target * output, min=0).mean()"],
    "binary_crossentropy": [f"p = output.clamp({EPSILON}, 1 - {EPSILON})",
                            "return -(target * p.log() + (1 - target) * (1 - p).log()).mean()"],
    "categorical_crossentropy": [f"return -(target * output.clamp({EPSILON}, 1 - {EPSILON}).log()).sum() / len(output)"],
    "sparse_categorical_crossentropy": [f"return F.nll_loss(output.clamp({EPSILON}, 1 - {EPSILON}).log(), target)"],
}
TARGET_LINES = {
    "labels": ['y = y.argmax(-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)',
               'return x, y.astype("int64")'],
    "one_hot": ['if y.ndim == 1 or y.shape[-1] == 1 and OUTPUT_SHAPE[-1] > 1:  # class numbers: one-hot rows',
                '    y = np.eye(OUTPUT_SHAPE[-1], dtype="float32")[y.reshape(-1).astype("int64")]',
                'return x, y.astype("float32")'],
    "binary": ['return x, y.astype("float32").reshape(-1, 1)'],
    "values": ['return x, y.astype("float32").reshape((len(y),) + OUTPUT_SHAPE)'],
}
TORCH_OPTIMIZERS = {  # core name: (torch class, {core option: torch argument})
    "sgd": ("SGD", {"momentum": "momentum", "nesterov": "nesterov"}),
    "adam": ("Adam", {"epsilon": "eps", "amsgrad": "amsgrad"}),
    "adamw": ("AdamW", {"epsilon": "eps", "amsgrad": "amsgrad", "weight_decay": "weight_decay"}),
    "adamax": ("Adamax", {"epsilon": "eps"}),
    "nadam": ("NAdam", {"epsilon": "eps"}),
    "rmsprop": ("RMSprop", {"rho": "alpha", "momentum": "momentum", "epsilon": "eps", "centered": "centered"}),
    "adagrad": ("Adagrad", {"initial_accumulator_value": "initial_accumulator_value", "epsilon": "eps"}),
    "adadelta": ("Adadelta", {"rho": "rho", "epsilon": "eps"}),
}
I4 = "    "


def targets_kind(run: Plan) -> str:
    from core import losses
    return losses.get(run.loss).targets


def data_text(run: Plan) -> str:
    lines = ["def load_data(path=None):",
             f'{I4}"""Inputs and targets from ``path`` (default: DATA): an .npz file with arrays x and y, or a .csv',
             f"{I4}file of numbers with a header line, its last column the target; the targets in the form the loss",
             f'{I4}reads ({targets_kind(run)})."""', f"{I4}path = DATA if path is None else path",
             f"{I4}if path is None:", f'{I4 * 2}raise SystemExit("give the data file: --train DATA.npz")',
             f'{I4}if str(path).endswith(".npz"):', f"{I4 * 2}with np.load(path) as data:",
             f'{I4 * 3}x, y = data["x"], data["y"]', f"{I4}else:",
             f'{I4 * 2}table = np.loadtxt(path, delimiter=",", skiprows=1, dtype="float32", ndmin=2)',
             f"{I4 * 2}x, y = table[:, :-1], table[:, -1]", f'{I4}x = np.ascontiguousarray(x, dtype="float32")']
    lines += [I4 + line for line in TARGET_LINES[targets_kind(run)]]
    return "\n".join([f"TARGETS = {source_literal(targets_kind(run))}", "", ""] + lines)


def loss_text(run: Plan) -> str:
    body = LOSSES[run.loss]
    return "\n".join(["def loss_fn(output, target):",
                      f'{I4}"""{run.loss}, as NeuroCanvas computes it, on the network\'s output."""',
                      *[I4 + line for line in body]])


def optimizer_text(run: Plan) -> str:
    config = run.optimizer.get_config()
    name = run.optimizer.name
    torch_class, options = TORCH_OPTIMIZERS[name]
    args = ["parameters", "lr=RATE"]
    if "beta_1" in config:
        args.append(f"betas=({float(config['beta_1'])!r}, {float(config['beta_2'])!r})")
    for option, argument in options.items():
        value = config.get(option)
        if value is not None:
            args.append(f"{argument}={source_literal(value)}")
    notes = []
    if config.get("weight_decay") and name != "adamw":
        args.append(f"weight_decay={source_literal(config['weight_decay'])}")
        notes.append(f"{I4}# PyTorch adds the weight decay to the gradient; Keras subtracts rate * decay * weight")
    lines = [f"RATE = {source_literal(start_rate(run))}", "", "",
             "def make_optimizer(parameters):", f'{I4}"""{name} with the run\'s options."""', *notes,
             f"{I4}return torch.optim.{torch_class}({', '.join(args)})", "", "",
             *_schedule(run), "", "", *_clipping(config)]
    return "\n".join(lines)


def _schedule(run: Plan) -> list[str]:
    """``learning_rate(step, steps, epochs)``: the rate at a batch, as the training panel builds the schedule."""
    formula = {"constant": "RATE",
               "ExponentialDecay": "RATE * 0.9 ** (step / steps)",
               "InverseTimeDecay": "RATE / (1.0 + 0.5 * step / steps)",
               "CosineDecay": "RATE * 0.5 * (1.0 + math.cos(math.pi * min(step, steps * epochs) / (steps * epochs)))",
               "StepDecay": "RATE * 0.5 ** ((step // steps) // max(1, epochs // 3))"}
    schedule = run.schedule if uses_schedule(run, keras=False) else "constant"
    return ["def learning_rate(step, steps, epochs):",
            f'{I4}"""The rate at batch ``step`` ({schedule}), ``steps`` batches an epoch."""',
            f"{I4}return {formula[schedule]}"]


def _clipping(config: dict[str, Any]) -> list[str]:
    lines = ["def clip_gradients(model):", f'{I4}"""The optimiser\'s gradient clipping, as Keras applies it."""']
    if config.get("clipvalue") is not None:
        lines.append(f"{I4}torch.nn.utils.clip_grad_value_(model.parameters(), {source_literal(config['clipvalue'])})")
    if config.get("clipnorm") is not None:
        lines += [f"{I4}for p in model.parameters():  # each weight's own norm",
                  f"{I4 * 2}torch.nn.utils.clip_grad_norm_([p], {source_literal(config['clipnorm'])})"]
    if config.get("global_clipnorm") is not None:
        lines.append(f"{I4}torch.nn.utils.clip_grad_norm_(model.parameters(), "
                     f"{source_literal(config['global_clipnorm'])})")
    return lines if len(lines) > 2 else lines + [f"{I4}return None"]
