"""The project's import structure: every module imports on its own, no import cycles, no borrowed private names.

The layer order and "core is GUI-free" are import contracts in pyproject.toml, checked by ``lint-imports``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "app")

# Imports allowed to close a cycle (importer, imported), left out of the graph before cycles are looked for: none.
# A line here must say why; delete it when its import is gone (the test says so).
CYCLE_ALLOWED: set[tuple[str, str]] = set()

# Private names allowed to be imported from another package (importer, imported module, name): none.
PRIVATE_ALLOWED: set[tuple[str, str, str]] = set()

# The third-party libraries the project's modules use, imported once before the project's modules are: they are
# not under test, and numba.cuda alone costs 1.5 s, which each CUDA module would otherwise pay again.
LIBRARIES = {"core": ("numpy", "numba", "numba.cuda", "h5py", "PIL.Image", "tqdm", "threadpoolctl")}
LIBRARIES["app"] = LIBRARIES["core"] + ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "pyqtgraph")

# Imports every module of one package, each in a process of its own that has imported only the packages above
# it: a process imports a package, then forks one child per module or subpackage of it; the child imports it (a
# subpackage forks again). That is exactly the state a fresh interpreter is in when it reaches the module, since
# importing ``a.b.c`` first imports ``a`` and then ``a.b``, and each child's own imports start from there.
HARNESS = r"""
import importlib, json, os, sys

report, top, libraries, tree = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])


def fail(name, exc):
    with open(report, "a") as out:  # one short write with O_APPEND: children's lines never interleave
        out.write(json.dumps([name, f"{type(exc).__name__}: {exc}"[:2000]]) + "\n")


def visit(package):
    for child in tree.get(package, []):
        pid = os.fork()
        if pid == 0:
            try:
                importlib.import_module(child)
                visit(child)
            except BaseException as exc:
                fail(child, exc)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status:  # the child died before it could say why (a crash in an extension module)
            fail(child, RuntimeError(f"the importing process ended with wait status {status}"))


try:
    importlib.import_module(top)
except BaseException as exc:
    fail(top, exc)
    sys.exit(0)
for library in libraries:
    importlib.import_module(library)
