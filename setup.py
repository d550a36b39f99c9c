"""The package list, which pyproject.toml cannot express: the code packages ``core`` and ``app``, plus the
repository's top-level ``resources/`` (icons, style sheets) and ``samples/`` (sample data sets) installed as the
data packages ``app.resources`` and ``core.data.samples.data``, where :mod:`core.paths` finds them in a wheel.
Everything else about the distribution is in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

FOLDERS = {"resources": "app.resources", "samples": "core.data.samples.data"}
LEFT_OUT = {"resources/screenshots"}  # for the README and the AppStream metainfo: in the sdist, not the wheel


def data_packages() -> dict[str, str]:
    """``{package: folder}`` for each shipped folder and its subfolders."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in [Path(folder), *sorted(p for p in Path(folder).rglob("*") if p.is_dir())]:
            if path.as_posix() not in LEFT_OUT and "__pycache__" not in path.parts:
                found[".".join([package, *path.relative_to(folder).parts])] = path.as_posix()
    return found


DATA = data_packages()

setup(
    packages=find_packages(include=["core", "core.*", "app", "app.*"]) + list(DATA),
    package_dir=DATA,
    package_data={package: ["*.qss", "*.md", "*.svg", "*.png", "*.csv", "*.npz"] for package in DATA},
    include_package_data=False,
)
