"""The ``neurocanvas`` command: the desktop application, or one of the command line's sub-commands.

With no arguments, or one model file, it opens the application (the window and Qt's widgets load only then);
anything else goes to :func:`core.cli.main`, which never imports this package, so ``neurocanvas train`` and the
other sub-commands run without a display. Exit codes are the command line's: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import sys
from typing import Sequence

from core import cli

MODEL_SUFFIXES = (".h5", ".hdf5")


def opens_application(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for the application: nothing, or a single model file."""
    return not argv or (len(argv) == 1 and not argv[0].startswith("-") and argv[0].endswith(MODEL_SUFFIXES))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``neurocanvas`` command with ``argv`` (default: the process's arguments); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
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
