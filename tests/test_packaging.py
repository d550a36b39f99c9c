"""Packaging: the desktop files validate and agree with each other, the icon PNGs match their SVG, the style
follows the colour scheme, and the wheel installed in a fresh venv runs the CLI and the GUI with no checkout.

The wheel test builds the sdist and the wheel (``python -m build``), installs the wheel into a new venv from a local
wheelhouse (``build/wheelhouse``, or ``$NEUROCANVAS_WHEELHOUSE``; filled from the package index the first time,
offline after that), then runs everything from a temporary folder. It takes one to three minutes.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "org.neurocanvas.NeuroCanvas"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
MIME_XML = PACKAGING / f"{APP_ID}.xml"
ICON_DIR = ROOT / "resources" / "icons" / "app"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _run_tool(*cmd: str) -> subprocess.CompletedProcess:
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed (Debian: apt-get install desktop-file-utils appstream; .ci/run "
                    "installs them)")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_desktop_entry_validates_and_names_the_installed_command_icon_and_mime_type():
    done = _run_tool("desktop-file-validate", str(DESKTOP))
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    entry = _desktop_entry()
    assert entry["Exec"].split()[0] in PROJECT["scripts"]
    assert entry["Icon"] == APP_ID and (ICON_DIR / f"{APP_ID}.svg").is_file()
    mime_type = ET.parse(MIME_XML).getroot().find(f"{MIME_NS}mime-type").get("type")
    assert mime_type in entry["MimeType"].split(";")


def test_metainfo_validates_and_matches_the_desktop_entry_version_and_screenshots():
    done = _run_tool("appstreamcli", "validate", "--no-net", str(METAINFO))
    assert done.returncode == 0, done.stdout + done.stderr
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID and root.findtext("launchable") == DESKTOP.name
    assert root.find("releases/release").get("version") == PROJECT["version"]
    assert root.findtext("provides/binary") in PROJECT["scripts"]
    images = root.findall("screenshots/screenshot/image")
    assert len(images) >= 2
    for image in images:
        local = ROOT / image.text.split("/main/", 1)[1]  # the URL names the file's place in the repository
        assert local.is_file(), f"{image.text} names {local}, which is missing"
        assert _png_size(local) == (int(image.get("width")), int(image.get("height")))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


MIME_PROBE = """
import json, sys
from PySide6.QtCore import QCoreApplication, QMimeDatabase
app = QCoreApplication([])
db = QMimeDatabase()
kind = db.mimeTypeForName(sys.argv[1])
print(json.dumps({"valid": kind.isValid(), "parents": kind.parentMimeTypes(),
                  "files": {f: db.mimeTypeForFile(f).name() for f in sys.argv[2:]}}))
