"""core must work with PySide6, pyqtgraph and the application absent: every core module imports in a process where
they cannot load, and none of them even tries (``lint-imports`` checks the same on the import graph)."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("PySide6", "pyqtgraph", "shiboken6", "app")

SCRIPT = r"""
import importlib, pkgutil, sys

BLOCKED = %r
tried = []

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            tried.append(name)
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
import core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
for name in names:
    importlib.import_module(name)
print(len(names), sorted(set(tried)))
""" % (BLOCKED,)


def test_every_core_module_imports_without_qt_and_never_asks_for_it():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    count, tried = result.stdout.splitlines()[-1].split(" ", 1)
    expected = len(list(pkgutil.walk_packages(core.__path__, "core.")))
    assert int(count) == expected >= 100 and tried == "[]"


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, and every constant string given to ``import_module`` or
    ``__import__`` (how a GUI-free package is tempted to load the GUI late)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.append((node.lineno, node.args[0].value))
    return names


def test_core_sources_never_name_qt_or_app_in_an_import():
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for line, name in _imported_names(ast.parse(path.read_text(encoding="utf-8"))):
            if name.split(".")[0] in BLOCKED:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert offenders == []


def test_the_source_check_sees_late_imports():
    tree = ast.parse("def f():\n    import importlib\n    importlib.import_module('app.__main__')\n"
                     "    from PySide6.QtCore import Qt\n    __import__('pyqtgraph')\n")
    assert sorted(n for _, n in _imported_names(tree)) == ["PySide6.QtCore", "app.__main__", "importlib", "pyqtgraph"]
