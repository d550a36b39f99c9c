"""The ``neurocanvas`` command's launcher: the application without a sub-command, core.cli with one."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from app import launcher


@pytest.fixture
def calls(monkeypatch):
    """Stand-ins for the application's and the command line's entry points, recording what each was given."""
    seen: dict[str, list[list[str]]] = {"app": [], "cli": []}
    fake_app = types.ModuleType("app.__main__")
    fake_app.main = lambda argv: seen["app"].append(list(argv)) or 0
    monkeypatch.setitem(sys.modules, "app.__main__", fake_app)
    monkeypatch.setattr(launcher.cli, "main", lambda argv: seen["cli"].append(list(argv)) or 7)
    return seen


def test_no_arguments_or_one_model_file_open_the_app(calls):
    assert launcher.main([]) == 0 and launcher.main(["design.h5"]) == 0 and launcher.main(["m.hdf5"]) == 0
    assert calls == {"app": [[], ["design.h5"], ["m.hdf5"]], "cli": []}


@pytest.mark.parametrize("argv", [["train", "m.h5", "--data", "iris"], ["--version"], ["samples"],
                                  ["a.h5", "b.h5"], ["notes.txt"]])
def test_everything_else_goes_to_the_command_line_with_its_exit_code(calls, argv):
    assert launcher.main(argv) == 7
    assert calls == {"app": [], "cli": [argv]}


def test_the_app_failing_to_import_is_a_failure_with_a_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "app.__main__", None)  # importing it raises ImportError
    assert launcher.main([]) == 1
    assert "the desktop application cannot start" in capsys.readouterr().err


def test_a_sub_command_through_the_launcher_loads_no_qt_widgets():
    code = ("import sys\nfrom app.launcher import main\nassert main(['samples']) == 0\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6.QtWidgets', 'PySide6.QtGui', 'app.main'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "[]"
