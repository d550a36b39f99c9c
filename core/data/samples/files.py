"""Where the shipped sample files live: ``samples/`` of a checkout, or the data package an installed wheel or a
frozen bundle carries them in (see :mod:`core.paths`); override with the ``NEUROCANVAS_SAMPLES`` environment
variable, e.g. to try other copies of the files)."""

from __future__ import annotations

import os
from pathlib import Path

from core import paths
from core.data.errors import DataError


def samples_dir() -> Path:
    env = os.environ.get("NEUROCANVAS_SAMPLES")
    return Path(env) if env else paths.samples_dir()


def sample_path(name: str) -> Path:
    path = samples_dir() / name
    if not path.is_file():
        raise DataError(f"the sample file {path} is missing: reinstall NeuroCanvas (or restore it from the "
                        "repository's samples/ folder), or point NEUROCANVAS_SAMPLES at a folder "
                        "that has it")
    return path
