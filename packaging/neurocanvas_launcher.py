"""Entry point of the standalone bundle: the same ``app.launcher.main`` as the installed ``neurocanvas`` command."""

import sys

from app.launcher import main

if __name__ == "__main__":
    sys.exit(main())
