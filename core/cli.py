"""The command line's sub-commands (``train``, ``evaluate``, ``predict``, ``export``, ``summary``, ``samples``,
``bench``): ``python -m core.cli COMMAND ...``, or the ``neurocanvas`` command, whose launcher
(:mod:`app.launcher`) opens the application when no sub-command is given and hands everything else here.

GUI-free like the rest of ``core``: nothing here imports the application. Exit codes: 0 success, 1 failure,
2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Sequence

import core


# The ranges of the numbers the command line takes: those of the training panel's fields, so that the settings a
# run stores in its file read back there.
MAX_EPOCHS = 100_000
MAX_BATCH_SIZE = 1_000_000
MAX_SEED = 2**31 - 1
MAX_REPEAT = 1_000

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

EPILOG = ("Exit codes: 0 success, 1 failure (a message on stderr says why), 2 usage error, 130 interrupted "
          "(Ctrl-C; train saves what it trained first). "
          "Run `neurocanvas COMMAND --help` for a command's options.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurocanvas", epilog=EPILOG,
        description="Draw, train, watch and export deep neural networks. Without a command, opens the app "
                    "(with a .h5 file, opens that file).")
    parser.add_argument("--version", action="version", version=f"neurocanvas {core.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_evaluate(sub)
    _add_predict(sub)
    _add_export(sub)
    summary = _command(sub, "summary", "print a model file's layers, shapes and parameter counts")
    summary.add_argument("--markdown", action="store_true", help="a Markdown table instead of Keras's text table")
    imported = _command(sub, "import-weights", "put the weights and history of a run trained elsewhere (the PyTorch "
                        "export's MODEL_torch_trained.npz) back into a copy of the model file")
    imported.add_argument("weights", metavar="TRAINED.npz", help="the .npz the exported PyTorch script wrote")
    imported.add_argument("--out", metavar="TRAINED.h5", help="where to write the model with those weights "
                          "(default: MODEL_trained.h5 beside the model)")
    samples = sub.add_parser("samples", help="list the sample data sets usable with --data", epilog=EPILOG)
    samples.add_argument("--category", help="only this category (e.g. '2-D classification')")
    samples.add_argument("--json", action="store_true", help="every sample's description and parameters as JSON")
    _add_bench(sub)
    return parser


def _command(sub: Any, name: str, text: str, json_help: str = "print the result as one JSON object") -> Any:
    cmd = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".", epilog=EPILOG)
    cmd.add_argument("model", metavar="MODEL.h5", help="a model file (.h5) saved by NeuroCanvas or Keras, or a "
                     "NeuroCanvas design (.ncd: fresh weights; train writes MODEL.h5 beside it)")
    cmd.add_argument("--json", action="store_true", help=json_help)
    return cmd


def _add_data(cmd: Any, what: str = "the data") -> None:
    cmd.add_argument("--data", required=True, metavar="SAMPLE|FILE",
                     help=f"{what}: a sample name (see `neurocanvas samples`), or a data file: .csv (target last), "
                          ".npz (x, y), .npy (x.npy beside y.npy), .h5 (datasets x, y), MNIST IDX or a folder of "
                          "images with one subfolder per class")
    cmd.add_argument("--param", action="append", metavar="KEY=VALUE",
                     help="a parameter of the sample data set (repeatable), e.g. --param n=1000")
    cmd.add_argument("--batch-size", type=_int_in(1, MAX_BATCH_SIZE), default=32,
                     help=f"samples per batch, 1 to {MAX_BATCH_SIZE:,} (default 32)")


def _add_train(sub: Any) -> None:
    cmd = _command(sub, "train", "train a model file on a sample data set or a data file",
                   "print the final metrics and the history as one JSON object (progress still goes to stderr)")
    _add_data(cmd, "the training data")
    cmd.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=10,
                     help=f"epochs to train, 1 to {MAX_EPOCHS:,} (default 10)")
    cmd.add_argument("--optimizer", help="optimiser by Keras name (adam, sgd, rmsprop, ...); default: the file's, "
                                         "else adam")
    cmd.add_argument("--lr", type=_positive_float, help="learning rate, a finite number > 0 (default: the file's, "
                                                        "else the optimiser's default)")
    cmd.add_argument("--loss", help="loss by Keras name; default: the file's, else chosen from the data and the "
                                    "output layer")
    _add_backend(cmd, oracles=True)
    cmd.add_argument("--seed", type=_int_in(0, MAX_SEED), default=0,
                     help=f"seed of the split, weights and shuffling, 0 to {MAX_SEED} (default 0)")
    cmd.add_argument("--validation-split", type=_fraction, default=0.1, metavar="FRACTION",
                     help="fraction of the data held out for validation, at least 0 and below 1 (default 0.1; "
                          "0 for none)")
    cmd.add_argument("--scale", choices=("none", "standard", "minmax"), default="none",
                     help="fit input scaling on the training split and store it in the model file")
    cmd.add_argument("--out", metavar="TRAINED.h5", help="where to save the trained model (default: MODEL.h5 "
                                                         "itself, history appended)")
    cmd.add_argument("--quiet", action="store_true", help="no progress output")


def _add_backend(cmd: Any, oracles: bool) -> None:
    """``--backend`` with the backends' own names and labels (the reference oracle only where ``oracles``)."""
    from core.kernels import backends
    offered = [b for b in backends() if oracles or not b.oracle]
    cmd.add_argument("--backend", default="cpu", choices=[b.name for b in offered],
                     help="kernels to run on: " + "; ".join(f"{b.name}: {b.label}" for b in offered))