"""


def test_mime_type_claims_keras_models_but_not_other_hdf5_files(tmp_path):
    """Qt's MIME database (the shared-mime-info rules) reads our package: Keras and NeuroCanvas files get the type,
    a plain HDF5 file keeps the generic one."""
    import h5py

    from core import Dense, Sequential
    from core.api import save_model

    model = Sequential()
    model.add(Dense(3, input_dim=4))
    model.compile(loss="mse", optimizer="sgd")
    ours, plain = tmp_path / "ours.h5", tmp_path / "plain.h5"
    save_model(model, str(ours))
    with h5py.File(plain, "w") as f:
        f["x"] = [1.0, 2.0]
    keras = sorted((ROOT / "tests" / "fixtures").glob("keras*.h5"))
    (tmp_path / "data" / "mime" / "packages").mkdir(parents=True)
    shutil.copy(MIME_XML, tmp_path / "data" / "mime" / "packages")
    env = dict(os.environ, XDG_DATA_DIRS=str(tmp_path / "data"), XDG_DATA_HOME=str(tmp_path / "none"))
    kind = ET.parse(MIME_XML).getroot().find(f"{MIME_NS}mime-type").get("type")
    done = subprocess.run([sys.executable, "-c", MIME_PROBE, kind, str(ours), str(plain), *map(str, keras)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["valid"] and result["parents"] == ["application/x-hdf"]
    assert result["files"].pop(str(plain)) == "application/x-hdf"
    assert keras and set(result["files"].values()) == {kind}


def test_mime_package_is_accepted_by_update_mime_database(tmp_path):
    if shutil.which("update-mime-database") is None:
        pytest.skip("update-mime-database is not installed (Debian: apt-get install shared-mime-info)")
    (tmp_path / "mime" / "packages").mkdir(parents=True)
    shutil.copy(MIME_XML, tmp_path / "mime" / "packages")
    done = subprocess.run(["update-mime-database", str(tmp_path / "mime")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "error" not in done.stderr.lower(), done.stderr
    assert "application/x-keras-model" in (tmp_path / "mime" / "types").read_text()


def test_icon_pngs_are_the_svg_rendered_at_every_size(qapp):
    sys.path.insert(0, str(PACKAGING))
    try:
        import render_icons
    finally:
        sys.path.remove(str(PACKAGING))
    from PySide6.QtGui import QImage

    assert render_icons.SIZES[0] == 16 and render_icons.SIZES[-1] == 512
    for size in render_icons.SIZES:
        committed = QImage(str(ICON_DIR / f"{size}.png")).convertToFormat(QImage.Format_ARGB32)
        assert (committed.width(), committed.height()) == (size, size)
        fresh = render_icons.render(size)
        pairs = list(zip(bytes(committed.constBits()), bytes(fresh.constBits())))
        mean = sum(abs(a - b) for a, b in pairs) / len(pairs)  # tolerant of anti-aliasing changes between Qt versions
        assert mean <= 1.5, f"{size}.png differs from the SVG (mean {mean:.1f}/255): run packaging/render_icons.py"
        assert committed.pixelColor(size // 2, size // 2).alpha() == 255  # an opaque tile, not a blank image


def test_style_sheet_follows_the_colour_scheme(qapp):
    from PySide6.QtCore import Qt

    from app.__main__ import DARK_STYLE_SHEET, STYLE_SHEET, create_application

    app = create_application()
    try:
        app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert app.styleSheet() == DARK_STYLE_SHEET.read_text(encoding="utf-8")
        app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert app.styleSheet() == STYLE_SHEET.read_text(encoding="utf-8")
    finally:
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    selectors = [re.findall(r"^([A-Za-z][^{\n]*)\{", p.read_text(), re.M) for p in (STYLE_SHEET, DARK_STYLE_SHEET)]
    assert selectors[0] and selectors[0] == selectors[1], "the dark style sheet must style the same widgets as the light one"


# ---- the wheel, installed in a fresh venv, run from outside the checkout --------------------------------------


def _wheelhouse() -> Path:
    return Path(os.environ.get("NEUROCANVAS_WHEELHOUSE", ROOT / "build" / "wheelhouse"))


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)


def _install_offline_or_fill(python: Path, wheel: Path, house: Path) -> None:
    """Install ``wheel`` and its dependencies from the wheelhouse; on a miss, fill it from the index and retry."""
    install = ("--python", str(python), "install", "--quiet", "--no-index", "--find-links", str(house), str(wheel))
    if _pip(*install).returncode == 0:
        return
    filled = _pip("download", "--quiet", "--dest", str(house), str(wheel), "setuptools>=68", "wheel")
    assert filled.returncode == 0, f"cannot fill the wheelhouse {house}: {filled.stderr[-3000:]}"
    done = _pip(*install)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, wheel, sdist, a clean environment, a folder outside the checkout to run in)."""
    house = _wheelhouse()
    house.mkdir(parents=True, exist_ok=True)
    dist = tmp_path_factory.mktemp("dist")
    offline = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(house))  # the build's isolated set-up too
    if not list(house.glob("setuptools-*.whl")):
        _pip("download", "--quiet", "--dest", str(house), "setuptools>=68", "wheel")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], capture_output=True,
                           text=True, env=offline, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,), (sdist,) = dist.glob("*.whl"), dist.glob("*.tar.gz")
    env_dir = tmp_path_factory.mktemp("venv") / "nc"
    venv.create(env_dir, with_pip=False)
    _install_offline_or_fill(env_dir / "bin" / "python", wheel, house)
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "NUMBA_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"), QT_QPA_PLATFORM="offscreen", PATH=f"{env_dir / 'bin'}:"
               + env.get("PATH", ""))
    return env_dir, wheel, sdist, env, tmp_path_factory.mktemp("elsewhere")


