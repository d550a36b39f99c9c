"""Entry point of the standalone bundle: the same ``core.cli.main`` as the installed ``neurocanvas`` command."""

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main())