def _add_evaluate(sub: Any) -> None:
    cmd = _command(sub, "evaluate", "compute a model file's loss and metrics on data")
    _add_data(cmd)


def _add_predict(sub: Any) -> None:
    cmd = _command(sub, "predict", "write a model file's predictions for data to CSV or NPY")
    _add_data(cmd, "the inputs: a .npy array of samples, or anything train accepts (its targets are ignored)")
    cmd.add_argument("--out", required=True, metavar="PRED.csv|PRED.npy",
                     help="output file: .csv (a row per sample, the predicted class first for classifiers) or .npy")
    cmd.add_argument("--allow-nan", action="store_true",
                     help="predict for inputs with NaN or infinite values too (their outputs are NaN); without it "
                          "such inputs are refused, naming the first bad row")


def _add_export(sub: Any) -> None:
    from core.io.exporters import exporters
    cmd = _command(sub, "export", "export a model file to another format")
    cmd.add_argument("--format", required=True, choices=[e.name for e in exporters()], metavar="FORMAT",
                     help="; ".join(f"{e.name}: {e.description}" for e in exporters()))
    cmd.add_argument("--out", metavar="PATH", help="output file (default: beside MODEL.h5, named after it)")


def _add_bench(sub: Any) -> None:
    bench = sub.add_parser("bench", help="measure training and inference speed on the standard workloads")
    bench.add_argument("--workload", action="append", metavar="NAME",
                       help="a workload to run (repeatable; default: all): " + ", ".join(_workload_names()))
    _add_backend(bench, oracles=False)
    bench.add_argument("--repeat", type=_int_in(1, MAX_REPEAT), default=3,
                       help=f"measured epochs after the warm-up, 1 to {MAX_REPEAT} (default 3)")
    bench.add_argument("--no-first-batch", action="store_true", help="skip the cold/warm first-batch timings")
    bench.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")


def _int_in(low: int, high: int) -> Any:
    """An argparse type: a whole number from ``low`` to ``high``, else a usage error that gives the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value
    return parse


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def _workload_names() -> list[str]:
    from core.bench import WORKLOADS
    return list(WORKLOADS)


def _bench(args: argparse.Namespace) -> int:
    from core.bench import WORKLOADS, format_table, run

    names = args.workload or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"neurocanvas bench: unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}",
              file=sys.stderr)
        return 2
    results = []
    for result in run(names, args.backend, args.repeat, not args.no_first_batch):
        if args.json:
            print(json.dumps(result), flush=True)
        results.append(result)
    if not args.json:
        print(format_table(results))
    return 0


def _print_result(command: str, result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: v for k, v in result.items() if k != "text"}, default=_plain))
        return
    if command == "summary":
        print(result["text"])
    elif command == "samples":
        from core.commands import samples_table
        print(samples_table(result["samples"]))
    elif command == "train":
        final = " - ".join(f"{k}: {v:.4f}" for k, v in result["final"].items())
        print(f"trained {result['epochs']} epoch(s) on {result['samples']} samples: {final}")
        print(f"saved {result['model']}")
    elif command == "evaluate":
        print(" - ".join(f"{k}: {v:.4f}" for k, v in result["metrics"].items()))
    elif command == "predict":
        print(f"wrote {result['rows']} predictions to {result['out']}")
    elif command == "import-weights":
        print(f"wrote {result['out']} ({result['weights']} weight arrays, {result['epochs']} epoch(s) of history)")
    elif command == "export":
        print(f"wrote {result['out']} ({result['format']}, {result['bytes']:,} bytes)")


def _plain(value: Any) -> Any:
    """NumPy numbers in results as plain JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def _run(args: argparse.Namespace) -> int:
    from core import commands
    runner = getattr(commands, f"run_{args.command.replace('-', '_')}")
    result = runner(args)
    _print_result(args.command, result, getattr(args, "json", False))
    return EXIT_INTERRUPTED if result.get("interrupted") else 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # Ctrl-C: the user knows why; a traceback would only hide the message
        print("\nneurocanvas: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("neurocanvas: give a command (the neurocanvas command opens the app without one); see "
              "neurocanvas --help", file=sys.stderr)
        return 2
    handler = _bench if args.command == "bench" else _run
    try:
        return handler(args)
    except core.NeuroCanvasError as exc:
        from core.commands import UsageError
        print(f"neurocanvas {args.command}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print(f"\nneurocanvas {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not our failure to report
        sys.stdout = open(os.devnull, "w")
        return 1
    except OSError as exc:
        print(f"neurocanvas {args.command}: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
