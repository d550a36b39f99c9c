"""Where the shipped sample files live: ``data/`` inside this package, found through ``importlib.resources`` so
it works from a checkout, an installed wheel and a frozen bundle alike (override with the ``NEUROCANVAS_SAMPLES``
environment variable, e.g. to try other copies of the files)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from core.data.errors import DataError


def samples_dir() -> Path:
    env = os.environ.get("NEUROCANVAS_SAMPLES")
    return Path(env) if env else Path(str(resources.files("core.data.samples") / "data"))


def sample_path(name: str) -> Path:
    path = samples_dir() / name
    if not path.is_file():
        raise DataError(f"the sample file {path} is missing: reinstall NeuroCanvas (or restore it from the "
                        "repository's core/data/samples/data/ folder), or point NEUROCANVAS_SAMPLES at a folder "
                        "that has it")
    return path
