"""Where the shipped sample files live: ``samples/`` at the top of the source tree (override with the
``NEUROCANVAS_SAMPLES`` environment variable, e.g. for an installed copy)."""

from __future__ import annotations

import os
from pathlib import Path

from core.data.errors import DataError


def samples_dir() -> Path:
    env = os.environ.get("NEUROCANVAS_SAMPLES")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "samples"


def sample_path(name: str) -> Path:
    path = samples_dir() / name
    if not path.is_file():
        raise DataError(f"the sample file {path} is missing: restore it from the repository's samples/ folder or "
                        "point NEUROCANVAS_SAMPLES at a folder that has it")
    return path
