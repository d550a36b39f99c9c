"""The ``neurocanvas`` command.

With no arguments (or a model file) it opens the application, importing the GUI only then, so headless
subcommands never load Qt. Exit codes: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Sequence

import core


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurocanvas",
        description="Draw, train, watch and export deep neural networks. Without a subcommand, opens the app.")
    parser.add_argument("--version", action="version", version=f"neurocanvas {core.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    summary = sub.add_parser("summary", help="print a model file's layers, shapes and parameter counts")
    summary.add_argument("model", help="a .h5 model file")
    bench = sub.add_parser("bench", help="measure training and inference speed on the standard workloads")
    bench.add_argument("--workload", action="append", metavar="NAME",
                       help="a workload to run (repeatable; default: all): " + ", ".join(_workload_names()))
    bench.add_argument("--backend", default="cpu", choices=("cpu", "cuda"))
    bench.add_argument("--repeat", type=int, default=3, help="measured epochs after the warm-up (default 3)")
    bench.add_argument("--no-first-batch", action="store_true", help="skip the cold/warm first-batch timings")
    bench.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    return parser


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
    if args.repeat < 1:
        print("neurocanvas bench: --repeat must be at least 1", file=sys.stderr)
        return 2
    results = []
    for result in run(names, args.backend, args.repeat, not args.no_first_batch):
        if args.json:
            print(json.dumps(result), flush=True)
        results.append(result)
    if not args.json:
        print(format_table(results))
    return 0


def _open_gui(argv: list[str]) -> int:
    try:  # the GUI package is loaded only here, so headless commands never import Qt
        gui_main = importlib.import_module("app.__main__").main
    except ImportError as exc:
        print(f"neurocanvas: the desktop application cannot start: {exc}", file=sys.stderr)
        return 1
    return int(gui_main(argv) or 0)


def _summary(args: argparse.Namespace) -> int:
    from core.io.h5 import load_model

    model = load_model(args.model)
    model.summary()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (len(argv) == 1 and not argv[0].startswith("-") and argv[0].endswith((".h5", ".hdf5"))):
        return _open_gui(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"summary": _summary, "bench": _bench}
    try:
        return handlers[args.command](args)
    except core.NeuroCanvasError as exc:
        print(f"neurocanvas {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