visit(top)
print("visited", top)
"""


def _module_tree(package: str) -> dict[str, list[str]]:
    """``{package: [its modules and subpackages]}`` for ``package`` and every subpackage, from the source files."""
    tree: dict[str, list[str]] = {}
    for init in sorted((ROOT / package).rglob("__init__.py")):
        if "__pycache__" in init.parts:
            continue
        folder = init.parent
        name = ".".join(folder.relative_to(ROOT).parts)
        children = [f"{name}.{p.stem}" for p in sorted(folder.glob("*.py")) if p.name != "__init__.py"]
        children += [f"{name}.{d.name}" for d in sorted(folder.iterdir()) if (d / "__init__.py").is_file()]
        tree[name] = children
    return tree


def test_every_module_imports_on_its_own_in_a_fresh_interpreter(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    runs = {}
    for package in PACKAGES:
        tree = _module_tree(package)
        report = tmp_path / f"{package}.jsonl"
        report.touch()
        args = [sys.executable, "-c", HARNESS, str(report), package, json.dumps(LIBRARIES[package]), json.dumps(tree)]
        runs[package] = (subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True), report, tree)
    failures, counts = {}, {}
    for package, (process, report, tree) in runs.items():
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0 and f"visited {package}" in out, err[-3000:]
        failures.update(json.loads(line) for line in report.read_text().splitlines())
        counts[package] = sum(len(children) for children in tree.values())
    assert failures == {}
    assert counts["core"] > 100 and counts["app"] > 40  # the tree really lists the modules


def test_the_harness_sees_a_module_that_fails_on_its_own(tmp_path):
    """A cycle that holds only when one side is imported first is reported for the other side."""
    pkg = tmp_path / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyc.b import B\nA = 1\n")
    (pkg / "b.py").write_text("from cyc.a import A\nB = 2\n")
    report = tmp_path / "report.jsonl"
    report.touch()
    tree = {"cyc": ["cyc.a", "cyc.b"]}
    done = subprocess.run([sys.executable, "-c", HARNESS, str(report), "cyc", "[]", json.dumps(tree)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    failed = dict(json.loads(line) for line in report.read_text().splitlines())
    assert set(failed) == {"cyc.a", "cyc.b"} and "circular import" in failed["cyc.a"]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import among the project's modules, at module level or inside functions, type-checking ones too."""
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _cycles(graph: grimp.ImportGraph, skip: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    edges = {m: sorted(w for w in graph.find_modules_directly_imported_by(m) if (m, w) not in skip)
             for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles(graph):
    cycles = _cycles(graph, CYCLE_ALLOWED)
    described = [[f"{m} -> {w} (line {graph.get_import_details(importer=m, imported=w)[0]['line_number']})"
                  for m in c for w in sorted(graph.find_modules_directly_imported_by(m)) if w in c]
                 for c in cycles]
    assert described == []


def test_the_allowed_cycle_imports_still_exist(graph):
    gone = sorted(edge for edge in CYCLE_ALLOWED if not graph.direct_import_exists(importer=edge[0],
                                                                                  imported=edge[1]))
    assert gone == [], "these imports are gone: delete them from CYCLE_ALLOWED"


def test_the_cycle_search_finds_a_cycle():
    toy = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        toy.add_import(importer=a, imported=b)
    assert _cycles(toy, set()) == [["p.a", "p.b", "p.c"]] and _cycles(toy, {("p.c", "p.a")}) == []


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _scope(module: str, is_package: bool) -> str:
    """Where a module's private names may be used: its own package (a package's: inside that package)."""
    return module if is_package else module.rpartition(".")[0]


def _inside(importer: str, scope: str) -> bool:
    return importer == scope or importer.startswith(scope + ".")


def _module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "__pycache__" not in path.parts:
                parts = path.relative_to(ROOT).with_suffix("").parts
                files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _private_imports(module: str, path: Path, packages: set[str]) -> list[tuple[str, str, str]]:
    """``(importer, imported module, name)`` for each private module or name ``module`` takes from outside the
    package it belongs to (``name`` is empty when the imported module path itself is private there)."""
    found = []
    own_package = module if module in packages else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join(own_package.split(".")[:len(own_package.split(".")) - node.level + 1] + [base])
            targets = [(base, alias.name) for alias in node.names]
        else:
            continue
        for target, name in targets:
            if target.split(".")[0] not in PACKAGES:
                continue
            parts = target.split(".")
            for i, part in enumerate(parts):
                if _is_private(part) and not _inside(module, ".".join(parts[:i])):
                    found.append((module, target, ""))
                    break
            if name and _is_private(name) and not _inside(module, _scope(target, target in packages)):
                found.append((module, target, name))
    return found


def test_no_module_imports_another_packages_private_names():
    files = _module_files()
    packages = {name for name, path in files.items() if path.name == "__init__.py"}
    found = {hit for name, path in files.items() for hit in _private_imports(name, path, packages)}
    assert sorted(found - PRIVATE_ALLOWED) == []
    assert sorted(PRIVATE_ALLOWED - found) == [], "these imports are gone: delete them from PRIVATE_ALLOWED"


def test_the_private_name_check_tells_inside_from_outside(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from core.kernels.reference.conv import _geometry, conv2d_forward\n"
                      "from core.kernels.cpu.conv import _empty\nimport core.kernels.cpu._dense_chain\n"
                      "from core.kernels.cpu import _jit\n")
    packages = {"core", "core.kernels", "core.kernels.cpu", "core.kernels.reference"}
    assert sorted(_private_imports("core.kernels.cpu.pooling", source, packages)) == [
        ("core.kernels.cpu.pooling", "core.kernels.reference.conv", "_geometry")]
    assert sorted(_private_imports("core.fused", source, packages)) == [
        ("core.fused", "core.kernels.cpu", "_jit"),
        ("core.fused", "core.kernels.cpu._dense_chain", ""),
        ("core.fused", "core.kernels.cpu.conv", "_empty"),
        ("core.fused", "core.kernels.reference.conv", "_geometry")]