def _in_venv(installed, *cmd: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env_dir, _, _, env, cwd = installed
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def _package_files(folder: Path, prefix: str) -> set[str]:
    return {f"{prefix}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".nbi", ".nbc")}


@pytest.mark.timeout(900)
def test_wheel_and_sdist_carry_the_resources_samples_and_desktop_files(installed):
    _, wheel, sdist, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = (_package_files(ROOT / "resources", "app/resources")
              - _package_files(ROOT / "resources" / "screenshots", "app/resources/screenshots"))
    wanted |= _package_files(ROOT / "samples", "core/data/samples/data")
    assert wanted - names == set()
    assert not any(n.startswith("app/resources/screenshots/") for n in names)  # docs, not needed to run
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {f"packaging/{DESKTOP.name}", f"packaging/{METAINFO.name}", f"packaging/{MIME_XML.name}",
            "resources/screenshots/start_page.png", "samples/iris.csv"} <= members


@pytest.mark.timeout(900)
def test_installed_command_runs_headless_from_outside_the_checkout(installed):
    env_dir = installed[0]
    version = _in_venv(installed, "neurocanvas", "--version")
    assert version.returncode == 0 and version.stdout.split() == ["neurocanvas", PROJECT["version"]], version
    where = _in_venv(installed, str(env_dir / "bin" / "python"), "-c",
                     "import app, core; print(core.__file__); print(app.__file__)")
    assert where.returncode == 0 and all(str(env_dir) in line for line in where.stdout.split()), where.stdout
    commands = _in_venv(installed, "neurocanvas", "--help").stdout
    if re.search(r"\bsamples\b", commands):
        listed = _in_venv(installed, "neurocanvas", "samples")
        assert listed.returncode == 0 and "iris" in listed.stdout and "digits" in listed.stdout, listed.stderr
    # The file-backed samples load from the installed package data whatever the command line offers.
    loaded = _in_venv(installed, str(env_dir / "bin" / "python"), "-c",
                      "from core.data import load_sample; print(len(load_sample('iris')), len(load_sample('digits')))")
    assert loaded.returncode == 0 and loaded.stdout.split() == ["150", "1797"], loaded.stderr[-3000:]
    if re.search(r"\btrain\b", commands):
        _train_with_the_command(installed)
    else:
        trained = _in_venv(installed, str(env_dir / "bin" / "python"), "-c",
                           "from core.starters import train_starter; print(train_starter('iris', epochs=2)['score'])")
        assert trained.returncode == 0 and 0.0 <= float(trained.stdout.split()[-1]) <= 1.0, trained.stderr[-3000:]


def _train_with_the_command(installed) -> None:
    env_dir, _, _, _, cwd = installed
    make = ("from core import Dense, Sequential\nfrom core.api import save_model\n"
            "m = Sequential()\nm.add(Dense(16, activation='relu', input_dim=4))\n"
            "m.add(Dense(3, activation='softmax'))\nm.compile(loss='categorical_crossentropy', optimizer='adam',"
            " metrics=['accuracy'])\nsave_model(m, 'iris.h5')\n")
    made = _in_venv(installed, str(env_dir / "bin" / "python"), "-c", make)
    assert made.returncode == 0, made.stderr[-3000:]
    trained = _in_venv(installed, "neurocanvas", "train", "iris.h5", "--data", "iris", "--epochs", "2", "--quiet",
                       "--out", "trained.h5")
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    assert (cwd / "trained.h5").stat().st_size > 0


@pytest.mark.timeout(900)
def test_installed_gui_starts_offscreen_and_shows_its_window(installed, qapp):
    env_dir, _, _, _, cwd = installed
    shot = cwd / "window.png"
    probe = shutil.copy(PACKAGING / "measure_startup.py", cwd / "probe.py")  # not run from packaging/
    done = _in_venv(installed, str(env_dir / "bin" / "python"), str(probe), "--probe", str(shot))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(lines[-1])
    assert all(str(env_dir) in path for path in report["modules"].values()), report["modules"]
    assert report["screenshot"] and report["window_icon"] and report["style_sheet"] > 0 and report["action_icons"]
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == tuple(report["size"]) and image.width() > 400
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 23)}
    assert len(colours) > 5, "the screenshot is blank: the window did not paint"
