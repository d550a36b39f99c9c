"""The ``neurocanvas`` command: the desktop application, or one of the command line's sub-commands.

With no arguments, or one model file, it opens the application (the window and Qt's widgets load only then);
anything else goes to :func:`core.cli.main`, which never imports this package, so ``neurocanvas train`` and the
other sub-commands run without a display. Exit codes are the command line's: 0 success, 1 failure, 2 usage error.

The application also runs this command, as ``neurocanvas --device-backends``, to ask whether the device backends
work here: loading numba's CUDA part holds the interpreter for over a second at a time (ml_dtypes sets up its
types in one call), which would freeze the window from any thread of its own process.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Sequence

from app import device_check
from core import cli

MODEL_SUFFIXES = (".h5", ".hdf5")
DEVICE_BACKENDS = device_check.DEVICE_BACKENDS  # for the application only: prints the device states as JSON


def opens_application(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for the application: nothing, or a single model file."""
    return not argv or (len(argv) == 1 and not argv[0].startswith("-") and argv[0].endswith(MODEL_SUFFIXES))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``neurocanvas`` command with ``argv`` (default: the process's arguments); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == [DEVICE_BACKENDS]:
        if hasattr(os, "nice"):
            os.nice(10)  # background work: on a busy machine the application's GUI thread goes first
        print(json.dumps(device_check.device_backend_states()))
        return 0
    if not opens_application(args):
        return cli.main(args)
    try:
        from app.__main__ import main as application_main
    except ImportError as exc:  # e.g. Qt's libraries missing on a server: the sub-commands still work
        print(f"neurocanvas: the desktop application cannot start: {exc}", file=sys.stderr)
        return 1
    return int(application_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
