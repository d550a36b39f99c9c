"""Where the folders shipped beside the code live: ``resources/`` (icons, style sheets) and ``samples/`` (sample
data sets) at the top of a checkout, installed as the data packages ``app.resources`` and
``core.data.samples.data`` in a wheel or a bundle (``setup.py`` maps them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def shipped_folder(package: str, checkout_folder: str) -> Path:
    """The folder installed as data package ``package``, else ``checkout_folder`` of the source tree.

    The data packages have no ``__init__.py`` (they are namespace packages), which ``importlib.resources.files``
    handles only from Python 3.12 on; the import spec's search locations work everywhere.
    """
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return CHECKOUT / checkout_folder


def resources_dir() -> Path:
    return shipped_folder("app.resources", "resources")


def samples_dir() -> Path:
    return shipped_folder("core.data.samples.data", "samples")
