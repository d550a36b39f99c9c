"""The ``neurocanvas`` command.

With no arguments (or a model file) it opens the application, importing the GUI only then, so headless
subcommands never load Qt. Exit codes: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
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
    return parser


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
    handlers = {"summary": _summary}
    try:
        return handlers[args.command](args)
    except core.NeuroCanvasError as exc:
        print(f"neurocanvas {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
